"""Fairness audit: per-group metrics, suppression, flags and proxies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from attrition import Config, build_snapshots
from attrition.analysis._fairness import (
    AGE_BANDS,
    DEFAULT_FAIRNESS_THRESHOLDS,
    _by_group,
    _metric_functions,
    _proxies,
    _rank_auc,
    age_band,
    audit_model,
    fairness_audit,
    fairness_thresholds,
    protected_groups,
)
from attrition.exceptions import ConfigError, LeakageError
from attrition.features import FeatureBuilder, default_builders
from attrition.models._model import out_of_time_split
from attrition.snapshots._build import feature_columns


def synthetic(n_per_group: int = 200, seed: int = 0):
    """Group 'a': risk ranks perfectly; group 'b': risk is noise; 'c': 3 people; 'd': 12 people
    (the next-smallest group, hidden with 'c' so that 'c' cannot be recovered by subtraction)."""
    rng = np.random.default_rng(seed)
    ga = np.array(["a"] * n_per_group + ["b"] * n_per_group + ["c"] * 9 + ["d"] * 12)
    y = (rng.random(len(ga)) < 0.3).astype(float)
    risk = np.where(ga == "a", 0.1 + 0.5 * y, rng.uniform(0.1, 0.6, len(ga)))
    ids = np.concatenate([np.arange(2 * n_per_group), [9001, 9002, 9003] * 3,
                          np.arange(5000, 5012)])  # c: 3 people, 9 rows
    return y, risk, pd.DataFrame({"gender": ga}), ids


def test_metrics_by_group_match_a_direct_computation():
    y, risk, groups, ids = synthetic()
    audit = fairness_audit(y, risk, groups, high_threshold=0.4, ids=ids)
    table = audit.to_frame().set_index("group")
    for g in ("a", "b"):
        m = groups["gender"].to_numpy() == g
        r = table.loc[g]
        assert r["n_employees"] == m.sum() and r["n_rows"] == m.sum()
        assert r["roc_auc"] == pytest.approx(roc_auc_score(y[m], risk[m]))
        assert r["mean_risk"] == pytest.approx(risk[m].mean())
        assert r["observed_rate"] == pytest.approx(y[m].mean())
        assert r["calibration_gap"] == pytest.approx(risk[m].mean() - y[m].mean())
        assert r["flagged_share"] == pytest.approx((risk[m] >= 0.4).mean())
        leavers = m & (y == 1)
        assert r["false_negative_rate"] == pytest.approx((risk[leavers] < 0.4).mean())
    assert table.loc["a", "roc_auc"] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_figures_by_group_equal_fairlearns_metricframe(seed):
    """The audit computes each group's figures itself: the same numbers, bit for bit, as fairlearn's
    MetricFrame (which it used to call) on the same metrics and per-row parameters — groups unsorted
    in the rows, one without leavers, one of a single row, ties in the risk, a threshold per row."""
    from fairlearn.metrics import MetricFrame

    rng = np.random.default_rng(seed)
    n = 500
    sens = rng.choice(["m", "f", "x", "missing", "25-34"], n, p=[0.4, 0.4, 0.05, 0.1, 0.05])
    sens[7] = "solo"
    y = ((rng.random(n) < 0.25) & (sens != "x")).astype(float)
    risk = np.round(rng.uniform(0, 1, n), 2)  # ties
    high = np.where(rng.random(n) < 0.5, 0.3, 0.6)
    ids = rng.integers(0, 120, n).astype(str)
    params = {"n_employees": {"ids": ids}, "flagged_share": {"high": high}, "false_negative_rate": {"high": high}}
    ours = _by_group(_metric_functions(risk), y, risk, sens, params)
    ours.index.name = "gender"
    theirs = MetricFrame(metrics=_metric_functions(risk), y_true=y, y_pred=risk,
                         sensitive_features={"gender": sens}, sample_params=params).by_group
    pd.testing.assert_frame_equal(ours, theirs.astype("float64"), check_exact=True, check_index_type=False)
    assert np.isnan(ours.loc["x", "roc_auc"]) and ours.loc["solo", "n_rows"] == 1.0


def _proxies_one_by_one(features, groups, ids, min_group_size):
    """The proxy screen as it was: every feature ranked again for every attribute, a category's
    share by a pandas group-by."""
    from scipy.stats import rankdata

    rows = []
    for attr in groups.columns:
        sens = groups[attr].astype(str).to_numpy()
        counts = pd.Series(ids).groupby(sens).nunique()
        candidates = [g for g, c in counts.items() if c >= max(min_group_size, 30) and g != "missing"]
        if len(candidates) < 2:
            continue
        for col in features.columns:
            x = features[col]
            is_cat = (isinstance(x.dtype, pd.CategoricalDtype) or x.dtype == object
                      or pd.api.types.is_string_dtype(x.dtype))
            if is_cat:
                keys = x.astype(object).where(x.notna(), "__missing__").astype(str).to_numpy()
            else:
                vals = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64")
                if not np.isfinite(vals).any() or np.nanstd(vals) == 0:
                    continue
                ranks = rankdata(np.where(np.isnan(vals), np.nanmin(vals) - 1.0, vals))
            best = (0.5, "")
            for g in candidates:
                target = sens == g
                if is_cat:
                    score = pd.Series(target.astype(float)).groupby(keys).transform("mean").to_numpy()
                    auc = _rank_auc(target, score)
                else:
                    auc = _rank_auc(target, ranks=ranks)
                auc = max(auc, 1.0 - auc)
                if auc > best[0]:
                    best = (float(auc), g)
            rows.append({"feature": col, "attribute": attr, "group": best[1], "proxy_auc": best[0]})
    out = pd.DataFrame(rows, columns=["feature", "attribute", "group", "proxy_auc"])
    return out.sort_values("proxy_auc", ascending=False, kind="stable").reset_index(drop=True)


def test_proxy_screen_equals_the_screen_feature_by_feature_and_attribute():
    """Each feature is ranked (or its categories counted) once for every attribute: the same table."""
    rng = np.random.default_rng(4)
    n = 900
    groups = pd.DataFrame({"gender": rng.choice(["f", "m", "x", "missing"], n, p=[.45, .45, .05, .05]),
                           "age_band": rng.choice(["<25", "25-34", "35-44"], n)})
    num = rng.normal(size=n) + (groups["gender"] == "f") * 0.8
    num[rng.random(n) < 0.1] = np.nan
    features = pd.DataFrame({
        "num": num, "flat": np.ones(n), "empty": np.full(n, np.nan), "ints": rng.integers(0, 4, n),
        "cat": pd.Categorical(rng.choice(["a", "b", None], n)),
        "obj": np.where(groups["age_band"] == "<25", "young", rng.choice(["p", "q"], n)).astype(object),
    })
    ids = rng.integers(0, 400, n)
    ours = _proxies(features, groups, ids, 5)
    pd.testing.assert_frame_equal(ours, _proxies_one_by_one(features, groups, ids, 5), check_exact=True)
    assert {"num", "ints", "cat", "obj"} <= set(ours["feature"]) and "flat" not in set(ours["feature"])


def test_small_groups_are_suppressed_by_people_not_rows():
    y, risk, groups, ids = synthetic()
    table = fairness_audit(y, risk, groups, high_threshold=0.4, ids=ids).to_frame().set_index("group")
    # 'c' has 9 rows but 3 employees: every figure, counts included, is hidden
    assert table.loc["c", "suppressed"]
    assert table.loc["c"].drop(["attribute", "suppressed"]).isna().all()
    assert not table.loc[["a", "b"], "suppressed"].any()
    # 'd' (12 people) is hidden too: the shown groups and the total would give 'c' away
    assert table.loc["d", "suppressed"] and np.isnan(table.loc["d", "n_rows"])
    # counted by rows it would have been shown
    rows = fairness_audit(y, risk, groups, high_threshold=0.4).to_frame().set_index("group")
    assert not rows.loc["c", "suppressed"]


def test_a_missing_group_value_is_its_own_group_not_dropped():
    y, risk, groups, ids = synthetic()
    groups = groups.astype(object)
    attr = groups.columns[0]
    groups.loc[groups.index[:40], attr] = None
    table = fairness_audit(y, risk, groups, high_threshold=0.4, min_group_size=1).to_frame()
    mine = table.loc[table["attribute"] == attr].set_index("group")
    assert "missing" in mine.index and mine.loc["missing", "n_rows"] == 40
    assert mine["n_rows"].sum() == len(y)  # every row counted once


def test_disparities_are_flagged_and_thresholds_configurable():
    y, risk, groups, ids = synthetic()
    audit = fairness_audit(y, risk, groups, high_threshold=0.4, ids=ids)
    auc_flags = [f for f in audit.flags if "ROC AUC differs" in f]
    assert len(auc_flags) == 1 and "gender" in auc_flags[0] and "a 1.00" in auc_flags[0]
    assert not any("= c" in f or "(c " in f for f in audit.flags)  # suppressed groups never flagged
    relaxed = fairness_audit(y, risk, groups, high_threshold=0.4, ids=ids,
                             thresholds={"max_auc_gap": 0.9, "max_fnr_gap": 1.0,
                                         "min_flagged_ratio": 0.0, "max_calibration_gap": 1.0})
    assert relaxed.flags == []


def test_calibration_and_flagged_share_flags():
    rng = np.random.default_rng(1)
    g = np.array(["x"] * 300 + ["y"] * 300)
    y = (rng.random(600) < 0.1).astype(float)
    risk = np.where(g == "x", 0.1, 0.4)  # y's risk over-stated fourfold
    audit = fairness_audit(y, risk, pd.DataFrame({"gender": g}), high_threshold=0.3)
    assert any(f.startswith("gender = y: the model over-states risk") for f in audit.flags)
    assert any("share flagged high risk ranges from 0.0% (x) to 100.0% (y)" in f for f in audit.flags)


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_text_features_are_screened_as_categories(dtype):
    rng = np.random.default_rng(4)
    n = 400
    g = rng.choice(["f", "m"], n)
    values = np.where(g == "f", "north", "south").astype(object)
    feats = pd.DataFrame({"site": pd.Series(values, dtype=dtype)})
    audit = fairness_audit((rng.random(n) < 0.2).astype(float), rng.random(n), pd.DataFrame({"gender": g}),
                           high_threshold=0.5, features=feats)
    assert any(f.startswith("proxy:") and "'site'" in f for f in audit.flags)


def test_proxy_features_are_flagged():
    rng = np.random.default_rng(2)
    n = 600
    g = rng.choice(["f", "m"], n)
    feats = pd.DataFrame({
        "proxy": (g == "f") + rng.normal(0, 0.3, n),
        "noise": rng.normal(0, 1, n),
        "site": pd.Categorical(np.where(g == "f", "north", "south")),
    })
    y = (rng.random(n) < 0.2).astype(float)
    audit = fairness_audit(y, rng.random(n), pd.DataFrame({"gender": g}), high_threshold=0.5,
                           features=feats)
    flagged = {f.split("'")[1] for f in audit.flags if f.startswith("proxy:")}
    assert flagged == {"proxy", "site"}
    assert audit.proxies.set_index("feature").loc["noise", "proxy_auc"] < 0.6


def test_age_bands_at_the_as_of_date():
    assert [b[2] for b in AGE_BANDS] == ["<25", "25-34", "35-44", "45-54", "55+"]
    years = [2000, 1999, 1990, 1980, 1970, 1969, None]
    got = age_band(years, pd.to_datetime(["2024-01-31"] * 7)).tolist()
    assert got == ["<25", "25-34", "25-34", "35-44", "45-54", "55+", "missing"]
    # the same person changes band as time passes
    assert age_band([2000, 2000], pd.to_datetime(["2024-12-31", "2025-01-31"])).tolist() == ["<25", "25-34"]


def test_to_dict_is_json_and_has_the_api():
    y, risk, groups, ids = synthetic()
    audit = fairness_audit(y, risk, groups, high_threshold=0.4, ids=ids)
    data = json.loads(json.dumps(audit.to_dict(), allow_nan=False))
    assert {"groups", "proxies", "flags", "thresholds", "min_group_size"} <= set(data)
    assert data["flags"] == audit.flags and isinstance(audit.flags[0], str)
    assert data["thresholds"] == DEFAULT_FAIRNESS_THRESHOLDS


def test_config_fairness_thresholds_are_validated():
    assert Config.from_dict({"fairness": {"max_auc_gap": 0.05}}).fairness == {"max_auc_gap": 0.05}
    with pytest.raises(ConfigError, match="unknown threshold 'max_auc'"):
        Config.from_dict({"fairness": {"max_auc": 0.05}})
    with pytest.raises(ConfigError, match="from 0 to 1"):
        Config.from_dict({"fairness": {"max_auc_gap": 2}})
    assert fairness_thresholds() == DEFAULT_FAIRNESS_THRESHOLDS


def test_audit_of_a_trained_model(medium, medium_snapshots, medium_model):
    _, valid = out_of_time_split(medium_snapshots["as_of"], medium_snapshots["label"].notna(), 90, 3)
    rows = medium_snapshots.loc[valid]
    audit = audit_model(medium_model, rows, medium.tables.employees)
    table = audit.to_frame()
    assert set(table["attribute"]) == {"gender", "age_band"}
    shown = table[~table["suppressed"]]
    assert (shown["n_employees"] >= 5).all()
    # per attribute, the shown groups' rows add up to at most the audited rows
    for _, part in table.groupby("attribute"):
        assert part["n_rows"].sum() <= len(rows)
    groups = protected_groups(rows, medium.tables.employees)
    assert len(groups) == len(rows) and set(groups.columns) == {"gender", "age_band"}


def test_protected_attributes_never_become_features(medium_snapshots):
    assert not {"birth_year", "gender"} & set(feature_columns(medium_snapshots))

    class Sneaky(FeatureBuilder):
        name = "sneaky"

        def build(self, tables, frame):
            emp = tables.employees.set_index("employee_id")
            return pd.DataFrame({"gender": emp["gender"].reindex(frame["employee_id"]).to_numpy()})

    from attrition import simulate

    centre = simulate(n_employees=30, months=4, seed=0)
    with pytest.raises(LeakageError, match="Protected attribute"):
        build_snapshots(centre.tables, builders=[*default_builders(), Sneaky()], labels=False)


def test_default_model_config_states_the_fairness_defaults():
    from pathlib import Path

    cfg = Config.from_file(Path(__file__).resolve().parents[2] / "models" / "attrition.toml")
    assert fairness_thresholds(cfg.fairness) == DEFAULT_FAIRNESS_THRESHOLDS
    assert (cfg.survey_privacy, cfg.min_group_size) == ("team", 5)


@pytest.mark.parametrize("seed", range(4))
def test_chance_differences_between_like_groups_are_not_flagged(seed):
    rng = np.random.default_rng(seed)
    n = 600
    g = rng.choice(["f", "m"], n)
    y = (rng.random(n) < 0.12).astype(float)  # ~36 leavers per group
    risk = np.clip(0.12 + 0.15 * (y - 0.12) + rng.normal(0, 0.08, n), 0.01, 0.99)
    audit = fairness_audit(y, risk, pd.DataFrame({"gender": g}), high_threshold=0.24)
    assert audit.flags == []


def test_high_threshold_per_row_and_no_all_nan_warning():
    """Pooled backtests pass each origin's own high threshold; a group without leavers warns nothing."""
    import warnings

    rng = np.random.default_rng(3)
    n = 600
    g = np.where(np.arange(n) < 300, "f", "m")
    y = ((rng.random(n) < 0.2) & (g == "f")).astype(float)  # no leaver among 'm'
    risk = rng.uniform(0.0, 0.6, n)
    high = np.where(np.arange(n) % 2 == 0, 0.2, 0.4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        audit = fairness_audit(y, risk, pd.DataFrame({"gender": g}), high_threshold=high)
    table = audit.to_frame().set_index("group")
    for grp in ("f", "m"):
        inside = g == grp
        assert table.loc[grp, "flagged_share"] == pytest.approx(np.mean(risk[inside] >= high[inside]))
    leavers = (g == "f") & (y == 1)
    assert table.loc["f", "false_negative_rate"] == pytest.approx(np.mean(risk[leavers] < high[leavers]))
    assert np.isnan(table.loc["m", "roc_auc"]) and np.isnan(table.loc["m", "false_negative_rate"])
    with pytest.raises(ValueError, match="one per row"):
        fairness_audit(y, risk, pd.DataFrame({"gender": g}), high_threshold=high[:10])


def test_weighted_auc_equals_auc_of_the_repeated_rows():
    from sklearn.metrics import roc_auc_score

    from attrition.analysis._fairness import _weighted_auc

    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.3).astype(float)
    p = np.round(rng.random(300), 2)  # plenty of ties
    weights = rng.integers(0, 4, size=(5, 300)).astype(float)
    got = _weighted_auc(y, p, weights)
    for b in range(5):
        reps = weights[b].astype(int)
        assert got[b] == pytest.approx(roc_auc_score(np.repeat(y, reps), np.repeat(p, reps)), abs=1e-12)
    assert np.isnan(_weighted_auc(np.zeros(4), np.arange(4.0), np.ones((1, 4))))[0]


