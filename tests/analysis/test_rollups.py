"""Team and site roll-ups: the leaver interval and the small-group suppression rule."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from attrition import ConfigError
from attrition.analysis._rollups import (
    _poisson_binomial_pmf,
    poisson_binomial_interval,
    rollup,
    summary,
    suppressed_groups,
)


def frame(sizes, parents=None, risk=0.1, seed=0):
    rng = np.random.default_rng(seed)
    teams = np.repeat([f"T{i}" for i in range(len(sizes))], sizes)
    out = pd.DataFrame({"employee_id": [f"E{i}" for i in range(len(teams))], "team_id": teams,
                        "attrition_risk": rng.uniform(0.01, 0.5, len(teams)) if risk is None else risk,
                        "risk_band": "low"})
    if parents is not None:
        out["site"] = np.repeat(parents, sizes)
    return out


def test_interval_is_the_binomial_one_for_equal_risks():
    e, lo, hi = poisson_binomial_interval([0.2] * 40, level=0.9)
    assert e == pytest.approx(8.0)
    assert (lo, hi) == (int(binom.ppf(0.05, 40, 0.2)), int(binom.ppf(0.95, 40, 0.2)))


def test_interval_matches_simulation_for_unequal_risks():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.6, 60)
    _, lo, hi = poisson_binomial_interval(p, level=0.9)
    draws = (rng.random((200_000, len(p))) < p).sum(axis=1)
    assert lo == int(np.quantile(draws, 0.05, method="inverted_cdf"))
    assert hi == int(np.quantile(draws, 0.95, method="inverted_cdf"))


def _pmf_over_every_count(p):
    pmf = np.zeros(len(p) + 1)
    pmf[0] = 1.0
    for i, pi in enumerate(p):
        pmf[1:i + 2] = pmf[1:i + 2] * (1 - pi) + pmf[:i + 1] * pi
        pmf[0] *= 1 - pi
    return pmf


@pytest.mark.parametrize("kind", ["small", "large", "certain", "tiny", "nan"])
def test_distribution_in_place_equals_the_recurrence(kind):
    """Written in place: the same distribution, bit for bit, as the recurrence with new arrays
    (tails underflowing to 0, risks of 0 and 1, a missing risk)."""
    rng = np.random.default_rng(len(kind))
    p = {"small": rng.beta(0.5, 8, 60), "large": rng.beta(0.5, 8, 3000), "tiny": rng.random(900) * 1e-6,
         "certain": np.r_[np.ones(400), rng.random(500), np.zeros(300), [0.5]],
         "nan": np.r_[rng.random(50), np.nan, rng.random(50)]}[kind]
    ours, theirs = _poisson_binomial_pmf(p), _pmf_over_every_count(p)
    assert np.array_equal(ours, theirs, equal_nan=True)


def test_normal_approximation_above_the_exact_limit(monkeypatch):
    import attrition.analysis._rollups as r

    p = np.random.default_rng(2).uniform(0, 0.3, 3000)
    exact = r.poisson_binomial_interval(p)
    monkeypatch.setattr(r, "EXACT_LIMIT", 100)
    approx = r.poisson_binomial_interval(p)
    assert approx[0] == exact[0] and abs(approx[1] - exact[1]) <= 1 and abs(approx[2] - exact[2]) <= 1


def test_small_team_is_pooled_never_shown():
    s = frame([8, 3, 9, 2])
    out = rollup(s, min_group_size=5)
    assert "T1" not in out["team_id"].tolist() and "T3" not in out["team_id"].tolist()
    pool = out[out["team_id"].str.startswith("Other (")]
    assert pool["headcount"].tolist() == [5] and pool["pooled_groups"].tolist() == [2]
    assert out["headcount"].sum() == len(s)
    assert suppressed_groups(s, "team_id") == {"T1", "T3"}


def test_a_small_pool_takes_the_next_smallest_group():
    """Total minus the shown teams must not reveal the lone small team."""
    s = frame([8, 1, 6, 9])
    out = rollup(s, min_group_size=5)
    assert out["team_id"].tolist() == ["T3", "T0", "Other (2 groups pooled)"]  # T1 with T2 (6)
    assert out["headcount"].tolist()[-1] == 7


def test_everyone_below_the_minimum_shows_nothing():
    s = frame([2, 2])
    assert rollup(s, min_group_size=5).empty
    assert summary(s, min_group_size=5)["suppressed"]


def test_min_group_size_is_configurable():
    s = frame([8, 3, 9])
    assert "T1" in rollup(s, min_group_size=3)["team_id"].tolist()
    assert "T1" not in rollup(s, min_group_size=4)["team_id"].tolist()


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(st.integers(1, 14), min_size=1, max_size=12),
       n_parents=st.integers(1, 3), min_size=st.integers(2, 8), data=st.data())
def test_no_shown_figure_or_difference_describes_a_small_group(sizes, n_parents, min_size, data):
    parents = [f"S{data.draw(st.integers(0, n_parents - 1))}" for _ in sizes]
    s = frame(sizes, parents)
    total = len(s)
    for parent in (None, "site"):
        out = rollup(s, "team_id", min_group_size=min_size, parent=parent)
        if total < min_size:
            assert out.empty
            continue
        assert (out["headcount"] >= min_size).all()
        assert out["headcount"].sum() == total
        shown = out[~out["team_id"].str.startswith("Other (")]
        rest = total - shown["headcount"].sum()
        assert rest == 0 or rest >= min_size  # total minus the shown teams
        if parent:  # a site's figure minus its shown teams
            sites = rollup(s, "site", min_group_size=min_size)
            for site, n in sites[~sites["site"].str.startswith("Other (")][["site", "headcount"]].values:
                in_site = shown.loc[shown["site"] == site, "headcount"].sum()
                assert n - in_site == 0 or n - in_site >= min_size
    assert "employee_id" not in rollup(s, min_group_size=min_size).columns


def test_rollup_figures():
    s = frame([6, 6], risk=None)
    s["risk_band"] = ["high", "low", "low", "low", "low", "low"] * 2
    s["quiet_quitting_band"] = ["in_state"] * 3 + ["high"] * 2 + ["low"] * 7
    out = rollup(s, min_group_size=5).set_index("team_id")
    t0 = s[s["team_id"] == "T0"]
    assert out.loc["T0", "expected_leavers"] == pytest.approx(t0["attrition_risk"].sum(), abs=0.01)
    assert out.loc["T0", "high_risk_share"] == pytest.approx(1 / 6, abs=1e-4)
    assert out.loc["T0", "quiet_quitting_share"] == 0.5 and out.loc["T1", "quiet_quitting_share"] == 0
    assert out.loc["T0", "leavers_low"] <= out.loc["T0", "expected_leavers"] <= out.loc["T0", "leavers_high"]


def test_dominant_drivers_rank_by_people_then_points():
    s = frame([5], risk=0.2)
    s["driver_1_feature"] = ["sched_late_changes_28d"] * 2 + ["wl_aht_28d"] * 3
    s["driver_1_points"] = [9.0, 8.0, 1.0, 1.0, -4.0]
    out = rollup(s, min_group_size=5, labels={"sched_late_changes_28d": "Late changes, last 28 days",
                                               "wl_aht_28d": "Handle time, last 28 days"})
    assert out.loc[0, "dominant_drivers"] == "Late changes (2); Handle time (2)"  # a tie: more points first
    s["driver_1_points"] = [9.0, 8.0, 1.0, 1.0, 1.0]
    out = rollup(s, min_group_size=5, labels={"sched_late_changes_28d": "Late changes, last 28 days",
                                               "wl_aht_28d": "Handle time, last 28 days"})
    assert out.loc[0, "dominant_drivers"] == "Handle time (3); Late changes (2)"  # the counts read in order


def test_dominant_drivers_read_once_equal_those_of_each_groups_frame():
    """The roll-up reads the driver columns once and takes each group's rows by position: the same
    text as reading each group's own frame (teams interleaved, pooled, missing and text sizes)."""
    from attrition.analysis._rollups import _assign, _dominant_drivers

    rng = np.random.default_rng(3)
    s = frame([7, 2, 9, 1, 12, 6], parents=["A", "A", "B", "B", "B", "A"], risk=None).sample(frac=1, random_state=4)
    feats = np.array(["sched_late_changes_28d", "sched_late_changes_91d", "wl_aht_28d", "tenure_days",
                      "abs_days_91d", "wl_aht_28d_vs_team"])
    for k in (1, 2, 3):
        s[f"driver_{k}_feature"] = rng.choice(feats, len(s))
        s[f"driver_{k}_points"] = rng.choice([-2.0, 0.0, 0.5, 1.0, 3.0, np.nan], len(s))
    s["driver_2_points"] = s["driver_2_points"].astype(object)
    s.loc[s.index[:3], "driver_2_points"] = ["n/a", "2.5", None]
    labels = {f: f.replace("_", " ") for f in feats}
    out = rollup(s, min_group_size=5, parent="site", labels=labels)
    display, _ = _assign(s, "team_id", 5, "site")
    expected = {name: _dominant_drivers(g, labels, 3) for name, g in s.groupby(display.to_numpy(), sort=False)}
    assert out["dominant_drivers"].tolist() == [expected[t] for t in out["team_id"]]
    assert len(set(out["dominant_drivers"])) > 1


