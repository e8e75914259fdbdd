"""attrition: point-in-time attrition risk for contact centres.

The public API is small and flat:

>>> import attrition
>>> sorted(attrition.__all__)[:3]
['AttritionError', 'AttritionModel', 'Config']
"""

__version__ = "0.1.0"

import warnings as _warnings

# pandera imports pyspark.pandas whenever pyspark is installed (attrition's optional Spark
# path); pyspark then warns about pandas >= 3 at every import, although attrition never uses
# pyspark.pandas. Silence only that message.
_warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                         category=FutureWarning)

from .config import Config
from .exceptions import (
    AttritionError,
    ConfigError,
    DataQualityWarning,
    InsufficientDataError,
    LeakageError,
    ModelNotFoundError,
    NotFittedError,
    RosterError,
    SchemaError,
)
from .explain import what_if
from .loading import load_tables, validate_tables
from .model import AttritionModel
from .quiet_quitting import QuietQuittingDefinition, quiet_quitting_index
from .report import write_report
from .rollups import rollup
from .scoring import score_roster
from .simulate import simulate
from .snapshots import build_snapshots, feature_columns
from .tables import Tables
from .tracking import load_model
from .workflows import score, train

__all__ = [
    "AttritionModel",
    "Config",
    "SchemaError",
    "Tables",
    "AttritionError",
    "ConfigError",
    "DataQualityWarning",
    "InsufficientDataError",
    "LeakageError",
    "ModelNotFoundError",
    "NotFittedError",
    "RosterError",
    "build_snapshots",
    "feature_columns",
    "load_model",
    "load_tables",
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
