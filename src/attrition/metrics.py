"""Ranking and probability metrics for risk scores.

All functions take true binary outcomes and predicted probabilities. The
capacity metrics (precision and lift in the top share) answer the question
HR actually has: "if we talk to the top 10 % this month, how many of the
people who will leave do we reach?"
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

__all__ = ["classification_metrics", "top_share_precision"]


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
