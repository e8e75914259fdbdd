"""AbsenceFeatures: days <= t only, spells, Bradford factor, order and the as-of rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition.data._tables import Tables
from attrition.features.absence import AbsenceFeatures

T = pd.Timestamp("2024-03-31")


def day(offset: int, t: pd.Timestamp = T) -> pd.Timestamp:
    return t + pd.Timedelta(days=offset)


def absences(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["employee_id", "start_date", "end_date", "absence_type"])
    for col in ("start_date", "end_date"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
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


def build(rows, ids=("a",), as_of=T, **kwargs) -> pd.DataFrame:
    builder = AbsenceFeatures(**kwargs)
    return builder.build(Tables(employees(), absences=absences(rows)), frame(ids, as_of))


def test_window_edges_one_day_spells():
    rows = [
        ("a", day(-28), day(-28), "sick"),  # t - w: outside
        ("b", day(-27), day(-27), "sick"),  # t - w + 1: inside
        ("a", day(0), day(0), "sick"),  # t: inside
        ("a", day(2), day(2), "sick"),  # after t
    ]
    out = build(rows, ids=("a", "b"), windows=(28,))
    assert out["abs_sick_days_28d"].tolist() == [1.0, 1.0]
    assert out["abs_sick_spells_28d"].tolist() == [1.0, 1.0]
    assert out["abs_days_since_sick"].tolist() == [0.0, 27.0]
    # Touching one-day spells are one continuous absence, dated by its first day.
    joined = build(
        [("a", day(-28), day(-28), "sick"), ("a", day(-27), day(-27), "sick")], windows=(28,)
    )
    assert joined.loc[0, "abs_sick_days_28d"] == 1.0
    assert joined.loc[0, "abs_sick_spells_28d"] == 0.0


def test_spell_crossing_t_counts_only_days_up_to_t():
    rows = [("a", day(-2), day(5), "sick")]
    out = build(rows, windows=(28, 91))
    assert out.loc[0, "abs_sick_days_28d"] == 3.0  # t-2, t-1, t
    assert out.loc[0, "abs_sick_spells_28d"] == 1.0
    assert out.loc[0, "abs_ongoing"] == 1.0
    assert out.loc[0, "abs_days_since_sick"] == 0.0
    assert out.loc[0, "abs_bradford_365d"] == 1 * 3
    for end in (day(0), day(1), day(400), pd.NaT):
        moved = build([("a", day(-2), end, "sick")], windows=(28, 91))
        assert_frame_equal(moved, out, check_exact=True)
    # The day after it ended, the end is known.
    later = build([("a", day(-2), day(0), "sick")], as_of=day(1), windows=(28,))
    assert later.loc[0, "abs_sick_days_28d"] == 3.0
    assert later.loc[0, "abs_ongoing"] == 0.0
    assert later.loc[0, "abs_days_since_sick"] == 1.0


def test_spell_started_before_the_window_counts_its_days_inside():
    rows = [("a", day(-35), day(-25), "sick")]  # days t-27 .. t-25 are inside (t-28, t]
    out = build(rows, windows=(28,))
    assert out.loc[0, "abs_sick_days_28d"] == 3.0
    assert out.loc[0, "abs_sick_spells_28d"] == 0.0  # started before the window
    assert out.loc[0, "abs_days_since_sick"] == 25.0
    assert out.loc[0, "abs_ongoing"] == 0.0


def test_bradford_factor_hand_case():
    t = pd.Timestamp("2024-12-31")
    rows = [
        ("a", day(-380, t), day(-365, t), "sick"),  # ends the day before the period: not counted
        ("a", day(-370, t), day(-363, t), "sick"),  # 2 days inside (t-364, t-363)
        ("a", day(-100, t), day(-100, t), "sick"),  # 1 day
        ("a", day(-50, t), day(-49, t), "sick"),  # 2 days
        ("a", day(-10, t), day(-8, t), "sick"),  # 3 days
        ("a", day(-30, t), day(-20, t), "vacation"),  # not sick
    ]
    out = build(rows, as_of=t)
    # S = 4 spells touching the last 365 days, D = 8 sick days: 4² × 8.
    assert out.loc[0, "abs_bradford_365d"] == 128.0
    assert out.loc[0, "abs_days_since_sick"] == 8.0
    assert out.loc[0, "abs_sick_days_182d"] == 6.0
    assert out.loc[0, "abs_sick_spells_182d"] == 3.0
    assert out.loc[0, "abs_vacation_days_182d"] == 11.0
    assert out.loc[0, "abs_vacation_days_28d"] == 8.0  # t-27 .. t-20; t-30 .. t-28 are outside
    assert out.loc[0, "abs_ongoing"] == 0.0
    short = build(rows, as_of=t, bradford_days=30)
    assert short.loc[0, "abs_bradford_30d"] == 1**2 * 3


def test_overlapping_and_touching_spells_are_one_spell():
    rows = [
        ("a", day(-20), day(-18), "sick"),
        ("a", day(-20), day(-18), "sick"),  # duplicate export row
        ("a", day(-19), day(-17), "sick"),  # overlaps
        ("a", day(-16), day(-15), "sick"),  # starts the day after: same absence
        ("a", day(-10), day(-10), "sick"),  # a new spell
    ]
    out = build(rows, windows=(28,))
    assert out.loc[0, "abs_sick_days_28d"] == 7.0
    assert out.loc[0, "abs_sick_spells_28d"] == 2.0
    assert out.loc[0, "abs_bradford_365d"] == 2**2 * 7


def test_ongoing_counts_any_type_and_no_absence_is_zero():
    rows = [("a", day(-3), day(3), "parental"), ("b", day(-9), day(-5), "vacation")]
    out = build(rows, ids=("a", "b", "c"), windows=(28,))
    assert out["abs_ongoing"].tolist() == [1.0, 0.0, 0.0]
    assert out["abs_vacation_days_28d"].tolist() == [0.0, 5.0, 0.0]
    assert out["abs_sick_days_28d"].tolist() == [0.0, 0.0, 0.0]
    assert out["abs_bradford_365d"].tolist() == [0.0, 0.0, 0.0]
    assert out["abs_days_since_sick"].isna().all()


def test_contract_of_the_output():
    builder = AbsenceFeatures()
    rows = [("a", day(-2), day(5), "sick"), ("b", day(-40), day(-30), "vacation")]
    tables = Tables(employees(), absences=absences(rows))
    fr = frame(["a", "b", "c", "a", "zz"], [T, T, T, day(-1), T])
    out = builder.build(tables, fr)
    assert isinstance(out.index, pd.RangeIndex) and len(out) == len(fr)
    assert list(out.columns) == list(builder.labels())
    assert (out.dtypes == "float64").all()
    assert all(name.startswith("abs_") and name == name.lower() for name in out.columns)
    peers = builder.peer_features()
    assert 3 <= len(peers) <= 6 and set(peers) <= set(builder.labels())
    perm = np.array([3, 0, 4, 2, 1])
    shuffled = builder.build(tables, fr.iloc[perm].reset_index(drop=True))
    assert_frame_equal(shuffled, out.iloc[perm].reset_index(drop=True))
    assert_frame_equal(builder.build(tables, fr.set_axis([10, 7, 3, 99, 5])), out)
    empty = builder.build(Tables(employees(), absences=absences([])), fr)
    assert (empty.drop(columns="abs_days_since_sick") == 0).all().all()
    missing = builder.build(Tables(employees()), fr)
    assert missing.isna().all().all()


def test_future_information_does_not_change_features():
    rows = [
        ("a", day(-2), day(5), "sick"),  # running at t
        ("a", day(-60), day(-50), "sick"),
        ("b", day(-5), day(0), "vacation"),  # ends on t
        ("a", day(3), day(9), "sick"),  # after t
    ]
    fr = frame(["a", "b", "c"], T)
    builder = AbsenceFeatures()
    before = builder.build(Tables(employees(), absences=absences(rows)), fr)
    perturbed = absences(rows)
    perturbed.loc[0, "end_date"] = day(200)  # the running spell ends much later
    perturbed.loc[2, "end_date"] = day(30)
    perturbed.loc[3, ["start_date", "end_date"]] = [day(6), day(6)]
    perturbed = pd.concat(
        [perturbed, absences([("c", day(1), day(40), "sick"), ("a", day(6), day(7), "other")])],
        ignore_index=True,
    )
    after = builder.build(Tables(employees(), absences=perturbed), fr)
    assert_frame_equal(after, before, check_exact=True)
    deleted = absences(rows[:3])
    assert_frame_equal(
        builder.build(Tables(employees(), absences=deleted), fr), before, check_exact=True
    )


@st.composite
def spells(draw):
    n = draw(st.integers(0, 12))
    rows = []
    for _ in range(n):
        start = draw(st.integers(0, 60))
        length = draw(st.integers(0, 20))
        rows.append(
            (
                draw(st.sampled_from(["a", "b"])),
                pd.Timestamp("2024-01-01") + pd.Timedelta(days=start),
                pd.Timestamp("2024-01-01") + pd.Timedelta(days=start + length),
                draw(st.sampled_from(["sick", "sick", "vacation", "other"])),
            )
        )
    return absences(rows)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ab=spells(),
    offsets=st.lists(st.integers(0, 70), min_size=1, max_size=4),
    shift=st.integers(0, 30),
)
def test_property_truncated_tables_give_the_same_features(ab, offsets, shift):
    builder = AbsenceFeatures(windows=(3, 7, 14), bradford_days=30)
    dates = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=o) for o in offsets]
    fr = frame(["a", "b", "a", "b"][: len(dates)], dates)
    full = builder.build(Tables(employees(), absences=ab), fr)
    for t in sorted(set(dates)):
        rows = (fr["as_of"] == t).to_numpy()
        # Only spells started by t, and the ends of spells running at t moved
        # to another day >= t: both are unknown at t.
        truncated = ab[ab["start_date"] <= t].reset_index(drop=True)
        running = truncated["end_date"] >= t
        truncated.loc[running, "end_date"] = t + pd.Timedelta(days=shift)
        alone = builder.build(
            Tables(employees(), absences=truncated), fr[rows].reset_index(drop=True)
        )
        assert_frame_equal(alone, full[rows].reset_index(drop=True), check_exact=True)
