"""The leaver forecast: Poisson-binomial sums, pooling as the roll-ups, planned hires, coverage."""

import numpy as np
import pandas as pd
import pytest

from attrition.analysis import (
    PlannedHire,
    check_planned_hires,
    forecast_coverage,
    forecast_leavers,
    leaver_forecast,
    poisson_binomial_interval,
    rollup,
)
from attrition.analysis._forecast import actual_exit_month
from attrition.exceptions import ConfigError, SchemaError
from attrition.models import ConstantHazardModel
from attrition.snapshots._build import population


def _rows():
    return pd.DataFrame({"team_id": ["a"] * 7 + ["b"] * 6 + ["c"] * 2, "site": ["x"] * 9 + ["y"] * 6})


def test_sums_and_intervals_are_poisson_binomial():
    rows = _rows()
    rng = np.random.default_rng(0)
    monthly = rng.uniform(0.0, 0.08, size=(len(rows), 4))
    cumulative = np.cumsum(monthly, axis=1)
    f = forecast_leavers(rows, cumulative, as_of="2025-06-30", min_group_size=5)
    total = f[f["level"] == "all"].set_index("months_ahead")
    for k in range(1, 5):
        exp, lo, hi = poisson_binomial_interval(monthly[:, k - 1])
        assert total.loc[k, "expected_leavers"] == pytest.approx(exp, abs=1e-3)
        assert (total.loc[k, "leavers_low"], total.loc[k, "leavers_high"]) == (lo, hi)
        c = poisson_binomial_interval(cumulative[:, k - 1])
        assert (total.loc[k, "cumulative_low"], total.loc[k, "cumulative_high"]) == c[1:]
    assert total["cumulative_expected_leavers"].is_monotonic_increasing
    assert list(total["month"]) == ["2025-07", "2025-08", "2025-09", "2025-10"]


def test_groups_are_pooled_as_the_rollups_pool():
    rows = _rows()
    cumulative = np.tile([0.1, 0.2], (len(rows), 1))
    f = forecast_leavers(rows, cumulative, as_of="2025-06-30", min_group_size=5)
    first = f[f["months_ahead"] == 1]
    scores = rows.assign(attrition_risk=0.1, risk_band="low")
    sites = rollup(scores, "site", min_group_size=5)
    assert sorted(first.loc[first["level"] == "site", "group"]) == sorted(sites["site"])
    teams = first[first["level"] == "team"]
    assert (teams["headcount"] >= 5).all() and teams["headcount"].sum() == len(rows)
    assert "c" not in set(teams["group"])  # two people: never shown alone


def test_nobody_shown_when_everyone_is_fewer_than_the_minimum():
    rows = pd.DataFrame({"team_id": ["a"] * 3, "site": ["x"] * 3})
    f = forecast_leavers(rows, np.full((3, 2), 0.1), as_of="2025-06-30", min_group_size=5)
    assert f.empty


def test_planned_hires_add_their_early_exits_to_their_team():
    rows = pd.DataFrame({"team_id": ["a"] * 6 + ["d"] * 6 + ["b"] * 6, "site": ["x"] * 12 + ["y"] * 6})
    cumulative = np.tile(np.arange(1, 4) * 0.01, (len(rows), 1))
    new_hire = np.array([0.2, 0.3, 0.35])
    plain = forecast_leavers(rows, cumulative, as_of="2025-06-30")
    hired = forecast_leavers(rows, cumulative, as_of="2025-06-30", new_hire=new_hire,
                             hires=[PlannedHire(2, "a", 10)])
    diff = (hired.set_index(["level", "group", "months_ahead"])["expected_leavers"]
            - plain.set_index(["level", "group", "months_ahead"])["expected_leavers"])
    # starting in month 2: 10 x 0.2 leave in month 2 and 10 x 0.1 in month 3, in team a, site x, all
    assert diff[("team", "a", 1)] == pytest.approx(0) and diff[("team", "a", 2)] == pytest.approx(2.0)
    assert diff[("team", "a", 3)] == pytest.approx(1.0) and diff[("site", "x", 3)] == pytest.approx(1.0)
    assert diff[("all", "All", 2)] == pytest.approx(2.0) and diff[("site", "y", 2)] == pytest.approx(0)
    row = hired.set_index(["level", "group", "months_ahead"]).loc[("team", "a", 2)]
    assert row["planned_hires"] == 10 and row["expected_hire_leavers"] == pytest.approx(2.0)


def test_non_monotone_or_short_curves_are_refused():
    rows = _rows()
    with pytest.raises(ConfigError, match="never decrease"):
        forecast_leavers(rows, np.tile([0.2, 0.1], (len(rows), 1)), as_of="2025-06-30")
    with pytest.raises(ConfigError, match="covers 2 months"):
        forecast_leavers(rows, np.tile([0.1, 0.2], (len(rows), 1)), as_of="2025-06-30", months=3)


@pytest.mark.parametrize(("frame", "column", "message"), [
    ({"month": ["2025-07"], "team": ["a"]}, "count", "missing column"),
    ({"month": ["July"], "team": ["a"], "count": [1]}, "month", "not a YYYY-MM"),
    ({"month": ["2027-01"], "team": ["a"], "count": [1]}, "month", "outside the forecast"),
    ({"month": ["2025-07", "2025-08"], "team": ["a", "a"], "count": [1, -2]}, "count", "whole number"),
    ({"month": ["2025-07"], "team": ["a"], "count": [1.5]}, "count", "whole number"),
    ({"month": ["2025-07"], "team": ["zz"], "count": [1]}, "team", "nobody employed"),
    ({"month": ["2025-07", "2025-07"], "team": ["a", "a"], "count": [1, 2]}, "team", "repeat"),
])
def test_bad_planned_hires_name_file_column_count_and_rows(frame, column, message):
    with pytest.raises(SchemaError, match=message) as info:
        check_planned_hires(pd.DataFrame(frame), as_of="2025-06-30", months=12, teams=["a", "b"],
                            source="hires.csv")
    err = info.value
    assert err.file == "hires.csv" and err.column == column
    assert "hires.csv" in str(err)


