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

import functools
import io
import json
import logging
import os
import platform
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from importlib.metadata import version as _package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from attrition._lazy import lazy_module
from attrition._version import __version__
from attrition.analysis._fairness import audit_model
from attrition.data._fingerprint import data_fingerprint
from attrition.data._tables import DATE_COLUMNS, Tables
from attrition.exceptions import ConfigError, ModelNotFoundError
from attrition.models._flat_survival import FlatSurvivalModel
from attrition.models._model import AttritionModel
from attrition.reporting._model_card import model_card_markdown
from attrition.reporting._plots import calibration_figure, close_figure, driver_importance_figure
from attrition.reporting._report import point_sample_note, training_artifacts
from attrition.snapshots._build import bare_frame
from attrition.snapshots._quiet_quitting import prevalence_by_month, quiet_quitting_index
from attrition.tracking._model_cache import (
    model_cache_key,
    read_cached_model,
    read_missing,
    read_resolved,
    store_stamp,
    write_cached_model,
    write_missing,
    write_resolved,
)
from attrition.tracking._store_template import create_sqlite_store

if TYPE_CHECKING:
    from mlflow.models import ModelSignature

#: Imported on first use: scoring with a cached model never imports MLflow (see attrition._lazy).
mlflow = lazy_module("mlflow")

__all__ = [
    "default_tracking_uri",
    "setup_tracking",
    "log_training_run",
    "training_command_run",
    "run_description",
    "model_version_tags",
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


def _sqlite_artifact_root(uri: str) -> str | None:
    """``<db folder>/mlartifacts`` as a URI for a SQLite store, else ``None``."""
    if urlparse(uri).scheme != "sqlite":
        return None
    db = Path(uri[len("sqlite:///"):])
    return (db.parent / "mlartifacts").resolve().as_uri()


def _create_sqlite_store(uri: str, artifact_root: str) -> None:
    """Create a new SQLite store whose ``Default`` experiment keeps artefacts in ``artifact_root``.

    MLflow creates the ``Default`` experiment with the tables; left to itself it
    puts that experiment's artefacts under the working directory (``./mlruns``).
    The migrated tables come from a template in the user cache when possible
    (:func:`attrition.tracking._store_template.create_sqlite_store`).
    """
    create_sqlite_store(Path(uri[len("sqlite:///"):]), artifact_root)


def setup_tracking(tracking_uri: str | None = None, experiment: str = "attrition") -> str:
    """Point MLflow at the store and make sure the experiment exists.

    For a SQLite store, artefacts are kept in ``mlartifacts/`` next to the
    database file, also those of MLflow's ``Default`` experiment when the
    store is created here. Returns the tracking URI in force.
    """
    uri = tracking_uri or default_tracking_uri()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        artifact_location = _sqlite_artifact_root(uri)
        if artifact_location is not None and not Path(uri[len("sqlite:///"):]).exists():
            _create_sqlite_store(uri, artifact_location)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        if mlflow.get_experiment_by_name(experiment) is None:
            mlflow.create_experiment(experiment, artifact_location=artifact_location)
        mlflow.set_experiment(experiment)
    except (mlflow.exceptions.MlflowException, ValueError, OSError) as exc:
        raise ConfigError(
            f"Cannot use the MLflow tracking store {uri!r}: {str(exc).splitlines()[0] if str(exc) else exc}\n"
            "Pass --tracking-uri (tracking_uri in the config, or MLFLOW_TRACKING_URI) with a store "
            "MLflow can open, e.g. sqlite:///$PWD/mlflow.db."
        ) from exc
    return uri


class AttritionPyfunc:
    """MLflow pyfunc wrapper: features in, ``<target>_risk`` out.

    The wrapper holds no state of its own; :meth:`load_context` reads the
    LightGBM text model and JSON metadata from the logged artefacts.
    Categorical features are passed as strings.

    An instance is an ``mlflow.pyfunc.PythonModel``: the class MLflow sees
    (:func:`_pyfunc_class`) is made on the first instantiation, so that
    importing this module does not import MLflow.
    """

    def __new__(cls, *args, **kwargs):
        if cls is AttritionPyfunc:
            cls = _pyfunc_class()
        return super().__new__(cls)

    def load_context(self, context) -> None:
        path = context.artifacts["model"]
        self.model = FlatSurvivalModel.load(path) if FlatSurvivalModel.is_saved(path) else AttritionModel.load(path)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        if isinstance(self.model, FlatSurvivalModel):  # attrition_risk_<H> per horizon
            return self.model.predict_horizons(model_input).reset_index(drop=True)
        risk = self.model.predict_risk(model_input)
        return pd.DataFrame({f"{self.model.target}_risk": risk})


@functools.cache
def _pyfunc_class() -> type:
    """:class:`AttritionPyfunc` as an ``mlflow.pyfunc.PythonModel`` (imports MLflow; made once).

    ``predict`` is given again so that MLflow wraps it as it wraps a
    subclass's own ``predict`` (input checks from its type hints).
    """
    return type("AttritionPyfunc", (AttritionPyfunc, mlflow.pyfunc.PythonModel),
                {"predict": AttritionPyfunc.predict, "__module__": __name__, "__doc__": AttritionPyfunc.__doc__})


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
                 contributions: pd.DataFrame, risk: np.ndarray) -> None:
    """Calibration and driver-importance plots of the validation months (aggregates only);
    ``risk`` is the model's risk of ``rows``."""
    for name, fig in (
        ("plots/calibration_validation.png",
         calibration_figure(rows["label"], risk, title="Calibration on the validation months")),
        ("plots/driver_importance.png", driver_importance_figure(contributions, labels)),
    ):
        mlflow.log_figure(fig, name)
        close_figure(fig)


