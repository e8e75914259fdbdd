"""Flat-table mode jobs: ``attrition train --table`` and ``attrition score --table``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from attrition.data._io import write_table
from attrition.exceptions import ConfigError
from attrition.models._flat import fit_table, read_table
from attrition.models._flat_survival import fit_survival_table
from attrition.scoring._flat import score_table
from attrition.tracking._flat import log_flat_run
from attrition.tracking._flat_survival import log_flat_survival_run
from attrition.tracking._mlflow import load_model

__all__ = ["train_table", "train_survival_table", "score_table_file"]


# ------------------------------------------------------------------- workflows
def train_table(config, table: str | Path, target: str, *, positive=None, id_column: str | None = None,
                drop: Sequence[str] = (), register: str | None = None):
    """``attrition train --table``: read, fit with nested CV metrics, log to MLflow.

    Protected names come from ``config.flat_protected``. Returns ``(FlatFit, TrainingRun)``.
    """
    frame = read_table(table)
    fit = fit_table(frame, target, positive=positive, id_column=id_column, drop=drop,
                    protected=config.flat_protected, lgbm_params=config.lgbm_params or None,
                    risk_bands=config.risk_bands, random_state=config.random_state, source=str(table))
    # Only an explicit --register: a configured registered_model names the monthly (snapshot) model,
    # which a flat-table model must not replace as the champion `attrition score --data` loads.
    run = log_flat_run(fit, frame, source=str(table), register=register,
                       tracking_uri=config.resolved_tracking_uri(), experiment=config.experiment,
                       run_params=config.to_dict())
    return fit, run


def train_survival_table(config, table: str | Path, duration: str, event: str, *, duration_unit: str = "months",
                         horizons: Sequence[float] | None = None, positive=None, id_column: str | None = None,
                         drop: Sequence[str] = (), register: str | None = None):
    """``attrition train --table FILE --duration COL --event COL``: fit the survival model, log to MLflow.

    Returns ``(FlatSurvivalFit, TrainingRun)``; the fit's metrics are cross-validated
    concordance beside a Cox model, and calibration at each horizon against Kaplan–Meier.
    """
    frame = read_table(table)
    fit = fit_survival_table(frame, duration, event, duration_unit=duration_unit, horizons=horizons,
                             positive=positive, id_column=id_column, drop=drop, protected=config.flat_protected,
                             risk_bands=config.risk_bands, random_state=config.random_state, source=str(table))
    run = log_flat_survival_run(fit, frame, source=str(table), register=register,
                                tracking_uri=config.resolved_tracking_uri(), experiment=config.experiment,
                                run_params=config.to_dict())
    return fit, run


def score_table_file(config, table: str | Path, out: str | Path, *, id_column: str | None = None,
                     model_uri: str | None = None) -> pd.DataFrame:
    """``attrition score --table``: load the model, score the table, write ``out`` atomically."""
    if Path(out).suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {out} must end in .csv or .parquet.")
    frame = read_table(table)
    model, info = load_model(model_uri or f"models:/{config.model_name()}@champion",
                             config.resolved_tracking_uri())
    if model.training_summary_.get("mode") != "flat":
        raise ConfigError(
            f"The model {info['model_uri']} was trained on monthly snapshots, not on a flat table; score it "
            "with --data DIR --as-of DATE, or pass --model with a model trained by `attrition train --table`.")
    scores = score_table(frame, model, id_column=id_column, n_drivers=config.n_drivers, model_info=info,
                         source=str(table))
    write_table(scores, out)
    return scores
