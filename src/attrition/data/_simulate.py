"""A simulated contact centre with known ground truth.

:func:`simulate` produces the five contract tables (``employees``,
``schedule``, ``workload``, ``absences``, ``surveys``) of a fictitious
contact centre, together with the latent truth behind them: each agent's
engagement, quiet-quitting state and the true monthly probability of a
voluntary exit. Models and feature builders can be tested against it, and
tests can check that a fitted model recovers what the simulator put in.

Calibration targets
-------------------
The simulator is *calibrated to* the figures below: its constants were tuned
until runs of 300-400 employees over 24 months land inside the ranges (the
tests check one such run). The ranges are the targets set in the project's
issue; the right-hand column says where comparable figures are published.
The simulator reproduces the targets, it does not validate them, and a real
centre can sit far outside every one of them.

=========================== ================= ==========================================
quantity                    target            published reference points
=========================== ================= ==========================================
voluntary turnover          30-45 % a year    30-45 % a year is the range quoted from
                                              QATC / SQM Group benchmarks (SQM put agent
                                              turnover at 38 % in 2022). Holman, Batt &
                                              Holtgrewe (2007), *The Global Call Center
                                              Report* (about 2,500 centres in 17
                                              countries): US turnover from 25 % to over
                                              50 % a year depending on the sector, lower
                                              in in-house than in subcontracted centres.
share of exits voluntary    60-75 %           the issue's target. Batt & Colvin (2011),
                                              *Academy of Management Journal* 54(4),
                                              treat quits and dismissals in call centres
                                              as distinct outcomes; dismissals follow
                                              performance and attendance, as here.
early-tenure hazard         highest in the    practitioner reports put a large share of
                            first 90 days     agent attrition in training and nesting.
occupancy                   70-90 %           75-85 % is the conventional WFM planning
                                              range for voice work; sustained levels
                                              above 85 % are described as a pressure
                                              zone leading to burnout and exits.
schedule adherence          about 0.90        the usual WFM adherence target (90 %+).
average handle time         5-10 minutes      the issue's range; ContactBabel, SQM Group
after-contact work          10-20 % of AHT    and ICMI publish AHT benchmarks by sector.
quiet quitting              about 15-20 % of  Gallup, *State of the Global Workplace
                            staff at a time   2023*: 23 % engaged, 59 % not engaged
                                              ("quiet quitting"), 18 % actively
                                              disengaged. The latent state here is the
                                              narrower, behavioural end, sized like the
                                              actively disengaged group.
pulse-survey response       about 70 %        the issue's target.
survey item means (1-6)     education_relevance 3.3, involvement 4.0, autonomy 3.9
                            (the issue's targets).
=========================== ================= ==========================================

The exit drivers follow the research on agent attrition: early tenure; low
engagement; sustained high occupancy (Deery, Iverson & Walsh 2002, *Journal
of Management Studies*, on workload, emotional exhaustion and withdrawal);
late schedule changes and start-time volatility (Choper, Schneider &
Harknett 2022, *ILR Review*, "Uncertain time: precarious schedules and job
turnover in the US service sector"); night and weekend work; sickness
absence; pay below peers and HR practices (Batt 2002, *Academy of Management
Journal* 45(3)); the quality of the team lead; quiet quitting.

The generative model
--------------------
Time runs day by day; the latent state moves month by month. Each run starts
with a workforce of ``n_employees`` with a realistic tenure mix and simulates
three unrecorded burn-in months before ``start`` so that the first recorded
month already has a stressor history.

Every month-end, for each employed agent:

* the last three months of *observable* data give the stressors:
  ``occupancy_excess`` (mean occupancy above 0.85), ``late_change_share``
  (share of shifts published 0-2 days ahead), ``start_time_sd_hours``,
  ``night_share`` (shift start >= 20:00 or end <= 06:00 after midnight),
  ``weekend_share``, ``sick_days_3m`` (calendar days of sick spells) and
  ``pay_below_peers`` (how far the log hourly wage is below the mean of the
  team's current members; 0 when above);
* engagement moves as an AR(1) around the agent's personal mean, pulled down by
  the stressors and up by a good team lead
  (``e' = target + 0.75 (e - target) + N(0, 0.3)``);
* the true voluntary hazard is
  ``logit h = intercept + sum(VOLUNTARY_HAZARD[k] * x_k)`` over the terms of
  :data:`VOLUNTARY_HAZARD` (early tenure enters as
  ``exp(-tenure_days / 100)``, tenure in years is capped at 5);
* involuntary exits follow low QA scores, low adherence, sick days and
  no-shows (plus a probation term); internal transfers (about 3 % a year),
  retirements and ``other`` exits happen at small constant rates. Retirement
  is deliberately not tied to age, so that no hazard depends on a protected
  attribute;
* one uniform draw decides the exit type for the next month, so the
  voluntary exit probability is exactly ``h``; the exit day is uniform in that
  month;
* the quiet-quitting state follows a Markov chain: entry is likelier at low
  engagement, recovery likelier at high engagement and under a good lead.

Quiet quitters stop volunteering overtime, slip on adherence, take longer
after-contact work and handle fewer contacts per hour, score a little lower on
QA and CSAT, call in sick and miss shifts more often, and answer surveys less
often and lower. Leavers are replaced by monthly hiring classes that start on
the first Monday of the month (sized to replace last month's leavers and half
of those who already gave notice for the coming month); a new hire's first,
partial month uses the hazard at hire, pro rata, and appears in no truth row.

Protected attributes (``birth_year``, ``gender``) are drawn from their own
random stream and enter no equation: changing them changes nothing else in
the simulated centre. Because nobody is hired before the age of 18, the
youngest staff necessarily have short tenure, so a raw comparison by age
reflects tenure; compare within tenure bands.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa

from attrition.data._schemas import SURVEY_ITEMS
from attrition.data._simulate_history import HistoryProcess, history_effects, simulated_declarations
from attrition.data._tables import TABLE_NAMES, Tables

__all__ = [
    "SURVEY_ITEMS",
    "TRUTH_COLUMNS",
    "VOLUNTARY_HAZARD",
    "SimulatedCentre",
    "simulate",
    "QQ_ROUTES",
]

logger = logging.getLogger(__name__)

#: Coefficients of the true monthly voluntary-exit hazard (logit scale).
#: ``logit h = intercept + early_tenure * exp(-tenure_days / 100)
#: + tenure_years * min(tenure_days / 365.25, 5) + engagement * e
#: + quiet_quitting * qq + occupancy_excess * x_occ + ...``
VOLUNTARY_HAZARD = MappingProxyType(
    {
        "intercept": -5.10,
        "early_tenure": 1.90,
        "tenure_years": -0.08,
        "engagement": -0.55,
        "quiet_quitting": 0.70,
        "occupancy_excess": 12.0,
        "late_change_share": 2.5,
        "start_time_sd_hours": 0.25,
        "night_share": 0.9,
        "weekend_share": 0.8,
        "sick_days_3m": 0.05,
        "pay_below_peers": 4.0,
        "team_lead_quality": -0.30,
        "temporary": 0.30,
    }
)
_EARLY_TENURE_SCALE_DAYS = 100.0


#: Columns of :attr:`SimulatedCentre.truth`.
TRUTH_COLUMNS: tuple[str, ...] = (
    "employee_id",
    "month_end",
    "tenure_days",
    "engagement",
    "quiet_quitting",
    "exit_hazard_monthly",
    "p_exit_90d",
    "p_exit_30d",
    "p_exit_180d",
    "p_exit_365d",
    "quiet_quitting_route",
    "history_logit",
    "lead_logit",
)

#: Routes into the quiet-quitting state (truth column ``quiet_quitting_route``: the route of the
#: current spell, "" when not in the state). See :meth:`_Simulator._qq_route_entries`.
QQ_ROUTES: tuple[str, ...] = ("", "engagement", "workload_shock", "new_lead", "blocked_promotion",
                              "drift")
_QQ_ENTRY_INTERCEPT = -3.3  # the engagement route (was -3.0 with a single route)
_QQ_INITIAL_INTERCEPT = -2.2  # who is in the state at the start
_QQ_SHOCK_RATE, _QQ_SHOCK_OCCUPANCY, _QQ_SHOCK_ENTRY = 0.02, 0.06, 0.10
_QQ_NEW_LEAD_MONTHS, _QQ_NEW_LEAD_ENTRY = 4, 0.12
_QQ_PROMOTION_DAYS, _QQ_PROMOTION_ENTRY = (540, 900), 0.35
_QQ_DRIFT_SHARE, _QQ_DRIFT_STEP = 0.10, 0.06

#: Team leads (see :func:`simulate`, ``lead_moves``): a team's lead leaves and is replaced by a
#: new lead with a fresh quality draw at ``_LEAD_LEAVE_MONTHLY`` (both modes, from the main
#: stream); with ``lead_moves`` a lead is also reassigned to another team of the same site at
#: ``_LEAD_ROTATE_MONTHLY``, keeping their quality (own stream, :data:`_LEAD_SPAWN_KEY`).
_LEAD_LEAVE_MONTHLY = 0.015
_LEAD_ROTATE_MONTHLY = 0.006
_LEAD_SPAWN_KEY = (14,)

# --------------------------------------------------------------------------------------
# Constants of the generative model (see the module docstring).
# --------------------------------------------------------------------------------------
_BURN_IN_MONTHS = 3
_TEAM_SIZE = 12.5
_NEVER = np.int64(2**40)  # "no termination" day index

_SITES = ("north", "south", "remote")
_SITE_WEIGHTS = np.array([0.45, 0.35, 0.20])
_SITE_WAGE = np.array([15.20, 13.80, 14.40])
_SITE_OCCUPANCY = np.array([0.010, 0.0, -0.010])
_SITE_LATE = np.array([0.0, 0.2, -0.2])

_EMPLOYMENT_TYPES = ("full_time", "part_time", "temporary")
_PART, _TEMP = 1, 2  # codes into _EMPLOYMENT_TYPES
_PART_TIME_HOURS = np.array([20.0, 24.0, 25.0, 30.0])
_PART_TIME_DAYS = np.array([4, 4, 5, 4])
_ROLES = ("agent", "senior_agent")
_GENDERS = ("female", "male", "nonbinary")
_GENDER_WEIGHTS = np.array([0.56, 0.42, 0.02])

_DAY_STARTS = np.array([420, 450, 480, 510, 540, 600, 660, 720, 780, 840, 900])
_DAY_START_WEIGHTS = np.array([8, 10, 14, 10, 12, 9, 7, 8, 8, 7, 7], dtype=float)
_NIGHT_STARTS = np.array([1200, 1260, 1320])
_WEEK_DELTAS = np.array([-180, -120, -60, 60, 120, 180])
_LATE_DELTAS = np.array([-120, -60, 60, 120, 180])
_OVERTIME_MINUTES = np.array([15, 30, 45, 60, 90, 120])

_NONE, _SICK, _VACATION, _PARENTAL, _UNPAID = 0, 1, 2, 3, 4  # 5: other
_ABSENCE_TYPES = ("", "sick", "vacation", "parental", "unpaid", "other")
_REASONS = ("voluntary", "involuntary", "internal_transfer", "retirement", "other")
_MONTHLY_TRANSFER, _MONTHLY_RETIREMENT, _MONTHLY_OTHER = 0.0025, 0.0003, 0.0010

_ENGAGEMENT_PHI = 0.75
_STRAIN_REFERENCE = 0.45
_LOGIT_REFERENCE = -3.4

# Stressor accumulators, one row per statistic.
(
    _S_SCHED,
    _S_LATE,
    _S_START,
    _S_START2,
    _S_NIGHT,
    _S_WEEKEND,
    _S_WORKED,
    _S_OCC,
    _S_ADH,
    _S_QA,
    _S_QAN,
    _S_NOSHOW,
    _S_SICK,
) = range(13)
_N_STATS = 13

# Survey items: (intercept, engagement, quiet quitting, lead quality, noise sd).
_ITEM_MODEL = {
    "engagement": (4.05, 0.75, -0.40, 0.10, 0.75),
    "enps": (6.45, 1.50, -0.80, 0.15, 1.40),
    "intent_to_stay": (3.85, 0.55, -0.40, 0.10, 0.75),
    "manager_support": (3.95, 0.25, -0.20, 0.60, 0.75),
    "workload": (3.65, 0.25, -0.20, 0.05, 0.75),
    "autonomy": (4.0, 0.35, -0.20, 0.10, 0.75),
    "involvement": (3.85, 0.45, -0.25, 0.15, 0.75),
    "education_relevance": (3.20, 0.30, -0.15, 0.05, 0.80),
    "recognition": (3.55, 0.45, -0.25, 0.30, 0.75),
}

_INT_COLUMNS = {
    "employees": ("birth_year",),
    "schedule": ("scheduled_minutes", "worked_minutes", "overtime_minutes", "notice_days"),
    "workload": ("contacts_handled", "escalations"),
    "absences": (),
    "surveys": ("scale_max",),
    "truth": ("tenure_days",),
    "employee_history": ("grade",),
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------
@dataclass(repr=False)
class SimulatedCentre:
    """The output of :func:`simulate`: the contract tables and their ground truth.

    Parameters
    ----------
    tables : attrition.tables.Tables
        All five contract tables, following the in-memory conventions of
        :mod:`attrition.tables`; ``export_date`` is the last simulated day.
    truth : pandas.DataFrame
        One row per employee and simulated month-end on which the employee is
        employed (``hire_date <= month_end`` and no termination on or before
        it), with the columns of :data:`TRUTH_COLUMNS`:

        ``employee_id``
            as in ``employees``.
        ``month_end``
            the last day of a simulated month (``datetime64[ns]``).
        ``tenure_days``
            days since ``hire_date``.
        ``engagement``
            the latent engagement after the month-end update (about standard
            normal; higher is more engaged).
        ``quiet_quitting``
            whether the agent was quiet quitting during that month (the state
            behind that month's observable behaviour).
        ``exit_hazard_monthly``
            the true probability of a voluntary exit in the following month
            given the state at ``month_end``, exactly as the simulator used it.
        ``p_exit_90d``
            ``1 - (1 - exit_hazard_monthly) ** 3``: a 90-day exit probability
            that holds the state fixed for three months (an approximation; the
            simulator re-evaluates the hazard every month).
        ``p_exit_30d``, ``p_exit_180d``, ``p_exit_365d``
            the same at 1, 6 and 12 months: ``1 - (1 - exit_hazard_monthly)
            ** k`` (the truth the survival curve's horizons are checked
            against, with the same state-held-fixed approximation).
        ``history_logit``
            the job history's and own tables' terms in the voluntary logit of
            ``exit_hazard_monthly`` (:data:`attrition.data.HISTORY_HAZARD`; 0 with
            ``history=False``): ``exit_hazard_monthly`` without them is
            ``sigmoid(logit(exit_hazard_monthly) - history_logit)``, what a
            model blind to the history could at best know.
        ``lead_logit``
            the direct term of the current team lead's quality in the same
            logit (``VOLUNTARY_HAZARD["team_lead_quality"]`` times the quality;
            the lead also acts through engagement, which this leaves out).
            With ``lead_moves`` the quality follows the lead from team to team,
            so only the lead's identity (``manager_id`` in the history) tells it.
    """

    tables: Tables
    truth: pd.DataFrame
    #: The ground truth of the job-history and own-table effects
    #: (:func:`attrition.data._simulate_history.history_effects`); ``None`` without history.
    effects: pd.DataFrame | None = None

    @property
    def declarations(self) -> dict[str, dict]:
        """How to declare the centre's own tables (``Config(tables=...)`` / ``[tables.NAME]``)."""
        return {name: decl.to_dict() for name, decl in self.tables.declarations.items()}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame):,}" for name, frame in self.tables)
        export = self.tables.export_date
        export_text = "None" if export is None else f"{export:%Y-%m-%d}"
        return f"SimulatedCentre({sizes}, truth={len(self.truth):,}, export_date={export_text})"

    def write(self, out: str | Path, format: str = "csv") -> dict[str, Path]:
        """Write the tables and the ground truth to a folder.

        Parameters
        ----------
        out : str or pathlib.Path
            Target folder; created if needed. The five tables go to
            ``out/<table>.<format>`` with the contract's column names, the
            truth to ``out/truth/ground_truth.<format>``.
        format : {"csv", "parquet"}
            CSV files hold ISO ``YYYY-MM-DD`` dates, whole numbers for the
            contract's integer columns and an empty cell for a missing value.
            Parquet files keep the in-memory types, with integer columns as
            integers.

        Returns
        -------
        dict of str to pathlib.Path
            ``{"employees": ..., "schedule": ..., "workload": ..., "absences": ...,
            "surveys": ..., "truth": ...}``.

        Raises
        ------
        ValueError
            If ``format`` is not ``"csv"`` or ``"parquet"``.

        Notes
        -----
        Every file is first written under a temporary name in its target
        folder and renamed once all of them are written, so a failure leaves no
        partial or half-replaced set of files behind.
        """
        if format not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}.")
        out = Path(out)
        frames = {name: frame for name, frame in self.tables}
        frames.update(self.tables.declared)
        frames["truth"] = self.truth
        targets = {name: out / f"{name}.{format}" for name in [*TABLE_NAMES, *self.tables.declared]}
        targets["truth"] = out / "truth" / f"ground_truth.{format}"

        created = [d for d in (out, out / "truth") if not d.exists()]
        (out / "truth").mkdir(parents=True, exist_ok=True)
        temporary: dict[str, Path] = {}
        try:
            for name, frame in frames.items():
                final = targets[name]
                tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
                temporary[name] = tmp
                _write_frame(_export_frame(name, frame), tmp, format)
            for name, tmp in temporary.items():
                os.replace(tmp, targets[name])
        except BaseException:
            for tmp in temporary.values():
                tmp.unlink(missing_ok=True)
            for folder in reversed(created):
                try:
                    folder.rmdir()
                except OSError:
                    pass
            raise
        logger.info("Wrote the simulated centre to %s (%s).", out, format)
        return targets


