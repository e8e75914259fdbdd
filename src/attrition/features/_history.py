"""Job-history features: HR attributes as of each date, moves, promotions, pay and the team lead.

The ``employees`` export holds today's team, role, contract and pay: for
most as-of dates these describe a *later* state (a stayer's wage includes
raises given afterwards; a leaver's froze at exit), which ties them to the
label. With ``employee_history`` (one row per change of the job record,
effective-dated) every HR attribute at ``t`` comes from the row in force on
``t`` (:func:`hr_attributes`) and the changes themselves become features
(:class:`HistoryFeatures`):

* days since the last team move, team-lead change, promotion (grade up, or
  a row whose ``change_reason`` is ``promotion``), pay change and hours
  change, and how many of each over the trailing windows;
* pay growth over the last 365 days, whether the last hours change was a
  cut, the grade in force;
* whether the person's team lead changed in the last 91 days;
* the team lead's context: their span of control on ``t``, their tenure as
  a lead (days since the lead first appears in the history) and the
  voluntary exits among their reports over the windows (the manager at the
  day of each exit). Lead figures over fewer than ``min_group_size`` reports
  are missing, as team figures over small groups are elsewhere.

Every value uses only history rows with ``effective_date <= t`` and exits
dated on or before ``t``. Before an employee's first row their attributes
are unknown (missing), never taken from later rows.

Examples
--------
>>> hist = pd.DataFrame({"employee_id": ["a", "a"], "team_id": ["t1", "t2"],
...     "effective_date": pd.to_datetime(["2024-01-01", "2024-03-01"]), "hourly_wage": [15.0, 15.0]})
>>> fr = pd.DataFrame({"employee_id": ["a", "a"], "as_of": pd.to_datetime(["2024-02-29", "2024-03-31"])})
>>> hr_attributes_from_history(hist, fr, ["team_id"])["team_id"].tolist()
['t1', 't2']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.data._schemas import HISTORY_ATTRIBUTES
from attrition.data._tables import Tables
from attrition.features._base import FeatureBuilder, latest_before, safe_ratio, snapshot_keys, trailing_sums

__all__ = [
    "HistoryFeatures",
    "hr_attributes",
    "hr_attributes_from_history",
    "EXPORT_TIME_FEATURES",
    "history_phrase",
]

#: Features that come from the ``employees`` export's current values when
#: there is no ``employee_history`` (what the data-quality warning names).
EXPORT_TIME_FEATURES: tuple[str, ...] = (
    "site", "role", "employment_type", "contracted_hours", "pay_vs_team", "pay_vs_site",
    "team_size", "team_growth_91d", "team_median_tenure_days", "team_vol_exits_*",
    "team_exit_rate_*", "team_hires_*",
)

_EVENTS = ("team_move", "manager_change", "promotion", "pay_change", "hours_change")
_EVENT_WORDS = {
    "team_move": "team moves",
    "manager_change": "team-lead changes",
    "promotion": "promotions",
    "pay_change": "pay changes",
    "hours_change": "contracted-hours changes",
}


def hr_attributes_from_history(history: pd.DataFrame, frame: pd.DataFrame,
                               columns) -> pd.DataFrame:
    """The attributes in force on each row's as-of date (``NaN`` before the first row).

    A column the history lacks is missing for everyone: never taken from
    ``employees``.
    """
    keys = snapshot_keys(frame)
    have = [c for c in columns if c in history.columns]
    got = latest_before(history, "effective_date", have, keys) if len(history) else pd.DataFrame(
        {c: pd.Series(np.nan, index=range(len(frame))) for c in have})
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in columns:
        out[col] = got[col].to_numpy() if col in have else np.nan
    return out


def hr_attributes(tables: Tables, frame: pd.DataFrame, columns=HISTORY_ATTRIBUTES) -> pd.DataFrame:
    """HR attributes of each row of ``frame``: as of ``t`` from ``employee_history`` when present,
    else the ``employees`` export's current values (see the module docs)."""
    if tables.employee_history is not None:
        return hr_attributes_from_history(tables.employee_history, frame, columns)
    emp = tables.employees.set_index("employee_id")
    ids = frame["employee_id"].astype(str)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in columns:
        out[col] = emp[col].reindex(ids).to_numpy() if col in emp.columns else np.nan
    return out


