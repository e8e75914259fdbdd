"""Snapshots from data that stays in a SQL engine: DuckDB locally, Spark SQL remotely.

The daily tables (``schedule``, ``workload``) are the large ones: one row per
employee per day. Their features are ratios and changes of *trailing-window
sums* (:func:`attrition.features._base.trailing_sums`). This module writes
those sums as one portable SQL query and lets an engine run it, so the daily
rows never leave the engine:

1. the row-wise values of :meth:`ScheduleFeatures._daily_values` and
   :meth:`WorkloadFeatures._daily_values` as SQL expressions (``CASE WHEN``
   indicators with numpy's ``NaN`` rules: a comparison with a missing value
   is false; the previous shift through ``LAG`` for short rests);
2. a range join of the snapshot keys ``(employee_id, as_of)`` with those rows
   on ``as_of - longest window < date <= as_of`` and one conditional sum per
   window — only rows dated on or before ``as_of`` can contribute;
3. the per-``(employee, as_of)`` sums (a few dozen numbers per employee-month)
   come back to Python, where the builders' :meth:`from_sums` turns them into
   the very same features, and :func:`attrition.build_snapshots` adds the small
   tables' features (tenure, team, absences, surveys), masks windows that reach
   before a table's first day, compares with team medians and labels.

The result is the frame :func:`attrition.build_snapshots` returns (same
columns, order and dtypes), up to floating-point summation order.

Two entry points: :func:`build_snapshots_duckdb` here (pandas frames, or a
folder whose daily tables are Parquet/CSV files that DuckDB reads without
loading them into pandas) and :func:`attrition.spark.build_snapshots_spark`
(Spark DataFrames or tables). :func:`snapshot_sums_sql` shows the SQL.

What the engine checks
    Required columns, missing or unreadable employee ids and dates, duplicate
    ``(employee_id, date)`` keys, text in numeric columns, ids unknown to the
    HR master, and — with an explicit ``export_date`` — worked rows dated after
    it. Each problem is reported as a :class:`~attrition.exceptions.SchemaError`
    naming the table, the column, the row count and up to five example rows.
    Value ranges (e.g. ``adherence`` within 0–1) are checked by
    :func:`attrition.load_tables` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attrition.data._drift import table_schema
from attrition.data._loading import (
    Problem,
    _error,
    _find_files,
    _parse_export_date,
    _read_file,
    _Refused,
    _run,
)
from attrition.data._schemas import SCHEMAS
from attrition.data._tables import TABLE_NAMES, Tables
from attrition.features import FeatureBuilder, default_builders
from attrition.features._base import snapshot_keys, window_parts
from attrition.features.schedule import (
    _MINUTES_PER_DAY,
    _START_ORIGIN_MIN,
    ScheduleFeatures,
    _hhmm_to_minutes,
)
from attrition.features.workload import WorkloadFeatures
from attrition.snapshots._spec import build_snapshots

__all__ = [
    "build_snapshots_duckdb",
    "snapshot_sums_sql",
    "values_sql",
    "DIALECTS",
]

log = logging.getLogger(__name__)

#: Columns whose values the SQL reads as numbers (``TRY_CAST(... AS DOUBLE)``).
_NUMERIC = {
    "schedule": ("scheduled_minutes", "worked_minutes", "overtime_minutes", "adherence", "notice_days"),
    "workload": ("contacts_handled", "handle_seconds", "after_contact_seconds", "occupancy",
                 "escalations", "csat", "qa_score"),
}
#: Columns read as ``HH:MM`` text.
_TIMES = {"schedule": ("shift_start", "shift_end"), "workload": ()}
#: View names the engines give the daily tables and the snapshot keys.
VIEWS = {"schedule": "attrition_schedule", "workload": "attrition_workload", "keys": "attrition_keys"}


@dataclass(frozen=True)
class Dialect:
    """The few SQL spellings that differ between engines."""

    name: str
    #: Whole days from date ``a`` to date ``b`` (``b - a``).
    days_between: Callable[[str, str], str]
    #: Saturday or Sunday.
    weekend: Callable[[str], str]
    #: Quote an identifier.
    quote: Callable[[str], str]
    #: Whether text matches a regular expression (given as an escaped SQL string body).
    matches: Callable[[str, str], str]


#: Supported dialects. Everything else the SQL uses (``TRY_CAST``, ``instr``,
#: ``substr``, ``LAG``, ``CASE``, ``%`` on doubles, ``CAST(... AS STRING/DATE)``)
#: is spelled the same in DuckDB and Spark SQL.
DIALECTS: dict[str, Dialect] = {
    # DuckDB: date_diff(part, start, end); isodow is Monday=1 ... Sunday=7.
    "duckdb": Dialect("duckdb", lambda a, b: f"date_diff('day', {a}, {b})",
                      lambda d: f"isodow({d}) >= 6", lambda c: f'"{c}"',
                      lambda x, p: f"regexp_full_match({x}, '{p}')"),
    # Spark: datediff(end, start); weekday is Monday=0 ... Sunday=6
    # (dayofweek would be Sunday=1 ... Saturday=7).
    "spark": Dialect("spark", lambda a, b: f"datediff({b}, {a})",
                     lambda d: f"weekday({d}) >= 5", lambda c: f"`{c}`",
                     lambda x, p: f"({x} RLIKE '{p}')"),
}


def _dialect(dialect: str | Dialect) -> Dialect:
    if isinstance(dialect, Dialect):
        return dialect
    if dialect not in DIALECTS:
        raise ValueError(f"Unknown SQL dialect {dialect!r}; choose one of {sorted(DIALECTS)}.")
    return DIALECTS[dialect]


def _lit(value: float) -> str:
    """A float literal that both engines read as DOUBLE (not DECIMAL)."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def _flag(cond: str) -> str:
    """A boolean where a comparison with a missing value is false, as in numpy."""
    return f"COALESCE(({cond}), FALSE)"


