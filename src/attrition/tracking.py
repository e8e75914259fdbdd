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

import hashlib
import json
import logging
import os
import platform
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from . import __version__
from .config import Config
from .exceptions import ModelNotFoundError
from .model import AttritionModel
from .tables import Tables

__all__ = [
    "setup_tracking",
    "log_training_run",
    "load_model",
    "data_fingerprint",
    "AttritionPyfunc",
    "TrainingRun",
    "CHAMPION",
]

log = logging.getLogger(__name__)

#: Registry alias that scoring loads by default.
CHAMPION = "champion"


def setup_tracking(config: Config) -> str:
    """Point MLflow at the configured store and make sure the experiment exists.

    For a SQLite store, artefacts are kept in ``mlartifacts/`` next to the
    database file. Returns the tracking URI in force.
    """
    import mlflow

    uri = config.resolved_tracking_uri()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if mlflow.get_experiment_by_name(config.experiment) is None:
        artifact_location = None
        parsed = urlparse(uri)
        if parsed.scheme == "sqlite":
            db = Path(uri[len("sqlite:///"):])
            artifact_location = (db.parent / "mlartifacts").resolve().as_uri()
        mlflow.create_experiment(config.experiment, artifact_location=artifact_location)
    mlflow.set_experiment(config.experiment)
    return uri


def data_fingerprint(tables: Tables) -> str:
    """A SHA-256 over the content of every table (row order does not matter).

    Two exports with the same rows give the same fingerprint; any changed
    value changes it.
    """
    digest = hashlib.sha256()
    for name, frame in tables:
        cols = sorted(frame.columns)
        row_hashes = pd.util.hash_pandas_object(frame.loc[:, cols], index=False).to_numpy()
        digest.update(name.encode())
        digest.update(json.dumps(cols).encode())
        digest.update(np.sort(row_hashes).tobytes())
    return digest.hexdigest()


try:  # MLflow is a hard dependency, but keep import errors readable.
    import mlflow.pyfunc as _pyfunc

    _PythonModel = _pyfunc.PythonModel
except ImportError:  # pragma: no cover
    _PythonModel = object


