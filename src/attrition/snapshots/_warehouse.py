"""Snapshots from data that stays in a SQL engine: DuckDB locally, Spark SQL remotely.

The daily tables (``schedule``, ``workload``) are the large ones: one row per
employee per day. Their features are ratios and changes of *trailing-window
sums* (:func:`attrition.features._base.trailing_sums`). This module writes
those sums as one portable SQL query and lets an engine run it, so the daily
rows never leave the engine:

1. the row-wise values of :meth:`ScheduleFeatures._daily_values` and
   :meth:`WorkloadFeatures._daily_values` as SQL, written by the builders
   themselves next to the pandas code (their ``sql_daily_values``: ``CASE
   WHEN`` indicators with numpy's ``NaN`` rules, a comparison with a missing
   value is false; the previous shift through ``LAG`` for short rests), and
   kept equal to it by ``tests/features/test_sql_twins.py``;
2. a range join of the snapshot keys ``(employee_id, as_of)`` with those rows
   on ``as_of - longest window < date <= as_of`` and one conditional sum per
   window — only rows dated on or before ``as_of`` can contribute;
3. the per-``(employee, as_of)`` sums (a few dozen numbers per employee-month)
   come back to Python, where the builders' :meth:`from_sums` turns them into
   the very same features, and :func:`attrition.build_snapshots` adds the small
   tables' features (tenure, team, absences, surveys), masks windows that reach
   before a table's first day, compares with team medians and labels. It sees
   the daily tables only by their :class:`~attrition.data._tables.TableExtent`
   (first date, newest worked date, row count), measured in the engine.

The result is the frame :func:`attrition.build_snapshots` returns (same
columns, order and dtypes), up to floating-point summation order.

Two entry points: :func:`build_snapshots_duckdb` here (pandas frames, or a
folder whose daily tables are Parquet/CSV files that DuckDB reads without
loading them into pandas) and :func:`attrition.snapshots.build_snapshots_spark`
(Spark DataFrames or tables). :func:`snapshot_sums_sql` shows the SQL; the
dialects (:data:`DIALECTS`) are defined in :mod:`attrition.features._sql`.

What the engine checks
    Required columns, missing or unreadable employee ids and dates, duplicate
    ``(employee_id, date)`` keys, text in numeric columns, ids unknown to the
    HR master, the schema's value rules (``HH:MM`` times, ranges such as
    ``adherence`` within 0–1, whole numbers) and — with an explicit
    ``export_date`` — worked rows dated after it. Each problem is reported as
    a :class:`~attrition.exceptions.SchemaError` naming the table, the column,
    the row count and up to five example rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attrition.data._declared import declarations_of, declared_schema
from attrition.data._drift import table_schema
from attrition.data._loading import (
    Problem,
    _after_export,
    _declared_after_export,
    _declared_files,
    _error,
    _find_files,
    _parse_export_date,
    _read_file,
    _Refused,
    _run,
)
from attrition.data._schemas import SCHEMAS
from attrition.data._tables import TABLE_NAMES, TableExtent, Tables
from attrition.features import FeatureBuilder, declared_builders, default_builders
from attrition.features._base import (
    snapshot_keys,
    window_parts,
)
from attrition.features._sql import (
    DIALECTS,
    Dialect,
    sql_dialect,
    sql_float,
)
from attrition.features.schedule import ScheduleFeatures
from attrition.features.workload import WorkloadFeatures
from attrition.snapshots._spec import SnapshotSpec, build_snapshots

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
#: View names the engines give the daily tables and the snapshot keys.
VIEWS = {"schedule": "attrition_schedule", "workload": "attrition_workload", "keys": "attrition_keys"}


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

    The builder's own SQL twin of its ``_daily_values`` (``sql_daily_values``,
    next to the pandas code in :mod:`attrition.features.schedule` and
    :mod:`attrition.features.workload`): same names, same missing-value rules,
    as ``DOUBLE``.

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
    if isinstance(builder, ScheduleFeatures):
        return builder.sql_daily_values(dialect, source=source or VIEWS["schedule"], columns=columns)
    if isinstance(builder, WorkloadFeatures):
        return builder.sql_daily_values(dialect, source=source or VIEWS["workload"], schedule=schedule,
                                        columns=columns, schedule_columns=schedule_columns)
    raise TypeError(f"values_sql takes a ScheduleFeatures or WorkloadFeatures, got {builder!r}.")


def _value_names(builder: ScheduleFeatures | WorkloadFeatures) -> list[str]:
    return list(builder.sql_values("duckdb"))


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
    d = sql_dialect(dialect)
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
                out[f"ge_{col}"] = (f"{num} < {sql_float(low)}", col, f"must satisfy {col} >= {low:g}",
                                    f"Correct the values so that {col} >= {low:g}.")
            elif check.name == "in_range":
                low, high = float(stats["min_value"]), float(stats["max_value"])
                hint = " (divide percentages by 100)" if high == 1 else ""
                out[f"range_{col}"] = (f"({num} < {sql_float(low)} OR {num} > {sql_float(high)})", col,
                                       f"must satisfy {low:g} <= {col} <= {high:g}",
                                       f"Correct the values so that {low:g} <= {col} <= {high:g}{hint}.")
            elif check.name == "whole_number":
                out[f"whole_{col}"] = (f"{num} <> FLOOR({num})", col, "must be a whole number",
                                       stats.get("fix", "Write a whole number without decimals."))
    return out


def _check_daily(engine: Engine, table: str, view: str, source: str, cols: list[str],
                 export_date: pd.Timestamp | None, employees: pd.DataFrame) -> TableExtent:
    """Check a daily table in the engine; return its extent (first date, newest worked date, rows).

    Raises a SchemaError listing every problem found.
    """

    d = sql_dialect(engine.dialect)
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
    n_rows = int(stats["n_rows"])
    if not n_rows:
        return TableExtent(None, None, 0)
    return TableExtent(_timestamp(stats["first_date"]), _timestamp(stats["last_date"]), n_rows)


def _timestamp(value: Any) -> pd.Timestamp | None:
    """A date from the engine (``datetime.date``, numpy or pandas) as a Timestamp; ``None`` if missing."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