def _one_if(cond: str) -> str:
    return f"CAST(CASE WHEN {cond} THEN 1 ELSE 0 END AS DOUBLE)"


def _value_if(cond: str, value: str) -> str:
    return f"CAST(CASE WHEN {cond} THEN {value} ELSE 0 END AS DOUBLE)"


def _hhmm_sql(column: str) -> str:
    """Minutes after midnight of ``HH:MM`` text; NULL when missing or not a time.

    Splits at the first colon and reads both parts as numbers, like
    :func:`attrition.features.schedule._hhmm_to_minutes`.
    """
    text = f"CAST({column} AS STRING)"
    colon = f"instr({text}, ':')"
    return (f"(CASE WHEN {colon} > 0 THEN "
            f"TRY_CAST(substr({text}, 1, {colon} - 1) AS DOUBLE) * 60 "
            f"+ TRY_CAST(substr({text}, {colon} + 1) AS DOUBLE) END)")


def _source_columns(table: str, present: Iterable[str] | None, d: Dialect) -> dict[str, str]:
    """SQL expression of every contract column; a missing optional column is NULL."""
    present = None if present is None else set(present)
    cols: dict[str, str] = {}
    for col in ("employee_id", "date", *_TIMES[table], *_NUMERIC[table]):
        if present is not None and col not in present:
            cols[col] = "CAST(NULL AS STRING)" if col in _TIMES[table] else "CAST(NULL AS DOUBLE)"
        else:
            cols[col] = d.quote(col)
    return cols


def values_sql(
    builder: ScheduleFeatures | WorkloadFeatures,
    dialect: str | Dialect = "duckdb",
    *,
    source: str | None = None,
    schedule: str | None = None,
    columns: Iterable[str] | None = None,
    schedule_columns: Iterable[str] | None = None,
) -> str:
    """SQL giving one row per daily row: ``employee_id``, ``date`` and the summable values.

    The values are those of the builder's ``_daily_values`` (same names, same
    missing-value rules), as ``DOUBLE``.

    Parameters
    ----------
    builder : ScheduleFeatures or WorkloadFeatures
        Its parameters (night hours, notice, rest, split gap, occupancy
        threshold) are written into the SQL.
    dialect : {"duckdb", "spark"}
    source : str, optional
        The table or view with the builder's rows; default ``attrition_schedule``
        or ``attrition_workload``.
    schedule : str, optional
        For the workload: the schedule table whose ``worked_minutes`` give
        contacts per worked hour (``None``: no schedule, those values are 0).
    columns, schedule_columns : iterable of str, optional
        The columns the tables have; missing optional columns read as NULL.

    Examples
    --------
    >>> sql = values_sql(ScheduleFeatures(), "spark")
    >>> "LAG(" in sql and "weekday(" in sql
    True
    """
    d = _dialect(dialect)
    if isinstance(builder, ScheduleFeatures):
        return _schedule_values_sql(builder, d, source or VIEWS["schedule"], columns)
    if isinstance(builder, WorkloadFeatures):
        return _workload_values_sql(builder, d, source or VIEWS["workload"], schedule, columns,
                                    schedule_columns)
    raise TypeError(f"values_sql takes a ScheduleFeatures or WorkloadFeatures, got {builder!r}.")


