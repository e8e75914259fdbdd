"""Layer 3, snapshots: point-in-time rows, their labels, and the spec that defines them."""

from attrition.snapshots._build import (
    LABEL_COLUMNS,
    META_COLUMNS,
    PartialRows,
    default_as_of_dates,
    feature_columns,
    make_labels,
    month_ends,
    observation_start,
    population,
)
from attrition.snapshots._qq_state import STATE_METHODS
from attrition.snapshots._quiet_quitting import (
    COMPONENTS,
    QuietQuittingDefinition,
    fit_state_model,
    prevalence_by_month,
    quiet_quitting_index,
    quiet_quitting_labels,
    quiet_quitting_prevalence_interval,
    quiet_quitting_snapshots,
    state_observations,
)
from attrition.snapshots._spark import build_snapshots_spark, snapshot_features_frame
from attrition.snapshots._spec import (
    SURVEY_PRIVACY_MODES,
    TARGETS,
    SnapshotSpec,
    build_snapshots,
    feature_labels,
)
from attrition.snapshots._warehouse import build_snapshots_duckdb, snapshot_sums_sql

__all__ = ["population", "month_ends", "default_as_of_dates", "observation_start", "make_labels", "feature_columns", "META_COLUMNS", "LABEL_COLUMNS", "PartialRows", "QuietQuittingDefinition", "COMPONENTS", "quiet_quitting_index", "quiet_quitting_labels", "quiet_quitting_snapshots", "fit_state_model", "state_observations", "quiet_quitting_prevalence_interval", "prevalence_by_month", "STATE_METHODS", "SnapshotSpec", "build_snapshots", "feature_labels", "TARGETS", "SURVEY_PRIVACY_MODES", "build_snapshots_duckdb", "snapshot_sums_sql", "build_snapshots_spark", "snapshot_features_frame"]