def _changes(history: pd.DataFrame) -> pd.DataFrame:
    """The history sorted by employee and date, with one indicator per kind of change.

    A change is a difference from the same employee's previous row (the
    first row is no change); a promotion is a higher grade or a row whose
    ``change_reason`` is ``promotion``.
    """
    h = history.sort_values(["employee_id", "effective_date"], kind="stable").reset_index(drop=True)
    same = (h["employee_id"] == h["employee_id"].shift()).to_numpy()

    def changed(col: str) -> np.ndarray:
        if col not in h.columns:
            return np.zeros(len(h), bool)
        cur, prev = h[col], h[col].shift()
        both = cur.notna().to_numpy() & prev.notna().to_numpy()
        return same & both & (cur.astype(object) != prev.astype(object)).to_numpy()

    def num(col: str) -> np.ndarray:
        return (pd.to_numeric(h[col], errors="coerce").to_numpy(dtype="float64") if col in h.columns
                else np.full(len(h), np.nan))

    reason = h["change_reason"].astype(object).to_numpy() if "change_reason" in h.columns else \
        np.full(len(h), None, dtype=object)
    grade = num("grade")
    prev_grade = np.r_[np.nan, grade[:-1]]
    wage, hours = num("hourly_wage"), num("contracted_hours")
    prev_wage, prev_hours = np.r_[np.nan, wage[:-1]], np.r_[np.nan, hours[:-1]]
    with np.errstate(invalid="ignore"):
        promotion = same & ((grade > prev_grade) | (reason == "promotion"))
        pay_rise = same & (wage > prev_wage)
        hours_cut = same & (hours < prev_hours)
    out = pd.DataFrame({
        "employee_id": h["employee_id"].to_numpy(),
        "date": h["effective_date"].to_numpy(),
        "manager_id": h["manager_id"].to_numpy() if "manager_id" in h.columns else np.nan,
        "team_move": changed("team_id"),
        "manager_change": changed("manager_id"),
        "promotion": promotion,
        "pay_change": changed("hourly_wage"),
        "hours_change": changed("contracted_hours"),
        "pay_rise": pay_rise,
        "hours_cut": hours_cut,
    })
    return out


def _days_since(events: pd.DataFrame, flag: str, keys: pd.DataFrame) -> np.ndarray:
    """Days from the last row flagged ``flag`` (dated on or before ``t``) to ``t``; ``NaN`` if none."""
    rows = events.loc[events[flag], ["employee_id", "date"]]
    if not len(rows):
        return np.full(len(keys), np.nan)
    got = latest_before(rows.assign(when=rows["date"]), "date", ["when"], keys)
    return ((keys["as_of"].to_numpy() - got["date"].to_numpy()) / np.timedelta64(1, "D")).astype("float64")


