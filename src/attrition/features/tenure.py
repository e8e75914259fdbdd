"""Tenure, contract and pay features from the HR master.

The HR master is one row per employee as it stands at the export. Its dated
columns (``hire_date``) are used point-in-time. Its undated attributes
(``site``, ``role``, ``employment_type``, ``contracted_hours``,
``hourly_wage``, ``team_id``) are the *current* values. With
``employee_history`` they are read from the history row in force on each
as-of date instead (:func:`attrition.features._history.hr_attributes`) and
the ``employees`` columns are never read. Without it, for early as-of dates
they may describe a later state (e.g. a raise given after the as-of date;
the snapshot builder warns); for that reason the absolute wage is not a
feature, only pay relative to the team and site medians of the same day. ``termination_date`` and
``termination_reason`` are labels and are never read here. Protected
attributes (``birth_year``, ``gender``) are never read here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.data._tables import Tables
from attrition.features._base import FeatureBuilder, safe_ratio
from attrition.features._history import hr_attributes

__all__ = ["TenureFeatures", "CATEGORICAL_FEATURES"]

#: HR attributes passed to the model as categories (LightGBM handles them natively).
CATEGORICAL_FEATURES: tuple[str, ...] = ("site", "role", "employment_type")


class TenureFeatures(FeatureBuilder):
    """Tenure, early-tenure phase, contract and relative pay.

    Parameters
    ----------
    windows : sequence of int
        Unused; kept for a uniform constructor.
    early_tenure_days : int, default 90
        Length of the early-tenure phase, in which agent attrition peaks.

    Examples
    --------
    >>> from attrition import Tables
    >>> emp = pd.DataFrame({"employee_id": ["a", "b"], "team_id": ["t", "t"],
    ...     "hire_date": pd.to_datetime(["2024-01-01", "2023-01-01"]),
    ...     "termination_date": pd.to_datetime([None, None]),
    ...     "hourly_wage": [20.0, 25.0]})
    >>> fr = pd.DataFrame({"employee_id": ["a", "b"], "team_id": ["t", "t"],
    ...     "as_of": pd.to_datetime(["2024-01-31"] * 2)})
    >>> TenureFeatures().build(Tables(emp), fr)[["tenure_days", "early_tenure"]].to_dict("list")
    {'tenure_days': [30.0, 395.0], 'early_tenure': [1.0, 0.0]}
    """

    name = "tenure"
    table = None

    def __init__(self, windows=(28, 91, 182), early_tenure_days: int = 90) -> None:
        self.windows = windows
        self.early_tenure_days = early_tenure_days

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        emp = tables.employees.set_index("employee_id")
        ids = frame["employee_id"]
        as_of = pd.to_datetime(frame["as_of"]).to_numpy()
        hire = emp["hire_date"].reindex(ids).to_numpy()
        tenure = ((as_of - hire) / np.timedelta64(1, "D")).astype("float64")
        out = pd.DataFrame(
            {
                "tenure_days": tenure,
                "early_tenure": (tenure <= self.early_tenure_days).astype("float64"),
                "log_tenure": np.log1p(np.clip(tenure, 0, None)),
            }
        )
        history = tables.employee_history is not None
        have = set(tables.employee_history.columns if history else emp.columns)
        attrs = hr_attributes(tables, frame)
        for col in CATEGORICAL_FEATURES:
            if col in have:
                out[col] = pd.Categorical(attrs[col].to_numpy())
        if "contracted_hours" in have:
            out["contracted_hours"] = pd.to_numeric(attrs["contracted_hours"]).to_numpy(dtype="float64")
        if "hourly_wage" in have:
            # Only pay *relative* to peers: without history the absolute current wage
            # of a stayer includes every later raise while a leaver's is frozen at
            # exit, which would tie the raw level to the label.
            wage = pd.Series(pd.to_numeric(attrs["hourly_wage"]).to_numpy(dtype="float64"))
            # Peers: the people employed on the same as-of date in the same team
            # / site (the frame is exactly the employed population).
            team_med = wage.groupby([frame["as_of"].to_numpy(), frame["team_id"].to_numpy()]).transform("median")
            out["pay_vs_team"] = safe_ratio(wage - team_med, team_med)
            if "site" in have:
                site = attrs["site"].to_numpy()
                site_med = wage.groupby([frame["as_of"].to_numpy(), site], dropna=False).transform("median")
                out["pay_vs_site"] = safe_ratio(wage - site_med, site_med)
        return out

    def labels(self) -> dict[str, str]:
        return {
            "tenure_days": "Tenure (days)",
            "early_tenure": f"In the first {self.early_tenure_days} days",
            "log_tenure": "Tenure (log days)",
            "site": "Site",
            "role": "Role",
            "employment_type": "Employment type",
            "contracted_hours": "Contracted hours per week",
            "pay_vs_team": "Pay relative to team median",
            "pay_vs_site": "Pay relative to site median",
        }