def simulate(
    n_employees: int = 300, months: int = 24, seed: int = 0, start: str = "2024-01-01",
    *, history: bool = True, lead_moves: bool = False,
) -> SimulatedCentre:
    """Simulate a contact centre with known ground truth.

    Parameters
    ----------
    n_employees : int, default 300
        Target headcount (10 to 200,000). Leavers are replaced by monthly
        hiring classes, so headcount stays close to it.
    months : int, default 24
        Number of simulated months (3 to 120).
    seed : int, default 0
        Seed of the random generator (a non-negative integer); the same seed
        gives identical frames.
    start : str, default "2024-01-01"
        First simulated day (ISO date). Month ``k`` runs from ``start + k``
        months to the day before ``start + k + 1`` months; the export date is
        the last day of the last month. Hire dates of the existing workforce
        precede ``start``.
    history : bool, default True
        Also write ``employee_history`` and the centre's own ``performance``
        (measures) and ``coaching`` (events) tables, whose changes act on the
        true hazard (:mod:`attrition.data._simulate_history`; the effects'
        ground truth is :attr:`SimulatedCentre.effects`). ``False``: the
        contract's first five tables only, drawn exactly as before history
        existed.
    lead_moves : bool, default False
        Team leads move as in a real centre: besides leaving (about 17 % a
        year, replaced by a new lead with a fresh quality, as without it) a
        lead is reassigned to another team of the same site (0.6 % of leads
        picked a month, each pick rotating or swapping leads: 16 % of
        team-years got a reassigned lead over seeds 0-5, 4-30 % by seed),
        taking their quality along, and ``manager_id`` in
        ``employee_history`` is the lead's own id (``L0001``...), the same in
        every team they lead. The supervisor effect then follows the lead,
        not the team (:mod:`attrition.data._simulate_history`, "Team leads").
        ``False``: a lead stays with their team until they leave, and
        ``manager_id`` is the team's n-th lead (``L001-0``...), as before
        this option existed.

    Returns
    -------
    SimulatedCentre
        The five contract tables and the ground truth.

    Raises
    ------
    ValueError
        If an argument is out of range or of the wrong type.

    Notes
    -----
    The model and its calibration targets are described in the module
    docstring; :data:`VOLUNTARY_HAZARD` holds the true hazard coefficients.
    The schedule and workload tables each hold about 19 rows per employee and
    month. 300 employees over 24 months take about a second; 20,000 over 24
    months (about 9 million rows per table) take some 20 seconds and 3 GB of
    memory at peak. Memory grows with ``n_employees * months``, so the largest
    allowed combinations need a large machine.

    Examples
    --------
    >>> centre = simulate(n_employees=20, months=3, seed=1)
    >>> centre.tables.present
    ['employees', 'schedule', 'workload', 'absences', 'surveys', 'employee_history']
    >>> sorted(centre.tables.declared)
    ['coaching', 'performance']
    >>> str(centre.tables.export_date.date())
    '2024-03-31'
    >>> list(centre.truth.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['employee_id', 'month_end', 'tenure_days', 'engagement', 'quiet_quitting',
     'exit_hazard_monthly', 'p_exit_90d', 'p_exit_30d', 'p_exit_180d', 'p_exit_365d',
     'quiet_quitting_route', 'history_logit', 'lead_logit']
    """
    start_ts = _validate(n_employees, months, seed, start)
    if lead_moves and not history:
        raise ValueError("lead_moves=True needs history=True: the leads' ids and moves are written only "
                         "to employee_history. Pass history=True, or drop lead_moves.")
    began = time.perf_counter()
    centre = _Simulator(int(n_employees), int(months), int(seed), start_ts, history=bool(history),
                        lead_moves=bool(lead_moves)).run()
    employees = centre.tables.employees
    reasons = employees["termination_reason"].value_counts()
    logger.info(
        "Simulated %d months from %s: %d employees (target %d), %d exits (%d voluntary), "
        "%d schedule rows, %d workload rows, %d survey answers in %.1f s.",
        months,
        f"{start_ts:%Y-%m-%d}",
        len(employees),
        n_employees,
        int(reasons.sum()),
        int(reasons.get("voluntary", 0)),
        len(centre.tables.schedule),
        len(centre.tables.workload),
        len(centre.tables.surveys),
        time.perf_counter() - began,
    )
    return centre