# ----------------------------------------------------------------- builders
class _EngineFeatures(FeatureBuilder):
    """A schedule or workload builder whose sums come from an SQL engine.

    Its table stays in the engine: the :class:`Tables` it is given know the
    table by its :class:`TableExtent` only, never as a frame.
    """

    def __init__(self, builder: ScheduleFeatures | WorkloadFeatures, sums: Callable) -> None:
        self.builder = builder
        self.sums = sums
        self.windows = builder.windows
        self.name = builder.name
        self.table = builder.table

    def available(self, tables: Tables) -> bool:
        return self.table in tables.present

    def labels(self) -> dict[str, str]:
        return self.builder.labels()

    def peer_features(self) -> list[str]:
        return self.builder.peer_features()

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:
        extent = tables.extent(self.table)
        if len(frame) == 0 or extent is None or extent.n_rows == 0:
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
    extents: dict[str, TableExtent] = {}
    for table, source in daily.items():
        if source is None:
            continue
        view = VIEWS[table]
        engine.register(view, source)
        cols[table] = engine.columns(view)
        name = small.sources.get(table) or engine.describe(source, table)
        extents[table] = _check_daily(engine, table, view, name, cols[table], explicit, small.employees)
    names = {t: small.sources.get(t) or engine.describe(daily[t], t) for t in extents}
    # The daily tables stay in the engine: the snapshot code sees their extents, not their rows.
    in_engine = small.copy(**{t: None for t in extents}, extents={**small.extents, **extents},
                           sources={**small.sources, **names})
    defaults = builders is None
    if defaults:  # the declared tables are small: computed in pandas, like absences and surveys
        builders = default_builders(windows, survey_privacy=survey_privacy,
                                    min_group_size=min_group_size) + declared_builders(
            SnapshotSpec(windows=tuple(windows)).with_tables(small).declarations(), windows)
    sums = _sums_from_engine(engine, cols)
    swapped = [_EngineFeatures(b, sums) if isinstance(b, (ScheduleFeatures, WorkloadFeatures)) else b
               for b in builders]
    unable = [b for b in swapped if not isinstance(b, _EngineFeatures) and b.table in extents]
    if unable:
        raise ValueError(
            f"{', '.join(map(repr, unable))} read{'s' if len(unable) == 1 else ''} a table that stays "
            f"in the engine ({', '.join(sorted({b.table for b in unable}))}); only ScheduleFeatures "
            "and WorkloadFeatures (and their subclasses) compute their sums in SQL. Use "
            "attrition.build_snapshots on tables loaded into pandas for other builders.")
    out = build_snapshots(in_engine, as_of, horizon_days, windows=windows, builders=swapped,
                          labels=labels, survey_privacy=survey_privacy, min_group_size=min_group_size)
    if defaults:  # the engine twins of the default builders: what the spec rebuilds
        out.attrs.pop("custom_builders", None)
    else:  # the builders given, not their engine twins
        out.attrs["custom_builders"] = [type(b).__name__ for b in builders]
    # The tables the snapshots came from, the engine's daily tables with their columns.
    schema = {**table_schema(small), **{t: [str(c) for c in cols[t]] for t in extents}}
    order = [*TABLE_NAMES, *small.declared]  # the contract's tables, then your own (as in pandas)
    out.attrs["input_schema"] = {t: schema[t] for t in order if t in schema}
    return out


def _small_tables_from_folder(folder: Path, export_date, declare=None) -> tuple[Tables, dict[str, Path]]:
    """Validate the small tables of a folder (and the declared ones); return them and the daily
    tables' files."""

    declarations = declarations_of(declare)
    files = _find_files(folder)
    extra, problems = _declared_files(folder, declarations)
    files = {**files, **extra}
    daily = {t: p for t, p in files.items() if t in ("schedule", "workload")}
    raws = {}
    for name, path in files.items():
        if name in daily:
            continue
        try:
            raws[name] = _read_file(path, name)
        except _Refused as refused:
            problems.extend(refused.problems)
    sources = {n: str(p) for n, p in files.items()}
    frames = _run(raws, sources, problems, schemas={n: declared_schema(d) for n, d in declarations.items()})
    export = _parse_export_date(export_date)
    late = _declared_after_export(frames, sources, declarations, export) + _after_export(
        {k: v for k, v in frames.items() if k == "employee_history"}, sources, export)
    if late:
        raise _error(late)
    declared = {n: frames.pop(n) for n in declarations}
    return Tables(**frames, sources=sources, export_date=export, declared=declared,
                  declarations=declarations), daily


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
    declare=None,
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
    declare : dict, optional
        Your own tables to read from a folder (``[tables.NAME]``, as for
        :func:`attrition.load_tables`); ``Tables`` carry their own. They are
        small and computed in pandas, like absences and surveys.

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
        small, daily = _small_tables_from_folder(Path(data), export_date, declare)
    return build_with_engine(engine, small, daily, as_of, horizon_days, windows=windows,
                             builders=builders, labels=labels, survey_privacy=survey_privacy,
                             min_group_size=min_group_size)

