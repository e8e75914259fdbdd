"""The as-of rule for the job history and declared tables, and no export-time HR values with history."""

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition import build_snapshots
from attrition.exceptions import DataQualityWarning

AS_OF = [pd.Timestamp("2024-05-31"), pd.Timestamp("2024-08-31")]
DATE = {"employee_history": "effective_date", "performance": "review_date", "coaching": "session_date"}


def _frame(tables, name):
    return tables.employee_history if name == "employee_history" else tables.declared[name]


def _put(tables, name, frame):
    if name == "employee_history":
        return tables.copy(employee_history=frame)
    return tables.copy(declared={**tables.declared, name: frame})


def _perturb(tables, t, seed, name, mode):
    rng = np.random.default_rng(seed)
    frame = _frame(tables, name).copy()
    col = DATE[name]
    idx = frame.index[frame[col] > t]
    if mode == "drop":
        frame = frame.drop(idx[rng.random(len(idx)) < 0.5])
    elif mode == "values":
        numeric = {"employee_history": ["hourly_wage", "contracted_hours", "grade"],
                   "performance": ["rating", "business_value"], "coaching": []}[name]
        for c in numeric:
            frame.loc[idx, c] = frame.loc[idx, c].to_numpy(dtype="float64") * rng.uniform(0.5, 1.5, len(idx))
        if name == "employee_history":
            frame.loc[idx, "team_id"] = rng.choice(["T001", "T002", "T999"], len(idx))
            frame.loc[idx, "manager_id"] = rng.choice(["L001-0", "Lnew"], len(idx))
        if name == "coaching":
            frame.loc[idx, "session_type"] = "recognition"
    elif mode == "add":  # new rows after t, for employees that exist
        new = frame.sample(n=min(20, len(frame)), random_state=seed).copy()
        new[col] = t + pd.to_timedelta(rng.integers(1, 60, len(new)), "D")
        frame = pd.concat([frame, new], ignore_index=True)
        if name == "employee_history":
            frame = frame.drop_duplicates(["employee_id", col], keep="first")
    return _put(tables, name, frame.reset_index(drop=True))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), t=st.sampled_from(AS_OF),
       name=st.sampled_from(list(DATE)), mode=st.sampled_from(["drop", "values", "add"]))
def test_history_and_declared_rows_after_as_of_change_no_feature(small_centre, seed, t, name, mode):
    tables = small_centre.tables
    base = build_snapshots(tables, as_of=[t], labels=False)
    perturbed = build_snapshots(_perturb(tables, t, seed, name, mode), as_of=[t], labels=False)
    assert_frame_equal(base, perturbed)


def test_with_history_no_feature_reads_the_export_time_hr_columns(small_centre):
    tables = small_centre.tables
    emp = tables.employees.copy()
    rng = np.random.default_rng(0)
    emp["team_id"] = rng.choice(["X1", "X2"], len(emp))
    emp["site"] = "moon"
    emp["role"] = "astronaut"
    emp["employment_type"] = "temporary"
    emp["contracted_hours"] = 1.0
    emp["hourly_wage"] = rng.uniform(1, 100, len(emp))
    base = build_snapshots(tables, as_of=AS_OF, labels=False)
    changed = build_snapshots(tables.copy(employees=emp), as_of=AS_OF, labels=False)
    assert {"site", "role", "pay_vs_team", "team_size", "hist_days_since_manager_change",
            "lead_span_of_control", "performance_rating_mean_91d",
            "coaching_recognition_events_91d"} <= set(base.columns)
    assert_frame_equal(base, changed)


def test_without_history_the_export_time_features_are_named_once(small_centre):
    tables = small_centre.tables.copy(employee_history=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = build_snapshots(tables, as_of=AS_OF, labels=False)
    said = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)
            and "employee_history" in str(w.message)]
    assert len(said) == 1 and "pay_vs_team" in said[0] and "flatter" in said[0]
    assert "pay_vs_team" in frame.attrs["export_time_features"]
    assert not any(c.startswith("hist_") for c in frame.columns)


def test_attributes_follow_the_row_in_force(small_centre):
    tables = small_centre.tables
    hist = tables.employee_history
    moved = hist.loc[hist["change_reason"] == "transfer"].iloc[0]
    before = moved["effective_date"] - pd.Timedelta(days=1)
    t0 = pd.Timestamp(before.year, before.month, 1) + pd.offsets.MonthEnd(0)
    t1 = t0 + pd.offsets.MonthEnd(1)
    snaps = build_snapshots(tables, as_of=[t0, t1], labels=False)
    rows = snaps.loc[snaps["employee_id"] == moved["employee_id"]].set_index("as_of")
    own = hist.loc[hist["employee_id"] == moved["employee_id"]]
    was = own.loc[own["effective_date"] <= t0, "team_id"].iloc[-1]
    assert rows.loc[t0, "team_id"] == was != moved["team_id"]
    assert rows.loc[t1, "team_id"] == moved["team_id"]
    assert rows.loc[t1, "hist_days_since_team_move"] == (t1 - moved["effective_date"]).days


def test_before_the_first_history_row_attributes_are_unknown(small_centre):
    tables = small_centre.tables
    hist = tables.employee_history
    first = hist.groupby("employee_id")["effective_date"].transform("min")
    emp_id = hist["employee_id"].iloc[0]
    late = hist.loc[hist["employee_id"] != emp_id].copy()
    late = pd.concat([late, hist.loc[(hist["employee_id"] == emp_id) & (first == hist["effective_date"])]
                      .assign(effective_date=pd.Timestamp("2024-12-01"))], ignore_index=True)
    snaps = build_snapshots(tables.copy(employee_history=late), as_of=[AS_OF[0]], labels=False)
    row = snaps.loc[snaps["employee_id"] == emp_id].iloc[0]
    assert pd.isna(row["site"]) and pd.isna(row["pay_vs_team"]) and pd.isna(row["team_id"])
