"""Each daily builder's SQL twin gives its pandas ``_daily_values``, row by row.

``ScheduleFeatures.sql_daily_values`` and ``WorkloadFeatures.sql_daily_values``
sit next to the pandas code they mirror; the warehouse path sums their rows in
DuckDB or Spark. Here DuckDB runs each twin on the same table as the pandas
code, for every builder (default and non-default parameters), on a simulated
centre and on hand-made edge cases, so neither side can drift from the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.data._tables import Tables
from attrition.features import ScheduleFeatures, WorkloadFeatures
from attrition.features._base import FeatureBuilder
from engine_cases import edge_case_tables

duckdb = pytest.importorskip("duckdb")

BUILDERS = [
    pytest.param(ScheduleFeatures(), id="schedule"),
    pytest.param(ScheduleFeatures(late_notice_days=5, night_start="21:30", night_end="05:00",
                                  min_rest_hours=12.5, split_gap_minutes=60), id="schedule-params"),
    pytest.param(WorkloadFeatures(), id="workload"),
    pytest.param(WorkloadFeatures(high_occupancy=0.7), id="workload-params"),
]


# ---------------------------------------------------------------- the cases
def _edge() -> Tables:
    return edge_case_tables()


def _unvalidated() -> Tables:
    """What validation refuses but a warehouse may hold: missing scheduled or worked
    minutes, unreadable times, text in a number, a workload day worked in two schedule rows."""
    edge = edge_case_tables()
    sched = edge.schedule.astype({"shift_start": object, "shift_end": object}).copy()
    sched.loc[sched.index[:12:3], "worked_minutes"] = np.nan
    sched.loc[sched.index[1:12:4], "scheduled_minutes"] = np.nan
    sched.loc[sched.index[5], "shift_start"] = "noon"
    sched.loc[sched.index[6], "shift_end"] = "7:5"
    sched.loc[sched.index[7], "shift_start"] = "24:30"  # reads as 1470 minutes on both sides
    wl = edge.workload.copy()
    wl.loc[wl.index[2], "occupancy"] = np.nan
    wl.loc[wl.index[3], "contacts_handled"] = 0.0
    return Tables(edge.employees, schedule=sched, workload=wl)


def _two_rows_a_day() -> Tables:
    """The workload's worked minutes come from two schedule rows of one day (summed)."""
    edge = edge_case_tables()
    one = edge.schedule[edge.schedule["employee_id"] == "E5"]
    return Tables(edge.employees, schedule=pd.concat([edge.schedule, one], ignore_index=True),
                  workload=edge.workload)


def _optional_columns_missing() -> Tables:
    """Only the required columns: every optional value reads as missing on both sides."""
    edge = edge_case_tables()
    sched = edge.schedule[["employee_id", "date", "scheduled_minutes", "worked_minutes"]]
    wl = edge.workload[["employee_id", "date", "contacts_handled", "handle_seconds"]]
    return Tables(edge.employees, schedule=sched, workload=wl)


def _no_schedule() -> Tables:
    """A workload without a schedule: no worked minutes, no contacts per hour."""
    edge = edge_case_tables()
    return Tables(edge.employees, workload=edge.workload)


def _tiny() -> Tables:
    """A few hand-written rows around midnight, the 04:00 start origin and the rest limit."""
    sched = pd.DataFrame({
        "employee_id": ["a", "a", "a", "a", "b", "b"],
        "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-04", "2024-03-09",
                                "2024-03-09", "2024-03-10"]),
        "shift_start": ["22:00", "08:00", "03:59", "04:00", "00:00", "23:59"],
        "shift_end": ["06:00", "16:00", "12:00", "20:30", "00:00", None],
        "scheduled_minutes": [480.0, 480.0, 480.0, 480.0, 0.0, 480.0],
        "worked_minutes": [480.0, 0.0, 470.0, 400.0, 0.0, 480.0],
        "overtime_minutes": [0.0, np.nan, 12.5, 30.0, 0.0, np.nan],
        "adherence": [0.5, 0.9, np.nan, 1.0, 0.0, 0.25],
        "notice_days": [2.0, 3.0, 0.0, np.nan, 2.0, 1.0],
    })
    wl = pd.DataFrame({
        "employee_id": ["a", "a", "b", "c"],
        "date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-10", "2024-03-10"]),
        "contacts_handled": [40.0, np.nan, 3.0, 1.0],
        "handle_seconds": [12000.5, 100.0, np.nan, 60.0],
        "after_contact_seconds": [np.nan, 10.0, 5.0, 1.0],
        "occupancy": [0.85, 0.851, np.nan, 0.7],
        "escalations": [1.0, 2.0, 0.0, np.nan],
        "csat": [4.5, np.nan, 1.0, 5.0],
        "qa_score": [np.nan, 80.0, 99.5, 0.0],
    })
    emp = pd.DataFrame({"employee_id": ["a", "b", "c"]})
    return Tables(emp, schedule=sched, workload=wl)


