"""Layer 4, models: the calibrated LightGBM, its out-of-time split, baselines, metrics, flat mode."""

from attrition.models._baselines import (
    BASELINES,
    ClassPriorBaseline,
    LogisticBaseline,
    TenureBaseline,
    baseline_models,
)
from attrition.models._flat import (
    FLAT_PROTECTED,
    FlatFit,
    fit_table,
    flat_features,
    read_table,
)
from attrition.models._flat_survival import (
    DEFAULT_HORIZONS,
    DURATION_UNITS,
    FlatSurvivalFit,
    FlatSurvivalModel,
    fit_survival_table,
    kaplan_meier,
    survival_target,
)
from attrition.models._hazard_baseline import ConstantHazardModel
from attrition.models._metrics import (
    capacity_metrics,
    classification_metrics,
    expected_calibration_error,
    expected_vs_actual,
    lift_by_decile,
    reliability_table,
    top_share_precision,
)
from attrition.models._model import (
    DEFAULT_LGBM_PARAMS,
    HAZARD_LARGE_LEARNING_RATE,
    HAZARD_LARGE_ROWS,
    HAZARD_LGBM_PARAMS,
    HAZARD_MONOTONE,
    AttritionModel,
    out_of_time_split,
    risk_band,
    validation_start,
)
from attrition.models._survival import (
    CURVE_MONTHS,
    MONTH_DAYS,
    cumulative_risk,
    expected_months,
    monthly_label,
    risk_at,
)
from attrition.models._threads import limited_threads

__all__ = ["AttritionModel", "ConstantHazardModel", "FlatSurvivalModel", "FlatSurvivalFit", "fit_survival_table", "kaplan_meier", "survival_target", "DURATION_UNITS", "DEFAULT_HORIZONS", "out_of_time_split", "validation_start", "risk_band", "DEFAULT_LGBM_PARAMS", "HAZARD_LGBM_PARAMS", "HAZARD_MONOTONE", "HAZARD_LARGE_ROWS", "HAZARD_LARGE_LEARNING_RATE", "ClassPriorBaseline", "TenureBaseline", "LogisticBaseline", "baseline_models", "BASELINES", "classification_metrics", "capacity_metrics", "expected_calibration_error", "lift_by_decile", "reliability_table", "expected_vs_actual", "top_share_precision", "FlatFit", "fit_table", "flat_features", "read_table", "FLAT_PROTECTED", "MONTH_DAYS", "CURVE_MONTHS", "cumulative_risk", "expected_months", "monthly_label", "risk_at", "limited_threads"]
