"""Ranking and probability metrics for risk scores.

All functions take true binary outcomes and predicted probabilities. The
capacity metrics (precision and lift in the top share) answer the question
HR actually has: "if we talk to the top 10 % this month, how many of the
people who will leave do we reach?"
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

__all__ = [
    "classification_metrics",
    "top_share_precision",
    "expected_calibration_error",
    "reliability_table",
    "capacity_metrics",
    "precision_recall_at_k",
    "lift_by_decile",
    "expected_vs_actual",
]


def top_share_precision(y_true, y_score, share: float = 0.10) -> float:
    """Share of positives among the ``ceil(share * n)`` highest scores.

    Ties are broken by the order of the rows (stable), so the result is
    deterministic.

    Examples
    --------
    >>> top_share_precision([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.3], share=0.5)
    1.0
    """
    y_true = np.asarray(y_true, dtype="float64")
    y_score = np.asarray(y_score, dtype="float64")
    k = max(1, math.ceil(share * len(y_true)))
    order = np.argsort(-y_score, kind="stable")[:k]
    return float(y_true[order].mean())


def classification_metrics(y_true, y_score, prefix: str = "") -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, log loss, precision and lift in the top 10 %.

    Parameters
    ----------
    y_true : array-like of {0, 1}
    y_score : array-like of float
        Probabilities (for Brier and log loss to mean anything).
    prefix : str
        Prepended to every key (e.g. ``"valid_"``).

    Examples
    --------
    >>> m = classification_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(m["roc_auc"], 2), m["n"], m["positives"]
    (0.75, 4.0, 2.0)
    """
    y = np.asarray(y_true, dtype="float64")
    p = np.clip(np.asarray(y_score, dtype="float64"), 1e-6, 1 - 1e-6)
    out: dict[str, float] = {"n": float(len(y)), "positives": float(y.sum())}
    base = float(y.mean()) if len(y) else float("nan")
    out["base_rate"] = base
    if len(np.unique(y)) == 2:
        out["roc_auc"] = float(roc_auc_score(y, p))
        out["pr_auc"] = float(average_precision_score(y, p))
        out["log_loss"] = float(log_loss(y, p, labels=[0, 1]))
    else:
        out["roc_auc"] = out["pr_auc"] = out["log_loss"] = float("nan")
    out["brier"] = float(brier_score_loss(y, p, pos_label=1)) if len(y) else float("nan")
    prec = top_share_precision(y, p, 0.10) if len(y) else float("nan")
    out["precision_top10"] = prec
    out["lift_top10"] = prec / base if base and base > 0 else float("nan")
    out["mean_predicted"] = float(p.mean()) if len(y) else float("nan")
    return {f"{prefix}{k}": v for k, v in out.items()}