CASES = {
    "simulated": None,  # the small_centre fixture
    "edge": _edge,
    "unvalidated": _unvalidated,
    "two-rows-a-day": _two_rows_a_day,
    "optional-columns-missing": _optional_columns_missing,
    "no-schedule": _no_schedule,
    "tiny": _tiny,
}
#: Cases that do not apply to the schedule: no schedule at all, or two rows on one
#: day (which shift came first is ambiguous; validation refuses such tables).
NOT_FOR_SCHEDULE = {"no-schedule", "two-rows-a-day"}


def _pairs():
    for builder in BUILDERS:
        for case in CASES:
            if isinstance(builder.values[0], ScheduleFeatures) and case in NOT_FOR_SCHEDULE:
                continue
            yield pytest.param(builder.values[0], case, id=f"{builder.id}-{case}")


def _tables(case: str, request) -> Tables:
    make = CASES[case]
    return request.getfixturevalue("small_centre").tables if make is None else make()


# ---------------------------------------------------------------- running each side
def pandas_daily_values(builder: FeatureBuilder, tables: Tables) -> pd.DataFrame:
    if isinstance(builder, ScheduleFeatures):
        return builder._daily_values(tables.schedule)
    return builder._daily_values(tables.workload, tables.schedule)


def sql_daily_values(builder: FeatureBuilder, tables: Tables) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.register("t_schedule", tables.schedule if tables.schedule is not None
                     else pd.DataFrame({"employee_id": [], "date": []}))
        con.register("t_workload", tables.workload if tables.workload is not None
                     else pd.DataFrame({"employee_id": [], "date": []}))
        if isinstance(builder, ScheduleFeatures):
            sql = builder.sql_daily_values("duckdb", source="t_schedule",
                                           columns=list(tables.schedule.columns))
        else:
            schedule = None if tables.schedule is None else "t_schedule"
            sql = builder.sql_daily_values(
                "duckdb", source="t_workload", columns=list(tables.workload.columns),
                schedule=schedule,
                schedule_columns=None if schedule is None else list(tables.schedule.columns))
        return con.execute(sql).df()
    finally:
        con.close()


def comparable(values: pd.DataFrame) -> pd.DataFrame:
    """Ids as text, dates as datetime64[ns], values as float64, rows sorted by key."""
    out = values.assign(employee_id=values["employee_id"].astype(str),
                        date=pd.to_datetime(values["date"]).astype("datetime64[ns]"))
    for col in out.columns[2:]:
        out[col] = out[col].astype("float64")
    return out.sort_values(["employee_id", "date"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize(("builder", "case"), list(_pairs()))
def test_sql_twin_equals_pandas_daily_values(builder, case, request):
    tables = _tables(case, request)
    ref = comparable(pandas_daily_values(builder, tables))
    got = comparable(sql_daily_values(builder, tables))
    assert list(got.columns) == list(ref.columns)
    assert list(builder.sql_values("duckdb")) == list(ref.columns[2:])
    # Row-wise values, no summation: equal to the last bit (NaN never: indicators and zeros).
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_cases_exercise_every_value(builder, small_centre):
    """The comparison is not vacuous: each value is nonzero in some case, and zero in some."""
    cases = [small_centre.tables] + [make() for case, make in CASES.items() if make is not None
                                     and not (builder.table == "schedule" and case in NOT_FOR_SCHEDULE)]
    values = pd.concat([pandas_daily_values(builder, t).iloc[:, 2:].astype("float64") for t in cases])
    assert [c for c in values.columns if not (values[c] != 0).any()] == []
    assert [c for c in values.columns if not (values[c] == 0).any()] == []


@pytest.mark.parametrize("builder", BUILDERS)
def test_sql_twin_is_spelled_for_each_dialect(builder):
    extra = {} if isinstance(builder, ScheduleFeatures) else {"schedule": "sch"}
    duck = builder.sql_daily_values("duckdb", source="s", **extra)
    spark = builder.sql_daily_values("spark", source="s", **extra)
    assert "FROM s\n" in duck and "FROM s\n" in spark
    if isinstance(builder, ScheduleFeatures):
        assert "isodow(" in duck and "weekday(" in spark
        assert "date_diff('day'" in duck and "datediff(" in spark
    else:
        assert '"worked_minutes"' in duck and "`worked_minutes`" in spark
    with pytest.raises(ValueError, match="Unknown SQL dialect"):
        builder.sql_daily_values("oracle", source="s")


def test_bad_night_hours_are_refused_by_both_twins():
    builder = ScheduleFeatures(night_start="late")
    with pytest.raises(ValueError, match="night_start and night_end must be HH:MM"):
        builder.sql_values("duckdb")
    with pytest.raises(ValueError, match="night_start and night_end must be HH:MM"):
        builder._daily_values(_tiny().schedule)


def test_features_layer_does_not_import_duckdb_at_import_time():
    import subprocess
    import sys

    code = ("import sys; import attrition.features.schedule, attrition.features.workload; "
            "print('duckdb' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