def _log_explanations(model: AttritionModel, snapshots: pd.DataFrame, labels: Mapping[str, str],
                      contributions: pd.DataFrame, risk: np.ndarray) -> None:
    """shap beeswarm, expected vs actual leavers and the team roll-up (pooled, no ids);
    ``risk`` is the model's risk of the labelled rows of ``snapshots``."""
    figures, table = training_artifacts(model, snapshots, labels, min_group_size=model.spec_.min_group_size,
                                        contributions=contributions, risk=risk)
    for name, fig in figures.items():
        mlflow.log_figure(fig, name)
        close_figure(fig)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "team_rollup_last_validation_month.csv"
        table.to_csv(path, index=False)
        mlflow.log_artifact(str(path), "rollups")


def _figures_note(n_valid: int) -> str:
    """The model card's lines on the run's figures drawn on a sample of the ``n_valid`` validation rows.

    >>> _figures_note(100)
    ''
    >>> print(_figures_note(5000).strip().splitlines()[0])
    ## Figures of this run
    """
    note = point_sample_note(n_valid)
    if note is None:
        return ""
    return ("\n## Figures of this run\n"
            f"- shap's beeswarm (`plots/driver_beeswarm_validation.png`) draws {note} (a fixed seed: the "
            "same rows on every run of the same data); every other figure, metric and table of the run "
            "uses every row.\n")


def _log_fairness(model: AttritionModel, rows: pd.DataFrame, tables: Tables,
                  thresholds: Mapping[str, float] | None, risk: np.ndarray | None = None):
    """Fairness audit of the validation months: ``fairness.json``, ``fairness.csv``, flags.

    Only group aggregates are logged (groups under ``min_group_size``
    employees suppressed); no employee id, gender or birth year of a person.
    """
    audit = audit_model(model, rows, tables.employees, min_group_size=model.spec_.min_group_size,
                        thresholds=dict(thresholds or {}), risk=risk)
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
    # the settings the shipped trees were boosted with: the chosen lgbm_candidates entry, and the
    # hazard model's learning rate as fit chose it (AttritionModel.load restores it too)
    lgbm = model._params(getattr(model, "_setting_params", None))
    params.update({f"lgbm_{k}": v for k, v in lgbm.items()})
    return params

_BASELINES = (("baseline_valid_roc_auc", "tenure-only"), ("lr_baseline_valid_roc_auc", "logistic regression"))


