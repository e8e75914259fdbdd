"""Monthly scoring: columns, roster handling, drivers, determinism."""

import numpy as np
import pandas as pd
import pytest

from attrition import RosterError, score_roster
from attrition.scoring import SCORE_COLUMNS, top_drivers
from attrition.snapshots import population
from attrition.workflows import write_table


@pytest.fixture(scope="module")
def as_of(medium):
    return medium.tables.infer_export_date()


def test_scores_everyone_employed(medium, medium_model, as_of):
    scores = score_roster(medium.tables, as_of, medium_model)
    employed = set(population(medium.tables.employees, [as_of])["employee_id"])
    assert set(scores["employee_id"]) == employed and len(scores) == len(employed)
    assert list(scores.columns[:4]) == list(SCORE_COLUMNS)
    assert scores["attrition_risk"].between(0, 1).all()
    assert set(scores["risk_band"]) <= {"low", "medium", "high"}
    assert scores["attrition_risk"].is_monotonic_decreasing
    for k in (1, 2, 3):
        assert scores[f"driver_{k}"].str.contains("risk").all()
        assert scores[f"driver_{k}_feature"].isin(medium_model.feature_names_in_).all()
    # drivers ordered by absolute size
    assert (scores["driver_1_contribution"].abs() >= scores["driver_2_contribution"].abs()).all()


def test_roster_order_and_passthrough(medium, medium_model, as_of):
    employed = population(medium.tables.employees, [as_of])["employee_id"].tolist()
    roster = pd.DataFrame({"employee_id": employed[:5][::-1], "manager": list("abcde")})
    scores = score_roster(medium.tables, as_of, medium_model, roster=roster)
    assert scores["employee_id"].tolist() == roster["employee_id"].tolist()
    assert scores["manager"].tolist() == list("abcde")


def test_duplicate_roster_ids(medium, medium_model, as_of):
    employed = population(medium.tables.employees, [as_of])["employee_id"].tolist()
    with pytest.raises(RosterError, match="more than once"):
        score_roster(medium.tables, as_of, medium_model,
                     roster=pd.DataFrame({"employee_id": [employed[0], employed[0]]}))


def test_roster_unknown_and_not_employed_ids(medium, medium_model, as_of):
    with pytest.raises(RosterError, match="E999999") as err:
        score_roster(medium.tables, as_of, medium_model,
                     roster=pd.DataFrame({"employee_id": ["E999999", "E999998"]}))
    assert "2 roster id(s) are not in the employees" in str(err.value)
    emp = medium.tables.employees
    gone = emp.loc[emp["termination_date"] < as_of, "employee_id"].iloc[0]
    with pytest.raises(RosterError, match=f"not employed.*{gone}"):
        score_roster(medium.tables, as_of, medium_model, roster=pd.DataFrame({"employee_id": [gone]}))


def test_scoring_twice_gives_identical_files(tmp_path, medium, medium_model, as_of):
    a = write_table(score_roster(medium.tables, as_of, medium_model), tmp_path / "a.csv")
    b = write_table(score_roster(medium.tables, as_of, medium_model), tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()


def test_scores_match_training_pipeline(medium, medium_snapshots, medium_model):
    """Scoring as of a training month gives the same risk as the training snapshots."""
    t = medium_snapshots["as_of"].iloc[len(medium_snapshots) // 2]
    snaps = medium_snapshots.loc[medium_snapshots["as_of"] == t]
    expected = pd.Series(medium_model.predict_risk(snaps), index=snaps["employee_id"].to_numpy())
    scores = score_roster(medium.tables, t, medium_model).set_index("employee_id")
    np.testing.assert_allclose(scores.loc[expected.index, "attrition_risk"], expected.round(6))


def test_top_drivers_by_hand():
    contrib = pd.DataFrame({"a": [0.1, -0.9], "b": [0.3, 0.2], "bias": [0.0, 0.0]})
    values = pd.DataFrame({"a": [1.0, np.nan], "b": [2.5, 3.0]})
    out = top_drivers(contrib, values, n=2, labels={"a": "Alpha"})
    assert out["driver_1_feature"].tolist() == ["b", "a"]
    # 100 × (sigmoid(-0.7) − sigmoid(-0.7 + 0.9)) = −21.8 points
    assert out.loc[1, "driver_1"] == "Alpha: missing — lowers risk by 21.8 points"
    assert out.loc[1, "driver_1_points"] == pytest.approx(-21.8, abs=0.01)
    assert out.loc[0, "driver_2_contribution"] == pytest.approx(0.1)


def test_windows_of_one_measure_are_one_driver():
    contrib = pd.DataFrame({"x_28d": [0.2], "x_91d": [0.25], "x_182d": [0.1], "y": [0.5],
                            "x_28d_vs_team": [0.01], "bias": [-2.0]})
    values = pd.DataFrame({"x_28d": [1.0], "x_91d": [2.0], "x_182d": [3.0], "y": [0.0],
                           "x_28d_vs_team": [0.1]})
    out = top_drivers(contrib, values, n=3)
    assert out.loc[0, "driver_1_feature"] == "x_91d"  # the largest of its family
    assert out.loc[0, "driver_1_contribution"] == pytest.approx(0.56)  # windows and vs-team summed
    assert out.loc[0, "driver_2_feature"] == "y"
    # only two measures (x with its team comparison, and y): n is capped at 2
    assert "driver_3" not in out.columns and out.shape[1] == 10  # 5 columns per driver


def test_drivers_never_repeat_a_measure(medium, medium_model, as_of):
    from attrition.scoring import feature_family

    scores = score_roster(medium.tables, as_of, medium_model)
    fams = scores[[f"driver_{k}_feature" for k in (1, 2, 3)]].map(feature_family)
    assert (fams.nunique(axis=1) == 3).all()
