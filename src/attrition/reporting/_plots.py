"""Figures for people who would rather look than read.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` and
shows aggregates only: no employee ids.

Figures never touch the user's matplotlib state
    Importing this module does not choose a backend, and the figures are
    built with the object-oriented API (``Figure(...)``, ``fig.subplots()``),
    not pyplot: they are not registered with pyplot, so they are not shown
    by a later ``plt.show()``, leak no memory when dropped, and
    :func:`attrition.reporting._report.figure_to_data_uri` (or
    ``fig.savefig``) renders them with no display under any backend. In
    Jupyter they display inline as PNG (:meth:`_Figure._repr_png_`) even
    before pyplot was imported.

    shap's waterfall draws on pyplot's current figure, so
    :func:`waterfall_figure` makes one with ``plt.figure`` inside
    ``plt.ioff()`` and ``matplotlib.rc_context()`` (interactive mode and
    rcParams restored afterwards) and closes it in pyplot before returning
    it; the backend is never switched. shap's beeswarm draws on the axes it
    is given.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from attrition.analysis._backtest import CALIBRATION_METHODS
from attrition.analysis._drivers import feature_family, measure_label
from attrition.analysis._rollups import _assign, poisson_binomial_interval
from attrition.models._baselines import BASELINES

__all__ = [
    "calibration_figure",
    "driver_importance_figure",
    "beeswarm_figure",
    "waterfall_figure",
    "risk_by_group_figure",
    "expected_vs_actual_figure",
    "driver_summary_figure",
    "backtest_figures",
]


class _Figure(Figure):
    """A :class:`~matplotlib.figure.Figure` that shows itself as PNG in Jupyter.

    IPython registers a PNG formatter for figures only once pyplot has
    loaded the inline backend; this method covers figures made before.
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", bbox_inches="tight", facecolor="white")
        return buf.getvalue()


def _subplots(figsize: tuple[float, float]):
    """A new figure, outside pyplot, and its one Axes."""
    fig = _Figure(figsize=figsize)
    return fig, fig.subplots()


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
    fig, ax = _subplots(figsize=(5.5, 5))
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
    fig, ax = _subplots(figsize=(11, 0.38 * len(mean_abs) + 1.4))
    ax.barh(names, mean_abs.to_numpy(), color="#1f5f8b")
    ax.set_xlabel("Mean |contribution| (calibrated log-odds)")
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Explanations and roll-ups (issue 4). Groups below the minimum size are never
# drawn on their own: they are pooled exactly as in attrition.analysis._rollups.

_BLUE, _RED, _GREY = "#1f5f8b", "#c0392b", "#7f8c8d"


def _short(text: str, width: int = 60) -> str:
    return textwrap.shorten(str(text), width=width, placeholder="…")


