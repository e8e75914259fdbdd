"""Flat-table survival: a duration and an event instead of a yes/no column.

An HR extract often holds, per employee, how long they have been (or were)
employed and whether that spell ended in a voluntary exit — a right-censored
survival table. :func:`fit_survival_table` trains a
:class:`FlatSurvivalModel` on it and gives the risk of a voluntary exit
within each horizon (``attrition_risk_6m``, ``attrition_risk_12m`` ...).

The model: a discrete-time hazard model with LightGBM
    The time axis up to the last horizon is cut into bins (one per month, or
    about twelve, plus an edge at every horizon). Each employee becomes one
    row per bin they entered (person-period data): label 1 in the bin of a
    voluntary exit, 0 in the bins survived. A spell censored inside a bin
    counts half (the actuarial convention); a spell longer than the last
    horizon is censored there. LightGBM fits the conditional exit
    probability ``h(bin | x)`` with the bin's start as one more feature (so
    the baseline hazard and its interactions are learnt); the risk within
    ``H`` is ``1 - prod(1 - h)`` over the bins up to ``H``, non-decreasing in
    ``H`` by construction. The number of trees is chosen by early stopping
    on inner folds grouped by employee.

Metrics
    Cross-validated (K folds stratified on the event, grouped by row) Harrell
    concordance of the model's risk at the last horizon, beside a ridge Cox
    proportional-hazards model (scikit-survival) on the same columns (numbers
    imputed and scaled, categories one-hot); and per horizon the mean
    predicted risk against the Kaplan–Meier estimate on the test folds
    (calibration in the large). Not out-of-time figures: a flat table has no
    time axis.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> n = 400
>>> df = pd.DataFrame({"id": range(n), "night": rng.choice(["yes", "no"], n)})
>>> rate = np.where(df["night"] == "yes", 0.08, 0.02)
>>> t = rng.exponential(1 / rate)
>>> df["months"] = np.minimum(t, 18).round(1)
>>> df["left"] = (t <= 18).astype(int)
>>> fit = fit_survival_table(df, "months", "left", id_column="id", horizons=(3, 12), cv_splits=2)
>>> risk = fit.model.predict_horizons(df)
>>> list(risk.columns)
['attrition_risk_3m', 'attrition_risk_12m']
>>> bool((risk["attrition_risk_12m"] >= risk["attrition_risk_3m"]).all())
True
>>> bool(risk.loc[df["night"] == "yes", "attrition_risk_12m"].mean()
...      > risk.loc[df["night"] == "no", "attrition_risk_12m"].mean())
True
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import concordance_index_censored
from sksurv.nonparametric import kaplan_meier_estimator

from attrition.exceptions import (
    ConfigError,
    DataQualityWarning,
    InsufficientDataError,
    ModelNotFoundError,
    NotFittedError,
    SchemaError,
    format_examples,
)
from attrition.models._flat import FLAT_PROTECTED, _check_ids, _target, flat_features
from attrition.models._model import with_monotone_list

__all__ = ["FlatSurvivalModel", "FlatSurvivalFit", "fit_survival_table", "survival_target",
           "kaplan_meier", "DURATION_UNITS", "DEFAULT_HORIZONS"]

log = logging.getLogger(__name__)

#: Units of ``--duration-unit`` and their suffix in ``attrition_risk_<H><suffix>``.
DURATION_UNITS: dict[str, str] = {"months": "m", "days": "d"}
#: Horizons used when none are given, per unit.
DEFAULT_HORIZONS: dict[str, tuple[int, ...]] = {"months": (3, 6, 12), "days": (90, 180, 365)}
_BIN = "_duration_bin"
_FORMAT = "flat_survival/1"

#: LightGBM settings of the hazard model (small tables: few leaves, strong regularisation).
_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 7, "min_child_samples": 20,
    "colsample_bytree": 0.7, "reg_lambda": 5.0, "verbose": -1, "deterministic": True,
    "force_col_wise": True, "num_threads": 1, "max_cat_to_onehot": 8, "min_data_per_group": 20,
    "cat_smooth": 10.0,
}
_MAX_TREES = 2000


def survival_target(frame: pd.DataFrame, duration: str, event: str, *, positive=None,
                    source: str = "table") -> tuple[np.ndarray, np.ndarray]:
    """Durations (float >= 0) and events (0/1) of a flat table, or a :class:`SchemaError`.

    Examples
    --------
    >>> d, e = survival_target(pd.DataFrame({"t": [3, 0.5], "e": ["Yes", "No"]}), "t", "e")
    >>> d.tolist(), e.tolist()
    ([3.0, 0.5], [1, 0])
    """
    if duration not in frame.columns:
        raise SchemaError(
            f"{source}: no duration column {duration!r}. The table's columns are "
            f"{', '.join(map(str, frame.columns[:30]))}{' ...' if len(frame.columns) > 30 else ''}.\n"
            "Pass --duration with the column holding how long each employee has been (or was) employed.",
            file=source, column=duration)
    values = pd.to_numeric(frame[duration], errors="coerce")
    for mask, what, fix in (
        (frame[duration].isna().to_numpy(), "have no duration", "Fill them in or remove those rows."),
        ((values.isna() & frame[duration].notna()).to_numpy(), "hold a duration that is not a number",
         "Write durations as numbers in --duration-unit (e.g. 14 or 14.5)."),
        ((values < 0).to_numpy(), "have a negative duration", "A spell cannot end before it starts: fix them."),
    ):
        if mask.any():
            raise SchemaError(f"{source}: column {duration!r}: {int(mask.sum())} row(s) {what}:\n"
                              + format_examples(frame.loc[mask]) + f"\n{fix}", file=source, column=duration,
                              n_rows=int(mask.sum()), examples=frame.loc[mask].head(5))
    if event not in frame.columns:
        raise SchemaError(
            f"{source}: no event column {event!r}. The table's columns are "
            f"{', '.join(map(str, frame.columns[:30]))}{' ...' if len(frame.columns) > 30 else ''}.\n"
            "Pass --event with the column saying whether the spell ended in a voluntary exit.",
            file=source, column=event)
    e, _ = _target(frame, event, positive, source)
    return values.to_numpy(dtype="float64"), e


def _edges(horizons: Sequence[float], unit: str) -> np.ndarray:
    top = float(max(horizons))
    step = 1.0 if unit == "months" and top <= 36 else top / 12
    grid = np.arange(0.0, top + 1e-9, step)
    return np.unique(np.round(np.concatenate([grid, np.asarray(horizons, dtype="float64"), [top]]), 9))


def kaplan_meier(duration, event) -> pd.DataFrame:
    """The Kaplan–Meier estimate (scikit-survival) with its 95 % log-log interval.

    Examples
    --------
    >>> kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0])["survival"].round(3).tolist()
    [0.75, 0.5, 0.5]
    """
    t, s, ci = kaplan_meier_estimator(np.asarray(event, dtype=bool), np.asarray(duration, dtype="float64"),
                                      conf_type="log-log")
    return pd.DataFrame({"time": t, "survival": s, "low": ci[0], "high": ci[1]})


def _km_at(km: pd.DataFrame, times) -> np.ndarray:
    idx = np.searchsorted(km["time"].to_numpy(), np.asarray(times, dtype="float64"), side="right") - 1
    surv = km["survival"].to_numpy()
    return np.where(idx >= 0, surv[np.clip(idx, 0, None)], 1.0)


class FlatSurvivalModel(BaseEstimator):
    """Discrete-time LightGBM hazard on a flat table: the risk of a voluntary exit within each horizon.

    Parameters
    ----------
    horizons : tuple of float, optional
        In ``duration_unit`` (default :data:`DEFAULT_HORIZONS`).
    duration_unit : {"months", "days"}, default "months"
    lgbm_params : dict, optional
        Overrides of the hazard model's LightGBM settings.
    inner_splits : int, default 3
        Folds (grouped by employee) whose early stopping picks the number of trees.
    risk_bands : dict, optional
        ``{"medium": m, "high": h}`` as multiples of the Kaplan–Meier risk at the
        last horizon (default 1.0 and 2.0).
    random_state : int, default 0

    Attributes
    ----------
    edges_ : ndarray
        Bin edges of the time axis.
    booster_, feature_names_in_, categories_, best_iteration_, thresholds_, base_rate_
        As for :class:`attrition.AttritionModel`; ``base_rate_`` is the
        Kaplan–Meier risk at the last horizon.
    """

    def __init__(self, horizons: tuple[float, ...] | None = None, duration_unit: str = "months",
                 lgbm_params: dict[str, Any] | None = None, inner_splits: int = 3,
                 risk_bands: dict[str, float] | None = None, random_state: int = 0) -> None:
        self.horizons = horizons
        self.duration_unit = duration_unit
        self.lgbm_params = lgbm_params
        self.inner_splits = inner_splits
        self.risk_bands = risk_bands
        self.random_state = random_state

    # --------------------------------------------------------------- shape
    @property
    def target(self) -> str:
        return "attrition"

    def _horizons(self) -> tuple[float, ...]:
        if self.duration_unit not in DURATION_UNITS:
            raise ConfigError(f"duration_unit must be one of {', '.join(DURATION_UNITS)}, got "
                              f"{self.duration_unit!r}.")
        h = tuple(self.horizons) if self.horizons else DEFAULT_HORIZONS[self.duration_unit]
        if not h or any(not np.isfinite(v) or v <= 0 for v in h) or list(h) != sorted(set(h)):
            raise ConfigError(f"horizons must be increasing positive numbers, got {self.horizons!r}.")
        return h

    def horizon_columns(self) -> list[str]:
        """``attrition_risk_<H><unit>`` of each horizon."""
        suffix = DURATION_UNITS[self.duration_unit]
        return [f"attrition_risk_{h:g}{suffix}" for h in self._horizons()]

    def _expand(self, X: pd.DataFrame, duration=None, event=None):
        """Person-period rows: ``X`` repeated per bin (with the bin start), labels and weights if given."""
        lo, hi = self.edges_[:-1], self.edges_[1:]
        n, b = len(X), len(lo)
        if duration is None:
            row = np.repeat(np.arange(n), b)
            out = X.iloc[row].reset_index(drop=True)
            out[_BIN] = np.tile(lo, n)
            return out, row
        d = np.asarray(duration, dtype="float64")[:, None]
        e = np.asarray(event, dtype=int)[:, None]
        entered = (d > lo[None, :]) | (np.arange(b)[None, :] == 0)
        ends_here = entered & (d <= hi[None, :])
        label = (ends_here & (e == 1)).astype(int)
        weight = np.where(ends_here & (e == 0), 0.5, 1.0)
        r, j = np.nonzero(entered)
        out = X.iloc[r].reset_index(drop=True)
        out[_BIN] = lo[j]
        return out, r, label[r, j], weight[r, j]

    # ----------------------------------------------------------------- fit
    def fit(self, X: pd.DataFrame, duration, event) -> FlatSurvivalModel:
        """Fit on a feature frame (:func:`attrition.models.flat_features`) with durations and 0/1 events."""
        horizons = self._horizons()
        if not isinstance(self.inner_splits, int) or self.inner_splits < 2:
            raise ConfigError(f"inner_splits must be a whole number of at least 2, got {self.inner_splits!r}.")
        self.edges_ = _edges(horizons, self.duration_unit)
        self.feature_names_in_ = list(X.columns)
        self.categories_ = {c: [str(v) for v in X[c].cat.categories] for c in X.columns
                            if isinstance(X[c].dtype, pd.CategoricalDtype)}
        X = self.prepare(X)
        long, person, label, weight = self._expand(X, duration, event)
        if label.sum() < 5:
            raise InsufficientDataError(f"Only {int(label.sum())} voluntary exits within the last horizon "
                                        f"({horizons[-1]:g} {self.duration_unit}): too few to fit a hazard model.")
        params = {**_PARAMS, **(self.lgbm_params or {}), "random_state": self.random_state}
        params["min_child_samples"] = max(int(params["min_child_samples"]), int(0.005 * len(long)))
        params = with_monotone_list(params, long)  # a mapping by name: one entry per column
        folds = list(GroupKFold(n_splits=self.inner_splits, shuffle=True, random_state=self.random_state)
                     .split(long, label, groups=person))
        ds = lgb.Dataset(long, label=label, weight=weight, free_raw_data=False)
        res = lgb.cv({**params, "metric": "binary_logloss"}, ds, num_boost_round=_MAX_TREES, folds=folds,
                     callbacks=[lgb.early_stopping(50, verbose=False)])
        trees = len(res["valid binary_logloss-mean"])
        self.booster_ = lgb.train(params, lgb.Dataset(long, label=label, weight=weight), num_boost_round=trees)
        self.best_iteration_ = trees
        km = kaplan_meier(duration, event)
        self.base_rate_ = float(1.0 - _km_at(km, [horizons[-1]])[0])
        bands = self.risk_bands or {"medium": 1.0, "high": 2.0}
        self.thresholds_ = {k: float(v * self.base_rate_) for k, v in bands.items()}
        self.spec_ = None  # a flat table has no snapshots
        self.metrics_ = {}
        self.training_summary_ = {"mode": "flat", "survival": True, "horizons": list(horizons),
                                  "duration_unit": self.duration_unit, "best_iteration": trees,
                                  "n_rows": len(X), "events": int(np.sum(event)), "horizon_days": None}
        return self

    # ------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError("This FlatSurvivalModel is not fitted yet: call fit(X, duration, event) or "
                                 "train one with `attrition train --table FILE --duration COL --event COL`.")

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X``'s features in training order, categories as in training (a readable error if any is missing)."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise SchemaError(f"The table lacks column(s) the model was trained with: {', '.join(missing[:20])}. "
                              "Score a table with the same columns as the training table.", column=missing[0])
        out = X.loc[:, self.feature_names_in_].copy()
        for col, cats in self.categories_.items():
            out[col] = pd.Categorical(out[col].astype(object).where(out[col].notna(), None).map(
                lambda v: v if v is None else str(v)), categories=cats)
        for col in out.columns:
            if col not in self.categories_:
                out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
        return out

    def predict_hazard(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, bins)``: the probability of a voluntary exit in each bin, given none before."""
        self._check_fitted()
        long, _ = self._expand(self.prepare(X))
        return np.asarray(self.booster_.predict(long), dtype="float64").reshape(len(X), -1)

    def predict_survival(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, horizons)``: P(voluntary exit within each horizon), non-decreasing."""
        risk = 1.0 - np.cumprod(1.0 - self.predict_hazard(X), axis=1)
        at = np.searchsorted(self.edges_[1:], np.asarray(self._horizons()) - 1e-9)
        return risk[:, at]

    def predict_horizons(self, X: pd.DataFrame) -> pd.DataFrame:
        """``attrition_risk_<H><unit>`` per horizon, as ``attrition score --table`` writes them."""
        return pd.DataFrame(self.predict_survival(X), columns=self.horizon_columns(), index=X.index)

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        """The risk within the last horizon (``attrition_risk`` of the scores)."""
        return self.predict_survival(X)[:, -1]

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """TreeSHAP of the hazard's log-odds, averaged over the bins up to the last horizon.

        The bin's own contribution goes into ``bias``; for each row ``bias +
        sum(contributions)`` is the mean log-odds of its monthly hazard.
        """
        self._check_fitted()
        long, _ = self._expand(self.prepare(X))
        raw = np.asarray(self.booster_.predict(long, pred_contrib=True), dtype="float64")
        raw = raw.reshape(len(X), len(self.edges_) - 1, -1).mean(axis=1)
        names = [*self.feature_names_in_, _BIN]
        bin_col = names.index(_BIN)
        raw[:, -1] += raw[:, bin_col]
        raw = np.delete(raw, bin_col, axis=1)
        return pd.DataFrame(raw, columns=[*self.feature_names_in_, "bias"], index=X.index)

    # ------------------------------------------------------------- persist
    def save(self, path: str | Path) -> Path:
        """Save to folder ``path``: ``booster.txt`` (LightGBM text) and ``model.json`` (no pickle)."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(path / "booster.txt"))
        meta = {"format": _FORMAT, "params": self.get_params(), "edges": self.edges_.tolist(),
                "feature_names_in": self.feature_names_in_, "categories": self.categories_,
                "thresholds": self.thresholds_, "base_rate": self.base_rate_,
                "best_iteration": self.best_iteration_, "metrics": self.metrics_,
                "training_summary": self.training_summary_}
        (path / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        return path

    @staticmethod
    def is_saved(path: str | Path) -> bool:
        """Whether folder ``path`` holds a :class:`FlatSurvivalModel`."""
        meta = Path(path) / "model.json"
        return meta.is_file() and json.loads(meta.read_text(encoding="utf-8")).get("format") == _FORMAT

    @classmethod
    def load(cls, path: str | Path) -> FlatSurvivalModel:
        """Load a model saved with :meth:`save`."""
        path = Path(path)
        if not cls.is_saved(path):
            raise ModelNotFoundError(f"{path} holds no flat-table survival model.")
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        params = meta["params"]
        if params.get("horizons") is not None:
            params["horizons"] = tuple(params["horizons"])
        model = cls(**params)
        model.booster_ = lgb.Booster(model_file=str(path / "booster.txt"))
        model.edges_ = np.asarray(meta["edges"], dtype="float64")
        model.feature_names_in_ = meta["feature_names_in"]
        model.categories_ = meta["categories"]
        model.thresholds_ = meta["thresholds"]
        model.base_rate_ = meta["base_rate"]
        model.best_iteration_ = meta["best_iteration"]
        model.metrics_ = meta["metrics"]
        model.training_summary_ = meta["training_summary"]
        model.spec_ = None
        return model

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        if not hasattr(self, "booster_"):
            return super().__repr__(N_CHAR_MAX)
        s, m = self.training_summary_, self.metrics_ or {}
        return (f"<FlatSurvivalModel: {len(self.feature_names_in_)} features, {self.best_iteration_} trees, "
                f"horizons {', '.join(f'{h:g}' for h in s['horizons'])} {s['duration_unit']}, {s['n_rows']} rows "
                f"({s['events']} voluntary exits); cross-validated concordance "
                f"{m.get('cv_concordance', float('nan')):.3f} (Cox {m.get('cox_cv_concordance', float('nan')):.3f})>")


def _cox(X: pd.DataFrame):
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in X.columns if c not in cats]
    prep = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()), nums),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                              OneHotEncoder(handle_unknown="ignore", min_frequency=10)), cats),
    ], sparse_threshold=0)
    return make_pipeline(prep, CoxPHSurvivalAnalysis(alpha=1.0, ties="efron"))


