"""Key codes shared within one snapshot build (``shared_codes``/``table_codes``) and the
copy-free, cast-once reading of the daily tables: the same features as without them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition.data._tables import Tables
from attrition.features import _base
from attrition.features._base import float_values, integral_or_float, shared_codes, sorted_codes, table_codes
from attrition.features.schedule import ScheduleFeatures
from attrition.features.workload import WorkloadFeatures


def _tables(seed: int, whole: bool = True) -> tuple[Tables, pd.DataFrame]:
    """Small schedule and workload tables, rows shuffled, employees in different orders and
    one employee in each table only; ``whole=False`` makes one contacts value fractional."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2024-04-30", freq="D")
    sched_rows, wl_rows = [], []
    for emp in ["e1", "e2", "e3", "e4"]:
        for day in days[rng.random(len(days)) < 0.6]:
            if emp != "e4":
                start = rng.choice(["06:00", "14:00", "22:00", None])
                sched_rows.append((emp, day, start, "23:00" if start else None, 480.0,
                                   float(rng.choice([0.0, 450.0, 480.0, np.nan])),
                                   float(rng.choice([0.0, 30.0, np.nan])), float(rng.random()),
                                   float(rng.integers(0, 20))))
            if emp != "e1":
                wl_rows.append((emp, day, float(rng.integers(0, 60)), float(rng.integers(0, 9000)),
                                float(rng.integers(0, 900)), float(rng.random()),
                                float(rng.integers(0, 3)), float(rng.integers(1, 6)), float(rng.random())))
    sched = pd.DataFrame(sched_rows, columns=["employee_id", "date", "shift_start", "shift_end",
                                              "scheduled_minutes", "worked_minutes", "overtime_minutes",
                                              "adherence", "notice_days"])
    wl = pd.DataFrame(wl_rows, columns=["employee_id", "date", "contacts_handled", "handle_seconds",
                                        "after_contact_seconds", "occupancy", "escalations", "csat",
                                        "qa_score"])
    if not whole:
        wl.loc[3, "contacts_handled"] = 2.5
    sched = sched.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    wl = wl.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)
    emp = pd.DataFrame({"employee_id": ["e1", "e2", "e3", "e4"], "team_id": ["t"] * 4,
                        "hire_date": pd.to_datetime(["2023-01-01"] * 4)})
    frame = pd.DataFrame({"employee_id": ["e1", "e2", "e3", "e4"] * 2, "team_id": ["t"] * 8,
                          "as_of": pd.to_datetime(["2024-03-31"] * 4 + ["2024-04-30"] * 4)})
    return Tables(emp, schedule=sched, workload=wl), frame


def test_table_codes_are_computed_once_per_table_inside_a_block_only():
    tables, _ = _tables(0)
    sched = tables.schedule
    outside = table_codes(sched)
    assert table_codes(sched) is not outside
    with shared_codes():
        first = table_codes(sched)
        with shared_codes():  # a nested block shares the outer memo
            assert table_codes(sched) is first
        assert table_codes(tables.workload) is not first
        assert all(not a.flags.writeable for a in first if isinstance(a, np.ndarray))
    assert table_codes(sched) is not first  # the memo ended with the block
    want = sorted_codes(sched["employee_id"], sched["date"])
    for got in (outside, first):
        assert got[1].equals(want[1])
        for a, b in zip((got[0], got[2], got[3]), (want[0], want[2], want[3]), strict=True):
            np.testing.assert_array_equal(a, b)


def test_table_codes_of_another_frame_with_a_reused_id_are_not_the_memo(monkeypatch):
    """The memo holds its table: a different frame never gets another table's codes."""
    tables, _ = _tables(1)
    with shared_codes():
        codes = table_codes(tables.schedule)
        other = tables.schedule.iloc[::-1].reset_index(drop=True)
        assert table_codes(other) is not codes


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("whole", [True, False])
def test_builders_give_the_same_frames_with_shared_codes(seed, whole):
    """Schedule and workload builders inside one block (sharing the schedule's codes and order)
    give bit for bit the frames they give each on their own."""
    tables, frame = _tables(seed, whole)
    builders = [ScheduleFeatures(windows=(7, 28)), WorkloadFeatures(windows=(7, 28))]
    alone = [b.build(tables, frame) for b in builders]
    with shared_codes():
        shared = [b.build(tables, frame) for b in builders]
        again = [b.build(tables, frame) for b in builders]  # from the memo
    for a, b, c in zip(alone, shared, again, strict=True):
        assert_frame_equal(a, b, check_exact=True)
        assert_frame_equal(a, c, check_exact=True)


def test_the_schedule_is_coded_once_when_both_builders_share_a_block(monkeypatch):
    tables, frame = _tables(3)
    calls = []
    real = _base.sorted_codes

    def counting(keys, dates):
        calls.append(len(keys))
        return real(keys, dates)

    monkeypatch.setattr(_base, "sorted_codes", counting)
    with shared_codes():
        ScheduleFeatures().build(tables, frame)
        WorkloadFeatures().build(tables, frame)
    assert calls.count(len(tables.schedule)) == 1


