"""Rolling-origin backtest: how the model would have done, month by month.

An attrition model is judged by what happens next, not by a shuffled
cross-validation score. At each **origin** ``T`` (a month end) the backtest

1. **trains with only what was known at T.** Features at as-of dates
   ``t <= T`` already use only rows dated on or before ``t`` (the as-of rule).
   Labels are re-derived *as of T*: :func:`attrition.snapshots.make_labels`
   with ``export_date = T``, so a row is labelled only when its whole horizon
   ``(t, t + horizon]`` ended by ``T``; every exit after ``T`` is unknown and
   those rows are censored. :class:`attrition.AttritionModel` then makes its
   usual out-of-time split (early stopping and Platt calibration on the
   latest ``valid_months`` labelled months) inside that history.
2. **scores the employees employed on T** — the list HR would have acted on
   at the start of the following month — with the model and three baselines
   (:mod:`attrition.baselines`, fitted on every row labelled by ``T``);
3. **evaluates on the realised outcome**: a voluntary exit in ``(T, T +
   horizon]``, i.e. during the horizon that starts the day after ``T``.
   Exits for other reasons end observation (censored, not scored), as in
   training. Only origins whose horizon is fully observed by the export date
   are evaluated.

Building snapshots once and re-labelling them per origin is equivalent to
building them from the exports as they stood at ``T`` (the test suite checks
both that no training label depends on anything after ``T`` and that the
frames agree), and much faster.

Reported per origin and pooled over all origins: ROC AUC, PR AUC, Brier,
log loss, expected calibration error (ECE, equal-count bins) and a
reliability curve, precision and recall at a capacity of ``k`` people and at
the top 5/10/20 %, lift by decile, and expected versus actual leavers per
origin and per team. The model's margin over each baseline is a **paired**
difference per origin, summarised by its mean and a 95 % Student-t interval
across origins. Origins' horizons overlap (monthly origins, 90-day horizon),
so consecutive differences are correlated and the interval is somewhat too
narrow; read it as a guide, and look at the per-origin rows.

The calibration methods are compared out of time: ``platt`` (what the model
ships: a logistic fit of the LightGBM margin on the model's own calibration
months), ``isotonic`` (a monotone fit on the same months) and ``none``
(LightGBM's own probability). Both fits are made on the margins of trees
trained before the calibration months (``AttritionModel.calibration_booster_``),
never on those of the trees refitted on every month (``refit="all"``), which
have seen them.

A **fairness audit** (:func:`attrition.fairness.fairness_audit`) runs on the
pooled out-of-time rows of all origins: each origin's model's risks against
the realised outcomes, per gender and age band (age at the origin), with each
origin's own high-risk threshold. The same person appears at several origins,
so a group's size (``n_employees``, which decides suppression under
``min_group_size``) counts *distinct* employees; ``n_rows`` counts
employee-months. Proxy features are screened at training, not here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attrition.analysis._fairness import fairness_audit, protected_groups
from attrition.analysis._survival_metrics import horizon_calibration, survival_metrics
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError, InsufficientDataError
from attrition.models._baselines import BASELINES, baseline_models
from attrition.models._metrics import (
    capacity_metrics,
    classification_metrics,
    expected_calibration_error,
    expected_vs_actual,
    lift_by_decile,
    reliability_table,
)
from attrition.models._model import AttritionModel
from attrition.models._survival import (
    CURVE_MONTHS,
    MONTH_DAYS,
    advance_tenure,
    cumulative_risk,
    monthly_label,
    risk_at,
)
from attrition.snapshots._build import make_labels
from attrition.snapshots._spec import SnapshotSpec

__all__ = [
    "labels_as_of",
    "training_frame",
    "backtest_origins",
    "run_backtest",
    "BacktestResult",
    "CALIBRATION_METHODS",
    "paired_interval",
]

log = logging.getLogger(__name__)

#: Calibration methods compared out of time (the first is what the model ships).
CALIBRATION_METHODS: tuple[str, ...] = ("platt", "isotonic", "none")
#: Metrics whose paired margins are reported, and whether larger is better.
MARGIN_METRICS: dict[str, bool] = {"roc_auc": True, "pr_auc": True, "brier": False, "log_loss": False}


# --------------------------------------------------------------------- labels
def labels_as_of(employees: pd.DataFrame, snapshots: pd.DataFrame, horizon_days: int, origin) -> pd.DataFrame:
    """Labels of ``snapshots`` rows as they were known on ``origin``.

    A thin wrapper of :func:`attrition.snapshots.make_labels` with
    ``export_date = origin``: positive or negative only when the whole horizon
    ended on or before ``origin``; everything else is censored (``NaN``).

    Examples
    --------
    >>> emp = pd.DataFrame({"employee_id": ["a"], "termination_date": pd.to_datetime(["2024-05-01"]),
    ...                     "termination_reason": ["voluntary"]})
    >>> fr = pd.DataFrame({"employee_id": ["a", "a"], "as_of": pd.to_datetime(["2024-03-31", "2024-04-10"])})
    >>> labels_as_of(emp, fr, 30, "2024-04-30")["label"].tolist()  # the May exit is not yet known
    [0.0, nan]
    """
    return make_labels(employees, snapshots.loc[:, ["employee_id", "as_of"]], horizon_days, origin)


def training_frame(snapshots: pd.DataFrame, employees: pd.DataFrame, horizon_days: int, origin) -> pd.DataFrame:
    """The snapshot rows known at ``origin`` (``as_of <= origin``), labelled as of ``origin``.

    Every labelled row satisfies ``as_of + horizon_days <= origin``; the
    time to exit (``duration_days``, ``event``) is censored at the origin.
    """
    origin = pd.Timestamp(origin)
    rows = snapshots.loc[pd.to_datetime(snapshots["as_of"]) <= origin].copy()
    lab = labels_as_of(employees, rows, horizon_days, origin)
    for col in lab.columns:  # label, label_status, duration_days, event: all as known at the origin
        rows[col] = lab[col].to_numpy()
    rows.attrs = dict(snapshots.attrs)
    return rows


def _feasible(dates: pd.DatetimeIndex, origin: pd.Timestamp, horizon_days: int, valid_months: int,
              min_train_months: int) -> bool:
    """Whether the model's out-of-time split at ``origin`` has enough labelled months."""
    h = pd.Timedelta(days=horizon_days)
    labelled = dates[dates + h <= origin]
    if len(labelled) < valid_months + 1:
        return False
    first_valid = labelled[-valid_months]
    return int((labelled + h <= first_valid).sum()) >= min_train_months