# --------------------------------------------------------------- evaluation helpers
def reliability_table(y_true, y_prob, n_bins: int = 10) -> pd.DataFrame:
    """Mean predicted risk and observed rate in equal-count bins of the prediction.

    Bins are quantiles of ``y_prob`` (ties kept together), so each holds about
    ``n / n_bins`` rows.

    Returns
    -------
    pandas.DataFrame
        ``bin``, ``n``, ``mean_predicted``, ``observed_rate``, ``low`` and
        ``high`` (a 95 % Wilson interval of the observed rate).

    Examples
    --------
    >>> t = reliability_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> t[["n", "mean_predicted", "observed_rate"]].to_numpy().round(2).tolist()
    [[2.0, 0.15, 0.0], [2.0, 0.8, 1.0]]
    """
    y = np.asarray(y_true, dtype="float64")
    p = np.asarray(y_prob, dtype="float64")
    if len(y) == 0:
        return pd.DataFrame(columns=["bin", "n", "mean_predicted", "observed_rate", "low", "high"])
    q = max(1, min(n_bins, len(np.unique(p))))
    bins = pd.qcut(p, q=q, duplicates="drop", labels=False) if q > 1 else np.zeros(len(p), dtype=int)
    g = pd.DataFrame({"y": y, "p": p, "bin": bins}).groupby("bin", sort=True)
    out = g.agg(n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")).reset_index()
    out["n"] = out["n"].astype("float64")
    z = 1.96
    n, r = out["n"], out["observed_rate"]
    centre = (r + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(r * (1 - r) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # The Wilson interval holds the observed rate; rounding can put an end a hair past it (r = 0 or 1).
    out["low"] = np.clip(np.minimum(centre - half, r), 0.0, 1.0)
    out["high"] = np.clip(np.maximum(centre + half, r), 0.0, 1.0)
    return out


def expected_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean |observed - predicted| over bins.

    Uses the equal-count bins of :func:`reliability_table` (equal-width bins
    would leave almost every employee of a low-base-rate problem in the first
    bin).

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    0.175
    """
    t = reliability_table(y_true, y_prob, n_bins)
    if t.empty:
        return float("nan")
    w = t["n"] / t["n"].sum()
    return round(float((w * (t["observed_rate"] - t["mean_predicted"]).abs()).sum()), 12)


def precision_recall_at_k(y_true, y_score, k: int) -> tuple[float, float]:
    """Precision and recall among the ``k`` highest scores (stable tie order).

    This is the capacity question: with time for ``k`` conversations, what
    share of them reach a leaver, and what share of the leavers do they reach?

    Examples
    --------
    >>> precision_recall_at_k([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2], k=2)
    (0.5, 0.5)
    """
    y = np.asarray(y_true, dtype="float64")
    s = np.asarray(y_score, dtype="float64")
    k = int(min(max(k, 0), len(y)))
    if k == 0:
        return float("nan"), float("nan")
    hits = float(y[np.argsort(-s, kind="stable")[:k]].sum())
    total = float(y.sum())
    return hits / k, (hits / total if total > 0 else float("nan"))


def capacity_metrics(y_true, y_score, k: int = 20, shares=(0.05, 0.10, 0.20)) -> dict[str, float]:
    """Precision, recall and lift at a capacity of ``k`` people and at top shares.

    Keys: ``precision_at_k``, ``recall_at_k``, ``lift_at_k`` and, for each
    share (e.g. 0.05 → ``top5``), ``precision_top5``, ``recall_top5``,
    ``lift_top5``. The top share holds ``ceil(share * n)`` people.

    Examples
    --------
    >>> m = capacity_metrics([1, 0, 0, 0, 1, 0, 0, 0, 0, 0], np.linspace(1, 0, 10), k=2, shares=(0.2,))
    >>> m["precision_at_k"], m["recall_at_k"], m["lift_top20"]
    (0.5, 0.5, 2.5)
    """
    y = np.asarray(y_true, dtype="float64")
    base = float(y.mean()) if len(y) else float("nan")
    out: dict[str, float] = {}

    def put(name: str, n_top: int) -> None:
        p, r = precision_recall_at_k(y, y_score, n_top)
        out[f"precision_{name}"] = p
        out[f"recall_{name}"] = r
        out[f"lift_{name}"] = p / base if base and base > 0 and np.isfinite(p) else float("nan")

    put("at_k", k)
    for share in shares:
        put(f"top{round(share * 100)}", max(1, math.ceil(share * len(y))))
    return out


def lift_by_decile(y_true, y_score, n_groups: int = 10) -> pd.DataFrame:
    """Observed rate and lift in each decile of the score, highest risk first.

    Deciles are cut by rank (stable ties), so they differ in size by at most one.

    Returns
    -------
    pandas.DataFrame
        ``decile`` (1 = highest risk), ``n``, ``positives``, ``rate``, ``lift``
        (rate / overall rate) and ``cumulative_recall``.

    Examples
    --------
    >>> t = lift_by_decile([1, 0, 0, 0], [0.9, 0.1, 0.2, 0.3], n_groups=2)
    >>> t["lift"].tolist(), t["cumulative_recall"].tolist()
    ([2.0, 0.0], [1.0, 1.0])
    """
    y = np.asarray(y_true, dtype="float64")
    s = np.asarray(y_score, dtype="float64")
    order = np.argsort(-s, kind="stable")
    groups = np.empty(len(y), dtype=int)
    groups[order] = (np.arange(len(y)) * n_groups) // max(len(y), 1) + 1
    t = pd.DataFrame({"decile": groups, "y": y}).groupby("decile").agg(
        n=("y", "size"), positives=("y", "sum")).reset_index()
    t["rate"] = t["positives"] / t["n"]
    base = float(y.mean()) if len(y) else float("nan")
    t["lift"] = t["rate"] / base if base > 0 else np.nan
    t["cumulative_recall"] = t["positives"].cumsum() / y.sum() if y.sum() > 0 else np.nan
    return t


def expected_vs_actual(y_true, y_prob) -> dict[str, float]:
    """Expected leavers (sum of probabilities) against actual, with a 95 % interval.

    If the probabilities are right, the number of leavers is a sum of
    independent Bernoulli draws (a Poisson-binomial count) with mean
    ``sum(p)`` and variance ``sum(p (1 - p))``; the interval is the mean ±
    1.96 standard deviations. ``within`` is 1.0 when the actual count lies
    inside it.

    Examples
    --------
    >>> r = expected_vs_actual([1, 0, 0, 0], [0.25] * 4)
    >>> r["expected"], r["actual"], r["within"]
    (1.0, 1.0, 1.0)
    """
    y = np.asarray(y_true, dtype="float64")
    p = np.asarray(y_prob, dtype="float64")
    exp = float(p.sum())
    sd = float(np.sqrt((p * (1 - p)).sum()))
    low, high = exp - 1.96 * sd, exp + 1.96 * sd
    actual = float(y.sum())
    return {"expected": exp, "actual": actual, "low": low, "high": high,
            "within": float(low <= actual <= high)}
