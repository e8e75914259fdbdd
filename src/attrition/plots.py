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

__all__ = [
    "calibration_figure",
    "driver_importance_figure",
    "beeswarm_figure",
    "waterfall_figure",
    "risk_by_group_figure",
    "expected_vs_actual_figure",
    "driver_summary_figure",
]


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


# --------------------------------------------------------------------------
# Explanations and roll-ups (issue 4). Groups below the minimum size are never
# drawn on their own: they are pooled exactly as in attrition.rollups.

_BLUE, _RED, _GREY = "#1f5f8b", "#c0392b", "#7f8c8d"


def _short(text: str, width: int = 60) -> str:
    return textwrap.shorten(str(text), width=width, placeholder="…")


def beeswarm_figure(explanation, max_display: int = 12,
                    title: str = "What drives risk across everyone scored") -> Figure:
    """shap's beeswarm of the global driver importance.

    One dot per employee and feature: its position is the contribution to
    the calibrated log-odds, its colour the feature's value (high red, low
    blue). ``explanation`` comes from :func:`attrition.explain.shap_explanation`.
    """
    import shap

    explanation = explanation[:, :]
    explanation.feature_names = [_short(n) for n in explanation.feature_names]
    fig = plt.figure()
    shap.plots.beeswarm(explanation, max_display=max_display, show=False, plot_size=(11, 0.45 * max_display + 1.8),
                        color_bar_label="Feature value (low → high)")
    fig = plt.gcf()
    ax = fig.axes[0]
    ax.set_xlabel("Contribution to risk (calibrated log-odds; right = raises risk)")
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def waterfall_figure(explanation_row, max_display: int = 10, title: str = "") -> Figure:
    """shap's waterfall of one employee's risk, from the average to their own.

    Pass one row of an explanation grouped by measure
    (:func:`attrition.explain.measure_explanation`), or any single-row
    :class:`shap.Explanation`.
    """
    import shap

    row = explanation_row
    row.feature_names = [_short(n, 55) for n in row.feature_names]
    plt.figure()
    shap.plots.waterfall(row, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.set_size_inches(11, 0.5 * max_display + 1.8)
    if title:
        fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def risk_by_group_figure(scores: pd.DataFrame, by: str = "team_id", *, min_group_size: int = 5,
                         parent: str | None = None, title: str | None = None) -> Figure:
    """Distribution of risk per group (box and points); small groups pooled, never alone.

    Examples
    --------
    >>> s = pd.DataFrame({"team_id": ["a"] * 6 + ["b"] * 2 + ["c"] * 5,
    ...                   "attrition_risk": np.linspace(0.01, 0.3, 13)})
    >>> [t.get_text() for t in risk_by_group_figure(s).axes[0].get_yticklabels()]
    ['Other (2 groups pooled)', 'a']
    """
    from .rollups import _assign

    display, _ = _assign(scores, by, min_group_size, parent if parent in scores.columns else None)
    keep = (display != "(suppressed)").to_numpy()
    frame = pd.DataFrame({"group": display[keep].astype(str).to_numpy(),
                          "risk": scores.loc[keep, "attrition_risk"].to_numpy(dtype="float64")})
    med = frame.groupby("group")["risk"].median()
    pooled = [g for g in med.index if g.startswith("Other (")]
    order = pooled + [g for g in med.sort_values().index if g not in pooled]
    data = [frame.loc[frame["group"] == g, "risk"].to_numpy() * 100 for g in order]
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(order) + 1.6))
    if data:
        ax.boxplot(data, orientation="horizontal", widths=0.6, showfliers=False,
                   medianprops={"color": _RED}, boxprops={"color": _BLUE}, whiskerprops={"color": _BLUE},
                   capprops={"color": _BLUE})
        rng = np.random.default_rng(0)
        for i, d in enumerate(data, start=1):
            ax.scatter(d, i + rng.uniform(-0.15, 0.15, len(d)), s=7, color=_GREY, alpha=0.5, zorder=1)
        ax.set_yticks(range(1, len(order) + 1), [_short(g, 40) for g in order])
    ax.set_xlabel("Risk of a voluntary exit within the horizon (%)")
    ax.set_xlim(left=0)
    fig.suptitle(title or f"Risk by {by.replace('_id', '')} (groups under {min_group_size} people pooled)",
                 x=0.02, ha="left")
    fig.tight_layout()
    return fig


