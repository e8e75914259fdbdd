"""A leaver forecast for workforce planning: expected voluntary leavers per team and site, month by month.

Where the roll-ups (:mod:`attrition.analysis._rollups`) answer "how many of
today's staff leave within the horizon", the forecast answers the planner's
question: *how many leave in each of the next months*, per team and per site,
and so how large the next hiring class and training wave must be.

What the numbers are
    Every person employed on the as-of date has a cumulative risk curve
    ``F_i(k)`` = P(voluntary exit within ``k`` months) from a survival model
    (``model.predict_survival``: the monthly hazard model, or the
    :class:`attrition.models.ConstantHazardModel` baseline). Their
    probability of leaving in month ``k`` is ``F_i(k) - F_i(k-1)``. Treating
    people as independent Bernoulli trials, a group's leavers in month ``k``
    follow a Poisson-binomial distribution: ``expected_leavers`` is the sum
    of the probabilities and ``leavers_low`` .. ``leavers_high`` its
    equal-tailed ``level`` (default 90 %) interval, computed exactly
    (:func:`attrition.analysis.poisson_binomial_interval`). The
    ``cumulative_*`` columns are the same for "within the first ``k``
    months" (the sum of ``F_i(k)``).

Planned hires
    ``hires`` (month, team, count) adds people who start on the first day of
    a forecast month. Nothing is known about them but their team and start,
    so each gets the *new-hire* curve: the centre's observed voluntary-exit
    rates by tenure band over the 12 months before ``as_of``
    (:meth:`ConstantHazardModel.predict_new_hire`, the same for every team),
    even when the staff's curves come from the monthly hazard model. The
    hazard model is not used for them on purpose: it learns from month-end
    rows, and a person's first row is their first month end, so it never sees
    the exits between the start date and that month end (no-shows, training
    drop-outs) — the ones a planner of a hiring class needs most; the
    life table counts them. Their expected early exits are counted in their
    team's and site's rows and shown apart in ``expected_hire_leavers``. A
    planned hire must name a team among the people forecast (it joins that
    team's row); any other is refused, never dropped.

Privacy
    Groups are pooled exactly as the roll-ups pool them (same rules and
    ``min_group_size``, teams pooled within sites); the pooling is decided on
    the staff employed on the as-of date, and planned hires join their
    team's row. No employee id appears.

Assumptions
    :data:`FORECAST_NOTE` says them in plain words; every output repeats it.

Examples
--------
>>> rows = pd.DataFrame({"team_id": ["a"] * 6 + ["b"] * 6, "site": ["x"] * 12})
>>> risk = np.tile(1 - 0.95 ** np.arange(1, 4), (12, 1))  # 5 % a month, 3 months
>>> f = forecast_leavers(rows, risk, as_of="2025-06-30")
>>> f.loc[f["level"] == "all", ["month", "expected_leavers", "leavers_low", "leavers_high",
...                             "cumulative_expected_leavers"]].round(2).values.tolist()
[['2025-07', 0.6, 0, 2, 0.6], ['2025-08', 0.57, 0, 2, 1.17], ['2025-09', 0.54, 0, 2, 1.71]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.analysis._rollups import _assign, nest_in_parents, poisson_binomial_interval
from attrition.exceptions import ConfigError, SchemaError, format_examples
from attrition.models._hazard_baseline import ConstantHazardModel
from attrition.snapshots._build import population

__all__ = ["forecast_leavers", "check_planned_hires", "actual_exit_month", "forecast_coverage",
           "month_labels", "leaver_forecast", "staff_rows", "FORECAST_NOTE", "FORECAST_COLUMNS", "PlannedHire"]

#: The plain-words assumption printed with every forecast.
FORECAST_NOTE = (
    "This forecast assumes today's conditions persist: the exit rates behind each person's risk stay as they "
    "are for the months ahead, and nothing changes that the model cannot see (a reorganisation, a pay round, a "
    "competitor hiring nearby, a new site). The intervals count chance only, with people leaving independently "
    "of each other; exits cluster in practice, so real months vary more. Leavers counted are voluntary exits "
    "of today's staff (and of the planned hires, if given), not dismissals or transfers."
)

#: Columns of :func:`forecast_leavers`' output, in order.
FORECAST_COLUMNS: tuple[str, ...] = (
    "as_of", "level", "group", "site", "month", "months_ahead", "headcount", "planned_hires",
    "expected_leavers", "leavers_low", "leavers_high", "expected_hire_leavers",
    "cumulative_expected_leavers", "cumulative_low", "cumulative_high", "pooled_groups",
)


@dataclass(frozen=True)
class PlannedHire:
    """``count`` people starting in team ``team_id`` on the first day of forecast month ``months_ahead``."""

    months_ahead: int
    team_id: str
    count: int


def month_labels(as_of, months: int) -> list[str]:
    """``YYYY-MM`` of each forecast month: month ``k`` ends ``k`` calendar months after ``as_of``.

    Examples
    --------
    >>> month_labels("2025-11-30", 3)
    ['2025-12', '2026-01', '2026-02']
    """
    as_of = pd.Timestamp(as_of)
    return [f"{as_of + pd.DateOffset(months=k):%Y-%m}" for k in range(1, months + 1)]


def check_planned_hires(frame: pd.DataFrame, *, as_of, months: int, teams: Sequence[str],
                        source: str = "hires") -> list[PlannedHire]:
    """Validate a planned-hires table (``month``, ``team``, ``count``) against the forecast.

    ``month`` is ``YYYY-MM`` (or a date in that month) within the forecast;
    ``team`` a team with staff on the as-of date; ``count`` a whole number
    >= 0; one row per month and team. Anything else is refused with the
    file, the column, the number of rows and examples.

    Examples
    --------
    >>> hires = pd.DataFrame({"month": ["2025-07", "2025-09"], "team": ["a", "b"], "count": [3, 2]})
    >>> check_planned_hires(hires, as_of="2025-06-30", months=12, teams=["a", "b"])[1]
    PlannedHire(months_ahead=3, team_id='b', count=2)
    """
    missing = [c for c in ("month", "team", "count") if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{source}: missing column(s) {', '.join(missing)}; the planned-hires file needs month (YYYY-MM), "
            f"team and count. Its columns are: {', '.join(map(str, frame.columns))}.",
            file=source, column=missing[0])
    labels = month_labels(as_of, months)

    def refuse(mask: np.ndarray, column: str, what: str, fix: str) -> None:
        if mask.any():
            raise SchemaError(
                f"{source}: column {column!r}: {int(mask.sum())} row(s) {what}:\n"
                + format_examples(frame.loc[mask]) + f"\n{fix}",
                file=source, column=column, n_rows=int(mask.sum()), examples=frame.loc[mask].head(5))

    text = frame["month"].astype(str).str.strip()
    parsed = pd.to_datetime(text.where(~text.str.fullmatch(r"\d{4}-\d{2}"), text + "-01"),
                            format="%Y-%m-%d", errors="coerce")
    refuse(frame["month"].isna().to_numpy() | parsed.isna().to_numpy(), "month", "are not a YYYY-MM month",
           "Write the month as YYYY-MM, e.g. 2025-07.")
    month = parsed.dt.strftime("%Y-%m")
    refuse(~month.isin(labels).to_numpy(), "month",
           f"fall outside the forecast ({labels[0]} to {labels[-1]})",
           "Plan hires only for the forecast months, or change --as-of / --months.")
    count = pd.to_numeric(frame["count"], errors="coerce")
    refuse((count.isna() | (count < 0) | (np.mod(count.fillna(0), 1) != 0)).to_numpy(), "count",
           "are not a whole number of people >= 0", "Give the number of people starting, e.g. 12.")
    team = frame["team"].astype(object).where(frame["team"].notna(), None).map(
        lambda v: v if v is None else str(v).strip())
    known = {str(t) for t in teams}
    refuse(~team.isin(known).to_numpy(), "team", "name a team with nobody employed on the as-of date",
           f"Use the team ids of the HR master ({', '.join(sorted(known)[:8])}{' ...' if len(known) > 8 else ''}).")
    refuse(pd.DataFrame({"m": month, "t": team}).duplicated(keep=False).to_numpy(), "team",
           "repeat a month and team", "List each month and team once (add the counts up).")
    index = {label: k for k, label in enumerate(labels, start=1)}
    return [PlannedHire(index[m], t, int(c)) for m, t, c in zip(month, team, count, strict=True) if c > 0]


def _check_hire_teams(hires: Sequence[PlannedHire], team_of_row: np.ndarray, labels: Sequence[str]) -> None:
    """Refuse planned hires for a team nobody in ``rows`` belongs to: they would join no group's row
    and be silently left out of every total (the rule: a planned hire joins its team's row, so its
    team must be in the forecast)."""
    known = set(team_of_row)
    unknown = [h for h in hires if str(h.team_id) not in known]
    if unknown:
        examples = pd.DataFrame({"month": [labels[h.months_ahead - 1] for h in unknown],
                                 "team": [h.team_id for h in unknown], "count": [h.count for h in unknown]})
        raise SchemaError(
            f"hires: column 'team': {len(unknown)} planned-hire row(s) ({int(examples['count'].sum())} people) "
            "name a team with nobody among the people forecast, so their exits would be counted nowhere:\n"
            + format_examples(examples) + "\nPlan hires only for teams with staff on the as-of date (with a "
            "roster, teams in the roster), or assign them to an existing team.",
            file="hires", column="team", n_rows=len(unknown), examples=examples.head(5))


def _monthly(cumulative: np.ndarray) -> np.ndarray:
    return np.diff(np.column_stack([np.zeros(len(cumulative)), cumulative]), axis=1)


def _check_risk(rows: pd.DataFrame, cumulative, months: int | None) -> np.ndarray:
    risk = np.asarray(cumulative, dtype="float64")
    if risk.ndim != 2 or risk.shape[0] != len(rows):
        raise ConfigError(f"The survival curves have shape {risk.shape}; expected ({len(rows)}, months): one row "
                          "per person, column k-1 = P(voluntary exit within k months).")
    if months is not None:
        if months > risk.shape[1]:
            raise ConfigError(f"The model's survival curve covers {risk.shape[1]} months; a {months}-month "
                              "forecast needs more. Ask for fewer --months.")
        risk = risk[:, :months]
    if not np.isfinite(risk).all() or (risk < -1e-9).any() or (risk > 1 + 1e-9).any() \
            or (np.diff(risk, axis=1) < -1e-9).any():
        raise ConfigError("The survival curves must be probabilities that never decrease along the months "
                          "(cumulative risk of a voluntary exit).")
    return np.clip(np.maximum.accumulate(risk, axis=1), 0.0, 1.0)


def _displays(rows: pd.DataFrame, min_group_size: int) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per level: each row's displayed group (pooled as the roll-ups pool) and its site column."""
    out = {}
    has_site = "site" in rows.columns
    if has_site:
        nested = nest_in_parents(rows, "team_id", "site", min_group_size)
        display, _ = _assign(nested, "team_id", min_group_size, "site")
        out["team"] = (display, nested["site"].astype(object))
        site_display, _ = _assign(rows, "site", min_group_size, None)
        out["site"] = (site_display, site_display)
    else:
        display, _ = _assign(rows, "team_id", min_group_size, None)
        out["team"] = (display, pd.Series("", index=rows.index, dtype=object))
    everyone = pd.Series("All" if len(rows) >= min_group_size else "(suppressed)", index=rows.index, dtype=object)
    out["all"] = (everyone, pd.Series("", index=rows.index, dtype=object))
    return out


def forecast_leavers(
    rows: pd.DataFrame,
    cumulative,
    *,
    as_of,
    months: int | None = None,
    hires: Sequence[PlannedHire] = (),
    new_hire=None,
    min_group_size: int = 5,
    level: float = 0.9,
    exit_month=None,
) -> pd.DataFrame:
    """Expected voluntary leavers per team, site and in all, for each forecast month.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per person employed on ``as_of``: ``team_id`` and optionally
        ``site`` (a snapshot frame of that date).
    cumulative : array of shape (n, M)
        ``model.predict_survival(rows)``: column ``k-1`` = P(voluntary exit
        within ``k`` months), non-decreasing.
    as_of : date
        The forecast date; month ``k`` ends ``k`` calendar months after it.
    months : int, optional
        Months to forecast (default: all ``M``).
    hires : sequence of PlannedHire
        Planned starts (:func:`check_planned_hires`).
    new_hire : array of shape (>= months,), optional
        The cumulative risk curve of a new hire; required with ``hires``.
    min_group_size : int, default 5
        Smallest group shown; smaller ones are pooled as in the roll-ups.
    level : float, default 0.9
        Coverage of the intervals.
    exit_month : array of int, optional
        For backtests: each row's actual month of voluntary exit (``1..M``;
        0 = none within the forecast), from :func:`actual_exit_month`. Adds
        ``actual_leavers`` and ``cumulative_actual_leavers``.

    Returns
    -------
    pandas.DataFrame
        :data:`FORECAST_COLUMNS`: one row per level (``team``, ``site``,
        ``all``), shown group and month. ``headcount`` is the group's staff on
        ``as_of``; ``planned_hires`` those starting that month;
        ``expected_hire_leavers`` the part of ``expected_leavers`` that comes
        from planned hires.
    """
    if not isinstance(min_group_size, int) or min_group_size < 2:
        raise ConfigError(f"min_group_size must be a whole number of at least 2, got {min_group_size!r}.")
    if "team_id" not in rows.columns:
        raise ConfigError("The forecast needs each person's team_id (the snapshots of the as-of date have it).")
    rows = rows.reset_index(drop=True)
    risk = _check_risk(rows, cumulative, months)
    months = risk.shape[1]
    monthly = _monthly(risk)
    hires = list(hires)
    if hires:
        if new_hire is None:
            raise ConfigError("Planned hires need the new-hire risk curve (new_hire=...).")
        nh = _check_risk(pd.DataFrame(index=[0]), np.asarray(new_hire, dtype="float64")[None, :], months)[0]
    labels = month_labels(as_of, months)
    as_of_text = f"{pd.Timestamp(as_of):%Y-%m-%d}"
    team_of_row = rows["team_id"].astype(object).where(rows["team_id"].notna(), "(none)").astype(str).to_numpy()
    _check_hire_teams(hires, team_of_row, labels)
    actual = None if exit_month is None else np.asarray(exit_month, dtype=int)
    out = []
    for lvl, (display, site) in _displays(rows, min_group_size).items():
        disp = display.astype(str).to_numpy()
        # planned hires join their team's displayed group (first row of that team decides)
        team_group = dict(zip(team_of_row[::-1], disp[::-1], strict=True))
        for name in pd.unique(disp):
            if name == "(suppressed)":
                continue
            members = disp == name
            sites = pd.unique(site.to_numpy()[members])
            group_hires = [h for h in hires if team_group.get(str(h.team_id)) == name]
            for k in range(1, months + 1):
                p = monthly[members, k - 1]
                c = risk[members, k - 1]
                q, qc, starting = [], [], 0
                for h in group_hires:
                    starting += h.count if h.months_ahead == k else 0
                    if h.months_ahead <= k:
                        j = k - h.months_ahead  # whole months of tenure before month k
                        q += [nh[j] - (nh[j - 1] if j else 0.0)] * h.count
                        qc += [nh[j]] * h.count
                expected, low, high = poisson_binomial_interval(np.concatenate([p, q]), level)
                c_expected, c_low, c_high = poisson_binomial_interval(np.concatenate([c, qc]), level)
                row = {"as_of": as_of_text, "level": lvl, "group": name,
                       "site": sites[0] if len(sites) == 1 else "(several)", "month": labels[k - 1],
                       "months_ahead": k, "headcount": int(members.sum()), "planned_hires": starting,
                       "expected_leavers": round(expected, 3), "leavers_low": low, "leavers_high": high,
                       "expected_hire_leavers": round(float(np.sum(q)), 3),
                       "cumulative_expected_leavers": round(c_expected, 3), "cumulative_low": c_low,
                       "cumulative_high": c_high,
                       "pooled_groups": len(pd.unique(team_of_row[members])) if lvl == "team"
                       else (1 if lvl == "all" else len(pd.unique(rows["site"].astype(str).to_numpy()[members])))}
                if actual is not None:
                    row["actual_leavers"] = int((actual[members] == k).sum())
                    row["cumulative_actual_leavers"] = int(((actual[members] >= 1) & (actual[members] <= k)).sum())
                out.append(row)
    columns = list(FORECAST_COLUMNS) + (["actual_leavers", "cumulative_actual_leavers"] if actual is not None else [])
    return pd.DataFrame(out, columns=columns)


