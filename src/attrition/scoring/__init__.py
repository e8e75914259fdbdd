"""Layer 6, scoring: a month's risks, bands, drivers and quiet-quitting columns."""

from attrition.scoring._flat import score_table
from attrition.scoring._quiet_quitting import quiet_quitting_scores
from attrition.scoring._roster import SCORE_COLUMNS, score_roster

__all__ = ["score_roster", "SCORE_COLUMNS", "quiet_quitting_scores", "score_table"]
