"""Quiet quitting: a readable definition, a current-state index, and its label.

*Quiet quitting* is the withdrawal of discretionary effort by someone who
stays: doing what the job description requires and no more, psychologically
detached from the work. The term spread in 2022; Gallup's *State of the
Global Workplace* (2022, 2023) sized it as the "not engaged" majority of
staff, with a smaller "actively disengaged" group, and the academic
treatments that followed (Formica & Sfodera 2022, *Journal of Hospitality
Marketing & Management* 31(8); Serenko 2023, *Journal of Knowledge
Management*: employees "limit work activities to their job description ...
never volunteer for additional tasks") define it as *withdrawal of
discretionary effort* rather than as a drop in contractual output. This module follows that
reading and measures it with the contact-centre indicators that show effort
beyond the minimum (WFM adherence and voluntary overtime; contact-platform
productivity, wrap-up time, quality, customer satisfaction and escalations)
plus, where the organisation may use individual answers, pulse-survey
engagement, intent to stay, eNPS and non-response.

**It is a proxy, not a diagnosis.** The index says that someone's observable
discretionary effort fell, against their own earlier level and against their
team. Illness, caring duties, a new queue, a bad tool or a reasonable refusal
of unpaid extra work look the same in these data.

The definition
--------------
:class:`QuietQuittingDefinition` holds every threshold; its defaults are
listed there and can be overridden with ``quiet_quitting = {...}`` in the
configuration. For each employee and as-of date ``t``, from the snapshot
features (every one of which uses only rows dated on or before ``t``):

1. Each *component* (e.g. adherence) has a *recent level* (the
   ``recent_window``-day feature, default 28 days), an *own change* (recent
   level minus the employee's earlier level, from the snapshot's change
   features or the recent minus the ``baseline_window`` level) and a *team
   comparison* (recent level minus the median of the team on ``t``).
   Survey non-response has no earlier level: the number of waves missed in
   a row is compared with the centre instead of with the employee's past.
2. The own change and the team comparison are each turned into a robust
   z-score over everyone employed on ``t`` (minus the median, divided by
   1.4826 × the median absolute deviation; the standard deviation when that
   is 0), oriented so that a positive value means *less* effort.
3. The component's signal is ``own_weight`` × own z + (1 − ``own_weight``) ×
   team z (whichever is known when one is missing), clipped to
   ``[0, full_signal_z]`` and divided by ``full_signal_z``: a component counts
   fully when the employee is ``full_signal_z`` robust standard deviations
   worse than usual, and not at all when they are at or better than usual.
4. ``quiet_quitting_index = 100 × Σ w_c s_c / Σ w_c`` over the components
   known for that row, so a missing table or an unanswered survey re-weights
   the others instead of counting as effort. The contribution of component
   ``c`` in index points is ``100 × w_c s_c / Σ w_c``; the contributions add
   up to the index.
5. The *state* is inferred, not cut off: a two-state hidden Markov model
   over each employee's monthly behavioural component z-scores (own change
   and team comparison; survey answers count in the index, not in the
   state), fitted on the centre's own snapshots
   (:mod:`attrition.snapshots._qq_state`), gives the *filtered* probability
   of being in the state at ``t`` from the ``state_window`` month ends up to
   ``t`` (nothing later); the employee is *in the state* when it is at least
   0.5. ``state_method="threshold"`` keeps the old rule (index >=
   ``state_threshold``) for comparison.

Survey components are used only when ``survey_privacy`` is ``"identified"``
(the organisation may use individual answers); with ``"team"`` or ``"off"``,
or without a survey table, the index is built from behaviour alone.

The label
---------
For the risk model, ``label_status`` of a snapshot row at ``t`` with horizon
``h`` (month ends ``m`` in ``(t, t + h]``):

``positive``
    not in the state at ``t`` (filtered: known on ``t``), in the state at
    some month end ``m`` (smoothed: read from the whole sequence, so that a
    month counts only when the following months confirm it), and still
    employed on ``t + h``.
``negative``
    not in the state at ``t`` (filtered), never in the state (smoothed) at a
    month end in the horizon, and still employed on ``t + h``.
``censored_in_state``
    already in the state at ``t`` by the *filtered* state (data dated on or
    before ``t`` only, as at scoring): an entry is not possible.
``censored_exit``
    employment ends in ``(t, t + h]`` (for any reason): the definition asks
    for someone who stays.
``censored_horizon``
    ``t + h`` lies after the export date: not fully observed.
``censored_unobserved``
    the index is unknown at ``t`` or at every month end of the horizon.

Labels use data after ``t`` by design; features never do.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attrition.exceptions import ConfigError, InsufficientDataError, SchemaError
from attrition.snapshots._build import month_ends
from attrition.snapshots._qq_state import (
    STATE_METHODS,
    filtered_probability,
    fit_hmm,
    smoothed_probability,
)

__all__ = [
    "QuietQuittingDefinition",
    "COMPONENTS",
    "QQ_LABEL_STATUSES",
    "quiet_quitting_index",
    "quiet_quitting_labels",
    "quiet_quitting_snapshots",
    "quiet_quitting_band",
    "fit_state_model",
    "state_observations",
    "quiet_quitting_prevalence_interval",
    "prevalence_by_month",
]

log = logging.getLogger(__name__)

#: Label statuses of the quiet-quitting target (see the module docs).
QQ_LABEL_STATUSES: tuple[str, ...] = (
    "positive", "negative", "censored_in_state", "censored_exit", "censored_horizon",
    "censored_unobserved",
)


@dataclass(frozen=True)
class _Component:
    """How one component is read from the snapshot features.

    ``recent`` and ``change`` are feature-name templates with ``{r}`` (recent
    window) and ``{b}`` (baseline window); ``change=None`` means recent minus
    the ``{b}`` version of ``recent``; ``direction`` is +1 when a higher value
    means less effort.
    """

    recent: str
    change: str | None
    direction: int
    survey: bool = False
    label: str = ""


#: The components, in the order they are reported.
COMPONENTS: dict[str, _Component] = {
    "overtime": _Component("sched_overtime_mean_{r}d", "sched_overtime_change_{r}d", -1,
                           label="voluntary overtime per shift"),
    "adherence": _Component("sched_adherence_mean_{r}d", "sched_adherence_change_{r}d", -1,
                            label="schedule adherence"),
    "contacts_per_hour": _Component("wl_contacts_per_hour_{r}d", "wl_contacts_per_hour_change_{r}d", -1,
                                    label="contacts per worked hour"),
    "after_contact_share": _Component("wl_after_contact_share_{r}d",
                                      "wl_after_contact_share_change_{r}d", +1,
                                      label="after-contact work share"),
    "quality": _Component("wl_qa_mean_{r}d", "wl_qa_change_{r}d", -1, label="QA score"),
    "csat": _Component("wl_csat_mean_{r}d", None, -1, label="customer satisfaction"),
    "escalations": _Component("wl_escalation_rate_{r}d", None, +1, label="escalations per contact"),
    "engagement": _Component("survey_engagement_latest", "survey_engagement_change", -1, survey=True,
                             label="survey engagement"),
    "intent_to_stay": _Component("survey_intent_to_stay_latest", "survey_intent_to_stay_change", -1,
                                 survey=True, label="survey intent to stay"),
    "enps": _Component("survey_enps_latest", "survey_enps_change", -1, survey=True,
                       label="survey eNPS"),
    "non_response": _Component("survey_waves_missed", "", +1, survey=True,
                               label="survey waves missed in a row"),
}


def _default_weights() -> dict[str, float]:
    return {
        "overtime": 1.0, "adherence": 1.0, "contacts_per_hour": 1.0, "after_contact_share": 1.0,
        "quality": 0.5, "csat": 0.5, "escalations": 0.5,
        "engagement": 1.0, "intent_to_stay": 0.5, "enps": 0.5, "non_response": 0.5,
    }


@dataclass(frozen=True)
class QuietQuittingDefinition:
    """When an employee counts as quiet quitting; every threshold is a default you may change.

    Parameters
    ----------
    state_threshold : float, default 30.0
        Index (0-100) from which the employee is in the quiet-quitting state.
    full_signal_z : float, default 2.0
        Robust standard deviations of withdrawal at which a component counts
        fully (a component at or better than the centre's usual counts 0).
    own_weight : float, default 0.5
        Share of the employee's own change (against their earlier level) in a
        component's signal; the rest is the comparison with team peers.
    recent_window : int, default 28
        The trailing window, in days, of the recent level (one of the
        snapshot windows, the shortest by default).
    baseline_window : int, default 182
        The longest window, the earlier level for components without a
        change feature (CSAT, escalations).
    weights : dict, optional
        Weight of each component (keys of :data:`COMPONENTS`); 0 drops one.
        Defaults: 1 for overtime, adherence, contacts per hour, after-contact
        share and survey engagement; 0.5 for QA, CSAT, escalations, intent to
        stay, eNPS and non-response (noisier or less specific to effort).
    use_surveys : bool, default False
        Use the individual survey components (only allowed when
        ``survey_privacy`` is ``"identified"``; :meth:`attrition.Config.quiet_quitting_definition` sets it).
    bands : dict, optional
        Quiet-quitting risk bands as multiples of the validation base rate
        (default ``{"medium": 1.0, "high": 2.0}``, as for attrition).
    state_method : {"hmm", "mixture", "threshold"}, default "hmm"
        How the state is inferred: a two-state hidden Markov model over each
        employee's monthly behavioural component z-scores (survey answers count
        in the index only), fitted on the centre's own training snapshots
        (:mod:`attrition.snapshots._qq_state`); the same
        without month-to-month memory (``"mixture"``); or the old fixed rule
        index >= ``state_threshold`` (``"threshold"``, kept for comparison).
    state_window : int, default 12
        Month ends (up to and including the as-of date) the filter reads.
    entry_months : int, default 1
        An entry counts when the employee is in the state at a month end of
        the horizon and still at the next ``entry_months - 1`` month ends.
        The label reads the *smoothed* state, which already needs evidence
        from the following months to call a month withdrawn, so one month end
        is the default: on the choice seeds, asking for two more lost 13 % of
        the true entries (recall 0.89 to 0.76) for no gain in precision (0.90).
    min_tenure_days : int, default 90
        The nesting period: months of a tenure shorter than this carry no
        state evidence (new agents still learn the work and look "withdrawn"
        against their team on every measure) and get no state probability.
    state_model : dict, optional
        The fitted parameters (set by :func:`fit_state_model` when the
        training snapshots are labelled; saved with the model's spec so that
        scoring reads the same model). Not meant to be written by hand.

    Examples
    --------
    >>> d = QuietQuittingDefinition.from_dict({"state_threshold": 50, "weights": {"csat": 0}})
    >>> d.state_threshold, d.component_weights()["csat"], d.component_weights()["adherence"]
    (50.0, 0.0, 1.0)
    """

    state_threshold: float = 30.0
    full_signal_z: float = 2.0
    own_weight: float = 0.5
    recent_window: int = 28
    baseline_window: int = 182
    weights: Mapping[str, float] = field(default_factory=dict)
    use_surveys: bool = False
    bands: Mapping[str, float] = field(default_factory=lambda: {"medium": 1.0, "high": 2.0})
    state_method: str = "hmm"
    state_window: int = 12
    entry_months: int = 1
    min_tenure_days: int = 90
    state_model: Mapping[str, Any] | None = None

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None, *, use_surveys: bool = False
                  ) -> QuietQuittingDefinition:
        """Build and validate a definition from the config's ``quiet_quitting`` mapping."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)} - {"use_surveys"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"quiet_quitting: unknown key(s) {', '.join(unknown)}; the keys are "
                f"{', '.join(sorted(known))}."
            )
        for key in ("state_threshold", "full_signal_z", "own_weight"):
            if key in values:
                if isinstance(values[key], bool) or not isinstance(values[key], (int, float)):
                    raise ConfigError(f"quiet_quitting.{key} must be a number, got {values[key]!r}.")
                values[key] = float(values[key])
        out = cls(**values, use_surveys=bool(use_surveys))
        out.validate()
        return out

    def validate(self) -> None:
        """Raise :class:`ConfigError` when a setting is out of range."""
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(f"quiet_quitting.{msg}")

        need(0 < self.state_threshold <= 100,
             f"state_threshold must be in (0, 100], got {self.state_threshold!r}.")
        need(self.full_signal_z > 0, f"full_signal_z must be positive, got {self.full_signal_z!r}.")
        need(0 <= self.own_weight <= 1, f"own_weight must be from 0 to 1, got {self.own_weight!r}.")
        for key in ("recent_window", "baseline_window"):
            v = getattr(self, key)
            need(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 730,
                 f"{key} must be a whole number of days from 1 to 730, got {v!r}.")
        need(self.recent_window < self.baseline_window,
             "recent_window must be shorter than baseline_window.")
        need(isinstance(self.weights, Mapping), "weights must map component names to numbers.")
        bad = sorted(set(self.weights) - set(COMPONENTS))
        need(not bad, f"weights: unknown component(s) {', '.join(bad)}; the components are "
                      f"{', '.join(COMPONENTS)}.")
        need(all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
                 for v in self.weights.values()),
             f"weights must be numbers >= 0, got {dict(self.weights)!r}.")
        bands = self.bands
        need(isinstance(bands, Mapping) and set(bands) == {"medium", "high"}
             and 0 < bands["medium"] < bands["high"],
             f"bands needs exactly 'medium' and 'high' with 0 < medium < high, got {bands!r}.")
        need(self.state_method in STATE_METHODS,
             f"state_method must be one of {', '.join(STATE_METHODS)}, got {self.state_method!r}.")
        for key, low, top in (("state_window", 1, 60), ("entry_months", 1, 12), ("min_tenure_days", 0, 730)):
            v = getattr(self, key)
            need(isinstance(v, int) and not isinstance(v, bool) and low <= v <= top,
                 f"{key} must be a whole number from {low} to {top}, got {v!r}.")
        model = self.state_model
        if model is not None:
            keys = {"method", "dimensions", "means", "variances", "transition", "initial"}
            need(isinstance(model, Mapping) and keys <= set(model),
                 f"state_model must hold {', '.join(sorted(keys))} (it is fitted, not written by hand).")
            need(model["method"] == self.state_method,
                 f"state_model was fitted as {model['method']!r}, but state_method is {self.state_method!r}.")
            d = len(model["dimensions"])
            need(np.shape(model["means"]) == (2, d) and np.shape(model["variances"]) == (2, d)
                 and np.shape(model["transition"]) == (2, 2) and np.shape(model["initial"]) == (2,),
                 "state_model: parameters of the wrong shape.")

    def state_features(self) -> tuple[str, ...]:
        """The snapshot features the index and the state filter read on a row.

        Those of each component with a weight above 0 (its recent level, and
        its own change or earlier level, :data:`COMPONENTS`) and
        ``tenure_days`` (the nesting period). With ``employee_id``, ``as_of``
        and ``team_id`` they are all :func:`quiet_quitting_index` reads, so
        the earlier month ends of a scoring build need only these
        (:class:`attrition.snapshots.PartialRows`).

        Examples
        --------
        >>> QuietQuittingDefinition(weights={"quality": 0, "csat": 0, "escalations": 0,
        ...     "contacts_per_hour": 0, "after_contact_share": 0}).state_features()
        ('sched_overtime_mean_28d', 'sched_overtime_change_28d', 'sched_adherence_mean_28d', \
'sched_adherence_change_28d', 'tenure_days')
        """
        weights = self.component_weights()
        names: list[str] = []
        for name, comp in COMPONENTS.items():
            if weights[name] > 0:
                names += [f for f in _component_features(comp, self.recent_window, self.baseline_window) if f]
        if self.min_tenure_days > 0:
            names.append("tenure_days")
        return tuple(dict.fromkeys(names))

    @property
    def needs_fit(self) -> bool:
        """Whether the state model still has to be fitted (``hmm``/``mixture`` without parameters)."""
        return self.state_method != "threshold" and self.state_model is None

    def component_weights(self) -> dict[str, float]:
        """Weights in force: defaults updated by ``weights``; survey ones 0 without surveys."""
        w = {**_default_weights(), **{k: float(v) for k, v in self.weights.items()}}
        if not self.use_surveys:
            w = {k: (0.0 if COMPONENTS[k].survey else v) for k, v in w.items()}
        return w

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping (for MLflow and the model card)."""
        out = dataclasses.asdict(self)
        out["weights"] = self.component_weights()
        out["bands"] = dict(self.bands)
        if self.state_model is not None:
            out["state_model"] = {k: (list(v) if isinstance(v, (list, tuple)) else v)
                                  for k, v in self.state_model.items()}
        return out


# ------------------------------------------------------------------------ index
def _robust_z(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``(x - median) / (1.4826 MAD)`` within each group (as-of date); std when MAD is 0."""
    s = pd.Series(values)
    g = s.groupby(groups)
    med = g.transform("median")
    dev = (s - med).abs()
    mad = dev.groupby(groups).transform("median") * 1.4826
    sd = g.transform("std")
    scale = mad.where(mad > 0, sd)
    z = (s - med) / scale.where(scale > 0)
    # A known value whose whole cross-section is constant carries no signal: z = 0.
    return z.where(~(s.notna() & scale.fillna(0).eq(0)), 0.0).to_numpy(dtype="float64")