def _schedule_values(b: ScheduleFeatures, d: Dialect) -> dict[str, str]:
    """SQL expression of every value of ``ScheduleFeatures._daily_values``, by name."""
    night_start = _hhmm_to_minutes(pd.Series([b.night_start]))[0]
    night_end = _hhmm_to_minutes(pd.Series([b.night_end]))[0]
    if np.isnan(night_start) or np.isnan(night_end):
        raise ValueError(f"night_start and night_end must be HH:MM times, got {b.night_start!r} "
                         f"and {b.night_end!r}.")
    day = _MINUTES_PER_DAY
    timed = _flag("st IS NOT NULL AND en IS NOT NULL")
    crosses = _flag(f"{timed} AND en < st")
    due = _flag("sched > 0 AND worked IS NOT NULL")
    missed = _flag(f"{due} AND worked = 0")
    spanned = _flag(f"{timed} AND sched > 0")
    span = f"(CASE WHEN {crosses} THEN en + {day} - st ELSE en - st END)"
    # The previous shift of the same employee (rows are one per employee-day):
    # its scheduled end on an absolute clock, against this shift's start.
    gap = (f"({d.days_between('prev_date', 'date')} * {day} + st "
           f"- (prev_en + CASE WHEN prev_crosses THEN {day} ELSE 0 END))")
    values = {
        "timed": _one_if(timed),
        "night": _one_if(f"{timed} AND (st >= {_lit(night_start)} OR st < {_lit(night_end)} "
                         f"OR {crosses})"),
        "weekend": _one_if(d.weekend("date")),
        "noticed": _one_if("notice IS NOT NULL"),
        "late": _one_if(_flag(f"notice <= {_lit(b.late_notice_days)}")),
        "started": _one_if("st IS NOT NULL"),
        # numpy's % is a floored modulo; SQL's is truncated, hence the double mod.
        "x": _value_if("st IS NOT NULL",
                       f"((st - {_START_ORIGIN_MIN}) % {day} + {day}) % {day}"),
        "x2": _value_if("st IS NOT NULL",
                        f"(((st - {_START_ORIGIN_MIN}) % {day} + {day}) % {day}) "
                        f"* (((st - {_START_ORIGIN_MIN}) % {day} + {day}) % {day})"),
        "ot_n": _one_if("ot IS NOT NULL"),
        "ot": _value_if("ot IS NOT NULL", "ot"),
        "ot_pos": _one_if(_flag("ot > 0")),
        "adh_n": _one_if(f"adh IS NOT NULL AND NOT {missed}"),
        "adh": _value_if(f"adh IS NOT NULL AND NOT {missed}", "adh"),
        "due": _one_if(due),
        "missed": _one_if(missed),
        "worked": _value_if("sched IS NOT NULL AND worked IS NOT NULL", "worked"),
        "scheduled": _value_if("sched IS NOT NULL AND worked IS NOT NULL", "sched"),
        "short": _one_if(_flag(f"{gap} < {_lit(b.min_rest_hours * 60.0)}")),
        "spanned": _one_if(spanned),
        "split": _one_if(_flag(f"{spanned} AND {span} - sched >= {_lit(b.split_gap_minutes)}")),
    }
    return values


