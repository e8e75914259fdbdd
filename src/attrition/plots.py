"""Figures for people who would rather look than read.

Every function returns a matplotlib ``Figure`` (drawn with the non-interactive
Agg backend) and shows aggregates only: no employee ids.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["calibration_figure", "driver_importance_figure"]


def calibration_figure(y_true, y_prob, n_bins: int = 10, title: str = "Calibration") -> Figure:
    """Reliability curve: mean predicted risk against the observed exit rate, by decile.

    Bins are quantiles of the predicted risk, so each point holds about the
    same number of employees; bars show each bin's 95 % binomial interval.

    Examples
    --------
    >>> fig = calibration_figure([0, 1, 0, 1] * 25, [0.2, 0.7, 0.3, 0.6] * 25, n_bins=4)
    >>> fig.axes[0].get_xlabel()
    'Predicted risk (mean of bin)'
    """
    y = np.asarray(y_true, dtype="float64")
    p = np.asarray(y_prob, dtype="float64")
    bins = pd.qcut(p, q=min(n_bins, len(np.unique(p))), duplicates="drop", labels=False)
    frame = pd.DataFrame({"y": y, "p": p, "bin": bins}).groupby("bin")
    stats = frame.agg(pred=("p", "mean"), rate=("y", "mean"), n=("y", "size"))
    err = 1.96 * np.sqrt(stats["rate"] * (1 - stats["rate"]) / stats["n"])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = max(float(stats["pred"].max()), float((stats["rate"] + err).max()), 0.05) * 1.1
    ax.plot([0, top], [0, top], ls="--", color="grey", lw=1, label="perfect calibration")
    ax.errorbar(stats["pred"], stats["rate"], yerr=err, fmt="o-", color="#1f5f8b", capsize=3,
                label="model (95 % interval)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("Predicted risk (mean of bin)")
    ax.set_ylabel("Observed voluntary exit rate")
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


def driver_importance_figure(
    contributions: pd.DataFrame, labels: dict[str, str] | None = None, top: int = 15,
    title: str = "What drives the risk (mean |contribution|)",
) -> Figure:
    """Horizontal bars of the mean absolute contribution of the top features.

    Examples
    --------
    >>> c = pd.DataFrame({"a": [0.1, -0.3], "b": [0.0, 0.05], "bias": [-2.0, -2.0]})
    >>> [t.get_text() for t in driver_importance_figure(c).axes[0].get_yticklabels()]
    ['b', 'a']
    """
    labels = labels or {}
    mean_abs = contributions.drop(columns=["bias"], errors="ignore").abs().mean()
    mean_abs = mean_abs.sort_values(ascending=False).head(top)[::-1]
    names = [textwrap.shorten(labels.get(f, f), width=70, placeholder="…") for f in mean_abs.index]
    fig, ax = plt.subplots(figsize=(11, 0.38 * len(mean_abs) + 1.4))
    ax.barh(names, mean_abs.to_numpy(), color="#1f5f8b")
    ax.set_xlabel("Mean |contribution| (calibrated log-odds)")
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig
