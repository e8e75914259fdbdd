"""WorkloadFeatures: hand-computed values, window edges, order and the as-of rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition.data._tables import Tables
from attrition.features.workload import WorkloadFeatures

T = pd.Timestamp("2024-03-31")
NAN = np.nan
WL_COLUMNS = [
    "employee_id",
    "date",
    "contacts_handled",
    "handle_seconds",
    "after_contact_seconds",
    "occupancy",
    "escalations",
    "csat",
    "qa_score",
]
SCHED_COLUMNS = [
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


def workload(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=WL_COLUMNS)
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    for col in WL_COLUMNS[2:]:
        df[col] = df[col].astype("float64")
    return df


def schedule(rows: list[tuple]) -> pd.DataFrame:
    """Schedule rows from (employee_id, date, worked_minutes)."""
    df = pd.DataFrame(
        [(e, d, "09:00", "17:00", 480.0, w, 0.0, 1.0, 14.0) for e, d, w in rows],
        columns=SCHED_COLUMNS,
    )
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    for col in SCHED_COLUMNS[4:]:
        df[col] = df[col].astype("float64")
    return df


def employees(ids=("a", "b", "c")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employee_id": list(ids),
            "team_id": ["t1"] * len(ids),
            "hire_date": pd.to_datetime(["2020-01-01"] * len(ids)).astype("datetime64[ns]"),
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


HAND = workload(
    [
        ("a", "2024-03-24", 10, 3000, 600, 0.5, 0, 3.0, 60),  # t-7: outside 7d
        ("a", "2024-03-25", 20, 4000, 800, 0.9, 1, NAN, NAN),  # t-6: inside
        ("a", "2024-03-31", 30, 6000, 600, 0.8, 2, 5.0, 90),  # t itself
        ("a", "2024-04-01", 999, 9e5, 9e5, 1.0, 99, 1.0, 0),  # after t
        ("b", "2024-01-05", 10, 3000, 600, 0.5, 0, 3.0, 60),  # long before t
    ]
)
HAND_SCHEDULE = schedule(
    [
        ("a", "2024-03-24", 300.0),
        ("a", "2024-03-25", 240.0),
        ("a", "2024-03-31", 360.0),
        ("a", "2024-04-01", 1.0),
    ]
)

EXPECTED = {
    # 7 days: rows of t-6 and t.
    "wl_days_7d": 2.0,
    "wl_occupancy_mean_7d": 0.85,
    "wl_high_occupancy_share_7d": 0.5,  # 0.9 > 0.85; 0.8 is not
    "wl_aht_7d": 10000 / 50,
    "wl_contacts_per_day_7d": 25.0,
    "wl_contacts_per_hour_7d": 50 / 10,  # 4 h + 6 h worked
    "wl_after_contact_share_7d": 1400 / 10000,
    "wl_csat_mean_7d": 5.0,  # the unrated day does not count
    "wl_qa_mean_7d": 90.0,
    "wl_escalation_rate_7d": 3 / 50,
    # 28 days: adds the t-7 row.
    "wl_days_28d": 3.0,
    "wl_occupancy_mean_28d": 2.2 / 3,
    "wl_high_occupancy_share_28d": 1 / 3,
    "wl_aht_28d": 13000 / 60,
    "wl_contacts_per_day_28d": 20.0,
    "wl_contacts_per_hour_28d": 60 / 15,
    "wl_after_contact_share_28d": 2000 / 13000,
    "wl_csat_mean_28d": 4.0,
    "wl_qa_mean_28d": 75.0,
    "wl_escalation_rate_28d": 3 / 60,
    # Changes: last 7 days vs (t-28, t-7] (the t-7 row only).
    "wl_aht_drift_7d": 200 / 300 - 1,
    "wl_occupancy_change_7d": 0.85 - 0.5,
    "wl_after_contact_share_change_7d": 0.14 - 0.2,
    "wl_contacts_per_hour_change_7d": 5.0 - 2.0,
    "wl_contacts_per_day_change_7d": 25.0 - 10.0,
    "wl_qa_change_7d": 90.0 - 60.0,
}


def test_hand_computed_values_and_window_edges():
    builder = WorkloadFeatures(windows=(7, 28))
    out = builder.build(Tables(employees(), workload=HAND, schedule=HAND_SCHEDULE), frame(["a"], T))
    assert list(out.columns) == list(EXPECTED)
    for name, value in EXPECTED.items():
        assert out.loc[0, name] == pytest.approx(value, abs=1e-12), name


def test_without_schedule_contacts_per_hour_is_nan():
    builder = WorkloadFeatures(windows=(7, 28))
    out = builder.build(Tables(employees(), workload=HAND), frame(["a"], T))
    per_hour = [c for c in out.columns if "per_hour" in c]
    assert len(per_hour) == 3 and out.loc[0, per_hour].isna().all()
    for name, value in EXPECTED.items():
        if "per_hour" not in name:
            assert out.loc[0, name] == pytest.approx(value, abs=1e-12), name


def test_days_without_worked_minutes_are_left_out_of_contacts_per_hour():
    sched = HAND_SCHEDULE.copy()
    sched.loc[sched["date"] == "2024-03-25", "worked_minutes"] = 0.0
    out = WorkloadFeatures(windows=(7,)).build(
        Tables(employees(), workload=HAND, schedule=sched), frame(["a"], T)
    )
    assert out.loc[0, "wl_contacts_per_hour_7d"] == pytest.approx(30 / 6)


def test_high_occupancy_threshold():
    out = WorkloadFeatures(windows=(7,), high_occupancy=0.75).build(
        Tables(employees(), workload=HAND), frame(["a"], T)
    )
    assert out.loc[0, "wl_high_occupancy_share_7d"] == 1.0


def test_missing_data_policy():
    out = WorkloadFeatures(windows=(7, 28)).build(
        Tables(employees(), workload=HAND), frame(["b", "c"], T)
    )
    assert out.loc[0, "wl_days_28d"] == 0.0  # rows, but none in the window
    assert np.isnan(out.loc[0, "wl_aht_28d"])
    assert out.loc[1].isna().all()  # no workload row at all


def test_contract_of_the_output():
    builder = WorkloadFeatures()
    fr = frame(["a", "b", "c", "a", "zz"], [T, T, T, "2024-03-25", T])
    tables = Tables(employees(), workload=HAND, schedule=HAND_SCHEDULE)
    out = builder.build(tables, fr)
    assert isinstance(out.index, pd.RangeIndex) and len(out) == len(fr)
    assert list(out.columns) == list(builder.labels())
    assert (out.dtypes == "float64").all()
    assert all(name.startswith("wl_") and name == name.lower() for name in out.columns)
    peers = builder.peer_features()
    assert 3 <= len(peers) <= 6 and set(peers) <= set(builder.labels())
    perm = np.array([3, 0, 4, 2, 1])
    shuffled = builder.build(tables, fr.iloc[perm].reset_index(drop=True))
    assert_frame_equal(shuffled, out.iloc[perm].reset_index(drop=True))
    assert_frame_equal(builder.build(tables, fr.set_axis([10, 7, 3, 99, 5])), out)
    missing = builder.build(Tables(employees()), fr)
    assert list(missing.columns) == list(builder.labels()) and missing.isna().all().all()


def test_rows_after_as_of_do_not_change_features():
    builder = WorkloadFeatures(windows=(7, 28))
    fr = frame(["a", "b", "c"], T)
    before = builder.build(Tables(employees(), workload=HAND, schedule=HAND_SCHEDULE), fr)
    wl = HAND.copy()
    wl.loc[wl["date"] > T, ["occupancy", "qa_score", "csat"]] = [0.01, 1.0, 5.0]
    wl = pd.concat(
        [wl, workload([("c", "2024-04-03", 5, 10, 1, 0.1, 3, 1.0, 1.0)])], ignore_index=True
    )
    sched = HAND_SCHEDULE.copy()
    sched.loc[sched["date"] > T, "worked_minutes"] = 777.0
    perturbed = builder.build(Tables(employees(), workload=wl, schedule=sched), fr)
    assert_frame_equal(perturbed, before, check_exact=True)
    deleted = builder.build(
        Tables(
            employees(),
            workload=HAND[HAND["date"] <= T],
            schedule=HAND_SCHEDULE[HAND_SCHEDULE["date"] <= T],
        ),
        fr,
    )
    assert_frame_equal(deleted, before, check_exact=True)


@st.composite
def tables(draw):
    n = draw(st.integers(0, 25))
    day = st.integers(0, 40).map(lambda d: pd.Timestamp("2024-01-01") + pd.Timedelta(days=d))
    rows = [
        (
            draw(st.sampled_from(["a", "b"])),
            draw(day),
            float(draw(st.sampled_from([0, 5, 40, NAN]))),
            float(draw(st.sampled_from([0.0, 1500.5, 12000.0, NAN]))),
            float(draw(st.sampled_from([0.0, 300.25, NAN]))),
            draw(st.sampled_from([0.3, 0.86, 0.95, NAN])),
            float(draw(st.sampled_from([0, 1, NAN]))),
            draw(st.sampled_from([1.0, 4.5, NAN])),
            draw(st.sampled_from([55.0, 100.0, NAN])),
        )
        for _ in range(n)
    ]
    wl = workload(rows).drop_duplicates(["employee_id", "date"]).reset_index(drop=True)
    m = draw(st.integers(0, 15))
    srows = [
        (
            draw(st.sampled_from(["a", "b"])),
            draw(day),
            float(draw(st.sampled_from([0, 90, 450, NAN]))),
        )
        for _ in range(m)
    ]
    sched = schedule(srows).drop_duplicates(["employee_id", "date"]).reset_index(drop=True)
    with_schedule = draw(st.booleans())
    return wl, (sched if with_schedule else None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tables(), offsets=st.lists(st.integers(0, 45), min_size=1, max_size=4))
def test_property_truncated_tables_give_the_same_features(data, offsets):
    wl, sched = data
    builder = WorkloadFeatures(windows=(3, 7, 14))
    dates = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=o) for o in offsets]
    fr = frame(["a", "b", "a", "b"][: len(dates)], dates)
    full = builder.build(Tables(employees(), workload=wl, schedule=sched), fr)
    for t in sorted(set(dates)):
        rows = (fr["as_of"] == t).to_numpy()
        truncated = Tables(
            employees(),
            workload=wl[wl["date"] <= t].reset_index(drop=True),
            schedule=None if sched is None else sched[sched["date"] <= t].reset_index(drop=True),
        )
        alone = builder.build(truncated, fr[rows].reset_index(drop=True))
        assert_frame_equal(alone, full[rows].reset_index(drop=True), check_exact=True)
