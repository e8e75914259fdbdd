"""Flat-table survival: a duration and an event, risks per horizon, a Cox model beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.exceptions import ConfigError, SchemaError
from attrition.models import FlatSurvivalModel, fit_survival_table, flat_features, survival_target
from attrition.scoring import score_table


def survival_table(n=700, seed=0):
    """Known truth: a constant monthly hazard, 2.2x higher on nights, independent uniform censoring."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"emp": [f"E{i:04d}" for i in range(n)],
                       "night": rng.choice(["yes", "no"], n),
                       "team": rng.choice(["a", "b", "c"], n),
                       "Gender": rng.choice(["f", "m"], n)})
    rate = np.where(df["night"] == "yes", 0.055, 0.025)
    t = rng.exponential(1 / rate)
    c = rng.uniform(2, 30, n)
    df["tenure_months"] = np.minimum(t, c).round(3)
    df["left"] = np.where(t <= c, "Yes", "No")
    return df


TRUTH = {"yes": 0.055, "no": 0.025}


@pytest.fixture(scope="module")
def fit():
    return fit_survival_table(survival_table(), "tenure_months", "left", id_column="emp", horizons=(3, 6, 12),
                              cv_splits=3)


def test_risks_are_monotone_and_recover_the_true_curve(fit):
    df = survival_table()
    risk = fit.model.predict_horizons(df)
    assert list(risk.columns) == ["attrition_risk_3m", "attrition_risk_6m", "attrition_risk_12m"]
    values = risk.to_numpy()
    assert (np.diff(values, axis=1) >= 0).all() and ((values > 0) & (values < 1)).all()
    for group, rate in TRUTH.items():
        mean = risk[df["night"] == group].mean()
        for h in (3, 6, 12):
            assert mean[f"attrition_risk_{h}m"] == pytest.approx(1 - np.exp(-rate * h), abs=0.05), (group, h)


def test_metrics_against_cox_and_kaplan_meier(fit):
    m = fit.model.metrics_
    assert 0.55 < m["cv_concordance"] < 0.75 and 0.55 < m["cox_cv_concordance"] < 0.75
    assert abs(m["cv_concordance"] - m["cox_cv_concordance"]) < 0.05  # the truth is proportional hazards
    for h in (3, 6, 12):
        assert m[f"cv_mean_attrition_risk_{h}m"] == pytest.approx(m[f"km_attrition_risk_{h}m"], abs=0.04)
    assert len(fit.cv) == 3 and fit.kaplan_meier["survival"].is_monotonic_decreasing
    assert fit.dropped == ["Gender"] and "Gender" not in fit.model.feature_names_in_
    assert "tenure_months" not in fit.model.feature_names_in_


def test_scores_carry_every_horizon_and_drivers(fit, tmp_path):
    df = survival_table(50, seed=3)
    scores = score_table(df, fit.model, id_column="emp", n_drivers=1)
    assert list(scores.columns[:5]) == ["employee_id", "attrition_risk", "attrition_risk_3m",
                                        "attrition_risk_6m", "attrition_risk_12m"]
    assert np.allclose(scores["attrition_risk"], scores["attrition_risk_12m"])
    contrib = fit.model.contributions(df)
    assert list(contrib.columns) == [*fit.model.feature_names_in_, "bias"]
    night = df["night"].eq("yes").to_numpy()
    assert contrib.loc[night, "night"].mean() > 0 > contrib.loc[~night, "night"].mean()
    loaded = FlatSurvivalModel.load(fit.model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.predict_horizons(df), fit.model.predict_horizons(df))


def test_days_unit_and_default_horizons():
    df = survival_table(400, seed=1)
    df["tenure_days"] = df.pop("tenure_months") * 30.4375
    X, _ = flat_features(df, target="left", id_column="emp", drop=["tenure_days"])
    d, e = survival_target(df, "tenure_days", "left")
    model = FlatSurvivalModel(duration_unit="days").fit(X, d, e)
    assert model.horizon_columns() == ["attrition_risk_90d", "attrition_risk_180d", "attrition_risk_365d"]
    assert (np.diff(model.predict_survival(X), axis=1) >= 0).all()


@pytest.mark.parametrize(("change", "column", "message"), [
    (lambda df: df.drop(columns="tenure_months"), "tenure_months", "no duration column"),
    (lambda df: df.assign(tenure_months=df["tenure_months"].where(df.index > 2)), "tenure_months", "no duration"),
    (lambda df: df.assign(tenure_months=df["tenure_months"].astype(object).where(df.index > 1, "ten")),
     "tenure_months", "not a number"),
    (lambda df: df.assign(tenure_months=df["tenure_months"].where(df.index != 4, -1.0)), "tenure_months",
     "negative"),
    (lambda df: df.drop(columns="left"), "left", "no event column"),
    (lambda df: df.assign(left=df["left"].where(df.index != 0, "maybe")), "left", "distinct value"),
])
def test_bad_duration_or_event_columns_are_refused_clearly(change, column, message):
    df = change(survival_table(60))
    with pytest.raises(SchemaError, match=message) as info:
        fit_survival_table(df, "tenure_months", "left", id_column="emp", source="hr.csv", cv_splits=2)
    assert info.value.column == column and "hr.csv" in str(info.value)


def test_bad_horizons_are_refused():
    with pytest.raises(ConfigError, match="increasing"):
        fit_survival_table(survival_table(60), "tenure_months", "left", horizons=(6, 3))
