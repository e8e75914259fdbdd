"""The team lead's context follows the lead's id across teams, point-in-time."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition import simulate
from attrition.data._tables import Tables
from attrition.features import HistoryFeatures, TeamFeatures
from attrition.snapshots._build import population

MOVE = pd.Timestamp("2024-04-01")  # lead m1 leaves team t1 for team t2


@pytest.fixture
def moved_lead():
    """Lead m1 runs t1 (a, b, c, d, e) then, from MOVE, t2 (f, g, h, i, j); m3 takes over t1.

    Under m1, a and b left t1 voluntarily in March; t2 had no exits.
    """
    t1, t2 = list("abcde"), list("fghij")
    emp = pd.DataFrame({"employee_id": t1 + t2, "hire_date": pd.Timestamp("2023-01-02"),
                        "team_id": ["t1"] * 5 + ["t2"] * 5})
    emp["termination_date"] = pd.to_datetime([None] * 10)
    emp.loc[emp["employee_id"].isin(["a", "b"]), "termination_date"] = pd.to_datetime(["2024-03-10", "2024-03-20"])
    emp["termination_reason"] = np.where(emp["termination_date"].notna(), "voluntary", None)
    rows = [(e, "2023-01-02", "t1", "m1") for e in t1] + [(e, "2023-01-02", "t2", "m2") for e in t2]
    rows += [(e, "2024-04-01", "t1", "m3") for e in "cde"] + [(e, "2024-04-01", "t2", "m1") for e in t2]
    hist = pd.DataFrame(rows, columns=["employee_id", "effective_date", "team_id", "manager_id"])
    hist["effective_date"] = pd.to_datetime(hist["effective_date"])
    # Padding so that t1 keeps five reports after the exits: three more agents, hired in 2023.
    extra = [(e, "2023-06-01", "t1", "m1") for e in "klm"] + [(e, "2024-04-01", "t1", "m3") for e in "klm"]
    extra = pd.DataFrame(extra, columns=hist.columns).assign(effective_date=lambda f: pd.to_datetime(
        f["effective_date"]))
    more = pd.DataFrame({"employee_id": list("klm"), "hire_date": pd.Timestamp("2023-06-01"), "team_id": "t1",
                         "termination_date": pd.NaT, "termination_reason": None})
    return Tables(pd.concat([emp, more], ignore_index=True),
                  employee_history=pd.concat([hist, extra], ignore_index=True))


def _features(tables, t, builder=None):
    frame = population(tables.employees, [t])
    out = (builder or HistoryFeatures(windows=[91, 182])).build(tables, frame)
    return out.assign(employee_id=frame["employee_id"].to_numpy()).set_index("employee_id")


def test_the_lead_brings_their_exit_record_to_the_new_team(moved_lead):
    after = _features(moved_lead, pd.Timestamp("2024-04-30"))
    # t2's new lead is m1: the two March exits were m1's reports, in t1.
    assert after.loc["f", "lead_vol_exits_91d"] == 2 and after.loc["f", "lead_vol_exits_182d"] == 2
    assert after.loc["f", "hist_new_lead_91d"] == 1
    # m1 has led since 2023-01-02, in whichever team.
    assert after.loc["f", "lead_tenure_as_lead_days"] == (pd.Timestamp("2024-04-30") - pd.Timestamp("2023-01-02")).days
    # t1's new lead m3 starts with a clean record and a short tenure as lead.
    assert after.loc["c", "lead_vol_exits_91d"] == 0 and after.loc["c", "lead_tenure_as_lead_days"] == 29
    # The team's own record stays with the team: t2 had no exits, t1 two.
    team = _features(moved_lead, pd.Timestamp("2024-04-30"), TeamFeatures(windows=[91]))
    assert team.loc["f", "team_vol_exits_91d"] == 0 and team.loc["c", "team_vol_exits_91d"] == 2


def test_before_the_move_the_new_team_does_not_see_the_lead(moved_lead):
    before = _features(moved_lead, pd.Timestamp("2024-03-31"))
    assert before.loc["f", "lead_vol_exits_91d"] == 0 and before.loc["f", "hist_new_lead_91d"] == 0
    assert before.loc["c", "lead_vol_exits_91d"] == 2


@pytest.fixture(scope="module")
def moving_centre():
    return simulate(n_employees=120, months=12, seed=3, lead_moves=True)  # two leads change team


def _perturb_after(history: pd.DataFrame, t: pd.Timestamp, seed: int, mode: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = history.copy()
    later = frame.index[frame["effective_date"] > t]
    if mode == "drop":
        frame = frame.drop(later[rng.random(len(later)) < 0.5])
    elif mode == "leads":  # other leads (existing ids and new ones) after t
        ids = np.concatenate([frame["manager_id"].unique(), ["L9999"]])
        frame.loc[later, "manager_id"] = rng.choice(ids, len(later))
        frame.loc[later, "team_id"] = rng.choice(frame["team_id"].unique(), len(later))
    else:  # a lead's new team, effective after t, for people that exist
        new = frame.sample(n=min(20, len(frame)), random_state=seed).copy()
        new["effective_date"] = t + pd.to_timedelta(rng.integers(1, 60, len(new)), "D")
        new["manager_id"] = rng.choice(frame["manager_id"].unique(), len(new))
        frame = pd.concat([frame, new], ignore_index=True).drop_duplicates(
            ["employee_id", "effective_date"], keep="first")
    return frame.reset_index(drop=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), month=st.integers(3, 9), mode=st.sampled_from(["drop", "leads", "add"]))
def test_lead_context_with_moving_leads_uses_no_row_after_t(moving_centre, seed, month, mode):
    tables = moving_centre.tables
    t = pd.Timestamp("2024-01-31") + pd.offsets.MonthEnd(month)
    base = _features(tables, t)
    changed = _features(tables.copy(employee_history=_perturb_after(tables.employee_history, t, seed, mode)), t)
    assert_frame_equal(base, changed)


def test_the_simulated_centre_has_leads_in_more_than_one_team(moving_centre):
    stints = moving_centre.tables.employee_history.groupby("manager_id")["team_id"].nunique()
    assert (stints >= 2).any()