def beeswarm_figure(explanation, max_display: int = 12,
                    title: str = "What drives risk across everyone scored") -> Figure:
    """shap's beeswarm of the global driver importance.

    One dot per employee and feature: its position is the contribution to
    the calibrated log-odds, its colour the feature's value (high red, low
    blue). ``explanation`` comes from
    :func:`attrition.analysis._explain.shap_explanation`. Drawn on the axes
    of a new figure outside pyplot (shap's ``ax`` argument).
    """
    import shap

    explanation = explanation[:, :]
    explanation.feature_names = [_short(n) for n in explanation.feature_names]
    fig, ax = _subplots(figsize=(11, 0.45 * max_display + 1.8))
    with matplotlib.rc_context():
        shap.plots.beeswarm(explanation, max_display=max_display, ax=ax, show=False, plot_size=None,
                            color_bar_label="Feature value (low → high)")
    ax.set_xlabel("Contribution to risk (calibrated log-odds; right = raises risk)")
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def waterfall_figure(explanation_row, max_display: int = 10, title: str = "") -> Figure:
    """shap's waterfall of one employee's risk, from the average to their own.

    Pass one row of an explanation grouped by measure
    (:func:`attrition.analysis._explain.measure_explanation`), or any
    single-row :class:`shap.Explanation`.

    shap draws the waterfall on pyplot's current figure: it is made with
    ``plt.figure`` with interactive mode off and rcParams restored
    afterwards, then closed in pyplot (so no ``plt.show()`` shows it again)
    and returned. The backend is never switched.
    """
    import matplotlib.pyplot as plt
    import shap

    row = explanation_row
    row.feature_names = [_short(n, 55) for n in row.feature_names]
    with plt.ioff(), matplotlib.rc_context():  # shap turns interactive mode off and leaves it off
        fig = plt.figure(FigureClass=_Figure)
        try:
            shap.plots.waterfall(row, max_display=max_display, show=False)
        finally:
            plt.close(fig)
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

    display, _ = _assign(scores, by, min_group_size, parent if parent in scores.columns else None)
    keep = (display != "(suppressed)").to_numpy()
    frame = pd.DataFrame({"group": display[keep].astype(str).to_numpy(),
                          "risk": scores.loc[keep, "attrition_risk"].to_numpy(dtype="float64")})
    med = frame.groupby("group")["risk"].median()
    pooled = [g for g in med.index if g.startswith("Other (")]
    order = pooled + [g for g in med.sort_values().index if g not in pooled]
    data = [frame.loc[frame["group"] == g, "risk"].to_numpy() * 100 for g in order]
    fig, ax = _subplots(figsize=(11, 0.32 * len(order) + 1.6))
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
                              valid_start=None, outcome: str = "voluntary leavers") -> Figure:
    """Per as-of month: the sum of predicted risks (with its Poisson-binomial
    interval) against the leavers that happened, on rows with a known outcome.
    ``valid_start`` shades the out-of-time validation months from that date;
    ``outcome`` names what is counted (e.g. ``"entries into the quiet-quitting
    state"`` for the quiet-quitting model).

    Examples
    --------
    >>> d = ["2024-01-31"] * 20 + ["2024-02-29"] * 20
    >>> fig = expected_vs_actual_figure(d, [0.1] * 40, [0, 1] * 20)
    >>> fig.axes[0].get_ylabel()
    'Voluntary leavers within the horizon'
    """

    frame = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(as_of)).to_numpy(),
                          "p": np.asarray(risk, dtype="float64"),
                          "y": np.asarray(label, dtype="float64")})
    frame = frame[frame["y"].notna()]
    rows = []
    for t, g in frame.groupby("as_of"):
        e, lo, hi = poisson_binomial_interval(g["p"].to_numpy(), level)
        rows.append((t, e, lo, hi, g["y"].sum(), len(g)))
    stats = pd.DataFrame(rows, columns=["as_of", "expected", "low", "high", "actual", "n"])
    fig, ax = _subplots(figsize=(11, 4.2))
    if len(stats):
        ax.fill_between(stats["as_of"], stats["low"], stats["high"], color=_BLUE, alpha=0.15,
                        label=f"expected, {level:.0%} interval")
        ax.plot(stats["as_of"], stats["expected"], color=_BLUE, marker="o", label="expected (sum of risks)")
        ax.plot(stats["as_of"], stats["actual"], color=_RED, marker="s", ls="", label=f"actual {outcome}")
        if valid_start is not None:
            start = pd.Timestamp(valid_start) - pd.Timedelta(days=15)
            ax.axvspan(start, stats["as_of"].max() + pd.Timedelta(days=15), color="#f1c40f", alpha=0.15,
                       label="validation months (out of time)")
    ax.set_ylabel(f"{outcome[:1].upper()}{outcome[1:]} within the horizon")
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
    fig, ax = _subplots(figsize=(11, 0.42 * max(len(ranked), 1) + 1.5))
    ax.barh([_short(names[f], 60) for f in ranked], [totals[f] for f in ranked], color=_RED)
    for i, f in enumerate(ranked):
        ax.text(totals[f], i, f"  {people[f]} people", va="center", fontsize=9, color="#333")
    ax.set_xlabel("Risk points added, summed over the people for whom it is a top driver")
    ax.margins(x=0.15)
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- backtests
def backtest_figures(result) -> dict[str, Figure]:
    """The figures of a backtest, by MLflow artefact path (aggregates only, no employee ids).

    Parameters
    ----------
    result : BacktestResult
        Output of :func:`attrition.analysis._backtest.backtest`.

    Returns
    -------
    dict of str to Figure
        ``plots/backtest_reliability.png`` (reliability of each calibration
        method over all origins), ``plots/backtest_roc_auc_by_origin.png``,
        ``plots/backtest_expected_vs_actual.png`` and
        ``plots/backtest_lift_by_decile.png``.
    """

    figs = {}
    fig, ax = _subplots(figsize=(6, 5.5))
    rel = result.reliability
    top = max(float(rel["mean_predicted"].max()), float(rel["high"].max()), 0.05) * 1.05
    ax.plot([0, top], [0, top], ls="--", color="grey", lw=1, label="perfect calibration")
    colours = {"platt": "#1f5f8b", "isotonic": "#d08c1f", "none": "#999999"}
    for name in CALIBRATION_METHODS:
        t = rel[rel["method"] == name]
        ece = result.calibration.set_index("method").loc[name, "pooled_ece"]
        ax.errorbar(t["mean_predicted"], t["observed_rate"],
                    yerr=[t["observed_rate"] - t["low"], t["high"] - t["observed_rate"]],
                    fmt="o-", capsize=2, color=colours[name], label=f"{name} (ECE {ece:.3f})")
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="Predicted risk (mean of decile)",
           ylabel="Observed voluntary exit rate", title="Backtest reliability, all origins")
    ax.legend(loc="upper left", frameon=False)
    fig.tight_layout()
    figs["plots/backtest_reliability.png"] = fig

    o = result.origins
    fig, ax = _subplots(figsize=(8, 4.5))
    ax.plot(o["origin"], o["model_roc_auc"], "o-", label="model", color="#1f5f8b", lw=2)
    for name, c in zip(BASELINES, ["#bbbbbb", "#8cb369", "#d08c1f"], strict=True):
        ax.plot(o["origin"], o[f"{name}_roc_auc"], "o--", label=name, color=c)
    ax.set(ylabel="ROC AUC", title="ROC AUC by origin")
    ax.legend(frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    figs["plots/backtest_roc_auc_by_origin.png"] = fig

    fig, ax = _subplots(figsize=(8, 4.5))
    err = [o["model_expected"] - o["model_expected_low"], o["model_expected_high"] - o["model_expected"]]
    ax.errorbar(o["origin"], o["model_expected"], yerr=err, fmt="o", capsize=3, color="#1f5f8b",
                label="expected (95 % interval)")
    ax.plot(o["origin"], o["model_actual"], "s", color="#c0392b", label="actual")
    ax.set(ylabel="Voluntary leavers in the horizon", title="Expected vs actual leavers by origin")
    ax.legend(frameon=False)
    fig.autofmt_xdate()
    fig.tight_layout()
    figs["plots/backtest_expected_vs_actual.png"] = fig

    fig, ax = _subplots(figsize=(7, 4.5))
    ax.bar(result.lift["decile"], result.lift["lift"], color="#1f5f8b")
    ax.axhline(1.0, ls="--", color="grey", lw=1)
    ax.set(xlabel="Decile of predicted risk (1 = highest)", ylabel="Lift (rate / overall rate)",
           title="Lift by decile, all origins", xticks=list(result.lift["decile"]))
    fig.tight_layout()
    figs["plots/backtest_lift_by_decile.png"] = fig
    return figs
