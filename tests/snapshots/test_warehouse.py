"""The SQL path (DuckDB) gives the snapshots of the pandas path.

The hand-made edge cases and the comparison live in ``tests/engine_cases.py``,
shared with ``test_spark.py`` (Spark SQL) and ``features/test_sql_twins.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition import SchemaError, build_snapshots, load_tables, validate_tables
from attrition.features import ScheduleFeatures, TenureFeatures, WorkloadFeatures, default_builders
from attrition.features._base import FeatureBuilder
from attrition.snapshots._warehouse import build_snapshots_duckdb, snapshot_sums_sql, values_sql
from engine_cases import EDGE_AS_OF, assert_same_snapshots, edge_case_tables

pytest.importorskip("duckdb")

@pytest.fixture(scope="module")
def edge():
    return edge_case_tables()


def test_simulated_centre_matches_pandas(small_centre):
    tables = small_centre.tables
    assert_same_snapshots(build_snapshots(tables, horizon_days=60),
                          build_snapshots_duckdb(tables, horizon_days=60))


def test_edge_cases_match_pandas(edge):
    ref = build_snapshots(edge, EDGE_AS_OF, labels=False)
    got = build_snapshots_duckdb(edge, EDGE_AS_OF, labels=False)
    assert_same_snapshots(ref, got)
    # the cases are really there
    first = got[got["as_of"] == pd.Timestamp("2024-03-31")].set_index("employee_id")
    assert np.isnan(first.loc["E2", "sched_shifts_28d"])  # not covered yet
    assert np.isnan(first.loc["E3", "sched_shifts_28d"])  # never covered
    assert first.loc["E4", "sched_shifts_28d"] == 0.0  # covered, empty window
    assert first.loc["E1", "sched_short_rests_28d"] >= 1
    assert first.loc["E1", "sched_split_share_28d"] > 0


def test_builder_parameters_reach_the_sql(edge):
    builders = [ScheduleFeatures(windows=(14, 60), late_notice_days=5, night_start="21:30",
                                 night_end="05:00", min_rest_hours=12.5, split_gap_minutes=60),
                WorkloadFeatures(windows=(14, 60), high_occupancy=0.7)]
    ref = build_snapshots(edge, EDGE_AS_OF, windows=(14, 60), builders=builders, labels=False)
    got = build_snapshots_duckdb(edge, EDGE_AS_OF, windows=(14, 60), builders=builders, labels=False)
    assert_same_snapshots(ref, got)


def test_values_sql_is_the_builders_own_sql_twin():
    """The row values' SQL lives next to the pandas code (``sql_daily_values``);
    ``tests/features/test_sql_twins.py`` keeps each pair equal."""
    sched, wl = ScheduleFeatures(min_rest_hours=9.0), WorkloadFeatures(high_occupancy=0.6)
    assert values_sql(sched, "spark") == sched.sql_daily_values("spark", source="attrition_schedule")
    assert values_sql(wl, schedule="s", source="w") == wl.sql_daily_values(source="w", schedule="s")
    with pytest.raises(TypeError, match="values_sql takes a ScheduleFeatures or WorkloadFeatures"):
        values_sql(TenureFeatures())


class _Spy(FeatureBuilder):
    """Records what the snapshot code hands the builders (no features of its own)."""

    name = "spy"
    seen: list = []

    def build(self, tables, frame):
        self.seen.append(tables)
        return pd.DataFrame(index=pd.RangeIndex(len(frame)))


def test_the_daily_tables_stay_in_the_engine_known_by_their_extents(edge):
    spy = _Spy()
    _Spy.seen = []
    build_snapshots_duckdb(edge, EDGE_AS_OF, builders=[spy, *default_builders()], labels=False)
    (seen,) = _Spy.seen
    assert seen.schedule is None and seen.workload is None  # no frame, no stand-in
    assert seen.present == edge.present
    for table in ("schedule", "workload"):
        assert seen.extent(table) == edge.extent(table)
    assert seen.infer_export_date() == edge.infer_export_date()
    assert seen.source("schedule") == "<schedule table>"


def test_extents_measured_in_the_engine_equal_those_of_the_frames(small_centre):
    """Without an export date, the inferred one and the default as-of dates come from
    the extents the engine measured: the same as the pandas path's."""
    tables = small_centre.tables.copy(export_date=None)
    spy = _Spy()
    _Spy.seen = []
    got = build_snapshots_duckdb(tables, builders=[spy], labels=False)
    (seen,) = _Spy.seen
    for table in ("schedule", "workload"):
        assert seen.extent(table) == tables.extent(table)
    assert seen.infer_export_date() == tables.infer_export_date()
    ref = build_snapshots(tables, builders=[_Spy()], labels=False)
    assert got["as_of"].unique().tolist() == ref["as_of"].unique().tolist()


def test_other_builders_of_a_daily_table_are_refused(edge):
    class ShiftCount(FeatureBuilder):
        name = "shifts"
        table = "schedule"

    with pytest.raises(ValueError, match="stays in the engine"):
        build_snapshots_duckdb(edge, EDGE_AS_OF, builders=[ShiftCount()], labels=False)


