"""ScheduleFeatures: hand-computed values, window edges, order and the as-of rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition.data._tables import Tables
from attrition.features.schedule import ScheduleFeatures

T = pd.Timestamp("2024-03-31")  # a Sunday

COLUMNS = [
    "employee_id",
    "date",
    "shift_start",
    "shift_end",
    "scheduled_minutes",
    "worked_minutes",
    "overtime_minutes",
    "adherence",
    "notice_days",
]


def schedule(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    for col in COLUMNS[4:]:
        df[col] = df[col].astype("float64")
    return df


def employees(ids=("a", "b", "c")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employee_id": list(ids),
            "team_id": ["t1"] * len(ids),
            "hire_date": pd.to_datetime(["2020-01-01"] * len(ids)).astype("datetime64[ns]"),
            "termination_date": pd.to_datetime([None] * len(ids)).astype("datetime64[ns]"),
        }
    )


def frame(ids, as_of) -> pd.DataFrame:
    ids = list(ids)
    as_of = [as_of] * len(ids) if not isinstance(as_of, list) else as_of
    return pd.DataFrame(
        {
            "employee_id": ids,
            "as_of": pd.to_datetime(as_of).astype("datetime64[ns]"),
            "team_id": ["t1"] * len(ids),
        }
    )


NAN = np.nan
#: Employee "a" around T (see the expected values in the tests).
HAND = schedule(
    [
        ("a", "2024-03-24", "20:00", "04:00", 480, 480, 60, 0.6, 30),  # t-7: outside 7d
        ("a", "2024-03-25", "10:00", "18:00", 480, 480, 0, 1.0, 3),  # t-6: inside; 6 h rest
        ("a", "2024-03-28", "14:00", "22:30", 480, 480, 0, 0.7, NAN),
        ("a", "2024-03-29", "06:00", "14:00", 480, 0, 0, NAN, 2),  # missed; 7.5 h rest
        ("a", "2024-03-30", "14:00", "22:00", 480, 510, 30, 0.8, 10),
        ("a", "2024-03-31", "22:00", "06:00", 480, 480, 0, 0.9, 1),  # t itself
        ("a", "2024-04-01", "06:00", "14:00", 480, 0, 0, NAN, 0),  # after t: 0 h rest
        ("b", "2024-01-05", "09:00", "17:00", 480, 480, 0, 0.9, 14),  # long before t
    ]
)


def test_hand_computed_values_and_window_edges():
    builder = ScheduleFeatures(windows=(7, 28))
    out = builder.build(Tables(employees(), schedule=HAND), frame(["a"], T))
    got = out.iloc[0]
    expected = {
        # 7 days: (t-7, t] holds the rows of t-6 .. t (t-7 and t+1 excluded).
        "sched_shifts_7d": 5.0,
        "sched_night_share_7d": 1 / 5,
        "sched_weekend_share_7d": 2 / 5,
        "sched_split_share_7d": 0.0,  # 14:00-22:30 for 480 paid minutes is a 30-minute break
        "sched_late_changes_7d": 2.0,  # notice 2 (= threshold) and 1
        "sched_late_share_7d": 2 / 4,  # one shift has no notice_days
        "sched_start_std_7d": np.std([600, 840, 360, 840, 1320], ddof=1),
        "sched_overtime_mean_7d": 30 / 5,
        "sched_overtime_share_7d": 1 / 5,
        "sched_adherence_mean_7d": (1.0 + 0.7 + 0.8 + 0.9) / 4,
        "sched_missed_share_7d": 1 / 5,
        "sched_worked_ratio_7d": 1950 / 2400,
        "sched_short_rests_7d": 2.0,  # dated 03-25 and 03-29; the 04-01 pair is after t
        # 28 days: adds the t-7 row.
        "sched_shifts_28d": 6.0,
        "sched_night_share_28d": 2 / 6,
        "sched_weekend_share_28d": 3 / 6,
        "sched_split_share_28d": 0.0,
        "sched_late_changes_28d": 2.0,
        "sched_late_share_28d": 2 / 5,
        "sched_start_std_28d": np.std([1200, 600, 840, 360, 840, 1320], ddof=1),
        "sched_overtime_mean_28d": 90 / 6,
        "sched_overtime_share_28d": 2 / 6,
        "sched_adherence_mean_28d": (0.6 + 1.0 + 0.7 + 0.8 + 0.9) / 5,
        "sched_missed_share_28d": 1 / 6,
        "sched_worked_ratio_28d": 2430 / 2880,
        "sched_short_rests_28d": 2.0,  # the t-7 shift has no earlier shift
        # Changes: last 7 days minus (t-28, t-7] (only the t-7 row).
        "sched_adherence_change_7d": 0.85 - 0.6,
        "sched_overtime_change_7d": 6.0 - 60.0,
        "sched_late_share_change_7d": 0.5 - 0.0,
        "sched_night_share_change_7d": 0.2 - 1.0,
    }
    assert list(out.columns) == list(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name


def test_night_definition():
    rows = [
        ("a", "2024-03-25", "18:00", "01:00", 420, 420, 0, 1, 9),  # ends after midnight
        ("a", "2024-03-26", "05:30", "13:30", 480, 480, 0, 1, 9),  # starts before 06:00
        ("a", "2024-03-27", "06:00", "14:00", 480, 480, 0, 1, 9),  # day
        ("a", "2024-03-28", "19:59", "23:59", 240, 240, 0, 1, 9),  # day
        ("a", "2024-03-29", "20:00", "23:00", 180, 180, 0, 1, 9),  # starts at night_start
    ]
    out = ScheduleFeatures(windows=(7,)).build(
        Tables(employees(), schedule=schedule(rows)), frame(["a"], T)
    )
    assert out.loc[0, "sched_night_share_7d"] == pytest.approx(3 / 5)
    later = ScheduleFeatures(windows=(7,), night_start="21:00", night_end="05:00")
    out = later.build(Tables(employees(), schedule=schedule(rows)), frame(["a"], T))
    assert out.loc[0, "sched_night_share_7d"] == pytest.approx(1 / 5)


def test_missing_data_policy():
    out = ScheduleFeatures(windows=(7, 28)).build(
        Tables(employees(), schedule=HAND), frame(["b", "c"], T)
    )
    # b has schedule rows, but none in the windows: counts 0, means NaN.
    assert out.loc[0, "sched_shifts_28d"] == 0.0
    assert out.loc[0, "sched_short_rests_28d"] == 0.0
    assert np.isnan(out.loc[0, "sched_adherence_mean_28d"])
    # c has no schedule row at all: everything NaN.
    assert out.loc[1].isna().all()
    # Before b's first row, b is not covered either.
    early = ScheduleFeatures(windows=(7,)).build(
        Tables(employees(), schedule=HAND), frame(["b"], "2024-01-04")
    )
    assert early.loc[0].isna().all()


def test_contract_of_the_output():
    builder = ScheduleFeatures()
    fr = frame(["a", "b", "c", "a", "zz"], [T, T, T, "2024-03-29", T])
    out = builder.build(Tables(employees(), schedule=HAND), fr)
    assert isinstance(out.index, pd.RangeIndex) and len(out) == len(fr)
    assert list(out.columns) == list(builder.labels())
    assert (out.dtypes == "float64").all()
    assert all(name.startswith("sched_") and name == name.lower() for name in out.columns)
    assert all(label for label in builder.labels().values())
    peers = builder.peer_features()
    assert 3 <= len(peers) <= 6 and set(peers) <= set(builder.labels())
    # Shuffling the frame permutes the output in the same way.
    perm = np.array([3, 0, 4, 2, 1])
    shuffled = builder.build(
        Tables(employees(), schedule=HAND), fr.iloc[perm].reset_index(drop=True)
    )
    assert_frame_equal(shuffled, out.iloc[perm].reset_index(drop=True))
    # A frame with a non-default index gives the same values.
    reindexed = fr.set_axis([10, 7, 3, 99, 5])
    assert_frame_equal(builder.build(Tables(employees(), schedule=HAND), reindexed), out)


def test_without_table_or_rows():
    builder = ScheduleFeatures(windows=(7,))
    out = builder.build(Tables(employees()), frame(["a"], T))
    assert list(out.columns) == list(builder.labels()) and out.isna().all().all()
    empty = builder.build(Tables(employees(), schedule=HAND), frame([], T))
    assert len(empty) == 0 and list(empty.columns) == list(builder.labels())


def test_rows_after_as_of_do_not_change_features():
    builder = ScheduleFeatures(windows=(7, 28))
    fr = frame(["a", "b", "c"], T)
    before = builder.build(Tables(employees(), schedule=HAND), fr)
    changed = HAND.copy()
    after = changed["date"] > T
    changed.loc[after, "adherence"] = 0.01
    changed.loc[after, "shift_start"] = "23:00"
    extra = schedule(
        [
            ("a", "2024-04-02", "02:00", "03:00", 60, 0, 999, 0.0, 0),
            ("c", "2024-04-05", "02:00", "03:00", 60, 0, 999, 0.0, 0),
        ]
    )
    perturbed = pd.concat([changed, extra], ignore_index=True)
    assert_frame_equal(
        builder.build(Tables(employees(), schedule=perturbed), fr), before, check_exact=True
    )
    deleted = HAND[HAND["date"] <= T]
    assert_frame_equal(
        builder.build(Tables(employees(), schedule=deleted), fr), before, check_exact=True
    )


TIMES = [f"{h:02d}:{m:02d}" for h in (0, 3, 5, 6, 9, 14, 19, 20, 22, 23) for m in (0, 30)]


@st.composite
def schedules(draw):
    n = draw(st.integers(0, 25))
    rows = []
    for _ in range(n):
        rows.append(
            (
                draw(st.sampled_from(["a", "b"])),
                pd.Timestamp("2024-01-01") + pd.Timedelta(days=draw(st.integers(0, 40))),
                draw(st.sampled_from(TIMES + [None])),
                draw(st.sampled_from(TIMES)),
                float(draw(st.sampled_from([0, 240, 480]))),
                float(draw(st.sampled_from([0, 240, 500, NAN]))),
                float(draw(st.sampled_from([0, 15, 60, NAN]))),
                draw(st.sampled_from([0.5, 0.9, 1.0, NAN])),
                float(draw(st.sampled_from([0, 1, 2, 3, 20, NAN]))),
            )
        )
    df = schedule(rows)
    return df.drop_duplicates(["employee_id", "date"]).reset_index(drop=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sched=schedules(),
    offsets=st.lists(st.integers(0, 45), min_size=1, max_size=4),
)
def test_property_truncated_tables_give_the_same_features(sched, offsets):
    builder = ScheduleFeatures(windows=(3, 7, 14))
    dates = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=o) for o in offsets]
    fr = frame(["a", "b", "a", "b"][: len(dates)], dates)
    full = builder.build(Tables(employees(), schedule=sched), fr)
    for t in sorted(set(dates)):
        rows = (fr["as_of"] == t).to_numpy()
        sub = fr[rows].reset_index(drop=True)
        truncated = sched[sched["date"] <= t].reset_index(drop=True)
        alone = builder.build(Tables(employees(), schedule=truncated), sub)
        assert_frame_equal(alone, full[rows].reset_index(drop=True), check_exact=True)


def test_split_shifts_by_hand():
    sched = pd.DataFrame({
        "employee_id": ["a"] * 3,
        "date": pd.to_datetime(["2024-01-29", "2024-01-30", "2024-01-31"]),
        # 07:00-19:00 paid 480: 4 h gap -> split; 08:00-16:30 paid 480: a break; 22:00-06:30 paid 480
        "shift_start": ["07:00", "08:00", "22:00"], "shift_end": ["19:00", "16:30", "06:30"],
        "scheduled_minutes": [480.0, 480.0, 480.0], "worked_minutes": [480.0] * 3,
        "overtime_minutes": [0.0] * 3, "adherence": [0.9] * 3, "notice_days": [14.0] * 3,
    })
    emp = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"], "hire_date": pd.to_datetime(["2023-01-01"])})
    fr = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"], "as_of": pd.to_datetime(["2024-01-31"])})
    out = ScheduleFeatures(windows=(28,)).build(Tables(emp, schedule=sched), fr)
    assert out.loc[0, "sched_split_share_28d"] == pytest.approx(1 / 3)