def _schedule_values_sql(b: ScheduleFeatures, d: Dialect, source: str, present) -> str:
    c = _source_columns("schedule", present, d)
    crosses = _flag(f"{_flag('st IS NOT NULL AND en IS NOT NULL')} AND en < st")
    values = _schedule_values(b, d)
    select = ",\n    ".join(f"{expr} AS {name}" for name, expr in values.items())
    return f"""WITH s0 AS (
  SELECT CAST({c['employee_id']} AS STRING) AS employee_id,
    CAST({c['date']} AS DATE) AS date,
    {_hhmm_sql(c['shift_start'])} AS st,
    {_hhmm_sql(c['shift_end'])} AS en,
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


def _workload_values_sql(b: WorkloadFeatures, d: Dialect, source: str, schedule: str | None,
                         present, schedule_present) -> str:
    c = _source_columns("workload", present, d)
    has_worked = schedule is not None and (schedule_present is None
                                           or "worked_minutes" in set(schedule_present))
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
    values = _workload_values(b)
    select = ",\n    ".join(f"{expr} AS {name}" for name, expr in values.items())
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


def _workload_values(b: WorkloadFeatures) -> dict[str, str]:
    """SQL expression of every value of ``WorkloadFeatures._daily_values``, by name."""
    aht = "handle IS NOT NULL AND contacts IS NOT NULL"
    cph = _flag("contacts IS NOT NULL AND worked IS NOT NULL AND worked > 0")
    acs = "after_s IS NOT NULL AND handle IS NOT NULL"
    esc_ok = "esc IS NOT NULL AND contacts IS NOT NULL"
    values = {
        "occ_n": _one_if("occ IS NOT NULL"),
        "occ": _value_if("occ IS NOT NULL", "occ"),
        "occ_high": _one_if(_flag(f"occ > {_lit(b.high_occupancy)}")),
        "aht_h": _value_if(aht, "handle"),
        "aht_c": _value_if(aht, "contacts"),
        "cpd_c": _value_if("contacts IS NOT NULL", "contacts"),
        "cpd_n": _one_if("contacts IS NOT NULL"),
        "cph_c": _value_if(cph, "contacts"),
        "cph_h": _value_if(cph, "worked / CAST(60 AS DOUBLE)"),
        "acs_a": _value_if(acs, "after_s"),
        "acs_h": _value_if(acs, "handle"),
        "csat_n": _one_if("csat IS NOT NULL"),
        "csat": _value_if("csat IS NOT NULL", "csat"),
        "qa_n": _one_if("qa IS NOT NULL"),
        "qa": _value_if("qa IS NOT NULL", "qa"),
        "esc_e": _value_if(esc_ok, "esc"),
        "esc_c": _value_if(esc_ok, "contacts"),
    }
    return values


def _value_names(builder: ScheduleFeatures | WorkloadFeatures) -> list[str]:
    if isinstance(builder, ScheduleFeatures):
        return list(_schedule_values(builder, DIALECTS["duckdb"]))
    return list(_workload_values(builder))


def snapshot_sums_sql(
    builder: ScheduleFeatures | WorkloadFeatures,
    dialect: str | Dialect = "duckdb",
    *,
    keys: str | None = None,
    **sources: Any,
) -> str:
    """SQL of the trailing-window sums of one builder, per snapshot key.

    ``keys`` is a table with ``rid`` (an integer row id), ``employee_id``,
    ``as_of`` and ``from_{w}`` (``as_of - w`` days) for every window, dates as
    ``DATE`` or ISO text. The query returns ``rid``, ``n_{w}`` and
    ``sum_{w}_{col}`` for every window and value of :func:`values_sql`, only
    for keys with at least one row in the longest window (the others are all
    zero), and ``first_date`` of the employee's rows (whether the employee is
    covered by the table at ``as_of``).

    Rows join on ``employee_id`` and ``from_{longest} < date <= as_of``, so no
    row dated after ``as_of`` can reach a sum.

    Examples
    --------
    >>> sql = snapshot_sums_sql(WorkloadFeatures(windows=(28, 91)), "duckdb")
    >>> "AS n_28" in sql and "AS sum_91_occ" in sql
    True
    """
    d = _dialect(dialect)
    ws, _, longest = window_parts(builder.windows)
    keys = keys or VIEWS["keys"]
    names = _value_names(builder)
    parts = []
    for w in ws:
        inside = f"v.date > CAST(k.from_{w} AS DATE)"
        parts.append(f"CAST(SUM(CASE WHEN {inside} THEN 1 ELSE 0 END) AS DOUBLE) AS n_{w}")
        parts.extend(f"CAST(SUM(CASE WHEN {inside} THEN v.{n} ELSE 0 END) AS DOUBLE) AS sum_{w}_{n}"
                     for n in names)
    sums = ",\n  ".join(parts)
    return f"""WITH v AS (
{values_sql(builder, d, **sources)}
), k AS (
  SELECT rid, CAST(employee_id AS STRING) AS employee_id, CAST(as_of AS DATE) AS as_of,
    {", ".join(f"CAST(from_{w} AS DATE) AS from_{w}" for w in ws)}
  FROM {keys}
), f AS (
  SELECT employee_id, MIN(date) AS first_date FROM v GROUP BY employee_id
), s AS (
  SELECT k.rid,
  {sums}
  FROM k JOIN v
    ON v.employee_id = k.employee_id AND v.date <= k.as_of AND v.date > k.from_{longest}
  GROUP BY k.rid
)
SELECT k.rid, f.first_date, {", ".join(["s." + p.rsplit(" AS ", 1)[1] for p in parts])}
FROM k LEFT JOIN f ON f.employee_id = k.employee_id LEFT JOIN s ON s.rid = k.rid"""


# ------------------------------------------------------------------ engines
class Engine:
    """What the snapshot code needs from an SQL engine (DuckDB or Spark).

    Subclasses register tables as views, run a query into pandas and list a
    view's columns.
    """

    dialect: str = "duckdb"

    def register(self, name: str, source: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def query(self, sql: str) -> pd.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError

    def columns(self, name: str) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self, source: Any, table: str) -> str:
        """How to name ``source`` in messages."""
        if isinstance(source, (str, Path)):
            return str(source)
        return f"<{table} table>"


def _import_duckdb():
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The DuckDB engine needs the duckdb package: pip install 'attrition[warehouse]' "
            "(or pip install duckdb)."
        ) from None
    return duckdb


class DuckDBEngine(Engine):
    """DuckDB: pandas frames, or Parquet/CSV files read where they lie.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection, optional
        Default: a new in-memory database.
    """

    dialect = "duckdb"

    def __init__(self, connection: Any = None) -> None:
        self.connection = connection

    def _con(self):
        if self.connection is None:
            self.connection = _import_duckdb().connect()
        return self.connection

    def register(self, name: str, source: Any) -> None:
        con = self._con()
        if isinstance(source, pd.DataFrame):
            con.register(name, source)
            return
        path = Path(source)
        text = str(path).replace("'", "''")
        if path.suffix.lower() == ".parquet":
            reader = f"read_parquet('{text}')"
        elif path.suffix.lower() == ".csv":
            # all text, as the pandas loader reads CSV: the SQL casts what it needs
            reader = f"read_csv('{text}', all_varchar = true, header = true)"
        else:
            raise ValueError(f"DuckDB reads .parquet or .csv files, got {path}.")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {reader}")

    def query(self, sql: str) -> pd.DataFrame:
        return self._con().execute(sql).df()

    def columns(self, name: str) -> list[str]:
        return [c[0] for c in self._con().execute(f"SELECT * FROM {name} LIMIT 0").description]


# --------------------------------------------------------------- validation
def _problem(source: str, table: str, column: str, check: str, n_rows: int, examples, fix: str):

    return Problem(source, column, check, int(n_rows), examples, fix, table)


def _value_checks(table: str, cols: list[str], d: Dialect) -> dict[str, tuple[str, str, str, str]]:
    """The schema's value checks of a daily table (HH:MM times, ranges, whole numbers) as SQL.

    The same rules :func:`attrition.load_tables` applies through
    :data:`attrition.schemas.SCHEMAS`, so bad values are refused in the
    engine rather than summed. Each entry: condition of a bad row, column,
    the rule in words, how to fix it.
    """
    q = d.quote
    out: dict[str, tuple[str, str, str, str]] = {}
    for col, spec in SCHEMAS[table].columns.items():
        if col not in cols:
            continue
        num = f"TRY_CAST({q(col)} AS DOUBLE)"
        for check in spec.checks:
            stats = check.statistics or {}
            if check.name == "str_matches":
                pattern = stats["pattern"].replace("'", "''")
                bad = f"{q(col)} IS NOT NULL AND NOT {d.matches(f'CAST({q(col)} AS STRING)', pattern)}"
                out[f"time_{col}"] = (bad, col, "must be a time HH:MM (00:00 to 23:59)",
                                      "Write times as HH:MM on a 24-hour clock, e.g. 07:30 or 22:00.")
            elif check.name == "greater_than_or_equal_to":
                low = float(stats["min_value"])
                out[f"ge_{col}"] = (f"{num} < {_lit(low)}", col, f"must satisfy {col} >= {low:g}",
                                    f"Correct the values so that {col} >= {low:g}.")
            elif check.name == "in_range":
                low, high = float(stats["min_value"]), float(stats["max_value"])
                hint = " (divide percentages by 100)" if high == 1 else ""
                out[f"range_{col}"] = (f"({num} < {_lit(low)} OR {num} > {_lit(high)})", col,
                                       f"must satisfy {low:g} <= {col} <= {high:g}",
                                       f"Correct the values so that {low:g} <= {col} <= {high:g}{hint}.")
            elif check.name == "whole_number":
                out[f"whole_{col}"] = (f"{num} <> FLOOR({num})", col, "must be a whole number",
                                       stats.get("fix", "Write a whole number without decimals."))
    return out


def _check_daily(engine: Engine, table: str, view: str, source: str, cols: list[str],
                 export_date: pd.Timestamp | None, employees: pd.DataFrame) -> dict:
    """Check a daily table in the engine; return its date extent.

    Raises a SchemaError listing every problem found.
    """

    d = _dialect(engine.dialect)
    q = d.quote
    schema = SCHEMAS[table]
    missing = [c for c, col in schema.columns.items() if col.required and c not in cols]
    if missing:
        raise _error([_problem(
            source, table, ", ".join(missing),
            f"the required column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"{'are' if len(missing) > 1 else 'is'} missing (the table has: {', '.join(cols)})",
            0, None,
            f"Add the column, or select/rename your columns to the data contract's names in a "
            f"view (e.g. SELECT wfm_date AS date, ...) and pass that view as the {table} table.")])
    date = f"TRY_CAST({q('date')} AS DATE)"
    checks: dict[str, tuple[str, str, str, str]] = {
        "bad_id": (f"{q('employee_id')} IS NULL", "employee_id", "must not be empty",
                   "Fill in the employee_id of every row, or drop the rows that have none."),
        "bad_date": (f"{date} IS NULL", "date", "must be a date (YYYY-MM-DD), not empty",
                     "Store the dates as DATE or ISO text YYYY-MM-DD; drop rows without a date."),
    }
    for col in _NUMERIC[table]:
        if col in cols:
            checks[f"text_{col}"] = (
                f"{q(col)} IS NOT NULL AND TRY_CAST({q(col)} AS DOUBLE) IS NULL", col,
                "must be a number", f"Store {col} as a number (empty when unknown).")
    checks.update(_value_checks(table, cols, d))
    if export_date is not None:
        day = export_date.strftime("%Y-%m-%d")
        cond = f"{date} > CAST('{day}' AS DATE)"
        what = "worked days"
        if table == "schedule":
            cond += f" AND TRY_CAST({q('worked_minutes')} AS DOUBLE) > 0"
            what = "worked shifts"
        checks["late"] = (
            cond, "date", f"{what} cannot be dated after the export date {day}",
            f"Check the export date: it must be the day the data were taken, on or after their "
            f"newest {what.split()[-1]}; or remove the rows that were dated in the future by "
            "mistake.")
    worked = (f"MAX(CASE WHEN TRY_CAST({q('worked_minutes')} AS DOUBLE) > 0 THEN {date} END)"
              if table == "schedule" else f"MAX({date})")
    counts = ",\n  ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {key}"
                          for key, (cond, *_rest) in checks.items())
    stats = engine.query(
        f"SELECT COUNT(*) AS n_rows, MIN({date}) AS first_date, {worked} AS last_date,\n  {counts}\n"
        f"FROM {view}"
    ).iloc[0]
    problems = []
    shown = ", ".join(q(c) for c in ("employee_id", "date") if c in cols)
    for key, (cond, column, check, fix) in checks.items():
        n = 0 if pd.isna(stats[key]) else int(stats[key])
        if n:
            extra = f", {q(column)}" if column not in ("employee_id", "date") else ""
            examples = engine.query(f"SELECT {shown}{extra} FROM {view} WHERE {cond} LIMIT 5")
            problems.append(_problem(source, table, column, check, n, examples, fix))
    dup = engine.query(
        f"SELECT CAST({q('employee_id')} AS STRING) AS employee_id, {date} AS date, COUNT(*) AS n "
        f"FROM {view} GROUP BY CAST({q('employee_id')} AS STRING), {date} HAVING COUNT(*) > 1"
    )
    if len(dup):
        problems.append(_problem(
            source, table, "employee_id, date", "each (employee_id, date) must appear once",
            int(dup["n"].sum()), dup.head(5),
            "Keep one row per employee and day (sum or merge the duplicates in the export)."))
    known = pd.DataFrame({"employee_id": employees["employee_id"].astype("str").unique()})
    engine.register("attrition_known_ids", known)
    unknown = engine.query(
        f"SELECT CAST(t.{q('employee_id')} AS STRING) AS employee_id, COUNT(*) AS n FROM {view} t "
        f"LEFT JOIN attrition_known_ids e ON CAST(t.{q('employee_id')} AS STRING) = e.employee_id "
        f"WHERE e.employee_id IS NULL AND t.{q('employee_id')} IS NOT NULL "
        f"GROUP BY CAST(t.{q('employee_id')} AS STRING)"
    )
    if len(unknown):
        some = ", ".join(repr(v) for v in unknown["employee_id"].head(5))
        problems.append(_problem(
            source, table, "employee_id",
            f"must be an employee_id of the employees table, but {len(unknown)} id"
            f"{'s are' if len(unknown) != 1 else ' is'} not there ({some}"
            f"{', ...' if len(unknown) > 5 else ''})",
            int(unknown["n"].sum()), unknown.head(5),
            "Export the HR master with everyone who was ever employed in the period, and use "
            "the same ids in every table."))
    if problems:
        raise _error(problems)
    return {"n_rows": int(stats["n_rows"]), "first": stats["first_date"], "last": stats["last_date"]}


def _stub(extent: dict, table: str) -> pd.DataFrame:
    """A two-row stand-in for a table kept in the engine: its first and newest dates.

    :func:`attrition.build_snapshots` reads a daily table only for its first
    date (windows reaching before it are unknown), the newest worked date
    (the inferred export date) and — in ``default_as_of_dates`` — its first
    date again; the builders themselves are replaced by engine ones.
    """
    dates = [pd.Timestamp(x) for x in (extent["first"], extent["last"])
             if extent["n_rows"] and x is not None and not pd.isna(x)]
    frame = pd.DataFrame({"employee_id": pd.Series(["<engine>"] * len(dates), dtype=object),
                          "date": pd.to_datetime(pd.Series(dates, dtype="datetime64[ns]"))})
    if table == "schedule":
        frame["worked_minutes"] = [0.0, 1.0][: len(dates)] if len(dates) == 2 else [0.0] * len(dates)
    return frame


# ----------------------------------------------------------------- builders
class _EngineFeatures(FeatureBuilder):
    """A schedule or workload builder whose sums come from an SQL engine."""

    def __init__(self, builder: ScheduleFeatures | WorkloadFeatures, sums: Callable) -> None:
        self.builder = builder
        self.sums = sums
        self.windows = builder.windows
        self.name = builder.name
        self.table = builder.table

    def available(self, tables: Tables) -> bool:
        return getattr(tables, self.table) is not None

    def labels(self) -> dict[str, str]:
        return self.builder.labels()

    def peer_features(self) -> list[str]:
        return self.builder.peer_features()

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) == 0 or len(getattr(tables, self.table)) == 0:
            return self.builder.all_missing(frame)
        return self.builder.from_sums(self.sums(self.builder, frame))

    def __repr__(self) -> str:
        return f"{self.builder!r} (sums in SQL)"


def _keys_frame(frame: pd.DataFrame, windows: Sequence[int]) -> pd.DataFrame:
    keys = snapshot_keys(frame)
    out = pd.DataFrame({"rid": np.arange(len(keys), dtype="int64"),
                        "employee_id": keys["employee_id"].astype(object),
                        "as_of": keys["as_of"].dt.strftime("%Y-%m-%d").astype(object)})
    for w in windows:
        out[f"from_{w}"] = (keys["as_of"] - pd.Timedelta(days=int(w))).dt.strftime("%Y-%m-%d").astype(object)
    return out


def _sums_from_engine(engine: Engine, cols: Mapping[str, list[str]]) -> Callable:
    """A function ``(builder, frame) -> sums`` in :func:`trailing_sums`' layout."""

    def sums(builder, frame: pd.DataFrame) -> pd.DataFrame:
        ws, _, _ = window_parts(builder.windows)
        engine.register(VIEWS["keys"], _keys_frame(frame, ws))
        if isinstance(builder, ScheduleFeatures):
            sources = {"columns": cols["schedule"]}
        else:
            sources = {"columns": cols["workload"]}
            if "schedule" in cols:
                sources.update(schedule=VIEWS["schedule"], schedule_columns=cols["schedule"])
        sql = snapshot_sums_sql(builder, engine.dialect, **sources)
        got = engine.query(sql)
        got = got.sort_values("rid").set_index("rid").reindex(np.arange(len(frame)))
        first = pd.to_datetime(got.pop("first_date")).astype("datetime64[ns]").to_numpy()
        as_of = snapshot_keys(frame)["as_of"].to_numpy()
        out = got.astype("float64").fillna(0.0).reset_index(drop=True)
        out["cum@0_n"] = (~pd.isna(first) & (first <= as_of)).astype("float64")
        return out

    return sums


