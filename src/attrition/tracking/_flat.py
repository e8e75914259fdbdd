"""MLflow logging of a flat-table model (``attrition train --table``)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from attrition._lazy import lazy_module
from attrition._version import __version__
from attrition.models._flat import FlatFit, flat_features
from attrition.reporting._model_card import flat_model_card_markdown
from attrition.reporting._plots import calibration_figure, close_figure, driver_importance_figure
from attrition.tracking._mlflow import TrainingRun, _fmt, log_model, register_champion, setup_tracking

mlflow = lazy_module("mlflow")

__all__ = ["log_flat_run", "table_fingerprint"]


def table_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of a flat table's column names and rows (row order does not matter)."""
    rows = pd.util.hash_pandas_object(frame.loc[:, sorted(frame.columns)], index=False).to_numpy()
    return hashlib.sha256(json.dumps(sorted(map(str, frame.columns))).encode() + np.sort(rows).tobytes()).hexdigest()


def log_flat_run(fit: FlatFit, frame: pd.DataFrame, *, source: str = "table",
                 register: str | None = None, tracking_uri: str | None = None,
                 experiment: str = "attrition", run_params: dict | None = None) -> TrainingRun:
    """Log a flat-table model as one MLflow run, like :func:`attrition.tracking.log_training_run`."""
    uri = setup_tracking(tracking_uri, experiment)
    model = fit.model
    fingerprint = table_fingerprint(frame)
    X, _ = flat_features(frame, target=model.training_summary_["target"],
                         id_column=model.training_summary_["id_column"], drop=fit.dropped, protected=())
    example = X.head(5).copy()
    for col in model.categories_:
        example[col] = example[col].astype(object)
    summary = model.training_summary_
    m = model.metrics_ or {}
    description = (
        f"LightGBM attrition model on the flat table {source} (one row per employee, target "
        f"{summary['target']} = {summary['positive']!r}, {summary.get('n_rows', '?')} rows). "
        + (f"{summary['validation']}: ROC AUC {_fmt(m.get('cv_roc_auc'))} vs logistic regression "
           f"{_fmt(m.get('logistic_cv_roc_auc'))} and class prior {_fmt(m.get('class_prior_cv_roc_auc'))}."
           if "cv_roc_auc" in m else "Not evaluated.")
    )
    with mlflow.start_run(run_name=f"attrition-flat-{summary['target']}", description=description) as run:
        mlflow.log_params({"mode": "flat", "target": model.training_summary_["target"],
                           "positive": model.training_summary_["positive"],
                           "id_column": model.training_summary_["id_column"],
                           "dropped": ",".join(fit.dropped), "setting": fit.selection["name"],
                           "n_features": len(model.feature_names_in_), "best_iteration": model.best_iteration_,
                           "validation": model.training_summary_["validation"],
                           **{f"lgbm_{k}": v for k, v in fit.selection["params"].items()}})
        mlflow.log_metrics({k: float(v) for k, v in model.metrics_.items() if np.isfinite(v)})
        mlflow.set_tags({"data_fingerprint": fingerprint, "attrition_version": __version__,
                         "target": "attrition", "mode": "flat"})
        mlflow.log_dict({"features": model.feature_names_in_,
                         "labels": {f: f for f in model.feature_names_in_}}, "features.json")
        mlflow.log_dict(model.training_summary_, "training_summary.json")
        if run_params is not None:
            mlflow.log_dict(dict(run_params), "config.json")
        mlflow.log_text(fit.cv.to_csv(index=False, lineterminator="\n"), "cv_folds.csv")
        mlflow.log_text(flat_model_card_markdown(fit, source), "model_card.md")
        for name, fig in (
            ("plots/calibration_cv.png", calibration_figure(fit.oof["y"], fit.oof["risk"],
                                                            title="Calibration, out-of-fold (first repeat)")),
            ("plots/driver_importance.png", driver_importance_figure(model.contributions(X))),
        ):
            mlflow.log_figure(fig, name)
            close_figure(fig)
        result = TrainingRun(run_id=run.info.run_id, model_uri=log_model(model, example), tracking_uri=uri)
    if register:
        tags = {"mode": "flat", "target": str(summary["target"]), "positive": str(summary["positive"]),
                "input_fingerprint": fingerprint, "attrition_version": __version__,
                "validation": str(summary["validation"]), "spec": f"flat table {source}; setting "
                f"{fit.selection['name']}; {len(model.feature_names_in_)} features",
                **{k: _fmt(v) for k, v in m.items() if k.endswith("cv_roc_auc") or k == "cv_pr_auc"}}
        result.registered_name, result.registered_version = register, register_champion(
            result.model_uri, register, description=description, tags=tags)
    return result
