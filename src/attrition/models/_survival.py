"""Discrete-time survival: from monthly hazards to the risk at any horizon.

The attrition model estimates the **monthly hazard** of a voluntary exit: the
probability that someone employed at a month end ``t`` leaves voluntarily by
the next month end, given the features at ``t``. Every snapshot row whose
next month is observed trains it: a voluntary exit in that month is an event,
a month survived is a non-event, and a row whose month ends in another kind
of exit (involuntary, transfer, retirement: competing risks) or runs past the
export date is **censored** — left out, never counted as a non-event.

The survival curve multiplies the monthly survival probabilities:
``risk(k) = 1 - prod_{j <= k} (1 - h_j)``, non-decreasing in ``k`` by
construction. The hazard of month ``j`` after ``t`` is predicted from the
features at ``t`` with tenure advanced by ``j - 1`` months (tenure is the one
feature whose future value is known); everything else is held at its value
at ``t`` — the curve assumes today's conditions persist. A horizon of ``d``
days is ``d / MONTH_DAYS`` months; a fraction of a month takes that fraction
of the month's hazard on the log-survival scale.

The risks are *net* of competing exits (as the binary label): the chance of
a voluntary exit for someone who does not leave for another reason first.

Examples
--------
>>> h = np.array([[0.1, 0.1, 0.1]])
>>> np.round(cumulative_risk(h), 3).tolist()
[[0.1, 0.19, 0.271]]
>>> round(float(risk_at(h, 2 * MONTH_DAYS)[0]), 3)
0.19
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "MONTH_DAYS",
    "CURVE_MONTHS",
    "monthly_label",
    "next_month_end",
    "advance_tenure",
    "advanced_columns",
    "cumulative_risk",
    "risk_at",
    "risk_months",
    "expected_months",
]

#: Length of a month in the survival curve, in days.
MONTH_DAYS: float = 365.25 / 12
#: Months covered by :meth:`AttritionModel.predict_survival`.
CURVE_MONTHS: int = 12
#: Tenure at or below which ``early_tenure`` is 1 (:class:`attrition.features.TenureFeatures`).
EARLY_TENURE_DAYS: float = 90.0

#: The features :func:`advance_tenure` moves along the curve (the only ones the months ahead change).
TENURE_COLUMNS: tuple[str, ...] = ("tenure_days", "log_tenure", "early_tenure")


def next_month_end(as_of) -> np.ndarray:
    """The month end after each as-of date (the end of the hazard's month).

    >>> [f"{d:%Y-%m-%d}" for d in pd.to_datetime(next_month_end(pd.to_datetime(["2024-01-31", "2024-02-10"])))]
    ['2024-02-29', '2024-02-29']
    """
    t = pd.to_datetime(pd.Series(np.asarray(as_of))).dt.normalize()
    return (t + pd.offsets.MonthEnd(1)).to_numpy().astype("datetime64[ns]")


def monthly_label(as_of, duration_days, event) -> np.ndarray:
    """Event of the month after ``as_of``: 1.0, 0.0, or ``NaN`` when censored in it.

    1 when the voluntary exit falls on or before the next month end; 0 when
    the person was observed, with no voluntary exit, up to that month end;
    ``NaN`` when observation stopped earlier (a competing exit or the export
    date) — censoring never makes a row negative. (A competing exit on the
    next month end itself leaves the whole month observed without a
    voluntary exit: 0.)

    Examples
    --------
    >>> t = pd.to_datetime(["2024-01-31"] * 4)
    >>> monthly_label(t, [10, 10, 40, 5], [1, 0, 0, 0]).tolist()
    [1.0, nan, 0.0, nan]
    """
    t = pd.to_datetime(pd.Series(np.asarray(as_of))).dt.normalize().to_numpy().astype("datetime64[ns]")
    month = ((next_month_end(t) - t) / np.timedelta64(1, "D")).astype("float64")
    d = np.asarray(duration_days, dtype="float64")
    e = np.asarray(event, dtype="float64")
    out = np.full(len(d), np.nan)
    out[d >= month] = 0.0
    out[(e == 1) & (d <= month)] = 1.0
    return out


def advance_tenure(X: pd.DataFrame, days: float) -> pd.DataFrame:
    """``X`` (a prepared model matrix) with its tenure features ``days`` later.

    >>> X = pd.DataFrame({"tenure_days": [60.0], "early_tenure": [1.0], "log_tenure": [np.log1p(60.0)]})
    >>> advance_tenure(X, 61).round(3).to_dict("list")
    {'tenure_days': [121.0], 'early_tenure': [0.0], 'log_tenure': [4.804]}
    """
    columns = advanced_columns(X, days)
    if not columns:
        return X
    out = X.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def advanced_columns(X: pd.DataFrame, days: float) -> dict[str, np.ndarray]:
    """The columns :func:`advance_tenure` replaces, by name, with their values ``days`` later.

    Empty when nothing moves (``days == 0`` or no ``tenure_days``): every
    other column, and these at ``days == 0``, keep ``X``'s own values.

    >>> X = pd.DataFrame({"tenure_days": [60.0, np.nan], "early_tenure": [1.0, np.nan], "team": [1, 2]})
    >>> {k: v.tolist() for k, v in advanced_columns(X, 31).items()}
    {'tenure_days': [91.0, nan], 'early_tenure': [0.0, nan]}
    >>> advanced_columns(X, 0)
    {}
    """
    if days == 0 or "tenure_days" not in X.columns:
        return {}
    tenure = X["tenure_days"].to_numpy(dtype="float64") + float(days)
    out = {"tenure_days": tenure}
    if "early_tenure" in X.columns:
        out["early_tenure"] = np.where(np.isnan(tenure), np.nan, (tenure <= EARLY_TENURE_DAYS).astype("float64"))
    if "log_tenure" in X.columns:
        out["log_tenure"] = np.log1p(np.clip(tenure, 0, None))
    return out


def cumulative_risk(hazard: np.ndarray) -> np.ndarray:
    """``1 - cumprod(1 - h)`` along the months: the risk within 1, 2, ... months."""
    h = np.clip(np.asarray(hazard, dtype="float64"), 0.0, 1.0)
    return 1.0 - np.cumprod(1.0 - h, axis=1)


def _months(days: float) -> tuple[int, float]:
    months = float(days) / MONTH_DAYS
    whole = int(np.floor(months + 1e-9))
    return whole, months - whole


def horizon_logit(z, months: float) -> np.ndarray:
    """Log-odds of an exit within ``months`` months at a constant monthly hazard ``sigmoid(z)``
    (clipped to ``[1e-12, 1 - 1e-12]``): increasing in ``z``.

    >>> float(horizon_logit(0.0, 1.0)), round(float(horizon_logit(-3.0, 3.0)), 3)
    (0.0, -1.852)
    """
    log_s = months * np.log1p(-1.0 / (1.0 + np.exp(-np.asarray(z, dtype="float64"))))
    r = np.clip(-np.expm1(log_s), 1e-12, 1 - 1e-12)
    return np.log(r) - np.log1p(-r)


def risk_months(days: float) -> int:
    """How many months of hazards :func:`risk_at` reads for ``days`` (the columns after them never count).

    >>> risk_months(90), risk_months(2 * MONTH_DAYS), risk_months(365), risk_months(0)
    (3, 2, 12, 0)
    """
    whole, frac = _months(days)
    return whole + int(frac > 1e-9)


def risk_at(hazard: np.ndarray, days: float) -> np.ndarray:
    """Risk of an exit within ``days`` days from monthly hazards (fractional months interpolated).

    Only the first :func:`risk_months` columns of ``hazard`` are read.
    """
    h = np.clip(np.asarray(hazard, dtype="float64"), 0.0, 1.0 - 1e-12)
    whole, frac = _months(days)
    months = float(days) / MONTH_DAYS
    if whole + (frac > 1e-9) > h.shape[1]:
        raise ValueError(f"{days} days need {months:.2f} months of hazards; {h.shape[1]} given.")
    log_s = np.log1p(-h[:, :whole]).sum(axis=1)
    if frac > 1e-9:
        log_s = log_s + frac * np.log1p(-h[:, whole])
    return -np.expm1(log_s)


def expected_months(hazard: np.ndarray) -> np.ndarray:
    """Expected months to a voluntary exit, the last month's hazard continuing after the curve.

    ``sum_{k=0}^{K-1} S(k) + S(K) / h_K`` with ``S(0) = 1``.

    >>> round(float(expected_months(np.full((1, 12), 0.1))[0]), 6)
    10.0
    """
    h = np.clip(np.asarray(hazard, dtype="float64"), 1e-9, 1.0)
    surv = np.cumprod(1.0 - h, axis=1)
    before = 1.0 + surv[:, :-1].sum(axis=1)
    return before + surv[:, -1] / h[:, -1]
