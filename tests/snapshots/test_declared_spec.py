"""The spec records declared tables; a model scores with the tables it was trained on."""

import pandas as pd
import pytest

from attrition import SnapshotSpec
from attrition.exceptions import ConfigError, SchemaError
from attrition.features import HistoryFeatures


def test_the_spec_records_the_declared_tables_and_event_values(small_centre):
    snaps = SnapshotSpec(horizon_days=60).build(small_centre.tables, as_of=["2024-06-30"], labels=False)
    spec = SnapshotSpec.from_dict(snaps.attrs["spec"])
    assert sorted(spec.declared) == ["coaching", "performance"]
    assert spec.declared["coaching"]["values"] == ["one_to_one", "recognition", "skills"]
    assert SnapshotSpec.from_dict(spec.to_dict()) == spec
    assert {"coaching_skills_events_28d", "performance_rating_change_28d",
            "performance_rating_mean_182d_vs_team"} <= set(snaps.columns)
    labels = spec.feature_labels()
    assert labels["performance_business_value_mean_91d"] == "business_value (performance), mean over the last 91 days"


def test_a_model_refuses_data_without_its_declared_tables(medium, medium_model):
    tables, model = medium.tables, medium_model
    assert sorted(model.spec_.declared) == ["coaching", "performance"]
    scored = model.snapshots(tables, as_of=[tables.infer_export_date()])
    assert set(model.feature_names_in_) <= set(scored.columns)
    with pytest.raises(SchemaError, match="performance"):
        model.snapshots(tables.copy(declared={}, declarations={}), as_of=[tables.infer_export_date()])


def test_bad_declarations_in_a_spec_are_config_errors():
    with pytest.raises(ConfigError, match="kind"):
        SnapshotSpec(declared={"mine": {"kind": "other", "date": "d"}}).validate()


def test_lead_figures_of_small_teams_are_missing():
    from attrition import Tables

    emp = pd.DataFrame({"employee_id": list("abc"), "team_id": ["t"] * 3,
                        "hire_date": pd.to_datetime(["2023-01-01"] * 3),
                        "termination_date": pd.to_datetime([None, None, "2024-01-10"]),
                        "termination_reason": [None, None, "voluntary"]})
    hist = pd.DataFrame({"employee_id": list("abc"), "team_id": ["t"] * 3, "manager_id": ["m"] * 3,
                         "effective_date": pd.to_datetime(["2023-01-01"] * 3)})
    fr = pd.DataFrame({"employee_id": ["a", "b"], "team_id": ["t", "t"], "as_of": pd.to_datetime(["2024-01-31"] * 2)})
    tables = Tables(emp, employee_history=hist)
    big = HistoryFeatures(windows=[28], min_group_size=2).build(tables, fr)
    small = HistoryFeatures(windows=[28], min_group_size=3).build(tables, fr)
    assert big["lead_vol_exits_28d"].tolist() == [1.0, 1.0]
    assert big["lead_span_of_control"].tolist() == [2.0, 2.0]
    assert small["lead_vol_exits_28d"].isna().all()
