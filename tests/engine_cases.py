"""Hand-made tables and a comparison shared by the engine tests (DuckDB, Spark SQL, SQL twins)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition import Tables, validate_tables

#: Feature values may differ by summation order only.
RTOL, ATOL = 1e-9, 1e-12


def assert_same_snapshots(ref: pd.DataFrame, got: pd.DataFrame) -> None:
    """Same columns, order, dtypes and rows; floats equal up to summation order, NaN alike."""
    assert list(got.columns) == list(ref.columns)
    assert got.dtypes.astype(str).tolist() == ref.dtypes.astype(str).tolist()
    assert len(got) == len(ref)
    for col in ref.columns:
        a, b = ref[col], got[col]
        if a.dtype.kind == "f":
            assert (a.isna() == b.isna()).all(), f"{col}: NaN in different places"
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=RTOL, atol=ATOL,
                                       equal_nan=True, err_msg=col)
        else:
            pd.testing.assert_series_equal(b, a, obj=col)
    assert got.attrs == ref.attrs


def edge_case_tables() -> Tables:
    """Hand-made tables with the cases the SQL must get right.

    As-of dates 2024-03-31 and 2024-06-30 (export date 2024-06-30):

    * E1: shifts every few days incl. rows exactly on 2024-03-31 and on
      2024-03-03 (= 2024-03-31 - 28 days, just outside the 28-day window),
      overnight shifts, a 02:00 start, missing times, notice and adherence,
      a missed shift, short rests, a split shift, weekends;
    * E2: only future (published, not worked) shifts after the first as-of;
    * E3: no daily rows at all;
    * E4: rows only long before the as-of dates (covered, empty windows);
    * E5 (another team): a workload day without a schedule row, no csat/qa.
    """
    emp = pd.DataFrame({
        "employee_id": ["E1", "E2", "E3", "E4", "E5"],
        "hire_date": ["2023-01-01"] * 5,
        "termination_date": [None] * 5,
        "termination_reason": [None] * 5,
        "team_id": ["T1", "T1", "T1", "T1", "T2"],
    })
    rows = []
    start = pd.Timestamp("2023-09-01")
    rng = np.random.default_rng(5)
    starts = ["06:00", "08:30", "14:00", "22:00", "23:30", "02:00", None, "12:00"]
    ends = ["14:00", "17:00", "22:00", "06:00", "07:30", "10:00", "16:00", None]
    for i, day in enumerate(pd.date_range(start, "2024-06-30", freq="3D")):
        k = i % len(starts)
        worked = [480.0, 0.0, 300.0, 470.0][i % 4]
        rows.append(["E1", day, starts[k], ends[k], 480.0, worked,
                     [0.0, 15.0, np.nan][i % 3], [0.9, np.nan, 0.75, 1.0, 0.0][i % 5],
                     [1.0, 14.0, np.nan, 2.0, 3.0][i % 5]])
    special = [
        # exactly on the as-of date, and exactly w = 28 days before it
        ["E1", "2024-03-31", "07:00", "15:00", 480.0, 480.0, 1000.0, 0.5, 0.0],
        ["E1", "2024-03-03", "21:00", "05:00", 480.0, 480.0, 2000.0, 0.2, 0.0],
        # split shift: 08:00-20:00 span for 6 paid hours; short rest after a late shift
        ["E1", "2024-03-29", "08:00", "20:00", 360.0, 360.0, 0.0, 0.95, 30.0],
        ["E1", "2024-03-30", "05:00", "13:00", 480.0, 480.0, 0.0, 0.95, 30.0],
        ["E2", "2024-04-10", "09:00", "17:00", 480.0, 0.0, np.nan, np.nan, 3.0],
        ["E2", "2024-05-10", "09:00", "17:00", 480.0, 0.0, np.nan, np.nan, 3.0],
        ["E4", "2023-09-05", "09:00", "17:00", 480.0, 480.0, 10.0, 0.9, 14.0],
        ["E5", "2024-03-20", "10:00", "18:00", 480.0, 450.0, 0.0, 0.8, 7.0],
    ]
    sched = pd.DataFrame(rows + special, columns=[
        "employee_id", "date", "shift_start", "shift_end", "scheduled_minutes", "worked_minutes",
        "overtime_minutes", "adherence", "notice_days"])
    sched["date"] = pd.to_datetime(sched["date"])
    sched = sched.drop_duplicates(["employee_id", "date"], keep="last")
    sched = sched.sample(frac=1.0, random_state=1).reset_index(drop=True)  # order must not matter

    wl_days = sched.loc[(sched["employee_id"] == "E1") & (sched["worked_minutes"].fillna(1) > 0),
                        ["employee_id", "date"]]
    n = len(wl_days)
    wl = wl_days.assign(
        contacts_handled=rng.integers(0, 60, n).astype(float),
        handle_seconds=rng.uniform(0, 20000, n).round(1),
        after_contact_seconds=np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0, 2000, n).round(1)),
        occupancy=np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0.5, 1.0, n).round(3)),
        escalations=rng.integers(0, 3, n).astype(float),
        csat=np.where(rng.random(n) < 0.5, np.nan, rng.uniform(1, 5, n).round(2)),
        qa_score=np.where(rng.random(n) < 0.8, np.nan, rng.uniform(50, 100, n).round(1)),
    )
    extra = pd.DataFrame({"employee_id": ["E1", "E5", "E5", "E4"],
                          "date": pd.to_datetime(["2024-03-31", "2024-03-20", "2024-03-21",
                                                  "2023-09-05"]),
                          "contacts_handled": [30.0, 20.0, 25.0, 10.0],
                          "handle_seconds": [9000.0, 6000.0, 7000.0, 3000.0],
                          "after_contact_seconds": [900.0, 600.0, np.nan, 100.0],
                          "occupancy": [0.9, 0.85, 0.86, 0.7], "escalations": [1.0, 0.0, 0.0, 0.0],
                          "csat": [np.nan] * 4, "qa_score": [np.nan] * 4})
    wl = pd.concat([wl, extra]).drop_duplicates(["employee_id", "date"], keep="last")
    wl = wl.reset_index(drop=True)
    tables = Tables(employees=emp, schedule=sched, workload=wl,
                    export_date=pd.Timestamp("2024-06-30"))
    return validate_tables(tables)


EDGE_AS_OF = ["2024-03-31", "2024-06-30"]
