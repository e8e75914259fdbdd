"""Readable drivers (points, references), the shap paths and what-if re-scoring."""

import numpy as np
import pandas as pd
import pytest

from attrition import ConfigError, build_snapshots, score_roster
from attrition.analysis._drivers import probability_points, team_medians, top_drivers
from attrition.analysis._explain import (
    WHAT_IF_NOTE,
    apply_changes,
    measure_explanation,
    parse_changes,
    shap_explanation,
    what_if,
)
from attrition.snapshots._spec import feature_labels


@pytest.fixture(scope="module")
def as_of(medium):
    return medium.tables.infer_export_date()


@pytest.fixture(scope="module")
def scoring_rows(medium, as_of):
    return build_snapshots(medium.tables, as_of=[as_of], labels=False)


@pytest.fixture(scope="module")
def scores(medium, medium_model, as_of):
    return score_roster(medium.tables, as_of, medium_model)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_points_are_the_risk_without_the_contribution(scores):
    """driver_k_points = 100 × (p − sigmoid(logit(p) − φ)), from the scored risk itself."""
    p = scores["attrition_risk"].to_numpy()
    for k in (1, 2, 3):
        phi = scores[f"driver_{k}_contribution"].to_numpy()
        expected = 100 * (p - sigmoid(np.log(p / (1 - p)) - phi))
        np.testing.assert_allclose(scores[f"driver_{k}_points"], expected, atol=0.011)
        raises = scores[f"driver_{k}"].str.contains("raises risk by")
        assert (raises == (scores[f"driver_{k}_points"] > 0)).all()
    assert scores["driver_1"].str.contains(r": .+ — (?:raises|lowers) risk by \d+\.\d points").all()


def test_points_by_hand():
    assert probability_points(0.5, 0.0) == 0.0
    # p = 0.2; without +1 log-odds: sigmoid(logit(0.2) - 1) = 0.0842 -> 11.58 points
    assert probability_points(0.2, 1.0) == pytest.approx(100 * (0.2 - sigmoid(np.log(0.25) - 1)))
    assert probability_points(0.2, -1.0) < 0


def test_points_of_huge_contributions_without_overflow_warning():
    """A contribution of hundreds of log-odds takes the whole risk, silently (exp overflows to inf)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = probability_points(np.array([0.3, 0.3, 0.3]), np.array([800.0, -800.0, 0.0]))
    np.testing.assert_allclose(got, [30.0, -70.0, 0.0], atol=1e-9)


def test_team_median_reference(scores, scoring_rows):
    """The reference beside a value is the median of the person's team that day."""
    from attrition.analysis._drivers import format_feature_value

    rows = scoring_rows.set_index("employee_id")
    checked = 0
    for k in (1, 2, 3):
        for emp, feat, ref in scores[["employee_id", f"driver_{k}_feature", f"driver_{k}_reference"]].itertuples(index=False):
            if not ref:
                continue
            team = rows.loc[emp, "team_id"]
            median = rows.loc[rows["team_id"] == team, feat].median()
            assert ref == format_feature_value(feat, median), (emp, feat)
            checked += 1
    assert checked > len(scores)  # most drivers carry a reference


def test_team_medians_by_hand():
    s = pd.DataFrame({"as_of": ["t"] * 4 + ["u"], "team_id": ["a", "a", "a", "b", "a"],
                      "x": [1.0, 2.0, 9.0, 4.0, 100.0], "c": pd.Categorical(["p"] * 5)})
    out = team_medians(s, ["x", "c"], min_group_size=1)
    assert out["x"].tolist() == [2.0, 2.0, 2.0, 4.0, 100.0]  # per team *and* date
    assert out["c"].isna().all()
    # Teams under min_group_size get no median: it would reveal colleagues' values.
    small = team_medians(s, ["x"], min_group_size=3)
    assert small["x"].tolist()[:3] == [2.0, 2.0, 2.0] and small["x"].iloc[3:].isna().all()


def test_vs_team_driver_of_a_small_team_has_no_reference():
    contrib = pd.DataFrame({"x_28d": [0.1], "x_28d_vs_team": [0.8], "bias": [-2.0]})
    values = pd.DataFrame({"x_28d": [6.0], "x_28d_vs_team": [5.0]})
    refs = pd.DataFrame({"x_28d": [np.nan], "x_28d_vs_team": [np.nan]})
    out = top_drivers(contrib, values, n=1, labels={"x_28d": "Late changes, last 28 days"}, references=refs)
    assert out.loc[0, "driver_1_reference"] == "" and "team median" not in out.loc[0, "driver_1"]


