"""What is known about a person at hire: the hiring class and the team they joined.

Most contact-centre leavers go in their first months, when the daily tables
hold little or nothing about them. These features exist from the hire date
on, so a person hired in the month being scored gets a risk from day one:

``hire_class_size``
    People hired at the same site (the whole centre without a ``site``
    column) within ``class_days`` days either side of the employee's own hire
    date, the employee included — counting only hires dated on or before the
    as-of date (a class still filling up is counted as it stands).
``team_vol_exits_before_hire_91d``
    Voluntary exits from the team in the 91 days up to the employee's hire
    date: the churn the new hire walked into.

Role, contract and team come from :class:`~attrition.features.TenureFeatures`
and :class:`~attrition.features.TeamFeatures`. With ``employee_history``, the
site and team are the ones in force on each hire date (and a leaver's team the
one in force on the exit date); without it, the export's values. Everything
here is dated on or before the hire date, or on or before the as-of date:
nothing after ``t`` enters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.data._tables import Tables
from attrition.features._base import FeatureBuilder
from attrition.features._history import hr_attributes

__all__ = ["HiringFeatures"]

_DAY = np.timedelta64(1, "D")


def _attribute_on(tables: Tables, ids, dates, column: str) -> np.ndarray:
    """``column`` of each employee in force on the given date (history), else the export's."""
    keys = pd.DataFrame({"employee_id": np.asarray(ids, dtype=object),
                         "as_of": pd.to_datetime(np.asarray(dates))})
    return hr_attributes(tables, keys, [column])[column].astype(object).to_numpy()


def _count_between(sorted_dates: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How many of ``sorted_dates`` lie in ``[low, high]``, per row (0 where ``high < low``)."""
    n = np.searchsorted(sorted_dates, high, side="right") - np.searchsorted(sorted_dates, low, side="left")
    return np.clip(n, 0, None).astype("float64")


class HiringFeatures(FeatureBuilder):
    """Hiring-class size and the team's exits before the hire.

    Parameters
    ----------
    windows : sequence of int
        Unused; kept for a uniform constructor.
    class_days : int, default 14
        Half-width, in days, of the hiring class around a hire date.

    Examples
    --------
    >>> from attrition import Tables
    >>> emp = pd.DataFrame({"employee_id": ["a", "b", "c", "d"], "team_id": ["t"] * 4,
    ...     "site": ["s"] * 4,
    ...     "hire_date": pd.to_datetime(["2023-01-01", "2024-03-01", "2024-03-05", "2024-04-20"]),
    ...     "termination_date": pd.to_datetime(["2024-02-10", None, None, None]),
    ...     "termination_reason": ["voluntary", None, None, None]})
    >>> fr = pd.DataFrame({"employee_id": ["b", "c"], "team_id": ["t", "t"],
    ...     "as_of": pd.to_datetime(["2024-03-31"] * 2)})
    >>> HiringFeatures().build(Tables(emp), fr).to_dict("list")
    {'hire_class_size': [2.0, 2.0], 'team_vol_exits_before_hire_91d': [1.0, 1.0]}
    """

    name = "hiring"
    table = None

    def __init__(self, windows=(28, 91, 182), class_days: int = 14) -> None:
        self.windows = windows
        self.class_days = class_days

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        emp = tables.employees
        by_id = emp.set_index("employee_id")
        ids = frame["employee_id"]
        as_of = pd.to_datetime(frame["as_of"]).to_numpy().astype("datetime64[ns]")
        hire = by_id["hire_date"].reindex(ids).to_numpy().astype("datetime64[ns]")
        half = np.timedelta64(int(self.class_days), "D")

        # Hiring class: same site (the one joined), hire dates within +-class_days, hired by t.
        history = tables.employee_history
        # With a history, the site comes from it only (hr_attributes never reads the export's).
        has_site = "site" in (history.columns if history is not None else emp.columns)
        if has_site:
            groups = pd.Series(_attribute_on(tables, ids, hire, "site")).fillna("(none)").to_numpy()
            all_groups = pd.Series(_attribute_on(tables, emp["employee_id"], emp["hire_date"],
                                                 "site")).fillna("(none)").to_numpy()
        else:
            groups = np.zeros(len(frame), dtype=object)
            all_groups = np.zeros(len(emp), dtype=object)
        all_hires = emp["hire_date"].to_numpy().astype("datetime64[ns]")
        class_size = np.zeros(len(frame), dtype="float64")
        for g in pd.unique(groups):
            rows = groups == g
            dates = np.sort(all_hires[all_groups == g])
            high = np.minimum(hire[rows] + half, as_of[rows])
            class_size[rows] = _count_between(dates, hire[rows] - half, high)

        # The joined team's voluntary exits in the 91 days up to the hire date (all dated <= hire <= t).
        vol = (emp["termination_date"].notna() & (emp["termination_reason"] == "voluntary")).to_numpy()
        exits = pd.DataFrame({
            "team_id": _attribute_on(tables, emp.loc[vol, "employee_id"],
                                     emp.loc[vol, "termination_date"], "team_id"),
            "termination_date": emp.loc[vol, "termination_date"].to_numpy()})
        teams = _attribute_on(tables, ids, hire, "team_id")
        before = np.zeros(len(frame), dtype="float64")
        # Each team's rows as a slice of one sort by team (not a comparison of every row per team).
        codes, names = pd.factorize(pd.Series(teams, dtype=object))
        position = {team: k for k, team in enumerate(names)}
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for team, part in exits.dropna(subset=["team_id"]).groupby("team_id", sort=False):
            k = position.get(team)
            if k is None:
                continue
            rows = order[bounds[k]:bounds[k + 1]]
            dates = np.sort(part["termination_date"].to_numpy().astype("datetime64[ns]"))
            before[rows] = _count_between(dates, hire[rows] - 90 * _DAY, hire[rows])
        return pd.DataFrame({"hire_class_size": class_size, "team_vol_exits_before_hire_91d": before})

    def labels(self) -> dict[str, str]:
        return {
            "hire_class_size": f"Hiring class size (site, ±{self.class_days} days)",
            "team_vol_exits_before_hire_91d": "Voluntary exits from the team in the 91 days before hire",
        }
