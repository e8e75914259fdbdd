"""Absence features: sick days and spells, Bradford factor, vacation, ongoing absence.

An absence spell is known from its ``start_date`` on. At as-of date ``t`` a
spell that started on or before ``t`` is known, but its ``end_date`` is only
known if it lies before ``t``: the end of a spell still running at ``t`` is
future information. So every count here is over absence **days** ``<= t``;
changing the ``end_date`` of a spell running at ``t`` to any other date
``>= t`` changes nothing at ``t``.

How, without expanding spells into days
---------------------------------------
Each spell ``[s, e]`` is turned into two dated events: a start at ``s`` and
an end at ``e + 1`` (the first day back). With ``St(x)`` and ``En(x)`` the
numbers of start and end events dated ``<= x`` and ``K(x)`` the sum over
those events of ``1 - s`` (starts) and ``e`` (ends), the number of absence
days ``<= x`` is ``D(x) = x * (St(x) - En(x)) + K(x)`` (days counted from an
epoch). Events dated ``<= x`` are exactly what is known at ``x``, so ``D(t)``
uses no future information, and the days in ``(t - w, t]`` are
``D(t) - D(t - w)``. The cumulative values come from
:func:`~attrition.features._base.trailing_sums` (``offsets``), so the cost is
linear in the number of spells, however long they are.

Spells of the same category (sick; vacation; any type) that overlap or touch
(one starts the day after the other ends) are merged into one continuous
spell first, so that no day counts twice and a sick spell split in two
records counts as one spell. Merging in start order only ever joins a spell
to earlier-starting ones, so it never lets a spell that starts after ``t``
change anything at ``t``.

Missing data
------------
The absences table lists absences, so an employee without rows has had none:
day and spell counts, the Bradford factor and the ongoing flag are ``0``, not
``NaN``. ``abs_days_since_sick`` is ``NaN`` when no sick spell started on or
before ``t``. A missing ``end_date`` is read as a spell still running.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from attrition.data._tables import Tables
from attrition.features._base import FeatureBuilder, latest_before, snapshot_keys, trailing_sums, window_parts

__all__ = ["AbsenceFeatures"]

#: A far-future day number for spells without an end date (never reached).
_OPEN_END = np.int64(10**7)






def _day_numbers(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (int64); ``NaT`` becomes the open end."""
    values = pd.to_datetime(pd.Series(dates)).astype("datetime64[ns]").to_numpy()
    days = values.astype("datetime64[D]").astype("int64")
    return np.where(np.isnat(values), _OPEN_END, days)


def _merge_spells(emp: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, ...]:
    """Merge overlapping or touching spells per employee (vectorised sweep).

    >>> e = np.array(["a", "a", "a", "b"], dtype=object)
    >>> s = np.array([1, 5, 12, 1]); t = np.array([10, 6, 12, 2])
    >>> [x.tolist() for x in _merge_spells(e, s, t)]
    [['a', 'a', 'b'], [1, 12, 1], [10, 12, 2]]
    """
    if len(start) == 0:
        return emp, start, end
    codes = pd.factorize(emp)[0]
    order = np.lexsort((end, start, codes))
    emp, start, end, codes = emp[order], start[order], end[order], codes[order]
    # Running maximum of the end day within each employee, up to the previous spell.
    run_max = pd.Series(end).groupby(codes).cummax().to_numpy()
    prev_max = np.empty_like(run_max)
    prev_max[0] = run_max[0]
    prev_max[1:] = run_max[:-1]
    new = np.ones(len(start), dtype=bool)
    new[1:] = (codes[1:] != codes[:-1]) | (start[1:] > prev_max[1:] + 1)
    group = np.cumsum(new) - 1
    m_end = pd.Series(end).groupby(group).max().to_numpy()
    return emp[new], start[new], m_end


