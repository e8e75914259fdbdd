"""MLflow integration against a real, temporary SQLite store (no mocks)."""

import json

import mlflow
import numpy as np
import pytest

from attrition import Config, ModelNotFoundError, load_model, train
from attrition.data import data_fingerprint
from attrition.tracking import log_training_run

# A real MLflow store: deselect with -m "not slow".
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{root / 'mlflow.db'}"


@pytest.fixture(scope="module")
def trained_run(medium, store):
    config = Config(tracking_uri=store, experiment="test-exp")
    return train(config, register="attr-test", tables=medium.tables), config


def test_run_logs_params_metrics_fingerprint_and_model(trained_run, medium):
    result, config = trained_run
    client = mlflow.MlflowClient(tracking_uri=config.tracking_uri)
    run = client.get_run(result.run.run_id)
    assert run.data.params["horizon_days"] == "90"
    assert run.data.params["lgbm_learning_rate"] == "0.05"  # 300 agents: below HAZARD_LARGE_ROWS
    assert int(run.data.params["n_features"]) == len(result.model.feature_names_in_)
    assert run.data.metrics["valid_roc_auc"] == pytest.approx(result.model.metrics_["valid_roc_auc"])
    assert "baseline_valid_roc_auc" in run.data.metrics
    assert run.data.tags["data_fingerprint"] == data_fingerprint(medium.tables)
    artifacts = {a.path for a in client.list_artifacts(result.run.run_id)}
    assert {"features.json", "model_card.md", "training_summary.json", "config.json", "plots"} <= artifacts
    plots = {a.path for a in client.list_artifacts(result.run.run_id, "plots")}
    assert plots == {"plots/calibration_validation.png", "plots/driver_importance.png",
                     "plots/driver_beeswarm_validation.png", "plots/expected_vs_actual_leavers.png"}
    assert "rollups" in artifacts
    features = json.loads(mlflow.artifacts.load_text(f"runs:/{result.run.run_id}/features.json"))
    assert features["features"] == result.model.feature_names_in_
    # artefacts sit next to the SQLite file, not in the working directory
    exp = client.get_experiment_by_name("test-exp")
    assert exp.artifact_location.endswith("mlartifacts")


def test_registered_champion_loads_and_predicts_the_same(trained_run, medium_snapshots):
    result, config = trained_run
    model, info = load_model("models:/attr-test@champion", config.tracking_uri)
    assert info["model_name"] == "attr-test" and info["model_version"] == "1"
    rows = medium_snapshots.head(50)
    np.testing.assert_array_equal(model.predict_risk(rows), result.model.predict_risk(rows))
    # the generic pyfunc interface works too (categories passed as strings)
    pyfunc = mlflow.pyfunc.load_model("models:/attr-test@champion")
    X = rows[model.feature_names_in_].copy()
    for col in model.categories_:
        X[col] = X[col].astype(object)
    out = pyfunc.predict(X)
    np.testing.assert_allclose(out["attrition_risk"], result.model.predict_risk(rows))


def test_bare_name_means_champion(trained_run):
    _, config = trained_run
    _, info = load_model("attr-test", config.tracking_uri)
    assert info["model_uri"] == "models:/attr-test@champion"


def test_missing_model_is_a_clear_error(trained_run):
    _, config = trained_run
    with pytest.raises(ModelNotFoundError, match="attrition train"):
        load_model("models:/no-such-model@champion", config.tracking_uri)


def test_env_overrides_default_store(monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'env.db'}")
    assert Config().resolved_tracking_uri().endswith("env.db")
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    assert Config().resolved_tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"


def test_fingerprint_ignores_row_order_but_not_values(medium):
    tables = medium.tables
    shuffled = tables.copy(workload=tables.workload.sample(frac=1.0, random_state=0))
    assert data_fingerprint(shuffled) == data_fingerprint(tables)
    changed = tables.workload.copy()
    changed.loc[changed.index[0], "occupancy"] = 0.5
    assert data_fingerprint(tables.copy(workload=changed)) != data_fingerprint(tables)


def test_logging_outlined_tables_needs_their_fingerprint_and_creates_nothing(medium, medium_model,
                                                                              medium_snapshots, tmp_path):
    """An outline knows its event tables by their extents only: a fingerprint of the rest would
    not be the data's, so ``log_training_run`` asks for the loaded tables' one (as the training
    job passes it) before it touches the store."""
    with pytest.raises(ValueError, match=r"schedule.*known only by their extent.*fingerprint="):
        log_training_run(medium_model, medium_snapshots, medium.tables.outline(),
                         tracking_uri=f"sqlite:///{tmp_path / 'db.db'}")
    assert not (tmp_path / "db.db").exists()


def test_logged_learning_rate_is_the_one_the_hazard_model_used(medium, medium_snapshots, tmp_path,
                                                                monkeypatch):
    """From HAZARD_LARGE_ROWS training rows the hazard model boosts at HAZARD_LARGE_LEARNING_RATE:
    the run's LightGBM params and training summary say so, not HAZARD_LGBM_PARAMS's 0.05."""
    from attrition import AttritionModel
    from attrition.models import _model

    monkeypatch.setattr(_model, "HAZARD_LARGE_ROWS", 1)  # the 300-agent centre counts as large
    model = AttritionModel().fit(medium_snapshots)
    uri = f"sqlite:///{tmp_path / 'db.db'}"
    run = log_training_run(model, medium_snapshots, medium.tables, tracking_uri=uri)
    logged = mlflow.MlflowClient(tracking_uri=uri).get_run(run.run_id)
    assert logged.data.params["lgbm_learning_rate"] == "0.1"
    summary = json.loads(mlflow.artifacts.load_text(f"runs:/{run.run_id}/training_summary.json"))
    assert summary["learning_rate"] == 0.1 and summary["learning_rate_reason"].startswith("0.1: ")


