"""End-to-end jobs shared by the command line and the Python API: train and score.

``train`` and ``score`` each do one whole job — load and validate, build
snapshots once, fit or predict, log or write — so that the CLI stays a thin
layer and a scheduled Python job gets exactly what the CLI does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from attrition.analysis._forecast import leaver_forecast
from attrition.data._fingerprint import data_fingerprint
from attrition.data._io import atomic_write_all, table_writer, text_writer
from attrition.data._loading import read_roster
from attrition.data._privacy import pseudonymise, resolve_salt
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError
from attrition.jobs._config import Config
from attrition.models._model import AttritionModel, validation_start
from attrition.models._threads import limited_threads
from attrition.reporting._forecast import forecast_section
from attrition.reporting._report import build_report
from attrition.scoring._roster import score_roster, scoring_snapshots
from attrition.tracking._mlflow import (
    TrainingRun,
    load_companion_model,
    load_model,
    log_training_run,
    model_fairness,
    registered_name,
    training_command_run,
)

__all__ = ["train", "score", "TrainResult", "TARGETS", "report_group_size"]

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """The fitted model, the MLflow run it was logged to, and the snapshot frame."""

    model: AttritionModel
    run: TrainingRun
    snapshots: pd.DataFrame
    #: With ``target="all"``: the quiet-quitting model's result.
    quiet_quitting: TrainResult | None = None


#: Values of ``train(target=...)`` / ``attrition train --target``.
TARGETS: tuple[str, ...] = ("attrition", "quiet_quitting", "all")


def _fit(config: Config, snaps: pd.DataFrame, target: str) -> AttritionModel:
    spec = config.snapshot_spec(target)
    bands = dict(spec.quiet_quitting_definition().bands) if target == "quiet_quitting" else config.risk_bands
    log.info("Training the %s model out of time", target.replace("_", "-"))
    return AttritionModel(spec=spec, valid_months=config.valid_months, lgbm_params=config.lgbm_params,
                          risk_bands=bands, random_state=config.random_state).fit(snaps)


def release_free_memory() -> bool:
    """Hand the memory the C allocator holds free back to the system (glibc's ``malloc_trim(0)``).

    glibc keeps freed blocks below its mmap threshold (pandas' and numpy's column arrays of a
    large centre, a few MiB each) in its heap for reuse; between the training job's steps most of
    that is free, and the next step's temporaries would otherwise stack on top of it in the
    resident set. Returns whether it ran (False where the C library has no ``malloc_trim``, e.g.
    macOS or musl); nothing else changes.

    >>> isinstance(release_free_memory(), bool)
    True
    """
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def _libc():
    """The C library, looked up once (``find_library`` runs ``ldconfig``); None where there is none."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:  # pragma: no cover - a platform without a loadable C library
        return None


def _register_as(config: Config, register: str | None) -> str | None:
    name = register or config.registered_model
    if name is None:
        log.info("Not registered: pass --register NAME (or set registered_model in the configuration) "
                 "to make the model the @champion that `attrition score` loads.")
    return name


def train(config: Config, *, register: str | None = None, tables: Tables | None = None,
          target: str = "attrition") -> TrainResult:
    """Load, build monthly snapshots once, fit out of time, and log to MLflow.

    The whole job runs on ``config.threads`` OpenMP threads (default one,
    :func:`attrition.models.limited_threads`): the same trees as on every core,
    for far less CPU when the machine is busy.

    Parameters
    ----------
    config : Config
        Settings (``data_dir``, ``horizon_days``, ``windows``, tracking ...).
    register : str, optional
        Register the model under this name with the alias ``champion``
        (default: ``config.registered_model``, if set); the quiet-quitting
        model is registered as ``<name>-quiet-quitting``.
    tables : Tables, optional
        Already-loaded tables (skips reading ``config.data_dir``).
    target : {"attrition", "quiet_quitting", "all"}, default "attrition"
        Which model(s) to train, on the same snapshots. With ``"all"`` the
        result is the attrition model's, with the quiet-quitting model's in
        ``result.quiet_quitting``.
    """
    if target not in TARGETS:
        raise ConfigError(f"target must be one of {', '.join(TARGETS)}, got {target!r}.")
    with limited_threads(config.threads or None):
        return _train(config, register=register, tables=tables, target=target)


def training_frames(config: Config, tables: Tables, targets: list[str]) -> dict[str, pd.DataFrame]:
    """The snapshot frame of each target, as :func:`train` fits them: the month-end snapshots built
    once, and for ``"quiet_quitting"`` the same rows relabelled by the state model fitted on the
    months before the validation ones (its validation metrics then read labels from a state that
    never saw those months). The ``"attrition"`` frame is always built (the others start from it)."""
    spec = config.snapshot_spec("attrition")
    log.info("Building snapshots (horizon %d days)", spec.horizon_days)
    snaps = spec.build(tables)
    release_free_memory()  # between steps: the freed temporaries of one are not the next's floor
    frames = {"attrition": snaps}
    if "quiet_quitting" in targets:
        definition = spec.quiet_quitting_definition()
        log.info("Quiet quitting: fitting the state model (%s) and labelling entry into the state "
                 "(surveys %s)", definition.state_method, "used" if definition.use_surveys else "not used")
        first_valid = validation_start(snaps["as_of"], spec.horizon_days, config.valid_months,
                                       tables.infer_export_date())
        frames["quiet_quitting"] = config.snapshot_spec("quiet_quitting").relabel(
            snaps, tables, state_fit_before=first_valid)
        release_free_memory()
    return frames


def _train(config: Config, *, register: str | None, tables: Tables | None, target: str) -> TrainResult:
    """The body of :func:`train`, inside its thread limit."""
    tables = tables if tables is not None else config.load_tables()
    release_free_memory()  # the reader's freed text and temporaries: not the snapshot build's floor
    spec = config.snapshot_spec("attrition")
    targets = ["attrition", "quiet_quitting"] if target == "all" else [target]
    frames = training_frames(config, tables, targets)
    # Past the snapshots, the job reads of the tables only their fingerprint, which are present,
    # the export date and the employees (the logging): the event tables are let go before the fits.
    fingerprint = data_fingerprint(tables)
    tables = tables.outline()
    release_free_memory()
    # Fit every model before logging or registering anything: a failure leaves no partial output.
    models = {}
    for t in targets:
        models[t] = _fit(config, frames[t], t)
        release_free_memory()
    name = _register_as(config, register)
    results: dict[str, TrainResult] = {}
    tracking = config.resolved_tracking_uri()

    def _log(t: str, parent_run_id: str | None = None) -> None:
        log.info("Logging the %s run to MLflow", t.replace("_", "-"))
        run = log_training_run(
            models[t], frames[t], tables, tracking_uri=tracking, experiment=config.experiment,
            register=(registered_name(name) if t == "quiet_quitting" else name) if name else None,
            run_params=config.to_dict(), fairness_thresholds=config.fairness, parent_run_id=parent_run_id,
            fingerprint=fingerprint)
        results[t] = TrainResult(model=models[t], run=run, snapshots=frames[t])
        release_free_memory()

    if len(targets) > 1:
        # One parent run for the command; each model's run (the one its registered version points
        # to) is a nested child of it, so MLflow's UI shows them together.
        summary = models["attrition"].training_summary_
        with training_command_run(
                f"train-all-h{spec.horizon_days}", tracking_uri=tracking, experiment=config.experiment,
                description=(f"`attrition train --target all`: the attrition and quiet-quitting models, "
                             f"trained on the same month-end snapshots ({summary['train_first_as_of']} to "
                             f"{summary['train_last_as_of']}); each model is a nested run below."),
                tags={"kind": "train", "target": "all"}) as parent_id:
            for t in targets:
                _log(t, parent_id)
    else:
        _log(targets[0])
    if target == "all":
        results["attrition"].quiet_quitting = results["quiet_quitting"]
    return results[targets[0]]


def check_snapshot_model(model: AttritionModel, uri: str | None) -> None:
    """Monthly scoring needs a model trained on snapshots (it owns a spec), not a flat-table one."""
    if model.spec_ is None:
        raise ConfigError(
            f"The model {uri or ''} was trained on a flat table (attrition train --table), not on "
            "monthly snapshots: score it with `attrition score --table FILE`, or pass --model with a "
            "model trained by `attrition train --data DIR`."
        )


def report_group_size(config: Config, model: AttritionModel | None) -> int:
    """The smallest group a report may show: the stricter of the configuration's and the model's."""
    spec = model.spec_ if model is not None else None
    return max(int(config.min_group_size), int(spec.min_group_size) if spec is not None else 0)


def report_forecast(tables: Tables, as_of, model, rows: pd.DataFrame, min_group_size: int) -> dict | None:
    """The report's leaver forecast section (12 months, the scored people), or ``None`` when the
    model gives no survival curve (a binary model: the section is left out, logged)."""
    if getattr(model, "kind_", "binary") != "hazard" or not len(rows):
        log.info("The report has no leaver forecast: the model gives no monthly survival curve.")
        return None
    frame = leaver_forecast(tables, as_of, model, months=12, min_group_size=min_group_size, rows=rows)
    return forecast_section(frame)


def _check_outputs(out, report) -> None:
    if out is not None and Path(out).suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {out} must end in .csv or .parquet.")
    if report is not None and Path(report).suffix.lower() not in {".html", ".htm"}:
        raise ConfigError(f"Report {report} must end in .html.")


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
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score the roster as of a date with a registered (or given) model.

    Parameters
    ----------
    config : Config
    as_of : date
    model_uri : str, optional
        Any URI ``attrition train`` prints (``models:/NAME@champion``,
        ``models:/m-…``, ``runs:/…``) or a registered name; default
        ``models:/<registered_model>@champion``.
    roster : path, optional
        CSV/Parquet with ``employee_id``; default everyone employed on ``as_of``.
    out : path, optional
        Where to write the scores (``.csv`` or ``.parquet``), atomically.
    tables, model : optional
        Already-loaded tables / a fitted model (then ``model_uri`` is not read).
    report : path, optional
        Also write the HTML report of these scores (of the roster only). Only
        then are the quiet-quitting prevalence's month-by-month intervals
        computed (the report's trend; ``attrs["quiet_quitting_prevalence_by_month"]``
        of the result, empty without a report).
    qq_model_uri : str, optional
        The quiet-quitting model. Default: when the attrition model is a
        registered model, ``models:/NAME-quiet-quitting@ALIAS`` if it is
        registered; otherwise the quiet-quitting risk is omitted (logged) and
        only the index, which needs no model, is written.
    qq_model : AttritionModel, optional
        A fitted quiet-quitting model (then ``qq_model_uri`` is not read).
    outcomes : pandas.DataFrame, optional
        Labelled snapshots of past months (e.g. the training snapshots): the
        report adds expected against actual leavers and calibration.

    The output ends with ``employee_pseudonym``, the keyed hash of the id
    under which reports and MLflow artefacts show the person. The snapshots
    of the scoring date are built once, for the scores and the report.
    """
    _check_outputs(out, report)
    info = {"model_name": "", "model_version": ""}
    tracking = config.resolved_tracking_uri()
    uri = None
    if model is None:
        uri = model_uri or f"models:/{config.model_name()}@champion"
        model, info = load_model(uri, tracking)
        uri = info["model_uri"]
    check_snapshot_model(model, uri)
    if model.target != "attrition":
        raise ConfigError(
            f"The model {uri or ''} predicts {model.target!r}, not attrition. Pass the attrition "
            "model as --model and the quiet-quitting one as --qq-model."
        )
    if qq_model is None:
        qq_model = load_companion_model(uri, qq_model_uri, tracking)
    if tables is None:
        tables = config.load_tables(columns=model.spec_.columns, declare=model.spec_.declared)
    roster_frame = read_roster(roster) if roster is not None else None
    as_of = pd.Timestamp(as_of).normalize()
    # One build: the scoring date (scores, report) and the month ends the quiet-quitting state reads.
    snaps, history = scoring_snapshots(tables, as_of, model, qq_model)
    scores = score_roster(
        tables, as_of, model, roster=roster_frame, n_drivers=config.n_drivers,
        model_info=info, roster_source=str(roster) if roster is not None else "roster",
        quiet_quitting=True, qq_model=qq_model, snapshots=snaps, history=history,
        # The trend (one bootstrap a month) is shown by a report: this one, or one built later from a
        # Parquet scores file, which keeps the frame's attrs (``attrition report scores.parquet``).
        prevalence_trend=report is not None or (out is not None and Path(out).suffix == ".parquet"),
    )
    scores["employee_pseudonym"] = pseudonymise(scores["employee_id"].astype(str), resolve_salt(config.id_salt))
    html = None
    if report is not None:  # built before anything is written: a failure leaves no partial output
        features = snaps[snaps["employee_id"].isin(scores["employee_id"])] if roster is not None else snaps
        group_size = report_group_size(config, model)
        html = build_report(scores, model=model, model_info=info, features=features, outcomes=outcomes,
                            fairness=model_fairness(info, tracking), min_group_size=group_size,
                            id_salt=config.id_salt,
                            forecast=report_forecast(tables, as_of, model, features, group_size))
    outputs = []  # the scores and the report are written together, or neither
    if out is not None:
        outputs.append((out, table_writer(scores, out)))
    if html is not None:
        outputs.append((report, text_writer(html)))
    for path in atomic_write_all(outputs):
        log.info("Wrote %s", path)
    return scores