def build_with_engine(
    engine: Engine,
    small: Tables,
    daily: Mapping[str, Any],
    as_of=None,
    horizon_days: int = 90,
    *,
    windows: Sequence[int] = (28, 91, 182),
    builders: Sequence[FeatureBuilder] | None = None,
    labels: bool = True,
    survey_privacy: str = "team",
    min_group_size: int = 5,
) -> pd.DataFrame:
    """:func:`attrition.build_snapshots` with the daily tables' sums computed by ``engine``.

    ``small`` holds the validated small tables (employees and, when present,
    absences and surveys; its ``export_date`` is used when set); ``daily``
    maps ``schedule``/``workload`` to whatever ``engine.register`` accepts.
    """

    unknown = set(daily) - {"schedule", "workload"}
    if unknown:
        raise ValueError(f"Only schedule and workload stay in the engine, got {sorted(unknown)}.")
    explicit = None if small.export_date is None else pd.Timestamp(small.export_date).normalize()
    cols: dict[str, list[str]] = {}
    stubs: dict[str, pd.DataFrame] = {}
    for table, source in daily.items():
        if source is None:
            continue
        view = VIEWS[table]
        engine.register(view, source)
        cols[table] = engine.columns(view)
        name = small.sources.get(table) or engine.describe(source, table)
        extent = _check_daily(engine, table, view, name, cols[table], explicit, small.employees)
        stubs[table] = _stub(extent, table)
    names = {t: small.sources.get(t) or engine.describe(daily[t], t) for t in stubs}
    stand_in = small.copy(**stubs, sources={**small.sources, **names})
    if builders is None:
        builders = default_builders(windows, survey_privacy=survey_privacy,
                                    min_group_size=min_group_size)
    sums = _sums_from_engine(engine, cols)
    swapped = [_EngineFeatures(b, sums) if isinstance(b, (ScheduleFeatures, WorkloadFeatures)) else b
               for b in builders]
    out = build_snapshots(stand_in, as_of, horizon_days, windows=windows, builders=swapped,
                          labels=labels, survey_privacy=survey_privacy, min_group_size=min_group_size)
    # The tables the snapshots came from: the engine's daily tables as they are, not the stand-ins.
    schema = {**table_schema(small), **{t: [str(c) for c in cols[t]] for t in stubs}}
    out.attrs["input_schema"] = {t: schema[t] for t in TABLE_NAMES if t in schema}
    return out