def test_rows_after_as_of_do_not_change_the_sums(edge):
    later = edge.schedule.assign(date=edge.schedule["date"] + pd.Timedelta(days=400),
                                 worked_minutes=0.0)
    grown = edge.copy(schedule=pd.concat([edge.schedule, later], ignore_index=True))
    before = build_snapshots_duckdb(edge, ["2024-03-31"], labels=False)
    after = build_snapshots_duckdb(grown, ["2024-03-31"], labels=False)
    assert_same_snapshots(before, after)


def test_parquet_folder_matches_load_tables(small_centre, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in small_centre.tables:
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    ref = build_snapshots(load_tables(folder), horizon_days=60)
    got = build_snapshots_duckdb(folder, horizon_days=60)
    assert_same_snapshots(ref, got)


def test_csv_daily_files_are_read_as_text(data_dir):
    ref = build_snapshots(load_tables(data_dir, export_date="2024-01-31"), ["2024-01-31"],
                          labels=False)
    got = build_snapshots_duckdb(data_dir, ["2024-01-31"], export_date="2024-01-31", labels=False)
    assert_same_snapshots(ref, got)


def test_missing_required_column_names_table_and_column(edge):
    bad = edge.copy(schedule=edge.schedule.drop(columns=["worked_minutes"]))
    with pytest.raises(SchemaError, match="worked_minutes") as info:
        build_snapshots_duckdb(bad, EDGE_AS_OF)
    assert info.value.column == "worked_minutes"
    assert "<schedule table>" in str(info.value)


def test_rows_after_the_export_date_are_refused_with_examples(edge):
    late = pd.DataFrame({"employee_id": ["E1", "E5"], "date": pd.to_datetime(["2024-07-05"] * 2),
                         "contacts_handled": [1.0, 2.0], "handle_seconds": [10.0, 20.0]})
    bad = edge.copy(workload=pd.concat([edge.workload, late], ignore_index=True))
    with pytest.raises(SchemaError, match="after the export date 2024-06-30") as info:
        build_snapshots_duckdb(bad, EDGE_AS_OF)
    assert info.value.n_rows == 2
    assert set(info.value.examples["employee_id"]) == {"E1", "E5"}


def test_duplicates_unknown_ids_and_text_are_all_reported(edge):
    sched = edge.schedule.astype({"notice_days": object})
    sched.loc[0, "notice_days"] = "soon"
    sched = pd.concat([sched, sched.iloc[[1]],
                       sched.iloc[[2]].assign(employee_id="X9")], ignore_index=True)
    with pytest.raises(SchemaError) as info:
        build_snapshots_duckdb(edge.copy(schedule=sched), EDGE_AS_OF)
    text = str(info.value)
    assert "notice_days" in text and "must be a number" in text
    assert "must appear once" in text
    assert "'X9'" in text
    assert len(info.value.problems) == 3


def test_sql_is_the_same_text_up_to_dialect():
    duck = snapshot_sums_sql(ScheduleFeatures(), "duckdb")
    spark = snapshot_sums_sql(ScheduleFeatures(), "spark")
    assert "isodow(" in duck and "weekday(" in spark
    assert "date_diff('day'" in duck and "datediff(" in spark
    with pytest.raises(ValueError, match="Unknown SQL dialect"):
        snapshot_sums_sql(ScheduleFeatures(), "oracle")


def test_default_builders_keep_their_order(edge):
    got = build_snapshots_duckdb(edge, EDGE_AS_OF, builders=default_builders(), labels=False)
    assert list(got.columns) == list(build_snapshots(edge, EDGE_AS_OF, labels=False).columns)


def test_bad_times_and_out_of_range_values_are_refused_like_the_loader(edge):
    """What load_tables refuses, the engine refuses too: malformed or impossible times,
    values outside the schema's ranges, fractions where whole numbers belong."""
    sched = edge.schedule.astype({"shift_start": object}).copy()
    sched.loc[0, "shift_start"] = "6.30"
    sched.loc[1, "shift_start"] = "25:99"
    sched.loc[2, "adherence"] = 7.0
    sched.loc[3, "worked_minutes"] = -500.0
    sched.loc[4, "notice_days"] = 2.5
    wl = edge.workload.copy()
    wl.loc[0, "csat"] = 9.0
    with pytest.raises(SchemaError) as info:
        build_snapshots_duckdb(edge.copy(schedule=sched, workload=wl), EDGE_AS_OF)
    text = str(info.value)
    assert "must be a time HH:MM" in text
    assert "0 <= adherence <= 1" in text and "divide percentages by 100" in text
    assert "worked_minutes >= 0" in text
    assert "whole number" in text
    by_column = {p.column: p.n_rows for p in info.value.problems}
    assert by_column["shift_start"] == 2 and by_column["adherence"] == 1
    with pytest.raises(SchemaError, match="1 <= csat <= 5") as info:
        build_snapshots_duckdb(edge.copy(workload=wl), EDGE_AS_OF)
    assert info.value.n_rows == 1
    # the pandas loader refuses the same tables
    for bad in (edge.copy(schedule=sched), edge.copy(workload=wl)):
        with pytest.raises(SchemaError):
            validate_tables(bad)