class AttritionPyfunc(_PythonModel):
    """MLflow pyfunc wrapper: features in, ``attrition_risk`` out.

    The wrapper holds no state of its own; :meth:`load_context` reads the
    LightGBM text model and JSON metadata from the logged artefacts.
    Categorical features are passed as strings.
    """

    def load_context(self, context) -> None:
        self.model = AttritionModel.load(context.artifacts["model"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        risk = self.model.predict_risk(model_input)
        return pd.DataFrame({f"{getattr(self.model, 'target', 'attrition')}_risk": risk})


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
    from importlib.metadata import version

    pkgs = ["lightgbm", "pandas", "numpy", "scikit-learn", "mlflow"]
    return [f"{p}=={version(p)}" for p in pkgs]


def _model_card(model: AttritionModel, config: Config, fingerprint: str, fairness: Any = None) -> str:
    s = model.training_summary_
    m = model.metrics_
    if getattr(model, "target", "attrition") == "quiet_quitting":
        head = [
            "# Quiet-quitting model card",
            "",
            "**Predicts** the calibrated probability that an employee employed on the as-of date, "
            "not in the quiet-quitting state then and still employed at the end of the horizon, "
            f"enters the state within {s['horizon_days']} days (definition: "
            "`attrition.quiet_quitting`, a proxy from observable effort, not a diagnosis).",
            "",
        ]
    else:
        head = [
            "# Attrition model card",
            "",
            "**Predicts** the calibrated probability that an employee employed on the as-of date "
            f"leaves *voluntarily* within {s['horizon_days']} days.",
            "",
        ]
    lines = [
        *head,
        "**Intended use**: prioritising supportive conversations (stay interviews, schedule "
        "fixes) in a contact centre. **Not for**: hiring, firing, pay or promotion decisions; "
        "the drivers are associations in the data, not causes.",
        "",
        "## Data",
        f"- training as-of dates: {s['train_first_as_of']} to {s['train_last_as_of']} ({s['n_train']} rows)",
        f"- validation (out of time): {s['valid_first_as_of']} to {s['valid_last_as_of']} ({s['n_valid']} rows)",
        f"- censored rows left out: {s['n_censored']}",
        f"- input fingerprint: `{fingerprint}`",
        "",
        "## Validation metrics (out of time)",
        "| metric | model | tenure-only baseline |",
        "|---|---|---|",
    ]
    for key in ("roc_auc", "pr_auc", "brier", "log_loss", "precision_top10", "lift_top10"):
        lines.append(
            f"| {key} | {m.get('valid_' + key, float('nan')):.4f} | "
            f"{m.get('baseline_valid_' + key, float('nan')):.4f} |"
        )
    if "lr_baseline_valid_roc_auc" in m:
        lines += [
            "",
            "Logistic-regression baseline on the same features and rows: ROC AUC "
            f"{m['lr_baseline_valid_roc_auc']:.4f}, PR AUC {m['lr_baseline_valid_pr_auc']:.4f}, "
            f"Brier {m['lr_baseline_valid_brier']:.4f}. Class prior (the training base rate for "
            f"everyone): Brier {m.get('prior_baseline_valid_brier', float('nan')):.4f}.",
        ]
        if m["lr_baseline_valid_roc_auc"] > m.get("valid_roc_auc", float("nan")):
            lines += [
                "",
                "**Warning:** the logistic-regression baseline ranks the validation months better "
                "than this model. Run `attrition backtest` to see whether the gap holds across "
                "origins before relying on this model.",
            ]
    lines += [
        "",
        f"Risk bands: medium from {model.thresholds_['medium']:.3f}, high from "
        f"{model.thresholds_['high']:.3f} (multiples {model.risk_bands or config.risk_bands} of the validation "
        f"base rate {model.base_rate_:.3f}).",
        "",
        "Protected attributes (birth_year, gender) are never features.",
    ]
    if fairness is not None:
        n = len(fairness.flags)
        lines += [
            "",
            f"Fairness audit of the validation months (per gender and age band, groups under "
            f"{fairness.min_group_size} employees suppressed): {n} flag{'' if n == 1 else 's'}"
            + (" — see `fairness.json`; a flag is a prompt to look, not a verdict." if n else "."),
        ]
    return "\n".join(lines) + "\n"


def _log_figures(model: AttritionModel, snapshots: pd.DataFrame, labels: dict[str, str],
                 contributions: pd.DataFrame | None = None) -> None:
    """Calibration and driver-importance plots of the validation months (aggregates only)."""
    import matplotlib.pyplot as plt
    import mlflow

    from .model import out_of_time_split
    from .plots import calibration_figure, driver_importance_figure

    _, valid = out_of_time_split(snapshots["as_of"], snapshots["label"].notna(),
                                 model.horizon_days, model.valid_months)
    rows = snapshots.loc[valid]
    for name, fig in (
        ("plots/calibration_validation.png",
         calibration_figure(rows["label"], model.predict_risk(rows),
                            title="Calibration on the validation months")),
        ("plots/driver_importance.png",
         driver_importance_figure(model.contributions(rows) if contributions is None else contributions,
                                  labels)),
    ):
        mlflow.log_figure(fig, name)
        plt.close(fig)


def _log_explanations(model: AttritionModel, snapshots: pd.DataFrame, labels: dict[str, str],
                      config: Config, contributions: pd.DataFrame | None = None) -> None:
    """shap beeswarm, expected vs actual leavers and the team roll-up (pooled, no ids)."""
    import matplotlib.pyplot as plt
    import mlflow

    from .report import training_artifacts

    figures, table = training_artifacts(model, snapshots, labels, config, contributions=contributions)
    for name, fig in figures.items():
        mlflow.log_figure(fig, name)
        plt.close(fig)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "team_rollup_last_validation_month.csv"
        table.to_csv(path, index=False)
        mlflow.log_artifact(str(path), "rollups")
def _log_fairness(model: AttritionModel, snapshots: pd.DataFrame, tables: Tables, config: Config):
    """Fairness audit of the validation months: ``fairness.json``, ``fairness.csv``, flags.

    Only group aggregates are logged (groups under ``min_group_size``
    employees suppressed); no employee id, gender or birth year of a person.
    """
    import mlflow

    from .fairness import audit_model
    from .model import out_of_time_split

    _, valid = out_of_time_split(snapshots["as_of"], snapshots["label"].notna(),
                                 model.horizon_days, model.valid_months)
    audit = audit_model(model, snapshots.loc[valid], tables.employees,
                        min_group_size=config.min_group_size, thresholds=config.fairness)
    mlflow.log_dict(audit.to_dict(), "fairness.json")
    mlflow.log_text(audit.to_frame().to_csv(index=False, lineterminator="\n"), "fairness.csv")
    mlflow.log_metric("fairness_flags", float(len(audit.flags)))
    mlflow.set_tag("fairness_flags", str(len(audit.flags)))
    for flag in audit.flags:
        log.warning("Fairness: %s", flag)
    return audit


def log_training_run(
    model: AttritionModel,
    snapshots: pd.DataFrame,
    tables: Tables,
    config: Config,
    *,
    register: str | None = None,
    feature_labels: dict[str, str] | None = None,
) -> TrainingRun:
    """Log a fitted model as one MLflow run; optionally register it as ``champion``.

    Logs the config and LightGBM parameters, the validation metrics (model and
    tenure-only baseline), the feature list, a fingerprint of the input data,
    a model card, a calibration plot and a driver-importance plot of the
    validation months, shap's beeswarm, expected vs actual leavers by month and
    a team roll-up of the last validation month (groups under
    ``min_group_size`` pooled; no ids), a fairness audit of the validation months
    (``fairness.json``/``fairness.csv``, metric and tag ``fairness_flags``),
    and the model itself (``pyfunc`` with signature and input
    example: five rows of features, no identifiers).
    """
    import mlflow
    from mlflow.models import infer_signature

    uri = setup_tracking(config)
    fingerprint = data_fingerprint(tables)
    features = model.feature_names_in_
    example = snapshots.loc[snapshots["label"].notna(), features].head(5).copy()
    for col in model.categories_:
        example[col] = example[col].astype(object)
    target = getattr(model, "target", "attrition")
    prediction = pd.DataFrame({f"{target}_risk": model.predict_risk(example)})

    with mlflow.start_run(run_name=f"{target.replace('_', '-')}-h{config.horizon_days}") as run:
        params: dict[str, Any] = {
            "horizon_days": config.horizon_days,
            "windows": ",".join(map(str, config.windows)),
            "valid_months": config.valid_months,
            "random_state": config.random_state,
            "n_features": len(features),
            "best_iteration": model.best_iteration_,
            "tables": ",".join(tables.present),
            "export_date": f"{tables.infer_export_date():%Y-%m-%d}",
            "survey_privacy": config.survey_privacy,
            "min_group_size": config.min_group_size,
        }
        params.update({f"lgbm_{k}": v for k, v in model._params().items()})
        mlflow.log_params(params)
        mlflow.log_metrics({k: float(v) for k, v in model.metrics_.items() if np.isfinite(v)})
        mlflow.set_tags({
            "data_fingerprint": fingerprint,
            "attrition_version": __version__,
            "python": platform.python_version(),
            "target": target,
        })
        if target == "quiet_quitting":
            from .quiet_quitting import QuietQuittingDefinition

            mlflow.log_dict(QuietQuittingDefinition.from_config(config).to_dict(),
                            "quiet_quitting_definition.json")
        mlflow.log_dict(
            {"features": features, "labels": {f: (feature_labels or {}).get(f, f) for f in features}},
            "features.json",
        )
        mlflow.log_dict(model.training_summary_, "training_summary.json")
        mlflow.log_dict(config.to_dict(), "config.json")
        # Exact TreeSHAP of the validation months, computed once for every plot that shows it.
        from .model import out_of_time_split

        _, valid = out_of_time_split(snapshots["as_of"], snapshots["label"].notna(),
                                     model.horizon_days, model.valid_months)
        contributions = model.contributions(snapshots.loc[valid])
        _log_figures(model, snapshots, feature_labels or {}, contributions)
        _log_explanations(model, snapshots, feature_labels or {}, config, contributions)
        audit = _log_fairness(model, snapshots, tables, config)
        mlflow.log_text(_model_card(model, config, fingerprint, audit), "model_card.md")
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
        result = TrainingRun(run_id=run.info.run_id, model_uri=info.model_uri, tracking_uri=uri,
                             fairness=audit)
    if register:
        mv = mlflow.register_model(info.model_uri, register)
        mlflow.MlflowClient().set_registered_model_alias(register, CHAMPION, mv.version)
        result.registered_name = register
        result.registered_version = str(mv.version)
        log.info("Registered %s version %s as @%s", register, mv.version, CHAMPION)
    return result


def load_model(uri: str, config: Config | None = None) -> tuple[AttritionModel, dict[str, str]]:
    """Load an attrition model from an MLflow URI.

    Parameters
    ----------
    uri : str
        ``models:/NAME@champion``, ``models:/NAME/3``, ``runs:/<run_id>/model``
        or a bare registered name (taken as ``models:/NAME@champion``).
    config : Config, optional
        Where the tracking store is.

    Returns
    -------
    model : AttritionModel
    info : dict
        ``model_name``, ``model_version`` and ``model_uri`` for the output.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    config = config or Config()
    tracking = config.resolved_tracking_uri()
    if tracking.startswith("sqlite:///") and not Path(tracking[len("sqlite:///"):]).exists():
        raise ModelNotFoundError(
            f"No MLflow store at {tracking}: nothing has been trained here. Run `attrition train "
            "--data DIR --register NAME` first, or point MLFLOW_TRACKING_URI (or tracking_uri in "
            "the config) at the store that holds the model."
        )
    setup_tracking(config)
    if "://" not in uri and not uri.startswith("models:/") and not uri.startswith("runs:/"):
        uri = f"models:/{uri}@{CHAMPION}"
    name, version = uri, ""
    try:
        if uri.startswith("models:/"):
            ref = uri[len("models:/"):]
            client = mlflow.MlflowClient()
            if "@" in ref:
                name, alias = ref.split("@", 1)
                version = str(client.get_model_version_by_alias(name, alias).version)
            else:
                name, version = ref.rsplit("/", 1)
        elif uri.startswith("runs:/"):
            name, version = "run", uri[len("runs:/"):].split("/", 1)[0]
        loaded = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise ModelNotFoundError(
            f"No model at {uri!r} in the tracking store {mlflow.get_tracking_uri()}: "
            f"{exc.message.splitlines()[0]}\nTrain and register one first, e.g. "
            "`attrition train --data DIR --register attrition`, or pass --model with a valid URI "
            "(and set MLFLOW_TRACKING_URI if the store is elsewhere)."
        ) from exc
    wrapper = loaded.unwrap_python_model()
    if not isinstance(wrapper, AttritionPyfunc):
        raise ModelNotFoundError(f"The model at {uri!r} is not an attrition model.")
    run_id = getattr(loaded.metadata, "run_id", None)
    info = {"model_name": name, "model_version": version, "model_uri": uri}
    if run_id:
        info["run_id"] = str(run_id)  # the training run: its artefacts (fairness.json) for reports
    return wrapper.model, info