def actual_exit_month(employees: pd.DataFrame, employee_ids, as_of, months: int) -> np.ndarray:
    """Each person's month of voluntary exit after ``as_of`` (``1..months``), 0 if none in the forecast.

    ``employees`` is an HR master exported *after* the forecast period (for
    backtests against what happened). A last day ``d`` falls in month ``k``
    when ``as_of + (k-1) months < d <= as_of + k months``.

    Examples
    --------
    >>> emp = pd.DataFrame({"employee_id": ["a", "b", "c"],
    ...                     "termination_date": pd.to_datetime(["2025-07-10", "2025-09-30", None]),
    ...                     "termination_reason": ["voluntary", "voluntary", None]})
    >>> actual_exit_month(emp, ["a", "b", "c"], "2025-06-30", 2).tolist()
    [1, 0, 0]
    """
    as_of = pd.Timestamp(as_of)
    info = employees.set_index("employee_id").loc[list(employee_ids)]
    term = pd.to_datetime(info["termination_date"]).to_numpy()
    vol = (info["termination_reason"].astype(object) == "voluntary").to_numpy()
    out = np.zeros(len(info), dtype=int)
    for k in range(months, 0, -1):
        lo, hi = as_of + pd.DateOffset(months=k - 1), as_of + pd.DateOffset(months=k)
        out[vol & (term > lo.to_datetime64()) & (term <= hi.to_datetime64())] = k
    return out


