"""Tenure, pay and team-context features: hand-computed cases and the as-of rule."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition.data._tables import Tables
from attrition.features import TeamFeatures, TenureFeatures
from attrition.snapshots._build import population

T = pd.Timestamp("2024-06-30")


@pytest.fixture
def hr():
    rows = [
        # id, hire, term, reason, team, site, wage
        ("a", "2024-05-01", None, None, "t1", "north", 20.0),
        ("b", "2022-01-01", None, None, "t1", "north", 30.0),
        ("c", "2023-01-01", "2024-06-10", "voluntary", "t1", "north", 25.0),   # left 20 days before T
        ("d", "2023-01-01", "2024-06-30", "involuntary", "t1", "north", 25.0),  # last day is T
        ("e", "2024-07-15", None, None, "t1", "north", 10.0),                   # hired after T
        ("f", "2023-01-01", "2024-08-01", "voluntary", "t1", "north", 22.0),   # leaves after T
        ("g", "2020-01-01", None, None, "t2", "south", 40.0),
    ]
    frame = pd.DataFrame(rows, columns=["employee_id", "hire_date", "termination_date",
                                        "termination_reason", "team_id", "site", "hourly_wage"])
    for col in ("hire_date", "termination_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["employment_type"] = "full_time"
    frame["role"] = "agent"
    frame["contracted_hours"] = 37.5
    return frame


def _build(builder, emp, t=T):
    frame = population(emp, [t])
    return frame, builder.build(Tables(emp), frame)


def test_tenure_by_hand(hr):
    frame, out = _build(TenureFeatures(), hr)
    got = out.assign(employee_id=frame["employee_id"].to_numpy()).set_index("employee_id")
    assert got.loc["a", "tenure_days"] == 60 and got.loc["a", "early_tenure"] == 1
    assert got.loc["b", "early_tenure"] == 0
    # team t1 employed at T: a (20), b (30), f (22) -> median 22
    assert got.loc["a", "pay_vs_team"] == pytest.approx(20 / 22 - 1)
    assert got.loc["g", "pay_vs_team"] == 0.0
    assert isinstance(out["site"].dtype, pd.CategoricalDtype)
    assert "birth_year" not in out and "gender" not in out


def test_team_by_hand(hr):
    frame, out = _build(TeamFeatures(windows=[28, 91]), hr)
    got = out.assign(employee_id=frame["employee_id"].to_numpy()).set_index("employee_id")
    # t1 members on T: a, b, f (c left on 06-10, d's last day is T, e hired later)
    assert got.loc["a", "team_size"] == 3
    # c left voluntarily within the last 28 days; d (involuntary, last day T) is an exit too
    assert got.loc["a", "team_vol_exits_28d"] == 1
    assert got.loc["a", "team_exit_rate_28d"] == pytest.approx(2 / 5)  # 2 exits / (3 + 2)
    assert got.loc["a", "team_hires_91d"] == 1  # a, hired 2024-05-01
    assert got.loc["g", "team_size"] == 1 and got.loc["g", "team_vol_exits_91d"] == 0


@pytest.mark.parametrize("builder", [TenureFeatures(), TeamFeatures()], ids=repr)
def test_future_hires_and_exits_change_nothing(hr, builder):
    _, base = _build(builder, hr)
    changed = hr.copy()
    later = changed["termination_date"] > T
    changed.loc[later, "termination_date"] = pd.Timestamp("2025-01-31")
    changed.loc[later, "termination_reason"] = "involuntary"
    extra = changed.iloc[[0]].assign(employee_id="z", hire_date=T + pd.Timedelta(days=1))
    changed = pd.concat([changed, extra], ignore_index=True)
    _, after = _build(builder, changed)
    assert_frame_equal(base, after)


def test_output_follows_frame_order(hr):
    frame = population(hr, [T, T - pd.Timedelta(days=30)])
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    for builder in (TenureFeatures(), TeamFeatures()):
        a = builder.build(Tables(hr), frame).assign(k=frame["employee_id"] + frame["as_of"].astype(str))
        b = builder.build(Tables(hr), shuffled).assign(k=shuffled["employee_id"] + shuffled["as_of"].astype(str))
        assert_frame_equal(a.set_index("k").sort_index(), b.set_index("k").sort_index())
        assert np.isfinite(a["team_size" if "team_size" in a else "tenure_days"]).all()