def _validate(n_employees: object, months: object, seed: object, start: object) -> pd.Timestamp:
    def is_int(value: object) -> bool:
        return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)

    if not is_int(n_employees) or not 10 <= n_employees <= 200_000:
        raise ValueError(
            f"n_employees must be an integer between 10 and 200,000, got {n_employees!r}."
        )
    if not is_int(months) or not 3 <= months <= 120:
        raise ValueError(f"months must be an integer between 3 and 120, got {months!r}.")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    try:
        start_ts = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"start must be an ISO date such as '2024-01-01', got {start!r}.") from exc
    if pd.isna(start_ts) or not 1990 <= start_ts.year <= 2100:
        raise ValueError(
            f"start must be an ISO date between 1990-01-01 and 2100-12-31, got {start!r}."
        )
    return start_ts.normalize()


def _draw_protected(
    rng: np.random.Generator, hire_year: np.ndarray, start_year: int
) -> tuple[np.ndarray, np.ndarray]:
    """Birth years and genders, from their own random stream.

    Ages at ``start`` run from 18 to 64 (``start`` 2024: born 1960-2006), skewed
    young; nobody is hired before 18. Nothing else in the simulator reads these
    values, so they have no effect on any hazard.
    """
    n = len(hire_year)
    lowest = start_year - 64
    highest = np.minimum(start_year - 18, hire_year - 18)
    span = np.maximum(highest - lowest + 1, 1)
    birth_year = lowest + np.floor(rng.beta(2.2, 1.3, n) * span).astype(np.int64)
    gender = rng.choice(len(_GENDERS), size=n, p=_GENDER_WEIGHTS)
    return birth_year, gender


