"""A life-table baseline: the monthly voluntary-exit hazard by tenure band.

:class:`ConstantHazardModel` is the simplest survival model a planner can
trust: it reads only the HR master (hire date, termination date and reason),
and estimates, for each tenure band, the rate of voluntary exits and the rate
of every other exit (involuntary, transfer, retirement, other) per
person-month employed over the ``lookback_months`` before the as-of date.
Within a band both rates are constant (a piecewise-exponential model, the
continuous-time cousin of the Kaplan–Meier / actuarial life table), so the
risk of a voluntary exit within ``k`` months is the cumulative incidence

``F_v(k) = sum_j S(j-1) * lambda_v / (lambda_v + lambda_o) * (1 - exp(-(lambda_v + lambda_o)))``

with ``S`` the probability of still being employed (other exits compete:
someone dismissed in month 2 cannot resign in month 5), evaluated month by
month at each person's tenure in the middle of that month.

It ignores everything but tenure, which is what makes it useful as a
*baseline*: the forecast of :func:`attrition.analysis.forecast_leavers` with
it is "the centre's recent exit rates applied to today's tenure mix", and
it is the risk used for planned hires, about whom nothing else is known.
A band with little exposure is shrunk toward the overall rate with the weight
of ``prior_months`` person-months.

Examples
--------
>>> emp = pd.DataFrame({
...     "employee_id": ["a", "b", "c", "d"],
...     "hire_date": pd.to_datetime(["2023-01-01", "2023-06-01", "2024-01-01", "2024-02-01"]),
...     "termination_date": pd.to_datetime([None, "2024-03-15", "2024-02-20", None]),
...     "termination_reason": [None, "voluntary", "involuntary", None]})
>>> m = ConstantHazardModel(tenure_bands=(0, 12), lookback_months=12).fit(emp, as_of="2024-06-30")
>>> m.rates_[["band", "voluntary_exits", "other_exits"]].values.tolist()
[['0-12 months', 1, 1], ['12+ months', 0, 0]]
>>> risk = m.predict_survival(pd.DataFrame({"tenure_days": [30.0, 400.0]}))
>>> risk.shape, bool((np.diff(risk, axis=1) >= 0).all())
((2, 12), True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from attrition.exceptions import ConfigError, NotFittedError, SchemaError, format_examples

__all__ = ["ConstantHazardModel"]

#: Days in an average month.
_MONTH_DAYS = 365.25 / 12


class ConstantHazardModel(BaseEstimator):
    """Monthly voluntary-exit risk from tenure alone, with other exits as competing risks.

    Parameters
    ----------
    tenure_bands : tuple of int, default (0, 1, 2, 3, 6, 12, 24)
        Lower edges of the tenure bands in months; the last band is open.
        The first months are banded finely because that is where most exits are.
    lookback_months : int, default 12
        Exposure and exits of the months before the as-of date that set the
        rates ("today's conditions").
    prior_months : float, default 6.0
        Pseudo-exposure (person-months at the overall rate) added to each band,
        so a band with little exposure is not estimated from a handful of people.
    months : int, default 12
        Months of the predicted curve.

    Attributes
    ----------
    rates_ : pandas.DataFrame
        Per band: ``band``, ``start_months``, ``exposure_months``,
        ``voluntary_exits``, ``other_exits``, ``voluntary_rate``,
        ``other_rate`` (per person-month).
    as_of_ : pandas.Timestamp
        The date the rates were estimated at (no row after it was used).
    """

    def __init__(self, tenure_bands: tuple[int, ...] = (0, 1, 2, 3, 6, 12, 24), lookback_months: int = 12,
                 prior_months: float = 6.0, months: int = 12) -> None:
        self.tenure_bands = tenure_bands
        self.lookback_months = lookback_months
        self.prior_months = prior_months
        self.months = months

    def _check_params(self) -> np.ndarray:
        edges = np.asarray(self.tenure_bands, dtype="float64")
        if len(edges) == 0 or edges[0] != 0 or np.any(np.diff(edges) <= 0):
            raise ConfigError(f"tenure_bands must start at 0 and increase, got {self.tenure_bands!r}.")
        for name in ("lookback_months", "months"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(f"{name} must be a whole number of at least 1, got {value!r}.")
        if not self.prior_months >= 0:
            raise ConfigError(f"prior_months must be >= 0, got {self.prior_months!r}.")
        return edges

    def fit(self, employees: pd.DataFrame, y=None, *, as_of=None) -> ConstantHazardModel:
        """Estimate the band rates from the HR master as known on ``as_of``.

        Parameters
        ----------
        employees : pandas.DataFrame
            ``hire_date``, ``termination_date``, ``termination_reason`` (the
            ``employees`` table of the data contract).
        as_of : date, optional
            Only exits on or before it count; people employed then are
            censored at it. Default: the latest date in the table.
        """
        edges = self._check_params()
        missing = [c for c in ("hire_date", "termination_date", "termination_reason") if c not in employees]
        if missing:
            raise SchemaError(f"employees: ConstantHazardModel needs column(s) {', '.join(missing)} "
                              "(see the data contract).", file="employees", column=missing[0])
        hire = pd.to_datetime(employees["hire_date"])
        term = pd.to_datetime(employees["termination_date"])
        if as_of is None:
            as_of = max(hire.max(), term.max() if term.notna().any() else hire.max())
        as_of = pd.Timestamp(as_of).normalize()
        bad = hire.isna()
        if bad.any():
            raise SchemaError(f"employees: column 'hire_date': {int(bad.sum())} row(s) have no hire date:\n"
                              + format_examples(employees.loc[bad]), file="employees", column="hire_date",
                              n_rows=int(bad.sum()), examples=employees.loc[bad].head(5))
        window_start = as_of - pd.DateOffset(months=self.lookback_months)
        # employed on [hire, term): exposure in (window_start, as_of], tenure in months
        known_term = term.where(term <= as_of)
        start = hire.where(hire > window_start, window_start)
        end = known_term.fillna(as_of)
        ten0 = ((start - hire).dt.days / _MONTH_DAYS).to_numpy(dtype="float64")
        ten1 = ((end - hire).dt.days / _MONTH_DAYS).to_numpy(dtype="float64")
        ok = ten1 > ten0
        upper = np.append(edges[1:], np.inf)
        exposure = np.array([np.clip(np.minimum(ten1, b) - np.maximum(ten0, a), 0, None)[ok].sum()
                             for a, b in zip(edges, upper, strict=True)])
        left = known_term.notna() & (known_term > window_start)
        band_at_exit = np.searchsorted(edges, ten1, side="right") - 1
        reason = employees["termination_reason"].astype(object).to_numpy()
        vol_mask = left.to_numpy() & (reason == "voluntary")
        other_mask = left.to_numpy() & (reason != "voluntary")
        vol = np.bincount(band_at_exit[vol_mask], minlength=len(edges))[: len(edges)]
        other = np.bincount(band_at_exit[other_mask], minlength=len(edges))[: len(edges)]
        total = exposure.sum()
        if total <= 0:
            raise SchemaError(f"employees: nobody was employed in the {self.lookback_months} months before "
                              f"{as_of:%Y-%m-%d}; there is no exposure to estimate exit rates from. Check "
                              "the as-of date and the hire dates.", file="employees", column="hire_date")
        k = float(self.prior_months)
        vol_rate = (vol + k * vol.sum() / total) / (exposure + k)
        other_rate = (other + k * other.sum() / total) / (exposure + k)
        labels = [f"{int(a)}-{int(b)} months" if np.isfinite(b) else f"{int(a)}+ months"
                  for a, b in zip(edges, upper, strict=True)]
        self.rates_ = pd.DataFrame({"band": labels, "start_months": edges, "exposure_months": exposure.round(2),
                                    "voluntary_exits": vol.astype(int), "other_exits": other.astype(int),
                                    "voluntary_rate": vol_rate, "other_rate": other_rate})
        self.as_of_ = as_of
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "rates_"):
            raise NotFittedError("This ConstantHazardModel is not fitted yet: call fit(employees, as_of=...).")

    def _tenure(self, X) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            if "tenure_days" not in X.columns:
                raise SchemaError("ConstantHazardModel needs a 'tenure_days' column (as in the snapshots).",
                                  column="tenure_days")
            X = X["tenure_days"]
        tenure = np.asarray(X, dtype="float64")
        if np.isnan(tenure).any() or (tenure < 0).any():
            raise SchemaError(f"{int((np.isnan(tenure) | (tenure < 0)).sum())} row(s) have a missing or negative "
                              "tenure_days.", column="tenure_days")
        return tenure / _MONTH_DAYS

    def _monthly(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Per row and month: P(voluntary exit in the month | employed), P(any exit | employed)."""
        self._check_fitted()
        tenure = self._tenure(X)
        mid = tenure[:, None] + np.arange(self.months)[None, :] + 0.5
        band = np.searchsorted(self.rates_["start_months"].to_numpy(), mid, side="right") - 1
        lv = self.rates_["voluntary_rate"].to_numpy()[band]
        lo = self.rates_["other_rate"].to_numpy()[band]
        total = lv + lo
        p_any = 1.0 - np.exp(-total)
        p_vol = np.where(total > 0, lv / np.where(total > 0, total, 1.0) * p_any, 0.0)
        return p_vol, p_any

    def predict_hazard(self, X) -> np.ndarray:
        """``(n, months)``: probability of a voluntary exit in month k given still employed."""
        return self._monthly(X)[0]

    def predict_survival(self, X) -> np.ndarray:
        """``(n, months)``: column ``k-1`` = P(voluntary exit within ``k`` months), non-decreasing.

        ``X`` needs ``tenure_days`` on the as-of date (a snapshot frame has it).
        """
        p_vol, p_any = self._monthly(X)
        employed = np.cumprod(np.column_stack([np.ones(len(p_vol)), 1.0 - p_any[:, :-1]]), axis=1)
        return np.cumsum(employed * p_vol, axis=1)

    def predict_other_survival(self, X) -> np.ndarray:
        """``(n, months)``: column ``k-1`` = P(no exit for another reason before month ``k`` starts).

        Turns a *net* voluntary-exit curve ``F`` (the risk for someone who does
        not leave otherwise first) into the crude one a head count needs:
        month ``k``'s leavers are ``(F(k) - F(k-1)) * predict_other_survival[:, k-1]``.
        """
        self._check_fitted()
        tenure = self._tenure(X)
        mid = tenure[:, None] + np.arange(self.months)[None, :] + 0.5
        band = np.searchsorted(self.rates_["start_months"].to_numpy(), mid, side="right") - 1
        stay = np.exp(-self.rates_["other_rate"].to_numpy()[band])
        return np.cumprod(np.column_stack([np.ones(len(stay)), stay[:, :-1]]), axis=1)

    def predict_new_hire(self) -> np.ndarray:
        """``(months,)``: the cumulative voluntary-exit risk of someone starting today."""
        return self.predict_survival(pd.DataFrame({"tenure_days": [0.0]}))[0]

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        if not hasattr(self, "rates_"):
            return super().__repr__(N_CHAR_MAX)
        r = self.rates_
        return (f"<ConstantHazardModel: {len(r)} tenure bands, {int(r['voluntary_exits'].sum())} voluntary "
                f"exits in {r['exposure_months'].sum():.0f} person-months to {self.as_of_:%Y-%m-%d} "
                f"(lookback {self.lookback_months} months); 12-month risk of a new hire "
                f"{self.predict_new_hire()[min(11, self.months - 1)]:.1%}>")
