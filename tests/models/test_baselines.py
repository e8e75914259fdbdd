"""Baselines: what they predict, on small hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from attrition.exceptions import NotFittedError, SchemaError
from attrition.models._baselines import (
    BASELINES,
    ClassPriorBaseline,
    LogisticBaseline,
    TenureBaseline,
    baseline_models,
)


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "tenure_days": rng.integers(1, 2000, n).astype(float),
        "night_share": rng.random(n),
        "site": pd.Categorical(rng.choice(["north", "south", "remote"], n)),
        "empty": np.nan,
    })
    X.loc[rng.random(n) < 0.2, "night_share"] = np.nan
    logit = -2 + 2.5 * X["night_share"].fillna(0.5) + 1.2 * (X["site"] == "remote") - 0.0008 * X["tenure_days"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def test_class_prior_is_the_training_rate():
    X, y = _frame()
    risk = ClassPriorBaseline().fit(X, y).predict_risk(X.head(3))
    assert risk.tolist() == [pytest.approx(y.mean())] * 3


def test_tenure_only_uses_only_tenure():
    X, y = _frame()
    base = TenureBaseline().fit(X, y)
    shuffled = X.assign(night_share=X["night_share"].sample(frac=1, random_state=1).to_numpy())
    np.testing.assert_allclose(base.predict_risk(X), base.predict_risk(shuffled))
    with pytest.raises(SchemaError, match="tenure_days"):
        TenureBaseline().fit(X.drop(columns="tenure_days"), y)


def test_logistic_learns_numbers_categories_and_missing_values():
    X, y = _frame(2000)
    base = LogisticBaseline().fit(X.iloc[:1500], y[:1500])
    assert base.categorical_ == ["site"] and "empty" not in base.numeric_
    risk = base.predict_risk(X.iloc[1500:])
    assert roc_auc_score(y[1500:], risk) > 0.65
    # An unseen category and a missing value are scored, not refused.
    odd = X.iloc[:2].copy()
    odd["site"] = pd.Categorical(["moon", None])
    assert np.isfinite(base.predict_risk(odd)).all()


def test_logistic_needs_the_fitted_columns_and_a_fit():
    X, y = _frame()
    with pytest.raises(NotFittedError):
        LogisticBaseline().predict_risk(X)
    base = LogisticBaseline(features=["night_share", "site"]).fit(X, y)
    with pytest.raises(SchemaError, match="night_share"):
        base.predict_risk(X.drop(columns="night_share"))


def test_baseline_models_are_fresh_and_named():
    a, b = baseline_models(), baseline_models()
    assert tuple(a) == BASELINES
    assert a["logistic"] is not b["logistic"]


def test_training_run_reports_the_logistic_baseline(medium_model):
    m = medium_model.metrics_
    for key in ("lr_baseline_valid_roc_auc", "lr_baseline_valid_pr_auc", "lr_baseline_valid_brier"):
        assert np.isfinite(m[key])
    assert m["lr_baseline_valid_n"] == m["valid_n"]
    if m.get("valid_window_days_mean", medium_model.horizon_days) >= medium_model.horizon_days:
        assert m["prior_baseline_valid_roc_auc"] == 0.5  # one constant risk for every row
    else:  # purged windows: a constant hazard ranks rows only by the length of their window
        assert m["prior_baseline_valid_roc_auc"] < m["valid_roc_auc"]
    assert m["valid_brier"] < m["prior_baseline_valid_brier"]