def test_bootstrap_resamples_employees_not_rows():
    """Twelve identical months per person carry no more evidence than one: the cluster
    bootstrap's interval stays as wide as the one-row-per-person interval, while a row
    bootstrap would shrink it by about sqrt(12)."""
    from attrition.analysis._fairness import _intervals

    rng = np.random.default_rng(0)
    n = 200
    y = (rng.random(n) < 0.3).astype(float)
    p = np.clip(0.3 + 0.2 * (y - 0.3) + rng.normal(0, 0.15, n), 0.01, 0.99)
    sens = np.where(rng.random(n) < 0.5, "a", "b")
    high = np.full(n, 0.35)
    low1, up1 = _intervals(y, p, sens, ["a", "b"], high, ids=np.arange(n), n_boot=400)
    rep = 12
    lowr, upr = _intervals(np.repeat(y, rep), np.repeat(p, rep), np.repeat(sens, rep), ["a", "b"],
                           np.repeat(high, rep), ids=np.repeat(np.arange(n), rep), n_boot=400)
    width1 = (up1 - low1).to_numpy()
    widthr = (upr - lowr).to_numpy()
    assert np.all(widthr > 0.7 * width1)
    # and the interval covers the group's own figure
    share_a = float(np.mean(p[sens == "a"] >= 0.35))
    assert low1.loc["a", "flagged_share"] <= share_a <= up1.loc["a", "flagged_share"]
