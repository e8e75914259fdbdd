"""SnapshotSpec: one object defines how a model's rows are built, and the model keeps it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from attrition import AttritionModel, SnapshotSpec, build_snapshots
from attrition.exceptions import ConfigError, SchemaError
from attrition.snapshots import QuietQuittingDefinition


def test_round_trips_through_json():
    spec = SnapshotSpec(horizon_days=60, windows=(14, 56), survey_privacy="identified", min_group_size=7,
                        target="quiet_quitting", tables={"employees": ("employee_id", "hire_date")},
                        columns={"schedule": {"shift_date": "date"}})
    again = SnapshotSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert again.quiet_quitting_definition().use_surveys is True
    assert again.quiet_quitting_definition().recent_window == 14


@pytest.mark.parametrize("change, word", [
    ({"horizon_days": 0}, "horizon_days"),
    ({"windows": (91, 28)}, "increasing"),
    ({"survey_privacy": "all"}, "survey_privacy"),
    ({"min_group_size": 1}, "min_group_size"),
    ({"target": "promotion"}, "target"),
    ({"tables": {"payroll": ("x",)}}, "payroll"),
])
def test_validate_names_the_bad_setting(change, word):
    with pytest.raises(ConfigError, match=word):
        SnapshotSpec(**change).validate()


def test_quiet_quitting_windows_must_fit_the_snapshot_windows():
    bad = QuietQuittingDefinition(recent_window=7, baseline_window=182)
    with pytest.raises(ConfigError, match="recent_window"):
        SnapshotSpec(target="quiet_quitting", quiet_quitting=bad).validate()


def test_build_records_the_spec_and_the_input_tables(small_centre):
    spec = SnapshotSpec(horizon_days=30, windows=(28, 91))
    snaps = spec.build(small_centre.tables)
    recorded = SnapshotSpec.from_dict(snaps.attrs["spec"])
    # The declared tables the centre carries are recorded with the values found in them.
    assert recorded == spec.with_tables(small_centre.tables)
    assert set(recorded.declared) == set(small_centre.tables.declared)
    assert set(snaps.attrs["input_schema"]) == set(small_centre.tables.present) | set(small_centre.tables.declared)
    assert not any(c.endswith("_182d") for c in snaps.columns)


def test_build_snapshots_is_the_spec_build(small_centre):
    a = build_snapshots(small_centre.tables, horizon_days=30, windows=(28, 91))
    b = SnapshotSpec(horizon_days=30, windows=(28, 91)).build(small_centre.tables)
    pd.testing.assert_frame_equal(a, b)


def test_relabel_keeps_features_and_changes_only_the_label(small_centre):
    spec = SnapshotSpec(horizon_days=60)
    snaps = spec.build(small_centre.tables)
    qq = spec.for_target("quiet_quitting").relabel(snaps, small_centre.tables)
    features = [c for c in snaps.columns if c not in ("label", "label_status")]
    pd.testing.assert_frame_equal(snaps[features], qq[features])
    assert SnapshotSpec.from_dict(qq.attrs["spec"]).target == "quiet_quitting"
    assert "censored_in_state" in set(qq["label_status"].astype(str)) | {"censored_in_state"}
    back = spec.relabel(qq, small_centre.tables)
    pd.testing.assert_frame_equal(back[["label", "label_status"]], snaps[["label", "label_status"]])


def test_relabel_refuses_snapshots_of_other_windows(small_centre):
    snaps = SnapshotSpec(windows=(28, 91)).build(small_centre.tables)
    with pytest.raises(ConfigError, match="windows"):
        SnapshotSpec(windows=(28, 182), target="quiet_quitting").relabel(snaps, small_centre.tables)


def test_model_adopts_and_saves_the_spec(medium, tmp_path):
    spec = SnapshotSpec(horizon_days=60, windows=(28, 91))
    snaps = spec.build(medium.tables)
    model = AttritionModel(lgbm_params={"n_estimators": 40}).fit(snaps)
    assert model.spec is None  # __init__ stores its arguments only
    assert model.spec_.horizon_days == 60 and model.spec_.windows == (28, 91)
    assert set(model.spec_.tables) == set(medium.tables.present) | set(medium.tables.declared)
    again = AttritionModel.load(model.save(tmp_path / "m"))
    assert again.spec_ == model.spec_
    assert again.validation_dates_ == model.validation_dates_
    as_of = pd.Timestamp(medium.tables.infer_export_date()).normalize()
    rebuilt = again.snapshots(medium.tables, [as_of])
    assert not any(c.endswith("_182d") for c in rebuilt.columns)
    np.testing.assert_allclose(again.predict_risk(rebuilt), model.predict_risk(rebuilt))


def test_model_refuses_snapshots_of_another_spec(medium):
    snaps = SnapshotSpec(horizon_days=60).build(medium.tables)
    with pytest.raises(ConfigError, match="horizon_days"):
        AttritionModel(spec=SnapshotSpec(horizon_days=90)).fit(snaps)
    with pytest.raises(ConfigError, match="windows"):
        AttritionModel(spec=SnapshotSpec(horizon_days=60, windows=(28, 91))).fit(snaps)


def test_validation_mask_is_the_split_chosen_at_fit(medium_model, medium_snapshots):
    mask = medium_model.validation_mask(medium_snapshots)
    dates = sorted({f"{d:%Y-%m-%d}" for d in pd.to_datetime(medium_snapshots.loc[mask, "as_of"])})
    assert dates == medium_model.validation_dates_
    assert len(dates) == medium_model.valid_months
    assert int(mask.sum()) == medium_model.training_summary_["n_valid"]


def test_snapshots_refuse_a_table_missing_since_training(medium_model, medium):
    without = medium.tables.copy(surveys=None)
    with pytest.raises(SchemaError, match="surveys"):
        medium_model.snapshots(without, [medium.tables.infer_export_date()])