def test_vs_team_driver_shows_the_feature_and_its_team_median():
    contrib = pd.DataFrame({"x_28d": [0.1], "x_28d_vs_team": [0.8], "bias": [-2.0]})
    values = pd.DataFrame({"x_28d": [6.0], "x_28d_vs_team": [5.0]})
    out = top_drivers(contrib, values, n=1, labels={"x_28d": "Late changes, last 28 days"})
    assert out.loc[0, "driver_1_feature"] == "x_28d"
    assert out.loc[0, "driver_1_points"] > 0
    assert out.loc[0, "driver_1"].startswith("Late changes, last 28 days: 6 (team median 1) — raises risk by")


def test_references_skip_team_measures_and_changes():
    contrib = pd.DataFrame({"team_size": [0.5], "y_change_28d": [0.4], "bias": [-1.0]})
    values = pd.DataFrame({"team_size": [9.0], "y_change_28d": [0.1]})
    refs = pd.DataFrame({"team_size": [9.0], "y_change_28d": [0.0]})
    out = top_drivers(contrib, values, n=2, references=refs)
    assert out.loc[0, "driver_1_reference"] == "" and out.loc[0, "driver_2_reference"] == ""


def test_team_level_survey_measures_have_no_reference():
    """A team's survey mean is the same for the whole team: its team median would repeat it."""
    contrib = pd.DataFrame({"survey_team_enps_mean": [0.6], "survey_team_response_rate_365d": [0.3],
                            "survey_enps_change": [0.2], "sched_late_changes_28d": [0.1], "bias": [-1.0]})
    values = pd.DataFrame({"survey_team_enps_mean": [0.48], "survey_team_response_rate_365d": [0.7],
                           "survey_enps_change": [-0.25], "sched_late_changes_28d": [6.0]})
    refs = values.copy()
    refs["sched_late_changes_28d"] = 1.0
    labels = {"survey_team_enps_mean": "Team mean of 'enps' answers"}
    out = top_drivers(contrib, values, n=4, labels=labels, references=refs)
    assert out.loc[0, "driver_1_feature"] == "survey_team_enps_mean"
    assert out.loc[0, "driver_1"].startswith("Team survey score for eNPS: 0.48 — raises risk by")
    assert [out.loc[0, f"driver_{k}_reference"] for k in (1, 2, 3)] == ["", "", ""]
    assert "team median" not in " ".join(out.loc[0, f"driver_{k}"] for k in (1, 2, 3))
    # An individual measure still gets its team median.
    assert out.loc[0, "driver_4_reference"] == "1" and "(team median 1)" in out.loc[0, "driver_4"]


def test_tenure_drivers_read_as_a_duration():
    """Tenure reads in months or years, whichever tenure feature moved the risk, and a value equal
    to the team median says so instead of repeating the number."""
    contrib = pd.DataFrame({"log_tenure": [0.9, 0.1], "tenure_days": [0.1, 0.8], "early_tenure": [0.2, 0.0],
                            "bias": [-2.0, -2.0]})
    values = pd.DataFrame({"log_tenure": np.log1p([58.0, 4804.0]), "tenure_days": [58.0, 4804.0],
                           "early_tenure": [1.0, 0.0]})
    refs = pd.DataFrame({"log_tenure": np.log1p([58.0, 286.0]), "tenure_days": [58.0, 286.0],
                         "early_tenure": [1.0, 0.0]})
    out = top_drivers(contrib, values, n=1, labels={"tenure_days": "Tenure (days)", "log_tenure": "Tenure (log days)"},
                      references=refs)
    assert out["driver_1_feature"].tolist() == ["tenure_days", "tenure_days"]
    assert out.loc[0, "driver_1"].startswith("Tenure: 2 months (same as the team median) — raises risk by")
    assert out.loc[1, "driver_1"].startswith("Tenure: 13.2 years (team median 9 months) — raises risk by")


def test_shap_package_agrees_with_lightgbm_treeshap(medium_model, scoring_rows):
    """The shap path used for plots equals LightGBM's pred_contrib used for drivers."""
    import shap

    exp = shap_explanation(medium_model, scoring_rows)
    contrib = medium_model.contributions(scoring_rows)
    np.testing.assert_allclose(exp.values, contrib[medium_model.feature_names_in_].to_numpy(), atol=1e-10)
    a, b = medium_model.calibration_
    raw = np.asarray(shap.TreeExplainer(medium_model.booster_).shap_values(medium_model.prepare(scoring_rows)))
    # The hazard model scales each row's TreeSHAP by one positive factor (points of the horizon
    # risk, see AttritionModel.contributions) and counts the months ahead to tenure: every other
    # feature is the shap package's value times that factor, row by row.
    scaled = a * raw
    names = list(medium_model.feature_names_in_)
    others = [i for i, c in enumerate(names) if c not in ("tenure_days", "log_tenure", "early_tenure")]
    assert len(others) < len(names)  # the medium model has tenure features
    values, scaled = exp.values[:, others], scaled[:, others]
    pick = np.argmax(np.abs(scaled), axis=1)
    at = np.arange(len(scaled))
    factor = values[at, pick] / scaled[at, pick]
    assert (factor > 0).all()
    np.testing.assert_allclose(values, factor[:, None] * scaled, atol=1e-6)
    logit = np.log(medium_model.predict_risk(scoring_rows)) - np.log1p(-medium_model.predict_risk(scoring_rows))
    np.testing.assert_allclose(exp.base_values + exp.values.sum(axis=1), logit, atol=1e-8)


def test_measure_explanation_groups_without_losing_anything(medium_model, scoring_rows):
    exp = measure_explanation(medium_model, scoring_rows.head(20), feature_labels())
    contrib = medium_model.contributions(scoring_rows.head(20))
    np.testing.assert_allclose(exp.values.sum(axis=1), contrib.drop(columns="bias").sum(axis=1), atol=1e-9)
    assert len(exp.feature_names) < len(medium_model.feature_names_in_)
    assert not any("_28d" in n for n in exp.feature_names)  # readable, one per measure


def test_parse_changes():
    assert parse_changes(["a=1", "b<=85%", " c >= -2 "]) == [("a", "=", 1.0), ("b", "<=", 0.85), ("c", ">=", -2.0)]
    with pytest.raises(ConfigError, match="FEATURE=VALUE"):
        parse_changes(["a : 1"])
    with pytest.raises(ConfigError, match="not a number"):
        parse_changes(["a=high"])


def test_apply_changes_moves_windows_and_team_comparisons():
    s = pd.DataFrame({"x_28d": [3.0, np.nan], "x_91d": [2.0, 1.0], "x_28d_vs_team": [1.0, np.nan],
                      "xy_28d": [5.0, 5.0]})
    out = apply_changes(s, [("x", "=", 0.0)], list(s.columns))
    assert out["x_28d"].tolist()[0] == 0.0 and np.isnan(out["x_28d"].iloc[1])  # missing stays missing
    assert out["x_91d"].tolist() == [0.0, 0.0]
    assert out["x_28d_vs_team"].tolist()[0] == -2.0  # team median (2) held fixed
    assert out["xy_28d"].tolist() == [5.0, 5.0]  # another measure
    with pytest.raises(ConfigError, match="no feature or measure"):
        apply_changes(s, [("nope", "=", 1.0)], list(s.columns))


def test_what_if_equals_rescoring_by_hand(medium_model, scoring_rows):
    rows = scoring_rows.head(30).reset_index(drop=True)
    res = what_if(medium_model, rows, ["sched_late_changes=0", "wl_occupancy_mean<=0.85"])
    assert res.attrs["note"] == WHAT_IF_NOTE and "not causal" in WHAT_IF_NOTE
    manual = rows.copy()
    for c in [c for c in rows.columns if c.startswith("sched_late_changes_") and not c.endswith("_vs_team")]:
        manual[c] = manual[c].where(manual[c].isna(), 0.0)
    for c in [c for c in rows.columns if c.startswith("wl_occupancy_mean_")]:
        if c.endswith("_vs_team"):
            base = c.removesuffix("_vs_team")
            manual[c] = rows[c] + (rows[base].clip(upper=0.85) - rows[base])
    for c in [c for c in rows.columns if c.startswith("wl_occupancy_mean_") and not c.endswith("_vs_team")]:
        manual[c] = manual[c].clip(upper=0.85)
    np.testing.assert_allclose(res["risk_after"], np.round(medium_model.predict_risk(manual), 6))
    np.testing.assert_allclose(res["risk_before"], np.round(medium_model.predict_risk(rows), 6))
    assert (res["change_points"] != 0).any()


def test_what_if_without_a_real_change_changes_nothing(medium_model, scoring_rows):
    rows = scoring_rows.head(10).reset_index(drop=True)
    res = what_if(medium_model, rows, ["tenure_days>=0"])
    assert (res["change_points"] == 0).all() and (res["changed"] == "").all()