def backtest_origins(
    as_of_dates,
    export_date,
    horizon_days: int = 90,
    *,
    start=None,
    valid_months: int = 3,
    min_train_months: int = 6,
) -> pd.DatetimeIndex:
    """The origins to evaluate: snapshot dates whose horizon is fully observed.

    Without ``start``, the first origin is the earliest at which the model's
    out-of-time split has ``valid_months`` validation months and at least
    ``min_train_months`` training months. ``start`` (``YYYY-MM``) picks the
    first origin month instead; it must leave enough history.

    Examples
    --------
    >>> d = pd.date_range("2024-01-31", periods=24, freq="ME")
    >>> o = backtest_origins(d, "2025-12-31", 90, min_train_months=3)
    >>> f"{o[0]:%Y-%m-%d}", f"{o[-1]:%Y-%m-%d}", len(o)
    ('2024-11-30', '2025-09-30', 11)
    """
    dates = pd.DatetimeIndex(pd.to_datetime(pd.Index(as_of_dates).unique())).sort_values()
    export = pd.Timestamp(export_date).normalize()
    observed = dates[dates + pd.Timedelta(days=horizon_days) <= export]
    feasible = pd.DatetimeIndex([t for t in observed
                                 if _feasible(dates, t, horizon_days, valid_months, min_train_months)])
    if start is not None:
        import re

        if not re.fullmatch(r"\d{4}-\d{2}", str(start)):
            raise ConfigError(f"--start must be a month, YYYY-MM; got {start!r}.")
        try:
            first = pd.Period(str(start), freq="M")
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"--start must be a month, YYYY-MM; got {start!r}.") from exc
        too_early = [t for t in observed if pd.Period(t, freq="M") >= first and t not in feasible]
        if too_early:
            raise InsufficientDataError(
                f"Origin {too_early[0]:%Y-%m} has too little labelled history before it: the model "
                f"needs {valid_months} validation months and {min_train_months} training months whose "
                f"{horizon_days}-day horizons ended by the origin. "
                + (f"Start at {feasible[0]:%Y-%m} or later." if len(feasible) else
                   "Provide a longer history or a shorter horizon.")
            )
        feasible = feasible[[pd.Period(t, freq="M") >= first for t in feasible]]
    if not len(feasible):
        raise InsufficientDataError(
            f"No backtest origin: with a {horizon_days}-day horizon, {valid_months} validation months "
            f"and {min_train_months} training months, the data (as-of dates "
            f"{dates.min():%Y-%m-%d}..{dates.max():%Y-%m-%d}, export date {export:%Y-%m-%d}) "
            "leave no month end whose outcome is fully observed. Provide a longer history "
            "(18 months or more), a shorter --horizon-days, or an earlier --start."
        )
    return feasible


# ------------------------------------------------------------------ intervals
def paired_interval(differences, level: float = 0.95) -> dict[str, float]:
    """Mean of paired per-origin differences with a Student-t interval.

    Examples
    --------
    >>> r = paired_interval([0.02, 0.04, 0.03])
    >>> round(r["mean"], 3), round(r["low"], 3), round(r["high"], 3), r["n"]
    (0.03, 0.005, 0.055, 3.0)
    """
    from scipy import stats

    d = np.asarray(differences, dtype="float64")
    d = d[np.isfinite(d)]
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    if n < 2:
        return {"mean": mean, "low": float("nan"), "high": float("nan"), "n": float(n)}
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": float(n)}


# -------------------------------------------------------------------- result
@dataclass
class BacktestResult:
    """Everything a backtest measured.

    Attributes
    ----------
    origins : pandas.DataFrame
        One row per origin: training summary, the model's metrics (``model_*``),
        each baseline's (``class_prior_*``, ``tenure_only_*``, ``logistic_*``),
        each calibration method's ECE, expected and actual leavers.
    pooled : dict
        Metrics over all origins' rows together (``model_*``, ``<baseline>_*``).
    margins : pandas.DataFrame
        Model minus baseline per metric: mean, 95 % interval over origins,
        origins won.
    calibration : pandas.DataFrame
        Per calibration method: pooled ECE, Brier, log loss, mean per-origin
        ECE, and how many origins' actual leavers fell in the expected interval.
    teams : pandas.DataFrame
        Expected vs actual leavers per team, pooled over origins; teams whose
        smallest evaluated headcount is under ``min_group_size`` are merged
        into one row.
    lift : pandas.DataFrame
        Pooled lift by decile of the model's risk.
    reliability : pandas.DataFrame
        Pooled reliability table per calibration method.
    predictions : pandas.DataFrame
        Row-level predictions (employee ids: personal data, never logged),
        with each origin's ``high_threshold``.
    fairness : attrition.fairness.FairnessAudit
        Fairness audit of the pooled out-of-time rows (group sizes in distinct
        employees; groups under ``min_group_size`` suppressed).
    survival : pandas.DataFrame
        Pooled survival metrics (:mod:`attrition.analysis._survival_metrics`:
        time-dependent AUC per horizon, concordance, integrated Brier) of
        everyone employed at each origin, followed to the export date: one
        row per model (``model``, ``tenure_only``, ``logistic``; the
        baselines are logistic monthly hazards on the same person-months).
    horizons : pandas.DataFrame
        Calibration of the model at each horizon (pooled; rows whose outcome
        at that horizon is known).
    segments : pandas.DataFrame
        The first-90-days segment (tenure at the origin of 90 days or less)
        and everyone else, on the ``horizon_days`` label: ROC AUC, ECE and
        expected vs actual leavers, for the model and the baselines.
    """

    origins: pd.DataFrame
    pooled: dict[str, float]
    margins: pd.DataFrame
    calibration: pd.DataFrame
    teams: pd.DataFrame
    lift: pd.DataFrame
    reliability: pd.DataFrame
    predictions: pd.DataFrame
    settings: dict = field(default_factory=dict)
    survival: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizons: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    run_id: str | None = None
    tracking_uri: str | None = None
    fairness: Any = None


def _metric_block(y, p, k: int, prefix: str) -> dict[str, float]:
    m = classification_metrics(y, p)
    m["ece"] = expected_calibration_error(y, p)
    m.update(capacity_metrics(y, p, k=k))
    ev = expected_vs_actual(y, p)
    m.update({"expected": ev["expected"], "expected_low": ev["low"], "expected_high": ev["high"],
              "actual": ev["actual"], "expected_within": ev["within"]})
    return {f"{prefix}{key}": float(v) for key, v in m.items()}


def _calibrators(model: AttritionModel, train_frame: pd.DataFrame) -> dict:
    """Functions from margin to probability for each calibration method.

    For a hazard model the margin is the monthly hazard's, fitted on the
    model's calibration months against the monthly event. Every method is
    fitted on the margins of the trees the Platt scaling was fitted with
    (``calibration_booster_``): with ``refit="all"`` the shipped trees were
    boosted again on the calibration months, and an isotonic fit on their
    margins there would be an in-sample fit beside an out-of-sample Platt
    scaling. Each method then maps the shipped trees' margins, as the
    shipped Platt scaling does.
    """
    from sklearn.isotonic import IsotonicRegression

    if getattr(model, "kind_", "binary") == "hazard":
        as_of = pd.to_datetime(train_frame["as_of"]).dt.normalize()
        y = monthly_label(as_of, train_frame["duration_days"], train_frame["event"])
        mask = as_of.isin(pd.to_datetime(model.calibration_dates_)).to_numpy() & ~np.isnan(y)
        rows, target = train_frame.loc[mask], y[mask]
    else:
        rows = train_frame.loc[model.validation_mask(train_frame)]  # the split chosen at fit
        target = rows["label"].to_numpy(dtype="float64")
    prepared = model.prepare(rows)
    if getattr(model, "init_model_", None) is not None:  # boosted from the logistic margin: never refitted
        margin = model._margin(prepared)
    else:
        booster = getattr(model, "calibration_booster_", model.booster_)
        margin = np.asarray(booster.predict(prepared, raw_score=True), dtype="float64")
    iso = IsotonicRegression(y_min=1e-4, y_max=1 - 1e-4, out_of_bounds="clip").fit(margin, target)
    return {
        "platt": model._calibrated,
        "isotonic": iso.predict,
        "none": lambda m: 1.0 / (1.0 + np.exp(-m)),
    }


