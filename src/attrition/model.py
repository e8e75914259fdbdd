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
calibrated probabilities, and the validation metrics are reported. The model
that is evaluated is the model that is shipped: it is not refitted on the
validation months afterwards.

The fitted model saves to a folder with the trees in LightGBM's text format
and everything else in JSON: loading it never unpickles code.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from .config import DEFAULT_LGBM_PARAMS
from .exceptions import (
    ConfigError,
    DataQualityWarning,
    InsufficientDataError,
    ModelNotFoundError,
    NotFittedError,
    SchemaError,
)
from .metrics import classification_metrics
from .schemas import PROTECTED_COLUMNS
from .snapshots import feature_columns

__all__ = ["AttritionModel", "out_of_time_split", "risk_band"]

log = logging.getLogger(__name__)

_FORMAT_VERSION = 1


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


class AttritionModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM risk of a voluntary exit within the horizon.

    Parameters
    ----------
    horizon_days : int, default 90
        The horizon the snapshots were labelled with (used for the purge gap).
    valid_months : int, default 3
        Latest labelled as-of dates held out for early stopping, calibration
        and metrics.
    lgbm_params : dict, optional
        Overrides of :data:`attrition.config.DEFAULT_LGBM_PARAMS`.
    early_stopping_rounds : int, default 50
        Rounds without validation improvement before training stops.
    risk_bands : dict, optional
        ``{"medium": m, "high": h}`` as multiples of the validation base rate
        (default 1.0 and 2.0): a risk at or above ``h`` × the base rate is
        ``high``.
    random_state : int, default 0
        Seed for LightGBM's subsampling.
    target : {"attrition", "quiet_quitting"}, default "attrition"
        What the ``label`` of the snapshots means: a voluntary exit, or entry
        into the quiet-quitting state (:mod:`attrition.quiet_quitting`, whose
        :func:`~attrition.quiet_quitting.quiet_quitting_snapshots` relabels the
        same snapshots). Recorded in the saved model and in MLflow.

    Attributes
    ----------
    booster_ : lightgbm.Booster
        The trees (best iteration only).
    feature_names_in_ : list of str
    categories_ : dict of str to list
        Categories of each categorical feature seen in training.
    calibration_ : tuple of float
        Platt coefficients ``(a, b)``: calibrated logit = a × margin + b.
    thresholds_ : dict
        Absolute risk thresholds of the bands.
    metrics_ : dict
        Validation metrics (``valid_roc_auc``, ``valid_pr_auc``, ...) and
        those of the tenure-only baseline (``baseline_valid_roc_auc``) and of a
        regularised logistic regression on the same features
        (``lr_baseline_valid_roc_auc``, see :mod:`attrition.baselines`), and
        the class prior (``prior_baseline_valid_brier``: the training base
        rate for everyone).
    training_summary_ : dict
        Periods and row counts of the split.
    snapshot_params_ : dict
        How the training snapshots were built (``windows``, ``horizon_days``),
        set by :func:`attrition.train` so scoring builds features the same way.

    Examples
    --------
    >>> from attrition import simulate, build_snapshots
    >>> snaps = build_snapshots(simulate(n_employees=150, months=14, seed=3).tables)
    >>> model = AttritionModel(lgbm_params={"n_estimators": 50}).fit(snaps)
    >>> risk = model.predict_risk(snaps)
    >>> bool(((risk > 0) & (risk < 1)).all())
    True
    """

    def __init__(
        self,
        horizon_days: int = 90,
        valid_months: int = 3,
        lgbm_params: dict[str, Any] | None = None,
        early_stopping_rounds: int = 50,
        risk_bands: dict[str, float] | None = None,
        random_state: int = 0,
        target: str = "attrition",
    ) -> None:
        self.horizon_days = horizon_days
        self.valid_months = valid_months
        self.lgbm_params = lgbm_params
        self.early_stopping_rounds = early_stopping_rounds
        self.risk_bands = risk_bands
        self.random_state = random_state
        self.target = target

    # ------------------------------------------------------------------ fit
    def _params(self) -> dict[str, Any]:
        params = {**DEFAULT_LGBM_PARAMS, **(self.lgbm_params or {})}
        params["random_state"] = self.random_state
        params.setdefault("deterministic", True)
        params.setdefault("force_col_wise", True)
        return params

    def fit(self, snapshots: pd.DataFrame, y=None) -> AttritionModel:
        """Fit on a snapshot frame with ``label`` and ``as_of`` columns.

        Rows with a missing label (censored) are ignored.
        """
        if "label" not in snapshots.columns or "as_of" not in snapshots.columns:
            raise SchemaError(
                "fit needs a snapshot frame with 'as_of' and 'label' columns; build it with "
                "attrition.build_snapshots(tables, horizon_days=...).",
                column="label",
            )
        if self.target not in ("attrition", "quiet_quitting"):
            raise ConfigError(f"target must be 'attrition' or 'quiet_quitting', got {self.target!r}.")
        labelled_for = snapshots.attrs.get("target", "attrition")
        if labelled_for != self.target:
            raise ConfigError(
                f"The snapshots are labelled for {labelled_for!r} but the model's target is "
                f"{self.target!r}. Relabel them (attrition.quiet_quitting.quiet_quitting_snapshots) "
                f"or use AttritionModel(target={labelled_for!r})."
            )
        built_with = snapshots.attrs.get("horizon_days")
        if built_with is not None and int(built_with) != int(self.horizon_days):
            raise ConfigError(
                f"The snapshots were labelled with a {built_with}-day horizon but the model is set "
                f"to {self.horizon_days} days; the out-of-time split would let training labels "
                f"reach into the validation period. Use AttritionModel(horizon_days={built_with})."
            )
        features = feature_columns(snapshots)
        protected = sorted(set(features) & set(PROTECTED_COLUMNS))
        if protected:  # pragma: no cover - feature_columns already drops them
            raise SchemaError(f"Protected attributes {protected} cannot be model features.")
        if not features:
            raise SchemaError("The snapshot frame has no feature columns.")
        labelled = snapshots["label"].notna()
        train, valid = out_of_time_split(snapshots["as_of"], labelled, self.horizon_days,
                                         self.valid_months)
        y_all = snapshots["label"].to_numpy(dtype="float64")
        for name, mask in (("training", train), ("validation", valid)):
            pos = int(y_all[mask].sum())
            if pos < 5 or pos == int(mask.sum()):
                raise InsufficientDataError(
                    f"The {name} period has {pos} positives in {int(mask.sum())} rows: too few to "
                    "fit and check a model. Use a longer history or a longer horizon."
                )
            if pos < 30:
                warnings.warn(f"Only {pos} positives in the {name} period: metrics will be noisy.",
                              DataQualityWarning, stacklevel=2)

        self.feature_names_in_ = list(features)
        self.categories_ = {
            c: [str(v) for v in snapshots[c].cat.categories]
            for c in features
            if isinstance(snapshots[c].dtype, pd.CategoricalDtype)
        }
        X = self._prepare(snapshots)
        params = self._params()
        rounds = int(params.pop("n_estimators", 100))
        train_set = lgb.Dataset(X[train], label=y_all[train], free_raw_data=True)
        valid_set = lgb.Dataset(X[valid], label=y_all[valid], reference=train_set)
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

        margin_valid = self._margin(X[valid])
        platt = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
        platt.fit(margin_valid.reshape(-1, 1), y_all[valid])
        self.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))

        p_valid = self._calibrated(margin_valid)
        p_train = self._calibrated(self._margin(X[train]))
        base_rate = float(y_all[valid].mean())
        bands = self.risk_bands or {"medium": 1.0, "high": 2.0}
        self.thresholds_ = {k: float(v * base_rate) for k, v in bands.items()}
        self.base_rate_ = base_rate

        metrics = classification_metrics(y_all[valid], p_valid, prefix="valid_")
        metrics.update(classification_metrics(y_all[train], p_train, prefix="train_"))
        metrics.update(self._tenure_baseline(snapshots, train, valid, y_all))
        metrics.update(self._logistic_baseline(snapshots, train, valid, y_all))
        metrics.update(classification_metrics(y_all[valid], np.full(int(valid.sum()), y_all[train].mean()),
                                              prefix="prior_baseline_valid_"))
        self.metrics_ = metrics
        as_of = pd.to_datetime(snapshots["as_of"])
        self.training_summary_ = {
            "train_first_as_of": f"{as_of[train].min():%Y-%m-%d}",
            "train_last_as_of": f"{as_of[train].max():%Y-%m-%d}",
            "valid_first_as_of": f"{as_of[valid].min():%Y-%m-%d}",
            "valid_last_as_of": f"{as_of[valid].max():%Y-%m-%d}",
            "n_train": int(train.sum()),
            "n_valid": int(valid.sum()),
            "n_censored": int((~labelled).sum()),
            "best_iteration": self.best_iteration_,
            "horizon_days": int(self.horizon_days),
        }
        log.info("Validation ROC AUC %.3f (tenure-only baseline %.3f), %d trees",
                 metrics["valid_roc_auc"], metrics["baseline_valid_roc_auc"], self.best_iteration_)
        lr_auc = metrics.get("lr_baseline_valid_roc_auc", float("nan"))
        if lr_auc > metrics["valid_roc_auc"]:
            warnings.warn(
                f"The logistic-regression baseline on the same features beats the model on the "
                f"validation months (ROC AUC {lr_auc:.3f} vs {metrics['valid_roc_auc']:.3f}). "
                "Check with `attrition backtest` whether the gap holds across origins before "
                "relying on the LightGBM model.",
                DataQualityWarning,
                stacklevel=2,
            )
        return self

    @staticmethod
    def _tenure_baseline(snapshots, train, valid, y) -> dict[str, float]:
        """A tenure-only logistic regression on the same split, for comparison."""
        if "tenure_days" not in snapshots.columns:
            return {}
        t = snapshots["tenure_days"].to_numpy(dtype="float64")
        X = np.column_stack([np.log1p(np.clip(t, 0, None)), (t <= 90).astype(float), (t <= 180).astype(float)])
        base = LogisticRegression(max_iter=1000).fit(X[train], y[train])
        p = base.predict_proba(X[valid])[:, 1]
        return classification_metrics(y[valid], p, prefix="baseline_valid_")

    def _logistic_baseline(self, snapshots, train, valid, y) -> dict[str, float]:
        """A regularised logistic regression on the same features and split (``lr_baseline_valid_*``)."""
        from .baselines import LogisticBaseline

        base = LogisticBaseline(features=self.feature_names_in_).fit(snapshots.loc[train], y[train])
        p = base.predict_risk(snapshots.loc[valid])
        return classification_metrics(y[valid], p, prefix="lr_baseline_valid_")

    # -------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError(
                "This AttritionModel is not fitted yet. Call fit(snapshots) or load a trained "
                "model with attrition.load_model(uri)."
            )

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """Check and reorder columns to ``feature_names_in_``; fix categories."""
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
        out = X.loc[:, self.feature_names_in_].copy()
        for col, cats in self.categories_.items():
            out[col] = pd.Categorical(out[col].astype(object).where(out[col].notna(), None), categories=cats)
        for col in out.columns:
            if col not in self.categories_:
                out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
        return out

    def _margin(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster_.predict(X, raw_score=True), dtype="float64")

    def _calibrated(self, margin: np.ndarray) -> np.ndarray:
        a, b = self.calibration_
        return 1.0 / (1.0 + np.exp(-(a * margin + b)))

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the target (a voluntary exit, or entering the
        quiet-quitting state) within the horizon."""
        self._check_fitted()
        return self._calibrated(self._margin(self._prepare(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``[[1 - risk, risk], ...]`` (scikit-learn convention)."""
        risk = self.predict_risk(X)
        return np.column_stack([1.0 - risk, risk])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the risk is in the ``high`` band, else 0."""
        return (self.predict_risk(X) >= self.thresholds_["high"]).astype(int)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Exact TreeSHAP contributions on the calibrated log-odds scale.

        Uses LightGBM's own TreeSHAP (``pred_contrib=True``), scaled by the
        Platt slope, so for every row ``bias + sum(contributions)`` equals the
        calibrated logit of :meth:`predict_risk`.

        Returns
        -------
        pandas.DataFrame
            One column per feature plus ``bias``, aligned to ``X``'s index.
        """
        self._check_fitted()
        prepared = self._prepare(X)
        raw = np.asarray(self.booster_.predict(prepared, pred_contrib=True), dtype="float64")
        a, b = self.calibration_
        contrib = raw * a
        contrib[:, -1] += b
        return pd.DataFrame(contrib, columns=[*self.feature_names_in_, "bias"], index=X.index)

    # ------------------------------------------------------------ persist
    def save(self, path: str | Path) -> Path:
        """Save to folder ``path``: ``booster.txt`` (LightGBM text) and ``model.json``."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(path / "booster.txt"))
        meta = {
            "format_version": _FORMAT_VERSION,
            "params": self.get_params(),
            "feature_names_in": self.feature_names_in_,
            "categories": self.categories_,
            "calibration": list(self.calibration_),
            "thresholds": self.thresholds_,
            "base_rate": self.base_rate_,
            "best_iteration": self.best_iteration_,
            "metrics": self.metrics_,
            "training_summary": self.training_summary_,
            "snapshot_params": getattr(self, "snapshot_params_", {}),
        }
        (path / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> AttritionModel:
        """Load a model saved with :meth:`save` (no pickle involved)."""
        path = Path(path)
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        if meta.get("format_version") != _FORMAT_VERSION:
            raise ModelNotFoundError(
                f"{path} holds an attrition model of format {meta.get('format_version')!r}; this "
                f"version of attrition reads format {_FORMAT_VERSION}. Retrain, or install the "
                "attrition version that trained it."
            )
        model = cls(**meta["params"])
        model.booster_ = lgb.Booster(model_file=str(path / "booster.txt"))
        model.feature_names_in_ = meta["feature_names_in"]
        model.categories_ = meta["categories"]
        model.calibration_ = tuple(meta["calibration"])
        model.thresholds_ = meta["thresholds"]
        model.base_rate_ = meta["base_rate"]
        model.best_iteration_ = meta["best_iteration"]
        model.metrics_ = meta["metrics"]
        model.training_summary_ = meta["training_summary"]
        model.snapshot_params_ = meta.get("snapshot_params", {})
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
