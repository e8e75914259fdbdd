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
    Jupyter they display inline as PNG (:func:`_Figure`) even before
    pyplot was imported. Importing this module does not import matplotlib
    either: it is imported by the first figure drawn (monthly scoring without
    a report never pays for it).

    shap's beeswarm draws on the axes it is given; the waterfall is drawn
    here, in probability points.

Probability points, never log-odds
    What a reader sees is in percentage points of risk:
    :func:`risk_points_explanation` turns the model's contributions into
    each measure's points for each person (as the drivers of the scores
    file), and :func:`waterfall_figure` walks from the average person's
    risk to one person's in steps of points.
"""

from __future__ import annotations

import functools
import io
import re
import sys
import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from attrition._lazy import lazy_module
from attrition.analysis._backtest import CALIBRATION_METHODS
from attrition.analysis._drivers import (
    feature_family,
    measure_label,
    probability_points,
)
from attrition.analysis._rollups import _assign, poisson_binomial_interval
from attrition.models._baselines import BASELINES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

matplotlib = lazy_module("matplotlib")

__all__ = [
    "calibration_figure",
    "driver_importance_figure",
    "beeswarm_figure",
    "risk_points_explanation",
    "waterfall_figure",
    "risk_by_group_figure",
    "expected_vs_actual_figure",
    "driver_summary_figure",
    "backtest_figures",
    "close_figure",
]


@functools.cache
def _figure_class() -> type:
    """A :class:`~matplotlib.figure.Figure` that shows itself as PNG in Jupyter (made on first use).

    IPython registers a PNG formatter for figures only once pyplot has
    loaded the inline backend; ``_repr_png_`` covers figures made before.
    """
    from matplotlib.figure import Figure

    class _PngFigure(Figure):
        __doc__ = _figure_class.__doc__

        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", bbox_inches="tight", facecolor="white")
            return buf.getvalue()

    return _PngFigure


def _Figure(**kwargs) -> Figure:
    """A new figure outside pyplot (``Figure(**kwargs)``) that shows itself as PNG in Jupyter.

    >>> fig = _Figure(figsize=(1, 1))
    >>> fig._repr_png_()[:4]
    b'\\x89PNG'
    """
    return _figure_class()(**kwargs)


def close_figure(fig) -> None:
    """Release ``fig`` from pyplot if pyplot holds it; never imports pyplot.

    The figures of this module are made outside pyplot and need no closing;
    a figure a caller made with pyplot is closed.
    """
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)


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


def _distinct(names: list[str], width: int) -> list[str]:
    """Shortened names that stay distinct: a clash keeps more of the text, then gets a number.

    Examples
    --------
    >>> _distinct(["Share of night shifts, last 28 days", "Share of night shifts, last 91 days"], 20)
    ['Share of night…', 'Share of night shifts, last 91 days']
    >>> _distinct(["Same words", "Same words"], 20)
    ['Same words', 'Same words (2)']
    """
    out: list[str] = []
    for n in names:
        short = _short(n, width)
        if short in out:
            short = _short(n, width + 25)
        k = 2
        base = short
        while short in out:
            short = f"{base} ({k})"
            k += 1
        out.append(short)
    return out


def risk_points_explanation(model, snapshots: pd.DataFrame, labels=None, contributions: pd.DataFrame | None = None):
    """A :class:`shap.Explanation` in probability points, one column per measure, for the beeswarm.

    Each measure's contributions (its windows and team comparison summed,
    as the drivers of the scores file group them) become the risk points
    it adds for that person: ``100 × (p − sigmoid(logit(p) − φ))``
    (:func:`attrition.analysis.probability_points`). ``data`` is the value
    of the measure's main feature (the one that moves risk most on
    average; tenure in days), coloured by shap; ``base_values`` is the
    average person's risk in percent. Names are plain labels, distinct.

    Parameters
    ----------
    model : AttritionModel
        A fitted model (its public ``contributions``, ``prepare``,
        ``feature_names_in_``, ``categories_``).
    snapshots : pandas.DataFrame
        The rows to explain.
    labels : dict, optional
        Readable feature labels (default: the model's).
    contributions : pandas.DataFrame, optional
        ``model.contributions(snapshots)``, when already computed.
    """
    import shap

    labels = dict(labels) if labels is not None else model.feature_labels()
    contrib = model.contributions(snapshots) if contributions is None else contributions
    feats = list(model.feature_names_in_)
    data = model.prepare(snapshots)
    for col in model.categories_:
        data[col] = data[col].cat.codes.astype("float64").where(data[col].notna())
    values = contrib[feats].to_numpy(dtype="float64")
    logit = values.sum(axis=1) + contrib["bias"].to_numpy(dtype="float64")
    risk = 1.0 / (1.0 + np.exp(-logit))
    fams = [feature_family(f) for f in feats]
    order = list(dict.fromkeys(fams))
    points = np.zeros((len(values), len(order)))
    shown = np.full((len(values), len(order)), np.nan)
    names = []
    for j, fam in enumerate(order):
        idx = [i for i, f in enumerate(fams) if f == fam]
        points[:, j] = probability_points(risk, values[:, idx].sum(axis=1))
        main = feats[idx[int(np.argmax(np.abs(values[:, idx]).mean(axis=0)))]]
        if fam == "tenure" and "tenure_days" in feats:
            main = "tenure_days"
        base = main.removesuffix("_vs_team")
        main = base if base in feats else main
        shown[:, j] = data[main].to_numpy(dtype="float64")
        names.append(measure_label(labels.get(main, fam)))
    base_risk = 100.0 / (1.0 + np.exp(-contrib["bias"].to_numpy(dtype="float64")))
    return shap.Explanation(values=points, base_values=base_risk, data=shown, feature_names=_distinct(names, 200))


def beeswarm_figure(explanation, max_display: int = 12,
                    title: str = "What drives risk across everyone scored") -> Figure:
    """shap's beeswarm of the global driver importance, in probability points.

    One dot per person and measure: its position is the risk points the
    measure adds (right) or takes away (left), its colour the measure's
    value (high red, low blue). ``explanation`` comes from
    :func:`risk_points_explanation`. Row names are shortened so they fit
    and stay distinct; the dots' jitter is seeded, so the same explanation
    gives the same figure (numpy's global random state is left as it was). Drawn on the axes of a new figure outside pyplot
    (shap's ``ax`` argument).
    """
    import shap

    explanation = explanation[:, :]
    explanation.feature_names = _distinct(list(explanation.feature_names), 48)
    fig, ax = _subplots(figsize=(11, 0.45 * max_display + 1.8))
    # shap jitters the dots with numpy's global generator: seeded here (and the caller's state
    # given back) so the same explanation draws the same figure on every run.
    state = np.random.get_state()
    np.random.seed(0)
    try:
        with matplotlib.rc_context({"font.size": 10}):
            shap.plots.beeswarm(explanation, max_display=max_display, ax=ax, show=False, plot_size=None,
                                color_bar_label="Value of the measure (low → high)")
    finally:
        np.random.set_state(state)
    ax.set_yticks(ax.get_yticks(), [re.sub(r"^Sum of (\d+) other features$", r"\1 other measures together", t.get_text())
                                     for t in ax.get_yticklabels()], fontsize=10)
    ax.set_xlabel("Risk points the measure adds for the person (right) or takes away (left)")
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def waterfall_figure(explanation_row, max_display: int = 10, title: str = "") -> Figure:
    """One person's risk, from the average person's to their own, in steps of probability points.

    Pass one row of an explanation grouped by measure
    (:func:`attrition.analysis.measure_explanation`; values and base value
    on the calibrated log-odds scale, data the values as text). The
    ``max_display - 1`` measures that move the risk most are shown, the
    rest pooled into one step. Steps are taken from the smallest to the
    largest, so they add up exactly to the change in risk; the largest
    (top) step equals that measure's driver points in the scores file.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> row = SimpleNamespace(values=np.array([1.0, -0.5, 0.2]), base_values=-2.0,
    ...                       data=np.array(["2 months", "9%", "3"], dtype=object),
    ...                       feature_names=["Tenure", "Share of night shifts", "Late changes"])
    >>> [t.get_text() for t in waterfall_figure(row, max_display=2).axes[0].get_yticklabels()]
    ['2 other measures', 'Tenure: 2 months']
    """
    values = np.asarray(explanation_row.values, dtype="float64")
    base = float(np.asarray(explanation_row.base_values, dtype="float64").ravel()[0])
    data = list(explanation_row.data) if explanation_row.data is not None else [None] * len(values)
    names = list(explanation_row.feature_names)
    order = np.argsort(-np.abs(values), kind="stable")
    shown = order[:max_display - 1] if len(order) > max_display else order
    rest = [i for i in order if i not in set(shown.tolist())]
    steps: list[tuple[str, float]] = []
    if rest:
        steps.append((f"{len(rest)} other measure{'s' if len(rest) != 1 else ''}", float(values[rest].sum())))
    for i in shown[::-1]:
        value = data[i]
        if isinstance(value, (float, np.floating)):
            value = "missing" if np.isnan(value) else f"{value:.3g}"
        steps.append((f"{names[i]}: {value}" if value is not None and str(value) != "" else str(names[i]),
                      float(values[i])))
    sig = lambda z: 100.0 / (1.0 + np.exp(-z))  # noqa: E731
    fig, ax = _subplots(figsize=(11, 0.42 * len(steps) + 2.0))
    logit = base
    labels = []
    for k, (label, phi) in enumerate(steps):
        start, end = sig(logit), sig(logit + phi)
        logit += phi
        colour = _RED if end >= start else _BLUE
        ax.barh(k, end - start, left=start, color=colour, height=0.6)
        pts = end - start
        ax.text(max(start, end), k, f"  {pts:+.1f} pts", va="center", fontsize=9, color="#333")
        labels.append(_short(label, 70))
    p0, p1 = sig(base), sig(logit)
    ax.axvline(p0, color=_GREY, ls="--", lw=1)
    ax.axvline(p1, color="#333", ls=":", lw=1)
    ax.set_yticks(range(len(steps)), labels)
    ax.set_ylim(-0.8, len(steps) - 0.2)
    ax.set_xlim(0, min(100.0, max(p0, p1, *(sig(base + np.cumsum([p for _, p in steps])))) * 1.18 + 2))
    ax.set_xlabel(f"Risk (%): from the average person ({p0:.1f}%, dashed) to this person ({p1:.1f}%, dotted)")
    ax.spines[["top", "right"]].set_visible(False)
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
    ax.barh(_distinct([names[f] for f in ranked], 60), [totals[f] for f in ranked], color=_RED)
    for i, f in enumerate(ranked):
        ax.text(totals[f], i, f"  {people[f]} {'person' if people[f] == 1 else 'people'}", va="center",
                fontsize=9, color="#333")
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