def run_backtest(
    tables: Tables,
    snapshots: pd.DataFrame,
    *,
    horizon_days: int = 90,
    start=None,
    capacity: int = 20,
    valid_months: int = 3,
    min_train_months: int = 6,
    lgbm_params: dict | None = None,
    random_state: int = 0,
    min_group_size: int = 5,
    fairness_thresholds: Mapping[str, float] | None = None,
    every: int = 1,
) -> BacktestResult:
    """Rolling-origin backtest over ``snapshots`` built once from ``tables``.

    Parameters
    ----------
    tables : Tables
        The exports (the HR master gives the labels as of each origin).
    snapshots : pandas.DataFrame
        :func:`attrition.build_snapshots` of ``tables`` with this horizon.
    horizon_days : int
    start : str, optional
        First origin month ``YYYY-MM`` (default: the earliest with enough history).
    capacity : int, default 20
        ``k`` of precision and recall at ``k`` (people HR can talk to per origin).
    valid_months, min_train_months, lgbm_params, random_state :
        As for :class:`AttritionModel` / :func:`backtest_origins`.
    min_group_size : int, default 5
        Smaller teams are not shown on their own in the team table, and
        smaller groups (in distinct employees) are suppressed in the fairness
        audit.
    fairness_thresholds : mapping, optional
        Overrides of :data:`attrition.fairness.DEFAULT_FAIRNESS_THRESHOLDS`
        (``Config.fairness``).
    every : int, default 1
        Evaluate every ``every``-th origin, counted back from the latest (a
        cheaper run spanning the same months, e.g. for the long horizons).

    Returns
    -------
    BacktestResult
    """
    spec = _spec_of(snapshots, horizon_days)
    export = tables.infer_export_date()
    origins = backtest_origins(snapshots["as_of"], export, horizon_days, start=start,
                               valid_months=valid_months, min_train_months=min_train_months)
    if not isinstance(every, int) or every < 1:
        raise ConfigError(f"every must be a whole number of at least 1, got {every!r}.")
    origins = origins[::-1][::every][::-1]
    log.info("Backtest over %d origins (%s .. %s), %d-day horizon", len(origins),
             f"{origins[0]:%Y-%m}", f"{origins[-1]:%Y-%m}", horizon_days)
    rows_out: list[dict] = []
    preds: list[pd.DataFrame] = []
    survs: list[pd.DataFrame] = []
    horizons = sorted({*spec.horizons, spec.horizon_days})
    for i, origin in enumerate(origins, 1):
        started = time.perf_counter()
        model = AttritionModel(spec=spec, valid_months=valid_months, lgbm_params=lgbm_params,
                               random_state=random_state)
        train = training_frame(snapshots, tables.employees, spec.horizon_days, origin)
        row, part = _one_origin(model, snapshots, tables.employees, origin, capacity, train)
        rows_out.append(row)
        preds.append(part)
        if getattr(model, "kind_", "binary") == "hazard":
            survs.append(_survival_part(model, snapshots, train, origin, horizons, export))
        log.info("  origin %d/%d %s: %d scored, %d leavers (expected %.1f), ROC AUC %.3f "
                 "(logistic %.3f, tenure %.3f) in %.1fs", i, len(origins), f"{origin:%Y-%m-%d}",
                 row["n"], int(part["label"].sum()), row["model_expected"], row["model_roc_auc"],
                 row["logistic_roc_auc"], row["tenure_only_roc_auc"], time.perf_counter() - started)

    per_origin = pd.DataFrame(rows_out)
    pred = pd.concat(preds, ignore_index=True)
    y_all = pred["label"].to_numpy()
    pooled = _metric_block(y_all, pred["risk"].to_numpy(), capacity * len(origins), "model_")
    for name in BASELINES:
        pooled.update(_metric_block(y_all, pred[f"risk_{name}"].to_numpy(), capacity * len(origins),
                                    f"{name}_"))
    calibration, reliability = _calibration_tables(per_origin, pred)
    settings = {"horizon_days": horizon_days, "capacity": capacity, "valid_months": valid_months,
                "min_train_months": min_train_months, "first_origin": f"{origins[0]:%Y-%m-%d}",
                "last_origin": f"{origins[-1]:%Y-%m-%d}", "n_origins": len(origins),
                "export_date": f"{export:%Y-%m-%d}", "min_group_size": min_group_size}
    survival, by_horizon = (_survival_tables(pd.concat(survs, ignore_index=True), horizons)
                            if survs else (pd.DataFrame(), pd.DataFrame()))
    return BacktestResult(origins=per_origin, pooled=pooled, margins=_margins(per_origin),
                          survival=survival, horizons=by_horizon, segments=_segment_table(pred),
                          calibration=calibration, teams=_team_table(pred, min_group_size),
                          lift=lift_by_decile(y_all, pred["risk"].to_numpy()), reliability=reliability,
                          predictions=pred, settings=settings,
                          fairness=_fairness(pred, tables.employees, min_group_size, fairness_thresholds))


