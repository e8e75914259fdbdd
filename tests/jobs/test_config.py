"""Config: files, validation, overrides, and the committed model configurations."""

from pathlib import Path

import pytest

from attrition import AttritionModel, Config, ConfigError
from attrition.models import HAZARD_LGBM_PARAMS, HAZARD_MONOTONE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((ROOT / "models").glob("*.toml")), ids=lambda p: p.name)
def test_committed_model_configs_validate(path):
    cfg = Config.from_file(path)
    assert cfg.horizon_days > 0


def test_default_model_config_matches_library_defaults():
    """The committed default configuration trains the library's default models: the same
    fields, and no LightGBM overrides (the file's ``lgbm_params`` reach both models, so the
    quiet-quitting model's settings there would replace the hazard model's tuned ones)."""
    cfg = Config.from_file(ROOT / "models" / "attrition.toml")
    defaults = Config()
    for name in ("horizon_days", "windows", "valid_months", "random_state", "n_drivers", "survey_privacy",
                 "min_group_size", "risk_bands", "lgbm_params"):
        assert getattr(cfg, name) == getattr(defaults, name), name
    hazard = AttritionModel(lgbm_params=cfg.lgbm_params)
    hazard.kind_, hazard.feature_names_in_, hazard.categories_ = "hazard", list(HAZARD_MONOTONE), {}
    assert hazard._params()["num_leaves"] == HAZARD_LGBM_PARAMS["num_leaves"]
    assert hazard._params()["learning_rate"] == HAZARD_LGBM_PARAMS["learning_rate"]


def test_yaml_and_relative_data_dir(tmp_path):
    (tmp_path / "c.yaml").write_text("data_dir: exports\nhorizon_days: 30\ncolumns:\n  schedule:\n    shift_date: date\n")
    cfg = Config.from_file(tmp_path / "c.yaml")
    assert cfg.data_dir == tmp_path / "exports" and cfg.horizon_days == 30
    assert cfg.columns == {"schedule": {"shift_date": "date"}}


@pytest.mark.parametrize(
    "values, message",
    [
        ({"horizon": 90}, "Unknown configuration key"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"windows": [91, 28]}, "increasing"),
        ({"columns": {"rota": {"a": "b"}}}, "unknown table 'rota'"),
        ({"risk_bands": {"medium": 2, "high": 1}}, "medium < high"),
        ({"export_date": "yesterday"}, "export_date"),
        ({"threads": -1}, "threads must be a whole number"),
        ({"threads": True}, "threads must be a whole number"),
    ],
)
def test_invalid_values_say_what_is_wrong(values, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_dict(values)


def test_replace_ignores_none_and_validates():
    cfg = Config().replace(horizon_days=None, experiment="x")
    assert cfg.horizon_days == 90 and cfg.experiment == "x"
    with pytest.raises(ConfigError):
        Config().replace(horizon_days=-1)


def test_bad_file(tmp_path):
    (tmp_path / "c.toml").write_text("horizon_days = [")
    with pytest.raises(ConfigError, match="Cannot parse"):
        Config.from_file(tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="does not exist"):
        Config.from_file(tmp_path / "none.toml")
