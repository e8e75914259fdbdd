"""Survival metrics of risk curves, from scikit-survival.

The backtest scores everyone employed at each origin and follows them to the
export date: ``duration_days`` to a voluntary exit (``event`` 1) or to
censoring (another kind of exit, or the export date). On those rows this
module measures, for the model and for each baseline, with
`scikit-survival <https://scikit-survival.readthedocs.io>`_:

* **time-dependent AUC** at each horizon (``cumulative_dynamic_auc``: people
  who left voluntarily by ``d`` against those still employed at ``d``,
  inverse-probability-of-censoring weighted);
* **concordance** (Uno's ``concordance_index_ipcw``, truncated at the longest
  horizon the follow-up allows), ranking by the risk at that horizon;
* **integrated Brier score** over the months the follow-up covers
  (``integrated_brier_score``; lower is better);
* **calibration at each horizon**: among rows whose outcome at ``d`` is known
  (a voluntary exit by ``d``, or followed without one up to ``d``), the mean
  predicted risk against the observed share, ECE and expected versus actual
  leavers. Rows censored before ``d`` are left out of that horizon only.

The censoring distribution is the Kaplan–Meier estimate of the evaluated
rows themselves. A horizon beyond the follow-up gives ``NaN``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.models._metrics import classification_metrics, expected_calibration_error, expected_vs_actual
from attrition.models._survival import MONTH_DAYS

__all__ = ["survival_metrics", "horizon_outcome", "horizon_calibration"]


def horizon_outcome(duration_days, event, days: float, followup_days=None) -> np.ndarray:
    """1 if a voluntary exit by ``days``, 0 if followed past ``days`` without one, else ``NaN``.

    ``followup_days`` (each row's time from its as-of date to the export)
    leaves out every row whose follow-up is shorter than ``days``, leavers
    included: otherwise a horizon beyond the export would keep the leavers of
    short follow-ups and drop their stayers, and overstate the observed share.

    >>> horizon_outcome([10, 100, 50], [1, 0, 0], 90).tolist()
    [1.0, 0.0, nan]
    >>> horizon_outcome([10, 100, 50], [1, 0, 0], 90, followup_days=[50, 200, 50]).tolist()
    [nan, 0.0, nan]
    """
    d = np.asarray(duration_days, dtype="float64")
    e = np.asarray(event, dtype="float64")
    out = np.full(len(d), np.nan)
    out[d >= days] = 0.0
    out[(e == 1) & (d <= days)] = 1.0
    if followup_days is not None:
        out[np.asarray(followup_days, dtype="float64") < days] = np.nan
    return out


def _structured(duration, event):
    from sksurv.util import Surv

    return Surv.from_arrays(event=np.asarray(event, dtype=bool), time=np.asarray(duration, dtype="float64"))


def survival_metrics(duration_days, event, risks: dict[int, np.ndarray], curve: np.ndarray | None = None) -> dict[str, float]:
    """Time-dependent AUC per horizon, concordance and integrated Brier of one model.

    Parameters
    ----------
    duration_days, event : array-like
        Follow-up of each row (days) and whether it ended in a voluntary exit.
    risks : dict of int to array
        Predicted risk within each horizon (days).
    curve : array, optional
        Risk within 1, 2, ... months (``predict_survival``), for the
        integrated Brier score; without it, no Brier score.

    Returns
    -------
    dict
        ``td_auc_<d>d``, ``concordance`` and ``integrated_brier`` (``NaN``
        when the follow-up is too short).
    """
    from sksurv.metrics import concordance_index_ipcw, cumulative_dynamic_auc, integrated_brier_score

    d = np.asarray(duration_days, dtype="float64")
    e = np.asarray(event, dtype="float64") == 1
    keep = np.isfinite(d) & (d > 0)
    d, e = d[keep], e[keep]
    y = _structured(d, e)
    out: dict[str, float] = {}
    # sksurv needs evaluation times inside the follow-up of the censoring distribution
    limit = float(d[~e].max()) if (~e).any() else float(d.max())
    reachable = [h for h in sorted(risks) if h < limit and (e & (d <= h)).any()]
    for h in sorted(risks):
        out[f"td_auc_{h}d"] = float("nan")
        if h in reachable:
            try:
                auc, _ = cumulative_dynamic_auc(y, y, np.asarray(risks[h], dtype="float64")[keep], [h])
                out[f"td_auc_{h}d"] = float(auc[0])
            except ValueError:
                pass
    out["concordance"] = float("nan")
    if reachable:
        tau = max(reachable)
        try:
            out["concordance"] = float(concordance_index_ipcw(
                y, y, np.asarray(risks[tau], dtype="float64")[keep], tau=tau)[0])
        except ValueError:
            pass
        out["concordance_tau_days"] = float(tau)
    out["integrated_brier"] = float("nan")
    if curve is not None:
        months = [m for m in range(1, curve.shape[1] + 1)
                  if m * MONTH_DAYS < limit and m * MONTH_DAYS >= d.min()]
        if len(months) >= 2:
            times = np.array([m * MONTH_DAYS for m in months])
            surv = 1.0 - np.asarray(curve, dtype="float64")[keep][:, [m - 1 for m in months]]
            try:
                out["integrated_brier"] = float(integrated_brier_score(y, y, surv, times))
                out["integrated_brier_months"] = float(len(months))
            except ValueError:
                pass
    return out


def horizon_calibration(duration_days, event, risks: dict[int, np.ndarray], followup_days=None) -> pd.DataFrame:
    """Per horizon: rows with a known outcome, mean risk, observed share, ECE, ROC AUC, expected vs actual.

    With ``followup_days``, only rows followed for the whole horizon count
    (:func:`horizon_outcome`). Rows with a competing exit before the horizon
    are left out either way (the risks are net of them).

    >>> t = horizon_calibration([10, 100, 200, 40], [1, 0, 0, 1], {90: np.array([0.5, 0.1, 0.1, 0.4])})
    >>> t[["horizon_days", "n", "actual", "expected"]].to_dict("records")
    [{'horizon_days': 90, 'n': 4, 'actual': 2.0, 'expected': 1.1}]
    """
    rows = []
    for h in sorted(risks):
        y = horizon_outcome(duration_days, event, h, followup_days)
        known = ~np.isnan(y)
        p = np.asarray(risks[h], dtype="float64")[known]
        yk = y[known]
        row = {"horizon_days": int(h), "n": int(known.sum())}
        if known.sum() and 0 < yk.sum() < len(yk):
            ev = expected_vs_actual(yk, p)
            row.update({"mean_risk": float(p.mean()), "observed": float(yk.mean()),
                         "ece": expected_calibration_error(yk, p),
                         "roc_auc": classification_metrics(yk, p)["roc_auc"],
                         "expected": float(ev["expected"]), "actual": float(ev["actual"]),
                         "expected_low": float(ev["low"]), "expected_high": float(ev["high"])})
        rows.append(row)
    return pd.DataFrame(rows)
