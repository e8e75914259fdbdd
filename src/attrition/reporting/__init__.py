"""Layer 7, reporting: plots, the model card, the HTML report, console tables."""

from attrition.reporting._console import print_backtest
from attrition.reporting._report import build_report, write_report

__all__ = ["build_report", "write_report", "print_backtest"]
