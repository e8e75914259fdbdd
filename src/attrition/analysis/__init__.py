"""Layer 5, analysis: drivers, what-if, roll-ups, fairness and backtests as pure functions."""

from attrition.analysis._backtest import (
    BacktestResult,
    backtest_origins,
    paired_interval,
    run_backtest,
    training_frame,
)
from attrition.analysis._drivers import (
    driver_sentence,
    feature_family,
    format_feature_value,
    measure_label,
    probability_points,
    team_medians,
    top_drivers,
)
from attrition.analysis._explain import (
    WHAT_IF_NOTE,
    apply_changes,
    measure_explanation,
    parse_changes,
    shap_explanation,
    what_if,
)
from attrition.analysis._fairness import (
    DEFAULT_FAIRNESS_THRESHOLDS,
    FairnessAudit,
    audit_model,
    fairness_audit,
    fairness_thresholds,
    protected_groups,
)
from attrition.analysis._forecast import (
    FORECAST_COLUMNS,
    FORECAST_NOTE,
    PlannedHire,
    actual_exit_month,
    check_planned_hires,
    forecast_coverage,
    forecast_leavers,
    leaver_forecast,
    month_labels,
    staff_rows,
)
from attrition.analysis._rollups import (
    poisson_binomial_interval,
    rollup,
    summary,
    suppressed_groups,
)

__all__ = ["top_drivers", "feature_family", "team_medians", "probability_points", "format_feature_value", "driver_sentence", "measure_label", "what_if", "parse_changes", "apply_changes", "shap_explanation", "measure_explanation", "WHAT_IF_NOTE", "rollup", "summary", "suppressed_groups", "poisson_binomial_interval", "FairnessAudit", "DEFAULT_FAIRNESS_THRESHOLDS", "audit_model", "fairness_audit", "fairness_thresholds", "protected_groups", "BacktestResult", "run_backtest", "backtest_origins", "training_frame", "paired_interval", "forecast_leavers", "leaver_forecast", "check_planned_hires", "actual_exit_month", "forecast_coverage", "month_labels", "staff_rows", "PlannedHire", "FORECAST_NOTE", "FORECAST_COLUMNS"]