def test_unknown_grouping_column():
    with pytest.raises(ConfigError, match="no 'site' column"):
        rollup(frame([5]), "site")


def test_quiet_quitting_prevalence_leaves_out_unknown_index():
    from attrition.analysis._rollups import quiet_quitting_prevalence

    s = pd.DataFrame({"quiet_quitting_band": ["in_state", "low", "unknown", "unknown"],
                      "quiet_quitting_index": [40.0, 5.0, np.nan, np.nan]})
    assert quiet_quitting_prevalence(s) == 0.5
    assert np.isnan(quiet_quitting_prevalence(s.iloc[2:]))


def test_team_table_cannot_be_subtracted_from_the_site_table():
    from attrition.analysis._rollups import nest_in_parents

    s = pd.DataFrame({"site": ["S"] * 4 + ["A"] * 13 + ["B"] * 12,
                      "team_id": ["s1"] * 4 + ["a1"] * 5 + ["a2"] * 8 + ["b1"] * 6 + ["b2"] * 6,
                      "attrition_risk": 0.1, "risk_band": "low"})
    s["employee_id"] = [f"E{i}" for i in range(len(s))]
    sites = rollup(s, "site", min_group_size=5)
    pooled_sites = sites.loc[sites["site"].astype(str).str.startswith("Other ("), "headcount"]
    assert pooled_sites.tolist() == [16]  # S (4) pooled with B (12)
    teams = rollup(nest_in_parents(s, "team_id", "site", 5), "team_id", min_group_size=5, parent="site")
    shown = set(teams["team_id"].astype(str))
    assert not shown & {"s1", "b1", "b2"}  # B's teams alone would give S away
    assert teams.set_index("team_id").loc["(teams of pooled sites)", "headcount"] == 16
    assert {"a1", "a2"} <= shown
