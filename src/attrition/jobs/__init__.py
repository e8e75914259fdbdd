"""Layer 9, jobs: every end-to-end job (train, score, report, backtest, what-if, flat, quickstart).

Jobs read the :class:`Config`; nothing below them does."""

from attrition.analysis._explain import WHAT_IF_NOTE
from attrition.analysis._forecast import FORECAST_NOTE
from attrition.jobs._backtest import backtest
from attrition.jobs._config import Config
from attrition.jobs._flat import score_table_file, train_survival_table, train_table
from attrition.jobs._forecast import BASELINE_MODEL, forecast, read_planned_hires
from attrition.jobs._quickstart import QuickstartResult, quickstart
from attrition.jobs._report import report_from_file
from attrition.jobs._whatif import what_if_job
from attrition.jobs._workflows import (
    TARGETS,
    TrainResult,
    score,
    train,
)

__all__ = ["Config", "train", "score", "TrainResult", "TARGETS", "report_from_file", "backtest", "what_if_job", "train_table", "train_survival_table", "score_table_file", "quickstart", "QuickstartResult", "WHAT_IF_NOTE", "forecast", "read_planned_hires", "BASELINE_MODEL", "FORECAST_NOTE"]