# --------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------
class _Simulator:
    """One simulation run; all state lives in per-employee numpy arrays."""

    _ATTRIBUTES = (
        # identity and contract
        "hire", "term", "reason", "team", "etype", "hours", "days_pw", "shift_min", "role",
        "wage", "birth_year", "gender",
        # latent state
        "mu", "e", "qq", "style",
        # schedule habits
        "night_worker", "base_start", "vol", "night_p", "weekend_p",
        # behaviour baselines
        "adh_mu", "occ_off", "aht_mu", "acw_mu", "qa_mu", "csat_mu", "ot_p", "sick_rate",
        "esc_mu",
        # running state
        "abs_type", "abs_until", "wk_start", "wk_night",
        # last month-end stressors (for survey answers)
        "last_occ_excess", "last_late", "last_sd", "last_logit",
    )  # fmt: skip

    def __init__(self, n_employees: int, months: int, seed: int, start: pd.Timestamp,
                 history: bool = False, lead_moves: bool = False) -> None:
        self.n_target = n_employees
        self.months = months
        self.seed = seed
        self.start = start
        main_seq, protected_seq = np.random.SeedSequence(seed).spawn(2)
        self.rng = np.random.default_rng(main_seq)
        self.rng_protected = np.random.default_rng(protected_seq)

        self.n_total_months = months + _BURN_IN_MONTHS
        origin = start - pd.DateOffset(months=_BURN_IN_MONTHS)
        self.origin = np.datetime64(origin.date(), "D")
        bounds = [
            (start + pd.DateOffset(months=k)).date() for k in range(-_BURN_IN_MONTHS, months + 1)
        ]
        self.bounds = (np.array(bounds, dtype="datetime64[D]") - self.origin).astype(np.int64)
        self.start_day = int(self.bounds[_BURN_IN_MONTHS])
        self.export_day = int(self.bounds[-1] - 1)
        self.origin_dow = int(origin.day_of_week)

        # teams and sites
        self.n_teams = max(1, round(n_employees / _TEAM_SIZE))
        self.n_sites = min(len(_SITES), self.n_teams)
        T, r = self.n_teams, self.rng
        weights = _SITE_WEIGHTS[: self.n_sites] / _SITE_WEIGHTS[: self.n_sites].sum()
        site = r.choice(self.n_sites, size=T, p=weights)
        site[: self.n_sites] = np.arange(self.n_sites)
        self.team_site = site
        # Team leads as people: each team's lead (an index into lead_quality, which grows as
        # new leads arrive); their quality is theirs wherever they go (``lead_q``: per team).
        self.lead_quality = r.normal(0.0, 1.0, T)
        self.team_lead = np.arange(T)
        self.lead_moves = lead_moves
        self.rng_lead = (np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_LEAD_SPAWN_KEY))
                         if lead_moves else None)
        self.team_vol = r.uniform(0.05, 0.40, T)
        self.team_night = np.where(r.random(T) < 0.4, r.choice([0.05, 0.15], T), 0.0)
        self.team_weekend = r.uniform(0.05, 0.50, T)
        self.late_base = np.log(0.05 / 0.95) + _SITE_LATE[site] + r.normal(0.0, 0.4, T)
        self.occ_dev = r.normal(0.0, 0.05, T)
        self.late_dev = r.normal(0.0, 0.5, T)
        self.occ_team = np.full(T, 0.8)
        self.late_rate = _sigmoid(self.late_base)

        self.emp: dict[str, np.ndarray] = {}
        self.ring = np.zeros((3, _N_STATS, 0))
        # output buffers
        self.sched_buf: list[tuple[np.ndarray, ...]] = []
        self.work_buf: list[tuple[np.ndarray, ...]] = []
        self.spell_buf: list[tuple[np.ndarray, ...]] = []
        self.survey_buf: list[tuple[np.ndarray, ...]] = []
        self.truth_buf: list[tuple[np.ndarray, ...]] = []
        # Job history and own tables (their own random stream; None: not simulated).
        self.history = HistoryProcess(self) if history else None
        self._qq_routes_init(seed)

    # ----------------------------------------------------------------------------- people
    def _add_people(self, hire: np.ndarray, team: np.ndarray, initial: bool) -> None:
        """Append new employees (the initial workforce or a hiring class)."""
        r, n = self.rng, len(hire)
        tenure_years = np.maximum(-hire, 0) / 365.25 if initial else np.zeros(n)
        etype = r.choice(3, size=n, p=[0.65, 0.25, 0.10])
        pt_choice = r.integers(0, len(_PART_TIME_HOURS), n)
        hours = np.where(etype == _PART, _PART_TIME_HOURS[pt_choice], 37.5)
        days_pw = np.where(etype == _PART, _PART_TIME_DAYS[pt_choice], 5)
        shift_min = np.round(hours * 60 / days_pw / 15) * 15
        senior_p = np.where(tenure_years > 2, 0.25, 0.02) if initial else np.full(n, 0.02)
        role = (r.random(n) < senior_p).astype(np.int64)
        site = self.team_site[team]
        wage = (
            _SITE_WAGE[site]
            * np.exp(r.normal(0.0, 0.06, n))
            * (1 + 0.015 * np.minimum(tenure_years, 10))
            * np.where(role == 1, 1.10, 1.0)
        )
        mu = r.normal(0.0, 0.8, n)
        e = mu + (r.normal(0.0, 0.45, n) if initial else 0.4)
        qq = (r.random(n) < _sigmoid(_QQ_INITIAL_INTERCEPT - 1.2 * e)) if initial else np.zeros(n, bool)
        night_worker = r.random(n) < 0.04
        base_start = np.where(
            night_worker,
            r.choice(_NIGHT_STARTS, n),
            r.choice(_DAY_STARTS, n, p=_DAY_START_WEIGHTS / _DAY_START_WEIGHTS.sum()),
        )
        start_year = self.start.year
        hire_year = (self.origin + hire).astype("datetime64[Y]").astype(np.int64) + 1970
        birth_year, gender = _draw_protected(self.rng_protected, hire_year, start_year)
        new = {
            "hire": hire.astype(np.int64),
            "term": np.full(n, _NEVER),
            "reason": np.full(n, -1),
            "team": team.astype(np.int64),
            "etype": etype,
            "hours": hours,
            "days_pw": days_pw,
            "shift_min": shift_min,
            "role": role,
            "wage": np.round(wage, 2),
            "birth_year": birth_year,
            "gender": gender,
            "mu": mu,
            "e": e,
            "qq": qq,
            "style": r.normal(0.0, 0.3, n),
            "night_worker": night_worker,
            "base_start": base_start,
            "vol": np.clip(self.team_vol[team] + r.normal(0.0, 0.05, n), 0.02, 0.7),
            "night_p": np.clip(self.team_night[team] + r.normal(0.0, 0.02, n), 0.0, 0.5),
            "weekend_p": np.clip(self.team_weekend[team] + r.normal(0.0, 0.1, n), 0.0, 0.9),
            "adh_mu": r.normal(0.918, 0.02, n),
            "occ_off": r.normal(0.0, 0.02, n),
            "aht_mu": np.clip(410 * np.exp(r.normal(0.0, 0.13, n)), 300, 560),
            "acw_mu": np.clip(r.normal(0.135, 0.022, n), 0.06, 0.22),
            "qa_mu": r.normal(83.0, 5.0, n),
            "csat_mu": r.normal(4.15, 0.15, n),
            "ot_p": r.beta(1.5, 10.0, n),
            "sick_rate": 3.5 * np.exp(r.normal(0.0, 0.5, n)),
            "esc_mu": 0.02 * np.exp(r.normal(0.0, 0.3, n)),
            "abs_type": np.zeros(n, np.int64),
            "abs_until": np.full(n, -1, np.int64),
            "wk_start": base_start.copy(),
            "wk_night": night_worker.copy(),
            "last_occ_excess": np.zeros(n),
            "last_late": np.zeros(n),
            "last_sd": np.zeros(n),
            "last_logit": np.full(n, _LOGIT_REFERENCE),
        }
        first = len(self.emp["hire"]) if self.emp else 0
        if not self.emp:
            self.emp = new
            self.wk_mask = np.zeros((n, 7), bool)
        else:
            for name in self._ATTRIBUTES:
                self.emp[name] = np.concatenate([self.emp[name], new[name]])
            self.wk_mask = np.concatenate([self.wk_mask, np.zeros((n, 7), bool)])
        self.ring = np.concatenate([self.ring, np.zeros((3, _N_STATS, n))], axis=2)
        if self.history is not None:
            self.history.added(first, n, initial)

    def _initial_workforce(self) -> None:
        r, n, T = self.rng, self.n_target, self.n_teams
        early = r.random(n) < 0.12
        tenure = np.where(early, r.uniform(0, 90, n), 90 + r.exponential(2.5 * 365.25, n)).astype(
            np.int64
        )
        tenure = np.minimum(tenure, 20 * 365)
        team = r.permutation(np.arange(n) % T)
        order = np.argsort(-tenure, kind="stable")  # ids follow hire order
        self._add_people(-tenure[order], team[order], initial=True)
        self.team_target = np.bincount(team, minlength=T)

    # ------------------------------------------------------------------------ month loop
    def run(self) -> SimulatedCentre:
        self._initial_workforce()
        for k in range(self.n_total_months):
            self._simulate_month(k)
            logger.debug(
                "month %d/%d done: %d employees ever",
                k + 1 - _BURN_IN_MONTHS,
                self.months,
                len(self.emp["hire"]),
            )
        return self._assemble()

    def _team_month(self, k: int) -> None:
        r, T = self.rng, self.n_teams
        month = (self.origin + self.bounds[k]).astype(object).month
        self.occ_dev = 0.8 * self.occ_dev + r.normal(0.0, 0.03, T)
        season = 0.025 * np.cos(2 * np.pi * (month - 1) / 12)
        self.occ_team = np.clip(
            0.795 + _SITE_OCCUPANCY[self.team_site] + season + self.occ_dev, 0.6, 0.96
        )
        self.late_dev = 0.6 * self.late_dev + r.normal(0.0, 0.45, T)
        self.late_rate = _sigmoid(self.late_base + self.late_dev)
        new_lead = r.random(T) < _LEAD_LEAVE_MONTHLY  # the lead leaves; a new one arrives
        fresh = r.normal(0.0, 1.0, int(new_lead.sum()))
        self.team_lead[new_lead] = len(self.lead_quality) + np.arange(len(fresh))
        self.lead_quality = np.concatenate([self.lead_quality, fresh])
        if self.lead_moves:
            new_lead = new_lead | self._rotate_leads(~new_lead)
        if self.history is not None:
            self.history.new_leads(new_lead, int(self.bounds[k]))

    @property
    def lead_q(self) -> np.ndarray:
        """The quality of each team's current lead (a new array)."""
        return self.lead_quality[self.team_lead]

    def _rotate_leads(self, eligible: np.ndarray) -> np.ndarray:
        """Reassign leads between teams of one site, keeping their quality; the teams that got one.

        Each eligible team's lead is picked at ``_LEAD_ROTATE_MONTHLY``; the picked leads of a
        site are rotated among their teams (a lone pick swaps with a random other team's lead
        of the site), so every picked lead lands in another team.
        """
        r, T = self.rng_lead, self.n_teams
        pick = eligible & (r.random(T) < _LEAD_ROTATE_MONTHLY)
        moved = np.zeros(T, bool)
        for site in np.unique(self.team_site[pick]):
            teams = np.flatnonzero(pick & (self.team_site == site))
            if len(teams) == 1:
                others = np.flatnonzero(eligible & ~pick & (self.team_site == site))
                if not len(others):
                    continue
                teams = np.append(teams, others[r.integers(0, len(others))])
            teams = teams[r.permutation(len(teams))]
            self.team_lead[teams] = np.roll(self.team_lead[teams], 1)
            moved[teams] = True
        return moved

    def _behaviour(self, L: dict[str, np.ndarray], ms: int) -> dict[str, np.ndarray]:
        """Per-employee daily behaviour parameters for one month."""
        e, qq = L["e"], L["qq"]
        learning = np.exp(-np.maximum(ms - L["hire"], 0) / 90.0)
        return {
            "p_ot": np.minimum(L["ot_p"] * np.exp(0.35 * e) * np.where(qq, 0.08, 1.0), 0.9),
            "adh": L["adh_mu"] + 0.008 * e - np.where(qq, 0.05, 0.0) - 0.02 * learning,
            "occ_off": L["occ_off"] + 0.005 * e - np.where(qq, 0.04, 0.0),
            "aht": L["aht_mu"] * (1 + 0.25 * learning) * np.where(qq, 1.10, 1.0),
            "acw": L["acw_mu"] + 0.03 * learning + np.where(qq, 0.05, 0.0),
            "qa": L["qa_mu"] - 8 * learning + 1.2 * e - np.where(qq, 4.0, 0.0),
            "csat": L["csat_mu"] + 0.06 * e - 0.1 * learning - np.where(qq, 0.15, 0.0),
            "esc": L["esc_mu"] * (1 + 0.5 * learning) * np.where(qq, 1.2, 1.0),
            "p_qa": 1.0 / L["days_pw"],
            "p_noshow": 0.003 * np.exp(-0.4 * e) * np.where(qq, 2.5, 1.0),
            "p_sick": L["sick_rate"]
            / 365.0
            * np.exp(-0.25 * e)
            * np.where(qq, 1.6, 1.0)
            * (1 + 3 * L["last_occ_excess"]),
            "vac_ok": (ms - L["hire"]) > 60,
        }

    def _simulate_month(self, k: int) -> None:
        ms, me = int(self.bounds[k]), int(self.bounds[k + 1] - 1)
        record = k >= _BURN_IN_MONTHS
        lead_before = self.lead_q
        self._team_month(k)
        self._qq_team_events(k, lead_before)
        E = self.emp
        sub = np.flatnonzero((E["hire"] <= me) & (E["term"] >= ms))
        L = {name: E[name][sub] for name in self._ATTRIBUTES}
        mask = self.wk_mask[sub]
        b = self._behaviour(L, ms)
        acc = np.zeros((_N_STATS, len(sub)))
        survey_day = self._survey_day(k) if record else -1
        ot_demand = np.clip(1 + 4 * (self.occ_team - 0.8), 0.5, 2.0)
        for d in range(ms, me + 1):
            self._simulate_day(d, sub, L, mask, b, acc, record, ot_demand)
            if d == survey_day:
                self._survey(d, sub, L)
        for name in ("abs_type", "abs_until", "wk_start", "wk_night"):
            E[name][sub] = L[name]
        self.wk_mask[sub] = mask
        slot = k % 3
        self.ring[slot] = 0.0
        self.ring[slot][:, sub] = acc
        self._month_end(k, me, record)

    def _survey_day(self, k: int) -> int:
        """The company-wide pulse survey: mid-month, every third recorded month."""
        if (k - _BURN_IN_MONTHS) % 3 != 1:
            return -1
        day = int(self.bounds[k]) + 14
        dow = (self.origin_dow + day) % 7
        return day + (7 - dow if dow >= 5 else 0)

    def _new_week(self, L: dict[str, np.ndarray], mask: np.ndarray) -> None:
        """Weekly rota: working days, start time and night weeks for everyone in ``L``."""
        r, n = self.rng, len(L["hire"])
        keys = r.random((n, 7))
        keys[:, :5] += 1.0
        keys[:, 5:] += np.where(r.random((n, 2)) < L["weekend_p"][:, None], 1.5, 0.0)
        ranks = np.argsort(np.argsort(-keys, axis=1), axis=1)
        mask[:] = ranks < L["days_pw"][:, None]
        night = L["night_worker"] | (r.random(n) < L["night_p"])
        vary = r.random(n) < L["vol"]
        moved = np.clip(L["base_start"] + r.choice(_WEEK_DELTAS, n), 360, 900)
        day_start = np.where(vary, moved, L["base_start"])
        night_start = np.where(L["night_worker"], L["base_start"], r.choice(_NIGHT_STARTS, n))
        L["wk_start"] = np.where(night, night_start, day_start)
        L["wk_night"] = night

    def _simulate_day(
        self,
        d: int,
        sub: np.ndarray,
        L: dict[str, np.ndarray],
        mask: np.ndarray,
        b: dict[str, np.ndarray],
        acc: np.ndarray,
        record: bool,
        ot_demand: np.ndarray,
    ) -> None:
        r, n = self.rng, len(sub)
        dow = (self.origin_dow + d) % 7
        if dow == 0 or d == 0:
            self._new_week(L, mask)
        a_type, a_until = L["abs_type"], L["abs_until"]
        a_type[(a_type > 0) & (a_until < d)] = _NONE
        act = (L["hire"] <= d) & (d <= L["term"])

        # absence onsets
        free = act & (a_type == _NONE)
        p_vac = np.where(b["vac_ok"], 0.075 if dow == 0 else 0.006, 0.0)
        cum = np.cumsum(
            np.stack(
                [
                    b["p_sick"],
                    p_vac,
                    np.full(n, 0.015 / 365),
                    np.full(n, 0.10 / 365),
                    np.full(n, 0.25 / 365),
                ]
            ),
            axis=0,
        )
        u = r.random(n)
        onset = np.flatnonzero(free & (u < cum[-1]))
        if len(onset):
            kind = 1 + (u[onset][None, :] >= cum[:, onset]).sum(axis=0)
            m = len(onset)
            long_sick = r.random(m) < 0.06
            sick = np.where(long_sick, 4 + r.geometric(0.1, m), r.geometric(0.45, m))
            vac = np.where(dow == 0, np.where(r.random(m) < 0.25, 14, 7), r.integers(1, 4, m))
            duration = np.choose(
                kind - 1,
                [sick, vac, r.integers(90, 366, m), r.integers(1, 11, m), r.integers(1, 3, m)],
            )
            a_type[onset] = kind
            a_until[onset] = d + duration - 1
            self.spell_buf.append((sub[onset], np.full(m, d), d + duration - 1, kind))
        acc[_S_SICK] += act & (a_type == _SICK)

        # schedule
        s = np.flatnonzero(act & mask[:, dow] & ((a_type == _NONE) | (a_type == _SICK)))
        ns = len(s)
        if ns == 0:
            return
        team = L["team"][s]
        late = r.random(ns) < self.late_rate[team]
        notice = np.where(late, r.integers(0, 3, ns), r.integers(10, 29, ns))
        start = L["wk_start"][s] + np.where(late, r.choice(_LATE_DELTAS, ns), 0)
        start = np.where(L["wk_night"][s], np.clip(start, 1200, 1380), np.clip(start, 360, 960))
        shift = L["shift_min"][s]
        end = (start + shift + np.where(shift > 360, 30, 0)) % 1440
        night = (start >= 1200) | ((end <= 360) & (end < start))
        sick = a_type[s] == _SICK
        noshow = ~sick & (r.random(ns) < b["p_noshow"][s])
        work = ~sick & ~noshow
        lost = np.where(r.random(ns) < 0.10, r.integers(5, 31, ns), 0)
        overtime = np.where(
            work & (r.random(ns) < b["p_ot"][s] * ot_demand[team]),
            r.choice(_OVERTIME_MINUTES, ns),
            0,
        )
        worked = np.where(work, shift - lost + overtime, 0)
        adherence = np.clip(
            b["adh"][s] - 0.5 * lost / shift - 0.02 * late + r.normal(0.0, 0.03, ns), 0.0, 1.0
        )
        adherence = np.where(work, adherence, 0.0)

        start_h = start / 60.0
        acc[_S_SCHED, s] += 1
        acc[_S_LATE, s] += late
        acc[_S_START, s] += start_h
        acc[_S_START2, s] += start_h * start_h
        acc[_S_NIGHT, s] += night
        acc[_S_WEEKEND, s] += dow >= 5
        acc[_S_NOSHOW, s] += noshow

        # workload on worked days
        w = s[work]
        nw = len(w)
        occupancy = np.clip(
            self.occ_team[L["team"][w]] + b["occ_off"][w] + r.normal(0.0, 0.03, nw), 0.45, 0.98
        )
        logged_in = worked[work] * 60.0 * r.uniform(0.80, 0.90, nw)
        aht = b["aht"][w] * np.exp(r.normal(0.0, 0.08, nw))
        contacts = r.poisson(occupancy * logged_in / aht)
        handle = contacts * aht
        occupancy = np.where(contacts > 0, occupancy, 0.0)
        acw = handle * np.clip(b["acw"][w] + r.normal(0.0, 0.02, nw), 0.04, 0.45)
        escalations = r.poisson(contacts * b["esc"][w])
        rated = r.binomial(contacts, 0.08)
        csat = np.where(
            rated > 0,
            np.clip(b["csat"][w] + r.normal(0.0, 0.9, nw) / np.sqrt(np.maximum(rated, 1)), 1, 5),
            np.nan,
        )
        evaluated = r.random(nw) < b["p_qa"][w]
        qa = np.where(evaluated, np.clip(b["qa"][w] + r.normal(0.0, 6.0, nw), 0, 100), np.nan)

        acc[_S_WORKED, w] += 1
        acc[_S_OCC, w] += occupancy
        acc[_S_ADH, w] += adherence[work]
        acc[_S_QA, w] += np.where(evaluated, qa, 0.0)
        acc[_S_QAN, w] += evaluated

        if record:
            self.sched_buf.append(
                (
                    sub[s].astype(np.int32),
                    np.full(ns, d, np.int32),
                    start.astype(np.int16),
                    end.astype(np.int16),
                    shift.astype(np.int16),
                    worked.astype(np.int16),
                    overtime.astype(np.int16),
                    adherence.astype(np.float32),
                    notice.astype(np.int8),
                )
            )
            self.work_buf.append(
                (
                    sub[w].astype(np.int32),
                    np.full(nw, d, np.int32),
                    contacts.astype(np.int32),
                    handle.astype(np.float32),
                    acw.astype(np.float32),
                    occupancy.astype(np.float32),
                    escalations.astype(np.int16),
                    csat.astype(np.float32),
                    qa.astype(np.float32),
                )
            )

    def _survey(self, d: int, sub: np.ndarray, L: dict[str, np.ndarray]) -> None:
        """One pulse-survey wave: who answers, and what."""
        r = self.rng
        away = np.isin(L["abs_type"], (_VACATION, _PARENTAL, _UNPAID))
        eligible = np.flatnonzero((L["hire"] <= d) & (d <= L["term"]) & ~away)
        e, qq = L["e"][eligible], L["qq"][eligible]
        respond = r.random(len(eligible)) < _sigmoid(1.6 + 0.6 * e - 1.4 * qq)
        idx = eligible[respond]
        e, qq = e[respond], qq[respond]
        q = self.lead_q[L["team"][idx]]
        style = L["style"][idx]
        specific = {
            "intent_to_stay": -0.5 * (L["last_logit"][idx] - _LOGIT_REFERENCE),
            "workload": -8.0 * L["last_occ_excess"][idx] - 1.5 * L["last_late"][idx],
            "autonomy": -0.15 * L["last_sd"][idx],
        }
        m = len(idx)
        for item_no, item in enumerate(SURVEY_ITEMS):
            a, b_e, b_qq, b_q, sd = _ITEM_MODEL[item]
            latent = a + b_e * e + b_qq * qq + b_q * q + r.normal(0.0, sd, m)
            latent = latent + specific.get(item, 0.0)
            if item == "enps":
                score, top = np.clip(np.rint(latent + 2 * style), 0, 10), 10
            else:
                score, top = np.clip(np.rint(latent + style), 1, 6), 6
            self.survey_buf.append(
                (
                    sub[idx].astype(np.int32),
                    np.full(m, d, np.int32),
                    np.full(m, item_no, np.int8),
                    score.astype(np.int8),
                    np.full(m, top, np.int8),
                )
            )

    # ------------------------------------------------------------------------ month end
    def _stressors(self, emp: np.ndarray, me: int) -> dict[str, np.ndarray]:
        """Three-month stressors from the observable record, plus static drivers."""
        E = self.emp
        R = self.ring[:, :, emp].sum(axis=0)
        n_sched = np.maximum(R[_S_SCHED], 1.0)
        mean_start = R[_S_START] / n_sched
        worked = R[_S_WORKED]
        with np.errstate(invalid="ignore", divide="ignore"):
            occ_mean = np.where(worked > 0, R[_S_OCC] / worked, np.nan)
            qa_mean = np.where(R[_S_QAN] > 0, R[_S_QA] / R[_S_QAN], np.nan)
            adh_mean = np.where(worked > 0, R[_S_ADH] / worked, np.nan)
        team = E["team"][emp]
        log_wage = np.log(E["wage"][emp])
        counts = np.bincount(team, minlength=self.n_teams)
        team_mean = np.bincount(team, weights=log_wage, minlength=self.n_teams) / np.maximum(
            counts, 1
        )
        return {
            "tenure_days": (me - E["hire"][emp]).astype(float),
            "occupancy_excess": np.nan_to_num(np.clip(occ_mean - 0.85, 0.0, None)),
            "late_change_share": R[_S_LATE] / n_sched,
            "start_time_sd_hours": np.sqrt(
                np.clip(R[_S_START2] / n_sched - mean_start**2, 0, None)
            ),
            "night_share": R[_S_NIGHT] / n_sched,
            "weekend_share": R[_S_WEEKEND] / n_sched,
            "sick_days_3m": R[_S_SICK],
            "pay_below_peers": np.clip(team_mean[team] - log_wage, 0.0, None),
            "team_lead_quality": self.lead_q[team],
            "temporary": (E["etype"][emp] == _TEMP).astype(float),
            "qa_mean": qa_mean,
            "adh_mean": adh_mean,
            "noshows": R[_S_NOSHOW],
        }

    @staticmethod
    def _voluntary_logit(x: dict[str, np.ndarray], e: np.ndarray, qq: np.ndarray) -> np.ndarray:
        c = VOLUNTARY_HAZARD
        tenure = x["tenure_days"]
        logit = (
            c["intercept"]
            + c["early_tenure"] * np.exp(-tenure / _EARLY_TENURE_SCALE_DAYS)
            + c["tenure_years"] * np.minimum(tenure / 365.25, 5.0)
            + c["engagement"] * e
            + c["quiet_quitting"] * qq
        )
        for name in (
            "occupancy_excess",
            "late_change_share",
            "start_time_sd_hours",
            "night_share",
            "weekend_share",
            "sick_days_3m",
            "pay_below_peers",
            "team_lead_quality",
            "temporary",
        ):
            logit = logit + c[name] * x[name]
        return logit

    @staticmethod
    def _involuntary_probability(x: dict[str, np.ndarray]) -> np.ndarray:
        qa_gap = np.nan_to_num(np.clip(78.0 - x["qa_mean"], 0.0, None))
        adh_gap = np.nan_to_num(np.clip(0.88 - x["adh_mean"], 0.0, None))
        logit = (
            -5.2
            + 0.10 * qa_gap
            + 25.0 * adh_gap
            + 0.04 * x["sick_days_3m"]
            + 0.5 * x["noshows"]
            + 0.8 * np.exp(-x["tenure_days"] / 90.0)
        )
        return _sigmoid(logit)

    @staticmethod
    def _strain(x: dict[str, np.ndarray]) -> np.ndarray:
        return (
            4.0 * x["occupancy_excess"]
            + 1.0 * x["late_change_share"]
            + 0.15 * x["start_time_sd_hours"]
            + 0.4 * x["night_share"]
            + 0.3 * x["weekend_share"]
            + 0.02 * x["sick_days_3m"]
            + 2.0 * x["pay_below_peers"]
        )

    # ------------------------------------------------------------ quiet-quitting routes
    def _qq_routes_init(self, seed: int) -> None:
        """Own random stream (a third child of the seed), so the other draws stay as they were."""
        self.rng_qq = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
        self.qq_route = np.zeros(0, np.int64)  # route of the current spell, per employee
        self.qq_drifter = np.zeros(0, bool)
        self.route_buf: list[np.ndarray] = []
        self.shock_left = np.zeros(self.n_teams, np.int64)
        self.lead_changed = np.full(self.n_teams, -100, np.int64)
        self.lead_worse = np.zeros(self.n_teams, bool)

    def _qq_grow(self) -> None:
        """Per-employee route arrays follow the hires (drawn from the route stream)."""
        n = len(self.emp["hire"])
        extra = n - len(self.qq_route)
        if extra > 0:
            self.qq_route = np.concatenate([self.qq_route, np.zeros(extra, np.int64)])
            self.qq_drifter = np.concatenate([self.qq_drifter, self.rng_qq.random(extra) < _QQ_DRIFT_SHARE])
            initial = self.emp["qq"][n - extra:]
            self.qq_route[n - extra:][initial] = QQ_ROUTES.index("engagement")

    def _qq_team_events(self, k: int, lead_before: np.ndarray) -> None:
        """Team-level events behind two routes: workload shocks and new team leads.

        A team enters a workload shock (2-4 months of occupancy raised by
        ``_QQ_SHOCK_OCCUPANCY``, seen in the workload export) at a monthly rate
        ``_QQ_SHOCK_RATE``; a new lead is the simulator's own lead change
        (:meth:`_team_month`), remembered here with whether the new lead is worse.
        """
        r = self.rng_qq
        changed = self.lead_q != lead_before
        self.lead_changed[changed] = k
        self.lead_worse[changed] = self.lead_q[changed] < lead_before[changed]
        self.shock_left = np.maximum(self.shock_left - 1, 0)
        start = (self.shock_left == 0) & (r.random(self.n_teams) < _QQ_SHOCK_RATE)
        self.shock_left[start] = r.integers(2, 5, int(start.sum()))
        self.occ_team = np.clip(self.occ_team + _QQ_SHOCK_OCCUPANCY * (self.shock_left > 0), 0.6, 0.97)

    def _qq_route_entries(self, k: int, me: int, emp: np.ndarray, qq: np.ndarray, enter: np.ndarray,
                          recover: np.ndarray) -> np.ndarray:
        """More than one route into withdrawal, besides low engagement (``enter``).

        * ``workload_shock``: members of a team in a workload shock;
        * ``new_lead``: the first months under a new team lead (more so when
          the new lead is worse);
        * ``blocked_promotion``: agents with a strong QA record who reach 18 or
          30 months of tenure still agents (promotion is not simulated, so it is
          blocked for them);
        * ``drift``: a share of people whose personal engagement level sinks a
          little every month (then entering through low engagement).

        Returns the entries; records each new spell's route (truth).
        """
        self._qq_grow()
        E, r = self.emp, self.rng_qq
        team = E["team"][emp]
        tenure = me - E["hire"][emp]
        drifting = self.qq_drifter[emp]
        E["mu"][emp] = E["mu"][emp] - _QQ_DRIFT_STEP * (drifting & (E["mu"][emp] > -1.5))
        month_start = me - (int(self.bounds[k + 1] - self.bounds[k]) - 1)
        crossed = np.zeros(len(emp), bool)
        for day in _QQ_PROMOTION_DAYS:
            crossed |= (tenure >= day) & (me - month_start >= tenure - day)
        since_lead = k - self.lead_changed[team]
        p = np.stack([
            _QQ_SHOCK_ENTRY * (self.shock_left[team] > 0),
            _QQ_NEW_LEAD_ENTRY * (since_lead < _QQ_NEW_LEAD_MONTHS) * np.where(self.lead_worse[team], 1.0, 0.4),
            _QQ_PROMOTION_ENTRY * (crossed & (E["role"][emp] == 0) & (E["qa_mu"][emp] > 85.0)),
        ])
        u = r.random(len(emp))
        cum = np.cumsum(p, axis=0)
        routed = ~qq & ~enter & (u < cum[-1])
        which = (u[None, :] >= cum).sum(axis=0)  # 0 shock, 1 new lead, 2 promotion
        route = self.qq_route
        route[emp[enter]] = np.where(drifting[enter], QQ_ROUTES.index("drift"), QQ_ROUTES.index("engagement"))
        route[emp[routed]] = np.array([2, 3, 4])[np.minimum(which[routed], 2)]
        route[emp[recover]] = 0
        return enter | routed

    def _month_end(self, k: int, me: int, record: bool) -> None:
        r, E = self.rng, self.emp
        emp = np.flatnonzero((E["hire"] <= me) & (E["term"] > me))
        x = self._stressors(emp, me)

        # engagement: AR(1) around the personal mean, shifted by strain and the lead
        e_old, qq = E["e"][emp], E["qq"][emp]
        target = E["mu"][emp] - (self._strain(x) - _STRAIN_REFERENCE) + 0.3 * x["team_lead_quality"]
        e = target + _ENGAGEMENT_PHI * (e_old - target) + r.normal(0.0, 0.3, len(emp))
        logit = self._voluntary_logit(x, e, qq)
        history_logit = (self.history.logit_terms(emp, me) if self.history is not None
                         else np.zeros(len(emp)))
        logit = logit + history_logit
        hazard = _sigmoid(logit)
        self._qq_grow()
        if record:
            self.truth_buf.append((emp, np.full(len(emp), me), x["tenure_days"], e, qq, hazard,
                                   history_logit, VOLUNTARY_HAZARD["team_lead_quality"] * x["team_lead_quality"]))
            self.route_buf.append(self.qq_route[emp].copy())

        # quiet quitting: Markov step for the next month
        u = r.random(len(emp))
        enter = ~qq & (u < _sigmoid(_QQ_ENTRY_INTERCEPT - 1.3 * e))
        recover = qq & (u < _sigmoid(-1.7 + 0.8 * e + 0.3 * x["team_lead_quality"]))
        enter = self._qq_route_entries(k, me, emp, qq, enter, recover)
        E["e"][emp] = e
        E["qq"][emp] = (qq | enter) & ~recover
        E["last_occ_excess"][emp] = x["occupancy_excess"]
        E["last_late"][emp] = x["late_change_share"]
        E["last_sd"][emp] = x["start_time_sd_hours"]
        E["last_logit"][emp] = logit
        if self.history is not None:
            self.history.month_end(k, me, emp, e)

        if k + 1 >= self.n_total_months:
            return
        ms_next, me_next = int(self.bounds[k + 1]), int(self.bounds[k + 2] - 1)
        probabilities = np.stack(
            [
                hazard,
                self._involuntary_probability(x),
                np.full(len(emp), _MONTHLY_TRANSFER),
                np.full(len(emp), _MONTHLY_RETIREMENT),
                np.full(len(emp), _MONTHLY_OTHER),
            ]
        )
        self._draw_exits(emp, probabilities, ms_next, me_next)
        # replace this month's leavers, and half of next month's (already given notice)
        leaving_next = int((E["term"][emp] <= me_next).sum())
        self._hire(len(emp) - leaving_next // 2, emp, ms_next, me_next)

    def _draw_exits(
        self, who: np.ndarray, probabilities: np.ndarray, first: np.ndarray | int, last: int
    ) -> None:
        """One uniform per employee decides the exit type; the day is uniform in the window."""
        r = self.rng
        cum = np.cumsum(probabilities, axis=0)
        u = r.random(len(who))
        day = r.integers(first, last + 1, size=len(who))
        leaving = u < cum[-1]
        reason = (u[None, :] >= cum).sum(axis=0)
        self.emp["term"][who[leaving]] = day[leaving]
        self.emp["reason"][who[leaving]] = reason[leaving]

    def _hire(self, headcount: int, emp: np.ndarray, ms: int, me: int) -> None:
        """A hiring class that starts on the first Monday of the month."""
        n_new = self.n_target - headcount
        if n_new <= 0:
            return
        r, T = self.rng, self.n_teams
        deficit = self.team_target - np.bincount(self.emp["team"][emp], minlength=T)
        pool = r.permutation(np.repeat(np.arange(T), np.clip(deficit, 0, None)))
        team = pool[:n_new]
        if len(team) < n_new:
            team = np.concatenate([team, r.integers(0, T, n_new - len(team))])
        hire_day = ms + (-(self.origin_dow + ms)) % 7
        first = len(self.emp["hire"])
        self._add_people(np.full(n_new, hire_day), team, initial=False)
        new = np.arange(first, first + n_new)
        # exits during the first, partial month: the hazard at hire, pro rata
        x = self._stressors(new, hire_day)
        E = self.emp
        fraction = (me - hire_day + 1) / (me - ms + 1)
        hazard = _sigmoid(self._voluntary_logit(x, E["e"][new], E["qq"][new])) * fraction
        involuntary = self._involuntary_probability(x) * fraction
        zeros = np.zeros(n_new)
        self._draw_exits(
            new,
            np.stack([hazard, involuntary, zeros, zeros, zeros]),
            np.full(n_new, hire_day),
            me,
        )

    # ------------------------------------------------------------------------- output
    def _dates(self, days: np.ndarray) -> np.ndarray:
        return (self.origin + days.astype("timedelta64[D]")).astype("datetime64[ns]")

    def _assemble(self) -> SimulatedCentre:
        E = self.emp
        export = self.export_day
        keep = np.flatnonzero((E["hire"] <= export) & (E["term"] >= self.start_day))
        position = np.full(len(E["hire"]), -1, np.int64)
        position[keep] = np.arange(len(keep))
        ids = pa.array(_numbered("E", len(keep), 6), pa.string())
        team_ids = _numbered("T", self.n_teams, 3).astype(object)

        def id_column(pos: np.ndarray) -> pd.Series:
            return _str_series(pos, ids)

        terminated = E["term"][keep] <= export
        term_days = np.where(terminated, E["term"][keep], 0)
        term_dates = np.where(terminated, self._dates(term_days), np.datetime64("NaT", "ns"))
        reason = np.where(terminated, np.array(_REASONS, object)[E["reason"][keep]], np.nan)
        employees = pd.DataFrame(
            {
                "employee_id": id_column(np.arange(len(keep))),
                "hire_date": self._dates(E["hire"][keep]),
                "termination_date": term_dates.astype("datetime64[ns]"),
                "termination_reason": pd.Series(reason, dtype="str"),
                "team_id": pd.Series(team_ids[E["team"][keep]], dtype="str"),
                "site": pd.Series(
                    np.array(_SITES, object)[self.team_site[E["team"][keep]]], dtype="str"
                ),
                "role": pd.Series(np.array(_ROLES, object)[E["role"][keep]], dtype="str"),
                "employment_type": pd.Series(
                    np.array(_EMPLOYMENT_TYPES, object)[E["etype"][keep]], dtype="str"
                ),
                "contracted_hours": E["hours"][keep].astype(float),
                "hourly_wage": E["wage"][keep].astype(float),
                "birth_year": E["birth_year"][keep].astype(float),
                "gender": pd.Series(np.array(_GENDERS, object)[E["gender"][keep]], dtype="str"),
            }
        )

        clock = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 1440, 15)], pa.string())

        def employee_ids(emp: np.ndarray) -> pd.Series:
            return id_column(position[emp])

        def clock_times(minutes: np.ndarray) -> pd.Series:
            return _str_series(minutes // 15, clock)

        # The two big tables are built column by column (20,000 agents: ~9M rows each).
        cols = _concat(self.sched_buf, 9)
        self.sched_buf = []
        schedule = _frame(
            cols,
            np.argsort(position[cols[0]], kind="stable"),
            {
                "employee_id": (0, employee_ids),
                "date": (1, self._dates),
                "shift_start": (2, clock_times),
                "shift_end": (3, clock_times),
            },
            {
                "scheduled_minutes": (4, None),
                "worked_minutes": (5, None),
                "overtime_minutes": (6, None),
                "adherence": (7, 3),
                "notice_days": (8, None),
            },
        )
        cols = _concat(self.work_buf, 9)
        self.work_buf = []
        workload = _frame(
            cols,
            np.argsort(position[cols[0]], kind="stable"),
            {"employee_id": (0, employee_ids), "date": (1, self._dates)},
            {
                "contacts_handled": (2, None),
                "handle_seconds": (3, 1),
                "after_contact_seconds": (4, 1),
                "occupancy": (5, 3),
                "escalations": (6, None),
                "csat": (7, 2),
                "qa_score": (8, 1),
            },
        )
        cols = []

        emp_a, start_a, end_a, kind_a = _concat(self.spell_buf, 4)
        end_a = np.minimum(end_a, np.minimum(E["term"][emp_a], export))
        ok = (position[emp_a] >= 0) & (end_a >= self.start_day) & (start_a <= end_a)
        emp_a, start_a, end_a, kind_a = emp_a[ok], start_a[ok], end_a[ok], kind_a[ok]
        order = np.lexsort((start_a, position[emp_a]))
        absences = pd.DataFrame(
            {
                "employee_id": id_column(position[emp_a[order]]),
                "start_date": self._dates(start_a[order]),
                "end_date": self._dates(end_a[order]),
                "absence_type": pd.Series(
                    np.array(_ABSENCE_TYPES, object)[kind_a[order]], dtype="str"
                ),
            }
        )

        emp_v, day_v, item_v, score_v, top_v = _concat(self.survey_buf, 5)
        order = np.lexsort((item_v, day_v, position[emp_v]))
        surveys = pd.DataFrame(
            {
                "employee_id": id_column(position[emp_v[order]]),
                "survey_date": self._dates(day_v[order]),
                "item": pd.Series(np.array(SURVEY_ITEMS, object)[item_v[order]], dtype="str"),
                "score": score_v[order].astype(float),
                "scale_max": top_v[order].astype(float),
            }
        )

        emp_t, me_t, tenure_t, e_t, qq_t, h_t, hl_t, ll_t = _concat(self.truth_buf, 8)
        order = np.lexsort((me_t, position[emp_t]))
        hazard = h_t[order].astype(float)
        truth = pd.DataFrame(
            {
                "employee_id": id_column(position[emp_t[order]]),
                "month_end": self._dates(me_t[order]),
                "tenure_days": tenure_t[order].astype(float),
                "engagement": e_t[order].astype(float),
                "quiet_quitting": qq_t[order].astype(bool),
                "exit_hazard_monthly": hazard,
                "p_exit_90d": 1.0 - (1.0 - hazard) ** 3,
                "p_exit_30d": hazard,
                "p_exit_180d": 1.0 - (1.0 - hazard) ** 6,
                "p_exit_365d": 1.0 - (1.0 - hazard) ** 12,
                "quiet_quitting_route": pd.Series(
                    np.array(QQ_ROUTES, object)[_concat([(r,) for r in self.route_buf], 1)[0][order]],
                    dtype="str",
                ),
                "history_logit": hl_t[order].astype(float),
                "lead_logit": ll_t[order].astype(float),
            }
        )

        source = f"simulate(n_employees={self.n_target}, months={self.months}, seed={self.seed})"
        extra: dict = {}
        if self.history is not None:
            own = self.history.frames(position, id_column, self._dates, team_ids, _SITES, _ROLES,
                                      _EMPLOYMENT_TYPES, export)
            declarations = simulated_declarations()
            extra = {"employee_history": own.pop("employee_history"), "declared": own,
                     "declarations": {k: v for k, v in declarations.items() if k in own}}
        tables = Tables(
            employees=employees,
            schedule=schedule,
            workload=workload,
            absences=absences,
            surveys=surveys,
            sources={name: f"{source}:{name}" for name in [*TABLE_NAMES, *extra.get("declared", {})]},
            export_date=pd.Timestamp(self._dates(np.array([export]))[0]),
            **extra,
        )
        return SimulatedCentre(tables=tables, truth=truth,
                               effects=history_effects() if self.history is not None else None)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _numbered(prefix: str, n: int, digits: int) -> np.ndarray:
    """``prefix`` + zero-padded 1..n (at least ``digits`` digits), vectorised."""
    width = max(digits, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _concat(buffer: list[tuple[np.ndarray, ...]], width: int) -> list[np.ndarray]:
    if not buffer:
        return [np.zeros(0, np.int64) for _ in range(width)]
    return [np.concatenate([row[i] for row in buffer]) for i in range(width)]


def _frame(
    columns: list[np.ndarray],
    order: np.ndarray,
    leading: dict[str, tuple[int, Callable[[np.ndarray], object]]],
    numeric: dict[str, tuple[int, int | None]],
) -> pd.DataFrame:
    """A frame of rows ``order`` of ``columns``: converted leading columns, then floats.

    ``leading`` maps a name to (column number, converter); ``numeric`` maps a
    name to (column number, decimals to round to or ``None``). The float
    columns are written one at a time into a single preallocated block that
    pandas adopts without copying, so a big table never exists twice.
    """
    block = np.empty((len(numeric), len(order)))
    for row, (i, decimals) in enumerate(numeric.values()):
        block[row] = columns[i][order]
        if decimals is not None:
            np.round(block[row], decimals, out=block[row])
    frame = pd.DataFrame(block.T, columns=list(numeric), copy=False)
    for loc, (name, (i, convert)) in enumerate(leading.items()):
        column = convert(columns[i][order])
        frame.insert(loc, name, column.array if isinstance(column, pd.Series) else column)
    return frame


def _str_series(codes: np.ndarray, labels: pa.Array) -> pd.Series:
    """Strings ``labels[codes]`` as a pandas ``str`` column, built without Python objects."""
    indices = pa.array(np.asarray(codes, dtype=np.int32))
    strings = pa.DictionaryArray.from_arrays(indices, labels).cast(pa.string())
    return pd.Series(strings, dtype="str")


def _export_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as it goes to disk: contract integer columns as integers."""
    out = frame.copy(deep=False)
    for column in _INT_COLUMNS.get(name, ()):
        if column in out:
            out[column] = out[column].round().astype("Int64")
    return out


def _write_frame(frame: pd.DataFrame, path: Path, format: str) -> None:
    if format == "csv":
        frame.to_csv(path, index=False, na_rep="", date_format="%Y-%m-%d")
    else:
        frame.to_parquet(path, index=False)
