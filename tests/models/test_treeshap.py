"""TreeSHAP by decision pattern equals LightGBM's own ``pred_contrib=True`` bit for bit."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from attrition.models._treeshap import _distinct, pred_contrib


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[rng.random((n, 6)) < 0.15] = np.nan  # missing values in every column
    X[:, 2] = np.round(X[:, 2])  # many exact zeros (zero-as-missing splits)
    X[rng.random(n) < 0.3, 3] = 0.0
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["team"] = pd.Categorical(rng.choice(list("abcdef"), n))
    frame.loc[rng.random(n) < 0.05, "team"] = np.nan
    signal = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2])
              + frame["team"].isin(["a", "c"]).to_numpy() + rng.normal(size=n))
    return frame, (signal > 0.3).astype(int)


@pytest.mark.parametrize("params", [
    {"num_leaves": 15},
    {"num_leaves": 4, "min_data_in_leaf": 5},
    {"num_leaves": 31, "zero_as_missing": True},
    {"num_leaves": 7, "use_missing": False},
    {"num_leaves": 15, "max_depth": 3},
])
def test_pred_contrib_equals_lightgbm_bit_for_bit(params):
    X, y = _frame(1500, seed=3)
    booster = lgb.train({"objective": "binary", "verbose": -1, "seed": 0, **params},
                        lgb.Dataset(X, y), num_boost_round=40)
    expected = booster.predict(X, pred_contrib=True)
    got = pred_contrib(booster, X, min_rows=1, check=False)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)  # every bit, not within a tolerance
    # rows scored alone give the same numbers (a row's contributions depend on that row only)
    assert np.array_equal(pred_contrib(booster, X.iloc[:40], min_rows=1, check=False), expected[:40])


def test_pred_contrib_follows_the_best_iteration():
    X, y = _frame(1200, seed=4)
    valid, yv = _frame(400, seed=5)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 200,
                        valid_sets=[lgb.Dataset(valid, yv)],
                        callbacks=[lgb.early_stopping(5, verbose=False)])
    assert 0 < booster.best_iteration < 200
    assert np.array_equal(pred_contrib(booster, valid, min_rows=1, check=False),
                          booster.predict(valid, pred_contrib=True))


def test_few_rows_and_unsupported_models_use_lightgbm_itself():
    X, y = _frame(600, seed=6)
    multi = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "num_leaves": 4},
                      lgb.Dataset(X, y + (X["x0"] > 1).to_numpy()), 5)
    assert np.array_equal(pred_contrib(multi, X, min_rows=1), multi.predict(X, pred_contrib=True))
    binary = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(X, y), 5)
    assert np.array_equal(pred_contrib(binary, X), binary.predict(X, pred_contrib=True))  # < min_rows


def test_infinite_values_follow_lightgbm_at_infinite_thresholds():
    # Missingness carries the signal, so LightGBM splits at a threshold of +inf, which
    # dump_model writes as 1e300; an infinite value goes left there.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    X[rng.random(2000) < 0.3, 0] = np.nan
    y = (np.isnan(X[:, 0]) ^ (X[:, 1] > 0)).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 20)
    assert "inf" in booster.model_to_string()
    Z = X.copy()
    Z[100:200, 0] = np.inf  # beyond the first rows the call checks
    Z[200:300, 1] = -np.inf
    assert np.array_equal(pred_contrib(booster, Z, min_rows=1, check=False), booster.predict(Z, pred_contrib=True))


def test_values_within_lightgbms_zero_threshold_are_read_as_zero():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    X[rng.random(2000) < 0.4, 0] = 0.0  # many exact zeros: splits at about +-1e-35
    y = ((X[:, 0] != 0) ^ (X[:, 1] > 0)).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 20)
    Z = X[:400].copy()
    tiny = np.float64(np.float32(1e-35))
    Z[100:200, 0] = -tiny
    Z[200:300, 0] = tiny
    Z[300:, 0] = -0.0
    before = Z.copy()
    assert np.array_equal(pred_contrib(booster, Z, min_rows=1, check=False), booster.predict(Z, pred_contrib=True))
    assert np.array_equal(Z, before)  # the caller's values are not changed


def test_the_check_covers_the_first_rows_each_features_extremes_and_infinite_rows():
    from attrition.models._treeshap import CHECK_ROWS, _check_rows

    X = np.zeros((100, 2))
    X[50, 0], X[60, 0], X[70, 1] = -5.0, 7.0, np.inf
    X[:, 1][80] = np.nan
    rows = _check_rows(X)
    assert set(range(CHECK_ROWS)) <= set(rows)
    assert {50, 60, 70} <= set(rows)
    assert list(rows) == sorted(set(rows))


def test_linear_trees_are_left_to_lightgbm_which_refuses_them(monkeypatch):
    from attrition.models import _treeshap

    X, y = _frame(600, seed=8)
    X = X.drop(columns=["team"]).fillna(0.0)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4, "linear_tree": True},
                        lgb.Dataset(X, y), 5)
    assert _treeshap._linear(booster.dump_model())  # the dump has no model-wide flag: its leaves tell
    monkeypatch.setattr(_treeshap, "_add_tree", lambda *a: pytest.fail("a linear tree went per pattern"))
    with pytest.raises(lgb.basic.LightGBMError, match="linear trees"):  # LightGBM's own answer
        pred_contrib(booster, X, min_rows=1, check=False)


def test_patterns_are_numbered_by_first_appearance_and_each_row_finds_its_own():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 40, 500) * 7919  # repeated decision-pattern codes, in no order
    first, inverse = _distinct(codes)
    assert np.array_equal(codes[first][inverse], codes)  # every row gets its own pattern back
    assert np.array_equal(np.sort(codes[first]), np.unique(codes))  # each distinct code once
    assert np.all(np.diff(first) > 0) and first[0] == 0  # first rows, in order of appearance
    assert all(inverse[f] == k for k, f in enumerate(first))


@pytest.mark.parametrize("min_patterns", [0, 10**9])  # patterns in classes node by node / each its own
@pytest.mark.parametrize("params", [
    {"num_leaves": 31, "min_data_in_leaf": 3, "max_depth": -1},  # deep, lopsided trees
    {"num_leaves": 15, "max_bin": 7},  # few bins: a feature split again and again on one path
    {"num_leaves": 31, "zero_as_missing": True, "min_data_in_leaf": 3},
])
def test_both_ways_of_running_the_recursion_equal_lightgbm_bit_for_bit(monkeypatch, params, min_patterns):
    from attrition.models import _treeshap

    monkeypatch.setattr(_treeshap, "_CLASS_MIN_PATTERNS", min_patterns)
    rng = np.random.default_rng(11)
    X, y = _frame(2500, seed=12)
    X = X[["x0", "x1", "x2", "team"]]  # few features: every path repeats some
    booster = lgb.train({"objective": "binary", "verbose": -1, "seed": 0, **params}, lgb.Dataset(X, y), 25)
    leaves = [int(info["num_leaves"]) for info in booster.dump_model()["tree_info"]]
    assert max(leaves) > 8  # trees large enough to make many patterns
    shuffled = X.iloc[rng.permutation(len(X))]
    expected = booster.predict(shuffled, pred_contrib=True)
    assert np.array_equal(pred_contrib(booster, shuffled, min_rows=1, check=False), expected)


def test_a_tree_repeating_a_feature_on_its_paths_is_run_on_classes_of_patterns(monkeypatch):
    from attrition.models import _treeshap
    from attrition.models._treeshap import _leaf_terms, _refine, _Tree

    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 2))
    y = ((X[:, 0] > 0.3) ^ (X[:, 0] > -0.5) ^ (X[:, 1] > 0)).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 15, "min_data_in_leaf": 2},
                        lgb.Dataset(X, y), 3)
    info = booster.dump_model()["tree_info"][0]
    tree = _Tree(info)
    assert len({int(n["split_feature"]) for n in tree.nodes.values()}) < len(tree.nodes)  # repeats
    left = rng.random((300, 64)) < 0.5  # 300 random decision patterns (columns past the nodes unused)
    by_class = _leaf_terms(tree, left)
    monkeypatch.setattr(_treeshap, "_CLASS_MIN_PATTERNS", 10**9)
    one_by_one = _leaf_terms(tree, left)
    assert [(c, f) for c, f, _ in by_class] == [(c, f) for c, f, _ in one_by_one]
    for (_, _, a), (_, _, b) in zip(by_class, one_by_one, strict=True):
        assert all(np.array_equal(x, z) and x.shape == (300,) for x, z in zip(a, b, strict=True))
    # classes only ever split: a pattern's new class determines its old class and its decision
    classes = np.zeros(300, dtype=np.int64)
    for k in range(6):
        new, old, goes = _refine(classes, left[:, k])
        assert np.array_equal(old[new], classes) and np.array_equal(goes[new], left[:, k])
        assert len(old) == len(np.unique(classes * 2 + left[:, k]))
        classes = new
