"""Team context: size, growth, recent exits and hires, computed point-in-time.

A team is the employee's current ``team_id`` in the HR master (the contract
carries no team history). Exits and hires of team members count only when
dated on or before the as-of date; the focal employee, employed on the as-of
date, never counts as an exit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.data._tables import Tables
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
        emp = tables.employees
        windows = list(self.windows)
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
        sums = trailing_sums(
            events, "date", {"hire": "hire", "exit": "exit", "vol": "vol"},
            frame, windows, offsets=[0, 91], key="team_id",
        )
        size = sums["cum@0_hire"] - sums["cum@0_exit"]
        size_91 = sums["cum@91_hire"] - sums["cum@91_exit"]
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
