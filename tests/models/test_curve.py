"""The hazard curve by LightGBM's rule in numpy equals LightGBM's month-by-month predictions bit for bit."""

from __future__ import annotations

import copy
import logging

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from attrition.models import _curve
from attrition.models._baselines import LogisticBaseline
from attrition.models._curve import monthly_raw_scores
from attrition.models._survival import MONTH_DAYS, advance_tenure


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Tenure columns as :meth:`AttritionModel.prepare` gives them, missing values, a categorical."""
    rng = np.random.default_rng(seed)
    tenure = np.round(rng.gamma(1.2, 300.0, n))
    tenure[rng.random(n) < 0.05] = np.nan
    tenure[:5] = [0.0, 90.0, 90.0 - MONTH_DAYS, 1.0, np.nan]  # early_tenure's edge, reached after a month
    X = pd.DataFrame({"tenure_days": tenure,
                      "early_tenure": np.where(np.isnan(tenure), np.nan, (tenure <= 90.0).astype(float)),
                      "log_tenure": np.log1p(np.clip(tenure, 0, None))})
    other = rng.normal(size=(n, 3))
    other[rng.random((n, 3)) < 0.1] = np.nan
    other[rng.random(n) < 0.2, 1] = 0.0  # zeros for zero-as-missing splits
    for i in range(3):
        X[f"x{i}"] = other[:, i]
    X["team"] = pd.Categorical(rng.choice(list("abcde"), n))
    X.loc[rng.random(n) < 0.05, "team"] = np.nan
    signal = (-np.log1p(np.nan_to_num(tenure, nan=200.0)) / 2 + np.nan_to_num(other[:, 0])
              + X["team"].isin(["a", "d"]).to_numpy() + rng.normal(size=n))
    return X, (signal > -2.2).astype(int)


def _month_by_month(booster, X: pd.DataFrame, months: int) -> np.ndarray:
    return np.vstack([booster.predict(advance_tenure(X, j * MONTH_DAYS), raw_score=True) for j in range(months)])


def _tenure_thresholds(booster) -> list[float]:
    """The thresholds of the splits on ``tenure_days``, exactly, from the model text."""
    out, feature = [], None
    for line in booster.model_to_string().splitlines():
        if line.startswith("split_feature="):
            feature = [int(v) for v in line[14:].split()]
        elif line.startswith("threshold=") and feature is not None:
            out += [float(v) for f, v in zip(feature, line[10:].split(), strict=True) if f == 0]
    return sorted(set(out))


@pytest.mark.parametrize("params", [
    {"num_leaves": 4, "min_data_in_leaf": 20},
    {"num_leaves": 15, "min_data_in_leaf": 5},
    {"num_leaves": 7, "zero_as_missing": True},
    {"num_leaves": 7, "use_missing": False},
    {"num_leaves": 4, "monotone_constraints": [-1, 1, -1, 0, 0, 0, 0], "max_cat_to_onehot": 8},
])
def test_curve_equals_lightgbm_month_by_month(params):
    X, y = _frame(1200, seed=1)
    booster = lgb.train({"objective": "binary", "verbose": -1, "seed": 0, **params}, lgb.Dataset(X, y), 60)
    assert _tenure_thresholds(booster), "the trees should split on tenure"
    # rows whose tenure lands exactly on a threshold in a later month, or sits on one now
    thresholds = _tenure_thresholds(booster)
    on = X.iloc[:len(thresholds) * 3].copy()
    tenure = [t - j * MONTH_DAYS for t in thresholds for j in (0, 1, 5)]
    on["tenure_days"] = tenure
    on["early_tenure"] = (on["tenure_days"] <= 90.0).astype(float)
    on["log_tenure"] = np.log1p(np.clip(on["tenure_days"], 0, None))
    rows = pd.concat([X, on], ignore_index=True)
    for months in (1, 12, 18):
        expected = _month_by_month(booster, rows, months)
        got = monthly_raw_scores(booster, rows, months, min_rows=1)
        assert got.shape == (months, len(rows))
        assert np.array_equal(got, expected)  # every bit


def test_curve_follows_the_best_iteration_and_needs_no_tenure_column():
    X, y = _frame(900, seed=2)
    valid, yv = _frame(400, seed=3)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 300,
                        valid_sets=[lgb.Dataset(valid, yv)], callbacks=[lgb.early_stopping(5, verbose=False)])
    assert 0 < booster.best_iteration < 300
    assert np.array_equal(monthly_raw_scores(booster, valid, 12, min_rows=1), _month_by_month(booster, valid, 12))
    # without tenure_days nothing moves: every month is month 0
    bare = X.drop(columns=["tenure_days"])
    b2 = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(bare, y), 20)
    got = monthly_raw_scores(b2, bare, 3, min_rows=1)
    assert np.array_equal(got, np.vstack([b2.predict(bare, raw_score=True)] * 3))


def test_one_leaf_trees_values_near_zero_and_infinite_tenure():
    X, y = _frame(600, seed=4)
    X.loc[10, "x1"] = 1e-40  # read as 0.0 by LightGBM
    X.loc[11, "tenure_days"] = np.inf
    X.loc[12, "tenure_days"] = -MONTH_DAYS  # 0.0 a month later
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4, "min_data_in_leaf": 400},
                        lgb.Dataset(X, y), 15)
    assert "num_leaves=1" in booster.model_to_string() or booster.num_trees() == 15
    assert np.array_equal(monthly_raw_scores(booster, X, 12, min_rows=1), _month_by_month(booster, X, 12))


def test_small_inputs_and_unsupported_models_are_predicted_month_by_month(monkeypatch):
    X, y = _frame(500, seed=5)
    linear = lgb.train({"objective": "binary", "verbose": -1, "linear_tree": True, "num_leaves": 4},
                       lgb.Dataset(X.drop(columns=["team"]), y), 10)
    rows = X.drop(columns=["team"])
    calls = []
    monkeypatch.setattr(_curve, "_numpy_scores", lambda *a: calls.append(a))
    assert np.array_equal(monthly_raw_scores(linear, rows, 12, min_rows=1), _month_by_month(linear, rows, 12))
    plain = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(X, y), 10)
    assert np.array_equal(monthly_raw_scores(plain, X.iloc[:10], 12), _month_by_month(plain, X.iloc[:10], 12))
    assert calls == []  # neither went through the numpy rule
    assert monthly_raw_scores(plain, X.iloc[:0], 12).shape == (12, 0)


def test_a_difference_from_lightgbm_falls_back_to_it(monkeypatch, caplog):
    X, y = _frame(800, seed=6)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(X, y), 30)
    expected = _month_by_month(booster, X, 12)
    real = _curve._numpy_scores

    def off_by_one_ulp_in_a_late_month(trees, XT, moving, months):
        out = real(trees, XT, moving, months)
        out[-1, 0] = np.nextafter(out[-1, 0], np.inf)  # row 0 is always checked
        return out

    monkeypatch.setattr(_curve, "_numpy_scores", off_by_one_ulp_in_a_late_month)
    with caplog.at_level(logging.WARNING, logger="attrition.models._curve"):
        got = monthly_raw_scores(booster, X, 12, min_rows=1)
    assert np.array_equal(got, expected)
    assert "month by month" in caplog.text


def test_the_hazard_model_curve_is_the_month_by_month_one(medium_snapshots, medium_model):
    rows = medium_snapshots.iloc[:200]
    prepared = medium_model.prepare(rows)

    def reference(model):
        return np.column_stack([model._calibrated(model._margin(advance_tenure(prepared, j * MONTH_DAYS)))
                                for j in range(13)])

    assert np.array_equal(medium_model._prepared_hazards(prepared, 13), reference(medium_model))
    # a model boosted from the logistic margin (an experiment): that margin moves with tenure as well
    boosted = copy.copy(medium_model)
    boosted.init_model_ = LogisticBaseline(features=list(prepared.columns)).fit(
        prepared, rows["label"].fillna(0).astype(int).to_numpy())
    assert np.array_equal(boosted._prepared_hazards(prepared, 13), reference(boosted))


def test_the_float_matrix_gives_the_frames_curve():
    """monthly_raw_scores of LightGBM's float matrix of a frame (AttritionModel.design) equals the
    frame's, by the numpy rule and month by month, check rows included."""
    from lightgbm.basic import _data_from_pandas

    X, y = _frame(900, seed=7)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(X, y), 30)
    matrix = _data_from_pandas(X, "auto", "auto", booster.pandas_categorical)[0]
    expected = _month_by_month(booster, X, 12)
    assert np.array_equal(monthly_raw_scores(booster, matrix, 12, min_rows=1), expected)
    assert np.array_equal(monthly_raw_scores(booster, matrix, 12, min_rows=10_000), expected)
    assert np.array_equal(matrix, _data_from_pandas(X, "auto", "auto", booster.pandas_categorical)[0],
                          equal_nan=True)  # the caller's matrix is not touched


def test_a_matrix_handed_over_is_read_in_place_with_the_same_curve():
    from lightgbm.basic import _data_from_pandas

    X, y = _frame(700, seed=8)
    X.loc[3, "x1"] = 1e-40  # LightGBM reads it as 0.0
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(X, y), 30)
    expected = _month_by_month(booster, X, 12)
    matrix = np.array(_data_from_pandas(X, "auto", "auto", booster.pandas_categorical)[0])
    kept = matrix.copy()
    assert np.array_equal(monthly_raw_scores(booster, matrix, 12, min_rows=1), expected)
    assert np.array_equal(matrix, kept, equal_nan=True)  # not handed over: untouched
    assert np.array_equal(monthly_raw_scores(booster, matrix, 12, min_rows=1, own=True), expected)
    assert matrix[3, list(X.columns).index("x1")] == 0.0  # handed over: set as LightGBM reads it
    assert np.array_equal(monthly_raw_scores(booster, X, 12, min_rows=1, own=True), expected)
    assert X.loc[3, "x1"] == 1e-40  # a frame is never written