def _fmt(value: Any) -> str:
    try:
        return f"{float(value):.3f}" if np.isfinite(float(value)) else "n/a"
    except (TypeError, ValueError):
        return "n/a"


def _data_window(model: AttritionModel) -> str:
    """``2024-01-31 to 2024-09-30`` (training as-of dates), as in the training summary."""
    t = model.training_summary_ or {}
    return f"{t.get('train_first_as_of', '?')} to {t.get('train_last_as_of', '?')}"


def _valid_window(model: AttritionModel) -> str:
    t = model.training_summary_ or {}
    return f"{t.get('valid_first_as_of', '?')} to {t.get('valid_last_as_of', '?')}"


def run_description(model: AttritionModel) -> str:
    """One or two sentences: what was trained, on which window, validation ROC AUC vs baselines."""
    t = model.training_summary_ or {}
    m = model.metrics_ or {}
    baselines = ", ".join(f"{label} baseline {_fmt(m[key])}" for key, label in _BASELINES if key in m)
    return (
        f"LightGBM {_what(model)} (target {model.target}, horizon {model.horizon_days} days) trained on "
        f"month-end snapshots {_data_window(model)} ({t.get('n_train', '?')} employee-months). "
        f"Validation ROC AUC {_fmt(m.get('valid_roc_auc'))} on {_valid_window(model)} "
        f"({t.get('n_valid', '?')} employee-months)" + (f" vs {baselines}." if baselines else ".")
    )


def model_version_tags(model: AttritionModel, fingerprint: str) -> dict[str, str]:
    """Tags of a registered model version: data window, validation metrics, target, horizon, spec."""
    m = model.metrics_ or {}
    tags = {
        "target": str(model.target),
        "horizon_days": str(model.horizon_days),
        "data_window": _data_window(model),
        "validation_window": _valid_window(model),
        "input_fingerprint": fingerprint,
        "attrition_version": __version__,
    }
    tags.update({k: _fmt(v) for k, v in m.items() if k.startswith(("valid_", "baseline_valid_roc_auc",
                                                                      "lr_baseline_valid_roc_auc"))})
    spec = model.spec_
    if spec is not None:
        tags["spec"] = (f"windows {','.join(map(str, spec.windows))} days; survey privacy "
                        f"{spec.survey_privacy}; min group size {spec.min_group_size}; "
                        f"{len(model.feature_names_in_)} features")
    return tags


def _log_dataset(frame: pd.DataFrame, *, name: str, fingerprint: str, targets: str | None = None) -> None:
    """Log ``frame`` (features and label only: no ids, no protected attributes) as the run's input.

    MLflow stores the schema and a profile (row count), not the rows; the
    digest is the start of the input tables' fingerprint, and the full
    fingerprint is the input's ``data_fingerprint`` tag.
    """
    data = frame.copy(deep=False)  # copy-on-write: the columns replaced below are new, the rest shared
    for col in data.columns:
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            data[col] = data[col].astype(object)
    # An explicit source: a string would be resolved as a local path (with a UserWarning).
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.models import infer_signature

    source = CodeDatasetSource({"data_fingerprint": fingerprint, "rows": "validation months, no ids"})
    dataset = mlflow.data.from_pandas(data, source=source, name=name, targets=targets,
                                      digest=fingerprint[:32])
    # MLflow infers the schema by visiting every value in Python (seconds per 10,000 rows, growing
    # with the data). The rows that decide it give the same schema: set it before MLflow asks.
    dataset.__dict__["schema"] = infer_signature(schema_rows(data)).inputs
    mlflow.log_input(dataset, context="training", tags={"data_fingerprint": fingerprint})