def expected_vs_actual_figure(as_of, risk, label, level: float = 0.9,
                              title: str = "Expected vs actual voluntary leavers by month",
                              valid_start=None) -> Figure:
    """Per as-of month: the sum of predicted risks (with its Poisson-binomial
    interval) against the leavers that happened, on rows with a known outcome.
    ``valid_start`` shades the out-of-time validation months from that date.

    Examples
    --------
    >>> d = ["2024-01-31"] * 20 + ["2024-02-29"] * 20
    >>> fig = expected_vs_actual_figure(d, [0.1] * 40, [0, 1] * 20)
    >>> fig.axes[0].get_ylabel()
    'Voluntary leavers within the horizon'
    """
    from .rollups import poisson_binomial_interval

    frame = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(as_of)).to_numpy(),
                          "p": np.asarray(risk, dtype="float64"),
                          "y": np.asarray(label, dtype="float64")})
    frame = frame[frame["y"].notna()]
    rows = []
    for t, g in frame.groupby("as_of"):
        e, lo, hi = poisson_binomial_interval(g["p"].to_numpy(), level)
        rows.append((t, e, lo, hi, g["y"].sum(), len(g)))
    stats = pd.DataFrame(rows, columns=["as_of", "expected", "low", "high", "actual", "n"])
    fig, ax = plt.subplots(figsize=(11, 4.2))
    if len(stats):
        ax.fill_between(stats["as_of"], stats["low"], stats["high"], color=_BLUE, alpha=0.15,
                        label=f"expected, {level:.0%} interval")
        ax.plot(stats["as_of"], stats["expected"], color=_BLUE, marker="o", label="expected (sum of risks)")
        ax.plot(stats["as_of"], stats["actual"], color=_RED, marker="s", ls="", label="actual leavers")
        if valid_start is not None:
            start = pd.Timestamp(valid_start) - pd.Timedelta(days=15)
            ax.axvspan(start, stats["as_of"].max() + pd.Timedelta(days=15), color="#f1c40f", alpha=0.15,
                       label="validation months (out of time)")
    ax.set_ylabel("Voluntary leavers within the horizon")
    ax.set_xlabel("As-of month end")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False)
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def driver_summary_figure(scores: pd.DataFrame, labels: dict[str, str] | None = None, top: int = 10,
                          title: str = "Measures that raise risk most, across everyone scored") -> Figure:
    """From a scores file alone: total risk points each measure adds as a top driver.

    Examples
    --------
    >>> s = pd.DataFrame({"driver_1_feature": ["a_28d", "b"], "driver_1_points": [3.0, -1.0]})
    >>> [t.get_text() for t in driver_summary_figure(s).axes[0].get_yticklabels()]
    ['a_28d']
    """
    from .explain import measure_label
    from .scoring import feature_family

    labels = labels or {}
    totals: dict[str, float] = {}
    people: dict[str, int] = {}
    names: dict[str, str] = {}
    k = 1
    while f"driver_{k}_feature" in scores.columns:
        size_col = f"driver_{k}_points" if f"driver_{k}_points" in scores else f"driver_{k}_contribution"
        for f, v in zip(scores[f"driver_{k}_feature"].astype(str), pd.to_numeric(scores[size_col]), strict=True):
            if np.isfinite(v) and v > 0:
                fam = feature_family(f)
                totals[fam] = totals.get(fam, 0.0) + float(v)
                people[fam] = people.get(fam, 0) + 1
                names.setdefault(fam, measure_label(labels.get(f, f)))
        k += 1
    ranked = sorted(totals, key=lambda f: -totals[f])[:top][::-1]
    fig, ax = plt.subplots(figsize=(11, 0.42 * max(len(ranked), 1) + 1.5))
    ax.barh([_short(names[f], 60) for f in ranked], [totals[f] for f in ranked], color=_RED)
    for i, f in enumerate(ranked):
        ax.text(totals[f], i, f"  {people[f]} people", va="center", fontsize=9, color="#333")
    ax.set_xlabel("Risk points added, summed over the people for whom it is a top driver")
    ax.margins(x=0.15)
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig
