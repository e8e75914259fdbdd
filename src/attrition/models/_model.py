"""The attrition model: LightGBM, trained out of time, with calibrated probabilities.

:class:`AttritionModel` is a scikit-learn style estimator over snapshot frames
(:func:`attrition.build_snapshots`). ``fit`` splits the labelled rows *by
time*, never at random:

* **validation** — the latest ``valid_months`` as-of dates with a fully
  observed label;
* **training** — as-of dates ``t`` whose whole label window ``(t, t +
  horizon]`` ends on or before the first validation as-of date, so no
  training label reaches into the validation period (a purge gap).

LightGBM stops early on the validation log loss; a Platt scaling
(``a * margin + b``) fitted on the validation margins turns scores into
calibrated probabilities, and the validation metrics are reported. The binary
model that is evaluated is the model that is shipped: it is not refitted on
the validation months afterwards (the hazard model is, see below).

**The attrition target is a monthly hazard model** (:mod:`attrition.models._survival`):
LightGBM learns the probability of a voluntary exit by the next month end
from every snapshot row whose next month is observed (competing exits and
the export date censor). The months are split by time into three parts:
*training* (every as-of date before the early-stopping months, including the
latest ones whose 90-day outcome is not yet known), *early stopping* (the
latest ``stopping_months`` dates whose ``horizon_days`` outcome is known:
LightGBM stops on their monthly log loss, and the validation metrics of the
``horizon_days`` risk are measured on them) and *calibration* (the latest
``valid_months`` dates with an observed month, after the early-stopping
ones: a Platt scaling of the monthly hazard). The validation outcomes are
*purged* of the calibration months: a row's outcome counts the exits up to
the first calibration month only, scored against the risk over that same
window, so no exit the calibration was fitted on is scored
(``purge_gap=True`` moves the early-stopping months back instead, at the
cost of training on older months). Once the number of trees, the Platt
scaling and the validation metrics are known, the trees are **boosted again
on every observed month** with that number of trees (``refit="all"``), so
the shipped model learns from the latest months too (the logistic baseline
does), and the **risk level** (the Platt intercept) is set so the mean
monthly hazard of the latest 12 observed months equals their exit rate
(``level_months=12``): three calibration months of a few hundred agents hold
a few dozen exits, and a quiet or a busy quarter would otherwise move every
risk. The validation metrics are those of the model before the refit, on
months it had not seen; the backtest scores the shipped model on months
after each origin. The hazard model boosts at a learning rate of 0.05, or at
:data:`HAZARD_LARGE_LEARNING_RATE` from :data:`HAZARD_LARGE_ROWS` training
rows (large centres, where 0.05 runs into its 600-round cap), unless one is
set. ``predict_risk`` is the risk
within ``horizon_days`` read off the survival curve; ``predict_survival``
gives the curve over 12 months. Other targets (quiet quitting) use a binary
model of the label within the horizon, split as described above.

The fitted model saves to a folder with the trees in LightGBM's text format
and everything else in JSON: loading it never unpickles code.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from attrition.data._schemas import PROTECTED_COLUMNS
from attrition.exceptions import (
    ConfigError,
    DataQualityWarning,
    InsufficientDataError,
    ModelNotFoundError,
    NotFittedError,
    SchemaError,
)
from attrition.models._baselines import LogisticBaseline, TenureBaseline
from attrition.models._curve import monthly_raw_scores
from attrition.models._metrics import classification_metrics
from attrition.models._survival import (
    CURVE_MONTHS,
    MONTH_DAYS,
    TENURE_COLUMNS,
    advance_tenure,
    cumulative_risk,
    expected_months,
    horizon_logit,
    monthly_label,
    risk_at,
    risk_months,
)
from attrition.models._treeshap import pred_contrib
from attrition.snapshots._build import bare_frame, feature_columns
from attrition.snapshots._spec import SnapshotSpec

__all__ = ["AttritionModel", "out_of_time_split", "validation_start", "risk_band", "DEFAULT_LGBM_PARAMS", "HAZARD_LGBM_PARAMS", "HAZARD_MONOTONE",
           "HAZARD_LARGE_ROWS", "HAZARD_LARGE_LEARNING_RATE", "monotone_list", "with_monotone_list"]

log = logging.getLogger(__name__)

#: Rows predicted at a time from a design matrix (:meth:`AttritionModel._margin_of`): the copy
#: of the selected rows stays about this many rows times the features (65,536 x 180 x 8 bytes:
#: 94 MB) instead of growing with the centre.
PREDICT_ROWS = 65_536

_FORMAT_VERSION = 3
#: Model folders this version reads (2: binary models saved before the hazard model).
_READABLE_FORMATS = (2, 3)

#: LightGBM settings used unless the configuration overrides them. Few
#: leaves, row and column subsampling and a floor on leaf size suit the
#: few-thousand-positive problems of one contact centre; early stopping on the
#: out-of-time validation months picks the number of trees. The learning rate
#: (0.1; 0.03 before the tenth round of issue 16) keeps the quiet-quitting model
#: below its 600-round cap at 20,000 agents (254 trees there instead of 593, its
#: drivers' TreeSHAP 58 % cheaper) with its accuracy within noise of 0.03 on six
#: held-out simulated centres (benchmarks/README.md, "Fewer, stronger trees").
DEFAULT_LGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "n_estimators": 600,
    "num_leaves": 15,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "reg_lambda": 5.0,
    "verbose": -1,
}


_WINDOWS = ("28d", "91d", "182d")
#: Directions of the monthly exit hazard known from the domain, by feature name (1: the hazard
#: never falls as the feature grows; -1: never rises): risk falls with tenure and with pay
#: relative to peers, rises with sickness absence, night, weekend and late-changed shifts,
#: erratic start times and high occupancy, and falls with the team's engagement and intent to
#: stay. Features not named are free. Measured out of time in benchmarks/lgbm_settings.py
#: (``mono_shipped``): ahead of the unconstrained model on held-out seeds by little (pooled ROC
#: AUC +0.000 to +0.003, 24 against 22 of 32 origins won over the logistic baseline).
HAZARD_MONOTONE: dict[str, int] = {
    "tenure_days": -1, "log_tenure": -1, "early_tenure": 1, "pay_vs_team": -1, "pay_vs_site": -1,
    **{f"abs_sick_days_{w}": 1 for w in _WINDOWS}, **{f"abs_sick_spells_{w}": 1 for w in _WINDOWS},
    "abs_bradford_365d": 1,
    **{f"sched_{k}_{w}": 1 for k in ("night_share", "weekend_share", "late_share", "late_changes", "start_std")
       for w in _WINDOWS},
    **{f"wl_{k}_{w}": 1 for k in ("occupancy_mean", "high_occupancy_share") for w in _WINDOWS},
    "survey_team_engagement_mean": -1, "survey_team_intent_to_stay_mean": -1,
}

_WINDOW_SUFFIX = re.compile(r"_\d+d$")


def monotone_list(mono: Mapping[str, int], names: Sequence[str], categorical: Iterable[str] = (),
                  *, strict: bool = True) -> list[int]:
    """LightGBM's ``monotone_constraints`` list (one entry per column) from a mapping by name.

    Parameters
    ----------
    mono : mapping of str to int
        Feature name to ``1`` (the score never falls as the feature grows),
        ``-1`` (never rises) or ``0`` (free).
    names : sequence of str
        The model's columns, in order.
    categorical : iterable of str
        Categorical columns: LightGBM cannot constrain them.
    strict : bool, default True
        A mapping a user wrote: every name must be a column and none may be
        categorical (:class:`ConfigError` otherwise). The built-in
        :data:`HAZARD_MONOTONE` is not strict: names the tables do not provide
        are skipped, and a window the spec does not use (``_56d`` instead of
        ``_28d``) takes the direction its measure has at the default windows.

    Examples
    --------
    >>> monotone_list({"tenure_days": -1}, ["team_id", "tenure_days", "abs_sick_days_91d"])
    [0, -1, 0]
    >>> monotone_list({"abs_sick_days_28d": 1}, ["abs_sick_days_56d"], strict=False)
    [1]
    """
    bad = {k: v for k, v in mono.items() if v not in (-1, 0, 1)}
    if bad:
        raise ConfigError(f"monotone_constraints maps feature names to -1, 0 or 1; got {bad}. "
                          "Use 1 where risk never falls as the feature grows, -1 where it never rises.")
    names, categorical = list(names), set(categorical)
    if strict:
        unknown = sorted(set(mono) - set(names))
        if unknown:
            raise ConfigError(
                f"monotone_constraints names {len(unknown)} feature(s) the model does not have, e.g. "
                f"{unknown[:5]}. Use names from the model's feature_names_in_ (or `attrition features`).")
        fixed = sorted(f for f in categorical if mono.get(f, 0))
        if fixed:
            raise ConfigError(
                f"monotone_constraints sets a direction on categorical feature(s) {fixed}: LightGBM "
                "cannot keep a category's effect monotone. Remove them from the mapping.")
        return [int(mono.get(f, 0)) for f in names]
    stems: dict[str, set[int]] = {}
    for k, v in mono.items():
        stems.setdefault(_WINDOW_SUFFIX.sub("", k), set()).add(int(v))
    out = []
    for f in names:
        v = mono.get(f)
        if v is None and _WINDOW_SUFFIX.search(f):
            agreed = stems.get(_WINDOW_SUFFIX.sub("", f), set())
            v = next(iter(agreed)) if len(agreed) == 1 else 0
        out.append(0 if f in categorical or v is None else int(v))
    return out


def with_monotone_list(params: dict[str, Any], X: pd.DataFrame) -> dict[str, Any]:
    """``params`` with a ``monotone_constraints`` mapping turned into LightGBM's list for ``X``'s
    columns (:func:`monotone_list`, strict); other params are returned unchanged."""
    mono = params.get("monotone_constraints")
    if not isinstance(mono, Mapping):
        return params
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    return {**params, "monotone_constraints": monotone_list(mono, list(X.columns), categorical)}


#: The monthly hazard model's settings (the attrition target): an event rate of a few per
#: cent a month, so smaller trees (4 leaves, at least 100 rows a leaf), half the columns per
#: tree and stronger L2. Chosen out of time on simulated seed 1 (benchmarks/lgbm_settings.py:
#: better than DEFAULT_LGBM_PARAMS at 4 of its first 4 origins); see benchmarks/README.md.
#: The directions of :data:`HAZARD_MONOTONE` are kept (``monotone_constraints``; pass
#: ``{"monotone_constraints": {}}`` in ``lgbm_params`` to lift them). Its learning rate, 0.05,
#: is the rate below :data:`HAZARD_LARGE_ROWS` training rows; from there the model boosts at
#: :data:`HAZARD_LARGE_LEARNING_RATE` unless ``lgbm_params`` (or the chosen
#: ``lgbm_candidates`` entry) sets ``learning_rate``.
HAZARD_LGBM_PARAMS: dict[str, Any] = {
    **DEFAULT_LGBM_PARAMS,
    "learning_rate": 0.05,
    "num_leaves": 4,
    "min_child_samples": 100,
    "colsample_bytree": 0.5,
    "reg_lambda": 10.0,
    "monotone_constraints": dict(HAZARD_MONOTONE),
}

#: Training rows (those of the hazard model's early-stopping fit, ``training_summary_["n_train"]``)
#: from which the hazard model boosts at :data:`HAZARD_LARGE_LEARNING_RATE` instead of
#: :data:`HAZARD_LGBM_PARAMS`'s 0.05, when no ``learning_rate`` is set: chosen from the row count
#: before boosting (as scikit-learn's ``HistGradientBoosting*(early_stopping="auto")`` switches on
#: above 10,000 samples), so no second boosting pass is needed. At 0.05 the trees kept grow with
#: the data (simulated centres x 24 months: 154 of the 600-round cap at 2,700 agents, 44,026
#: training rows; 284 at 5,000, 81,494 rows; 597 at 8,000, 130,414 rows; 558 at 20,000, 326,074
#: rows): from about 100,000 rows the model is no longer converged within its cap and its
#: boosting dominates training. At 0.1 the large centres' validation metrics stay within a few
#: thousandths of 0.05's with a quarter to half of the trees; small centres, where 0.05 converges
#: and measured a little better out of time at 300 agents, keep 0.05. Every accuracy figure of
#: the README comes from centres below this (at most 2,700 agents x 24 months). See
#: benchmarks/README.md, "The hazard model's learning rate by training size".
HAZARD_LARGE_ROWS: int = 100_000

#: The hazard model's learning rate from :data:`HAZARD_LARGE_ROWS` training rows.
HAZARD_LARGE_LEARNING_RATE: float = 0.1


def _hazard_learning_rate(n_train: int) -> tuple[float, str]:
    """The hazard model's learning rate for ``n_train`` training rows when none is set, and why.

    Examples
    --------
    >>> _hazard_learning_rate(44_026)
    (0.05, '0.05: 44,026 training rows < 100,000 (HAZARD_LARGE_ROWS)')
    """
    if n_train >= HAZARD_LARGE_ROWS:
        rate, why = HAZARD_LARGE_LEARNING_RATE, ">="
    else:
        rate, why = HAZARD_LGBM_PARAMS["learning_rate"], "<"
    return rate, f"{rate:g}: {n_train:,} training rows {why} {HAZARD_LARGE_ROWS:,} (HAZARD_LARGE_ROWS)"


def out_of_time_split(
    as_of: pd.Series, labelled: pd.Series, horizon_days: int, valid_months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of training and validation rows (see the module docs).

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]))
    >>> tr, va = out_of_time_split(d, pd.Series([True] * 4), horizon_days=30, valid_months=1)
    >>> tr.tolist(), va.tolist()  # 2024-03-31 + 30 days ends on the first validation date
    ([True, True, True, False], [False, False, False, True])
    """
    as_of = pd.to_datetime(as_of)
    labelled = np.asarray(labelled, dtype=bool)
    dates = np.sort(as_of[labelled].unique())
    if len(dates) < valid_months + 1:
        raise InsufficientDataError(
            f"Need labelled rows on at least {valid_months + 1} as-of dates for an out-of-time "
            f"split, found {len(dates)} (month ends within {horizon_days} days of the export "
            "date have no fully observed label). Provide a longer history (a year or more), "
            "a shorter horizon, or fewer validation months."
        )
    valid_dates = dates[-valid_months:]
    first_valid = pd.Timestamp(valid_dates[0])
    valid = labelled & as_of.isin(valid_dates).to_numpy()
    train = labelled & (as_of + pd.Timedelta(days=horizon_days) <= first_valid).to_numpy()
    if not train.any():
        raise InsufficientDataError(
            f"No training rows: every labelled as-of date before {first_valid:%Y-%m-%d} has a "
            f"{horizon_days}-day label window reaching into the validation period. Provide a "
            "longer history, a shorter horizon, or fewer validation months."
        )
    return train, valid


