"""Hiring features against a row-by-row count (the vectorised per-team lookup changes no value)."""

import numpy as np
import pandas as pd

from attrition import Tables, simulate
from attrition.features import HiringFeatures
from attrition.snapshots import population


def test_hiring_features_equal_a_row_by_row_count():
    emp = simulate(n_employees=80, months=8, seed=5).tables.employees.copy()
    # A team nobody left voluntarily from, and a person without a team: both count 0 exits.
    emp.loc[emp.index[0], "team_id"] = "T_QUIET"
    emp.loc[emp.index[1], "team_id"] = None
    tables = Tables(emp)
    frame = population(emp, pd.date_range("2024-02-29", periods=6, freq="ME"))
    got = HiringFeatures().build(tables, frame)

    by_id = emp.set_index("employee_id")
    vol = emp[emp["termination_date"].notna() & (emp["termination_reason"] == "voluntary")]
    day = pd.Timedelta(days=1)
    want_class, want_exits = [], []
    for eid, t in zip(frame["employee_id"], pd.to_datetime(frame["as_of"]), strict=True):
        hire, team, site = by_id.at[eid, "hire_date"], by_id.at[eid, "team_id"], by_id.at[eid, "site"]
        same_site = emp["site"].fillna("(none)") == ("(none)" if pd.isna(site) else site)
        dates = emp.loc[same_site, "hire_date"]
        want_class.append(float(((dates >= hire - 14 * day) & (dates <= min(hire + 14 * day, t))).sum()))
        left = vol[vol["team_id"] == team]["termination_date"] if not pd.isna(team) else vol.iloc[:0]["termination_date"]
        want_exits.append(float(((left >= hire - 90 * day) & (left <= hire)).sum()))
    assert got["hire_class_size"].tolist() == want_class
    assert got["team_vol_exits_before_hire_91d"].tolist() == want_exits
    assert (np.asarray(want_exits) > 0).any()  # the check is not vacuous