class HistoryFeatures(FeatureBuilder):
    """Moves, promotions, pay and hours changes and the team lead, point-in-time.

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Windows over which changes and the lead's leavers are counted.
    min_group_size : int, default 5
        Fewest reports behind a team lead's exit figures.

    Examples
    --------
    >>> from attrition import Tables
    >>> emp = pd.DataFrame({"employee_id": ["a"], "team_id": ["t2"],
    ...     "hire_date": pd.to_datetime(["2023-01-01"]), "termination_date": pd.to_datetime([None]),
    ...     "termination_reason": [None]})
    >>> hist = pd.DataFrame({"employee_id": ["a", "a"], "team_id": ["t1", "t1"],
    ...     "manager_id": ["m1", "m2"], "effective_date": pd.to_datetime(["2023-01-01", "2024-02-26"])})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "team_id": ["t1"], "as_of": pd.to_datetime(["2024-03-31"])})
    >>> out = HistoryFeatures(windows=[91]).build(Tables(emp, employee_history=hist), fr)
    >>> out[["hist_days_since_manager_change", "hist_new_lead_91d"]].iloc[0].tolist()
    [34.0, 1.0]
    """

    name = "history"
    table = "employee_history"

    def __init__(self, windows=(28, 91, 182), min_group_size: int = 5) -> None:
        self.windows = windows
        self.min_group_size = min_group_size

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        history = tables.employee_history
        keys = snapshot_keys(frame)
        windows = [int(w) for w in self.windows]
        if history is None or not len(history):
            return self.all_missing(frame)
        ev = _changes(history)
        out: dict[str, np.ndarray] = {}
        for kind in _EVENTS:
            out[f"hist_days_since_{kind}"] = _days_since(ev, kind, keys)
        sums = trailing_sums(ev, "date", {k: k for k in _EVENTS}, keys, windows, offsets=[0])
        for kind in _EVENTS:
            for w in windows:
                out[f"hist_{kind}s_{w}d"] = sums[f"sum_{w}_{kind}"].to_numpy()
        days_mgr = out["hist_days_since_manager_change"]
        with np.errstate(invalid="ignore"):
            out["hist_new_lead_91d"] = np.where(np.isnan(days_mgr), 0.0, (days_mgr < 91).astype("float64"))
        # Pay growth over a year and the last hours change's direction.
        now = hr_attributes_from_history(history, frame, ["hourly_wage", "grade", "manager_id"])
        year = latest_before(history, "effective_date", ["hourly_wage"] if "hourly_wage" in history.columns
                             else [], keys, lag_days=365)
        wage_now = pd.to_numeric(now["hourly_wage"], errors="coerce").to_numpy(dtype="float64")
        wage_then = (pd.to_numeric(year["hourly_wage"], errors="coerce").to_numpy(dtype="float64")
                     if "hourly_wage" in year.columns else np.full(len(frame), np.nan))
        out["hist_pay_growth_365d"] = safe_ratio(wage_now - wage_then, wage_then)
        cut = _days_since(ev, "hours_cut", keys)
        out["hist_days_since_hours_cut"] = cut
        rise = _days_since(ev, "pay_rise", keys)
        out["hist_days_since_pay_rise"] = rise
        out["hist_grade"] = pd.to_numeric(now["grade"], errors="coerce").to_numpy(dtype="float64")
        out.update(self._lead_context(tables, history, now["manager_id"], frame, keys, windows))
        return pd.DataFrame(out)

    def _lead_context(self, tables: Tables, history: pd.DataFrame, manager: pd.Series,
                      frame: pd.DataFrame, keys: pd.DataFrame, windows: list[int]) -> dict[str, np.ndarray]:
        """Span of control, tenure as lead and leavers among the lead's reports."""
        n = len(frame)
        if "manager_id" not in history.columns or manager.isna().all():
            return {name: np.full(n, np.nan) for name in self._lead_names()}
        mgr = manager.astype(object).to_numpy()
        as_of = keys["as_of"].to_numpy()
        known = pd.notna(mgr)
        span = pd.Series(np.ones(n)).groupby([as_of, np.where(known, mgr, "")]).transform("sum").to_numpy()
        span = np.where(known, span, np.nan)
        # Tenure as lead: since the lead's first appearance in the history. The earliest
        # row naming a lead in force on t is itself dated on or before t, so the minimum
        # over all rows is the minimum over rows dated on or before t.
        first = history.dropna(subset=["manager_id"]).groupby("manager_id")["effective_date"].min()
        since = pd.Series(mgr).map(first).to_numpy(dtype="datetime64[ns]")
        lead_days = ((as_of - since) / np.timedelta64(1, "D")).astype("float64")
        # Voluntary leavers by the lead in force on their last day.
        emp = tables.employees
        left = emp.loc[emp["termination_date"].notna() & (emp["termination_reason"] == "voluntary"),
                       ["employee_id", "termination_date"]]
        at_exit = latest_before(history, "effective_date", ["manager_id"],
                                pd.DataFrame({"employee_id": left["employee_id"].astype(str).to_numpy(),
                                              "as_of": left["termination_date"].to_numpy()}))
        exits = pd.DataFrame({"manager_id": at_exit["manager_id"].to_numpy(),
                              "date": left["termination_date"].to_numpy(), "exit": 1.0})
        query = pd.DataFrame({"manager_id": np.where(known, mgr, None), "as_of": as_of})
        sums = trailing_sums(exits.dropna(subset=["manager_id"]), "date", {"exit": "exit"}, query, windows,
                             key="manager_id")
        small = ~(span >= self.min_group_size)
        out = {"lead_span_of_control": span, "lead_tenure_as_lead_days": lead_days}
        for w in windows:
            count = sums[f"sum_{w}_exit"].to_numpy()
            out[f"lead_vol_exits_{w}d"] = np.where(small, np.nan, count)
            out[f"lead_exit_rate_{w}d"] = np.where(small, np.nan, safe_ratio(count, span + count))
        return out

    def _lead_names(self) -> list[str]:
        names = ["lead_span_of_control", "lead_tenure_as_lead_days"]
        for w in self.windows:
            names += [f"lead_vol_exits_{w}d", f"lead_exit_rate_{w}d"]
        return names

    def labels(self) -> dict[str, str]:
        labels = {
            "hist_days_since_team_move": "Days since the last team move",
            "hist_days_since_manager_change": "Days since the team lead changed",
            "hist_days_since_promotion": "Days since the last promotion",
            "hist_days_since_pay_change": "Days since the last pay change",
            "hist_days_since_hours_change": "Days since contracted hours last changed",
            "hist_days_since_hours_cut": "Days since contracted hours were last cut",
            "hist_days_since_pay_rise": "Days since the last pay rise",
            "hist_new_lead_91d": "New team lead in the last 91 days",
            "hist_pay_growth_365d": "Pay growth over the last 365 days (share)",
            "hist_grade": "Pay grade",
            "lead_span_of_control": "Team lead's number of reports",
            "lead_tenure_as_lead_days": "Team lead's time as a lead (days)",
        }
        for kind in _EVENTS:
            for w in self.windows:
                labels[f"hist_{kind}s_{w}d"] = f"{_EVENT_WORDS[kind].capitalize()}, last {w} days"
        for w in self.windows:
            labels[f"lead_vol_exits_{w}d"] = f"Voluntary exits among the team lead's reports, last {w} days"
            labels[f"lead_exit_rate_{w}d"] = f"Share of the team lead's reports who left, last {w} days"
        return labels


