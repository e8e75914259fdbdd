"""Layer 6, scoring: a month's risks, bands, drivers and quiet-quitting columns."""

from attrition.scoring._flat import score_table
from attrition.scoring._quiet_quitting import (
    quiet_quitting_prevalence,
    quiet_quitting_scores,
    state_history_dates,
)
from attrition.scoring._roster import SCORE_COLUMNS, score_roster

__all__ = ["score_roster", "SCORE_COLUMNS", "quiet_quitting_scores", "quiet_quitting_prevalence", "state_history_dates", "score_table"]
