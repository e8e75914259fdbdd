"""MLflow logging of a flat-table survival model (``attrition train --table --duration --event``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition._lazy import lazy_module
from attrition._version import __version__
from attrition.models._flat import flat_features
from attrition.models._flat_survival import FlatSurvivalFit
from attrition.reporting._plots import close_figure, driver_importance_figure
from attrition.reporting._survival import kaplan_meier_figure, survival_card_markdown
from attrition.tracking._flat import table_fingerprint
from attrition.tracking._mlflow import TrainingRun, _fmt, log_model, register_champion, setup_tracking

mlflow = lazy_module("mlflow")

__all__ = ["log_flat_survival_run"]


def log_flat_survival_run(fit: FlatSurvivalFit, frame: pd.DataFrame, *, source: str = "table",
                          register: str | None = None, tracking_uri: str | None = None,
                          experiment: str = "attrition", run_params: dict | None = None) -> TrainingRun:
    """Log a flat-table survival model as one MLflow run: metrics, Kaplan–Meier plot, card, model."""
    uri = setup_tracking(tracking_uri, experiment)
    model = fit.model
    s, m = model.training_summary_, model.metrics_
    fingerprint = table_fingerprint(frame)
    X, _ = flat_features(frame, target=s["event"], id_column=s["id_column"], drop=[*fit.dropped, s["duration"]],
                         protected=())
    example = X.head(5).copy()
    for col in model.categories_:
        example[col] = example[col].astype(object)
    description = (
        f"Discrete-time LightGBM survival model on the flat table {source} ({s['n_rows']} rows, {s['events']} "
        f"voluntary exits; duration {s['duration']} in {s['duration_unit']}, event {s['event']}). "
        f"{s['validation']}: concordance {_fmt(m.get('cv_concordance'))} vs Cox {_fmt(m.get('cox_cv_concordance'))}.")
    cols = model.horizon_columns()
    with mlflow.start_run(run_name=f"attrition-flat-survival-{s['event']}", description=description) as run:
        mlflow.log_params({"mode": "flat", "survival": True, "duration": s["duration"], "event": s["event"],
                           "duration_unit": s["duration_unit"], "horizons": ",".join(f"{h:g}" for h in s["horizons"]),
                           "id_column": s["id_column"], "dropped": ",".join(fit.dropped),
                           "n_features": len(model.feature_names_in_), "best_iteration": model.best_iteration_,
                           "validation": s["validation"]})
        mlflow.log_metrics({k: float(v) for k, v in m.items() if np.isfinite(v)})
        mlflow.set_tags({"data_fingerprint": fingerprint, "attrition_version": __version__,
                         "target": "attrition", "mode": "flat", "survival": "true"})
        mlflow.log_dict({"features": model.feature_names_in_,
                         "labels": {f: f for f in model.feature_names_in_}}, "features.json")
        mlflow.log_dict(s, "training_summary.json")
        if run_params is not None:
            mlflow.log_dict(dict(run_params), "config.json")
        mlflow.log_text(fit.cv.to_csv(index=False, lineterminator="\n"), "cv_folds.csv")
        mlflow.log_text(fit.kaplan_meier.to_csv(index=False, lineterminator="\n"), "kaplan_meier.csv")
        mlflow.log_text(survival_card_markdown(fit, source), "model_card.md")
        predicted = {h: float(fit.oof[c].mean()) for h, c in zip(s["horizons"], cols, strict=True)}
        for name, fig in (
            ("plots/kaplan_meier.png", kaplan_meier_figure(fit.kaplan_meier, unit=s["duration_unit"],
                                                           horizons=s["horizons"], predicted=predicted)),
            ("plots/driver_importance.png", driver_importance_figure(model.contributions(X))),
        ):
            mlflow.log_figure(fig, name)
            close_figure(fig)
        result = TrainingRun(run_id=run.info.run_id, model_uri=log_model(model, example), tracking_uri=uri)
    if register:
        tags = {"mode": "flat", "survival": "true", "event": str(s["event"]), "duration": str(s["duration"]),
                "input_fingerprint": fingerprint, "attrition_version": __version__,
                "validation": str(s["validation"]),
                **{k: _fmt(v) for k, v in m.items() if k.endswith("cv_concordance")}}
        result.registered_name, result.registered_version = register, register_champion(
            result.model_uri, register, description=description, tags=tags)
    return result
