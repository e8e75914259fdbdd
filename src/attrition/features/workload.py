"""Workload features from the contact platform: occupancy, handle time, quality.

Every feature at as-of date ``t`` is computed from workload rows dated on or
before ``t`` only (and, for contacts per worked hour, from schedule rows of the
same days), through :func:`~attrition.features._base.trailing_sums`.

Missing data
------------
* ``wl_days_*`` (worked days with a workload row) is ``0`` when the employee
  has workload rows dated on or before ``t`` but none in the window, and
  ``NaN`` when the employee has no workload row dated on or before ``t``.
* Means and ratios are ``NaN`` when their denominator is empty in the window:
  CSAT is averaged over rated days only and QA over evaluated days only
  (missing values are counted with indicator columns, never as zeros).
* ``wl_contacts_per_hour_*`` joins the schedule's ``worked_minutes`` on
  ``(employee_id, date)`` and uses only days with both contacts and worked
  minutes > 0; it is ``NaN`` throughout when there is no schedule table.
  ``wl_contacts_per_day_*`` (contacts per worked day, i.e. per workload row)
  is always made, so the feature set does not depend on which tables exist.
* Changes against the employee's own earlier level compare the shortest
  window ``(t - r, t]`` with the rest of the longest one ``(t - b, t - r]``;
  ``NaN`` when either part is empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from attrition.data._tables import Tables
from attrition.features._base import (
    FeatureBuilder,
    float_values,
    integral_or_float,
    safe_ratio,
    same_day_values,
    sorted_codes,
    window_parts,
)
from attrition.features._sql import (
    Dialect,
    sql_columns,
    sql_dialect,
    sql_flag,
    sql_float,
    sql_one_if,
    sql_select,
    sql_value_if,
)

__all__ = ["WorkloadFeatures"]

#: The workload's columns read by :meth:`WorkloadFeatures.sql_daily_values` (as numbers).
_SQL_NUMBERS = ("contacts_handled", "handle_seconds", "after_contact_seconds", "occupancy",
                "escalations", "csat", "qa_score")


class WorkloadFeatures(FeatureBuilder):
    """Occupancy, handle time, productivity, quality and escalations.

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Trailing windows ``(t - w, t]`` in days. The shortest and the longest
        define the change features (recent level minus earlier level).
    high_occupancy : float, default 0.85
        A day counts as high-occupancy when ``occupancy`` exceeds this.

    Notes
    -----
    Ratios are ratios of window sums (e.g. AHT = sum of ``handle_seconds`` /
    sum of ``contacts_handled``), so busy days weigh more than quiet ones;
    occupancy, CSAT and QA are means of the daily values. A ratio only uses
    the days where both its numerator and denominator are recorded.

    Examples
    --------
    >>> from attrition import Tables
    >>> wl = pd.DataFrame({"employee_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2024-01-30", "2024-01-31"]),
    ...     "contacts_handled": [40.0, 60.0], "handle_seconds": [12000.0, 18000.0],
    ...     "after_contact_seconds": [3000.0, 3000.0], "occupancy": [0.8, 0.9],
    ...     "escalations": [1.0, 1.0], "csat": [4.0, None], "qa_score": [None, 80.0]})
    >>> emp = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "hire_date": pd.to_datetime(["2023-01-01"])})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "as_of": pd.to_datetime(["2024-01-31"])})
    >>> out = WorkloadFeatures(windows=(28,)).build(Tables(emp, workload=wl), fr)
    >>> out[["wl_aht_28d", "wl_high_occupancy_share_28d", "wl_csat_mean_28d",
    ...      "wl_escalation_rate_28d"]].to_dict("records")
    [{'wl_aht_28d': 300.0, 'wl_high_occupancy_share_28d': 0.5, 'wl_csat_mean_28d': 4.0, 'wl_escalation_rate_28d': 0.02}]
    """

    name = "wl"
    table = "workload"

    def __init__(
        self, windows: Sequence[int] = (28, 91, 182), *, high_occupancy: float = 0.85
    ) -> None:
        self.windows = windows
        self.high_occupancy = high_occupancy

    # ------------------------------------------------------------------ names
    def labels(self) -> dict[str, str]:
        ws, r, b = window_parts(self.windows)
        lab: dict[str, str] = {}
        for w in ws:
            last = f"last {w} days"
            lab[f"wl_days_{w}d"] = f"Days with handled workload, {last}"
            lab[f"wl_occupancy_mean_{w}d"] = f"Mean occupancy, {last}"
            lab[f"wl_high_occupancy_share_{w}d"] = (
                f"Share of days with occupancy above {self.high_occupancy:g}, {last}"
            )
            lab[f"wl_aht_{w}d"] = f"Average handle time (seconds), {last}"
            lab[f"wl_contacts_per_day_{w}d"] = f"Contacts handled per worked day, {last}"
            lab[f"wl_contacts_per_hour_{w}d"] = f"Contacts handled per worked hour, {last}"
            lab[f"wl_after_contact_share_{w}d"] = f"After-contact work share of handle time, {last}"
            lab[f"wl_csat_mean_{w}d"] = f"Mean customer satisfaction over rated days, {last}"
            lab[f"wl_qa_mean_{w}d"] = f"Mean quality score over evaluated days, {last}"
            lab[f"wl_escalation_rate_{w}d"] = f"Escalations per contact, {last}"
        if r != b:
            vs = f"last {r} days vs the {b - r} days before"
            lab[f"wl_aht_drift_{r}d"] = f"Relative change in handle time ({vs})"
            lab[f"wl_occupancy_change_{r}d"] = f"Change in occupancy ({vs})"
            lab[f"wl_after_contact_share_change_{r}d"] = (
                f"Change in after-contact work share ({vs})"
            )
            lab[f"wl_contacts_per_hour_change_{r}d"] = f"Change in contacts per worked hour ({vs})"
            lab[f"wl_contacts_per_day_change_{r}d"] = f"Change in contacts per worked day ({vs})"
            lab[f"wl_qa_change_{r}d"] = f"Change in quality score ({vs})"
        return lab

    def peer_features(self) -> list[str]:
        _, r, b = window_parts(self.windows)
        return [
            f"wl_occupancy_mean_{r}d",
            f"wl_aht_{r}d",
            f"wl_contacts_per_hour_{r}d",
            f"wl_after_contact_share_{r}d",
            f"wl_qa_mean_{b}d",
        ]

    # ------------------------------------------------------------------ build
    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        wl = tables.workload
        if wl is None or len(frame) == 0 or len(wl) == 0:
            return self.all_missing(frame)
        return self.from_sums(self.window_sums(self._daily_values(wl, tables.schedule), frame))

    def from_sums(self, sums: pd.DataFrame) -> pd.DataFrame:
        """The features from the trailing-window sums of :meth:`_daily_values`.

        ``sums`` holds, per snapshot row, ``n_{w}`` and ``sum_{w}_{col}`` for
        every window and value column, and ``cum@0_n`` (workload rows dated on
        or before the as-of date; only whether it is positive matters), as
        :func:`trailing_sums` returns them. Any engine that computes those sums
        (e.g. the SQL of :meth:`sql_daily_values`, summed in
        :mod:`attrition.snapshots._warehouse`) gets the same features from here.
        """
        ws, r, b = window_parts(self.windows)
        names = list(self.labels())
        covered = sums["cum@0_n"].to_numpy() > 0

        def s(col: str, w: int) -> np.ndarray:
            key = f"n_{w}" if col == "n" else f"sum_{w}_{col}"
            return sums[key].to_numpy()

        def ratio(num: str, den: str, w: int) -> np.ndarray:
            return safe_ratio(s(num, w), s(den, w))

        def earlier(num: str, den: str) -> np.ndarray:
            return safe_ratio(s(num, b) - s(num, r), s(den, b) - s(den, r))

        out: dict[str, np.ndarray] = {}
        for w in ws:
            out[f"wl_days_{w}d"] = np.where(covered, s("n", w), np.nan)
            out[f"wl_occupancy_mean_{w}d"] = ratio("occ", "occ_n", w)
            out[f"wl_high_occupancy_share_{w}d"] = ratio("occ_high", "occ_n", w)
            out[f"wl_aht_{w}d"] = ratio("aht_h", "aht_c", w)
            out[f"wl_contacts_per_day_{w}d"] = ratio("cpd_c", "cpd_n", w)
            out[f"wl_contacts_per_hour_{w}d"] = ratio("cph_c", "cph_h", w)
            out[f"wl_after_contact_share_{w}d"] = ratio("acs_a", "acs_h", w)
            out[f"wl_csat_mean_{w}d"] = ratio("csat", "csat_n", w)
            out[f"wl_qa_mean_{w}d"] = ratio("qa", "qa_n", w)
            out[f"wl_escalation_rate_{w}d"] = ratio("esc_e", "esc_c", w)
        if r != b:
            out[f"wl_aht_drift_{r}d"] = (
                safe_ratio(ratio("aht_h", "aht_c", r), earlier("aht_h", "aht_c")) - 1.0
            )
            out[f"wl_occupancy_change_{r}d"] = ratio("occ", "occ_n", r) - earlier("occ", "occ_n")
            out[f"wl_after_contact_share_change_{r}d"] = ratio("acs_a", "acs_h", r) - earlier(
                "acs_a", "acs_h"
            )
            out[f"wl_contacts_per_hour_change_{r}d"] = ratio("cph_c", "cph_h", r) - earlier(
                "cph_c", "cph_h"
            )
            out[f"wl_contacts_per_day_change_{r}d"] = ratio("cpd_c", "cpd_n", r) - earlier(
                "cpd_c", "cpd_n"
            )
            out[f"wl_qa_change_{r}d"] = ratio("qa", "qa_n", r) - earlier("qa", "qa_n")
        return pd.DataFrame(out, columns=names).astype("float64")

    def _daily_values(self, wl: pd.DataFrame, schedule: pd.DataFrame | None) -> pd.DataFrame:
        """One row per workload row, sorted by (employee, date): keys plus the summable values.

        ``employee_id`` is categorical (integer codes), indicators are
        booleans and whole-number values ``int32`` (summed exactly by
        :func:`~attrition.features._base.trailing_sums`).
        """
        n = len(wl)
        codes, uniques, days, pos = sorted_codes(wl["employee_id"], wl["date"])
        if pos is not None:
            codes, days = codes[pos], days[pos]

        def num(col: str) -> np.ndarray:
            if col not in wl.columns:
                return np.full(n, np.nan)
            values = float_values(wl[col])
            return values if pos is None else values[pos]

        # Worked minutes of the same (employee, day) from the schedule: both
        # rows are dated that day, so nothing after the as-of date is read.
        worked = np.full(n, np.nan)
        if schedule is not None and len(schedule) and "worked_minutes" in schedule.columns:
            worked = same_day_values(schedule, "worked_minutes", uniques, codes, days)

        def present(*arrays: np.ndarray) -> np.ndarray:
            ok = np.ones(n, dtype=bool)
            for a in arrays:
                ok &= ~np.isnan(a)
            return ok

        def whole(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """``a``, its int32 cast and where that cast is exact: worked out once for a
            column that feeds several values (contacts, handle time)."""
            with np.errstate(invalid="ignore", over="ignore"):
                as_int = a.astype(np.int32)  # NaN, inf and out-of-range values do not round-trip
            return a, as_int, as_int == a

        def where(ok: np.ndarray, a: np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
            if isinstance(a, np.ndarray):
                return integral_or_float(np.where(ok, a, 0.0))
            # The same as above from whole(a): the rows kept are whole or not whichever
            # other rows are kept, and the others are 0.
            a, as_int, exact = a
            if not len(a) or bool((ok & ~exact).any()):
                return integral_or_float(np.where(ok, a, 0.0))
            return np.where(ok, as_int, np.int32(0))

        data: dict[str, np.ndarray] = {}
        occ = num("occupancy")
        occ_n = present(occ)
        data["occ_n"] = occ_n
        data["occ"] = where(occ_n, occ)
        with np.errstate(invalid="ignore"):
            data["occ_high"] = occ_n & (occ > self.high_occupancy)
        del occ, occ_n
        contacts = num("contacts_handled")
        handle = num("handle_seconds")
        aht_ok = present(handle, contacts)
        contacts_w, handle_w = whole(contacts), whole(handle)
        data["aht_h"] = where(aht_ok, handle_w)
        data["aht_c"] = where(aht_ok, contacts_w)
        del aht_ok
        cpd_ok = present(contacts)
        data["cpd_c"] = where(cpd_ok, contacts_w)
        data["cpd_n"] = cpd_ok
        del cpd_ok
        with np.errstate(invalid="ignore"):
            cph_ok = present(contacts, worked) & (worked > 0)
        data["cph_c"] = where(cph_ok, contacts_w)
        data["cph_h"] = where(cph_ok, worked / 60.0)
        del cph_ok, worked
        after = num("after_contact_seconds")
        acs_ok = present(after, handle)
        data["acs_a"] = where(acs_ok, after)
        data["acs_h"] = where(acs_ok, handle_w)
        del acs_ok, after, handle, handle_w
        csat = num("csat")
        csat_n = present(csat)
        data["csat_n"] = csat_n
        data["csat"] = where(csat_n, csat)
        del csat, csat_n
        qa = num("qa_score")
        qa_n = present(qa)
        data["qa_n"] = qa_n
        data["qa"] = where(qa_n, qa)
        del qa, qa_n
        esc = num("escalations")
        esc_ok = present(esc, contacts)
        data["esc_e"] = where(esc_ok, esc)
        data["esc_c"] = where(esc_ok, contacts_w)
        del esc, esc_ok, contacts, contacts_w

        names = ["occ_n", "occ", "occ_high", "aht_h", "aht_c", "cpd_c", "cpd_n", "cph_c", "cph_h",
                 "acs_a", "acs_h", "csat_n", "csat", "qa_n", "qa", "esc_e", "esc_c"]
        keys = {
            "employee_id": pd.Categorical.from_codes(codes, categories=uniques),
            "date": days.view("datetime64[D]").astype("datetime64[ns]"),
        }
        return pd.DataFrame({**keys, **{k: data.pop(k) for k in names}}, copy=False)

    # -------------------------------------------------------------- SQL twin
    def sql_values(self, dialect: str | Dialect = "duckdb") -> dict[str, str]:
        """The SQL twin of :meth:`_daily_values`' values: one expression per value, by name.

        Same names, same order, same missing-value rules (a comparison with a
        missing value is false, as in numpy), as ``DOUBLE``. The expressions
        read the columns of the rows :meth:`sql_daily_values` prepares:
        ``contacts``, ``handle``, ``after_s``, ``occ``, ``esc``, ``csat``,
        ``qa`` and the schedule's ``worked`` minutes of the same day.
        """
        sql_dialect(dialect)  # the values are spelled alike in every dialect
        aht = "handle IS NOT NULL AND contacts IS NOT NULL"
        cph = sql_flag("contacts IS NOT NULL AND worked IS NOT NULL AND worked > 0")
        acs = "after_s IS NOT NULL AND handle IS NOT NULL"
        esc_ok = "esc IS NOT NULL AND contacts IS NOT NULL"
        return {
            "occ_n": sql_one_if("occ IS NOT NULL"),
            "occ": sql_value_if("occ IS NOT NULL", "occ"),
            "occ_high": sql_one_if(sql_flag(f"occ > {sql_float(self.high_occupancy)}")),
            "aht_h": sql_value_if(aht, "handle"),
            "aht_c": sql_value_if(aht, "contacts"),
            "cpd_c": sql_value_if("contacts IS NOT NULL", "contacts"),
            "cpd_n": sql_one_if("contacts IS NOT NULL"),
            "cph_c": sql_value_if(cph, "contacts"),
            "cph_h": sql_value_if(cph, "worked / CAST(60 AS DOUBLE)"),
            "acs_a": sql_value_if(acs, "after_s"),
            "acs_h": sql_value_if(acs, "handle"),
            "csat_n": sql_one_if("csat IS NOT NULL"),
            "csat": sql_value_if("csat IS NOT NULL", "csat"),
            "qa_n": sql_one_if("qa IS NOT NULL"),
            "qa": sql_value_if("qa IS NOT NULL", "qa"),
            "esc_e": sql_value_if(esc_ok, "esc"),
            "esc_c": sql_value_if(esc_ok, "contacts"),
        }

    def sql_daily_values(
        self,
        dialect: str | Dialect = "duckdb",
        *,
        source: str,
        schedule: str | None = None,
        columns: Iterable[str] | None = None,
        schedule_columns: Iterable[str] | None = None,
    ) -> str:
        """The SQL twin of :meth:`_daily_values`: a query of the workload table ``source``.

        One row per workload row: ``employee_id`` (text), ``date`` (``DATE``)
        and the values of :meth:`sql_values`. ``schedule`` names the schedule
        table whose ``worked_minutes`` of the same (employee, day) give the
        contacts per worked hour (summed over that day's rows; ``None``: no
        schedule, those values are 0). ``columns`` and ``schedule_columns``
        list the tables' columns (``None``: all of the contract's); a missing
        optional column reads as NULL, as in :meth:`_daily_values`.

        Examples
        --------
        >>> sql = WorkloadFeatures().sql_daily_values(source="acd.daily", schedule="wfm.schedule")
        >>> "LEFT JOIN sw" in sql and "FROM acd.daily" in sql
        True
        """
        d = sql_dialect(dialect)
        c = sql_columns(("employee_id", "date", *_SQL_NUMBERS), columns, d)
        has_worked = schedule is not None and (schedule_columns is None
                                               or "worked_minutes" in set(schedule_columns))
        if has_worked:
            q = d.quote
            worked_cte = f""", sw AS (
  SELECT CAST({q('employee_id')} AS STRING) AS employee_id, CAST({q('date')} AS DATE) AS date,
    SUM(TRY_CAST({q('worked_minutes')} AS DOUBLE)) AS worked
  FROM {schedule}
  GROUP BY CAST({q('employee_id')} AS STRING), CAST({q('date')} AS DATE)
), w1 AS (
  SELECT w0.*, sw.worked FROM w0
  LEFT JOIN sw ON w0.employee_id = sw.employee_id AND w0.date = sw.date
)"""
        else:
            worked_cte = """, w1 AS (SELECT w0.*, CAST(NULL AS DOUBLE) AS worked FROM w0)"""
        select = sql_select(self.sql_values(d))
        return f"""WITH w0 AS (
  SELECT CAST({c['employee_id']} AS STRING) AS employee_id,
    CAST({c['date']} AS DATE) AS date,
    TRY_CAST({c['contacts_handled']} AS DOUBLE) AS contacts,
    TRY_CAST({c['handle_seconds']} AS DOUBLE) AS handle,
    TRY_CAST({c['after_contact_seconds']} AS DOUBLE) AS after_s,
    TRY_CAST({c['occupancy']} AS DOUBLE) AS occ,
    TRY_CAST({c['escalations']} AS DOUBLE) AS esc,
    TRY_CAST({c['csat']} AS DOUBLE) AS csat,
    TRY_CAST({c['qa_score']} AS DOUBLE) AS qa
  FROM {source}
){worked_cte}
SELECT employee_id, date,
    {select}
FROM w1"""