def _spec_of(snapshots: pd.DataFrame, horizon_days: int) -> SnapshotSpec:
    """The spec the snapshots were built with (checked against ``horizon_days``)."""
    recorded = snapshots.attrs.get("spec")
    spec = SnapshotSpec.from_dict(recorded) if recorded else SnapshotSpec(horizon_days=int(horizon_days))
    if spec.horizon_days != int(horizon_days):
        raise ConfigError(f"The snapshots were built with a {spec.horizon_days}-day horizon, not {horizon_days}.")
    if spec.target != "attrition":
        raise ConfigError(f"The backtest evaluates the attrition model; the snapshots are labelled for "
                          f"{spec.target!r}.")
    return spec


def _one_origin(model: AttritionModel, snapshots: pd.DataFrame, employees: pd.DataFrame,
                origin: pd.Timestamp, capacity: int, train: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame]:
    """Fit on what was known at ``origin``, score its month: the origin's metrics and predictions."""
    if train is None:
        train = training_frame(snapshots, employees, model.spec.horizon_days, origin)
    model.fit(train)
    as_of = pd.to_datetime(snapshots["as_of"])
    test = snapshots.loc[(as_of == origin).to_numpy() & snapshots["label"].notna().to_numpy()]
    y = test["label"].to_numpy(dtype="float64")
    calibrators = _calibrators(model, train)
    if getattr(model, "kind_", "binary") == "hazard":
        prepared = model.prepare(test)
        months = model._curve_months()
        margins = model._monthly_margins(prepared, months)  # bit for bit, about one prediction's cost
        risk = {name: risk_at(np.column_stack([f(m) for m in margins]), model.horizon_days)
                for name, f in calibrators.items()}
    else:
        margin = model._margin(model.prepare(test))
        risk = {name: f(margin) for name, f in calibrators.items()}
    labelled = train.loc[train["label"].notna()]
    base_risk = {}
    for name, base in baseline_models(model.feature_names_in_).items():
        base.fit(labelled, labelled["label"].to_numpy(dtype=int))
        base_risk[name] = base.predict_risk(test)
    row: dict = {
        "origin": origin,
        "n_train_rows": int(train["label"].notna().sum()),
        "train_last_label_as_of": pd.Timestamp(labelled["as_of"].max()),
        "n": len(test),
        "trees": model.best_iteration_,
        # the hazard model's rate follows its training rows (HAZARD_LARGE_ROWS): origins may differ
        "learning_rate": float(model.training_summary_.get("learning_rate", np.nan)),
    }
    row.update(_metric_block(y, risk["platt"], capacity, "model_"))
    for name in BASELINES:
        row.update(_metric_block(y, base_risk[name], capacity, f"{name}_"))
    for name in CALIBRATION_METHODS:
        ev = expected_vs_actual(y, risk[name])
        row[f"cal_{name}_ece"] = expected_calibration_error(y, risk[name])
        row[f"cal_{name}_within"] = ev["within"]
        row[f"cal_{name}_expected"] = ev["expected"]
    part = pd.DataFrame({"origin": origin, "employee_id": test["employee_id"].to_numpy(),
                         "team_id": test["team_id"].to_numpy(), "label": y})
    for name in CALIBRATION_METHODS:
        part[f"risk_{name}" if name != "platt" else "risk"] = risk[name]
    for name in BASELINES:
        part[f"risk_{name}"] = base_risk[name]
    part["high_threshold"] = float(model.thresholds_["high"])
    part["tenure_days"] = test["tenure_days"].to_numpy(dtype="float64") if "tenure_days" in test else np.nan
    return row, part