def test_no_store_is_a_clear_error_and_creates_nothing(tmp_path):
    config = Config(tracking_uri=f"sqlite:///{tmp_path / 'absent.db'}")
    with pytest.raises(ModelNotFoundError, match="No MLflow store"):
        load_model("attrition", config.tracking_uri)
    assert not (tmp_path / "absent.db").exists()


def test_model_card_warns_when_the_logistic_baseline_wins(medium_model):
    import copy

    from attrition.reporting._model_card import model_card_markdown

    model = copy.copy(medium_model)
    m = dict(model.metrics_)
    m["lr_baseline_valid_roc_auc"] = m["valid_roc_auc"] - 0.01
    model.metrics_ = m
    assert "**Warning:**" not in model_card_markdown(model, fingerprint="f" * 64)
    m["lr_baseline_valid_roc_auc"] = m["valid_roc_auc"] + 0.01
    assert "logistic-regression baseline ranks the validation months better" in model_card_markdown(
        model, fingerprint="f" * 64)


def test_a_model_loaded_once_is_read_from_the_local_cache_until_the_store_changes(
        trained_run, medium, tmp_path, monkeypatch):
    from attrition.tracking import _mlflow

    result, config = trained_run
    monkeypatch.setenv("ATTRITION_CACHE_DIR", str(tmp_path / "cache"))
    first, info = load_model("models:/attr-test@champion", config.tracking_uri)
    assert list((tmp_path / "cache" / "models").iterdir())
    rows = result.snapshots.tail(50)

    def refuse(*args, **kwargs):
        raise AssertionError("loaded through MLflow again")

    with monkeypatch.context() as m:  # the store is unchanged: neither MLflow's loading nor the store
        m.setattr(_mlflow.mlflow.pyfunc, "load_model", refuse)
        m.setattr(_mlflow, "setup_tracking", refuse)
        again, info_again = load_model("models:/attr-test@champion", config.tracking_uri)
    assert info_again == info and info["run_id"] == result.run.run_id
    np.testing.assert_array_equal(again.predict_risk(rows), first.predict_risk(rows))
    np.testing.assert_array_equal(again.contributions(rows).to_numpy(), first.contributions(rows).to_numpy())

    # The store changes (here: a tag on the version): the alias is resolved through MLflow again,
    # but the version's artefacts still come from the cache.
    client = mlflow.MlflowClient(tracking_uri=config.tracking_uri)
    client.set_model_version_tag("attr-test", info["model_version"], "touched", "yes")
    with monkeypatch.context() as m:
        m.setattr(_mlflow.mlflow.pyfunc, "load_model", refuse)
        third, info_third = load_model("models:/attr-test@champion", config.tracking_uri)
    assert info_third == info
    np.testing.assert_array_equal(third.predict_risk(rows), first.predict_risk(rows))
    # Turned off: loaded through MLflow every time.
    monkeypatch.setenv("ATTRITION_CACHE_DIR", "off")
    with monkeypatch.context() as m:
        m.setattr(_mlflow.mlflow.pyfunc, "load_model", refuse)
        with pytest.raises(AssertionError, match="loaded through MLflow again"):
            load_model("models:/attr-test@champion", config.tracking_uri)



_SCORE_AND_LIST_HEAVY = """
import json, sys
from attrition.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in ("mlflow", "matplotlib", "shap") if m in sys.modules)))
"""


def test_monthly_scoring_from_the_cache_imports_neither_mlflow_nor_matplotlib_nor_shap(
        trained_run, medium, tmp_path):
    """`attrition score` with a cached model and no report pays for none of the three imports."""
    import os
    import subprocess
    import sys

    import pandas as pd

    _, config = trained_run
    data = tmp_path / "data"
    medium.write(data)
    env = dict(os.environ, ATTRITION_CACHE_DIR=str(tmp_path / "cache"))
    as_of = f"{(pd.Timestamp(medium.tables.infer_export_date()).to_period('M') - 1).to_timestamp('M'):%Y-%m-%d}"
    outs, heavy = [], []
    for i in (1, 2):  # the first run loads through MLflow and fills the cache; the second reads it
        out = tmp_path / f"scores{i}.csv"
        proc = subprocess.run(
            [sys.executable, "-c", _SCORE_AND_LIST_HEAVY, "score", "--data", str(data), "--as-of", as_of,
             "--model", "models:/attr-test@champion", "--tracking-uri", config.tracking_uri,
             "--out", str(out)], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        heavy.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        outs.append(out.read_bytes())
    assert "mlflow" in heavy[0]  # the first load goes through MLflow
    assert heavy[1] == [], f"monthly scoring from the cache imported {heavy[1]}"
    assert outs[0] == outs[1]


def test_dataset_schema_from_its_deciding_rows_is_the_schema_of_every_row(trained_run):
    from mlflow.models import infer_signature

    from attrition.tracking._mlflow import schema_rows

    result, _ = trained_run
    model = result.model
    rows = result.snapshots.loc[model.validation_mask(result.snapshots), [*model.feature_names_in_, "label"]]
    rows = rows.astype({c: object for c in rows.columns if str(rows[c].dtype) == "category"})
    assert rows.isna().any().any() and not rows.isna().all().all()  # the case that matters: some missing
    full = infer_signature(rows).inputs
    assert infer_signature(schema_rows(rows)).inputs == full
    logged = mlflow.MlflowClient(tracking_uri=result.run.tracking_uri).get_run(
        result.run.run_id).inputs.dataset_inputs[0].dataset
    assert json.loads(logged.schema)["mlflow_colspec"] == full.to_dict()