class AbsenceFeatures(FeatureBuilder):
    """Sick days and spells, Bradford factor, vacation and ongoing absence.

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Trailing windows ``(t - w, t]`` in days.
    bradford_days : int, default 365
        Period of the Bradford factor ``S² × D``: ``S`` is the number of sick
        spells with at least one day in the period (up to ``t``), ``D`` the
        number of sick days in it.

    Examples
    --------
    >>> from attrition import Tables
    >>> ab = pd.DataFrame({"employee_id": ["a", "a"],
    ...     "start_date": pd.to_datetime(["2024-01-02", "2024-01-30"]),
    ...     "end_date": pd.to_datetime(["2024-01-03", "2024-02-05"]),
    ...     "absence_type": ["sick", "sick"]})
    >>> emp = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "hire_date": pd.to_datetime(["2023-01-01"])})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "as_of": pd.to_datetime(["2024-01-31"])})
    >>> out = AbsenceFeatures(windows=(28,)).build(Tables(emp, absences=ab), fr)
    >>> out[["abs_sick_days_28d", "abs_sick_spells_28d", "abs_bradford_365d",
    ...      "abs_days_since_sick", "abs_ongoing"]].to_dict("records")
    [{'abs_sick_days_28d': 2.0, 'abs_sick_spells_28d': 1.0, 'abs_bradford_365d': 16.0, 'abs_days_since_sick': 0.0, 'abs_ongoing': 1.0}]
    """

    name = "abs"
    table = "absences"

    def __init__(self, windows: Sequence[int] = (28, 91, 182), *, bradford_days: int = 365) -> None:
        self.windows = windows
        self.bradford_days = bradford_days


    # ------------------------------------------------------------------ names
    def labels(self) -> dict[str, str]:
        ws, _, _ = window_parts(self.windows)
        lab: dict[str, str] = {}
        for w in ws:
            lab[f"abs_sick_days_{w}d"] = f"Sick days, last {w} days"
            lab[f"abs_sick_spells_{w}d"] = f"Sick spells started, last {w} days"
            lab[f"abs_vacation_days_{w}d"] = f"Vacation days taken, last {w} days"
        bd = int(self.bradford_days)
        lab[f"abs_bradford_{bd}d"] = f"Bradford factor (spells² × sick days), last {bd} days"
        lab["abs_days_since_sick"] = "Days since the last sick day"
        lab["abs_ongoing"] = "Absent (any reason) on the as-of date"
        return lab

    def peer_features(self) -> list[str]:
        ws, _, _ = window_parts(self.windows)
        return [
            f"abs_sick_days_{max(ws)}d",
            f"abs_sick_spells_{max(ws)}d",
            f"abs_bradford_{int(self.bradford_days)}d",
        ]

    # ------------------------------------------------------------------ build
    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        ws, _, _ = window_parts(self.windows)
        bd = int(self.bradford_days)
        if bd <= 0:
            raise ValueError(
                f"bradford_days must be a positive number of days, got {self.bradford_days!r}."
            )
        names = list(self.labels())
        ab = tables.absences
        if ab is None or len(frame) == 0:
            return self.all_missing(frame)
        keys = snapshot_keys(frame)
        t = keys["as_of"].to_numpy().astype("datetime64[D]").astype("int64").astype("float64")

        emp = ab["employee_id"].astype("str").to_numpy(dtype=object)
        start = _day_numbers(ab["start_date"])
        end = (
            _day_numbers(ab["end_date"])
            if "end_date" in ab.columns
            else np.full(len(ab), _OPEN_END)
        )
        end = np.maximum(end, start)
        kind = ab["absence_type"].astype("str").str.strip().str.lower().to_numpy(dtype=object)
        valid = start != _OPEN_END  # a spell without a start date is never known
        cats = {"sick": valid & (kind == "sick"), "vac": valid & (kind == "vacation"), "any": valid}

        # Dated events: +start at s, end at e + 1; one set of columns per category.
        parts = []
        end_events = None
        for cat, mask in cats.items():
            m_emp, m_start, m_end = _merge_spells(emp[mask], start[mask], end[mask])
            closed = m_end < _OPEN_END
            n_s, n_e = len(m_start), int(closed.sum())
            ev = pd.DataFrame(
                {
                    "employee_id": np.concatenate([m_emp, m_emp[closed]]),
                    "day": np.concatenate([m_start, m_end[closed] + 1]),
                }
            )
            for other in cats:
                for col in ("st", "en", "k"):
                    ev[f"{other}_{col}"] = 0.0
            ev[f"{cat}_st"] = np.r_[np.ones(n_s), np.zeros(n_e)]
            ev[f"{cat}_en"] = np.r_[np.zeros(n_s), np.ones(n_e)]
            ev[f"{cat}_k"] = np.r_[1.0 - m_start, m_end[closed].astype("float64")]
            parts.append(ev)
            if cat == "sick":
                end_events = pd.DataFrame({"employee_id": m_emp[closed], "day": m_end[closed] + 1})
        events = pd.concat(parts, ignore_index=True)
        events["employee_id"] = events["employee_id"].astype("str")
        events["date"] = pd.to_datetime(
            events.pop("day").to_numpy().astype("datetime64[D]")
        ).astype("datetime64[ns]")
        value_cols = [c for c in events.columns if c not in ("employee_id", "date")]
        offsets = sorted({0, 1, bd, bd - 1, *ws})
        if len(events):
            cum = trailing_sums(
                events, "date", {c: c for c in value_cols}, keys, [], offsets=offsets
            )
        else:
            cum = pd.DataFrame(
                {f"cum@{o}_{c}": np.zeros(len(keys)) for o in offsets for c in value_cols}
            )

        def c(cat: str, col: str, off: int) -> np.ndarray:
            return cum[f"cum@{off}_{cat}_{col}"].to_numpy()

        def days(cat: str, off: int) -> np.ndarray:
            """Absence days of ``cat`` dated <= t - off."""
            x = t - off
            return x * (c(cat, "st", off) - c(cat, "en", off)) + c(cat, "k", off)

        out: dict[str, np.ndarray] = {}
        for w in ws:
            out[f"abs_sick_days_{w}d"] = days("sick", 0) - days("sick", w)
            out[f"abs_sick_spells_{w}d"] = c("sick", "st", 0) - c("sick", "st", w)
            out[f"abs_vacation_days_{w}d"] = days("vac", 0) - days("vac", w)
        spells = c("sick", "st", 0) - c("sick", "en", bd - 1)
        out[f"abs_bradford_{bd}d"] = spells**2 * (days("sick", 0) - days("sick", bd))

        sick_today = (c("sick", "st", 0) - c("sick", "en", 0)) > 0
        ever_sick = c("sick", "st", 0) > 0
        if end_events is not None and len(end_events):
            end_events["employee_id"] = end_events["employee_id"].astype("str")
            end_events["date"] = pd.to_datetime(
                end_events["day"].to_numpy().astype("datetime64[D]")
            ).astype("datetime64[ns]")
            last = latest_before(end_events, "date", ["day"], keys)["day"].to_numpy(dtype="float64")
        else:
            last = np.full(len(keys), np.nan)
        # Not sick on t but sick before: every started sick spell has ended,
        # and the latest end event (first day back) is dated <= t.
        since = np.where(sick_today, 0.0, t - (last - 1.0))
        out["abs_days_since_sick"] = np.where(ever_sick, since, np.nan)
        out["abs_ongoing"] = ((c("any", "st", 0) - c("any", "en", 0)) > 0).astype("float64")
        return pd.DataFrame(out, columns=names).astype("float64")
