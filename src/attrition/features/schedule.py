"""Schedule features from the WFM export: nights, weekends, late changes, rest.

Every feature at as-of date ``t`` is computed from schedule rows dated on or
before ``t`` only (WFM exports often carry published future shifts; they are
never read for an earlier ``t``). All window aggregates come from
:func:`~attrition.features._base.trailing_sums`: daily sums are accumulated
once per employee-day and read back with as-of joins, so the cost grows with
the number of rows, not rows × as-of dates.

Missing data
------------
* Counts (``sched_shifts_*``, ``sched_late_changes_*``,
  ``sched_short_rests_*``) are ``0`` when the employee has schedule rows dated
  on or before ``t`` but none in the window, and ``NaN`` when the employee has
  no schedule row dated on or before ``t`` at all (not covered by the WFM
  system, which is not the same as "no shifts").
* Means, shares and ratios are ``NaN`` when their denominator is empty in the
  window (e.g. no shift with a recorded adherence).
* Changes against the employee's own earlier level compare the shortest
  window ``(t - r, t]`` with the rest of the longest one ``(t - b, t - r]``;
  ``NaN`` when either part is empty. They are only made when there are at
  least two distinct windows.
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
    minutes_of_day,
    safe_ratio,
    table_codes,
    window_parts,
)
from attrition.features._sql import (
    Dialect,
    sql_columns,
    sql_dialect,
    sql_flag,
    sql_float,
    sql_minutes_of_day,
    sql_one_if,
    sql_select,
    sql_value_if,
)

__all__ = ["ScheduleFeatures"]

#: Start times are measured from 04:00 for the volatility feature, so that the
#: usual night starts (22:00, 23:30, 00:30) sit next to each other instead of
#: at both ends of the day. The standard deviation does not depend on the
#: origin otherwise.
_START_ORIGIN_MIN = 4 * 60

_MINUTES_PER_DAY = 24 * 60

#: The schedule's columns read by :meth:`ScheduleFeatures.sql_daily_values`: times as
#: ``HH:MM`` text, the rest as numbers.
_SQL_TIMES = ("shift_start", "shift_end")
_SQL_NUMBERS = ("scheduled_minutes", "worked_minutes", "overtime_minutes", "adherence",
                "notice_days")


def _hhmm_to_minutes(values: pd.Series) -> np.ndarray:
    """Minutes after midnight of ``HH:MM`` strings (``NaN`` when missing or invalid).

    Parses the distinct values only (at most 1,440 of them), so it is cheap on
    millions of rows.

    >>> _hhmm_to_minutes(pd.Series(["06:30", None, "23:59"])).tolist()
    [390.0, nan, 1439.0]
    """
    codes, uniques = pd.factorize(pd.Series(values).to_numpy(dtype=object), use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(codes), np.nan)
    parts = pd.Series(uniques, dtype="str").str.split(":", n=1, expand=True)
    if parts.shape[1] < 2:
        return np.full(len(codes), np.nan)
    hours = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype="float64")
    mins = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype="float64")
    parsed = hours * 60.0 + mins
    out = np.full(len(codes), np.nan)
    ok = codes >= 0
    out[ok] = parsed[codes[ok]]
    return out


class ScheduleFeatures(FeatureBuilder):
    """Nights, weekends, late changes, start-time volatility, overtime, rest.

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Trailing windows ``(t - w, t]`` in days. The shortest and the longest
        define the change features (recent level minus earlier level).
    late_notice_days : int, default 2
        A shift is a *late change* when its ``notice_days`` is at most this.
    night_start : str, default "20:00"
        A shift is a *night shift* when it starts at or after this time, or
        before ``night_end``, or ends after midnight (end earlier than start).
    night_end : str, default "06:00"
        See ``night_start``.
    min_rest_hours : float, default 11
        A *short rest* is a gap shorter than this between the scheduled end of
        one shift and the scheduled start of the employee's next one (the EU
        working-time minimum daily rest). The pair is dated by the later shift.
    split_gap_minutes : int, default 120
        A shift is a *split shift* when its span from start to end exceeds
        its paid ``scheduled_minutes`` by at least this much (an unpaid gap
        in the middle of the day, beyond a usual 30-60 minute break).

    Notes
    -----
    A *shift* is a schedule row. Shares are over the shifts where the inputs
    are present: night share over shifts with both times; split-shift share
    (span from ``shift_start`` to ``shift_end`` at least ``split_gap_minutes``
    longer than ``scheduled_minutes``) over shifts with both times and
    scheduled minutes; late-change share
    over shifts with ``notice_days``; overtime over shifts with
    ``overtime_minutes``; missed-shift share (``worked_minutes == 0``) over
    shifts with ``scheduled_minutes > 0`` and a recorded ``worked_minutes``;
    worked/scheduled ratio over shifts with both. The start-time volatility is
    the sample standard deviation of start minutes (``NaN`` under two shifts),
    computed from window sums of ``x`` and ``x²``.

    Examples
    --------
    >>> from attrition import Tables
    >>> sched = pd.DataFrame({"employee_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2024-01-30", "2024-01-31"]),
    ...     "shift_start": ["14:00", "06:00"], "shift_end": ["22:00", "14:00"],
    ...     "scheduled_minutes": [480.0, 480.0], "worked_minutes": [480.0, 0.0],
    ...     "overtime_minutes": [30.0, 0.0], "adherence": [0.9, 0.7],
    ...     "notice_days": [14.0, 1.0]})
    >>> emp = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "hire_date": pd.to_datetime(["2023-01-01"])})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "team_id": ["t"],
    ...     "as_of": pd.to_datetime(["2024-01-31"])})
    >>> out = ScheduleFeatures(windows=(28,)).build(Tables(emp, schedule=sched), fr)
    >>> out[["sched_shifts_28d", "sched_late_changes_28d", "sched_short_rests_28d",
    ...      "sched_missed_share_28d"]].to_dict("records")
    [{'sched_shifts_28d': 2.0, 'sched_late_changes_28d': 1.0, 'sched_short_rests_28d': 1.0, 'sched_missed_share_28d': 0.5}]
    """

    name = "sched"
    table = "schedule"

    def __init__(
        self,
        windows: Sequence[int] = (28, 91, 182),
        *,
        late_notice_days: int = 2,
        night_start: str = "20:00",
        night_end: str = "06:00",
        min_rest_hours: float = 11.0,
        split_gap_minutes: int = 120,
    ) -> None:
        self.windows = windows
        self.late_notice_days = late_notice_days
        self.night_start = night_start
        self.night_end = night_end
        self.min_rest_hours = min_rest_hours
        self.split_gap_minutes = split_gap_minutes

    # ------------------------------------------------------------------ names
    def labels(self) -> dict[str, str]:
        ws, r, b = window_parts(self.windows)
        lab: dict[str, str] = {}
        for w in ws:
            last = f"last {w} days"
            lab[f"sched_shifts_{w}d"] = f"Scheduled shifts, {last}"
            lab[f"sched_night_share_{w}d"] = (
                f"Share of night shifts (start from {self.night_start} or before "
                f"{self.night_end}, or past midnight), {last}"
            )
            lab[f"sched_weekend_share_{w}d"] = f"Share of shifts on Saturday or Sunday, {last}"
            lab[f"sched_split_share_{w}d"] = (
                f"Share of split shifts (unpaid gap of {self.split_gap_minutes} min or more), {last}"
            )
            lab[f"sched_late_changes_{w}d"] = (
                f"Late schedule changes (notice ≤ {self.late_notice_days} days), {last}"
            )
            lab[f"sched_late_share_{w}d"] = (
                f"Share of shifts changed late (notice ≤ {self.late_notice_days} days), {last}"
            )
            lab[f"sched_start_std_{w}d"] = f"Variability of shift start time (std, minutes), {last}"
            lab[f"sched_overtime_mean_{w}d"] = f"Voluntary overtime per shift (minutes), {last}"
            lab[f"sched_overtime_share_{w}d"] = f"Share of shifts with voluntary overtime, {last}"
            lab[f"sched_adherence_mean_{w}d"] = f"Mean schedule adherence on worked shifts, {last}"
            lab[f"sched_missed_share_{w}d"] = f"Share of scheduled shifts missed, {last}"
            lab[f"sched_worked_ratio_{w}d"] = f"Worked / scheduled minutes, {last}"
            lab[f"sched_short_rests_{w}d"] = (
                f"Rests shorter than {self.min_rest_hours:g} h between shifts, {last}"
            )
        if r != b:
            vs = f"last {r} days minus the {b - r} days before"
            lab[f"sched_adherence_change_{r}d"] = f"Change in adherence ({vs})"
            lab[f"sched_overtime_change_{r}d"] = f"Change in overtime per shift, minutes ({vs})"
            lab[f"sched_late_share_change_{r}d"] = (
                f"Change in share of late schedule changes ({vs})"
            )
            lab[f"sched_night_share_change_{r}d"] = f"Change in night-shift share ({vs})"
        return lab

    def peer_features(self) -> list[str]:
        _, r, _ = window_parts(self.windows)
        return [
            f"sched_night_share_{r}d",
            f"sched_late_share_{r}d",
            f"sched_overtime_mean_{r}d",
            f"sched_adherence_mean_{r}d",
            f"sched_missed_share_{r}d",
        ]

    # ------------------------------------------------------------------ build
    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        sched = tables.schedule
        if sched is None or len(frame) == 0 or len(sched) == 0:
            return self.all_missing(frame)
        return self.from_sums(self.window_sums(self._daily_values(sched), frame))

    def from_sums(self, sums: pd.DataFrame) -> pd.DataFrame:
        """The features from the trailing-window sums of :meth:`_daily_values`.

        ``sums`` holds, per snapshot row, ``n_{w}`` and ``sum_{w}_{col}`` for
        every window and value column, and ``cum@0_n`` (schedule rows dated on
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

        def count(col: str, w: int) -> np.ndarray:
            return np.where(covered, s(col, w), np.nan)

        out: dict[str, np.ndarray] = {}
        for w in ws:
            out[f"sched_shifts_{w}d"] = count("n", w)
            out[f"sched_night_share_{w}d"] = safe_ratio(s("night", w), s("timed", w))
            out[f"sched_weekend_share_{w}d"] = safe_ratio(s("weekend", w), s("n", w))
            out[f"sched_split_share_{w}d"] = safe_ratio(s("split", w), s("spanned", w))
            out[f"sched_late_changes_{w}d"] = count("late", w)
            out[f"sched_late_share_{w}d"] = safe_ratio(s("late", w), s("noticed", w))
            n, sx, sx2 = s("started", w), s("x", w), s("x2", w)
            var = safe_ratio(sx2 - safe_ratio(sx * sx, n), n - 1.0)
            var[n < 2] = np.nan
            out[f"sched_start_std_{w}d"] = np.sqrt(np.clip(var, 0.0, None))
            out[f"sched_overtime_mean_{w}d"] = safe_ratio(s("ot", w), s("ot_n", w))
            out[f"sched_overtime_share_{w}d"] = safe_ratio(s("ot_pos", w), s("ot_n", w))
            out[f"sched_adherence_mean_{w}d"] = safe_ratio(s("adh", w), s("adh_n", w))
            out[f"sched_missed_share_{w}d"] = safe_ratio(s("missed", w), s("due", w))
            out[f"sched_worked_ratio_{w}d"] = safe_ratio(s("worked", w), s("scheduled", w))
            out[f"sched_short_rests_{w}d"] = count("short", w)
        if r != b:

            def change(num: str, den: str) -> np.ndarray:
                recent = safe_ratio(s(num, r), s(den, r))
                earlier = safe_ratio(s(num, b) - s(num, r), s(den, b) - s(den, r))
                return recent - earlier

            out[f"sched_adherence_change_{r}d"] = change("adh", "adh_n")
            out[f"sched_overtime_change_{r}d"] = change("ot", "ot_n")
            out[f"sched_late_share_change_{r}d"] = change("late", "noticed")
            out[f"sched_night_share_change_{r}d"] = change("night", "timed")
        return pd.DataFrame(out, columns=names).astype("float64")

    def _daily_values(self, sched: pd.DataFrame) -> pd.DataFrame:
        """One row per schedule row, sorted by (employee, date): keys plus the summable values.

        ``employee_id`` is categorical (integer codes), indicators are
        booleans and whole-number values ``int32`` (summed exactly by
        :func:`~attrition.features._base.trailing_sums`), so the frame takes
        about 50 bytes a row.
        """
        n = len(sched)
        codes, uniques, days, pos = table_codes(sched)
        if pos is not None:
            codes, days = codes[pos], days[pos]

        def arranged(values: np.ndarray) -> np.ndarray:
            return values if pos is None else values[pos]

        def num(col: str) -> np.ndarray:
            if col not in sched.columns:
                return np.full(n, np.nan)
            return arranged(float_values(sched[col]))

        def minutes(col: str) -> np.ndarray:
            return arranged(minutes_of_day(sched[col])) if col in sched else np.full(n, np.nan)

        start = minutes("shift_start")
        end = minutes("shift_end")
        night_start, night_end = self._night_minutes()
        data: dict[str, np.ndarray] = {}

        timed = ~np.isnan(start) & ~np.isnan(end)
        crosses = timed & (end < start)
        data["timed"] = timed
        data["night"] = timed & ((start >= night_start) | (start < night_end) | crosses)
        # Saturday or Sunday: 1970-01-01 (day 0) was a Thursday.
        data["weekend"] = (days + 3) % 7 >= 5
        notice = num("notice_days")
        data["noticed"] = ~np.isnan(notice)
        data["late"] = data["noticed"] & (notice <= self.late_notice_days)
        del notice
        started = ~np.isnan(start)
        x = np.where(started, (start - _START_ORIGIN_MIN) % _MINUTES_PER_DAY, 0.0)
        data["started"] = started
        data["x"] = integral_or_float(x)
        data["x2"] = integral_or_float(x * x)
        del x

        ot = num("overtime_minutes")
        ot_n = ~np.isnan(ot)
        data["ot_n"] = ot_n
        data["ot"] = integral_or_float(np.where(ot_n, ot, 0.0))
        data["ot_pos"] = ot_n & (ot > 0)
        del ot, ot_n
        scheduled = num("scheduled_minutes")
        worked = num("worked_minutes")
        due = (scheduled > 0) & ~np.isnan(worked)
        missed = due & (worked == 0)
        # Adherence of shifts that were worked: a missed shift (adherence 0 by
        # the contract's definition) is already counted by the missed share.
        adh = num("adherence")
        adh_n = ~np.isnan(adh) & ~missed
        data["adh_n"] = adh_n
        data["adh"] = integral_or_float(np.where(adh_n, adh, 0.0))
        del adh, adh_n
        data["due"] = due
        data["missed"] = missed
        both = ~np.isnan(scheduled) & ~np.isnan(worked)
        data["worked"] = integral_or_float(np.where(both, worked, 0.0))
        del worked

        # Short rests: the gap between the scheduled end of the previous shift
        # and the scheduled start of this one, on an absolute minute clock.
        # Rows are sorted by (employee, date), so the previous row is the
        # previous shift; the pair is dated by this (the later) shift.
        short = np.zeros(n, dtype=bool)
        if n > 1:
            day_min = days.astype("float64") * _MINUTES_PER_DAY
            abs_end = day_min[:-1] + end[:-1] + np.where(crosses[:-1], _MINUTES_PER_DAY, 0.0)
            gap = (day_min[1:] + start[1:]) - abs_end
            del day_min, abs_end
            with np.errstate(invalid="ignore"):
                short[1:] = (codes[1:] == codes[:-1]) & (gap < self.min_rest_hours * 60.0)
            del gap
        # A split shift: the contract keeps one row per day, so a day worked in
        # two parts shows as a span from first start to last end much longer
        # than the paid minutes (a usual break is 30-60 minutes).
        span = np.where(crosses, end + _MINUTES_PER_DAY - start, end - start)
        spanned = timed & (scheduled > 0)
        with np.errstate(invalid="ignore"):
            split = spanned & (span - scheduled >= self.split_gap_minutes)
        del span, start, end
        data["scheduled"] = integral_or_float(np.where(both, scheduled, 0.0))
        del scheduled, both
        data["short"] = short
        data["spanned"] = spanned
        data["split"] = split

        names = ["timed", "night", "weekend", "noticed", "late", "started", "x", "x2", "ot_n", "ot",
                 "ot_pos", "adh_n", "adh", "due", "missed", "worked", "scheduled", "short",
                 "spanned", "split"]
        keys = {
            "employee_id": pd.Categorical.from_codes(codes, categories=uniques),
            "date": days.view("datetime64[D]").astype("datetime64[ns]"),
        }
        return pd.DataFrame({**keys, **{k: data.pop(k) for k in names}}, copy=False)

    def _night_minutes(self) -> tuple[float, float]:
        """``night_start`` and ``night_end`` in minutes after midnight (checked)."""
        night_start = _hhmm_to_minutes(pd.Series([self.night_start]))[0]
        night_end = _hhmm_to_minutes(pd.Series([self.night_end]))[0]
        if np.isnan(night_start) or np.isnan(night_end):
            raise ValueError(
                f"night_start and night_end must be HH:MM times, got {self.night_start!r} "
                f"and {self.night_end!r}."
            )
        return night_start, night_end

    # -------------------------------------------------------------- SQL twin
    def sql_values(self, dialect: str | Dialect = "duckdb") -> dict[str, str]:
        """The SQL twin of :meth:`_daily_values`' values: one expression per value, by name.

        Same names, same order, same missing-value rules (a comparison with a
        missing value is false, as in numpy), as ``DOUBLE``. The expressions
        read the columns of the rows :meth:`sql_daily_values` prepares:
        ``date``, ``st``/``en`` (start and end, minutes after midnight),
        ``sched``, ``worked``, ``ot``, ``adh``, ``notice`` and the previous
        shift of the employee (``prev_date``, ``prev_en``, ``prev_crosses``).
        """
        d = sql_dialect(dialect)
        night_start, night_end = self._night_minutes()
        day = _MINUTES_PER_DAY
        timed = sql_flag("st IS NOT NULL AND en IS NOT NULL")
        crosses = sql_flag(f"{timed} AND en < st")
        due = sql_flag("sched > 0 AND worked IS NOT NULL")
        missed = sql_flag(f"{due} AND worked = 0")
        spanned = sql_flag(f"{timed} AND sched > 0")
        span = f"(CASE WHEN {crosses} THEN en + {day} - st ELSE en - st END)"
        # numpy's % is a floored modulo; SQL's is truncated, hence the double mod.
        x = f"(((st - {_START_ORIGIN_MIN}) % {day} + {day}) % {day})"
        # The previous shift of the same employee (rows are one per employee-day):
        # its scheduled end on an absolute clock, against this shift's start.
        gap = (f"({d.days_between('prev_date', 'date')} * {day} + st "
               f"- (prev_en + CASE WHEN prev_crosses THEN {day} ELSE 0 END))")
        return {
            "timed": sql_one_if(timed),
            "night": sql_one_if(f"{timed} AND (st >= {sql_float(night_start)} "
                                f"OR st < {sql_float(night_end)} OR {crosses})"),
            "weekend": sql_one_if(d.weekend("date")),
            "noticed": sql_one_if("notice IS NOT NULL"),
            "late": sql_one_if(sql_flag(f"notice <= {sql_float(self.late_notice_days)}")),
            "started": sql_one_if("st IS NOT NULL"),
            "x": sql_value_if("st IS NOT NULL", x),
            "x2": sql_value_if("st IS NOT NULL", f"{x} * {x}"),
            "ot_n": sql_one_if("ot IS NOT NULL"),
            "ot": sql_value_if("ot IS NOT NULL", "ot"),
            "ot_pos": sql_one_if(sql_flag("ot > 0")),
            "adh_n": sql_one_if(f"adh IS NOT NULL AND NOT {missed}"),
            "adh": sql_value_if(f"adh IS NOT NULL AND NOT {missed}", "adh"),
            "due": sql_one_if(due),
            "missed": sql_one_if(missed),
            "worked": sql_value_if("sched IS NOT NULL AND worked IS NOT NULL", "worked"),
            "scheduled": sql_value_if("sched IS NOT NULL AND worked IS NOT NULL", "sched"),
            "short": sql_one_if(sql_flag(f"{gap} < {sql_float(self.min_rest_hours * 60.0)}")),
            "spanned": sql_one_if(spanned),
            "split": sql_one_if(sql_flag(f"{spanned} AND {span} - sched >= "
                                         f"{sql_float(self.split_gap_minutes)}")),
        }

    def sql_daily_values(
        self, dialect: str | Dialect = "duckdb", *, source: str, columns: Iterable[str] | None = None
    ) -> str:
        """The SQL twin of :meth:`_daily_values`: a query of the schedule table ``source``.

        One row per schedule row: ``employee_id`` (text), ``date`` (``DATE``)
        and the values of :meth:`sql_values`. ``columns`` lists the columns
        ``source`` has (``None``: all of the contract's); a missing optional
        column reads as NULL, as a missing column does in :meth:`_daily_values`.
        Text in a numeric column and malformed times read as NULL too
        (``TRY_CAST``), where the pandas side reads them as ``NaN``.

        Examples
        --------
        >>> sql = ScheduleFeatures().sql_daily_values("spark", source="wfm.schedule")
        >>> "LAG(" in sql and "weekday(" in sql and "FROM wfm.schedule" in sql
        True
        """
        d = sql_dialect(dialect)
        c = sql_columns(("employee_id", "date", *_SQL_TIMES, *_SQL_NUMBERS), columns, d,
                        text=_SQL_TIMES)
        crosses = sql_flag(f"{sql_flag('st IS NOT NULL AND en IS NOT NULL')} AND en < st")
        select = sql_select(self.sql_values(d))
        return f"""WITH s0 AS (
  SELECT CAST({c['employee_id']} AS STRING) AS employee_id,
    CAST({c['date']} AS DATE) AS date,
    {sql_minutes_of_day(c['shift_start'])} AS st,
    {sql_minutes_of_day(c['shift_end'])} AS en,
    TRY_CAST({c['scheduled_minutes']} AS DOUBLE) AS sched,
    TRY_CAST({c['worked_minutes']} AS DOUBLE) AS worked,
    TRY_CAST({c['overtime_minutes']} AS DOUBLE) AS ot,
    TRY_CAST({c['adherence']} AS DOUBLE) AS adh,
    TRY_CAST({c['notice_days']} AS DOUBLE) AS notice
  FROM {source}
), s1 AS (
  SELECT *,
    LAG(date) OVER (PARTITION BY employee_id ORDER BY date) AS prev_date,
    LAG(en) OVER (PARTITION BY employee_id ORDER BY date) AS prev_en,
    LAG({crosses}) OVER (PARTITION BY employee_id ORDER BY date) AS prev_crosses
  FROM s0
)
SELECT employee_id, date,
    {select}
FROM s1"""