def _small_tables_from_folder(folder: Path, export_date) -> tuple[Tables, dict[str, Path]]:
    """Validate the small tables of a folder; return them and the daily tables' files."""

    files = _find_files(folder)
    daily = {t: p for t, p in files.items() if t in ("schedule", "workload")}
    raws, problems = {}, []
    for name, path in files.items():
        if name in daily:
            continue
        try:
            raws[name] = _read_file(path, name)
        except _Refused as refused:
            problems.extend(refused.problems)
    frames = _run(raws, {n: str(p) for n, p in files.items()}, problems)
    sources = {n: str(p) for n, p in files.items()}
    return Tables(**frames, sources=sources, export_date=_parse_export_date(export_date)), daily


def build_snapshots_duckdb(
    data: str | Path | Tables,
    as_of=None,
    horizon_days: int = 90,
    *,
    connection: Any = None,
    export_date=None,
    windows: Sequence[int] = (28, 91, 182),
    builders: Sequence[FeatureBuilder] | None = None,
    labels: bool = True,
    survey_privacy: str = "team",
    min_group_size: int = 5,
) -> pd.DataFrame:
    """:func:`attrition.build_snapshots`, with the schedule and workload sums run in DuckDB.

    Parameters
    ----------
    data : str, Path or Tables
        A data folder as :func:`attrition.load_tables` reads it — the
        schedule and workload files (Parquet or CSV) are read by DuckDB where
        they lie, never loaded into pandas; the small tables are loaded and
        validated as usual — or validated :class:`Tables` in memory.
    as_of, horizon_days, windows, builders, labels, survey_privacy, min_group_size
        As for :func:`attrition.build_snapshots`.
    connection : duckdb.DuckDBPyConnection, optional
        Run in this connection (e.g. one with a memory limit or a spill
        directory); default a new in-memory one.
    export_date : date, optional
        The day the exports were taken, for a folder (``Tables`` carry their own).

    Returns
    -------
    pandas.DataFrame
        The frame :func:`attrition.build_snapshots` returns for the same data.

    Raises
    ------
    SchemaError
        When a table breaks the data contract (see the module docs for what
        is checked in DuckDB).

    Examples
    --------
    >>> from attrition import simulate, build_snapshots
    >>> centre = simulate(n_employees=30, months=4, seed=0)
    >>> sql = build_snapshots_duckdb(centre.tables, horizon_days=30)
    >>> ref = build_snapshots(centre.tables, horizon_days=30)
    >>> list(sql.columns) == list(ref.columns)
    True
    >>> bool(np.allclose(sql["sched_night_share_28d"], ref["sched_night_share_28d"], equal_nan=True))
    True
    """
    engine = DuckDBEngine(connection)
    if isinstance(data, Tables):
        small = data.copy(schedule=None, workload=None)
        daily = {t: getattr(data, t) for t in ("schedule", "workload") if getattr(data, t) is not None}
    else:
        small, daily = _small_tables_from_folder(Path(data), export_date)
    return build_with_engine(engine, small, daily, as_of, horizon_days, windows=windows,
                             builders=builders, labels=labels, survey_privacy=survey_privacy,
                             min_group_size=min_group_size)