def _component_features(comp: _Component, r: int, b: int) -> tuple[str, str | None]:
    """The features a component reads: its recent level and its own change (``comp.change``) or,
    without a change feature, its earlier level (the ``b``-day version of the recent one);
    ``None`` for a level-only component (non-response)."""
    recent = comp.recent.format(r=r, b=b)
    if comp.change is None:
        return recent, comp.recent.format(r=b, b=b)
    return recent, (comp.change.format(r=r, b=b) if comp.change else None)


def _signals(snapshots: pd.DataFrame, definition: QuietQuittingDefinition
             ) -> tuple[dict[str, np.ndarray], dict[str, str], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per-component withdrawal signal in [0, 1] (NaN when unknown), the feature read, and the
    oriented z-scores (own change, team comparison) behind it."""
    r, b = definition.recent_window, definition.baseline_window
    as_of = pd.to_datetime(snapshots["as_of"]).to_numpy()
    team = snapshots["team_id"].astype(object).to_numpy() if "team_id" in snapshots else None
    weights = definition.component_weights()
    out: dict[str, np.ndarray] = {}
    used: dict[str, str] = {}
    zs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, comp in COMPONENTS.items():
        if weights[name] <= 0:
            continue
        recent, earlier = _component_features(comp, r, b)
        if recent not in snapshots.columns:
            continue
        x = pd.to_numeric(snapshots[recent], errors="coerce").to_numpy(dtype="float64")
        if earlier is None or earlier not in snapshots.columns:  # level only, or not built
            own = np.full(len(x), np.nan)
        elif comp.change is None:  # recent minus the earlier level
            own = x - pd.to_numeric(snapshots[earlier], errors="coerce").to_numpy(dtype="float64")
        else:
            own = pd.to_numeric(snapshots[earlier], errors="coerce").to_numpy(dtype="float64")
        if team is not None:
            med = pd.Series(x).groupby([as_of, team], dropna=False).transform("median").to_numpy()
            vs_team = x - med
        else:
            vs_team = np.full(len(x), np.nan)
        z_own = comp.direction * _robust_z(own, as_of)
        z_team = comp.direction * _robust_z(vs_team, as_of)
        if comp.change == "":  # level only (non-response): the centre is the reference
            z_own = comp.direction * _robust_z(x, as_of)
        w = definition.own_weight
        both = np.isfinite(z_own) & np.isfinite(z_team)
        z = np.where(both, w * np.nan_to_num(z_own) + (1 - w) * np.nan_to_num(z_team),
                     np.where(np.isfinite(z_own), z_own, z_team))
        s = np.clip(z, 0.0, definition.full_signal_z) / definition.full_signal_z
        out[name] = s
        used[name] = recent
        zs[name] = (z_own, z_team)
    return out, used, zs


_MIN_STATE_ROWS = 50


def _observation_frame(zs: Mapping[str, tuple[np.ndarray, np.ndarray]], n: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, (z_own, z_team) in zs.items():
        out[f"{name}:own"] = np.asarray(z_own, dtype="float64")
        out[f"{name}:team"] = np.asarray(z_team, dtype="float64")
    return out


def state_observations(snapshots: pd.DataFrame, definition: QuietQuittingDefinition,
                       dimensions: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """The state model's observations: per component, the oriented z of the own change and of the
    team comparison (NaN when unknown); ``dimensions`` picks and orders them (missing ones NaN).

    By default the behavioural components only (the survey ones when there are no others):
    survey components (``identified`` mode) count in the index but not in the state. A survey answer is carried from wave to wave, so the monthly
    model would read one answer as several months of fresh evidence, and answer levels are lasting
    differences between people rather than a state they enter; on simulator seeds 1 and 2 (300 x
    24) they took the state's ROC AUC from 0.98-0.99 down to 0.82-0.83 and over-stated prevalence
    by 70-75 %.
    """
    return _state_observations(snapshots, definition, _signals(snapshots, definition)[2], dimensions)


def _state_observations(snapshots: pd.DataFrame, definition: QuietQuittingDefinition,
                        zs: Mapping[str, tuple[np.ndarray, np.ndarray]], dimensions: list[str] | None = None
                        ) -> tuple[np.ndarray, list[str]]:
    """:func:`state_observations` from the oriented z-scores ``zs`` of :func:`_signals`."""
    obs = _observation_frame(zs, len(snapshots))
    if dimensions is None:
        known = [k for k, v in obs.items() if np.isfinite(v).any()]
        dimensions = [k for k in known if not COMPONENTS[k.split(":")[0]].survey] or known
    nan = np.full(len(snapshots), np.nan)
    x = np.column_stack([obs.get(d, nan) for d in dimensions]) if dimensions else np.empty((len(snapshots), 0))
    x[_nesting(snapshots, definition)] = np.nan
    return x, list(dimensions)


def _nesting(snapshots: pd.DataFrame, definition: QuietQuittingDefinition) -> np.ndarray:
    """Rows inside the nesting period (``tenure_days < min_tenure_days``)."""
    if "tenure_days" not in snapshots.columns or definition.min_tenure_days <= 0:
        return np.zeros(len(snapshots), dtype=bool)
    tenure = pd.to_numeric(snapshots["tenure_days"], errors="coerce").to_numpy(dtype="float64")
    return np.nan_to_num(tenure, nan=np.inf) < definition.min_tenure_days


def _sequence_keys(snapshots: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ids = (snapshots["employee_id"].astype(str).to_numpy() if "employee_id" in snapshots.columns
           else np.arange(len(snapshots)).astype(str))
    t = pd.to_datetime(snapshots["as_of"]).to_numpy().astype("datetime64[ns]").astype(np.int64)
    return ids, t


def fit_state_model(snapshots: pd.DataFrame, definition: QuietQuittingDefinition | None = None
                    ) -> QuietQuittingDefinition:
    """Fit the state model of ``definition`` on ``snapshots``; the definition with ``state_model`` set.

    ``snapshots`` should hold every employee employed at every month end of
    the training period (``employee_id``, ``as_of`` and the component
    features). With ``state_method="threshold"`` the definition is returned
    unchanged.

    Raises
    ------
    InsufficientDataError
        With fewer than 50 rows carrying an effort signal.
    """
    return _fit_state_model(snapshots, definition or QuietQuittingDefinition())


def _fit_state_model(snapshots: pd.DataFrame, definition: QuietQuittingDefinition,
                     zs: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> QuietQuittingDefinition:
    """:func:`fit_state_model`; ``zs``: the oriented z-scores of :func:`_signals` of ``snapshots``, if
    already computed."""
    if definition.state_method == "threshold":
        return definition
    if zs is None:
        zs = _signals(snapshots, definition)[2]
    x, dims = _state_observations(snapshots, definition, zs)
    known = np.isfinite(x).any(axis=1) if x.shape[1] else np.zeros(len(x), dtype=bool)
    if known.sum() < _MIN_STATE_ROWS:
        raise InsufficientDataError(
            f"The quiet-quitting state model needs at least {_MIN_STATE_ROWS} employee-months with an "
            f"effort signal (schedule, workload or identified survey components); these snapshots have "
            f"{int(known.sum())}. Provide more months or people, or set quiet_quitting.state_method = "
            "'threshold'.")
    ids, t = _sequence_keys(snapshots)
    params = fit_hmm(x, ids, t, dims, method=definition.state_method)
    as_of = pd.to_datetime(snapshots["as_of"])
    # Which month ends the parameters saw (a model checks they end before its validation months).
    params = {**params, "fit_first_as_of": f"{as_of.min():%Y-%m-%d}",
              "fit_last_as_of": f"{as_of.max():%Y-%m-%d}"}
    return dataclasses.replace(definition, state_model=params)


def _state_probability(snapshots: pd.DataFrame, definition: QuietQuittingDefinition,
                       index: np.ndarray, zs: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
                       smoothed: bool = False) -> np.ndarray:
    """The state probability of each row (``zs``: the oriented z-scores of :func:`_signals`)."""
    if definition.state_method == "threshold":
        prob = (np.nan_to_num(index, nan=-1.0) >= definition.state_threshold).astype("float64")
    else:
        params = definition.state_model
        x, _ = _state_observations(snapshots, definition, zs, list(params["dimensions"]))
        ids, t = _sequence_keys(snapshots)
        prob = (smoothed_probability(x, ids, t, params) if smoothed
                else filtered_probability(x, ids, t, params, window=definition.state_window))
        if not smoothed:
            prob = np.where(_nesting(snapshots, definition), np.nan, prob)
    return np.where(np.isfinite(index), np.round(prob, 6), np.nan)


def quiet_quitting_index(snapshots: pd.DataFrame,
                         definition: QuietQuittingDefinition | None = None) -> pd.DataFrame:
    """The quiet-quitting index (0-100), its components and the state, per snapshot row.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        A snapshot frame (:func:`attrition.build_snapshots`) holding at least
        ``as_of`` and the features of the components; ``team_id`` for the peer
        comparison, ``employee_id`` for the state model's sequences. Pass
        *every* employee employed on each as-of date: the z-scores compare
        each one with the whole centre on that date. The state probability of
        a row reads that employee's rows of the ``state_window`` month ends up
        to its own as-of date, and no later row.
    definition : QuietQuittingDefinition, optional
        Weights and state model; default :class:`QuietQuittingDefinition()`.
        A definition whose state model is not fitted yet is fitted on
        ``snapshots`` first (logged); a model's spec carries a fitted one.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``snapshots``: ``quiet_quitting_index`` (NaN when no
        component is known), ``quiet_quitting_state_probability`` (filtered
        probability of being in the state, NaN when the index is unknown),
        ``quiet_quitting_state`` (probability >= 0.5: more likely in the state
        than not), ``qq_n_components`` and ``qq_points_<component>`` (index
        points of each component, summing to the index).

    Raises
    ------
    SchemaError
        If ``as_of`` is missing.

    Examples
    --------
    >>> snaps = pd.DataFrame({"as_of": pd.to_datetime(["2024-01-31"] * 4), "team_id": list("aabb"),
    ...     "sched_adherence_mean_28d": [0.92, 0.80, 0.91, 0.93],
    ...     "sched_adherence_change_28d": [0.0, -0.10, 0.01, 0.0]})
    >>> out = quiet_quitting_index(snaps, QuietQuittingDefinition(state_method="threshold"))
    >>> out["quiet_quitting_index"].round(1).tolist(), out["quiet_quitting_state"].tolist()
    ([0.0, 100.0, 0.0, 0.0], [False, True, False, False])
    """
    return _quiet_quitting_index(snapshots, definition or QuietQuittingDefinition())


def _quiet_quitting_index(snapshots: pd.DataFrame, definition: QuietQuittingDefinition,
                          computed: tuple | None = None) -> pd.DataFrame:
    """:func:`quiet_quitting_index`; ``computed``: what :func:`_signals` gives for ``snapshots`` and
    ``definition``, if already computed (the signals, their features and the oriented z-scores)."""
    if "as_of" not in snapshots.columns:
        raise SchemaError("quiet_quitting_index needs a snapshot frame with an 'as_of' column; build "
                          "it with attrition.build_snapshots(tables).", column="as_of")
    windows = snapshots.attrs.get("windows")
    if windows:
        missing = [w for w in (definition.recent_window, definition.baseline_window) if w not in windows]
        if missing:
            raise ConfigError(
                f"quiet_quitting: recent_window/baseline_window {missing} are not among the snapshot "
                f"windows {list(windows)}. Set them to windows the snapshots have, or add the windows "
                "to the configuration's 'windows'."
            )
    signals, _, zs = computed if computed is not None else _signals(snapshots, definition)
    weights = definition.component_weights()
    n = len(snapshots)
    if not signals:
        log.warning("Quiet quitting: no component feature in the snapshots (no schedule or workload "
                    "table, surveys not usable); the index is unknown.")
    num = np.zeros(n)
    den = np.zeros(n)
    for name, s in signals.items():
        known = np.isfinite(s)
        num += np.where(known, weights[name] * np.nan_to_num(s), 0.0)
        den += np.where(known, weights[name], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)
    index = np.round(index, 4)
    if definition.needs_fit and np.isfinite(index).sum() >= _MIN_STATE_ROWS:
        log.info("Quiet quitting: fitting the %s state model on these %d snapshot rows",
                 definition.state_method, n)
        definition = _fit_state_model(snapshots, definition, zs)
    elif definition.needs_fit and np.isfinite(index).any():
        log.warning("Quiet quitting: %d rows with an index are too few to fit the state model (%d "
                    "needed); the state is left unknown. Pass a fitted definition (a model's "
                    "spec_.quiet_quitting_definition()) or state_method='threshold'.",
                    int(np.isfinite(index).sum()), _MIN_STATE_ROWS)
    if definition.needs_fit:  # no signal, or too little to fit
        prob = np.full(n, np.nan)
    else:
        prob = _state_probability(snapshots, definition, index, zs)
    out = {"quiet_quitting_index": index,
           "quiet_quitting_state_probability": prob,
           "quiet_quitting_state": np.nan_to_num(prob, nan=0.0) >= 0.5,
           "qq_n_components": np.zeros(n, dtype=np.int64)}
    for name in COMPONENTS:
        if name in signals:
            s = signals[name]
            known = np.isfinite(s)
            out["qq_n_components"] += known.astype(np.int64)
            with np.errstate(invalid="ignore", divide="ignore"):
                pts = np.where(known & (den > 0), 100.0 * weights[name] * np.nan_to_num(s)
                               / np.where(den > 0, den, 1.0), np.where(den > 0, 0.0, np.nan))
        else:
            pts = np.where(den > 0, 0.0, np.nan)
        out[f"qq_points_{name}"] = np.round(pts, 4)
    return pd.DataFrame(out, index=snapshots.index)


def quiet_quitting_prevalence_interval(probability, level: float = 0.9, *, n_boot: int = 1000,
                                      seed: int = 0) -> dict[str, float]:
    """The share of people in the state, from their state probabilities, with an interval.

    The point estimate is the mean probability (the expected share). The
    interval combines the two uncertainties: which of these people are truly
    in the state given their probabilities (each one a Bernoulli draw), and
    which people the centre happened to employ (a bootstrap over employees).
    Each replicate resamples the people, then draws their states.

    Examples
    --------
    >>> out = quiet_quitting_prevalence_interval(np.r_[np.full(90, 0.02), np.full(10, 0.95)])
    >>> round(out["prevalence"], 3), out["n"]
    (0.113, 100)
    >>> out["low"] < out["prevalence"] < out["high"]
    True
    """
    p = np.asarray(probability, dtype="float64")
    p = p[np.isfinite(p)]
    n = len(p)
    if n == 0:
        return {"prevalence": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0,
                "level": float(level)}
    rng = np.random.default_rng(seed)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        pick = p[rng.integers(0, n, n)]
        draws[b] = (rng.random(n) < pick).mean()
    alpha = (1 - level) / 2
    return {"prevalence": float(p.mean()), "low": float(np.quantile(draws, alpha)),
            "high": float(np.quantile(draws, 1 - alpha)), "n": int(n), "level": float(level)}


def prevalence_by_month(as_of, probability, level: float = 0.9) -> list[dict[str, Any]]:
    """Prevalence with its interval per as-of date (JSON-ready records, oldest first).

    Examples
    --------
    >>> recs = prevalence_by_month(["2024-01-31"] * 50 + ["2024-02-29"] * 50, [0.0] * 90 + [1.0] * 10)
    >>> [(r["as_of"], r["n"], r["prevalence"]) for r in recs]
    [('2024-01-31', 50, 0.0), ('2024-02-29', 50, 0.2)]
    """
    as_of = as_of.to_numpy() if isinstance(as_of, (pd.Series, pd.Index)) else list(as_of)  # not one by one
    frame = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(as_of)).to_numpy(),
                          "p": np.asarray(probability, dtype="float64")})
    out = []
    for t, g in frame.groupby("as_of", sort=True):
        est = quiet_quitting_prevalence_interval(g["p"].to_numpy(), level)
        if est["n"] == 0:
            continue
        out.append({"as_of": f"{pd.Timestamp(t):%Y-%m-%d}", "n": est["n"],
                    "prevalence": round(est["prevalence"], 4), "low": round(est["low"], 4),
                    "high": round(est["high"], 4), "level": est["level"]})
    return out


def quiet_quitting_band(state: np.ndarray, risk: np.ndarray | None,
                        thresholds: Mapping[str, float] | None) -> np.ndarray:
    """``in_state`` for those in the state now, else the risk band of entering it.

    Without a risk model (``risk`` is None) the others are ``not_in_state``.

    Examples
    --------
    >>> quiet_quitting_band(np.array([True, False, False]), np.array([0.3, 0.3, 0.01]),
    ...                     {"medium": 0.05, "high": 0.2}).tolist()
    ['in_state', 'high', 'low']
    >>> quiet_quitting_band(np.array([True, False]), None, None).tolist()
    ['in_state', 'not_in_state']
    """
    state = np.asarray(state, dtype=bool)
    if risk is None:
        return np.where(state, "in_state", "not_in_state").astype(object)
    risk = np.asarray(risk, dtype="float64")
    band = np.where(risk >= thresholds["high"], "high",
                    np.where(risk >= thresholds["medium"], "medium", "low"))
    return np.where(state, "in_state", band).astype(object)


# ------------------------------------------------------------------------ label
def quiet_quitting_labels(
    snapshots: pd.DataFrame,
    index: pd.DataFrame,
    employees: pd.DataFrame,
    horizon_days: int,
    export_date,
    *,
    entry_months: int = 1,
) -> pd.DataFrame:
    """Label each snapshot row: does the employee enter the state within the horizon?

    Parameters
    ----------
    snapshots : pandas.DataFrame
        ``employee_id`` and ``as_of`` of every row; the month ends of the
        horizon are looked up among its rows.
    index : pandas.DataFrame
        :func:`quiet_quitting_index` of ``snapshots`` (same index). Whether a
        row is at risk (not in the state at its own ``t``) is read from
        ``quiet_quitting_state``, the filtered state that uses nothing after
        ``t``. A ``qq_label_state`` column, when present, is the state read
        at the month ends of the horizon instead (:func:`quiet_quitting_snapshots`
        puts the smoothed state there: the outcome may read the future, the
        at-risk filter and the features never).
    employees : pandas.DataFrame
        ``employee_id`` and ``termination_date``.
    horizon_days : int
    export_date : date
    entry_months : int, default 1
        An entry at month end ``m`` counts only when the state holds at the
        next ``entry_months - 1`` month ends too (those whose index is known;
        they may lie after the horizon).

    Returns
    -------
    pandas.DataFrame
        ``label`` (1.0, 0.0 or NaN) and ``label_status`` (see the module docs),
        aligned to ``snapshots``.

    Examples
    --------
    >>> snaps = pd.DataFrame({"employee_id": ["a"] * 3 + ["b"] * 3,
    ...     "as_of": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"] * 2)})
    >>> idx = pd.DataFrame({"quiet_quitting_index": [10, 20, 60, 50, 50, 50.0],
    ...                     "quiet_quitting_state": [False, False, True, True, True, True]})
    >>> emp = pd.DataFrame({"employee_id": ["a", "b"], "termination_date": pd.to_datetime([None, None])})
    >>> quiet_quitting_labels(snaps, idx, emp, 60, "2024-06-30")["label_status"].tolist()[:4]
    ['positive', 'positive', 'censored_in_state', 'censored_in_state']
    """
    ids = snapshots["employee_id"].astype(object).to_numpy()
    t = pd.to_datetime(snapshots["as_of"]).to_numpy().astype("datetime64[ns]")
    index_value = index["quiet_quitting_index"].to_numpy(dtype="float64")
    # At t (who is at risk of entering) only what is known on t: the filtered state. The month
    # ends of the horizon may read the smoothed state (labels may use the future).
    state_now = index["quiet_quitting_state"].to_numpy(dtype=bool)
    state_col = "qq_label_state" if "qq_label_state" in index.columns else "quiet_quitting_state"
    state = index[state_col].to_numpy(dtype=bool)
    end = t + np.timedelta64(int(horizon_days), "D")
    export = np.datetime64(pd.Timestamp(export_date).normalize(), "ns")

    term = (employees.set_index("employee_id")["termination_date"].reindex(ids)
            .to_numpy().astype("datetime64[ns]"))
    exits = ~np.isnat(term) & (term <= end)  # employed on t (snapshot), so term > t

    # Month ends in (t, t + h] and the state / knowledge there, from the frame itself.
    lookup = pd.DataFrame({"employee_id": ids, "as_of": t, "value": index_value, "state": state})
    lookup = lookup.drop_duplicates(["employee_id", "as_of"]).set_index(["employee_id", "as_of"])
    dates = np.unique(t)
    ever = np.zeros(len(t), dtype=bool)
    seen = np.zeros(len(t), dtype=bool)
    if len(dates):
        horizon_ends = month_ends(pd.Timestamp(dates.min()) + pd.Timedelta(days=1),
                                  pd.Timestamp(end.max()))
        for m in horizon_ends.to_numpy():
            inside = (t < m) & (m <= end)
            if not inside.any():
                continue
            keys = pd.MultiIndex.from_arrays([ids[inside], np.full(inside.sum(), m)])
            found = lookup.reindex(keys)
            known = np.isfinite(found["value"].to_numpy(dtype="float64"))
            hit = found["state"].fillna(False).to_numpy(dtype=bool) & known
            for j in range(1, int(entry_months)):  # and staying: the next month ends, where known
                m_j = (pd.Timestamp(m) + pd.offsets.MonthEnd(j)).to_datetime64().astype("datetime64[ns]")
                nxt = lookup.reindex(pd.MultiIndex.from_arrays([ids[inside], np.full(inside.sum(), m_j)]))
                known_j = np.isfinite(nxt["value"].to_numpy(dtype="float64"))
                hit &= nxt["state"].fillna(False).to_numpy(dtype=bool) | ~known_j
            pos = np.flatnonzero(inside)
            ever[pos] |= hit
            seen[pos] |= known

    observed = end <= export
    status = np.select(
        [~observed, exits, ~np.isfinite(index_value), state_now, ~seen, ever],
        ["censored_horizon", "censored_exit", "censored_unobserved", "censored_in_state",
         "censored_unobserved", "positive"],
        default="negative",
    )
    label = np.where(status == "positive", 1.0, np.where(status == "negative", 0.0, np.nan))
    return pd.DataFrame({"label": label,
                         "label_status": pd.Categorical(status, categories=QQ_LABEL_STATUSES)},
                        index=snapshots.index)


def quiet_quitting_snapshots(snapshots: pd.DataFrame, tables, horizon_days: int,
                             definition: QuietQuittingDefinition | None = None, *,
                             state_fit_before=None) -> pd.DataFrame:
    """The snapshot frame with ``label``/``label_status`` replaced by the quiet-quitting label.

    The state model is fitted on ``snapshots`` first when the definition has
    none (the training frame: every employee at every month end); the fitted
    definition is recorded in ``attrs["spec"]`` (and, as a mapping, in
    ``attrs["quiet_quitting_definition"]``), so the model trained on the frame
    saves it and scoring reuses it. Whether a row is at risk (not in the
    state at ``t``) reads the *filtered* state, known on ``t``; the outcome
    over the horizon reads the *smoothed* state (the whole sequence: labels
    may use the future), an entry counts when the employee stays in the state
    ``entry_months`` month ends. Features are unchanged; ``attrs["target"]``
    is ``"quiet_quitting"``.

    Parameters
    ----------
    state_fit_before : date, optional
        Fit the state model on the rows dated before this day only (the
        first validation month end of the model trained on the frame, so that
        no validation month shapes the state its labels read; ``attrition
        train`` passes it). Default: every row.
    """
    definition = definition or QuietQuittingDefinition()
    # Every row's signals, once, for the fit, the index and the labels. The z-scores compare the
    # employees of each as-of date: those of the dates the state model is fitted on are the ones
    # that the fitting rows alone give.
    computed = _signals(snapshots, definition) if "as_of" in snapshots.columns else None
    if definition.needs_fit:
        rows, zs = snapshots, None if computed is None else computed[2]
        if state_fit_before is not None:
            fit = (pd.to_datetime(snapshots["as_of"]) < pd.Timestamp(state_fit_before)).to_numpy()
            rows = snapshots.loc[fit]
            zs = None if zs is None else {name: (own[fit], team[fit]) for name, (own, team) in zs.items()}
        log.info("Quiet quitting: fitting the %s state model on %d snapshot rows%s",
                 definition.state_method, len(rows),
                 "" if state_fit_before is None else f" dated before {pd.Timestamp(state_fit_before):%Y-%m-%d}")
        definition = _fit_state_model(rows, definition, zs)
    index = _quiet_quitting_index(snapshots, definition, computed)
    if definition.state_method != "threshold":
        smooth = _state_probability(snapshots, definition, index["quiet_quitting_index"].to_numpy(dtype="float64"),
                                    computed[2], smoothed=True)
        index = index.assign(qq_label_state=np.nan_to_num(smooth, nan=0.0) >= 0.5)
    labels = quiet_quitting_labels(snapshots, index, tables.employees, horizon_days,
                                   tables.infer_export_date(), entry_months=definition.entry_months)
    out = snapshots.drop(columns=[c for c in ("label", "label_status") if c in snapshots.columns])
    out = pd.concat([out, labels], axis=1)
    out.attrs = {**snapshots.attrs, "horizon_days": int(horizon_days), "target": "quiet_quitting",
                 "quiet_quitting_definition": definition.to_dict()}
    if "spec" in snapshots.attrs:  # the frame now holds this target's label: say so in its spec
        out.attrs["spec"] = {**snapshots.attrs["spec"], "target": "quiet_quitting",
                             "horizon_days": int(horizon_days), "quiet_quitting": definition.to_dict()}
    counts = labels["label_status"].value_counts()
    log.info("Quiet-quitting labels: %s", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return out
