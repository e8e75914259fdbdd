"""A table's extent: what the snapshot code needs from a table it does not read.

``Tables.extent`` measures it from the frame, or carries it for a table kept
in an engine (``Tables(..., extents=...)``); the export date, the default
as-of dates and the masking of windows before a table's first day read it,
so tables known only by their extents give the same snapshots' dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.data._tables import DATE_COLUMNS, TableExtent, Tables
from attrition.features import AbsenceFeatures, ScheduleFeatures, TenureFeatures
from attrition.snapshots import build_snapshots, default_as_of_dates

EMP = pd.DataFrame({"employee_id": ["a", "b"], "team_id": ["t", "t"],
                    "hire_date": pd.to_datetime(["2023-01-01", "2023-06-01"]),
                    "termination_date": pd.to_datetime([None, "2024-08-15"]),
                    "termination_reason": [None, "voluntary"]})


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day)


def extents_only(tables: Tables, names=("schedule", "workload")) -> Tables:
    """The same tables with ``names`` known by their extents only (as in an engine)."""
    return tables.copy(**{n: None for n in names},
                       extents={n: tables.extent(n) for n in names if getattr(tables, n) is not None})


def test_extent_of_each_event_table():
    sched = pd.DataFrame({"date": pd.to_datetime(["2024-02-01", "2024-01-05", "2024-03-01"]),
                          "worked_minutes": [480.0, 0.0, 0.0]})  # 03-01: a published shift
    assert TableExtent.of(sched, "schedule") == TableExtent(ts("2024-01-05"), ts("2024-02-01"), 3)
    wl = pd.DataFrame({"date": pd.to_datetime(["2024-02-01", "2024-01-05"])})
    assert TableExtent.of(wl, "workload") == TableExtent(ts("2024-01-05"), ts("2024-02-01"), 2)
    ab = pd.DataFrame({"start_date": pd.to_datetime(["2024-05-01", "2023-01-05"])})
    assert TableExtent.of(ab, "absences") == TableExtent(ts("2023-01-05"), ts("2024-05-01"), 2)
    sv = pd.DataFrame({"survey_date": pd.to_datetime(["2024-01-05"])})
    assert TableExtent.of(sv, "surveys") == TableExtent(ts("2024-01-05"), ts("2024-01-05"), 1)


def test_extent_of_empty_or_unworked_tables_has_no_dates():
    empty = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                          "worked_minutes": pd.Series(dtype="float64")})
    assert TableExtent.of(empty, "schedule") == TableExtent(None, None, 0)
    published = pd.DataFrame({"date": pd.to_datetime(["2024-01-05"]), "worked_minutes": [0.0]})
    assert TableExtent.of(published, "schedule") == TableExtent(ts("2024-01-05"), None, 1)
    with pytest.raises(ValueError, match="Only event tables have an extent"):
        TableExtent.of(EMP, "employees")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_schedule_extent_read_off_the_dates_integers_equals_the_rows_selected(unit):
    """The newest worked day is found without selecting the rows; it is what the selection gives:
    the same Timestamp and resolution, missing dates and missing worked minutes skipped."""
    dates = pd.Series(pd.to_datetime(["2024-01-02", None, "2024-03-01", "2024-02-01", None])
                      ).astype(f"datetime64[{unit}]")
    sched = pd.DataFrame({"date": dates, "worked_minutes": [1.0, 5.0, 0.0, np.nan, np.nan]})
    extent = TableExtent.of(sched, "schedule")
    by_rows = sched["date"][(sched["worked_minutes"] > 0).to_numpy()].max()
    assert extent == TableExtent(ts("2024-01-02"), by_rows, 5)
    assert extent.last_date.unit == by_rows.unit == unit
    never = sched.assign(worked_minutes=[0.0, 5.0, 0.0, 0.0, np.nan])  # worked only on a missing date
    assert TableExtent.of(never, "schedule") == TableExtent(ts("2024-01-02"), None, 5)
    # Dates pandas holds outside numpy (with a time zone): the rows are selected, as before.
    zoned = sched.assign(date=dates.dt.tz_localize("UTC"))
    assert TableExtent.of(zoned, "schedule").last_date == pd.Timestamp("2024-01-02", tz="UTC")


def test_tables_carry_extents_of_tables_kept_elsewhere():
    wl = pd.DataFrame({"employee_id": ["a"], "date": pd.to_datetime(["2024-01-05"])})
    kept = TableExtent(ts("2023-12-01"), ts("2024-03-31"), 1000)
    tables = Tables(EMP, workload=wl, extents={"schedule": kept})
    assert tables.present == ["employees", "schedule", "workload"]
    assert [name for name, _ in tables] == ["employees", "workload"]  # frames only
    assert tables.schedule is None
    assert tables.extent("schedule") == kept
    assert tables.extent("workload") == TableExtent(ts("2024-01-05"), ts("2024-01-05"), 1)
    assert tables.extent("surveys") is None
    assert tables.infer_export_date() == ts("2024-03-31")  # the kept table's newest worked day
    # A frame wins over an extent of the same table.
    assert tables.copy(extents={"workload": kept}).extent("workload").n_rows == 1
    with pytest.raises(ValueError, match="Only event tables"):
        tables.extent("employees")


def test_export_date_falls_back_to_hr_and_absence_extents():
    future = TableExtent(ts("2023-01-01"), ts("2024-12-24"), 5)  # booked holidays
    assert Tables(EMP, extents={"absences": future}).infer_export_date() == ts("2024-12-24")
    assert Tables(EMP).infer_export_date() == ts("2024-08-15")
    # ... but only when no table records what happened.
    done = TableExtent(ts("2024-01-01"), ts("2024-03-31"), 9)
    tables = Tables(EMP, extents={"absences": future, "surveys": done})
    assert tables.infer_export_date() == ts("2024-03-31")
    assert tables.copy(export_date=ts("2024-04-02")).infer_export_date() == ts("2024-04-02")
    nothing = EMP.assign(hire_date=pd.NaT, termination_date=pd.NaT)
    with pytest.raises(ValueError, match="Cannot infer the export date"):
        Tables(nothing, extents={"schedule": TableExtent(ts("2024-01-01"), None, 3)}).infer_export_date()


def test_dates_from_extents_equal_those_from_frames(small_centre):
    tables = small_centre.tables.copy(export_date=None)
    kept = extents_only(tables)
    assert kept.present == tables.present
    assert kept.infer_export_date() == tables.infer_export_date()
    assert default_as_of_dates(kept).equals(default_as_of_dates(tables))
    all_kept = extents_only(tables, ("schedule", "workload", "absences", "surveys"))
    assert default_as_of_dates(all_kept).equals(default_as_of_dates(tables))
    assert all_kept.infer_export_date() == tables.infer_export_date()


def test_outline_keeps_what_logging_reads_and_holds_only_the_hr_master(small_centre):
    """``Tables.outline``: the employees frame itself, the event tables and job history by their
    extents only, the declared tables kept (their dates count towards the observation start);
    which tables are present, the export date (inferred, or from HR and absences alone) and the
    observation start answer as on the full tables."""
    tables = small_centre.tables.copy(export_date=None)
    hist = pd.DataFrame({"employee_id": ["a"], "effective_date": pd.to_datetime(["2024-01-01"])})
    tables = tables.copy(employee_history=hist, declared={"mine": pd.DataFrame({"x": [1]})})
    slim = tables.outline()
    assert slim.employees is tables.employees
    assert [name for name, _ in slim] == [name for name, _ in tables if name not in DATE_COLUMNS]
    assert slim.declared.keys() == tables.declared.keys()
    assert all(slim.declared[k] is tables.declared[k] for k in tables.declared)
    assert slim.present == tables.present and slim.observation_start() == tables.observation_start()
    assert slim.infer_export_date() == tables.infer_export_date()
    for name in ("schedule", "workload", "absences", "surveys", "employee_history"):
        assert slim.extent(name) == tables.extent(name)
    hr_only = Tables(EMP, absences=pd.DataFrame({"employee_id": ["a"], "start_date": [ts("2024-12-24")]}))
    assert hr_only.outline().infer_export_date() == hr_only.infer_export_date() == ts("2024-12-24")
    assert hr_only.outline().outline().present == ["employees", "absences"]


def test_default_as_of_dates_start_when_every_daily_table_has_begun():
    late = TableExtent(ts("2024-03-10"), ts("2024-06-30"), 10)
    early = TableExtent(ts("2023-01-01"), ts("2024-06-30"), 10)
    tables = Tables(EMP, extents={"schedule": early, "workload": late, "absences": early})
    dates = default_as_of_dates(tables)
    assert dates[0] == ts("2024-04-30") and dates[-1] == ts("2024-06-30")  # 03-10 + 28 days
    # An empty daily table does not count; then the earliest absence or survey.
    tables = Tables(EMP, extents={"schedule": TableExtent(None, None, 0), "absences": early,
                                  "surveys": late})
    assert default_as_of_dates(tables)[0] == ts("2023-01-31")


def test_windows_before_a_kept_tables_first_day_are_masked():
    """The masking reads the table's first day from its extent: a builder of a table kept
    elsewhere gets its windows masked exactly as if the frame were there."""
    ab = pd.DataFrame({"employee_id": ["a"], "start_date": pd.to_datetime(["2023-12-20"]),
                       "end_date": pd.to_datetime(["2023-12-21"]), "absence_type": ["sick"],
                       "planned": [False]})
    tables = Tables(EMP, absences=ab, export_date=ts("2024-06-30"))
    as_of = ["2024-01-31", "2024-06-30"]
    ref = build_snapshots(tables, as_of, builders=[TenureFeatures(), AbsenceFeatures()], labels=False)
    col = "abs_sick_spells_28d"
    assert ref[col].notna().all()
    masked = "abs_sick_spells_91d"
    assert ref.loc[ref["as_of"] == ts("2024-01-31"), masked].isna().all()
    assert ref.loc[ref["as_of"] == ts("2024-06-30"), masked].notna().all()

    class KeptAbsences(AbsenceFeatures):
        """Absence features as an engine would return them: the table stays elsewhere."""

        def build(self, tables_, frame):
            assert tables_.absences is None
            return AbsenceFeatures.build(self, tables, frame)

        def available(self, tables_):
            return "absences" in tables_.present

    kept = extents_only(tables, ("absences",))
    got = build_snapshots(kept, as_of, builders=[TenureFeatures(), KeptAbsences()], labels=False)
    pd.testing.assert_frame_equal(got, ref)


def test_schedule_builder_is_skipped_without_a_frame():
    """A pandas builder never gets a table it cannot read: an extent is not a frame."""
    kept = Tables(EMP, extents={"schedule": TableExtent(ts("2024-01-01"), ts("2024-03-31"), 4)})
    assert not ScheduleFeatures().available(kept)
    out = build_snapshots(kept, ["2024-03-31"], builders=[TenureFeatures(), ScheduleFeatures()],
                          labels=False)
    assert not any(c.startswith("sched_") for c in out.columns)
    assert np.all(out["tenure_days"] > 0)
