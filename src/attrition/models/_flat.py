"""Flat-table mode: one row per employee and a "left" column, no time axis.

Many organisations have no daily exports, only a table like the IBM HR
Analytics attrition data: one row per employee, some attributes, and whether
they left. :func:`fit_table` trains the same :class:`attrition.AttritionModel`
on such a table and :func:`score_table` scores one, with the same risk bands
and drivers as monthly scoring.

What happens in ``fit_table``

* **Columns.** Everything except the target, the id column, ``drop`` and the
  protected attributes is a feature. Numbers stay numbers (ordinal scales
  coded as integers keep their order); text, boolean and categorical columns
  become LightGBM categorical features, split natively. Protected attributes
  are dropped by name (case and separators ignored): by default
  :data:`FLAT_PROTECTED` — gender, age, birth year, marital status and the
  like. Date columns are refused (derive a number such as tenure first).
* **Model selection by inner validation only.** A small fixed grid
  (:data:`FLAT_GRID`: stumps and few-leaf trees, strong regularisation, many
  trees at a low rate — what small tables need) is compared by stratified
  K-fold cross-validation *inside the training rows*; early stopping on the
  inner folds picks the number of trees. No outer fold is ever looked at.
  (Optuna is not used: on tables of a few thousand rows a fixed grid of four
  settings is as good and much cheaper.)
* **Calibration.** A Platt scaling fitted on the inner folds' out-of-fold
  margins (cross-fitted, so it never sees a margin of a tree trained on the
  same row); the final trees are then refitted on every row with the chosen
  setting and number of trees.
* **Metrics by repeated stratified cross-validation** (default 5 × 2): the
  whole procedure above — selection, early stopping, calibration — is rerun
  inside each outer training fold and scored on the outer test fold, beside a
  regularised logistic regression and the class prior on identical folds.
  Such tables have no time axis, so these are *not* out-of-time figures;
  the output says so.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"id": range(300), "overtime": rng.choice(["Yes", "No"], 300),
...                    "years": rng.integers(0, 20, 300)})
>>> df["left"] = np.where(rng.random(300) < np.where(df["overtime"] == "Yes", 0.45, 0.1), "Yes", "No")
>>> fit = fit_table(df, "left", id_column="id", cv_repeats=1, cv_splits=3, inner_splits=3,
...                 grid={"stumps": FLAT_GRID["stumps"]})
>>> from attrition.scoring import score_table
>>> scores = score_table(df, fit.model, n_drivers=1)
>>> list(scores.columns[:4])
['employee_id', 'attrition_risk', 'risk_band', 'driver_1']
>>> bool(scores.loc[df["overtime"] == "Yes", "attrition_risk"].mean()
...      > scores.loc[df["overtime"] == "No", "attrition_risk"].mean())
True
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from attrition.exceptions import (
    ConfigError,
    DataQualityWarning,
    InsufficientDataError,
    SchemaError,
    format_examples,
)
from attrition.models._baselines import ClassPriorBaseline, LogisticBaseline
from attrition.models._metrics import capacity_metrics, classification_metrics, expected_calibration_error
from attrition.models._model import AttritionModel, with_monotone_list

__all__ = [
    "fit_table",
    "read_table",
    "select_params",
    "flat_features",
    "FlatFit",
    "FLAT_GRID",
    "FLAT_BASE_PARAMS",
    "FLAT_PROTECTED",
]

log = logging.getLogger(__name__)

#: Column names dropped from flat tables as protected attributes (compared in
#: lower case without separators, so ``MaritalStatus`` matches ``marital_status``).
FLAT_PROTECTED: tuple[str, ...] = (
    "gender", "sex", "birth_year", "birth_date", "date_of_birth", "age", "marital_status",
    "ethnicity", "race", "religion", "nationality", "disability", "pregnancy", "sexual_orientation",
)

#: Settings shared by every candidate of :data:`FLAT_GRID`.
FLAT_BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "verbose": -1,
    "deterministic": True,
    "force_col_wise": True,
    # One thread: on tables of a few thousand rows, thread start-up costs more than it saves
    # (and on a busy machine OpenMP threads wait on each other).
    "num_threads": 1,
    "max_cat_to_onehot": 8,
    "min_data_per_group": 20,
    "cat_smooth": 10.0,
    "n_estimators": 3000,
}

#: The candidates compared by inner cross-validation. Small tables want few
#: leaves, strong regularisation and many trees at a low rate; stumps
#: (``num_leaves=2``) give an additive model, the tree-based cousin of a
#: logistic regression. ``min_child_samples`` grows with the table
#: (at least 0.5 % of the rows).
FLAT_GRID: dict[str, dict[str, Any]] = {
    "stumps": {"num_leaves": 2, "learning_rate": 0.05, "min_child_samples": 10,
               "colsample_bytree": 0.5, "reg_lambda": 1.0},
    "stumps_strong": {"num_leaves": 2, "learning_rate": 0.05, "min_child_samples": 5,
                      "colsample_bytree": 0.3, "reg_lambda": 10.0, "max_bin": 63},
    "leaves4": {"num_leaves": 4, "learning_rate": 0.03, "min_child_samples": 20,
                "colsample_bytree": 0.5, "reg_lambda": 5.0},
    "leaves15": {"num_leaves": 15, "learning_rate": 0.03, "min_child_samples": 20,
                 "colsample_bytree": 0.7, "subsample": 0.8, "subsample_freq": 1, "reg_lambda": 5.0},
}

_EARLY_STOPPING = 100
_TRUE_WORDS = {"1", "yes", "y", "true", "t", "left", "leaver", "terminated", "attrition"}
_FALSE_WORDS = {"0", "no", "n", "false", "f", "stayed", "stayer", "active", "current"}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a flat table from ``.csv`` or ``.parquet``."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: the table file does not exist. Pass the path of a .csv or .parquet file.",
                          file=str(path))
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    raise SchemaError(f"{path}: a flat table must be a .csv or .parquet file.", file=str(path))


def _is_text(series: pd.Series) -> bool:
    return (isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object
            or pd.api.types.is_string_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype))


def _target(frame: pd.DataFrame, target: str, positive, source: str) -> tuple[np.ndarray, str]:
    """Binary 0/1 target and the positive value (as text)."""
    if target not in frame.columns:
        raise SchemaError(
            f"{source}: no target column {target!r}. The table has {len(frame.columns)} columns: "
            f"{', '.join(map(str, frame.columns[:30]))}{' ...' if len(frame.columns) > 30 else ''}.\n"
            "Pass --target with the column that says whether the employee left.",
            file=source, column=target)
    col = frame[target]
    missing = col.isna()
    if missing.any():
        raise SchemaError(
            f"{source}: column {target!r}: {int(missing.sum())} row(s) have no target value:\n"
            + format_examples(frame.loc[missing]) + "\nFill them in or remove those rows.",
            file=source, column=target, n_rows=int(missing.sum()), examples=frame.loc[missing].head(5))
    if pd.api.types.is_float_dtype(col.dtype) and np.all(np.mod(col.to_numpy(dtype="float64"), 1) == 0):
        col = col.astype("int64")  # 0.0/1.0 read from Parquet: compare as 0/1, so --positive 1 works
    text = col.astype(str).str.strip()
    values = sorted(text.unique())
    if positive is not None:
        positive = str(positive).strip()
        if positive not in values:
            raise SchemaError(
                f"{source}: column {target!r} never holds the positive value {positive!r}; its values "
                f"are {', '.join(values[:20])}. Pass --positive with one of them.",
                file=source, column=target)
        return (text == positive).to_numpy(dtype=int), positive
    if len(values) != 2:
        raise SchemaError(
            f"{source}: column {target!r} has {len(values)} distinct value(s) "
            f"({', '.join(values[:20])}{' ...' if len(values) > 20 else ''}); a target needs exactly two, "
            "or --positive VALUE to say which value means 'left' (every other value then means 'stayed').",
            file=source, column=target)
    low = [v.lower() for v in values]
    truthy = [v for v, lv in zip(values, low, strict=True) if lv in _TRUE_WORDS]
    falsy = [v for v, lv in zip(values, low, strict=True) if lv in _FALSE_WORDS]
    if len(truthy) != 1 or len(falsy) != 1:
        raise SchemaError(
            f"{source}: column {target!r} holds {values[0]!r} and {values[1]!r}; which one means 'left' "
            "is not obvious. Pass --positive VALUE.", file=source, column=target)
    positive = truthy[0]
    return (text == positive).to_numpy(dtype=int), positive


def _check_ids(frame: pd.DataFrame, id_column: str | None, source: str) -> None:
    if id_column is None:
        return
    if id_column not in frame.columns:
        raise SchemaError(
            f"{source}: no id column {id_column!r}. The table's columns are "
            f"{', '.join(map(str, frame.columns[:30]))}{' ...' if len(frame.columns) > 30 else ''}.\n"
            "Pass --id with the column that identifies employees (or leave it out to number the rows).",
            file=source, column=id_column)
    ids = frame[id_column]
    bad = ids.isna() | ids.duplicated(keep=False)
    if bad.any():
        dup = ids[ids.duplicated()].dropna().unique().tolist()
        raise SchemaError(
            f"{source}: column {id_column!r}: {int(bad.sum())} row(s) have a missing or repeated id "
            f"({len(dup)} id(s) repeated, e.g. {', '.join(map(str, dup[:5]))}):\n"
            + format_examples(frame.loc[bad], columns=[id_column]) + "\nList each employee once with an id.",
            file=source, column=id_column, n_rows=int(bad.sum()), examples=frame.loc[bad].head(5))


def flat_features(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    protected: Sequence[str] = FLAT_PROTECTED,
    source: str = "table",
) -> tuple[pd.DataFrame, list[str]]:
    """The feature frame of a flat table and the names of the dropped columns.

    Text, boolean and categorical columns become ``category`` of strings.

    Examples
    --------
    >>> df = pd.DataFrame({"id": [1, 2], "Gender": ["f", "m"], "Age": [30, 40], "dept": ["a", "b"],
    ...                    "left": [0, 1]})
    >>> X, dropped = flat_features(df, target="left", id_column="id")
    >>> list(X.columns), dropped, str(X["dept"].dtype)
    (['dept'], ['Gender', 'Age'], 'category')
    """
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise SchemaError(
            f"{source}: --drop names column(s) the table does not have: {', '.join(unknown)}. "
            f"Its columns are {', '.join(map(str, frame.columns[:30]))}.", file=source, column=unknown[0])
    prot = {_norm(p) for p in protected}
    skip = {target, id_column, *drop}
    dropped = [c for c in frame.columns if c in drop or (c not in skip and _norm(c) in prot)]
    features = [c for c in frame.columns if c not in skip and c not in dropped]
    if not features:
        raise SchemaError(f"{source}: no feature columns are left after removing the target, the id and "
                          "the dropped columns.", file=source)
    X = frame.loc[:, features].copy()
    for c in features:
        col = X[c]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            raise SchemaError(
                f"{source}: column {c!r} holds dates; the model needs numbers or categories. Derive a "
                "number from it (e.g. tenure in days) or --drop it.", file=source, column=c)
        if _is_text(col):
            X[c] = pd.Categorical(col.astype(object).where(col.notna(), None).map(
                lambda v: v if v is None else str(v)))
        else:
            X[c] = pd.to_numeric(col, errors="raise").astype("float64")
    return X, dropped


def _grid_for(n_rows: int, grid: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    floor = max(1, int(round(0.005 * n_rows)))
    return {name: {**FLAT_BASE_PARAMS, **p, "min_child_samples": max(int(p.get("min_child_samples", 20)), floor)}
            for name, p in grid.items()}


def select_params(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    grid: dict[str, dict[str, Any]] | None = None,
    inner_splits: int = 5,
    random_state: int = 0,
) -> dict[str, Any]:
    """Pick a LightGBM setting and its number of trees by inner stratified K-fold CV.

    Every candidate of ``grid`` (default :data:`FLAT_GRID`) is trained on the
    same inner folds with early stopping on the folds' ROC AUC; the candidate
    with the best mean AUC wins. Returns ``name``, ``params`` (with
    ``n_estimators`` = the chosen number of trees), ``scores`` (mean inner AUC
    per candidate) and ``oof_margin`` (the winner's out-of-fold margins, for
    calibration).
    """
    y = np.asarray(y, dtype=int)
    folds = list(StratifiedKFold(inner_splits, shuffle=True, random_state=random_state).split(X, y))
    scores, best = {}, None
    for name, params in _grid_for(len(X), grid or FLAT_GRID).items():
        params = dict(params)
        rounds = int(params.pop("n_estimators"))
        params["random_state"] = random_state
        params = with_monotone_list(params, X)  # a mapping by name: one entry per column
        ds = lgb.Dataset(X, label=y, free_raw_data=False)
        res = lgb.cv({**params, "metric": "auc"}, ds, num_boost_round=rounds, folds=folds,
                     callbacks=[lgb.early_stopping(_EARLY_STOPPING, verbose=False)], return_cvbooster=True)
        auc = float(res["valid auc-mean"][-1])
        trees = len(res["valid auc-mean"])
        scores[name] = auc
        if best is None or auc > best[1]:
            best = (name, auc, trees, params, res["cvbooster"])
    name, _, trees, params, cvb = best
    oof = np.zeros(len(X))
    for (_, valid), booster in zip(folds, cvb.boosters, strict=True):
        oof[valid] = booster.predict(X.iloc[valid], raw_score=True, num_iteration=trees)
    return {"name": name, "params": {**params, "n_estimators": trees}, "scores": scores, "oof_margin": oof}


def _fit_model(X: pd.DataFrame, y: np.ndarray, *, grid, inner_splits, random_state, risk_bands,
               lgbm_params) -> tuple[AttritionModel, dict]:
    """Select, calibrate by cross-fitting, refit on all rows; an :class:`AttritionModel`."""
    if lgbm_params:
        grid = {"configured": {**(lgbm_params or {})}}
    choice = select_params(X, y, grid=grid, inner_splits=inner_splits, random_state=random_state)
    params = dict(choice["params"])
    rounds = int(params.pop("n_estimators"))
    booster = lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=rounds)
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(choice["oof_margin"].reshape(-1, 1), y)

    model = AttritionModel(lgbm_params={**choice["params"]}, risk_bands=risk_bands, random_state=random_state)
    model.spec_ = None  # a flat table has no snapshots
    model.validation_dates_ = []
    model.booster_ = booster
    model.best_iteration_ = rounds
    model.feature_names_in_ = list(X.columns)
    model.categories_ = {c: [str(v) for v in X[c].cat.categories] for c in X.columns
                         if isinstance(X[c].dtype, pd.CategoricalDtype)}
    model.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    base = float(np.mean(y))
    bands = risk_bands or {"medium": 1.0, "high": 2.0}
    model.base_rate_ = base
    model.thresholds_ = {k: float(v * base) for k, v in bands.items()}
    return model, choice


@dataclass
class FlatFit:
    """The result of :func:`fit_table`.

    Attributes
    ----------
    model : AttritionModel
        Fitted on every row; ``model.metrics_`` holds the cross-validated metrics.
    cv : pandas.DataFrame
        One row per outer fold: the model's, the logistic regression's and the
        class prior's metrics on the outer test fold, and the chosen setting.
    oof : pandas.DataFrame
        Out-of-fold risk of the first repeat (``y``, ``risk``), for plots.
    selection : dict
        The final model's selection (chosen setting and inner AUC per candidate).
    dropped : list of str
        Columns dropped as protected or by request.
    """

    model: AttritionModel
    cv: pd.DataFrame
    oof: pd.DataFrame
    selection: dict
    dropped: list[str]


def fit_table(
    frame: pd.DataFrame,
    target: str,
    *,
    positive=None,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    protected: Sequence[str] = FLAT_PROTECTED,
    grid: dict[str, dict[str, Any]] | None = None,
    lgbm_params: dict[str, Any] | None = None,
    cv_splits: int = 5,
    cv_repeats: int = 2,
    inner_splits: int = 5,
    risk_bands: dict[str, float] | None = None,
    random_state: int = 0,
    source: str = "table",
    evaluate: bool = True,
) -> FlatFit:
    """Train an :class:`AttritionModel` on a one-row-per-employee table (see the module docs).

    Parameters
    ----------
    frame : pandas.DataFrame
    target : str
        Column saying whether the employee left.
    positive : optional
        The target value meaning "left"; needed unless the column has two
        obvious values (``Yes``/``No``, ``1``/``0``, ``True``/``False``).
    id_column : str, optional
        Employee id column (not a feature; must be unique).
    drop : sequence of str
        More columns to leave out.
    protected : sequence of str
        Names dropped as protected attributes (default :data:`FLAT_PROTECTED`).
    grid : dict, optional
        Candidates of the inner search (default :data:`FLAT_GRID`).
    lgbm_params : dict, optional
        One fixed setting instead of the search (early stopping still picks
        the number of trees).
    cv_splits, cv_repeats : int
        Outer repeated stratified cross-validation for the reported metrics.
    inner_splits : int
        Folds of the inner selection and cross-fitted calibration.
    evaluate : bool, default True
        Run the outer cross-validation. ``False`` only fits (``metrics_`` is
        then empty): for callers that evaluate on their own folds, such as
        ``benchmarks/ibm_attrition.py``.
    """
    for name, v, lo in (("cv_splits", cv_splits, 2), ("cv_repeats", cv_repeats, 1), ("inner_splits", inner_splits, 2)):
        if not isinstance(v, int) or v < lo:
            raise ConfigError(f"{name} must be a whole number of at least {lo}, got {v!r}.")
    y, pos_value = _target(frame, target, positive, source)
    _check_ids(frame, id_column, source)
    X, dropped = flat_features(frame, target=target, id_column=id_column, drop=drop, protected=protected,
                               source=source)
    n_pos = int(y.sum())
    need = max(cv_splits, inner_splits) * 2
    if n_pos < need or len(y) - n_pos < need:
        raise InsufficientDataError(
            f"{source}: {n_pos} leavers and {len(y) - n_pos} stayers: nested cross-validation with "
            f"{cv_splits} outer and {inner_splits} inner folds needs at least {need} of each. Use a "
            "larger table or fewer folds.")
    if n_pos < 50:
        warnings.warn(f"Only {n_pos} leavers: the cross-validated metrics will be noisy.",
                      DataQualityWarning, stacklevel=2)

    started = time.perf_counter()
    outer = RepeatedStratifiedKFold(n_splits=cv_splits, n_repeats=cv_repeats, random_state=random_state)
    rows, oof = [], np.full(len(y), np.nan)
    for i, (tr, te) in enumerate(outer.split(X, y) if evaluate else []):
        model, choice = _fit_model(X.iloc[tr], y[tr], grid=grid, inner_splits=inner_splits,
                                   random_state=random_state, risk_bands=risk_bands, lgbm_params=lgbm_params)
        p = model.predict_risk(X.iloc[te])
        lr = LogisticBaseline(features=list(X.columns)).fit(X.iloc[tr], y[tr]).predict_risk(X.iloc[te])
        prior = ClassPriorBaseline().fit(X.iloc[tr], y[tr]).predict_risk(X.iloc[te])
        row = {"fold": i, "repeat": i // cv_splits, "setting": choice["name"], "trees": model.best_iteration_}
        for prefix, risk in (("model_", p), ("logistic_", lr), ("class_prior_", prior)):
            m = classification_metrics(y[te], risk)
            m["ece"] = expected_calibration_error(y[te], risk)
            row.update({f"{prefix}{k}": v for k, v in m.items()})
        rows.append(row)
        if i < cv_splits:
            oof[te] = p
        log.info("  outer fold %d/%d: ROC AUC %.3f (logistic %.3f), setting %s, %d trees",
                 i + 1, cv_splits * cv_repeats, row["model_roc_auc"], row["logistic_roc_auc"],
                 choice["name"], model.best_iteration_)
    cv = pd.DataFrame(rows)
    if not evaluate:
        model, choice = _fit_model(X, y, grid=grid, inner_splits=inner_splits, random_state=random_state,
                                   risk_bands=risk_bands, lgbm_params=lgbm_params)
        model.metrics_ = {}
        model.training_summary_ = {"mode": "flat", "validation": "not evaluated", "n_rows": int(len(y)),
                                   "positives": n_pos, "target": target, "positive": pos_value,
                                   "setting": choice["name"], "best_iteration": model.best_iteration_,
                                   "horizon_days": None, "id_column": id_column, "dropped": dropped}
        return FlatFit(model=model, cv=cv, oof=pd.DataFrame({"y": [], "risk": []}),
                       selection={k: v for k, v in choice.items() if k != "oof_margin"}, dropped=dropped)

    model, choice = _fit_model(X, y, grid=grid, inner_splits=inner_splits, random_state=random_state,
                               risk_bands=risk_bands, lgbm_params=lgbm_params)
    metrics: dict[str, float] = {}
    for prefix in ("model_", "logistic_", "class_prior_"):
        for key in ("roc_auc", "pr_auc", "brier", "log_loss", "ece", "precision_top10", "lift_top10"):
            vals = cv[f"{prefix}{key}"]
            name = "cv_" if prefix == "model_" else f"{prefix.rstrip('_')}_cv_"
            metrics[f"{name}{key}"] = float(vals.mean())
            metrics[f"{name}{key}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else float("nan")
    metrics.update({f"cv_oof_{k}": v for k, v in capacity_metrics(y[np.isfinite(oof)], oof[np.isfinite(oof)]).items()})
    metrics["n"] = float(len(y))
    metrics["positives"] = float(n_pos)
    model.metrics_ = metrics
    model.training_summary_ = {
        "mode": "flat",
        "validation": f"{cv_repeats}x{cv_splits}-fold repeated stratified cross-validation "
                      "(no time axis: not an out-of-time estimate)",
        "n_rows": int(len(y)),
        "positives": n_pos,
        "target": target,
        "positive": pos_value,
        "setting": choice["name"],
        "inner_auc": {k: round(v, 4) for k, v in choice["scores"].items()},
        "best_iteration": model.best_iteration_,
        "horizon_days": None,
        "seconds": round(time.perf_counter() - started, 1),
        "id_column": id_column,
        "dropped": dropped,
    }
    log.info("Cross-validated ROC AUC %.3f (logistic regression %.3f); final setting %s, %d trees",
             metrics["cv_roc_auc"], metrics["logistic_cv_roc_auc"], choice["name"], model.best_iteration_)
    return FlatFit(model=model, cv=cv, oof=pd.DataFrame({"y": y, "risk": oof}).dropna(),
                   selection={k: v for k, v in choice.items() if k != "oof_margin"}, dropped=dropped)