def validation_start(as_of: pd.Series, horizon_days: int, valid_months: int, export_date) -> pd.Timestamp:
    """The first validation as-of date :func:`out_of_time_split` will choose, before any label.

    The validation months are the latest ``valid_months`` as-of dates whose
    ``horizon_days`` outcome is observed by ``export_date``. Whatever the
    label reads (the quiet-quitting state model) is fitted before this date.

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]))
    >>> f"{validation_start(d, 30, 1, '2024-04-30'):%Y-%m-%d}"  # 2024-04-30 + 30 days is not observed
    '2024-03-31'
    """
    as_of = pd.to_datetime(as_of)
    observed = (as_of + pd.Timedelta(days=int(horizon_days)) <= pd.Timestamp(export_date)).to_numpy()
    _, valid = out_of_time_split(as_of, observed, horizon_days, valid_months)
    return pd.Timestamp(as_of[valid].min())


def risk_band(risk: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    """``low`` / ``medium`` / ``high`` by the model's absolute thresholds.

    Examples
    --------
    >>> risk_band(np.array([0.01, 0.1, 0.5]), {"medium": 0.05, "high": 0.2}).tolist()
    ['low', 'medium', 'high']
    """
    risk = np.asarray(risk, dtype="float64")
    return np.where(risk >= thresholds["high"], "high",
                    np.where(risk >= thresholds["medium"], "medium", "low")).astype(object)


def _as_categories(values: pd.Series, categories: list) -> pd.Categorical:
    """``values`` as the model's categories (:meth:`AttritionModel.prepare`): any other value missing."""
    # Codes looked up, not a Categorical of values outside its categories (deprecated in pandas 3):
    # the same codes, a value the model has not seen (or a missing one) coded -1 (missing).
    known = values.astype(object).where(values.notna(), None)
    return pd.Categorical.from_codes(pd.Index(categories, dtype=object).get_indexer(known), categories=categories)


def _check_saved_booster(booster: lgb.Booster, features: list[str], categories: dict[str, list],
                         path: Path) -> None:
    """Raise unless a saved model's ``booster.txt`` has the features and categories its
    ``model.json`` describes: the model codes each category by the list in ``model.json``
    (:meth:`AttritionModel.design`), so a booster trained with other lists would read other
    categories than the ones it split on, without any error."""
    names = list(booster.feature_name())
    if names != list(features):
        diff = [f"{a!r} vs {b!r}" for a, b in zip(names, features, strict=False) if a != b][:3]
        raise ModelNotFoundError(
            f"{path}: booster.txt has {len(names)} features and model.json {len(features)}, not the "
            f"same in the same order (booster.txt vs model.json: {', '.join(diff) or 'one list is longer'}). "
            "The two files come from different models: save the model again with AttritionModel.save.")
    saved = booster.pandas_categorical
    if saved is None:  # a booster trained on a bare matrix: no categories recorded to compare
        return
    cols = [f for f in features if f in categories]  # LightGBM's order: the columns' (model.json sorts keys)
    ours = [list(categories[c]) for c in cols]
    theirs = [[str(v) for v in c] for c in saved]
    if theirs != ours:
        diff = [cols[i] if i < len(cols) else f"column {i}"
                for i in range(max(len(ours), len(theirs)))
                if i >= len(ours) or i >= len(theirs) or ours[i] != theirs[i]][:3]
        raise ModelNotFoundError(
            f"{path}: booster.txt's categories (pandas_categorical) differ from model.json's for "
            f"{', '.join(diff)}: the trees would read category codes of other values. The two files "
            "come from different models: save the model again with AttritionModel.save.")


def _with_fitted_state(spec: SnapshotSpec, built: SnapshotSpec) -> SnapshotSpec:
    """The model's spec with the quiet-quitting state model fitted on the snapshots, when the
    model's own spec leaves it to be fitted and the definitions agree otherwise."""
    mine, theirs = spec.quiet_quitting_definition(), built.quiet_quitting_definition()
    if not mine.needs_fit or theirs.state_model is None:
        return spec
    if dataclasses.replace(theirs, state_model=None).to_dict() != mine.to_dict():
        return spec
    return dataclasses.replace(spec, quiet_quitting=theirs)


class AttritionModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM risk of the spec's target within its horizon.

    Parameters
    ----------
    spec : SnapshotSpec, optional
        How the snapshots are built: horizon, windows, survey privacy,
        target (a voluntary exit, or entry into the quiet-quitting state) and
        the quiet-quitting definition. Default: the spec the snapshots given
        to :meth:`fit` were built with (``attrs["spec"]``), else
        :class:`SnapshotSpec()`. The fitted spec is ``spec_``; it is saved
        with the trees, and :meth:`snapshots` rebuilds features with it.
    valid_months : int, default 3
        Latest labelled as-of dates held out for early stopping, calibration
        and metrics.
    lgbm_params : dict, optional
        Overrides of :data:`HAZARD_LGBM_PARAMS` (the attrition target's
        monthly hazard model) or :data:`DEFAULT_LGBM_PARAMS` (other targets).
        ``monotone_constraints`` may map feature names to ``1`` (risk never
        falls as it grows), ``-1`` or ``0``; features not named are free. A
        name the model does not have, or a direction on a categorical
        feature, raises :class:`ConfigError` (see :func:`monotone_list`).
        The jobs pass the configuration's ``lgbm_params`` to both targets'
        models, so a mapping there constrains the quiet-quitting model too.
        A value LightGBM refuses raises :class:`ConfigError` as :meth:`fit`
        starts, before anything is fitted. The hazard model's learning rate,
        unless ``lgbm_params`` or the chosen ``lgbm_candidates`` entry sets
        ``learning_rate``, is chosen by :meth:`fit` from its training rows:
        :data:`HAZARD_LGBM_PARAMS`'s 0.05 below :data:`HAZARD_LARGE_ROWS`,
        :data:`HAZARD_LARGE_LEARNING_RATE` (0.1) from there (the refit boosts
        at the same rate; ``training_summary_["learning_rate"]`` says which).
    early_stopping_rounds : int, default 50
        Rounds without validation improvement before training stops.
    risk_bands : dict, optional
        ``{"medium": m, "high": h}`` as multiples of the validation base rate
        (default 1.0 and 2.0): a risk at or above ``h`` × the base rate is
        ``high``.
    random_state : int, default 0
        Seed for LightGBM's subsampling.
    stopping_months : int, optional
        Hazard model only: the as-of dates whose ``horizon_days`` outcome is
        known and that are held out for early stopping and the validation
        metrics (default ``valid_months``).
    purge_gap : bool, default False
        Hazard model only: leave about ``horizon_days`` of months between the
        early-stopping and the calibration months, so every validation row's
        whole horizon is observed before the calibration months. By default
        the early-stopping months are the latest before the calibration ones
        (the model trains on the most recent months) and the validation
        metrics are *purged* instead: each row's outcome counts the exits up
        to the first calibration month only, against the risk over the same
        window. Either way no exit the calibration was fitted on is scored.
    lgbm_candidates : list of dict, optional
        Hazard model only: overrides of the LightGBM settings to choose from,
        each fitted on the training months and scored on the early-stopping
        months' monthly log loss; the best is kept (``training_summary_
        ["setting"]``). The choice is made on the data given to :meth:`fit`
        only, so inside each origin of a backtest. Default: the one setting.
    stopping_folds : int, default 1
        Hazard model only: choose the number of trees on this many rolling
        early-stopping folds (each moved one month further back, training on
        the months before it; folds with fewer training than early-stopping
        months are skipped): the number minimising the mean of their
        monthly log-loss curves. 1 is plain early stopping on the
        early-stopping months.
    min_trees : int, default 0
        Hazard model only: a floor on the number of trees early stopping keeps
        (a fit whose early-stopping months are noisy can otherwise stop at 2).
    refit : {None, "stopping", "all"}, default "all"
        Hazard model only: after early stopping, calibration and the
        validation metrics, boost again with the chosen number of trees on
        the early-stopping months as well (``"stopping"``; the Platt scaling
        is refitted on the calibration months) or on every observed month
        (``"all"``; the Platt scaling of the model before the refit is kept),
        so the shipped trees learn from the latest months, with the setting
        chosen (``lgbm_candidates``). ``metrics_`` are those of the model
        before the refit. A model boosted from the logistic margin
        (``init_score``, an experiment) is not refitted.
    level_months : int or None, default 12
        Hazard model only: set the risk level (the Platt intercept; the slope
        stays the calibration months') so the mean monthly hazard over the
        latest ``level_months`` observed months equals their exit rate,
        instead of the calibration months' rate alone (``None``).

    Attributes
    ----------
    spec_ : SnapshotSpec
        The spec the model was trained with, including the tables (and their
        columns) it saw.
    booster_ : lightgbm.Booster
        The trees (best iteration only).
    calibration_booster_ : lightgbm.Booster
        The trees the Platt scaling was fitted with, trained before the
        calibration months: ``booster_`` itself unless ``refit="all"`` boosted
        it again on every month (then the trees before that refit). The
        backtest fits its other calibration methods on their margins, so none
        is fitted on months its trees trained on. Not saved: a loaded model
        has ``booster_`` only.
    feature_names_in_ : list of str
    categories_ : dict of str to list
        Categories of each categorical feature seen in training.
    kind_ : {"hazard", "binary"}
        ``hazard`` for the attrition target (monthly hazard, survival curve),
        ``binary`` for a label within the horizon (quiet quitting, flat tables).
    calibration_ : tuple of float
        Platt coefficients ``(a, b)``: calibrated logit = a × margin + b (of
        the monthly hazard for a hazard model).
    thresholds_ : dict
        Absolute risk thresholds of the bands.
    validation_dates_ : list of str
        The out-of-time validation as-of dates (``YYYY-MM-DD``), chosen once
        by :meth:`fit`; :meth:`validation_mask` selects their rows.
    metrics_ : dict
        Validation metrics (``valid_roc_auc``, ``valid_pr_auc``, ...) and
        those of the tenure-only baseline (``baseline_valid_roc_auc``) and of a
        regularised logistic regression on the same features
        (``lr_baseline_valid_roc_auc``, see :mod:`attrition.models`), and
        the class prior (``prior_baseline_valid_brier``: the training base
        rate for everyone).
    training_summary_ : dict
        Periods and row counts of the split; for the hazard model also the
        learning rate the trees were boosted with (``learning_rate``) and why
        (``learning_rate_reason``, e.g. ``"0.1: 326,074 training rows >=
        100,000 (HAZARD_LARGE_ROWS)"``, or ``"0.07: set in lgbm_params"``).

    Examples
    --------
    >>> from attrition import simulate, build_snapshots
    >>> snaps = build_snapshots(simulate(n_employees=150, months=14, seed=3).tables)
    >>> model = AttritionModel(lgbm_params={"n_estimators": 50}).fit(snaps)
    >>> model.spec_.horizon_days, model.spec_.target
    (90, 'attrition')
    >>> risk = model.predict_risk(snaps)
    >>> bool(((risk > 0) & (risk < 1)).all())
    True
    """

    def __init__(
        self,
        spec: SnapshotSpec | None = None,
        valid_months: int = 3,
        lgbm_params: dict[str, Any] | None = None,
        early_stopping_rounds: int = 50,
        risk_bands: dict[str, float] | None = None,
        random_state: int = 0,
        stopping_months: int | None = None,
        purge_gap: bool = False,
        lgbm_candidates: list[dict[str, Any]] | None = None,
        stopping_folds: int = 1,
        min_trees: int = 0,
        refit: str | None = "all",
        level_months: int | None = 12,
    ) -> None:
        self.spec = spec
        self.level_months = level_months
        self.refit = refit
        self.stopping_folds = stopping_folds
        self.min_trees = min_trees
        self.stopping_months = stopping_months
        self.purge_gap = purge_gap
        self.lgbm_candidates = lgbm_candidates
        self.valid_months = valid_months
        self.lgbm_params = lgbm_params
        self.early_stopping_rounds = early_stopping_rounds
        self.risk_bands = risk_bands
        self.random_state = random_state

    # ------------------------------------------------------------- the spec
    @property
    def target(self) -> str:
        """What the model predicts (the spec's target)."""
        return self._spec().target

    @property
    def horizon_days(self) -> int:
        """The label horizon (the spec's)."""
        return self._spec().horizon_days

    def _spec(self) -> SnapshotSpec:
        spec = getattr(self, "spec_", None) or self.spec
        return spec if spec is not None else SnapshotSpec()

    def snapshots(self, tables, as_of=None, *, labels: bool = False, partial=None) -> pd.DataFrame:
        """Rebuild snapshot rows exactly as in training (:meth:`SnapshotSpec.build` of ``spec_``).

        The one way scoring, reports, what-if and drift checks build features
        for this model. A table the model was trained with and missing from
        ``tables`` is refused with a readable diff. ``partial``
        (:class:`attrition.snapshots.PartialRows`): some dates' rows need only
        some features.
        """
        self._check_fitted()
        if self.spec_ is None:
            raise ConfigError("This model was fitted on a flat table: it has no snapshot spec. "
                              "Score it with attrition.jobs.score_table_file.")
        return self.spec_.build(tables, as_of, labels=labels, partial=partial)

    def feature_labels(self) -> dict[str, str]:
        """Readable labels of the model's features."""
        return self._spec().feature_labels()

    def validation_mask(self, snapshots: pd.DataFrame) -> np.ndarray:
        """Rows of ``snapshots`` on the fitted validation as-of dates with a known label."""
        self._check_fitted()
        dates = pd.DatetimeIndex(pd.to_datetime(self.validation_dates_))
        mask = pd.to_datetime(snapshots["as_of"]).isin(dates).to_numpy()
        if "label" in snapshots.columns:
            mask = mask & snapshots["label"].notna().to_numpy()
        return mask

    # ------------------------------------------------------------------ fit
    def _params(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The LightGBM parameters of a fit: the defaults, ``extra`` (an ``lgbm_candidates`` entry),
        then ``lgbm_params``. The hazard model's default learning rate is the one :meth:`fit` chose
        from its training rows (:data:`HAZARD_LARGE_ROWS`)."""
        hazard = getattr(self, "kind_", "binary") == "hazard"
        base = HAZARD_LGBM_PARAMS if hazard else DEFAULT_LGBM_PARAMS
        rate = getattr(self, "_default_rate", None) if hazard else None
        params = {**base, **({} if rate is None else {"learning_rate": rate}), **(extra or {}),
                  **(self.lgbm_params or {})}
        mono = params.get("monotone_constraints")
        if isinstance(mono, Mapping):  # by feature name: LightGBM wants one entry per column, in order
            user = isinstance(self.lgbm_params, Mapping) and "monotone_constraints" in self.lgbm_params
            params["monotone_constraints"] = monotone_list(
                mono, getattr(self, "feature_names_in_", []), getattr(self, "categories_", {}), strict=user)
        params["random_state"] = self.random_state
        params.setdefault("deterministic", True)
        params.setdefault("force_col_wise", True)
        return params

    def _check_lgbm_params(self) -> None:
        """Raise :class:`ConfigError` now for a setting LightGBM refuses, before the baselines and
        the design matrix are built (at 20,000 agents tens of seconds), by making a booster of
        each setting (``lgbm_params`` and every ``lgbm_candidates`` entry) on a few random rows."""
        rng = np.random.default_rng(0)
        n_rows, features = 32, list(self.feature_names_in_)
        tiny = rng.normal(size=(n_rows, len(features)))
        for j, col in enumerate(features):  # categorical columns hold codes of their categories
            if col in self.categories_:
                tiny[:, j] = rng.integers(0, max(len(self.categories_[col]), 1), n_rows)
        for extra in [None, *(self.lgbm_candidates or [])]:
            params = self._params(dict(extra) if extra else None)
            rounds = params.pop("n_estimators", 100)
            if (isinstance(rounds, bool) or not isinstance(rounds, int | float | np.integer | np.floating)
                    or not float(rounds).is_integer() or rounds < 1):
                raise ConfigError(f"lgbm_params: n_estimators must be a whole number of at least 1, got {rounds!r}.")
            which = "lgbm_params" if extra is None else f"lgbm_candidates entry {extra!r} with lgbm_params"
            rate = params.get("learning_rate")
            if (isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating)
                    or not np.isfinite(rate) or rate <= 0):
                raise ConfigError(f"{which}: learning_rate must be a number above 0, got {rate!r} (leave it "
                                  "out for the default).")
            aliases = sorted({"eta", "shrinkage_rate"} & set(params))
            if aliases:
                raise ConfigError(f"{which}: {', '.join(aliases)} is LightGBM's other name for "
                                  "learning_rate, which attrition sets itself: write learning_rate instead.")
            init = params.pop("init_score", None)
            if init not in (None, "logistic"):
                raise ConfigError(f"lgbm_params: init_score must be 'logistic' or absent, got {init!r}.")
            data = lgb.Dataset(tiny, label=np.arange(n_rows) % 2, feature_name=features,
                               categorical_feature=list(self.categories_), free_raw_data=True)
            try:
                lgb.Booster(params={**params, "metric": "binary_logloss"}, train_set=data)
            except lgb.basic.LightGBMError as err:
                raise ConfigError(
                    f"{self._what()}: LightGBM refuses the settings of {which}: {err}. Fix the value "
                    "in the configuration's [lgbm_params] (or the estimator's lgbm_params).") from err

    def _monotone_in_force(self) -> dict[str, int]:
        """The directions the trees keep, by feature name (only the constrained ones)."""
        mono = self._params(self._setting_params).get("monotone_constraints") or []
        return {f: int(v) for f, v in zip(self.feature_names_in_, mono, strict=True) if v}

    def _fit_spec(self, snapshots: pd.DataFrame) -> SnapshotSpec:
        """The spec to fit with: the model's, checked against the one the snapshots record."""
        if "label" not in snapshots.columns or "as_of" not in snapshots.columns:
            raise SchemaError(
                "fit needs a snapshot frame with 'as_of' and 'label' columns; build it with "
                "attrition.build_snapshots(tables, horizon_days=...) or SnapshotSpec(...).build(tables).",
                column="label",
            )
        recorded = snapshots.attrs.get("spec")
        built = SnapshotSpec.from_dict(recorded) if recorded else None
        if built is None and self.spec is None:
            built = self._spec_without_record(snapshots)
        spec = self.spec if self.spec is not None else built
        spec.validate()
        if snapshots.attrs.get("custom_builders"):
            warnings.warn(
                f"{self._what()}: the snapshots were built with custom feature builders; the model's "
                "spec rebuilds features with the default builders at scoring (model.snapshots). Score "
                "with the same builders yourself (build_snapshots(..., builders=...)).",
                DataQualityWarning, stacklevel=3)
        if built is not None and self.spec is not None:
            spec = _with_fitted_state(spec, built)
        if built is not None:
            mine, theirs = spec.to_dict(), built.to_dict()
            differ = [k for k in mine if k not in ("tables", "columns", "horizons", "declared")
                      and mine[k] != theirs[k]]
            if differ:
                shown = "; ".join(f"{k}: snapshots {theirs[k]!r}, model {mine[k]!r}" for k in differ)
                raise ConfigError(
                    f"The snapshots were built with another spec than the model's ({shown}). The "
                    "model would be trained on rows it cannot rebuild at scoring. Build the snapshots "
                    "with the model's spec (spec.build(tables)), or leave AttritionModel(spec=None) "
                    "to adopt theirs."
                )
        if built is not None and built.declared:  # the declared tables the rows were built from
            spec = dataclasses.replace(spec, declared=built.to_dict()["declared"])
        schema = snapshots.attrs.get("input_schema")
        if schema is not None and spec.tables is None:
            spec = dataclasses.replace(spec, tables={k: tuple(v) for k, v in schema.items()})
        return spec

    @staticmethod
    def _spec_without_record(snapshots: pd.DataFrame) -> SnapshotSpec:
        """A frame that lost its spec (a merge, a file round trip): its target and horizon if known."""
        target = snapshots.attrs.get("target", "attrition")
        horizon = int(snapshots.attrs.get("horizon_days", 90))
        windows = tuple(int(w) for w in snapshots.attrs.get("windows", (28, 91, 182)))
        spec = SnapshotSpec(horizon_days=horizon, windows=windows, target=target)
        if "horizon_days" not in snapshots.attrs:
            warnings.warn(
                "The snapshots record no spec (pandas drops attrs in merges and file round trips): "
                f"fitting as {spec.target!r} with a {spec.horizon_days}-day horizon and windows "
                f"{list(spec.windows)}. Pass AttritionModel(spec=...) with the spec that built them.",
                DataQualityWarning, stacklevel=4)
        return spec

    def _check_positives(self, y: np.ndarray, train: np.ndarray, valid: np.ndarray, warn_below: int = 30,
                         *, second: str = "validation", stacklevel: int = 3) -> None:
        for name, mask in (("training", train), (second, valid)):
            pos = int(y[mask].sum())
            if pos < 5 or pos == int(mask.sum()):
                raise InsufficientDataError(
                    f"The {name} period has {pos} positives in {int(mask.sum())} rows: too few to "
                    "fit and check a model. Use a longer history or a longer horizon."
                )
            if pos < warn_below:
                what = ("the calibration of the risks is fitted on them and will be uncertain"
                        if name == "calibration" else "metrics will be noisy")
                warnings.warn(f"{self._what()}: only {pos} positives in the {name} period: {what}. "
                              "A longer history or a larger centre gives more.", DataQualityWarning,
                              stacklevel=stacklevel)  # at the caller of fit

    def _what(self) -> str:
        return "Attrition model" if self.target == "attrition" else "Quiet-quitting model"

    def _fit_booster(self, X: pd.DataFrame, y: np.ndarray, train: np.ndarray, valid: np.ndarray,
                     extra: dict[str, Any] | None = None) -> float:
        """Fit the trees with early stopping on ``valid``; returns the best validation log loss."""
        params = self._params(extra)
        rounds = int(params.pop("n_estimators", 100))
        init = params.pop("init_score", None)
        self.init_model_ = None
        init_train = init_valid = None
        if init == "logistic":  # boost from the logistic regression's margin (experimental)
            self.init_model_ = LogisticBaseline(features=list(X.columns)).fit(X[train], y[train].astype(int))
            init_train, init_valid = self._init_margin(X[train]), self._init_margin(X[valid])
        train_set = self._dataset(X[train], y[train], init_score=init_train, free_raw_data=True)
        valid_set = self._dataset(X[valid], y[valid], init_score=init_valid, reference=train_set)
        booster = lgb.train(
            {**params, "metric": "binary_logloss"},
            train_set,
            num_boost_round=rounds,
            valid_sets=[valid_set],
            valid_names=["validation"],
            callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        best = booster.best_iteration or booster.current_iteration()
        # Keep only the trees up to the best iteration, in LightGBM's own text format.
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        self.best_iteration_ = int(best)
        return float(booster.best_score.get("validation", {}).get("binary_logloss", np.nan))

    def _stopping_folds(self, as_of: pd.Series, observed: np.ndarray, train: np.ndarray,
                        stop: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(train, stop)`` masks of the rolling early-stopping folds, the shipped split first.

        Fold ``j`` moves the early-stopping months ``j`` months back and trains on every
        observed month before them; a fold with fewer training months than early-stopping
        months is skipped. Every fold lies before the calibration months.
        """
        folds = [(train, stop)]
        stop_dates = np.sort(as_of[stop].unique())
        dates = np.sort(as_of[observed & (as_of < pd.Timestamp(stop_dates[-1])).to_numpy()].unique())
        n = len(stop_dates)
        last = int(np.searchsorted(dates, stop_dates[-1]))  # index of the last stop date in `dates`
        for j in range(1, max(1, int(self.stopping_folds))):
            end = last - j
            if end - n + 1 < n:  # fewer training months than early-stopping months
                break
            fold_dates = dates[end - n + 1:end + 1]
            fold_stop = observed & as_of.isin(fold_dates).to_numpy()
            fold_train = observed & (as_of < pd.Timestamp(fold_dates[0])).to_numpy()
            folds.append((fold_train, fold_stop))
        return folds

    def _fit_rolling(self, X: pd.DataFrame, y: np.ndarray, folds, extra: dict[str, Any] | None = None) -> float:
        """Number of trees from the mean early-stopping curve over ``folds``; the first fold's trees.

        Each fold is boosted for ``n_estimators`` rounds recording the monthly log loss of its
        early-stopping months; the number of trees minimises the mean of the curves (at least
        ``min_trees``), and the booster of the first fold (the shipped split) keeps that many.
        """
        params = self._params(extra)
        rounds = int(params.pop("n_estimators", 100))
        if params.pop("init_score", None) is not None:
            raise ConfigError("init_score='logistic' is an experiment of the single-split early stopping: "
                              "use stopping_folds=1 with it.")
        curves, boosters = [], []
        for fold_train, fold_stop in folds:
            record: dict = {}
            train_set = self._dataset(X[fold_train], y[fold_train], free_raw_data=True)
            valid_set = self._dataset(X[fold_stop], y[fold_stop], reference=train_set)
            booster = lgb.train({**params, "metric": "binary_logloss"}, train_set, num_boost_round=rounds,
                                valid_sets=[valid_set], valid_names=["validation"],
                                callbacks=[lgb.record_evaluation(record)])
            curves.append(np.asarray(record["validation"]["binary_logloss"], dtype="float64"))
            boosters.append(booster)
        mean = np.mean(np.vstack(curves), axis=0)
        best = int(np.clip(int(np.argmin(mean)) + 1, min(int(self.min_trees), rounds), rounds))
        self.init_model_ = None
        self.booster_ = lgb.Booster(model_str=boosters[0].model_to_string(num_iteration=best))
        self.best_iteration_ = best
        self.fold_best_iterations_ = [int(np.argmin(c)) + 1 for c in curves]
        return float(curves[0][best - 1])

    def _refit_hazard(self, X: pd.DataFrame, y: np.ndarray, rows: np.ndarray, cal: np.ndarray) -> None:
        """Boost again on ``rows`` with the chosen number of trees (no early stopping).

        ``refit="stopping"``: the early-stopping months train too and the Platt scaling is fitted
        again on the calibration months, still out of sample. ``refit="all"``: every observed
        month trains and the Platt scaling of the model before the refit is kept.
        """
        params = self._params(self._setting_params)
        params.pop("n_estimators", None)
        if params.pop("init_score", None) is not None:
            log.info("Not refitted: a model boosted from the logistic margin (an experiment) keeps its trees.")
            return
        booster = lgb.train(params, self._dataset(X[rows], y[rows], free_raw_data=True),
                            num_boost_round=self.best_iteration_)
        self.booster_ = lgb.Booster(model_str=booster.model_to_string())
        self.init_model_ = None
        if self.refit == "stopping":  # still before the calibration months: the Platt scaling is refitted
            thresholds, base = self.thresholds_, self.base_rate_
            self._calibrate(self._margin(X[cal]), y[cal])
            self.calibration_booster_ = self.booster_
            self.thresholds_, self.base_rate_ = thresholds, base

    def _match_level(self, X: pd.DataFrame, y: np.ndarray, as_of: pd.Series) -> None:
        """Move the Platt intercept so the mean monthly hazard of the latest ``level_months``
        observed months equals their exit rate (the slope stays the calibration months')."""
        observed = ~np.isnan(y)
        dates = np.sort(as_of[observed].unique())[-int(self.level_months):]
        rows = observed & as_of.isin(dates).to_numpy()
        margin, rate = self._margin_of(X, rows), float(y[rows].mean())
        a, b = self.calibration_
        lo, hi = b - 20.0, b + 20.0
        for _ in range(100):  # bisection: the mean hazard increases with the intercept
            mid = (lo + hi) / 2
            if np.mean(1.0 / (1.0 + np.exp(-(a * margin + mid)))) < rate:
                lo = mid
            else:
                hi = mid
        self.calibration_ = (a, float((lo + hi) / 2))

    def _fit_hazard_booster(self, X: pd.DataFrame, y: np.ndarray, train: np.ndarray, stop: np.ndarray,
                            folds=None) -> str:
        """One booster, or the best of ``lgbm_candidates`` by the early-stopping months' log loss."""
        candidates = list(self.lgbm_candidates or [])
        self._setting_params: dict[str, Any] = {}
        if folds is not None and len(folds) > 1 or self.min_trees:
            if candidates:
                raise ConfigError("lgbm_candidates is chosen on one early-stopping split: use it with "
                                  "stopping_folds=1 and min_trees=0.")
            self._fit_rolling(X, y, folds or [(train, stop)])
            return "default"
        if not candidates:
            self._fit_booster(X, y, train, stop)
            return "default"
        best = None
        for i, extra in enumerate(candidates):
            loss = self._fit_booster(X, y, train, stop, extra=dict(extra))
            log.info("  setting %d of %d %s: early-stopping log loss %.5f, %d trees", i + 1, len(candidates),
                     extra, loss, self.best_iteration_)
            if best is None or loss < best[0]:
                best = (loss, i, self.booster_, self.best_iteration_, self.init_model_)
        _, i, self.booster_, self.best_iteration_, self.init_model_ = best
        self._setting_params = dict(candidates[i])
        return f"candidate {i}: {json.dumps(candidates[i], sort_keys=True)}"

    def _calibrate(self, margin_valid: np.ndarray, y_valid: np.ndarray) -> None:
        platt = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
        platt.fit(margin_valid.reshape(-1, 1), y_valid)
        self.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        base_rate = float(y_valid.mean())
        bands = self.risk_bands or {"medium": 1.0, "high": 2.0}
        self.thresholds_ = {k: float(v * base_rate) for k, v in bands.items()}
        self.base_rate_ = base_rate

    def _evaluate(self, snapshots, X, y, train, valid, p_valid,
                  baselines: dict[str, float] | None = None) -> dict[str, float]:
        metrics = classification_metrics(y[valid], p_valid, prefix="valid_")
        metrics.update(classification_metrics(y[train], self._calibrated(self._margin_of(X, train)),
                                              prefix="train_"))
        metrics.update(self._baselines(snapshots, y, train, valid) if baselines is None else baselines)
        return metrics

    def _baselines(self, snapshots, y, train, valid) -> dict[str, float]:
        """The baselines' validation metrics of :meth:`_evaluate` (only the columns they read are copied)."""
        metrics: dict[str, float] = {}
        if "tenure_days" in snapshots.columns:
            tenure = TenureBaseline().fit(snapshots.loc[train, ["tenure_days"]], y[train])
            metrics.update(classification_metrics(y[valid], tenure.predict_risk(snapshots.loc[valid, ["tenure_days"]]),
                                                  prefix="baseline_valid_"))
        features = self.feature_names_in_  # the baselines' rows: only the columns they read
        lr = LogisticBaseline(features=features).fit(snapshots.loc[train, features], y[train])
        metrics.update(classification_metrics(y[valid], lr.predict_risk(snapshots.loc[valid, features]),
                                              prefix="lr_baseline_valid_"))
        metrics.update(classification_metrics(y[valid], np.full(int(valid.sum()), y[train].mean()),
                                              prefix="prior_baseline_valid_"))
        return metrics

    def fit(self, snapshots: pd.DataFrame, y=None) -> AttritionModel:
        """Fit on a snapshot frame with ``label`` and ``as_of`` columns.

        Rows with a missing label (censored) are ignored. The out-of-time
        split is computed once here and kept (``validation_dates_``).
        """
        partial = snapshots.attrs.get("partial_dates")
        if partial:
            raise ConfigError(
                f"These snapshots were built with partial rows (PartialRows): on {len(partial)} as-of "
                f"date(s) ({', '.join(partial[:3])}{' ...' if len(partial) > 3 else ''}) only some "
                "features were built, the others are missing. Fit on a full build: "
                "spec.build(tables) or attrition.build_snapshots(tables).")
        spec = self._fit_spec(snapshots)
        features = feature_columns(snapshots)
        protected = sorted(set(features) & set(PROTECTED_COLUMNS))
        if protected:  # pragma: no cover - feature_columns already drops them
            raise SchemaError(f"Protected attributes {protected} cannot be model features.")
        if not features:
            raise SchemaError("The snapshot frame has no feature columns.")
        self.feature_names_in_ = list(features)
        self.categories_ = {
            c: [str(v) for v in snapshots[c].cat.categories]
            for c in features
            if isinstance(snapshots[c].dtype, pd.CategoricalDtype)
        }
        self.spec_ = spec
        attrs = snapshots.attrs
        snapshots = bare_frame(snapshots)
        if spec.target == "attrition" and {"duration_days", "event"} <= set(snapshots.columns):
            self.kind_ = "hazard"
            return self._fit_hazard(snapshots)
        self.kind_ = "binary"
        labelled = snapshots["label"].notna()
        train, valid = out_of_time_split(snapshots["as_of"], labelled, spec.horizon_days,
                                         self.valid_months)
        y_all = snapshots["label"].to_numpy(dtype="float64")
        self._check_positives(y_all, train, valid)
        self._check_lgbm_params()
        # The baselines before the trees' matrix: their frames and it are never in memory together.
        baselines = self._baselines(snapshots, y_all, train, valid)
        X = self._fit_matrix(snapshots)
        self._fit_booster(X, y_all, train, valid)
        margin_valid = self._margin(X[valid])
        self._calibrate(margin_valid, y_all[valid])
        self.calibration_booster_ = self.booster_
        metrics = self._evaluate(snapshots, X, y_all, train, valid, self._calibrated(margin_valid),
                                 baselines=baselines)
        self.metrics_ = metrics
        as_of = pd.to_datetime(snapshots["as_of"])
        self.validation_dates_ = sorted(f"{d:%Y-%m-%d}" for d in as_of[valid].unique())
        state_seen = self._state_model_seen(spec, as_of[valid].min())
        self.training_summary_ = {
            "train_first_as_of": f"{as_of[train].min():%Y-%m-%d}",
            "train_last_as_of": f"{as_of[train].max():%Y-%m-%d}",
            "valid_first_as_of": f"{as_of[valid].min():%Y-%m-%d}",
            "valid_last_as_of": f"{as_of[valid].max():%Y-%m-%d}",
            "n_train": int(train.sum()),
            "n_valid": int(valid.sum()),
            "n_censored": int((~labelled).sum()),
            "best_iteration": self.best_iteration_,
            "horizon_days": int(spec.horizon_days),
            "observed_from": attrs.get("observed_from"),
            "export_time_features": [f for f in attrs.get("export_time_features", [])
                                     if f in self.feature_names_in_],
        }
        if state_seen is not None:
            self.training_summary_["state_model_fit_last_as_of"] = state_seen
        self._report_fit()
        return self

    def _state_model_seen(self, spec: SnapshotSpec, first_valid: pd.Timestamp) -> str | None:
        """The last month end the quiet-quitting state model was fitted on; warns when it reaches
        into the validation months (their labels then read a state fitted on them)."""
        if spec.target != "quiet_quitting":
            return None
        model = spec.quiet_quitting_definition().state_model or {}
        last = model.get("fit_last_as_of")
        if last is not None and pd.Timestamp(last) >= first_valid:
            log.warning(
                "%s: the quiet-quitting state model was fitted on month ends up to %s, into the "
                "validation months (from %s): the validation metrics read a state fitted on them. "
                "Relabel with spec.relabel(snapshots, tables, state_fit_before=validation_start(...)) "
                "as `attrition train` does.", self._what(), last, f"{first_valid:%Y-%m-%d}")
        return last

    def _report_fit(self) -> None:
        metrics = self.metrics_
        log.info("%s: validation ROC AUC %.3f (tenure-only baseline %.3f), %d trees", self._what(),
                 metrics["valid_roc_auc"], metrics.get("baseline_valid_roc_auc", float("nan")),
                 self.best_iteration_)
        lr_auc = metrics.get("lr_baseline_valid_roc_auc", float("nan"))
        if lr_auc > metrics["valid_roc_auc"]:
            warnings.warn(
                f"{self._what()}: the logistic-regression baseline on the same features beats the "
                f"model on the validation months (ROC AUC {lr_auc:.3f} vs {metrics['valid_roc_auc']:.3f}). "
                "Check with `attrition backtest` whether the gap holds across origins before "
                "relying on the LightGBM model.",
                DataQualityWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------- hazard model
    def _hazard_split(self, as_of: pd.Series, y_month: np.ndarray, y_horizon: np.ndarray):
        """Masks of training, early-stopping and calibration rows (see the module docs).

        The early-stopping months are the latest with a known horizon outcome
        before the calibration months; their validation outcomes are purged of
        the calibration months' exits (:meth:`_evaluate_hazard`). With
        ``purge_gap``, they are instead the latest whose whole ``horizon_days``
        window ends on or before the first calibration month, and the months
        in between train nothing; a history too short for that gap falls back
        to the default layout, with a warning.
        """
        n_cal = int(self.valid_months)
        n_stop = int(self.stopping_months if self.stopping_months is not None else self.valid_months)
        month_dates = np.sort(as_of[~np.isnan(y_month)].unique())
        if len(month_dates) < n_cal + n_stop + 1:
            raise InsufficientDataError(
                f"Need as-of dates with an observed next month on at least {n_cal + n_stop + 1} month "
                f"ends (training, {n_stop} early-stopping and {n_cal} calibration months), found "
                f"{len(month_dates)}. Provide a longer history (a year or more), or fewer validation months."
            )
        cal_dates = month_dates[-n_cal:]
        first_cal = pd.Timestamp(cal_dates[0])
        horizon = pd.Timedelta(days=self.horizon_days)
        known = ~np.isnan(y_horizon)
        purged = np.sort(as_of[known & (as_of + horizon <= first_cal).to_numpy()].unique())
        # at least as many training months as early-stopping ones before the first stop date
        gap = bool(self.purge_gap) and len(purged) >= n_stop \
            and int((month_dates < purged[-n_stop]).sum()) >= max(n_stop, 1)
        if gap:
            stop_dates = purged[-n_stop:]
        else:
            horizon_dates = np.sort(as_of[known & (as_of < first_cal).to_numpy()].unique())
            stop_dates = (horizon_dates[-n_stop:] if len(horizon_dates) >= n_stop + 1
                          else month_dates[-(n_cal + n_stop):-n_cal])
            if self.purge_gap:
                warnings.warn(
                    f"{self._what()}: the history is too short for a {self.horizon_days}-day gap between the "
                    "early-stopping and the calibration months: the early-stopping months are the latest "
                    "before the calibration ones, and their validation outcomes are purged of the calibration "
                    "months' exits instead.", DataQualityWarning, stacklevel=4)
        first_stop = pd.Timestamp(stop_dates[0])
        observed = ~np.isnan(y_month)
        cal = observed & as_of.isin(cal_dates).to_numpy()
        stop = observed & as_of.isin(stop_dates).to_numpy()
        train = observed & (as_of < first_stop).to_numpy()  # each month ends by the first stop date
        if not train.any():
            raise InsufficientDataError(
                f"No training rows before the early-stopping months ({first_stop:%Y-%m-%d}). Provide "
                "a longer history, or fewer validation months.")
        return train, stop, cal, gap

    def _check_hazard_options(self) -> None:
        if self.refit not in (None, "stopping", "all"):
            raise ConfigError(f"refit must be None, 'stopping' or 'all', got {self.refit!r}.")
        for name, low in (("stopping_folds", 1), ("min_trees", 0)):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < low:
                raise ConfigError(f"{name} must be a whole number of at least {low}, got {value!r}.")
        if self.level_months is not None and (not isinstance(self.level_months, int | np.integer)
                                              or self.level_months < 1):
            raise ConfigError(f"level_months must be None or a whole number of at least 1, "
                              f"got {self.level_months!r}.")

    def _fit_hazard(self, snapshots: pd.DataFrame) -> AttritionModel:
        self._check_hazard_options()
        as_of = pd.to_datetime(snapshots["as_of"]).dt.normalize()
        y_month = monthly_label(as_of, snapshots["duration_days"], snapshots["event"])
        y_h = snapshots["label"].to_numpy(dtype="float64")
        train, stop, cal, gap = self._hazard_split(as_of, y_month, y_h)
        # Monthly events are a third of 90-day ones: a Platt fit of two numbers needs a dozen.
        self._check_positives(y_month, train, cal, warn_below=12, second="calibration",
                              stacklevel=4)
        # The learning rate when none is set, from the training rows (the refit boosts at it too).
        self._default_rate, rule = _hazard_learning_rate(int(train.sum()))
        self._check_lgbm_params()
        log.info("%s: learning rate %s%s", self._what(), self._learning_rate_reason(rule, {}),
                 " (unless an lgbm_candidates entry chosen below sets one)" if self.lgbm_candidates else "")
        # The baselines before the trees' matrix: their frames and it are never in memory together.
        baselines = self._hazard_baselines(snapshots, y_h, stop, cal)
        X = self._fit_matrix(snapshots)
        folds = self._stopping_folds(as_of, ~np.isnan(y_month), train, stop)
        setting = self._fit_hazard_booster(X, y_month, train, stop, folds)
        self._calibrate(self._margin(X[cal]), y_month[cal])
        self.calibration_booster_ = self.booster_  # trained before the calibration months
        # Bands against the horizon's observed base rate on the early-stopping months, when known.
        known = stop & ~np.isnan(y_h)
        # The early-stopping rows' hazard curve, once: their risk here, the validation metrics below.
        stop_curve = self._prepared_hazards(X[stop], self._curve_months(), own=True)
        p_stop = risk_at(stop_curve, self.horizon_days)
        base = float(y_h[known].mean()) if known.any() else float(p_stop.mean())
        bands = self.risk_bands or {"medium": 1.0, "high": 2.0}
        self.thresholds_ = {k: float(v * base) for k, v in bands.items()}
        self.base_rate_ = base
        self.metrics_ = self._evaluate_hazard(snapshots, X, y_month, y_h, train, stop, cal,
                                              stop_curve=stop_curve, baselines=baselines)
        if self.refit:
            self._refit_hazard(X, y_month, train | stop | (cal if self.refit == "all" else False), cal)
        if self.level_months:
            self._match_level(X, y_month, as_of)
        self.validation_dates_ = sorted(f"{d:%Y-%m-%d}" for d in as_of[stop].unique())
        self.calibration_dates_ = sorted(f"{d:%Y-%m-%d}" for d in as_of[cal].unique())
        self.training_summary_ = {
            "model": "monthly hazard",
            "train_first_as_of": f"{as_of[train].min():%Y-%m-%d}",
            "train_last_as_of": f"{as_of[train].max():%Y-%m-%d}",
            "valid_first_as_of": f"{as_of[stop].min():%Y-%m-%d}",
            "valid_last_as_of": f"{as_of[stop].max():%Y-%m-%d}",
            "calibration_first_as_of": self.calibration_dates_[0],
            "calibration_last_as_of": self.calibration_dates_[-1],
            "n_train": int(train.sum()),
            "n_valid": int((stop & ~np.isnan(y_h)).sum()),  # the rows validation_mask selects
            "n_calibration": int(cal.sum()),
            "n_censored": int(np.isnan(y_month).sum()),
            "purge_gap": bool(gap),
            "setting": setting,
            "learning_rate": float(self._params(self._setting_params)["learning_rate"]),
            "learning_rate_reason": self._learning_rate_reason(rule, self._setting_params),
            "train_events": int(np.nansum(y_month[train])),
            "best_iteration": self.best_iteration_,
            "stopping_folds": len(folds),
            "refit": self.refit,
            "refit_last_as_of": (f"{as_of[cal if self.refit == 'all' else stop].max():%Y-%m-%d}"
                                 if self.refit else None),
            "level_months": self.level_months,
            "monotone": self._monotone_in_force(),
            "horizon_days": int(self.spec_.horizon_days),
            "horizons": [int(d) for d in self.spec_.horizons],
        }
        self._report_fit()
        return self

    def _learning_rate_reason(self, rule: str, setting: Mapping[str, Any]) -> str:
        """Why the hazard model boosts at its learning rate: ``lgbm_params``, the chosen
        ``lgbm_candidates`` entry, else ``rule`` (the training rows, :data:`HAZARD_LARGE_ROWS`)."""
        rate = self._params(dict(setting))["learning_rate"]
        if "learning_rate" in (self.lgbm_params or {}):
            return f"{rate:g}: set in lgbm_params"
        if "learning_rate" in setting:
            return f"{rate:g}: set in the chosen lgbm_candidates entry"
        return rule

    def _purged_outcomes(self, snapshots, y_h, stop, cal):
        """``(valid, fit_rows, window, y_w)`` of :meth:`_evaluate_hazard`: the validation rows, the
        baselines' rows, each validation row's window and its outcome within it."""
        as_of = pd.to_datetime(snapshots["as_of"])
        valid = stop & ~np.isnan(y_h)
        first_stop = as_of[stop].min()
        fit_rows = ~np.isnan(y_h) & (as_of + pd.Timedelta(days=self.horizon_days) <= first_stop).to_numpy()
        first_cal = as_of[cal].min()
        window = np.minimum(float(self.horizon_days),
                            ((first_cal - as_of[valid]).dt.days).to_numpy(dtype="float64"))
        dur = snapshots["duration_days"].to_numpy(dtype="float64")[valid]
        event = snapshots["event"].to_numpy(dtype="float64")[valid]
        y_w = np.where((event == 1) & (dur <= window), 1.0, 0.0)
        return valid, fit_rows, window, y_w

    def _hazard_baselines(self, snapshots, y_h, stop, cal) -> dict[str, float]:
        """The baselines' metrics of :meth:`_evaluate_hazard` (empty when it scores none): fitted on
        the rows whose horizon ended before the early-stopping months, their horizon risks scaled
        to each validation row's window. Only the columns they read are copied."""
        valid, fit_rows, window, y_w = self._purged_outcomes(snapshots, y_h, stop, cal)
        if not (valid.any() and len(np.unique(y_w)) == 2 and fit_rows.any()
                and len(np.unique(y_h[fit_rows])) == 2):
            return {}

        def scaled(risk: np.ndarray) -> np.ndarray:  # a horizon risk over each row's window
            r = np.clip(np.asarray(risk, dtype="float64"), 0.0, 1.0 - 1e-12)
            return -np.expm1(np.log1p(-r) * window / float(self.horizon_days))

        metrics: dict[str, float] = {}
        if "tenure_days" in snapshots.columns:
            tenure = TenureBaseline().fit(snapshots.loc[fit_rows, ["tenure_days"]], y_h[fit_rows])
            metrics.update(classification_metrics(
                y_w, scaled(tenure.predict_risk(snapshots.loc[valid, ["tenure_days"]])), prefix="baseline_valid_"))
        features = self.feature_names_in_
        lr = LogisticBaseline(features=features).fit(snapshots.loc[fit_rows, features], y_h[fit_rows])
        metrics.update(classification_metrics(y_w, scaled(lr.predict_risk(snapshots.loc[valid, features])),
                                              prefix="lr_baseline_valid_"))
        metrics.update(classification_metrics(
            y_w, scaled(np.full(int(valid.sum()), y_h[fit_rows].mean())), prefix="prior_baseline_valid_"))
        return metrics

    def _evaluate_hazard(self, snapshots, X, y_month, y_h, train, stop, cal,
                         stop_curve: np.ndarray | None = None,
                         baselines: dict[str, float] | None = None) -> dict[str, float]:
        """The horizon risk on the early-stopping months (and the baselines fitted on the
        rows whose horizon ended before them); the monthly hazard on the calibration months.

        Purged of the calibration months: a validation row's outcome counts the exits up to the
        first calibration month only (its window is ``min(horizon_days, days to it)``), and the
        risks compared are those of the same window, read off the curve (the baselines' horizon
        risks scaled to it at a constant hazard). Exits the Platt scaling was fitted on are never
        scored. With the purge gap (every window ends by then) this is the plain horizon outcome.
        """
        valid, _, window, y_w = self._purged_outcomes(snapshots, y_h, stop, cal)
        metrics: dict[str, float] = {"valid_window_days_mean": float(window.mean()) if len(window) else float("nan")}
        if valid.any() and len(np.unique(y_w)) == 2:
            hazards = (stop_curve[valid[stop]] if stop_curve is not None
                       else self._prepared_hazards(X[valid], self._curve_months(), own=True))
            p_w = np.empty(len(window))
            for w in np.unique(window):
                at = window == w
                p_w[at] = risk_at(hazards[at], w)
            metrics.update(classification_metrics(y_w, p_w, prefix="valid_"))
            metrics.update(self._hazard_baselines(snapshots, y_h, stop, cal) if baselines is None else baselines)
        hazard_cal = self._calibrated(self._margin(X[cal]))
        metrics.update(classification_metrics(y_month[cal], hazard_cal, prefix="calibration_month_"))
        metrics.update(classification_metrics(y_month[train], self._calibrated(self._margin_of(X, train)),
                                              prefix="train_month_"))
        metrics.setdefault("valid_roc_auc", metrics["calibration_month_roc_auc"])
        return metrics

    def _hazards(self, X: pd.DataFrame, months: int) -> np.ndarray:
        return self._prepared_hazards(self._input(X), months, own=True)

    def _input(self, X: pd.DataFrame) -> pd.DataFrame | np.ndarray:
        """What the trees predict ``X`` from: its design matrix (:meth:`design`), or the prepared
        frame for a model boosted from the logistic margin (its regression reads a frame)."""
        return self.prepare(X) if getattr(self, "init_model_", None) is not None else self.design(X)

    def _prepared_hazards(self, prepared: pd.DataFrame | np.ndarray, months: int, *, own: bool = False) -> np.ndarray:
        """The calibrated monthly hazards of an already prepared matrix (:meth:`prepare`, or the
        float matrix of :meth:`design`; ``own``: a matrix not used afterwards, read in place)."""
        cols = [self._calibrated(m) for m in self._monthly_margins(prepared, months, own=own)]
        return np.column_stack(cols) if cols else np.empty((len(prepared), 0))

    def _monthly_margins(self, prepared: pd.DataFrame | np.ndarray, months: int, *,
                         own: bool = False) -> list[np.ndarray]:
        """``self._margin(advance_tenure(prepared, j * MONTH_DAYS))`` for ``j < months``, bit for bit,
        the trees' part at about the cost of one prediction (:func:`monthly_raw_scores`)."""
        init = getattr(self, "init_model_", None) is not None  # it reads prepared again below
        raw = monthly_raw_scores(self.booster_, prepared, months, own=own and not init)
        margins = [np.ascontiguousarray(raw[j]) for j in range(int(months))]
        if init:  # the logistic margin moves with tenure too
            margins = [m + self._init_margin(advance_tenure(prepared, j * MONTH_DAYS))
                       for j, m in enumerate(margins)]
        return margins

    def _curve_months(self) -> int:
        longest = max([self.horizon_days, *self._spec().horizons])
        return max(CURVE_MONTHS, int(np.ceil(longest / MONTH_DAYS - 1e-9)))

    def _check_hazard(self) -> None:
        self._check_fitted()
        if getattr(self, "kind_", "binary") != "hazard":
            raise ConfigError(
                f"This {self._what().lower()} predicts a label within {self.horizon_days} days, not a "
                "survival curve: only the attrition target is fitted as a monthly hazard model. Use "
                "predict_risk.")

    def predict_hazard(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated monthly hazards of a voluntary exit, shape ``(n, 12)``.

        Column ``j`` is the probability of leaving voluntarily in month ``j +
        1`` after the as-of date, given employment at its start: the
        features at the as-of date with tenure advanced by ``j`` months.
        """
        self._check_hazard()
        return self._hazards(X, CURVE_MONTHS)

    def predict_survival(self, X: pd.DataFrame) -> np.ndarray:
        """Risk of a voluntary exit within 1, 2, ..., 12 months, shape ``(n, 12)``.

        Column ``k - 1`` is ``1 - prod_{j <= k} (1 - hazard_j)``: non-decreasing
        along the months by construction (net of competing exits).
        """
        return cumulative_risk(self.predict_hazard(X))

    def predict_horizons(self, X: pd.DataFrame, horizons=None) -> pd.DataFrame:
        """``attrition_risk_<d>d`` for each horizon (default ``spec_.horizons``), aligned to ``X``."""
        self._check_hazard()
        days = [int(d) for d in (horizons if horizons is not None else self.spec_.horizons)]
        months = max(CURVE_MONTHS, int(np.ceil(max(days) / MONTH_DAYS - 1e-9)))
        h = self._hazards(X, months)
        return pd.DataFrame({f"attrition_risk_{d}d": risk_at(h, d) for d in days}, index=X.index)

    def expected_months_to_exit(self, X: pd.DataFrame) -> np.ndarray:
        """Expected months to a voluntary exit (the 12th month's hazard continuing afterwards)."""
        return expected_months(self.predict_hazard(X))

    # -------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError(
                "This AttritionModel is not fitted yet. Call fit(snapshots) or load a trained "
                "model with attrition.load_model(uri)."
            )

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's input matrix: ``X``'s features in training order, categories as in training.

        Raises :class:`SchemaError` (a readable diff of the column lists) when a
        feature the model was trained on is missing.
        """
        self._check_columns(X)
        out = X.loc[:, self.feature_names_in_].copy()
        out.attrs = {}  # a bare matrix: pandas deep-copies attrs on every column access
        for col, cats in self.categories_.items():
            out[col] = _as_categories(out[col], cats)
        float64 = np.dtype("float64")
        for col in out.columns:  # a float64 column is already what this makes of it (a copy, above)
            if col not in self.categories_ and out[col].dtype != float64:
                out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
        return out

    def _check_columns(self, X: pd.DataFrame) -> None:
        """A :class:`SchemaError` (a readable diff of the column lists) when a feature is missing."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            extra = sorted(set(feature_columns(X)) - set(self.feature_names_in_))
            raise SchemaError(
                "The features differ from those the model was trained on.\n"
                f"  missing ({len(missing)}): {', '.join(missing[:20])}"
                + (" ..." if len(missing) > 20 else "")
                + (f"\n  new, ignored ({len(extra)}): {', '.join(extra[:20])}" if extra else "")
                + "\nBuild the scoring frame from the same tables (e.g. a table present at training "
                "is missing now) and the same windows as training.",
                column=missing[0],
                n_rows=len(X),
            )

    def design(self, X: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
        """The float matrix LightGBM makes of ``self.prepare(X)`` (of its rows ``rows``), built once.

        LightGBM converts a data frame to a dense float64 matrix on every ``predict`` and
        ``Dataset`` (categories as their codes in training order, an unknown or missing one NaN);
        this is that matrix, value for value, built column by column without the prepared frame:
        the trees see the same numbers from it, and the model fits and predicts the row subsets
        of one matrix instead of converting a frame each time.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with the model's features (other columns are ignored).
        rows : numpy.ndarray of bool, optional
            Only these rows of ``X`` (default all).

        Returns
        -------
        numpy.ndarray
            Shape ``(rows, features)``, float64, column-major (what LightGBM's own conversion
            gives: it reads it without a copy).
        """
        self._check_columns(X)
        if rows is not None:
            rows = np.asarray(rows)
            if rows.dtype != np.bool_ or rows.shape != (len(X),):
                raise ValueError(f"rows must be a boolean mask of the {len(X)} rows of X, got an "
                                 f"array of {rows.dtype} with shape {rows.shape}.")
        n = len(X) if rows is None else int(np.count_nonzero(rows))
        out = np.empty((len(self.feature_names_in_), n), dtype="float64")
        for j, col in enumerate(self.feature_names_in_):
            values = X[col] if rows is None else X[col][rows]
            if col in self.categories_:
                codes = _as_categories(values, self.categories_[col]).codes
                out[j] = codes
                out[j][codes == -1] = np.nan
            elif values.dtype == np.dtype("float64"):
                out[j] = values.to_numpy()
            else:
                out[j] = pd.to_numeric(values, errors="raise").astype("float64").to_numpy()
        return out.T

    def _init_margin(self, X: pd.DataFrame) -> np.ndarray:
        p = np.clip(self.init_model_.predict_risk(X), 1e-9, 1 - 1e-9)
        return np.log(p) - np.log1p(-p)

    def _margin(self, X: pd.DataFrame) -> np.ndarray:
        raw = np.asarray(self.booster_.predict(X, raw_score=True), dtype="float64")
        if getattr(self, "init_model_", None) is not None:
            raw = raw + self._init_margin(X)
        return raw

    def _margin_of(self, X: pd.DataFrame | np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``self._margin(X[rows])``, predicted :data:`PREDICT_ROWS` rows at a time (each row's
        score is the same: only the copy of the selected rows is smaller)."""
        at = np.flatnonzero(rows)
        if len(at) <= PREDICT_ROWS or not isinstance(X, np.ndarray):
            return self._margin(X[rows])
        return np.concatenate([self._margin(X[at[i:i + PREDICT_ROWS]]) for i in range(0, len(at), PREDICT_ROWS)])

    def _fit_matrix(self, snapshots: pd.DataFrame) -> pd.DataFrame | np.ndarray:
        """What fit trains on: the design matrix (:meth:`design`), or the prepared frame when the
        trees are boosted from the logistic margin (``init_score``, an experiment: its regression
        reads a frame)."""
        settings = [self.lgbm_params or {}, *(self.lgbm_candidates or [])]
        if any(isinstance(d, Mapping) and d.get("init_score") is not None for d in settings):
            return self.prepare(snapshots)
        return self.design(snapshots)

    def _dataset(self, X: pd.DataFrame | np.ndarray, label: np.ndarray, **kwargs) -> lgb.Dataset:
        """``lgb.Dataset(X, label=label, **kwargs)`` of a prepared frame or its design matrix: the
        matrix gets the frame's feature names, categorical columns and categories (its
        ``pandas_categorical``, saved in the model text), so the Dataset and the trees are the same."""
        if isinstance(X, pd.DataFrame):
            return lgb.Dataset(X, label=label, **kwargs)
        data = lgb.Dataset(X, label=label, feature_name=list(self.feature_names_in_),
                           categorical_feature=list(self.categories_), **kwargs)
        data.pandas_categorical = [list(c) for c in self.categories_.values()]
        return data

    def _calibrated(self, margin: np.ndarray) -> np.ndarray:
        a, b = self.calibration_
        return 1.0 / (1.0 + np.exp(-(a * margin + b)))

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the target (a voluntary exit, or entering the
        quiet-quitting state) within the horizon."""
        self._check_fitted()
        if getattr(self, "kind_", "binary") == "hazard":
            # only the months the horizon covers: the later ones of the curve do not count
            return risk_at(self._hazards(X, risk_months(self.horizon_days)), self.horizon_days)
        return self._calibrated(self._margin(self._input(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[[1 - risk, risk], ...]`` (scikit-learn convention)."""
        risk = self.predict_risk(X)
        return np.column_stack([1.0 - risk, risk])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the risk is in the ``high`` band, else 0."""
        return (self.predict_risk(X) >= self.thresholds_["high"]).astype(int)

    def contributions(self, X: pd.DataFrame, *, risk: np.ndarray | None = None) -> pd.DataFrame:
        """Exact TreeSHAP contributions on the calibrated log-odds scale.

        Uses LightGBM's own TreeSHAP (``pred_contrib=True``; for many rows the
        same numbers bit for bit from :func:`attrition.models._treeshap.pred_contrib`,
        once per decision pattern), scaled by the
        Platt slope, so for every row ``bias + sum(contributions)`` equals the
        calibrated logit of :meth:`predict_risk`. ``risk``: ``predict_risk(X)``
        when the caller already has it (the hazard model rescales to it; it is
        not predicted again).

        Returns
        -------
        pandas.DataFrame
            One column per feature plus ``bias``, aligned to ``X``'s index.
        """
        self._check_fitted()
        prepared = self.prepare(X)
        raw = pred_contrib(self.booster_, prepared)  # LightGBM's TreeSHAP, bit for bit, per pattern
        a, b = self.calibration_
        contrib = raw * a
        contrib[:, -1] += b
        if getattr(self, "kind_", "binary") == "hazard":
            if risk is None:
                risk = risk_at(self._prepared_hazards(prepared, risk_months(self.horizon_days)), self.horizon_days)
            contrib = self._horizon_scale(contrib, risk)
        return pd.DataFrame(contrib, columns=[*self.feature_names_in_, "bias"], index=X.index)

    def _horizon_scale(self, contrib: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """Hazard log-odds contributions restated on the log-odds of the horizon risk ``risk``.

        TreeSHAP is exact on the monthly hazard's calibrated logit ``z = bias +
        sum(phi)`` at the as-of date. Two things take that to the risk within
        the horizon, ``logit(risk)``:

        * **The horizon.** Held for the whole horizon, the hazard ``sigmoid(z)``
          gives the horizon log-odds ``H(z)`` (``H`` increasing). Every
          feature's contribution is multiplied by one positive factor per row,
          ``(H(z) - H(bias)) / (z - bias)`` (the slope of ``H`` between the
          two; ``H'(z)`` when they coincide), and the bias becomes ``H(bias)``:
          signs and proportions stay the hazard's, and the factor lies between
          the smallest and the largest slope of ``H`` (about 1 to the number of
          months).
        * **The months ahead.** Along the curve tenure grows (the other
          features keep their as-of values), so ``logit(risk)`` differs from
          ``H(z)``; that difference is tenure's doing and is added to the
          tenure measure (``tenure_days``, else ``log_tenure`` or
          ``early_tenure``; the bias when the model has none of them).

        So ``bias + sum = logit(risk)`` for every row, and the drivers'
        probability points are points of the horizon risk. (Scaling the whole
        difference onto the features instead, as before, flipped every sign of
        a row whose months ahead moved the risk against its features and blew
        the points up where the features summed to almost nothing.)
        """
        m = self.horizon_days / MONTH_DAYS
        bias = contrib[:, -1]
        z = contrib.sum(axis=1)
        r = np.clip(np.asarray(risk, dtype="float64"), 1e-12, 1 - 1e-12)
        target = np.log(r) - np.log1p(-r)
        new_bias = horizon_logit(bias, m)
        at_z = horizon_logit(z, m)
        dz = z - bias
        eps = 1e-6
        slope = (horizon_logit(z + eps, m) - horizon_logit(z - eps, m)) / (2 * eps)
        # H is increasing, so the secant slope is positive; where z and bias (nearly) coincide
        # or rounding leaves a secant of the wrong sign, the slope at z stands in.
        with np.errstate(invalid="ignore", divide="ignore"):
            secant = (at_z - new_bias) / dz
        factor = np.where((np.abs(dz) < 1e-6) | ~(secant > 0), slope, secant)
        out = contrib * factor[:, None]
        out[:, -1] = new_bias
        ahead = target - out.sum(axis=1)  # the months ahead: tenure advancing along the curve
        tenure = next((self.feature_names_in_.index(c) for c in TENURE_COLUMNS
                       if c in self.feature_names_in_), None)
        out[:, -1 if tenure is None else tenure] += ahead
        return out

    # ------------------------------------------------------------ persist
    def save(self, path: str | Path) -> Path:
        """Save to folder ``path``: ``booster.txt`` (LightGBM text) and ``model.json``."""
        self._check_fitted()
        if getattr(self, "init_model_", None) is not None:
            raise ConfigError(
                "A model boosted from the logistic margin (lgbm_params init_score='logistic', an "
                "experiment of benchmarks/lgbm_settings.py) cannot be saved: its logistic part is not "
                "stored. Drop init_score to train a model you can save and register.")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(path / "booster.txt"))
        meta = {
            "format_version": _FORMAT_VERSION,
            "params": {k: v for k, v in self.get_params().items() if k != "spec"},
            "feature_names_in": self.feature_names_in_,
            "categories": self.categories_,
            "calibration": list(self.calibration_),
            "thresholds": self.thresholds_,
            "base_rate": self.base_rate_,
            "best_iteration": self.best_iteration_,
            "metrics": self.metrics_,
            "training_summary": self.training_summary_,
            "spec": None if self.spec_ is None else self.spec_.to_dict(),
            "validation_dates": list(getattr(self, "validation_dates_", [])),
            "kind": getattr(self, "kind_", "binary"),
            "calibration_dates": list(getattr(self, "calibration_dates_", [])),
        }
        (path / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> AttritionModel:
        """Load a model saved with :meth:`save` (no pickle involved)."""
        path = Path(path)
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        if meta.get("format_version") not in _READABLE_FORMATS:
            raise ModelNotFoundError(
                f"{path} holds an attrition model of format {meta.get('format_version')!r}; this "
                f"version of attrition reads format {_FORMAT_VERSION}. Retrain, or install the "
                "attrition version that trained it."
            )
        model = cls(**meta["params"])
        model.booster_ = lgb.Booster(model_file=str(path / "booster.txt"))
        model.feature_names_in_ = meta["feature_names_in"]
        model.categories_ = meta["categories"]
        _check_saved_booster(model.booster_, model.feature_names_in_, model.categories_, path)
        model.calibration_ = tuple(meta["calibration"])
        model.thresholds_ = meta["thresholds"]
        model.base_rate_ = meta["base_rate"]
        model.best_iteration_ = meta["best_iteration"]
        model.metrics_ = meta["metrics"]
        model.training_summary_ = meta["training_summary"]
        if meta.get("kind", "binary") == "hazard" and "learning_rate" in model.training_summary_:
            # the rate the trees were boosted with, which _params() reports (older folders: 0.05)
            model._default_rate = float(model.training_summary_["learning_rate"])
        model.spec_ = None if meta["spec"] is None else SnapshotSpec.from_dict(meta["spec"])
        model.spec = model.spec_
        model.validation_dates_ = list(meta.get("validation_dates", []))
        model.kind_ = meta.get("kind", "binary")
        model.calibration_dates_ = list(meta.get("calibration_dates", []))
        return model

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        if not hasattr(self, "booster_"):
            return super().__repr__(N_CHAR_MAX)
        s = self.training_summary_
        if s.get("mode") == "flat":
            return (
                f"<AttritionModel (flat table): {len(self.feature_names_in_)} features, {self.best_iteration_} "
                f"trees, setting {s['setting']}, {s['n_rows']} rows, {s['validation']} "
                f"(ROC AUC {self.metrics_.get('cv_roc_auc', float('nan')):.3f})>"
            )
        return (
            f"<AttritionModel{'' if self.target == 'attrition' else ' (' + self.target + ')'}: "
            f"{len(self.feature_names_in_)} features, {self.best_iteration_} trees, "
            f"horizon {s['horizon_days']} days, trained on {s['train_first_as_of']}..{s['train_last_as_of']} "
            f"({s['n_train']} rows), validated on {s['valid_first_as_of']}..{s['valid_last_as_of']} "
            f"(ROC AUC {self.metrics_.get('valid_roc_auc', float('nan')):.3f})>"
        )