_PHRASES = {
    "hist_days_since_manager_change": ("New team lead {d} days ago", "Same team lead throughout the history"),
    "hist_days_since_team_move": ("Moved team {d} days ago", "No team move in the history"),
    "hist_days_since_promotion": ("Last promotion {d} days ago", "No promotion in the history"),
    "hist_days_since_pay_change": ("Last pay change {d} days ago", "No pay change in the history"),
    "hist_days_since_pay_rise": ("Last pay rise {d} days ago", "No pay rise in the history"),
    "hist_days_since_hours_change": ("Contracted hours changed {d} days ago",
                                     "Contracted hours unchanged in the history"),
    "hist_days_since_hours_cut": ("Contracted hours cut {d} days ago", "No cut in contracted hours"),
}


def history_phrase(name: str, value) -> str | None:
    """A job-history driver in plain words (``"New team lead 34 days ago"``); ``None`` for other features.

    Examples
    --------
    >>> history_phrase("hist_days_since_manager_change", 34.0)
    'New team lead 34 days ago'
    >>> history_phrase("hist_new_lead_91d", 1.0)
    'New team lead in the last 91 days'
    >>> history_phrase("tenure_days", 3.0) is None
    True
    """
    if name == "hist_new_lead_91d":
        return "New team lead in the last 91 days" if value == 1 else "Same team lead for at least 91 days"
    if name not in _PHRASES:
        return None
    known, never = _PHRASES[name]
    try:
        days = float(value)
    except (TypeError, ValueError):
        return None
    return never if np.isnan(days) else known.format(d=int(round(days)))
