"""End-to-end jobs shared by the command line and the Python API.

``train`` and ``score`` each do one whole job — load and validate, build
snapshots, fit or predict, log or write — so that the CLI stays a thin layer
and a scheduled Python job gets exactly what the CLI does.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ._atomic import atomic_write
from .config import Config
from .drift import table_schema
from .exceptions import ConfigError, InsufficientDataError
from .loading import load_tables, read_roster
from .model import AttritionModel
from .quiet_quitting import (
    QuietQuittingDefinition,
    load_companion_model,
    quiet_quitting_snapshots,
    registered_name,
)
from .scoring import score_roster, survey_privacy_of
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
    #: With ``target="all"``: the quiet-quitting model's result (see :mod:`attrition.quiet_quitting`).
    quiet_quitting: TrainResult | None = None


def _tables(config: Config, tables: Tables | None) -> Tables:
    if tables is not None:
        return tables
    if config.data_dir is None:
        raise ConfigError("No data folder: pass --data DIR (or data_dir in the configuration).")
    return load_tables(config.data_dir, config)


#: Values of ``train(target=...)`` / ``attrition train --target``.
TARGETS: tuple[str, ...] = ("attrition", "quiet_quitting", "all")


def train(config: Config, *, register: str | None = None, tables: Tables | None = None,
          target: str = "attrition") -> TrainResult:
    """Load, build monthly snapshots, fit out of time, and log to MLflow.

    Parameters
    ----------
    config : Config
        Settings (``data_dir``, ``horizon_days``, ``windows``, tracking ...).
    register : str, optional
        Register the model under this name with the alias ``champion``; the
        quiet-quitting model is registered as ``<register>-quiet-quitting``.
    tables : Tables, optional
        Already-loaded tables (skips reading ``config.data_dir``).
    target : {"attrition", "quiet_quitting", "all"}, default "attrition"
        Which model(s) to train, on the same snapshots. With ``"all"`` the
        result is the attrition model's, with the quiet-quitting model's in
        ``result.quiet_quitting``.
    """
    if target not in TARGETS:
        raise ConfigError(f"target must be one of {', '.join(TARGETS)}, got {target!r}.")
    tables = _tables(config, tables)
    log.info("Building snapshots (horizon %d days)", config.horizon_days)
    snaps = build_snapshots(tables, horizon_days=config.horizon_days, windows=config.windows,
                            survey_privacy=config.survey_privacy,
                            min_group_size=config.min_group_size)
    # Fit every model before logging or registering anything: a failure leaves no partial output.
    qq = _fit_quiet_quitting(config, snaps, tables) if target != "attrition" else None
    if target == "quiet_quitting":
        return _log_quiet_quitting(config, tables, register, *qq)
    log.info("Training LightGBM out of time")
    model = AttritionModel(
        horizon_days=config.horizon_days,
        valid_months=config.valid_months,
        lgbm_params=config.lgbm_params,
        risk_bands=config.risk_bands,
        random_state=config.random_state,
    ).fit(snaps)
    model.snapshot_params_ = _snapshot_params(config, tables)
    log.info("Logging the run to MLflow")
    run = log_training_run(model, snaps, tables, config, register=register,
                           feature_labels=_feature_labels(config))
    qq_result = _log_quiet_quitting(config, tables, register, *qq) if qq is not None else None
    return TrainResult(model=model, run=run, snapshots=snaps, quiet_quitting=qq_result)


def _feature_labels(config: Config) -> dict[str, str]:
    return feature_labels(windows=config.windows, survey_privacy=config.survey_privacy,
                          min_group_size=config.min_group_size)


def _snapshot_params(config: Config, tables: Tables) -> dict:
    return {"windows": list(config.windows), "horizon_days": config.horizon_days,
            "survey_privacy": config.survey_privacy, "min_group_size": config.min_group_size,
            "input_schema": table_schema(tables)}


def _fit_quiet_quitting(config: Config, snaps: pd.DataFrame, tables: Tables):
    """The quiet-quitting model: same snapshots relabelled, same estimator and split."""
    definition = QuietQuittingDefinition.from_config(config)
    log.info("Quiet quitting: labelling entry into the state (threshold %.0f, surveys %s)",
             definition.state_threshold, "used" if definition.use_surveys else "not used")
    qq_snaps = quiet_quitting_snapshots(snaps, tables, config.horizon_days, definition)
    if not qq_snaps["label"].notna().any():
        raise InsufficientDataError(
            "No quiet-quitting label could be formed: the index needs at least one effort signal "
            "(schedule or workload exports, or surveys with survey_privacy = 'identified') over "
            "several months. Provide those tables, or train with --target attrition."
        )
    log.info("Training the quiet-quitting model out of time")
    model = AttritionModel(
        horizon_days=config.horizon_days,
        valid_months=config.valid_months,
        lgbm_params=config.lgbm_params,
        risk_bands=dict(definition.bands),
        random_state=config.random_state,
        target="quiet_quitting",
    ).fit(qq_snaps)
    model.snapshot_params_ = {**_snapshot_params(config, tables), "quiet_quitting": definition.to_dict()}
    return model, qq_snaps


def _log_quiet_quitting(config: Config, tables: Tables, register: str | None, model: AttritionModel,
                        qq_snaps: pd.DataFrame) -> TrainResult:
    run = log_training_run(model, qq_snaps, tables, config,
                           register=registered_name(register) if register else None,
                           feature_labels=_feature_labels(config))
    return TrainResult(model=model, run=run, snapshots=qq_snaps)


def _scoring_definition(config: Config, model: AttritionModel, qq_model: AttritionModel | None):
    """The quiet-quitting definition to score with: the one the quiet-quitting model was trained
    with, else the configuration's on the attrition model's windows and survey mode."""
    stored = QuietQuittingDefinition.from_model(qq_model) if qq_model is not None else None
    if stored is not None:
        return stored
    params = getattr(model, "snapshot_params_", {}) or {}
    definition = QuietQuittingDefinition.from_config(config, windows=params.get("windows"))
    return dataclasses.replace(definition, use_surveys=survey_privacy_of(model) == "identified")


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet (by suffix) atomically: a temporary file renamed on success."""
    path = Path(path)
    if path.suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {path} must end in .csv or .parquet.")

    def write(tmp: str) -> None:
        if path.suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        else:
            frame.to_parquet(tmp, index=False)

    return atomic_write(path, write)


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
    qq_model_uri: str | None = None,
    qq_model: AttritionModel | None = None,
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
    qq_model_uri : str, optional
        The quiet-quitting model. Default: when the attrition model comes from
        ``models:/NAME@ALIAS``, ``models:/NAME-quiet-quitting@ALIAS`` if it is
        registered; otherwise the quiet-quitting risk is omitted (logged) and
        only the index, which needs no model, is written.
    qq_model : AttritionModel, optional
        A fitted quiet-quitting model (then ``qq_model_uri`` is not read).

    The output ends with ``employee_pseudonym``, the keyed hash of the id
    (:func:`attrition.privacy.pseudonymise`) under which reports and MLflow
    artefacts show the person.
    """
    info = {"model_name": "", "model_version": ""}
    if out is not None and Path(out).suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {out} must end in .csv or .parquet.")
    if report is not None and Path(report).suffix.lower() not in {".html", ".htm"}:
        raise ConfigError(f"Report {report} must end in .html.")
    uri = None
    if model is None:
        uri = model_uri or f"models:/{config.registered_model}@champion"
        model, info = load_model(uri, config)
    if getattr(model, "target", "attrition") != "attrition":
        raise ConfigError(
            f"The model {uri or ''} predicts {model.target!r}, not attrition. Pass the attrition "
            "model as --model and the quiet-quitting one as --qq-model."
        )
    if qq_model is None:
        qq_model = load_companion_model(config, uri, qq_model_uri)
    tables = _tables(config, tables)
    roster_frame = read_roster(roster) if roster is not None else None
    scores = score_roster(
        tables, as_of, model, roster=roster_frame, n_drivers=config.n_drivers,
        model_info=info, roster_source=str(roster) if roster is not None else "roster",
        quiet_quitting=_scoring_definition(config, model, qq_model), qq_model=qq_model,
    )
    from .privacy import pseudonymise, resolve_salt

    scores["employee_pseudonym"] = pseudonymise(scores["employee_id"].astype(str), resolve_salt(config))
    if report is not None:  # built before anything is written: a failure leaves no partial output
        from .report import build_report, write_text

        windows = tuple((getattr(model, "snapshot_params_", {}) or {}).get("windows") or config.windows)
        params = getattr(model, "snapshot_params_", {}) or {}
        features = build_snapshots(tables, as_of=[pd.Timestamp(as_of)], windows=windows, labels=False,
                                   survey_privacy=survey_privacy_of(model),
                                   min_group_size=int(params.get("min_group_size") or 5))
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
