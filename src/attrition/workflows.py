"""End-to-end jobs shared by the command line and the Python API.

``train`` and ``score`` each do one whole job — load and validate, build
snapshots, fit or predict, log or write — so that the CLI stays a thin layer
and a scheduled Python job gets exactly what the CLI does.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import Config
from .drift import table_schema
from .exceptions import ConfigError
from .loading import load_tables, read_roster
from .model import AttritionModel
from .scoring import score_roster
from .snapshots import build_snapshots, feature_labels
from .tables import Tables
from .tracking import TrainingRun, load_model, log_training_run

__all__ = ["train", "score", "write_table", "TrainResult"]

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """The fitted model, the MLflow run it was logged to, and the snapshot frame."""

    model: AttritionModel
    run: TrainingRun
    snapshots: pd.DataFrame


def _tables(config: Config, tables: Tables | None) -> Tables:
    if tables is not None:
        return tables
    if config.data_dir is None:
        raise ConfigError("No data folder: pass --data DIR (or data_dir in the configuration).")
    return load_tables(config.data_dir, config)


def train(config: Config, *, register: str | None = None, tables: Tables | None = None) -> TrainResult:
    """Load, build monthly snapshots, fit out of time, and log to MLflow.

    Parameters
    ----------
    config : Config
        Settings (``data_dir``, ``horizon_days``, ``windows``, tracking ...).
    register : str, optional
        Register the model under this name with the alias ``champion``.
    tables : Tables, optional
        Already-loaded tables (skips reading ``config.data_dir``).
    """
    tables = _tables(config, tables)
    log.info("Building snapshots (horizon %d days)", config.horizon_days)
    snaps = build_snapshots(tables, horizon_days=config.horizon_days, windows=config.windows,
                            survey_privacy=config.survey_privacy,
                            min_group_size=config.min_group_size)
    log.info("Training LightGBM out of time")
    model = AttritionModel(
        horizon_days=config.horizon_days,
        valid_months=config.valid_months,
        lgbm_params=config.lgbm_params,
        risk_bands=config.risk_bands,
        random_state=config.random_state,
    ).fit(snaps)
    model.snapshot_params_ = {"windows": list(config.windows), "horizon_days": config.horizon_days,
                              "survey_privacy": config.survey_privacy,
                              "min_group_size": config.min_group_size,
                              "input_schema": table_schema(tables)}
    log.info("Logging the run to MLflow")
    run = log_training_run(model, snaps, tables, config, register=register,
                           feature_labels=feature_labels(windows=config.windows,
                                                         survey_privacy=config.survey_privacy,
                                                         min_group_size=config.min_group_size))
    return TrainResult(model=model, run=run, snapshots=snaps)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet (by suffix) atomically: a temporary file renamed on success."""
    path = Path(path)
    if path.suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {path} must end in .csv or .parquet.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def score(
    config: Config,
    as_of,
    *,
    model_uri: str | None = None,
    roster: str | Path | None = None,
    out: str | Path | None = None,
    tables: Tables | None = None,
    model: AttritionModel | None = None,
    report: str | Path | None = None,
) -> pd.DataFrame:
    """Score the roster as of a date with a registered (or given) model.

    Parameters
    ----------
    config : Config
    as_of : date
    model_uri : str, optional
        MLflow model URI; default ``models:/<config.registered_model>@champion``.
    roster : path, optional
        CSV/Parquet with ``employee_id``; default everyone employed on ``as_of``.
    out : path, optional
        Where to write the scores (``.csv`` or ``.parquet``), atomically.
    tables, model : optional
        Already-loaded tables / a fitted model (then ``model_uri`` is not read).
    report : path, optional
        Also write the HTML report of these scores (:mod:`attrition.report`).

    The output ends with ``employee_pseudonym``, the keyed hash of the id
    (:func:`attrition.privacy.pseudonymise`) under which reports and MLflow
    artefacts show the person.
    """
    info = {"model_name": "", "model_version": ""}
    if out is not None and Path(out).suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {out} must end in .csv or .parquet.")
    if report is not None and Path(report).suffix.lower() not in {".html", ".htm"}:
        raise ConfigError(f"Report {report} must end in .html.")
    if model is None:
        uri = model_uri or f"models:/{config.registered_model}@champion"
        model, info = load_model(uri, config)
    tables = _tables(config, tables)
    roster_frame = read_roster(roster) if roster is not None else None
    scores = score_roster(
        tables, as_of, model, roster=roster_frame, n_drivers=config.n_drivers,
        model_info=info, roster_source=str(roster) if roster is not None else "roster",
    )
    from .privacy import pseudonymise, resolve_salt

    scores["employee_pseudonym"] = pseudonymise(scores["employee_id"].astype(str), resolve_salt(config))
    if report is not None:  # built before anything is written: a failure leaves no partial output
        from .report import build_report, write_text

        windows = tuple((getattr(model, "snapshot_params_", {}) or {}).get("windows") or config.windows)
        features = build_snapshots(tables, as_of=[pd.Timestamp(as_of)], windows=windows, labels=False)
        from .report import model_fairness

        html = build_report(scores, config=config, model=model, model_info=info, features=features,
                            fairness=model_fairness(info, config))
    if out is not None:
        write_table(scores, out)
        log.info("Wrote %d scores to %s", len(scores), out)
    if report is not None:
        write_text(report, html)
        log.info("Wrote the report to %s", report)
    return scores
