"""Team context: size, growth, recent exits and hires, computed point-in-time.

Without ``employee_history``, a team is the employee's current ``team_id``
in the HR master (its value on the export date). With it, membership
follows the history: an employee belongs to the team of the row in force,
moves count out of the old team and into the new one on the row's date, and
hires and exits count for the team in force on the hire and last day.
Exits and hires of team members count only when dated on or before the
as-of date; the focal employee, employed on the as-of date, never counts as
an exit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.data._tables import Tables
from attrition.exceptions import SchemaError
from attrition.features._base import FeatureBuilder, safe_ratio, trailing_sums

__all__ = ["TeamFeatures"]


class TeamFeatures(FeatureBuilder):
    """Team size and churn as of each date.

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Windows over which team exits and hires are counted.

    Examples
    --------
    >>> from attrition import Tables
    >>> emp = pd.DataFrame({"employee_id": ["a", "b", "c"], "team_id": ["t"] * 3,
    ...     "hire_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-10"]),
    ...     "termination_date": pd.to_datetime([None, "2024-01-20", None]),
    ...     "termination_reason": [None, "voluntary", None]})
    >>> fr = pd.DataFrame({"employee_id": ["a", "c"], "team_id": ["t", "t"],
    ...     "as_of": pd.to_datetime(["2024-01-31"] * 2)})
    >>> TeamFeatures(windows=[28]).build(Tables(emp), fr)[["team_size", "team_vol_exits_28d"]].iloc[0].tolist()
    [2.0, 1.0]
    """

    name = "team"
    table = None

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        if tables.employee_history is not None:
            if "team_id" not in tables.employee_history.columns:
                raise SchemaError(
                    f"{tables.source('employee_history')} has no team_id column: the job history must "
                    "name each row's team (required by the data contract), as team membership on each "
                    "date comes from it. Add the team_id column, or leave employee_history out.",
                    file=tables.source("employee_history"), column="team_id",
                    n_rows=len(tables.employee_history))
            return self._from_sums(tables, frame, _membership_from_history(tables))
        emp = tables.employees
        hires = pd.DataFrame({"team_id": emp["team_id"], "date": emp["hire_date"], "hire": 1.0})
        exited = emp["termination_date"].notna()
        exits = pd.DataFrame(
            {
                "team_id": emp.loc[exited, "team_id"],
                "date": emp.loc[exited, "termination_date"],
                "exit": 1.0,
                "vol": (emp.loc[exited, "termination_reason"] == "voluntary").astype("float64"),
            }
        )
        # One event stream per team: +1 on the hire date, -1 on the last day.
        # Like the snapshot population, someone whose last day is the as-of date
        # is no longer a member on it.
        events = pd.concat(
            [hires.assign(exit=0.0, vol=0.0), exits.assign(hire=0.0)],
            ignore_index=True,
        )
        events["join"], events["leave"] = events["hire"], events["exit"]
        return self._from_sums(tables, frame, events)

    def _from_sums(self, tables: Tables, frame: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
        """The features from team events: ``join``/``leave`` move membership; ``hire``,
        ``exit`` and ``vol`` count hires, exits and voluntary exits."""
        emp = tables.employees
        windows = list(self.windows)
        sums = trailing_sums(
            events, "date", {"hire": "hire", "exit": "exit", "vol": "vol", "join": "join",
                             "leave": "leave"},
            frame, windows, offsets=[0, 91], key="team_id",
        )
        size = sums["cum@0_join"] - sums["cum@0_leave"]
        size_91 = sums["cum@91_join"] - sums["cum@91_leave"]
        out = {
            "team_size": size.to_numpy(),
            "team_growth_91d": safe_ratio(size - size_91, size_91),
        }
        for w in windows:
            out[f"team_vol_exits_{w}d"] = sums[f"sum_{w}_vol"].to_numpy()
            out[f"team_exit_rate_{w}d"] = safe_ratio(sums[f"sum_{w}_exit"], size + sums[f"sum_{w}_exit"])
            out[f"team_hires_{w}d"] = sums[f"sum_{w}_hire"].to_numpy()
        result = pd.DataFrame(out)
        tenure = (pd.to_datetime(frame["as_of"]).to_numpy()
                  - emp.set_index("employee_id")["hire_date"].reindex(frame["employee_id"]).to_numpy())
        tenure_days = pd.Series(tenure / np.timedelta64(1, "D"))
        result["team_median_tenure_days"] = tenure_days.groupby(
            [frame["as_of"].to_numpy(), frame["team_id"].to_numpy()]).transform("median").to_numpy()
        return result

    def labels(self) -> dict[str, str]:
        labels = {
            "team_size": "Team size",
            "team_growth_91d": "Team size change, last 91 days (share)",
            "team_median_tenure_days": "Median tenure in the team (days)",
        }
        for w in self.windows:
            labels[f"team_vol_exits_{w}d"] = f"Voluntary exits from the team, last {w} days"
            labels[f"team_exit_rate_{w}d"] = f"Share of the team that left, last {w} days"
            labels[f"team_hires_{w}d"] = f"New hires in the team, last {w} days"
        return labels


def _membership_from_history(tables: Tables) -> pd.DataFrame:
    """Team events from ``employee_history``: joins and leaves on each row's date, hires and
    exits for the team in force on the hire and last day.

    Row ``i`` of an employee holds from ``max(effective_date_i, hire_date)`` until the next
    row's date, and never on or after ``termination_date`` (as in the snapshot population).
    """
    emp = tables.employees.set_index("employee_id")
    h = tables.employee_history.sort_values(["employee_id", "effective_date"], kind="stable")
    ids = h["employee_id"].astype(str).to_numpy()
    date = h["effective_date"].to_numpy(dtype="datetime64[ns]")
    same_next = np.r_[ids[1:] == ids[:-1], False]
    nxt = np.where(same_next, np.r_[date[1:], np.datetime64("NaT", "ns")], np.datetime64("NaT", "ns"))
    hire = emp["hire_date"].reindex(ids).to_numpy(dtype="datetime64[ns]")
    term = emp["termination_date"].reindex(ids).to_numpy(dtype="datetime64[ns]")
    reason = emp["termination_reason"].reindex(ids).to_numpy() if "termination_reason" in emp.columns \
        else np.full(len(ids), None, dtype=object)
    start = np.where(date < hire, hire, date)
    end = nxt.copy()
    ends_at_term = ~np.isnat(term) & (np.isnat(end) | (term < end))
    end = np.where(ends_at_term, term, end)
    valid = ~np.isnat(start) & (np.isnat(end) | (start < end))
    team = h["team_id"].to_numpy()
    v = valid & pd.notna(team)
    zero = np.zeros(int(v.sum()))
    joins = pd.DataFrame({"team_id": team[v], "date": start[v], "join": 1.0, "leave": zero,
                          "hire": (start[v] == hire[v]).astype("float64"), "exit": zero, "vol": zero})
    out_rows = v & ~np.isnat(end)
    exit_flag = ends_at_term[out_rows].astype("float64")
    leaves = pd.DataFrame({"team_id": team[out_rows], "date": end[out_rows], "join": 0.0, "leave": 1.0,
                           "hire": 0.0, "exit": exit_flag,
                           "vol": exit_flag * (reason[out_rows] == "voluntary")})
    return pd.concat([joins, leaves], ignore_index=True)
