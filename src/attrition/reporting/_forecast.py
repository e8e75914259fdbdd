"""The leaver forecast in pictures: a chart and a report section (or a page of its own).

:func:`forecast_figure` draws the expected voluntary leavers of the whole
centre month by month with their interval and the cumulative total;
:func:`forecast_section` is the context of the ``_forecast.html.j2``
partial (included by ``report.html.j2`` when a ``forecast`` is given);
:func:`build_forecast_report` renders a self-contained page with it, as
``attrition forecast --report`` writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from attrition.analysis._forecast import FORECAST_NOTE
from attrition.reporting._plots import _Figure
from attrition.reporting._report import figure_to_data_uri
from attrition.reporting._templates import render_template

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["forecast_figure", "forecast_section", "build_forecast_report"]


def forecast_figure(forecast: pd.DataFrame, level: float = 0.9) -> Figure:
    """Expected voluntary leavers per month (bars, with the interval) and cumulative (line), all staff.

    Examples
    --------
    >>> from attrition.analysis import forecast_leavers
    >>> rows = pd.DataFrame({"team_id": ["a"] * 10})
    >>> f = forecast_leavers(rows, np.tile([0.05, 0.1, 0.14], (10, 1)), as_of="2025-06-30")
    >>> len(forecast_figure(f).axes)
    2
    """
    total = forecast[forecast["level"] == "all"].sort_values("months_ahead")
    fig = _Figure(figsize=(9.0, 4.0), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    if total.empty:
        ax.text(0.5, 0.5, "Too few people to show a forecast", ha="center", va="center")
        ax.set_axis_off()
        ax2.set_axis_off()
        return fig
    x = np.arange(len(total))
    exp = total["expected_leavers"].to_numpy(dtype="float64")
    hires = total["expected_hire_leavers"].to_numpy(dtype="float64")
    ax.bar(x, exp - hires, color="#4c72b0", label="today's staff")
    if hires.any():
        ax.bar(x, hires, bottom=exp - hires, color="#dd8452", label="planned hires")
    err = np.vstack([exp - total["leavers_low"].to_numpy(), total["leavers_high"].to_numpy() - exp])
    ax.errorbar(x, exp, yerr=np.clip(err, 0, None), fmt="none", ecolor="black", capsize=3,
                label=f"{level:.0%} interval")
    ax.set_xticks(x, total["month"].tolist(), rotation=45, ha="right")
    ax.set_ylabel("voluntary leavers in the month")
    ax.set_title("Expected leavers per month")
    ax.legend(frameon=False, fontsize=8)
    ax2.fill_between(x, total["cumulative_low"], total["cumulative_high"], color="#4c72b0", alpha=0.25,
                     label=f"{level:.0%} interval")
    ax2.plot(x, total["cumulative_expected_leavers"], color="#4c72b0", marker="o", label="expected")
    ax2.set_xticks(x, total["month"].tolist(), rotation=45, ha="right")
    ax2.set_ylabel("voluntary leavers so far")
    ax2.set_title("Cumulative")
    ax2.legend(frameon=False, fontsize=8)
    return fig


def _rows(forecast: pd.DataFrame, level_name: str, months_ahead: int) -> list[dict]:
    f = forecast[(forecast["level"] == level_name) & (forecast["months_ahead"] == months_ahead)]
    return [{"group": r.group, "site": r.site, "people": int(r.headcount),
             "cumulative": f"{r.cumulative_expected_leavers:.1f}",
             "range": f"{int(r.cumulative_low)}–{int(r.cumulative_high)}",
             "pooled": int(r.pooled_groups) > 1 or str(r.group).startswith("Other (")}
            for r in f.sort_values("cumulative_expected_leavers", ascending=False, kind="stable").itertuples()]


def forecast_section(forecast: pd.DataFrame, level: float = 0.9) -> dict:
    """The ``forecast`` context of the ``_forecast.html.j2`` partial."""
    months = int(forecast["months_ahead"].max()) if len(forecast) else 0
    total = forecast[(forecast["level"] == "all") & (forecast["months_ahead"] == months)]
    hires = int(forecast.loc[forecast["level"] == "all", "planned_hires"].sum()) if len(forecast) else 0
    return {
        "as_of": str(forecast["as_of"].iloc[0]) if len(forecast) else "",
        "months": months,
        "level": f"{level:.0%}",
        "last_month": str(total["month"].iloc[0]) if len(total) else "",
        "total": (f"{total['cumulative_expected_leavers'].iloc[0]:.1f} "
                  f"({int(total['cumulative_low'].iloc[0])}–{int(total['cumulative_high'].iloc[0])})")
        if len(total) else "",
        "planned_hires": hires,
        "figure": figure_to_data_uri(forecast_figure(forecast, level)),
        "sites": _rows(forecast, "site", months),
        "teams": _rows(forecast, "team", months),
        "note": FORECAST_NOTE,
    }


def build_forecast_report(forecast: pd.DataFrame, *, level: float = 0.9,
                          title: str = "Leaver forecast") -> str:
    """A self-contained HTML page of the forecast (chart, sites, teams, assumptions)."""
    return render_template("forecast.html.j2", title=title, forecast=forecast_section(forecast, level))
