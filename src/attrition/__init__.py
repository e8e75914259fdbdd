"""attrition: point-in-time attrition risk for contact centres.

The public API is small and flat:

>>> import attrition
>>> sorted(attrition.__all__)[:3]
['AttritionError', 'AttritionModel', 'Config']

``import attrition`` is cheap: this module is a lazy façade (as in scikit-learn
and SciPy). A public name is imported from the private module that defines it
the first time it is used, so ``import attrition`` and ``attrition --help``
load neither MLflow, SHAP nor matplotlib. Modules inside the package never
import from this façade; they import from the defining module.
"""

import importlib as _importlib
import warnings as _warnings

# pandera imports pyspark.pandas whenever pyspark is installed (attrition's optional Spark
# path); pyspark then warns about pandas >= 3 at every import, although attrition never uses
# pyspark.pandas. Silence only that message.
_warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                         category=FutureWarning)

from attrition._version import __version__ as __version__  # noqa: E402  (re-exported)

#: public name -> the module that defines it (imported on first access).
_LAZY_NAMES: dict[str, str] = {
    # configuration and workflows (jobs layer)
    "Config": "attrition.jobs._config",
    "train": "attrition.jobs._workflows",
    "score": "attrition.jobs._workflows",
    "quickstart": "attrition.jobs._quickstart",
    "backtest": "attrition.jobs._backtest",
    # errors and warnings
    "AttritionError": "attrition.exceptions",
    "ConfigError": "attrition.exceptions",
    "DataQualityWarning": "attrition.exceptions",
    "InsufficientDataError": "attrition.exceptions",
    "LeakageError": "attrition.exceptions",
    "ModelNotFoundError": "attrition.exceptions",
    "NotFittedError": "attrition.exceptions",
    "RosterError": "attrition.exceptions",
    "SchemaError": "attrition.exceptions",
    # data
    "Tables": "attrition.data._tables",
    "load_tables": "attrition.data._loading",
    "validate_tables": "attrition.data._loading",
    "simulate": "attrition.data._simulate",
    # snapshots
    "SnapshotSpec": "attrition.snapshots._spec",
    "build_snapshots": "attrition.snapshots._spec",
    "feature_columns": "attrition.snapshots._build",
    "QuietQuittingDefinition": "attrition.snapshots._quiet_quitting",
    "quiet_quitting_index": "attrition.snapshots._quiet_quitting",
    # models, scoring, analysis, reporting, tracking
    "AttritionModel": "attrition.models._model",
    "score_roster": "attrition.scoring._roster",
    "rollup": "attrition.analysis._rollups",
    "what_if": "attrition.analysis._explain",
    "write_report": "attrition.reporting._report",
    "load_model": "attrition.tracking._mlflow",
}

__all__ = [
    "AttritionModel",
    "Config",
    "SchemaError",
    "SnapshotSpec",
    "Tables",
    "AttritionError",
    "ConfigError",
    "DataQualityWarning",
    "InsufficientDataError",
    "LeakageError",
    "ModelNotFoundError",
    "NotFittedError",
    "RosterError",
    "backtest",
    "build_snapshots",
    "feature_columns",
    "load_model",
    "load_tables",
    "quickstart",
    "score",
    "score_roster",
    "simulate",
    "train",
    "validate_tables",
    "rollup",
    "what_if",
    "write_report",
    "QuietQuittingDefinition",
    "quiet_quitting_index",
]


def __getattr__(name: str):
    """Import a public name from its module on first access (PEP 562)."""
    try:
        module_name = _LAZY_NAMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