def _structured(duration, event) -> np.ndarray:
    out = np.empty(len(duration), dtype=[("event", bool), ("time", "f8")])
    out["event"] = np.asarray(event, dtype=bool)
    out["time"] = np.asarray(duration, dtype="float64")
    return out


@dataclass
class FlatSurvivalFit:
    """The result of :func:`fit_survival_table`.

    Attributes
    ----------
    model : FlatSurvivalModel
        Fitted on every row; ``model.metrics_`` holds the cross-validated metrics.
    cv : pandas.DataFrame
        One row per outer fold: concordance of the model and of the Cox model,
        and per horizon the mean predicted risk and the Kaplan–Meier risk of
        the test fold.
    kaplan_meier : pandas.DataFrame
        The Kaplan–Meier curve of the whole table (``time``, ``survival``, ``low``, ``high``).
    oof : pandas.DataFrame
        Out-of-fold risks per horizon, with ``duration`` and ``event``.
    dropped : list of str
        Columns dropped as protected or by request.
    """

    model: FlatSurvivalModel
    cv: pd.DataFrame
    kaplan_meier: pd.DataFrame
    oof: pd.DataFrame
    dropped: list[str]


def fit_survival_table(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    *,
    duration_unit: str = "months",
    horizons: Sequence[float] | None = None,
    positive=None,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    protected: Sequence[str] = FLAT_PROTECTED,
    lgbm_params: dict[str, Any] | None = None,
    cv_splits: int = 5,
    risk_bands: dict[str, float] | None = None,
    random_state: int = 0,
    source: str = "table",
) -> FlatSurvivalFit:
    """Train a :class:`FlatSurvivalModel` on a survival table, with cross-validated metrics beside a Cox model.

    Parameters
    ----------
    frame : pandas.DataFrame
    duration : str
        Column: time employed (to the exit, or to the extract date when still employed).
    event : str
        Column: whether the spell ended in a voluntary exit (``Yes``/``No``, ``1``/``0`` ...,
        or ``positive``); other exits and current staff are censored.
    duration_unit : {"months", "days"}, default "months"
    horizons : sequence of float, optional
        Risk horizons in ``duration_unit`` (default 3, 6, 12 months / 90, 180, 365 days).
    positive, id_column, drop, protected
        As in :func:`attrition.models.fit_table`.
    cv_splits : int, default 5
        Outer folds (stratified on the event) for the reported metrics.
    """
    if not isinstance(cv_splits, int) or cv_splits < 2:
        raise ConfigError(f"cv_splits must be a whole number of at least 2, got {cv_splits!r}.")
    model = FlatSurvivalModel(horizons=tuple(horizons) if horizons else None, duration_unit=duration_unit,
                              lgbm_params=lgbm_params, risk_bands=risk_bands, random_state=random_state)
    hz = model._horizons()
    d, e = survival_target(frame, duration, event, positive=positive, source=source)
    _check_ids(frame, id_column, source)
    X, dropped = flat_features(frame, target=event, id_column=id_column, drop=[*drop, duration],
                               protected=protected, source=source)
    dropped = [c for c in dropped if c != duration]
    n_events = int(e.sum())
    if n_events < 2 * cv_splits or len(e) - n_events < 2 * cv_splits:
        raise InsufficientDataError(f"{source}: {n_events} voluntary exits in {len(e)} rows: {cv_splits}-fold "
                                    "cross-validation needs more. Use a larger table or fewer folds.")
    if n_events < 50:
        warnings.warn(f"Only {n_events} voluntary exits: the cross-validated metrics will be noisy.",
                      DataQualityWarning, stacklevel=2)
    started = time.perf_counter()
    cols = model.horizon_columns()
    oof = pd.DataFrame(np.nan, index=range(len(e)), columns=cols)
    rows = []
    for i, (tr, te) in enumerate(StratifiedKFold(cv_splits, shuffle=True, random_state=random_state).split(X, e)):
        m = FlatSurvivalModel(**model.get_params()).fit(X.iloc[tr], d[tr], e[tr])
        risk = m.predict_survival(X.iloc[te])
        oof.iloc[te] = risk
        cox = _cox(X.iloc[tr]).fit(X.iloc[tr], _structured(d[tr], e[tr]))
        km = kaplan_meier(d[te], e[te])
        row = {"fold": i, "trees": m.best_iteration_,
               "concordance": concordance_index_censored(e[te].astype(bool), d[te], risk[:, -1])[0],
               "cox_concordance": concordance_index_censored(e[te].astype(bool), d[te],
                                                             cox.predict(X.iloc[te]))[0]}
        for j, (col, km_s) in enumerate(zip(cols, _km_at(km, hz), strict=True)):
            row[f"mean_{col}"] = float(risk[:, j].mean())
            row[f"km_{col}"] = float(1.0 - km_s)
        rows.append(row)
        log.info("  fold %d/%d: concordance %.3f (Cox %.3f), %d trees", i + 1, cv_splits, row["concordance"],
                 row["cox_concordance"], m.best_iteration_)
    cv = pd.DataFrame(rows)
    model.fit(X, d, e)
    metrics = {"cv_concordance": float(cv["concordance"].mean()),
               "cv_concordance_sd": float(cv["concordance"].std(ddof=1)),
               "cox_cv_concordance": float(cv["cox_concordance"].mean()),
               "cox_cv_concordance_sd": float(cv["cox_concordance"].std(ddof=1))}
    for col in cols:
        metrics[f"cv_mean_{col}"] = float(cv[f"mean_{col}"].mean())
        metrics[f"km_{col}"] = float(cv[f"km_{col}"].mean())
    metrics["n"] = float(len(e))
    metrics["events"] = float(n_events)
    model.metrics_ = metrics
    model.training_summary_.update({
        "validation": f"{cv_splits}-fold cross-validation stratified on the event (no time axis: not an "
                      "out-of-time estimate)",
        "duration": duration, "event": event, "id_column": id_column, "dropped": dropped,
        "target": event, "positive": str(positive) if positive is not None else "auto",
        "setting": "discrete-time hazard", "seconds": round(time.perf_counter() - started, 1)})
    log.info("Cross-validated concordance %.3f (Cox %.3f); %d trees", metrics["cv_concordance"],
             metrics["cox_cv_concordance"], model.best_iteration_)
    oof["duration"], oof["event"] = d, e
    return FlatSurvivalFit(model=model, cv=cv, kaplan_meier=kaplan_meier(d, e), oof=oof, dropped=dropped)
