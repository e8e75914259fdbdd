"""The simulated job history of the workforce already there on the first simulated day."""

import numpy as np
import pandas as pd
import pytest

from attrition import simulate
from attrition.data import _simulate_history as sh


def _run(monkeypatch, lead_moves: bool, old: bool = False):
    """A small centre, and what the history process knew of its initial workforce
    (``old``: the hire rows only, as before the initial rows were written)."""
    seen = {}
    real = sh.HistoryProcess._initial_rows

    def spy(self, new, hire):
        E = self.sim.emp
        seen.update(origin=self.sim.origin, hire=hire.copy(), rise=self.state["last_rise"][new].copy(),
                    since=self.lead_since[E["team"][new]].copy())
        if old:
            self._record(new, hire, 0)
        else:
            real(self, new, hire)

    monkeypatch.setattr(sh.HistoryProcess, "_initial_rows", spy)
    centre = simulate(n_employees=150, months=12, seed=5, lead_moves=lead_moves)
    monkeypatch.setattr(sh.HistoryProcess, "_initial_rows", real)
    return centre, seen


def _frames(centre) -> dict[str, pd.DataFrame]:
    t = centre.tables
    out = {"employees": t.employees, "schedule": t.schedule, "workload": t.workload, "absences": t.absences,
           "surveys": t.surveys, "truth": centre.truth, "effects": centre.effects}
    return out | {f"declared {k}": v for k, v in t.declared.items()}


@pytest.mark.parametrize("lead_moves", [False, True])
def test_the_initial_rows_change_nothing_but_the_history_before_the_start(monkeypatch, lead_moves):
    new, seen = _run(monkeypatch, lead_moves)
    old, _ = _run(monkeypatch, lead_moves, old=True)
    for name, frame in _frames(new).items():
        pd.testing.assert_frame_equal(frame, _frames(old)[name], obj=name)
    start = pd.Timestamp(seen["origin"])
    h_new, h_old = new.tables.employee_history, old.tables.employee_history
    later = [h.loc[h["effective_date"] >= start].reset_index(drop=True) for h in (h_new, h_old)]
    pd.testing.assert_frame_equal(*later)
    assert len(h_new.loc[h_new["effective_date"] < start]) > len(h_old.loc[h_old["effective_date"] < start])
    # The hire rows are the same rows, with the wage before the last raise and the lead then.
    hires = [h.loc[h["change_reason"] == "hire"].reset_index(drop=True) for h in (h_new, h_old)]
    same = ["employee_id", "effective_date", "team_id", "site", "role", "employment_type", "contracted_hours",
            "grade"]
    pd.testing.assert_frame_equal(hires[0][same], hires[1][same])


@pytest.mark.parametrize("lead_moves", [False, True])
def test_the_last_raise_before_the_start_is_on_record(monkeypatch, lead_moves):
    centre, seen = _run(monkeypatch, lead_moves)
    start = pd.Timestamp(seen["origin"])
    h = centre.tables.employee_history
    before = h.loc[h["effective_date"] < start]
    hire = before.loc[before["change_reason"] == "hire"].set_index("employee_id")
    pay = before.loc[before["change_reason"] == "pay_change"].set_index("employee_id")
    long_ago = hire.index[hire["effective_date"] < start - pd.Timedelta(days=365)]
    # One raise each, in the year before the start, on the day the truth counts from.
    assert len(long_ago) > 50
    assert pay.index.is_unique and set(pay.index) == set(long_ago)
    assert (pay["effective_date"] >= start - pd.Timedelta(days=365)).all()
    rises = np.sort(seen["rise"][seen["hire"] < -365])
    kept = np.sort(((pay["effective_date"] - start) / pd.Timedelta(days=1)).to_numpy(dtype=np.int64))
    assert np.isin(kept, rises).all()
    # The hire row carries the wage before it: a rise of the mean annual size, to the cent.
    wage = pay["hourly_wage"]
    np.testing.assert_allclose(hire.loc[long_ago, "hourly_wage"], np.round(wage.loc[long_ago] / 1.025, 2))
    assert (hire.loc[long_ago, "hourly_wage"] < wage.loc[long_ago]).all()
    # Those hired within the year have no raise before the start.
    assert not set(pay.index) & set(hire.index.difference(long_ago))


@pytest.mark.parametrize("lead_moves", [False, True])
def test_a_lead_is_named_from_their_appointment_on(monkeypatch, lead_moves):
    centre, seen = _run(monkeypatch, lead_moves)
    start = pd.Timestamp(seen["origin"])
    h = centre.tables.employee_history
    change = h.loc[(h["change_reason"] == "manager_change") & (h["effective_date"] < start)]
    assert len(change) > 10
    appointed = change.groupby("manager_id")["effective_date"].agg(["min", "max"])
    assert (appointed["min"] == appointed["max"]).all()  # one appointment day per initial lead
    assert set(np.unique(seen["since"])) >= {int((d - start).days) for d in appointed["min"]}
    # No row names a lead before their appointment; the rows before it name the predecessor.
    first = h.groupby("manager_id")["effective_date"].min()
    pd.testing.assert_series_equal(first.loc[appointed.index], appointed["min"], check_names=False)
    for person, rows in h.loc[h["employee_id"].isin(change["employee_id"])].groupby("employee_id"):
        switch = change.loc[change["employee_id"] == person, "effective_date"].iloc[0]
        earlier = rows.loc[rows["effective_date"] < switch, "manager_id"]
        assert len(earlier) and earlier.str.fullmatch(r"P\d{3}").all()
        assert (earlier == "P" + rows["team_id"].iloc[0].removeprefix("T")).all()
    # Nobody hired after the start is named with a predecessor.
    assert not h.loc[h["effective_date"] >= start, "manager_id"].str.startswith("P").any()
