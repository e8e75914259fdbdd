"""Layer 7, reporting: plots, the model card, the HTML report, console tables."""

from attrition.reporting._console import print_backtest
from attrition.reporting._forecast import build_forecast_report, forecast_figure, forecast_section
from attrition.reporting._model_card import (
    flat_model_card_markdown,
    model_card,
    model_card_html,
    model_card_markdown,
)
from attrition.reporting._plots import (
    backtest_figures,
    beeswarm_figure,
    calibration_figure,
    driver_importance_figure,
    driver_summary_figure,
    expected_vs_actual_figure,
    risk_by_group_figure,
    risk_points_explanation,
    waterfall_figure,
)
from attrition.reporting._quiet_quitting import (
    QQ_LIMITS,
    prevalence_text,
    prevalence_trend_figure,
    quiet_quitting_section,
)
from attrition.reporting._report import build_report, figure_to_data_uri, training_artifacts, write_report
from attrition.reporting._survival import kaplan_meier_figure, survival_card_markdown

__all__ = [
    "build_report", "write_report", "figure_to_data_uri", "training_artifacts", "print_backtest",
    "model_card", "model_card_markdown", "model_card_html", "flat_model_card_markdown",
    "calibration_figure", "driver_importance_figure", "beeswarm_figure", "waterfall_figure",
    "risk_by_group_figure", "expected_vs_actual_figure", "driver_summary_figure", "backtest_figures",
    "forecast_figure", "forecast_section", "build_forecast_report",
    "kaplan_meier_figure", "survival_card_markdown",
    "risk_points_explanation",
    "quiet_quitting_section", "prevalence_trend_figure", "prevalence_text", "QQ_LIMITS",
]