def schema_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` that decide its MLflow schema: the first, and each column's first missing value.

    A column's type comes from its dtype (and, for text, the types of its
    values: one kind per column here), and it is *required* when it has no
    missing value; both are the same on these rows as on the whole frame.

    >>> f = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": ["x", None, "y", "z"], "c": [1, 2, 3, 4]})
    >>> schema_rows(f).index.tolist()
    [0, 1, 2]
    """
    if len(frame) == 0:
        return frame
    missing = frame.isna().to_numpy()
    first = missing.argmax(axis=0)[missing.any(axis=0)]
    return frame.iloc[sorted({0, *first.tolist()})]


@contextmanager
def training_command_run(name: str, *, tracking_uri: str | None = None, experiment: str = "attrition",
                         description: str | None = None,
                         tags: Mapping[str, str] | None = None) -> Iterator[str]:
    """A parent run for one command that logs several models; yields its run id.

    Runs logged with ``log_training_run(..., parent_run_id=<id>)`` inside the
    block are its nested children, shown under it in MLflow's UI.
    """
    setup_tracking(tracking_uri, experiment)
    with mlflow.start_run(run_name=name, description=description, tags=dict(tags or {})) as run:
        yield run.info.run_id


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
    parent_run_id: str | None = None,
    fingerprint: str | None = None,
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

    The run has a description (what was trained, on which window, validation
    ROC AUC against the baselines) and a dataset input: the validation rows'
    features and label, no ids, named by the input fingerprint. With
    ``parent_run_id`` (see :func:`training_command_run`) it is a nested child
    of that run. A registered version gets the description and
    :func:`model_version_tags`.

    Of ``tables`` the run reads which are present, the export date and the
    employees (the fairness audit), and their :func:`data_fingerprint` unless
    ``fingerprint`` gives it: with it, ``tables`` may be the loaded tables'
    :meth:`~attrition.data.Tables.outline` (their event tables released).
    """
    if fingerprint is None:
        outlined = [t for t in tables.present if t in DATE_COLUMNS and getattr(tables, t) is None]
        if outlined:  # their rows are not here: a fingerprint of the rest would not be the data's
            raise ValueError(
                f"log_training_run: the tables {', '.join(outlined)} are known only by their extent "
                "(Tables.outline, or tables kept in an engine), so their fingerprint cannot be computed "
                "here. Pass fingerprint=data_fingerprint(tables) of the loaded tables.")
    uri = setup_tracking(tracking_uri, experiment)
    fingerprint = fingerprint if fingerprint is not None else data_fingerprint(tables)
    # Columns are read thousands of times below: without the frame's attrs, which pandas would
    # deep-copy into every selection (the quiet-quitting index checks the windows: kept).
    snapshots = bare_frame(snapshots, keep=("windows",))
    features = model.feature_names_in_
    labels = model.feature_labels()
    example = snapshots.loc[snapshots["label"].notna(), features].head(5).copy()
    for col in model.categories_:
        example[col] = example[col].astype(object)
    target = model.target

    description = run_description(model)
    with mlflow.start_run(run_name=f"{target.replace('_', '-')}-h{model.horizon_days}",
                          nested=parent_run_id is not None, parent_run_id=parent_run_id,
                          description=description) as run:
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
            _log_quiet_quitting_state(model, snapshots)
        mlflow.log_dict({"features": features, "labels": {f: labels.get(f, f) for f in features}},
                        "features.json")
        mlflow.log_dict(model.training_summary_, "training_summary.json")
        if run_params is not None:
            mlflow.log_dict(dict(run_params), "config.json")
        # The risk of every labelled row (expected vs actual by month) and, among them, of the
        # validation months, predicted once; exact TreeSHAP of the validation months, computed
        # once: every figure, the roll-up and the fairness audit read them.
        labelled = snapshots["label"].notna().to_numpy()
        valid = model.validation_mask(snapshots)
        risk = model.predict_risk(snapshots.loc[labelled, features])  # only the columns it reads
        rows, risk_valid = snapshots.loc[valid], risk[valid[labelled]]
        _log_dataset(rows[[*features, "label"]], name=f"{target}-validation-features",
                     fingerprint=fingerprint, targets="label")
        contributions = model.contributions(rows, risk=risk_valid)
        _log_figures(model, rows, labels, contributions, risk_valid)
        _log_explanations(model, snapshots, labels, contributions, risk)
        audit = _log_fairness(model, rows, tables, fairness_thresholds, risk_valid)
        mlflow.log_text(model_card_markdown(model, fingerprint=fingerprint, fairness=audit)
                        + _figures_note(len(rows)), "model_card.md")
        model_uri = log_model(model, example)
        result = TrainingRun(run_id=run.info.run_id, model_uri=model_uri, tracking_uri=uri, fairness=audit)
    if register:
        result.registered_name, result.registered_version = register, register_champion(
            model_uri, register, description=description, tags=model_version_tags(model, fingerprint))
    return result


def _log_quiet_quitting_state(model: AttritionModel, snapshots: pd.DataFrame) -> None:
    """The state model's prevalence by month (with its 90 % interval) and transition rates.

    Metrics ``qq_prevalence`` / ``qq_prevalence_low`` / ``qq_prevalence_high``
    (the last month end of the snapshots), ``qq_entry_rate_monthly`` and
    ``qq_exit_rate_monthly`` (the fitted transitions), and
    ``quiet_quitting/prevalence_by_month.json`` (no ids).
    """
    definition = model.spec_.quiet_quitting_definition()
    index = quiet_quitting_index(snapshots, definition)
    trend = prevalence_by_month(snapshots["as_of"], index["quiet_quitting_state_probability"])
    trend = [r for r in trend if int(r["n"]) >= int(model.spec_.min_group_size)]  # no tiny months
    mlflow.log_dict({"prevalence_by_month": trend, "state_model": definition.state_model},
                    "quiet_quitting/prevalence_by_month.json")
    metrics = {}
    if trend:
        last = trend[-1]
        metrics.update({"qq_prevalence": last["prevalence"], "qq_prevalence_low": last["low"],
                        "qq_prevalence_high": last["high"]})
    if definition.state_model is not None:
        A = definition.state_model["transition"]
        metrics.update({"qq_entry_rate_monthly": float(A[0][1]), "qq_exit_rate_monthly": float(A[1][0])})
    mlflow.log_metrics(metrics)


def _integer_tolerant_signature(example: pd.DataFrame, prediction: pd.DataFrame) -> ModelSignature:
    """The signature of ``example`` -> ``prediction`` that also accepts integer input.

    MLflow's schema enforcement refuses int64 in a ``double`` column ("Can not
    safely convert int64 to float64") and floats (a missing value) in a
    ``long`` one. Numeric columns that hold whole numbers (days, counts, team
    sizes: what a caller's frame may carry as int64) are therefore declared
    ``any``; the model itself turns them into floats. Other columns keep their
    inferred type.
    """
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    signature = infer_signature(example, prediction)
    whole = {
        col for col in example.columns
        if pd.api.types.is_numeric_dtype(example[col])
        and (pd.api.types.is_integer_dtype(example[col]) or pd.api.types.is_bool_dtype(example[col])
             or bool(np.all(np.mod(example[col].dropna().to_numpy(dtype="float64"), 1) == 0)))
    }
    inputs = [ColSpec(AnyType(), spec.name, required=spec.required) if spec.name in whole else spec
              for spec in signature.inputs.inputs]
    return ModelSignature(inputs=Schema(inputs), outputs=signature.outputs, params=signature.params)


def log_model(model: AttritionModel, example: pd.DataFrame) -> str:
    """Log ``model`` to the active run as a ``pyfunc`` (code + LightGBM text + JSON); its URI.

    ``example`` (a few rows of features, categories as text, no identifiers)
    is the input example; the signature is inferred from it and its risk,
    with whole-number columns typed ``any`` so int64 and float input both pass.
    """
    example = example.copy()
    for col in example.columns:  # the input example in floats, as the signature describes it
        if pd.api.types.is_integer_dtype(example[col]) or pd.api.types.is_bool_dtype(example[col]):
            example[col] = example[col].astype("float64")
    prediction = (model.predict_horizons(example).reset_index(drop=True) if isinstance(model, FlatSurvivalModel)
                  else pd.DataFrame({f"{model.target}_risk": model.predict_risk(example)}))
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = model.save(Path(tmp) / "attrition_model")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(__file__).with_name("_pyfunc_entry.py")),
            artifacts={"model": str(model_dir)},
            signature=_integer_tolerant_signature(example, prediction),
            input_example=example,
            pip_requirements=_requirements(),
        )
    return info.model_uri


def register_champion(model_uri: str, name: str, *, description: str | None = None,
                      tags: Mapping[str, str] | None = None) -> str:
    """Register ``model_uri`` as a new version of ``name`` with the alias ``champion``; the version.

    ``description`` and ``tags`` are set on the new version. MLflow's own
    messages ("Successfully registered model ...") go to this module's log.
    """
    captured = io.StringIO()
    with redirect_stderr(captured):  # the tags with the version: one write, not one per tag
        mv = mlflow.register_model(model_uri, name, tags={key: str(value) for key, value in (tags or {}).items()})
    for line in captured.getvalue().splitlines():
        if line.strip():
            log.info("MLflow: %s", line.strip())
    client = mlflow.MlflowClient()
    if description:
        client.update_model_version(name, mv.version, description=description)
    client.set_registered_model_alias(name, CHAMPION, mv.version)
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
    uri = normalise_model_uri(uri)
    # The same store file as when this URI was last resolved: the same version, read locally.
    # Only models:/ URIs name something that cannot change behind the cache's back; a folder or
    # file: URI may be overwritten by retraining, so it is always read afresh.
    cacheable = uri.startswith("models:/")
    known = read_resolved(tracking, uri) if cacheable else None
    cached = read_cached_model(known) if known is not None else None
    if cached is not None:
        return cached[0], {**cached[1], "model_uri": uri}
    missing = read_missing(tracking, uri) if cacheable else None
    if missing is not None:  # the registry had no such model, and nothing was written to it since
        raise ModelNotFoundError(_not_found(uri, tracking, missing))
    setup_tracking(tracking)
    stamp = store_stamp(tracking)  # before resolving: a later write never matches this stamp
    try:
        name, version = _describe(uri)
        identity = _identity(uri, name, version) if cacheable else None
        key = model_cache_key(tracking, identity) if identity is not None else None
        cached = read_cached_model(key) if key is not None else None
        if cached is not None:  # this exact version was loaded before: no MLflow loading again
            write_resolved(tracking, uri, stamp, key)
            return cached[0], {**cached[1], "model_uri": uri}
        loaded = mlflow.pyfunc.load_model(uri)
    except mlflow.exceptions.MlflowException as exc:
        message = exc.message.splitlines()[0] if exc.message else ""
        if cacheable and exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            write_missing(tracking, uri, stamp, message)
        raise ModelNotFoundError(_not_found(uri, tracking, message)) from exc
    wrapper = loaded.unwrap_python_model()
    if not isinstance(wrapper, AttritionPyfunc):
        raise ModelNotFoundError(f"The model at {uri!r} is not an attrition model.")
    run_id = getattr(loaded.metadata, "run_id", None)
    info = {"model_name": name, "model_version": version, "model_uri": uri}
    if run_id:
        info["run_id"] = str(run_id)  # the training run: its artefacts (fairness.json) for reports
    if key is not None:
        write_cached_model(key, wrapper.model, info)
        write_resolved(tracking, uri, stamp, key)
    return wrapper.model, info


def _not_found(uri: str, tracking: str, message: str) -> str:
    return (f"No model at {uri!r} in the tracking store {tracking}: {message}\nTrain and register one "
            "first, e.g. `attrition train --data DIR --register attrition`, or pass --model with a valid "
            "URI (and --tracking-uri if the store is elsewhere).")


def _identity(uri: str, name: str, version: str) -> str:
    """What names one model version for good (see :mod:`attrition.tracking._model_cache`)."""
    if uri.startswith("models:/") and name != "logged model" and version:
        mv = mlflow.MlflowClient().get_model_version(name, version)
        return f"models:/{name}/{version}|{mv.run_id}|{mv.source}|{mv.creation_timestamp}"
    return uri


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
    except (mlflow.exceptions.MlflowException, OSError, ValueError) as exc:
        log.info("No fairness audit in run %s (%s)", run_id, str(exc).splitlines()[0] if str(exc) else exc)
        return {}
