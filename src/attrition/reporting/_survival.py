"""Figures and the model card of a flat-table survival model (``attrition train --table --duration``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from attrition.reporting._plots import _subplots

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["kaplan_meier_figure", "survival_card_markdown"]


def kaplan_meier_figure(km: pd.DataFrame, *, unit: str = "months", horizons=(),
                        predicted: dict | None = None) -> Figure:
    """The Kaplan–Meier curve of staying (no voluntary exit) with its 95 % band.

    ``predicted`` (``{horizon: mean out-of-fold risk}``) marks the model's mean
    predicted survival at each horizon, a check of calibration in the large.

    Examples
    --------
    >>> from attrition.models import kaplan_meier
    >>> fig = kaplan_meier_figure(kaplan_meier([1, 2, 3, 5], [1, 0, 1, 0]), horizons=(3,), predicted={3: 0.4})
    >>> fig.axes[0].get_ylabel()
    'share without a voluntary exit'
    """
    fig, ax = _subplots((6.5, 4.0))
    t = np.concatenate([[0.0], km["time"].to_numpy()])
    s = np.concatenate([[1.0], km["survival"].to_numpy()])
    ax.step(t, s, where="post", color="#4c72b0", label="Kaplan–Meier")
    ax.fill_between(t, np.concatenate([[1.0], km["low"].to_numpy()]), np.concatenate([[1.0], km["high"].to_numpy()]),
                    step="post", color="#4c72b0", alpha=0.2, label="95% interval")
    if predicted:
        hs = list(predicted)
        ax.plot(hs, [1.0 - predicted[h] for h in hs], "o", color="#dd8452",
                label="model, mean out-of-fold")
    for h in horizons:
        ax.axvline(h, color="grey", lw=0.5, ls=":")
    ax.set_xlabel(f"time employed ({unit})")
    ax.set_ylabel("share without a voluntary exit")
    ax.set_ylim(0, 1.02)
    ax.set_title("Staying over time")
    ax.legend(frameon=False, fontsize=8)
    return fig


def survival_card_markdown(fit, source: str | None = None) -> str:
    """A short Markdown model card of a :class:`attrition.models.FlatSurvivalFit`."""
    model = fit.model
    s, m = model.training_summary_, model.metrics_
    lines = [
        "# Flat-table survival model",
        "",
        f"- Table: {source or 'table'}; {s['n_rows']} rows, {s['events']} voluntary exits "
        f"(duration `{s.get('duration')}` in {s['duration_unit']}, event `{s.get('event')}`).",
        "- Model: discrete-time hazard, LightGBM over duration bins; risk within each horizon "
        "= 1 - product of (1 - hazard), non-decreasing by construction.",
        f"- Horizons: {', '.join(f'{h:g}' for h in s['horizons'])} {s['duration_unit']}; {model.best_iteration_} trees.",
        f"- Validation: {s.get('validation', 'not evaluated')}.",
        f"- Concordance (Harrell): {m.get('cv_concordance', float('nan')):.3f} "
        f"± {m.get('cv_concordance_sd', float('nan')):.3f}; ridge Cox model on the same columns "
        f"{m.get('cox_cv_concordance', float('nan')):.3f} ± {m.get('cox_cv_concordance_sd', float('nan')):.3f}.",
        "",
        "| horizon | mean predicted risk (out of fold) | Kaplan–Meier risk |",
        "|---|---|---|",
    ]
    for col in model.horizon_columns():
        lines.append(f"| {col} | {m.get(f'cv_mean_{col}', float('nan')):.3f} | {m.get(f'km_{col}', float('nan')):.3f} |")
    lines += ["", f"Columns dropped (protected or requested): {', '.join(fit.dropped) or 'none'}."]
    return "\n".join(lines) + "\n"
