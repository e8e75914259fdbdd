"""MLflow: the tracking store, training runs, registered models.

By default runs go to a SQLite store ``mlflow.db`` in the working directory,
with artefacts in ``mlartifacts/`` beside it; ``MLFLOW_TRACKING_URI`` (or the
config's ``tracking_uri``) points elsewhere. Models are logged as MLflow
``pyfunc`` models whose artefacts are the LightGBM text model and JSON
metadata written by :meth:`AttritionModel.save`; the registered ``champion``
alias is what monthly scoring loads.

The pyfunc wrapper is logged as code ("models from code",
``_pyfunc_entry.py``), not as a pickle, and the trees as LightGBM text. Loading
a model still executes that stored file: load models only from a store you
control.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import matplotlib.pyplot as plt
import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from attrition._version import __version__
from attrition.analysis._fairness import audit_model
from attrition.data._fingerprint import data_fingerprint
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError, ModelNotFoundError
from attrition.models._model import AttritionModel
from attrition.reporting._model_card import model_card_markdown
from attrition.reporting._plots import calibration_figure, driver_importance_figure
from attrition.reporting._report import training_artifacts

__all__ = [
    "default_tracking_uri",
    "setup_tracking",
    "log_training_run",
    "load_model",
    "load_companion_model",
    "normalise_model_uri",
    "log_model",
    "register_champion",
    "registered_name",
    "model_fairness",
    "AttritionPyfunc",
    "TrainingRun",
    "CHAMPION",
]

log = logging.getLogger(__name__)

#: Registry alias that scoring loads by default.
CHAMPION = "champion"


def default_tracking_uri() -> str:
    """``$MLFLOW_TRACKING_URI``, else a SQLite store ``mlflow.db`` in the working directory."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd().resolve() / 'mlflow.db'}"


def setup_tracking(tracking_uri: str | None = None, experiment: str = "attrition") -> str:
    """Point MLflow at the store and make sure the experiment exists.

    For a SQLite store, artefacts are kept in ``mlartifacts/`` next to the
    database file. Returns the tracking URI in force.
    """
    uri = tracking_uri or default_tracking_uri()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        if mlflow.get_experiment_by_name(experiment) is None:
            artifact_location = None
            if urlparse(uri).scheme == "sqlite":
                db = Path(uri[len("sqlite:///"):])
                artifact_location = (db.parent / "mlartifacts").resolve().as_uri()
            mlflow.create_experiment(experiment, artifact_location=artifact_location)
        mlflow.set_experiment(experiment)
    except (MlflowException, ValueError, OSError) as exc:
        raise ConfigError(
            f"Cannot use the MLflow tracking store {uri!r}: {str(exc).splitlines()[0] if str(exc) else exc}\n"
            "Pass --tracking-uri (tracking_uri in the config, or MLFLOW_TRACKING_URI) with a store "
            "MLflow can open, e.g. sqlite:///$PWD/mlflow.db."
        ) from exc
    return uri


class AttritionPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc wrapper: features in, ``<target>_risk`` out.

    The wrapper holds no state of its own; :meth:`load_context` reads the
    LightGBM text model and JSON metadata from the logged artefacts.
    Categorical features are passed as strings.
    """

    def load_context(self, context) -> None:
        self.model = AttritionModel.load(context.artifacts["model"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        risk = self.model.predict_risk(model_input)
        return pd.DataFrame({f"{self.model.target}_risk": risk})


@dataclass
class TrainingRun:
    """What :func:`log_training_run` logged."""

    run_id: str
    model_uri: str
    tracking_uri: str
    registered_name: str | None = None
    registered_version: str | None = None
    fairness: Any = None  # the FairnessAudit of the validation months


def _requirements() -> list[str]:
    pkgs = ["lightgbm", "pandas", "numpy", "scikit-learn", "mlflow"]
    return [f"{p}=={_package_version(p)}" for p in pkgs]


def _what(model: AttritionModel) -> str:
    return "attrition model" if model.target == "attrition" else "quiet-quitting model"


def _log_figures(model: AttritionModel, rows: pd.DataFrame, labels: Mapping[str, str],
                 contributions: pd.DataFrame) -> None:
    """Calibration and driver-importance plots of the validation months (aggregates only)."""
    for name, fig in (
        ("plots/calibration_validation.png",
         calibration_figure(rows["label"], model.predict_risk(rows),
                            title="Calibration on the validation months")),
        ("plots/driver_importance.png", driver_importance_figure(contributions, labels)),
    ):
        mlflow.log_figure(fig, name)
        plt.close(fig)


def _log_explanations(model: AttritionModel, snapshots: pd.DataFrame, labels: Mapping[str, str],
                      contributions: pd.DataFrame) -> None:
    """shap beeswarm, expected vs actual leavers and the team roll-up (pooled, no ids)."""
    figures, table = training_artifacts(model, snapshots, labels, min_group_size=model.spec_.min_group_size,
                                        contributions=contributions)
    for name, fig in figures.items():
        mlflow.log_figure(fig, name)
        plt.close(fig)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "team_rollup_last_validation_month.csv"
        table.to_csv(path, index=False)
        mlflow.log_artifact(str(path), "rollups")


def _log_fairness(model: AttritionModel, rows: pd.DataFrame, tables: Tables,
                  thresholds: Mapping[str, float] | None):
    """Fairness audit of the validation months: ``fairness.json``, ``fairness.csv``, flags.

    Only group aggregates are logged (groups under ``min_group_size``
    employees suppressed); no employee id, gender or birth year of a person.
    """
    audit = audit_model(model, rows, tables.employees, min_group_size=model.spec_.min_group_size,
                        thresholds=dict(thresholds or {}))
    mlflow.log_dict(audit.to_dict(), "fairness.json")
    mlflow.log_text(audit.to_frame().to_csv(index=False, lineterminator="\n"), "fairness.csv")
    mlflow.log_metric("fairness_flags", float(len(audit.flags)))
    mlflow.set_tag("fairness_flags", str(len(audit.flags)))
    for flag in audit.flags:
        log.warning("Fairness of the %s: %s", _what(model), flag)
    return audit


def _run_params(model: AttritionModel, tables: Tables, run_params: Mapping[str, Any] | None) -> dict:
    spec = model.spec_
    params: dict[str, Any] = {
        "target": spec.target,
        "horizon_days": spec.horizon_days,
        "windows": ",".join(map(str, spec.windows)),
        "valid_months": model.valid_months,
        "random_state": model.random_state,
        "n_features": len(model.feature_names_in_),
        "best_iteration": model.best_iteration_,
        "tables": ",".join(tables.present),
        "export_date": f"{tables.infer_export_date():%Y-%m-%d}",
        "survey_privacy": spec.survey_privacy,
        "min_group_size": spec.min_group_size,
    }
    params.update({f"lgbm_{k}": v for k, v in model._params().items()})
    return params


def log_training_run(
    model: AttritionModel,
    snapshots: pd.DataFrame,
    tables: Tables,
    *,
    tracking_uri: str | None = None,
    experiment: str = "attrition",
    register: str | None = None,
    run_params: Mapping[str, Any] | None = None,
    fairness_thresholds: Mapping[str, float] | None = None,
) -> TrainingRun:
    """Log a fitted model as one MLflow run; optionally register it as ``champion``.

    Logs the spec and LightGBM parameters, the validation metrics (model and
    baselines), the feature list, a fingerprint of the input data, the model
    card, calibration and driver-importance plots of the validation months,
    shap's beeswarm, expected vs actual leavers by month and a team roll-up of
    the last validation month (groups under ``min_group_size`` pooled; no ids),
    a fairness audit of the validation months (``fairness.json``/``fairness.csv``,
    metric and tag ``fairness_flags``), ``run_params`` (e.g. the run's
    configuration) as ``config.json``, and the model itself (``pyfunc`` with
    signature and input example: five rows of features, no identifiers).
    """
    uri = setup_tracking(tracking_uri, experiment)
    fingerprint = data_fingerprint(tables)
    features = model.feature_names_in_
    labels = model.feature_labels()
    example = snapshots.loc[snapshots["label"].notna(), features].head(5).copy()
    for col in model.categories_:
        example[col] = example[col].astype(object)
    target = model.target

    with mlflow.start_run(run_name=f"{target.replace('_', '-')}-h{model.horizon_days}") as run:
        mlflow.log_params(_run_params(model, tables, run_params))
        mlflow.log_metrics({k: float(v) for k, v in model.metrics_.items() if np.isfinite(v)})
        mlflow.set_tags({
            "data_fingerprint": fingerprint,
            "attrition_version": __version__,
            "python": platform.python_version(),
            "target": target,
        })
        mlflow.log_dict(model.spec_.to_dict(), "snapshot_spec.json")
        if target == "quiet_quitting":
            mlflow.log_dict(model.spec_.quiet_quitting_definition().to_dict(),
                            "quiet_quitting_definition.json")
        mlflow.log_dict({"features": features, "labels": {f: labels.get(f, f) for f in features}},
                        "features.json")
        mlflow.log_dict(model.training_summary_, "training_summary.json")
        if run_params is not None:
            mlflow.log_dict(dict(run_params), "config.json")
        # Exact TreeSHAP of the validation months, computed once for every plot that shows it.
        rows = snapshots.loc[model.validation_mask(snapshots)]
        contributions = model.contributions(rows)
        _log_figures(model, rows, labels, contributions)
        _log_explanations(model, snapshots, labels, contributions)
        audit = _log_fairness(model, rows, tables, fairness_thresholds)
        mlflow.log_text(model_card_markdown(model, fingerprint=fingerprint, fairness=audit), "model_card.md")
        model_uri = log_model(model, example)
        result = TrainingRun(run_id=run.info.run_id, model_uri=model_uri, tracking_uri=uri, fairness=audit)
    if register:
        result.registered_name, result.registered_version = register, register_champion(model_uri, register)
    return result


def log_model(model: AttritionModel, example: pd.DataFrame) -> str:
    """Log ``model`` to the active run as a ``pyfunc`` (code + LightGBM text + JSON); its URI.

    ``example`` (a few rows of features, categories as text, no identifiers)
    is the input example; the signature is inferred from it and its risk.
    """
    prediction = pd.DataFrame({f"{model.target}_risk": model.predict_risk(example)})
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = model.save(Path(tmp) / "attrition_model")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(__file__).with_name("_pyfunc_entry.py")),
            artifacts={"model": str(model_dir)},
            signature=infer_signature(example, prediction),
            input_example=example,
            pip_requirements=_requirements(),
        )
    return info.model_uri


def register_champion(model_uri: str, name: str) -> str:
    """Register ``model_uri`` as a new version of ``name`` with the alias ``champion``; the version."""
    mv = mlflow.register_model(model_uri, name)
    mlflow.MlflowClient().set_registered_model_alias(name, CHAMPION, mv.version)
    log.info("Registered %s version %s as @%s", name, mv.version, CHAMPION)
    return str(mv.version)


def normalise_model_uri(uri: str) -> str:
    """The MLflow URI of ``uri``: a bare registered name becomes ``models:/NAME@champion``.

    Examples
    --------
    >>> normalise_model_uri("attrition"), normalise_model_uri("models:/attrition")
    ('models:/attrition@champion', 'models:/attrition@champion')
    >>> normalise_model_uri("models:/m-0123abcd"), normalise_model_uri("runs:/abc/model")
    ('models:/m-0123abcd', 'runs:/abc/model')
    >>> normalise_model_uri("attrition@challenger"), normalise_model_uri("attrition/3")
    ('models:/attrition@challenger', 'models:/attrition/3')
    """
    uri = uri.strip()
    if uri.startswith("models:/"):
        ref = uri[len("models:/"):]
        if "@" in ref or "/" in ref or _is_logged_model_id(ref):
            return uri
        return f"models:/{ref}@{CHAMPION}"
    if "://" in uri or uri.startswith(("runs:/", "/", ".", "file:")) or Path(uri).exists():
        return uri  # another scheme, or a model folder on disk
    if "@" in uri or "/" in uri:
        return f"models:/{uri}"  # NAME@ALIAS or NAME/VERSION
    return f"models:/{uri}@{CHAMPION}"


def _is_logged_model_id(ref: str) -> bool:
    """MLflow 3 logged-model ids (``m-`` and 32 hex digits), as ``train`` prints them."""
    return ref.startswith("m-") and len(ref) > 2 and all(c in "0123456789abcdef" for c in ref[2:].lower())


def _describe(uri: str) -> tuple[str, str]:
    """``(model_name, model_version)`` of a normalised URI (the registry is asked for aliases)."""
    if uri.startswith("models:/"):
        ref = uri[len("models:/"):]
        if "@" in ref:
            name, alias = ref.split("@", 1)
            return name, str(mlflow.MlflowClient().get_model_version_by_alias(name, alias).version)
        if "/" in ref:
            name, version = ref.rsplit("/", 1)
            return name, version
        return "logged model", ref
    if uri.startswith("runs:/"):
        return "run", uri[len("runs:/"):].split("/", 1)[0]
    return uri, ""


def _check_store(tracking_uri: str) -> None:
    if tracking_uri.startswith("sqlite:///") and not Path(tracking_uri[len("sqlite:///"):]).exists():
        raise ModelNotFoundError(
            f"No MLflow store at {tracking_uri}: nothing has been trained here. Run `attrition train "
            "--data DIR --register NAME` first, or point --tracking-uri (MLFLOW_TRACKING_URI, or "
            "tracking_uri in the config) at the store that holds the model."
        )


def load_model(uri: str, tracking_uri: str | None = None) -> tuple[AttritionModel, dict[str, str]]:
    """Load an attrition model from an MLflow URI.

    Parameters
    ----------
    uri : str
        Any URI ``attrition train`` prints or registers: ``models:/NAME@champion``,
        ``models:/NAME/3``, ``models:/m-<id>`` (a logged model),
        ``runs:/<run_id>/model``, or a bare registered name (taken as
        ``models:/NAME@champion``).
    tracking_uri : str, optional
        Where the tracking store is (default :func:`default_tracking_uri`).

    Returns
    -------
    model : AttritionModel
    info : dict
        ``model_name``, ``model_version`` and ``model_uri`` (the normalised
        URI) for the output, and ``run_id`` of the training run.
    """
    tracking = tracking_uri or default_tracking_uri()
    _check_store(tracking)
    setup_tracking(tracking)
    uri = normalise_model_uri(uri)
    try:
        name, version = _describe(uri)
        loaded = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise ModelNotFoundError(
            f"No model at {uri!r} in the tracking store {tracking}: "
            f"{exc.message.splitlines()[0]}\nTrain and register one first, e.g. "
            "`attrition train --data DIR --register attrition`, or pass --model with a valid URI "
            "(and --tracking-uri if the store is elsewhere)."
        ) from exc
    wrapper = loaded.unwrap_python_model()
    if not isinstance(wrapper, AttritionPyfunc):
        raise ModelNotFoundError(f"The model at {uri!r} is not an attrition model.")
    run_id = getattr(loaded.metadata, "run_id", None)
    info = {"model_name": name, "model_version": version, "model_uri": uri}
    if run_id:
        info["run_id"] = str(run_id)  # the training run: its artefacts (fairness.json) for reports
    return wrapper.model, info


def registered_name(name: str) -> str:
    """The registered name of the quiet-quitting model beside attrition model ``name``.

    >>> registered_name("attrition")
    'attrition-quiet-quitting'
    """
    return f"{name}-quiet-quitting"


def load_companion_model(model_uri: str | None, qq_model_uri: str | None = None,
                         tracking_uri: str | None = None) -> AttritionModel | None:
    """The quiet-quitting model to score with, or ``None`` (logged) when there is none.

    ``qq_model_uri`` wins and must load. Otherwise, when the attrition model
    is a registered model (``models:/NAME@ALIAS``, or a bare ``NAME``),
    ``models:/NAME-quiet-quitting@ALIAS`` is tried; a missing one only logs
    that the quiet-quitting risk is omitted.
    """
    if qq_model_uri:
        model, _ = load_model(qq_model_uri, tracking_uri)
        if model.target != "quiet_quitting":
            raise ConfigError(f"--qq-model {qq_model_uri!r} is a model of {model.target!r}, not of "
                              "quiet quitting. Pass the model registered as '<NAME>-quiet-quitting'.")
        log.info("Quiet-quitting model: %s", qq_model_uri)
        return model
    uri = normalise_model_uri(model_uri) if model_uri else ""
    ref = uri[len("models:/"):] if uri.startswith("models:/") else ""
    if "@" not in ref:
        log.warning("Quiet-quitting risk omitted: no --qq-model given and the attrition model %s is "
                    "not a registered alias (models:/NAME@ALIAS); the index is still written.", uri)
        return None
    name, alias = ref.split("@", 1)
    companion = f"models:/{registered_name(name)}@{alias}"
    try:
        model, _ = load_model(companion, tracking_uri)
    except ModelNotFoundError:
        log.warning("Quiet-quitting risk omitted: no model %s is registered (train with "
                    "`attrition train --target all --register %s`); the quiet-quitting index "
                    "is still written.", companion, name)
        return None
    if model.target != "quiet_quitting":
        raise ConfigError(f"{companion} is a model of {model.target!r}, not of quiet quitting.")
    log.info("Quiet-quitting model: %s", companion)
    return model


def model_fairness(model_info: Mapping[str, str], tracking_uri: str | None = None) -> dict | None:
    """The ``fairness.json`` of the model's training run, ``{}`` if it has none, ``None`` if unknown.

    ``model_info`` is what :func:`load_model` returns; its ``run_id`` names
    the run. Older runs and flat-table models have no audit (``{}``).
    """
    run_id = (model_info or {}).get("run_id")
    if not run_id:
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path="fairness.json", dst_path=tmp,
                tracking_uri=tracking_uri or default_tracking_uri())
            return json.loads(Path(local).read_text(encoding="utf-8"))
    except (MlflowException, OSError, ValueError) as exc:
        log.info("No fairness audit in run %s (%s)", run_id, str(exc).splitlines()[0] if str(exc) else exc)
        return {}