@pytest.mark.parametrize("whole", [True, False])
def test_workload_values_cast_once_equal_casting_each_value(whole):
    """The workload's values from contacts and handle time (cast to int32 once per column) are
    those of ``integral_or_float(np.where(ok, column, 0.0))``, dtype included."""
    tables, _ = _tables(4, whole)
    wl = tables.workload.sort_values(["employee_id", "date"], kind="stable").reset_index(drop=True)
    got = WorkloadFeatures()._daily_values(wl, None)
    contacts = wl["contacts_handled"].to_numpy()
    handle = wl["handle_seconds"].to_numpy()
    aht_ok = ~np.isnan(contacts) & ~np.isnan(handle)
    for name, ok, values in [("aht_c", aht_ok, contacts), ("aht_h", aht_ok, handle),
                             ("cpd_c", ~np.isnan(contacts), contacts)]:
        want = integral_or_float(np.where(ok, values, 0.0))
        assert got[name].dtype == want.dtype
        np.testing.assert_array_equal(got[name].to_numpy(), want)
    assert (got["aht_c"].dtype == np.int32) == whole


def test_float_values_reads_a_float_column_without_copying_it():
    col = pd.Series([1.5, np.nan, 3.0])
    got = float_values(col)
    assert np.shares_memory(got, col.to_numpy()) and not got.flags.writeable
    for values in (pd.Series(["1", "x", None], dtype="str"), pd.Series([1, 2], dtype="int64"),
                   pd.Series([1.0, None], dtype="Float64")):
        want = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
        np.testing.assert_array_equal(float_values(values), want)


def test_snapshot_keys_and_their_codes_are_shared_inside_a_block_only():
    """One frame's keys, and the codes of a text column, are made once per block (read-only
    codes); outside a block, afresh; the same values either way."""
    _, frame = _tables(5)
    outside = _base.snapshot_keys(frame)
    assert _base.snapshot_keys(frame) is not outside
    with shared_codes():
        keys = _base.snapshot_keys(frame)
        again = _base.snapshot_keys(frame)
        assert again is not keys and again["employee_id"].array._pa_array is keys["employee_id"].array._pa_array
        codes = _base._as_str_codes(keys["employee_id"])
        assert _base._as_str_codes(again["employee_id"]) is codes
        assert not codes[0].flags.writeable
    assert_frame_equal(keys, outside, check_exact=True)
    want = _base._as_str_codes(outside["employee_id"])
    np.testing.assert_array_equal(codes[0], want[0])
    assert codes[1].equals(want[1])


@pytest.mark.parametrize("seed", [6, 7])
def test_latest_before_and_trailing_sums_are_the_same_with_shared_keys(seed):
    """Repeated as-of lookups and window sums against one frame inside a block (its keys and
    their codes shared) equal those outside."""
    tables, frame = _tables(seed)
    sched = tables.schedule.assign(v=tables.schedule["worked_minutes"])

    def run():
        keys = _base.snapshot_keys(frame)
        return [_base.latest_before(sched, "date", ["v"], keys),
                _base.latest_before(tables.workload, "date", ["csat"], keys, lag_days=3),
                _base.trailing_sums(sched, "date", {"v": "v"}, keys, [7, 28], offsets=[0])]

    alone = run()
    with shared_codes():
        first, second = run(), run()
    for a, b, c in zip(alone, first, second, strict=True):
        assert_frame_equal(a, b, check_exact=True)
        assert_frame_equal(a, c, check_exact=True)


def test_a_caller_changing_its_keys_does_not_change_the_next_callers():
    """Each caller gets its own copy of the shared keys: moving its ``as_of`` (a lagged copy,
    say) must not move the dates every later builder of the build reads."""
    _, frame = _tables(8)
    with shared_codes():
        mine = _base.snapshot_keys(frame)
        mine["as_of"] = mine["as_of"] + pd.Timedelta(days=90)
        theirs = _base.snapshot_keys(frame)
    assert_frame_equal(theirs, _base.snapshot_keys(frame), check_exact=True)
    assert (theirs["as_of"] <= pd.Timestamp("2024-04-30")).all()


def test_codes_of_a_column_changed_in_the_block_are_not_the_memo():
    """A key column assigned to inside a block gets new codes (the memo follows the column's
    immutable Arrow data, not the Series), and a numpy-backed column is coded every time."""
    events = pd.DataFrame({"employee_id": pd.array(["a", "b", "c"], dtype="str")})
    queries = pd.DataFrame({"employee_id": pd.array(["c"], dtype="str")})
    with shared_codes():
        assert _base.encode_keys([events["employee_id"]], [queries["employee_id"]])[1].tolist() == [2]
        events.loc[2, "employee_id"] = "z"
        assert _base.encode_keys([events["employee_id"]], [queries["employee_id"]])[1].tolist() == [-1]
        as_objects = pd.Series(np.array(["a", "c"], dtype=object), dtype=object)
        first = _base._as_str_codes(as_objects)
        as_objects.iloc[1] = "z"
        second = _base._as_str_codes(as_objects)
    assert first[1].tolist() == ["a", "c"] and second[1].tolist() == ["a", "z"]