def _survival_part(model: AttritionModel, snapshots: pd.DataFrame, train: pd.DataFrame,
                   origin: pd.Timestamp, horizons, export: pd.Timestamp) -> pd.DataFrame:
    """Everyone employed at ``origin``, followed to the export: risk curves of the model and of
    monthly-hazard baselines fitted on the person-months known at the origin."""
    as_of = pd.to_datetime(snapshots["as_of"])
    rows = snapshots.loc[(as_of == origin).to_numpy() & snapshots["duration_days"].notna().to_numpy()]
    out = pd.DataFrame({"origin": origin, "employee_id": rows["employee_id"].to_numpy(),
                        "duration_days": rows["duration_days"].to_numpy(dtype="float64"),
                        "event": rows["event"].to_numpy(dtype="float64"),
                        "followup_days": float((export - origin).days)})
    curves = {"model": model.predict_survival(rows)}
    t_as_of = pd.to_datetime(train["as_of"]).dt.normalize()
    y_month = monthly_label(t_as_of, train["duration_days"], train["event"])
    known = ~np.isnan(y_month)
    for name, base in baseline_models(model.feature_names_in_).items():
        if name == "class_prior":
            continue
        base.fit(train.loc[known], y_month[known].astype(int))
        hz = np.column_stack([base.predict_risk(advance_tenure(rows, j * MONTH_DAYS))
                              for j in range(CURVE_MONTHS)])
        curves[name] = cumulative_risk(hz)
    for name, curve in curves.items():
        hz = 1.0 - (1.0 - curve) / np.concatenate([np.ones((len(curve), 1)), 1.0 - curve[:, :-1]], axis=1)
        for d in horizons:
            out[f"{name}_risk_{d}d"] = risk_at(hz, d)
        for m in range(CURVE_MONTHS):
            out[f"{name}_curve_{m + 1}"] = curve[:, m]
    return out


def _survival_tables(surv: pd.DataFrame, horizons) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled survival metrics of each model, and the model's calibration at each horizon."""
    rows = []
    for name in ("model", "tenure_only", "logistic"):
        risks = {d: surv[f"{name}_risk_{d}d"].to_numpy() for d in horizons}
        curve = surv[[f"{name}_curve_{m + 1}" for m in range(CURVE_MONTHS)]].to_numpy()
        rows.append({"model": name, **survival_metrics(surv["duration_days"], surv["event"], risks, curve)})
    cal = horizon_calibration(surv["duration_days"], surv["event"],
                              {d: surv[f"model_risk_{d}d"].to_numpy() for d in horizons},
                              followup_days=surv["followup_days"])
    return pd.DataFrame(rows), cal


def _segment_table(pred: pd.DataFrame, early_days: int = 90) -> pd.DataFrame:
    """The first-``early_days`` segment and the rest, on the horizon label, per model."""
    rows = []
    early = pred["tenure_days"].to_numpy(dtype="float64") <= early_days
    for segment, mask in ((f"first {early_days} days", early), ("after", ~early)):
        part = pred.loc[mask]
        y = part["label"].to_numpy(dtype="float64")
        for name, col in (("model", "risk"), ("tenure_only", "risk_tenure_only"), ("logistic", "risk_logistic")):
            row = {"segment": segment, "model": name, "rows": int(len(part)), "leavers": float(y.sum())}
            if len(part) and 0 < y.sum() < len(y):
                p = part[col].to_numpy(dtype="float64")
                ev = expected_vs_actual(y, p)
                row.update({"roc_auc": classification_metrics(y, p)["roc_auc"],
                            "ece": expected_calibration_error(y, p), "expected": float(ev["expected"]),
                            "expected_low": float(ev["low"]), "expected_high": float(ev["high"])})
            rows.append(row)
    return pd.DataFrame(rows)


