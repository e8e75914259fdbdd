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
    one_blas_thread,
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


def _scikit_learn_pipeline(X, y, numeric, categorical, C=0.1):
    """The logistic baseline as one scikit-learn pipeline, median imputation and flags included
    (how it was built before the medians were taken out of it)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def frame(X):
        out = X.loc[:, categorical + numeric].copy()
        for c in categorical:
            out[c] = out[c].astype(object).where(out[c].notna(), "(missing)").astype(str)
        for c in numeric:
            out[c] = pd.to_numeric(out[c], errors="raise").astype("float64")
        return out

    prep = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
         ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), categorical)], remainder="drop")
    lr = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-6, max_iter=100)
    pipe = Pipeline([("prep", prep), ("lr", lr)]).fit(frame(X), y)
    return pipe, frame


@pytest.mark.parametrize("n", [401, 600])  # odd and even counts of known values: one or two middle values
def test_logistic_equals_the_scikit_learn_pipeline_with_its_imputer(n):
    """Medians and missing-value flags computed before the pipeline: the same design matrix, the same
    coefficients and risks, bit for bit, as SimpleImputer(strategy="median", add_indicator=True)."""
    X, y = _frame(n, seed=n)
    rng = np.random.default_rng(n)
    X["whole"] = rng.integers(0, 5, n).astype(float)  # ties at the median
    X.loc[rng.random(n) < 0.3, "whole"] = np.nan
    X["full"] = rng.normal(size=n)  # never missing: no flag
    X["kind"] = pd.Series(rng.choice(["a", "b", "c", None], n), dtype=object)
    X.loc[:3, "kind"] = "rare"  # under min_frequency
    base = LogisticBaseline().fit(X, y)
    pipe, frame = _scikit_learn_pipeline(X, y, base.numeric_, base.categorical_)
    test = X.sample(frac=1.0, random_state=2)
    test.loc[test.index[:5], "night_share"] = np.nan
    assert np.array_equal(base.design(test), pipe[:-1].transform(frame(test)))
    assert np.array_equal(base.model_.coef_, pipe[-1].coef_)
    assert np.array_equal(base.predict_risk(test), pipe.predict_proba(frame(test))[:, 1])
    assert base.flagged_.tolist() == [c in ("night_share", "whole") for c in base.numeric_]


def _column_transformer_fit(base, X, y):
    """The logistic baseline's scaler, encoder and solver as one scikit-learn pipeline over its
    inputs' frame (how the baseline fitted before its design was built in one buffer)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [("num", StandardScaler(), base._numeric_inputs()),
         ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), base.categorical_)],
        remainder="drop")
    lr = LogisticRegression(C=base.C, solver="newton-cholesky", tol=1e-6, max_iter=100)
    return Pipeline([("prep", prep), ("lr", lr)]).fit(base._frame(X), y)


@pytest.mark.parametrize("shape", ["dense", "sparse", "numbers only", "categories only", "one level"])
def test_logistic_design_is_the_column_transformers_bit_for_bit(shape, monkeypatch):
    """The design built in one buffer, a few rows at a time, is the matrix scikit-learn's
    ColumnTransformer of the scaler and the one-hot encoder stacks (dense, or sparse when it would
    be), and the coefficients, intercept and risks fitted on it are the pipeline's, bit for bit."""
    import attrition.models._baselines as baselines

    monkeypatch.setattr(baselines, "_DESIGN_ROWS", 97)  # many chunks, the last one short
    X, y = _frame(1000, seed=7)
    rng = np.random.default_rng(7)
    X["whole"] = rng.integers(0, 5, len(X)).astype(float) * 1e3
    X.loc[rng.random(len(X)) < 0.3, "whole"] = np.nan
    X["kind"] = pd.Series(rng.choice(["a", "b", "c", None], len(X)), dtype=object)
    if shape == "sparse":  # one number among many one-hot columns: sparse output
        X["many"] = pd.Series(rng.integers(0, 60, len(X)).astype(str), dtype=object)
        X = X[["night_share", "site", "kind", "many"]]
    elif shape == "numbers only":
        X = X[["tenure_days", "night_share", "whole"]]
    elif shape == "categories only":
        X = X[["site", "kind"]]
    elif shape == "one level":  # one one-hot column beside the numbers: np.hstack stays column-major
        X = X[["tenure_days", "night_share", "whole"]].assign(
            only=pd.Series(["x"] * len(X), dtype=object, index=X.index))
    base = LogisticBaseline().fit(X, y)
    with one_blas_thread():  # the baseline's own setting: BLAS products round by the thread count
        pipe = _column_transformer_fit(base, X, y)
    assert base.sparse_output_ == pipe[0].sparse_output_ == (shape in ("sparse", "categories only"))
    test = X.sample(frac=1.0, random_state=3)
    if "night_share" in test:
        test.loc[test.index[:7], "night_share"] = np.nan
    with one_blas_thread():
        ours, theirs = base.design(test), pipe[0].transform(base._frame(test))
        their_risk = pipe.predict_proba(base._frame(test))[:, 1]
    if base.sparse_output_:
        ours, theirs = ours.toarray(), theirs.toarray()
    else:
        assert (ours.flags.c_contiguous, ours.flags.f_contiguous) == (
            theirs.flags.c_contiguous, theirs.flags.f_contiguous)  # products round by the layout
    assert np.array_equal(ours, theirs)
    assert np.array_equal(base.model_.coef_, pipe[-1].coef_)
    assert np.array_equal(base.model_.intercept_, pipe[-1].intercept_)
    assert np.array_equal(base.predict_risk(test), their_risk)


def test_logistic_design_needs_a_fitted_baseline():
    with pytest.raises(NotFittedError, match="not fitted"):
        LogisticBaseline().design(_frame(10, seed=0)[0])


def test_logistic_is_the_penalised_objectives_minimum():
    """The solver runs to the minimum of the L2-penalised log loss, not to a loose stopping rule:
    the objective's gradient at the fitted coefficients is zero to 1e-6 per row (scikit-learn's
    default L-BFGS, tol 1e-4, stopped at 2e-5 on this frame)."""
    X, y = _frame(3000, seed=1)
    rng = np.random.default_rng(1)
    for j in range(8):  # columns of very different scales, as the snapshot features have
        X[f"z{j}"] = rng.normal(size=len(X)) * 10.0 ** (j % 4)
    base = LogisticBaseline().fit(X, y)
    design = base.design(X)
    lr = base.model_
    residual = lr.predict_proba(design)[:, 1] - y
    gradient = np.append(design.T @ residual + lr.coef_.ravel() / base.C, residual.sum())
    assert np.abs(gradient).max() / len(y) < 1e-6


def test_logistic_fits_on_one_blas_thread_whatever_the_callers_limit():
    """The solver runs on one BLAS thread inside fit and predict, so the caller's thread count does
    not reach the coefficients (OpenBLAS rounds some products differently on several threads)."""
    from threadpoolctl import threadpool_limits

    X, y = _frame(3000, seed=5)
    fits = []
    for n in (1, 2):
        with threadpool_limits(limits=n, user_api="blas"):
            base = LogisticBaseline().fit(X, y)
            fits.append((base.model_.coef_.copy(), base.predict_risk(X)))
    assert np.array_equal(fits[0][0], fits[1][0]) and np.array_equal(fits[0][1], fits[1][1])


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