def forecast_coverage(forecast: pd.DataFrame, *, level_name: str = "team", cumulative: bool = False) -> dict:
    """Share of a backtest forecast's group-months whose actual leavers fall inside the interval.

    ``forecast`` comes from :func:`forecast_leavers` with ``exit_month``.
    Returns ``coverage``, ``n`` (group-months), ``below`` and ``above``
    (shares outside on each side).
    """
    if "actual_leavers" not in forecast.columns:
        raise ConfigError("forecast_coverage needs a forecast made with exit_month= (the actual exits).")
    f = forecast[forecast["level"] == level_name]
    prefix = "cumulative_" if cumulative else "leavers_"
    actual = f["cumulative_actual_leavers" if cumulative else "actual_leavers"].to_numpy()
    low, high = f[f"{prefix}low"].to_numpy(), f[f"{prefix}high"].to_numpy()
    n = len(f)
    if not n:
        return {"coverage": float("nan"), "n": 0, "below": float("nan"), "above": float("nan")}
    return {"coverage": float(((actual >= low) & (actual <= high)).mean()), "n": n,
            "below": float((actual < low).mean()), "above": float((actual > high).mean())}


def staff_rows(tables, as_of, model=None) -> pd.DataFrame:
    """The people employed on ``as_of`` as the model reads them.

    A model with a snapshot spec (the monthly model) rebuilds its snapshot
    rows (:meth:`AttritionModel.snapshots`); any other survival model gets
    ``employee_id``, ``team_id``, ``site`` and ``tenure_days`` from the HR master.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if getattr(model, "spec_", None) is not None and hasattr(model, "snapshots"):
        return model.snapshots(tables, [as_of]).reset_index(drop=True)
    emp = tables.employees
    rows = population(emp, [as_of])
    info = emp.set_index("employee_id").loc[rows["employee_id"].to_numpy()]
    if "site" in emp.columns:
        rows["site"] = info["site"].astype(object).to_numpy()
    rows["tenure_days"] = (as_of - pd.to_datetime(info["hire_date"])).dt.days.to_numpy(dtype="float64")
    return rows


def leaver_forecast(
    tables,
    as_of,
    model,
    *,
    months: int = 12,
    hires: Sequence[PlannedHire] = (),
    new_hire_model: ConstantHazardModel | None = None,
    min_group_size: int = 5,
    level: float = 0.9,
    outcomes: pd.DataFrame | None = None,
    competing: bool | None = None,
    rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The leaver forecast of everyone employed on ``as_of`` (:func:`forecast_leavers` on a model).

    Parameters
    ----------
    tables : Tables
        The exports as known on ``as_of`` (rows after it are not read by the
        model's features; the baseline's rates use exits up to ``as_of`` only).
    as_of : date
    model : survival model
        Anything with ``predict_survival(X) -> (n, >= months)``: the monthly
        hazard model, or a fitted :class:`attrition.models.ConstantHazardModel`.
    months : int, default 12
    hires : sequence of PlannedHire
    new_hire_model : ConstantHazardModel, optional
        Gives the planned hires' curve (``predict_new_hire``); default: one
        fitted on ``tables.employees`` as of ``as_of``.
    min_group_size, level
        As in :func:`forecast_leavers`.
    outcomes : pandas.DataFrame, optional
        An HR master exported after the forecast period: adds the actual
        leavers (a backtest; see :func:`forecast_coverage`).
    competing : bool, optional
        Whether the model's curve is *net* of other exits (the risk for
        someone who does not leave for another reason first, as the monthly
        hazard model's is) and must be turned into a head count with the
        centre's other-exit rates by tenure (of the baseline: someone
        dismissed in month 2 cannot resign in month 5). Default: yes for
        every model but :class:`ConstantHazardModel`, whose curve already
        accounts for them.
    rows : pandas.DataFrame, optional
        The people to forecast as the model reads them (default
        :func:`staff_rows` of ``as_of``): pass the snapshot rows already built
        for scoring to avoid building them twice, or a roster's rows.

    Examples
    --------
    >>> from attrition import simulate
    >>> from attrition.models import ConstantHazardModel
    >>> centre = simulate(n_employees=150, months=14, seed=1)
    >>> as_of = pd.Timestamp("2024-12-31")
    >>> baseline = ConstantHazardModel().fit(centre.tables.employees, as_of=as_of)
    >>> f = leaver_forecast(centre.tables, as_of, baseline, months=3)
    >>> f.loc[f["level"] == "all", "month"].tolist()
    ['2025-01', '2025-02', '2025-03']
    """
    if not isinstance(months, int) or not 1 <= months <= 60:
        raise ConfigError(f"months must be a whole number from 1 to 60, got {months!r}.")
    if not hasattr(model, "predict_survival") or getattr(model, "kind_", "hazard") != "hazard":
        raise ConfigError(
            f"The model {type(model).__name__} gives no survival curve (predict_survival): the forecast needs "
            "monthly risks. Use a model trained by this version of `attrition train`, or the tenure baseline "
            "(`attrition forecast --model baseline`, attrition.models.ConstantHazardModel).")
    as_of = pd.Timestamp(as_of).normalize()
    rows = staff_rows(tables, as_of, model) if rows is None else rows.reset_index(drop=True)
    if not len(rows):
        raise ConfigError(f"Nobody is employed on {as_of:%Y-%m-%d}: there is no one to forecast. Check --as-of.")
    hires = list(hires)
    competing = not isinstance(model, ConstantHazardModel) if competing is None else competing
    if new_hire_model is None and (hires or competing):
        new_hire_model = ConstantHazardModel(months=months).fit(tables.employees, as_of=as_of)
    new_hire = new_hire_model.predict_new_hire() if hires else None
    curve = _check_risk(rows, model.predict_survival(rows), months)
    if competing:  # crude incidence: month k's net probability times P(no other exit before month k)
        stay = new_hire_model.predict_other_survival(rows)[:, :months]
        curve = np.cumsum(_monthly(curve) * stay, axis=1)
    exit_month = (actual_exit_month(outcomes, rows["employee_id"], as_of, months)
                  if outcomes is not None else None)
    return forecast_leavers(rows, curve, as_of=as_of, months=months, hires=hires,
                            new_hire=new_hire, min_group_size=min_group_size, level=level, exit_month=exit_month)