def _margins(per_origin: pd.DataFrame) -> pd.DataFrame:
    """The model's margin over each baseline per metric, with a paired interval over origins."""
    margins = []
    for name in BASELINES:
        for metric, higher in MARGIN_METRICS.items():
            diff = per_origin[f"model_{metric}"] - per_origin[f"{name}_{metric}"]
            ci = paired_interval(diff)
            wins = int(((diff > 0) if higher else (diff < 0)).sum())
            margins.append({"baseline": name, "metric": metric, "better": "higher" if higher else "lower",
                            "mean_margin": ci["mean"], "low": ci["low"], "high": ci["high"],
                            "origins_won": wins, "origins": int(ci["n"])})
    return pd.DataFrame(margins)


def _calibration_tables(per_origin: pd.DataFrame, pred: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled calibration of each method and the reliability tables."""
    y_all = pred["label"].to_numpy()
    cal_rows, rel = [], []
    for name in CALIBRATION_METHODS:
        col = "risk" if name == "platt" else f"risk_{name}"
        p = pred[col].to_numpy()
        m = classification_metrics(y_all, p)
        cal_rows.append({
            "method": name,
            "pooled_ece": expected_calibration_error(y_all, p),
            "mean_origin_ece": float(per_origin[f"cal_{name}_ece"].mean()),
            "brier": m["brier"], "log_loss": m["log_loss"],
            "expected": float(p.sum()), "actual": float(y_all.sum()),
            "origins_within_interval": int(per_origin[f"cal_{name}_within"].sum()),
            "origins": len(per_origin),
        })
        rel.append(reliability_table(y_all, p).assign(method=name))
    return pd.DataFrame(cal_rows), pd.concat(rel, ignore_index=True)


def _fairness(pred: pd.DataFrame, employees: pd.DataFrame, min_group_size: int,
              thresholds: Mapping[str, float] | None):
    """Fairness audit of the pooled out-of-time rows (ages at each origin, distinct employees)."""
    rows = pd.DataFrame({"employee_id": pred["employee_id"].to_numpy(),
                         "as_of": pd.to_datetime(pred["origin"]).to_numpy()})
    groups = protected_groups(rows, employees)
    audit = fairness_audit(pred["label"].to_numpy(), pred["risk"].to_numpy(), groups,
                           high_threshold=pred["high_threshold"].to_numpy(),
                           ids=pred["employee_id"].to_numpy(), min_group_size=min_group_size,
                           thresholds=thresholds)
    for flag in audit.flags:
        log.warning("Backtest fairness: %s", flag)
    return audit


def _team_table(pred: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """Expected vs actual leavers per team, pooled over origins; small teams merged."""
    size = pred.groupby(["team_id", "origin"], dropna=False).size().groupby(level=0).min()
    small = set(size.index[size < min_group_size])
    label = pred["team_id"].astype(object).where(~pred["team_id"].isin(small),
                                                f"(teams under {min_group_size}: {len(small)})")
    rows = []
    for team, part in pred.groupby(label, sort=True, dropna=False):
        ev = expected_vs_actual(part["label"], part["risk"])
        rows.append({"team_id": team, "employee_months": len(part),
                     "employees": part["employee_id"].nunique(),
                     "expected": ev["expected"], "low": ev["low"], "high": ev["high"],
                     "actual": ev["actual"], "within": bool(ev["within"])})
    out = pd.DataFrame(rows)
    if len(out):
        # The pooled row of small teams is itself suppressed when it covers too few people.
        tiny = out["team_id"].astype(str).str.startswith("(") & (out["employees"] < min_group_size)
        out.loc[tiny, ["employee_months", "expected", "low", "high", "actual"]] = np.nan
        out["within"] = out["within"].astype(object)
        out.loc[tiny, "within"] = None
        out = out.sort_values("team_id", key=lambda s: s.astype(str).str.startswith("(")).reset_index(drop=True)
    return out