def test_month_one_intervals_cover_actual_leavers_with_the_true_risks(medium):
    """The simulator's true hazard at a month end is exactly the chance of a voluntary exit in the next
    month: with it, the team-month intervals must hold the actual leavers at least at the nominal rate
    (discrete counts make equal-tailed intervals conservative), and not trivially (never 100 %)."""
    tables, truth = medium.tables, medium.truth
    parts = []
    dates = sorted(pd.to_datetime(truth["month_end"]).unique())
    for as_of in dates[:-1]:
        rows = population(tables.employees, [as_of])
        rows = rows.merge(tables.employees[["employee_id", "site"]], on="employee_id")
        hazard = (truth[pd.to_datetime(truth["month_end"]) == as_of].set_index("employee_id")
                  ["exit_hazard_monthly"].reindex(rows["employee_id"]))
        assert hazard.notna().all()
        exits = actual_exit_month(tables.employees, rows["employee_id"], as_of, 1)
        parts.append(forecast_leavers(rows, hazard.to_numpy()[:, None], as_of=as_of, exit_month=exits))
    f = pd.concat(parts)
    team = forecast_coverage(f, level_name="team")
    assert team["n"] > 400
    assert 0.9 <= team["coverage"] <= 0.995, team
    site = forecast_coverage(f, level_name="site")
    assert 0.85 <= site["coverage"] <= 1.0, site
    totals = f[f["level"] == "all"]
    assert totals["expected_leavers"].sum() == pytest.approx(totals["actual_leavers"].sum(), rel=0.15)


def test_baseline_forecast_covers_actual_leavers_over_many_team_months(medium):
    """A genuine model fitted only on what was known at each origin: 12-month forecasts per team, scored
    against what the simulated centre then did (months within the export only)."""
    tables = medium.tables
    employees = tables.employees
    parts = []
    for as_of in pd.date_range("2024-09-30", "2025-06-30", freq="3ME"):
        known = employees[employees["hire_date"] <= as_of]
        model = ConstantHazardModel().fit(known, as_of=as_of)
        f = leaver_forecast(tables, as_of, model, months=12, outcomes=employees)
        ends = [as_of + pd.DateOffset(months=int(k)) for k in f["months_ahead"]]
        parts.append(f[[e <= tables.export_date for e in ends]])
    f = pd.concat(parts)
    monthly = forecast_coverage(f, level_name="team")
    cumulative = forecast_coverage(f, level_name="team", cumulative=True)
    assert monthly["n"] > 500
    assert 0.85 <= monthly["coverage"] <= 0.995, monthly
    assert 0.8 <= cumulative["coverage"] <= 0.995, cumulative


def test_baseline_forecast_uses_no_exit_after_the_as_of_date(medium):
    tables = medium.tables
    as_of = pd.Timestamp("2025-03-31")
    emp = tables.employees
    later = pd.to_datetime(emp["termination_date"]) > as_of
    changed = emp.copy()
    changed.loc[later, "termination_reason"] = "voluntary"  # a different future
    a = ConstantHazardModel().fit(emp, as_of=as_of).rates_
    b = ConstantHazardModel().fit(changed, as_of=as_of).rates_
    pd.testing.assert_frame_equal(a, b)


def test_net_curves_are_thinned_by_other_exits(medium):
    as_of = pd.Timestamp("2025-03-31")
    model = ConstantHazardModel().fit(medium.tables.employees, as_of=as_of)
    crude = leaver_forecast(medium.tables, as_of, model, months=6)
    thinned = leaver_forecast(medium.tables, as_of, model, months=6, competing=True)
    a = crude[crude["level"] == "all"]["cumulative_expected_leavers"].to_numpy()
    b = thinned[thinned["level"] == "all"]["cumulative_expected_leavers"].to_numpy()
    assert b[0] == pytest.approx(a[0]) and (b[1:] < a[1:]).all()


def test_forecast_with_the_monthly_hazard_model(medium, medium_model):
    as_of = pd.Timestamp("2025-06-30")
    f = leaver_forecast(medium.tables, as_of, medium_model, months=6, outcomes=medium.tables.employees)
    total = f[f["level"] == "all"]
    assert total["cumulative_expected_leavers"].is_monotonic_increasing and len(total) == 6
    baseline = leaver_forecast(medium.tables, as_of, ConstantHazardModel().fit(medium.tables.employees,
                                                                                as_of=as_of), months=6)
    ratio = total["cumulative_expected_leavers"].iloc[-1] / baseline[baseline["level"] == "all"][
        "cumulative_expected_leavers"].iloc[-1]
    assert 0.5 < ratio < 2.0


def test_planned_hires_for_a_team_not_forecast_are_refused_not_dropped():
    rows = pd.DataFrame({"team_id": ["a"] * 6 + ["b"] * 6, "site": ["x"] * 12})
    cumulative = np.tile(np.arange(1, 4) * 0.01, (len(rows), 1))
    with pytest.raises(SchemaError) as err:
        forecast_leavers(rows, cumulative, as_of="2025-06-30", new_hire=np.array([0.2, 0.3, 0.35]),
                         hires=[PlannedHire(2, "a", 4), PlannedHire(1, "zz", 7), PlannedHire(3, "zz", 2)])
    e = err.value
    assert e.column == "team" and e.n_rows == 2 and e.file == "hires"
    assert "9 people" in str(e) and "zz" in str(e) and "2025-07" in str(e)
