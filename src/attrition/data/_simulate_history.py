"""The simulated centre's job history and two of its own tables, with their true effects.

:func:`attrition.simulate` (``history=True``, the default) runs a
:class:`HistoryProcess` beside the main simulation. It writes
``employee_history`` — one row per change of an agent's job record: the hire,
team moves, new team leads, promotions, pay rises and contracted-hours
changes — and two tables of the kinds a configuration can declare:

* ``performance`` (``kind = "measures"``, date ``review_date``): a quarterly
  review with ``rating`` (1-5, driven by latent engagement) and
  ``business_value`` (a KPI with no effect of its own);
* ``coaching`` (``kind = "events"``, date ``session_date``, event
  ``session_type``): ``one_to_one``, ``skills`` and ``recognition``
  sessions.

Every change moves the agent's state (team, lead, role, wage, hours), so the
``employees`` export holds the *last* values, as a real HR master does: a
stayer's wage includes every later raise, a leaver's froze at exit.

The workforce already there on the first simulated day has a past the run
did not simulate; its rows say only what the truth uses. Each person's hire
row; for those hired more than a year before the start, their last annual
raise, a ``pay_change`` row on a day in the year before the start (the day
the true ``no_raise_15m`` term counts from), the hire row carrying the wage
before that raise: today's divided by 1.025, the mean raise, rounded to the
cent. Earlier raises are not written, so the first wage on record is an
approximation of the pay a year or so back, not the pay at hire. Each team's
lead was appointed some time before the start (``lead_since``, the day the
true ``new_lead_91d`` term counts from); for people hired before that day the
rows before it name the predecessor, ``P`` and the team's number (``P001``), a
``manager_change`` row on that day names the current lead, so a lead's tenure
read from the history starts on their appointment (or on their earliest
report's hire, if later). These rows use no random draws: every other table
and the truth are those of a run without them.

Effects on the true voluntary hazard
------------------------------------
Added on the logit scale to :data:`attrition.data._simulate.VOLUNTARY_HAZARD`
(:data:`HISTORY_HAZARD`; :func:`history_effects` lists them with the feature
that measures each and whether it is real):

=======================  =======  =============================================
term                     logit    literature
=======================  =======  =============================================
new team lead, 91 days   +0.45    the supervisor drives agent attrition: in a
                                  study of 1,135 call-centre agents (SSRN
                                  3180225) giving everyone the best supervisor
                                  would have cut voluntary attrition by over
                                  40 %; a change of lead disrupts the relation
                                  (leader-member exchange; Griffeth, Hom &
                                  Gaertner 2000, *Journal of Management* 26(3),
                                  meta-analysis of turnover antecedents).
team move, 91 days       +0.30    re-socialisation after a transfer (Griffeth
                                  et al. 2000: work-group cohesion).
promotion, 365 days      -0.50    Trevor, Gerhart & Boudreau (1997), *Journal
                                  of Applied Psychology* 82(1): promotions and
                                  salary growth reduce voluntary turnover.
no pay rise, 15 months   +0.40    the same study: low salary growth raises
                                  turnover, most among high performers.
hours cut, 182 days      +0.60    unwanted cuts in hours and income drive
                                  exits among hourly service workers (Lambert,
                                  Fugiel & Henly 2014, University of Chicago
                                  EINet report; Choper, Schneider & Harknett
                                  2022, *ILR Review*).
recognition, 91 days     -0.35    recognition as a retention practice (Batt
                                  2002, *Academy of Management Journal* 45(3),
                                  HR practices and quit rates in call centres).
=======================  =======  =============================================

How much these effects can show in a model's ranking: each is a large
change of one agent's odds, but each touches few agent-months (in a
300-agent centre: a cut in hours in the last 182 days about 0.7 % of them, a
team move in the last 91 days 1 %, a new lead 2.4 %, a promotion in the
last year 8 %, no rise for 15 months 10 %, recognition 22 %). Together they
are about 5 % of the variance of the true logit (0.06 of 1.3), so a model
that knew them exactly would rank the 90-day leavers only 0.001-0.006 AUC
better than one that knew everything else (``truth["history_logit"]`` holds
each row's terms; ``benchmarks/history_leak.py`` prints this ceiling). The
supervisor effect the SSRN study measures is the lead's *quality*, which is
in :data:`attrition.data._simulate.VOLUNTARY_HAZARD` (``team_lead_quality``,
and through engagement): giving every agent the best of the centre's leads
cuts the mean voluntary hazard by 46-75 % (four seeds of 300 agents over 36
months, the engagement pathway taken at its equilibrium), at or above
the study's "over 40 %"; it is tied to the team, so the team's own exit
record shows it with or without the history.

Team leads
----------
A team has one lead at a time, a person with an id and a quality (about
standard normal) that is theirs; the quality acts on the true hazard through
``team_lead_quality`` in :data:`attrition.data._simulate.VOLUNTARY_HAZARD`,
directly and through engagement (``truth["lead_logit"]`` holds the direct
term). Each month a team's lead leaves with probability 1.5 % (about 17 % a
year) and a new lead with a fresh quality draw takes over. That is all by
default: a lead stays with their team until they leave, so the team's own
exit record shows the lead's quality with or without the history.

With ``simulate(..., lead_moves=True)`` leads also move between teams, as
rotations and re-organisations move them in real centres: each month each
lead is picked with probability 0.6 % and the picked leads of a site rotate
among their teams (a lone pick swaps with another lead of the site), so a
lead changes team about 1.2 % a month (measured over six seeds of 300 agents
and 24 months: 16 % of team-years got a reassigned lead, 16 % a new one;
single seeds range from 4 % to 30 % of reassignments). About 30 % of teams
thus get another lead in a year. No published benchmark of team-lead
turnover and reassignment in contact centres was found; the rates were
chosen, before measuring anything, inside the 15-30 % a year the project
takes as plausible for each, keeping the default's 1.5 % a month for leads
who leave. Re-organisations that move many leads at once are not simulated.
A reassigned lead takes their quality along, and ``manager_id`` in
``employee_history`` is the lead's own id (``L0001``...) in every team they
lead; the supervisor effect then follows the lead, which is how the
literature identifies it (Lazear, Shaw & Stanton 2015, "The Value of
Bosses", *Journal of Labor Economics* 33(4): boss effects estimated from
workers' changes of boss in a large service firm). Only the history can
follow it: the lead's exits among their reports over the windows, tenure as
a lead and a new lead in the last 91 days
(:class:`attrition.features.HistoryFeatures`) go with the lead's id, the
team's exit record stays with the team.

``skills`` sessions and ``business_value`` have **no** effect (the ground
truth says so): a model that leans on them has found noise. ``rating``
carries no term of its own but follows engagement, which does.

Randomness comes from its own stream (:data:`HISTORY_SPAWN_KEY`), so the
main simulation's draws are those of ``history=False`` until the first
effect on a hazard changes who leaves.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from attrition.data._declared import TableDeclaration

__all__ = ["HISTORY_HAZARD", "SIMULATED_DECLARATIONS", "HistoryProcess", "history_effects",
           "HISTORY_SPAWN_KEY"]

#: Terms added to the true voluntary logit when the simulator writes history.
HISTORY_HAZARD = MappingProxyType({
    "new_lead_91d": 0.45,
    "team_move_91d": 0.30,
    "promotion_365d": -0.50,
    "no_raise_15m": 0.40,
    "hours_cut_182d": 0.60,
    "recognition_91d": -0.35,
    "skills_session_91d": 0.0,
    "business_value": 0.0,
})
#: The spawn key of the history's random stream (apart from the main and protected streams).
HISTORY_SPAWN_KEY = (13,)
#: How the simulated centre's own tables are declared (``[tables.NAME]``).
SIMULATED_DECLARATIONS = MappingProxyType({
    "performance": {"kind": "measures", "date": "review_date", "columns": ["rating", "business_value"]},
    "coaching": {"kind": "events", "date": "session_date", "event": "session_type"},
})
_SESSION_TYPES = ("one_to_one", "skills", "recognition")
_REASONS = ("hire", "transfer", "manager_change", "promotion", "pay_change", "hours_change")
_NEVER = -(10**9)  # "no such event yet" day
#: The initial workforce's wage before its last raise is today's divided by this (the mean raise).
_TYPICAL_RAISE = 1.025


def history_effects() -> pd.DataFrame:
    """The ground truth of the history's effects: term, logit coefficient, the feature
    that measures it and whether the effect is real.

    >>> bool(history_effects().set_index("term").loc["skills_session_91d", "real"])
    False
    """
    features = {
        "new_lead_91d": "hist_new_lead_91d",
        "team_move_91d": "hist_days_since_team_move",
        "promotion_365d": "hist_days_since_promotion",
        "no_raise_15m": "hist_days_since_pay_rise",
        "hours_cut_182d": "hist_days_since_hours_cut",
        "recognition_91d": "coaching_recognition_events_91d",
        "skills_session_91d": "coaching_skills_events_91d",
        "business_value": "performance_business_value_mean_91d",
    }
    return pd.DataFrame({
        "term": list(HISTORY_HAZARD),
        "coefficient": [float(v) for v in HISTORY_HAZARD.values()],
        "feature": [features[k] for k in HISTORY_HAZARD],
        "real": [v != 0 for v in HISTORY_HAZARD.values()],
    })


class HistoryProcess:
    """Job changes, reviews and coaching of one simulation run (see the module docs).

    Called by the simulator at a few points: :meth:`added` (new people),
    :meth:`new_leads` (the team-month step), :meth:`logit_terms` (the
    month-end hazard) and :meth:`month_end` (changes effective on the first
    day of the next month).
    """

    def __init__(self, sim: Any) -> None:  # the running attrition.data._simulate._Simulator
        self.sim = sim
        self.rng = np.random.default_rng(np.random.SeedSequence(sim.seed, spawn_key=HISTORY_SPAWN_KEY))
        T = sim.n_teams
        self.lead_serial = np.zeros(T, np.int64)
        # The current leads were appointed some time before the first simulated day.
        self.lead_since = -self.rng.integers(30, 6 * 365, T)
        self.rows: list[tuple[np.ndarray, ...]] = []  # emp, day, reason code
        self.pending: list[np.ndarray] = []  # hires whose hire rows wait for next month's leads
        self.state: dict[str, np.ndarray] = {k: np.zeros(0, np.int64) for k in (
            "grade", "last_move", "last_promo", "last_rise", "last_cut", "last_recog", "last_skills")}
        self.reviews: list[tuple[np.ndarray, ...]] = []
        self.sessions: list[tuple[np.ndarray, ...]] = []

    # ------------------------------------------------------------------ hooks
    def added(self, first: int, n: int, initial: bool) -> None:
        """New people ``first .. first + n - 1``: grades, hire rows, wages in today's money."""
        E, r = self.sim.emp, self.rng
        new = np.arange(first, first + n)
        hire = E["hire"][new]
        if not initial:  # hires are paid like peers after the annual raises so far
            years = max(int(hire[0]), 0) / 365.25
            E["wage"][new] = np.round(E["wage"][new] * 1.025 ** years, 2)
        grade = E["role"][new] * 2 + (r.random(n) < 0.3)
        st = self.state
        st["grade"] = np.concatenate([st["grade"], grade])
        for key in ("last_move", "last_promo", "last_rise", "last_cut", "last_recog", "last_skills"):
            st[key] = np.concatenate([st[key], np.full(n, _NEVER)])
        # The existing workforce's last raise lies somewhere in the past year.
        st["last_rise"][new] = np.where(hire < -365, -r.integers(1, 366, n), hire) if initial else hire
        if initial:
            self._initial_rows(new, hire)
        elif self.sim.lead_moves:
            # A hiring class starts next month: its hire rows name the lead in force then,
            # after next month's lead changes (recorded by new_leads).
            self.pending.append(new)
        else:
            self._record(new, hire, 0)

    def _initial_rows(self, new: np.ndarray, hire: np.ndarray) -> None:
        """The initial workforce's rows before the first simulated day (no random draws).

        The hire row; for people hired more than a year before the start, the
        last annual raise (a ``pay_change`` row on ``last_rise``), the hire
        row carrying the wage before it (:data:`_TYPICAL_RAISE`); for people
        hired before their team's lead was appointed (``lead_since``), the
        rows before that day name the predecessor (``P`` + team number) and a
        ``manager_change`` row on ``lead_since`` names the current lead.
        """
        E = self.sim.emp
        rise = self.state["last_rise"][new]
        raised = hire < -365
        since = self.lead_since[E["team"][new]]
        before = hire < since
        wage = E["wage"][new].astype(float)
        wage_before = np.where(raised, np.round(wage / _TYPICAL_RAISE, 2), wage)
        self._record(new, hire, 0, wage=wage_before, predecessor=before)
        self._record(new[raised], rise[raised], 4, predecessor=rise[raised] < since[raised])
        self._record(new[before], since[before], 2,
                     wage=np.where(since[before] < rise[before], wage_before[before], wage[before]))

    def new_leads(self, new_lead: np.ndarray, day: int) -> None:
        """Teams whose lead changed on ``day`` (a new lead or, with ``lead_moves``, one
        reassigned from another team): a new manager_id for every member."""
        for new in self.pending:
            self._record(new, self.sim.emp["hire"][new], 0)
        self.pending = []
        teams = np.flatnonzero(new_lead)
        if not len(teams):
            return
        self.lead_serial[teams] += 1
        self.lead_since[teams] = day
        E = self.sim.emp
        members = np.flatnonzero((E["hire"] <= day) & (E["term"] > day) & np.isin(E["team"], teams))
        self._record(members, np.full(len(members), day), 2)

    def logit_terms(self, emp: np.ndarray, me: int) -> np.ndarray:
        """The history's terms of the true voluntary logit at month end ``me``."""
        E, st, c = self.sim.emp, self.state, HISTORY_HAZARD
        tenure = me - E["hire"][emp]
        team = E["team"][emp]
        return (
            c["new_lead_91d"] * (me - self.lead_since[team] < 91)
            + c["team_move_91d"] * (me - st["last_move"][emp] < 91)
            + c["promotion_365d"] * (me - st["last_promo"][emp] < 365)
            + c["no_raise_15m"] * ((tenure > 456) & (me - st["last_rise"][emp] > 456))
            + c["hours_cut_182d"] * (me - st["last_cut"][emp] < 182)
            + c["recognition_91d"] * (me - st["last_recog"][emp] < 91)
            + c["skills_session_91d"] * (me - st["last_skills"][emp] < 91)
        ).astype("float64")

    def month_end(self, k: int, me: int, emp: np.ndarray, e: np.ndarray) -> None:
        """Reviews and coaching of month ``k``; job changes effective on ``me + 1``."""
        sim, E, r, st = self.sim, self.sim.emp, self.rng, self.state
        n = len(emp)
        ms = int(sim.bounds[k])
        record = k >= 3  # burn-in months leave no review or coaching rows
        # Coaching: one-to-ones, skills sessions and recognition, on a day of this month.
        p = np.stack([np.full(n, 0.35), np.full(n, 0.12), 0.10 * np.exp(0.5 * e)])
        for kind in range(3):
            got = r.random(n) < p[kind]
            days = r.integers(ms, me + 1, int(got.sum()))
            who = emp[got]
            ok = days < E["term"][who]
            who, days = who[ok], days[ok]
            if kind == 2:
                st["last_recog"][who] = days
            elif kind == 1:
                st["last_skills"][who] = days
            if record:
                self.sessions.append((who, days, np.full(len(who), kind)))
        # Quarterly performance review on the month's last working day.
        month = int((sim.origin + me).astype("datetime64[M]").astype(np.int64) % 12) + 1
        if month in (3, 6, 9, 12):
            reviewed = emp[(me - E["hire"][emp]) > 60]
            ee = e[np.isin(emp, reviewed)]
            rating = np.clip(np.round(3.0 + 0.7 * ee + r.normal(0.0, 0.6, len(reviewed))), 1, 5)
            value = np.round(r.normal(100.0, 15.0, len(reviewed)), 1)
            if record:
                self.reviews.append((reviewed, np.full(len(reviewed), me), rating, value))
        # Job changes, effective on the first day of the next month (none after the export).
        day = me + 1
        if day > sim.export_day:
            return
        stay = emp[E["term"][emp] > day]
        es = e[np.isin(emp, stay)]
        tenure_y = (day - E["hire"][stay]) / 365.25
        m = len(stay)
        if month == 3:  # the annual pay review, effective 1 April
            rise = (r.random(m) < 0.75) & (tenure_y > 0.5)
            size = np.clip(r.normal(0.025 + 0.01 * es, 0.01), 0.005, 0.08)
            who = stay[rise]
            E["wage"][who] = np.round(E["wage"][who] * (1 + size[rise]), 2)
            st["last_rise"][who] = day
            self._record(who, np.full(len(who), day), 4)
        promo = (r.random(m) < 1 / (1 + np.exp(5.6 - 0.6 * es - 0.5 * np.minimum(tenure_y, 3)))) & (
            E["role"][stay] == 0) & (tenure_y > 0.5)
        who = stay[promo]
        E["role"][who] = 1
        st["grade"][who] += 2
        E["wage"][who] = np.round(E["wage"][who] * 1.08, 2)
        st["last_promo"][who] = st["last_rise"][who] = day
        self._record(who, np.full(len(who), day), 3)
        move = r.random(m) < 0.006
        move[np.isin(stay, who)] = False
        movers = stay[move]
        if len(movers) and sim.n_teams > 1:
            site = sim.team_site[E["team"][movers]]
            for i, person in enumerate(movers):
                options = np.flatnonzero((sim.team_site == site[i]) & (np.arange(sim.n_teams) != E["team"][person]))
                if len(options):
                    E["team"][person] = options[r.integers(0, len(options))]
                    st["last_move"][person] = day
            moved = movers[st["last_move"][movers] == day]
            self._record(moved, np.full(len(moved), day), 1)
        part = (E["etype"][stay] == 1) & ~np.isin(stay, who)
        change = part & (r.random(m) < 0.012)
        who = stay[change]
        if len(who):
            new_hours = np.array([20.0, 24.0, 25.0, 30.0])[r.integers(0, 4, len(who))]
            cut = new_hours < E["hours"][who]
            st["last_cut"][who[cut]] = day
            E["hours"][who] = new_hours
            E["shift_min"][who] = np.round(new_hours * 60 / E["days_pw"][who] / 15) * 15
            self._record(who, np.full(len(who), day), 5)

    # ----------------------------------------------------------------- output
    def _record(self, emp: np.ndarray, days: np.ndarray, reason: int, wage: np.ndarray | None = None,
                predecessor: np.ndarray | None = None) -> None:
        """A history row per person: their attributes now, dated ``days``.

        ``wage`` replaces the current wage; where ``predecessor`` is true the row
        names the team's lead before its current one (serial and lead ``-1``).
        """
        if not len(emp):
            return
        E = self.sim.emp
        serial = self.lead_serial[E["team"][emp]].copy()
        lead = self.sim.team_lead[E["team"][emp]].copy()
        if predecessor is not None:
            serial[predecessor] = lead[predecessor] = -1
        self.rows.append((emp.copy(), days.astype(np.int64), np.full(len(emp), reason),
                          E["team"][emp].copy(), serial, E["role"][emp].copy(), self.state["grade"][emp].copy(),
                          E["etype"][emp].copy(), E["hours"][emp].astype(float).copy(),
                          (E["wage"][emp] if wage is None else wage).astype(float).copy(), lead))

    def frames(self, position: np.ndarray, ids, dates, team_ids: np.ndarray, sites, roles,
               etypes, export: int) -> dict[str, pd.DataFrame]:
        """``employee_history``, ``performance`` and ``coaching`` for the employees kept."""
        sim = self.sim
        cols = [np.concatenate([row[i] for row in self.rows]) for i in range(11)]
        emp, day, reason, team, serial, role, grade, etype, hours, wage, lead = cols
        term = sim.emp["term"][emp]
        keep = (position[emp] >= 0) & (day <= export) & (day <= term)
        emp, day, reason, team, serial, role, grade, etype, hours, wage, lead = (c[keep] for c in (
            emp, day, reason, team, serial, role, grade, etype, hours, wage, lead))
        order = np.lexsort((np.arange(len(emp)), day, position[emp]))
        frame = pd.DataFrame({"employee_id": ids(position[emp]), "effective_date": dates(day),
                              "team": team, "serial": serial, "lead": lead, "reason": reason, "role": role,
                              "grade": grade.astype(float), "etype": etype, "contracted_hours": hours,
                              "hourly_wage": wage}).iloc[order]
        # One row per employee and day: the last change of the day wins.
        frame = frame.drop_duplicates(["employee_id", "effective_date"], keep="last").reset_index(drop=True)
        if sim.lead_moves:  # the lead's own id, the same in every team they lead
            manager = [f"L{lead + 1:04d}" if lead >= 0 else f"P{t + 1:03d}"
                       for t, lead in zip(frame["team"], frame["lead"], strict=True)]
        else:  # the team's n-th lead
            manager = [f"L{t + 1:03d}-{s}" if s >= 0 else f"P{t + 1:03d}"
                       for t, s in zip(frame["team"], frame["serial"], strict=True)]
        history = pd.DataFrame({
            "employee_id": frame["employee_id"],
            "effective_date": frame["effective_date"],
            "team_id": pd.Series(team_ids[frame["team"]], dtype="str"),
            "manager_id": pd.Series(manager, dtype="str"),
            "site": pd.Series(np.asarray(sites, object)[sim.team_site[frame["team"]]], dtype="str"),
            "role": pd.Series(np.asarray(roles, object)[frame["role"]], dtype="str"),
            "employment_type": pd.Series(np.asarray(etypes, object)[frame["etype"]], dtype="str"),
            "contracted_hours": frame["contracted_hours"].astype(float),
            "hourly_wage": frame["hourly_wage"].astype(float),
            "grade": frame["grade"].astype(float),
            "change_reason": pd.Series(np.asarray(_REASONS, object)[frame["reason"]], dtype="str"),
        })
        out = {"employee_history": history}
        if self.reviews:
            e_, d_, r_, v_ = (np.concatenate([x[i] for x in self.reviews]) for i in range(4))
            ok = (position[e_] >= 0) & (d_ < sim.emp["term"][e_]) & (d_ <= export)
            o = np.lexsort((d_[ok], position[e_[ok]]))
            out["performance"] = pd.DataFrame({"employee_id": ids(position[e_[ok]][o]),
                                               "review_date": dates(d_[ok][o]),
                                               "rating": r_[ok][o].astype(float),
                                               "business_value": v_[ok][o].astype(float)})
        if self.sessions:
            e_, d_, k_ = (np.concatenate([x[i] for x in self.sessions]) for i in range(3))
            ok = (position[e_] >= 0) & (d_ <= export)
            o = np.lexsort((k_[ok], d_[ok], position[e_[ok]]))
            out["coaching"] = pd.DataFrame({"employee_id": ids(position[e_[ok]][o]),
                                            "session_date": dates(d_[ok][o]),
                                            "session_type": pd.Series(np.asarray(_SESSION_TYPES, object)[
                                                k_[ok][o]], dtype="str")})
        return out


def simulated_declarations() -> dict[str, TableDeclaration]:
    """The simulated centre's own tables as :class:`TableDeclaration` objects."""
    return {name: TableDeclaration.from_config(name, dict(values))
            for name, values in SIMULATED_DECLARATIONS.items()}
