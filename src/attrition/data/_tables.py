"""The in-memory form of the contract tables.

:func:`attrition.load_tables` returns a :class:`Tables`; the simulator and the
feature builders use the same container. After loading, every table follows
the same conventions, whatever the file format was:

* identifier and category columns hold Python strings (missing: ``NaN``);
* date columns are ``datetime64[ns]`` at midnight (missing: ``NaT``);
* numeric columns are ``float64`` (integer columns are checked to be whole);
* ``HH:MM`` columns stay strings, checked against the pattern;
* unknown extra columns are kept and ignored.

A table can also stay elsewhere (the daily tables in DuckDB or Spark, see
:func:`attrition.snapshots.build_snapshots_duckdb`): :class:`Tables` then
carries only its :class:`TableExtent` — the dates it spans and its row count,
which is all the snapshot code needs from a table it does not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Tables", "TableExtent", "TABLE_NAMES", "OPTIONAL_TABLES", "DATE_COLUMNS"]

#: Every table of the data contract, in the order they are documented.
TABLE_NAMES: tuple[str, ...] = ("employees", "schedule", "workload", "absences", "surveys",
                                 "employee_history")
#: Tables that add features when present.
OPTIONAL_TABLES: tuple[str, ...] = TABLE_NAMES[1:]
#: The column that dates each row of an event table (what the as-of rule filters on).
DATE_COLUMNS: dict[str, str] = {
    "schedule": "date",
    "workload": "date",
    "absences": "start_date",
    "surveys": "survey_date",
    "employee_history": "effective_date",
}


def _timestamp(value: Any) -> pd.Timestamp | None:
    """A date as a Timestamp; ``None`` when missing."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value)


def _masked_max(values: np.ndarray, mask: np.ndarray) -> pd.Timestamp | None:
    """The newest of the numpy dates ``values`` where ``mask`` holds (``NaT`` skipped), as
    ``Series.max`` of those rows gives it; ``None`` when there is none.

    On the integers under the dates (``NaT`` is the smallest), so no row is copied.

    >>> d = np.array(["2024-01-02", "NaT", "2024-01-09"], dtype="datetime64[ns]")
    >>> _masked_max(d, np.array([True, True, False])), _masked_max(d, np.array([False, True, False]))
    (Timestamp('2024-01-02 00:00:00'), None)
    """
    nat = np.iinfo(np.int64).min
    ints = values.view("int64")
    latest = np.max(ints, initial=nat, where=mask)
    if latest == nat:
        return None
    return pd.Timestamp(np.array(latest, dtype="int64").view(values.dtype)[()])


@dataclass(frozen=True)
class TableExtent:
    """The dates an event table spans and how many rows it has, without its rows.

    What the snapshot code needs from a table whose features are computed
    elsewhere: the first date (windows that reach before it are unknown, and
    as-of dates start after it) and the newest date (the inferred export
    date). :meth:`Tables.extent` gives it for any table; pass it for a table
    kept in an engine with ``Tables(..., extents={"schedule": ...})``.

    Parameters
    ----------
    first_date : pandas.Timestamp or None
        The earliest date of the table's rows (its :data:`DATE_COLUMNS`
        column); ``None`` when it has none.
    last_date : pandas.Timestamp or None
        The newest date the table shows something *happened*: its newest
        row — except the schedule, whose published future shifts have not
        happened yet: its newest row with worked time (``worked_minutes >
        0``). ``None`` when there is none.
    n_rows : int
        How many rows the table has.

    Examples
    --------
    >>> sched = pd.DataFrame({"date": pd.to_datetime(["2024-01-02", "2024-01-09"]),
    ...                       "worked_minutes": [480.0, 0.0]})
    >>> TableExtent.of(sched, "schedule")
    TableExtent(first_date=Timestamp('2024-01-02 00:00:00'), last_date=Timestamp('2024-01-02 00:00:00'), n_rows=2)
    """

    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    n_rows: int

    @classmethod
    def of(cls, frame: pd.DataFrame, table: str) -> TableExtent:
        """The extent of ``frame``, the rows of event table ``table`` (see :data:`DATE_COLUMNS`)."""
        if table not in DATE_COLUMNS:
            raise ValueError(f"Only event tables have an extent ({', '.join(DATE_COLUMNS)}), "
                             f"not {table!r}.")
        dates = frame[DATE_COLUMNS[table]]
        happened = dates
        if table == "schedule":  # published future shifts have not happened
            worked = frame["worked_minutes"] if "worked_minutes" in frame.columns else None
            if worked is not None and worked.dtype == np.float64:  # no copy of millions of rows
                mask = worked.to_numpy() > 0
            else:
                worked = (pd.to_numeric(worked, errors="coerce") if worked is not None
                          else pd.Series(float("nan"), index=frame.index))
                mask = (worked > 0).to_numpy()
            values = dates.to_numpy()
            if values.dtype.kind == "M":  # numpy dates: the newest worked day without copying the rows
                return cls(_timestamp(dates.min()), _masked_max(values, mask), len(frame))
            happened = dates[mask]
        return cls(_timestamp(dates.min()), _timestamp(happened.max()), len(frame))


@dataclass
class Tables:
    """The contract tables of one contact centre.

    Parameters
    ----------
    employees : pandas.DataFrame
        The HR master, one row per employee (required).
    schedule, workload, absences, surveys : pandas.DataFrame or None
        Optional event tables; ``None`` when the export does not have them
        (or when the table is kept elsewhere, see ``extents``).
    sources : dict of str to str
        Where each table was read from (shown in error messages).
    export_date : pandas.Timestamp or None
        The day the exports were taken. Labels are only known up to this
        day. When ``None`` it is inferred with :meth:`infer_export_date`.
    extents : dict of str to TableExtent
        Event tables that are present but not held here as frames (kept in
        DuckDB or Spark), by name: their :class:`TableExtent`. Such a table
        is in :attr:`present` and counts for :meth:`infer_export_date` and
        :meth:`extent`, but its attribute stays ``None`` and iterating
        yields only the frames. A frame given for the same table wins.
    employee_history : pandas.DataFrame or None
        The effective-dated job history (one row per change of an
        employee's job record); when present, every HR attribute at an
        as-of date comes from the row in force on it.
    declared : dict of str to pandas.DataFrame
        The organisation's own tables declared in the configuration
        (``[tables.NAME]``), by name; their declarations are in
        ``declarations``. Iterating :class:`Tables` does not yield them.
    declarations : dict of str to TableDeclaration
        How each declared table is read (kind, date column, columns).
    observed_from : pandas.Timestamp or None
        The first day the exports observe (``observed_from`` in the
        configuration); ``None``: found from the activity tables
        (:meth:`observation_start`).
    """

    employees: pd.DataFrame
    schedule: pd.DataFrame | None = None
    workload: pd.DataFrame | None = None
    absences: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    sources: dict[str, str] = field(default_factory=dict)
    export_date: pd.Timestamp | None = None
    extents: dict[str, TableExtent] = field(default_factory=dict)
    employee_history: pd.DataFrame | None = None
    declared: dict[str, pd.DataFrame] = field(default_factory=dict)
    declarations: dict[str, Any] = field(default_factory=dict)
    observed_from: pd.Timestamp | None = None

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(name, frame)`` for every table held here as a frame."""
        for name in TABLE_NAMES:
            frame = getattr(self, name)
            if frame is not None:
                yield name, frame

    @property
    def present(self) -> list[str]:
        """Names of the tables that are present: held as frames or known by their extent."""
        return [name for name in TABLE_NAMES
                if getattr(self, name) is not None or name in self.extents]

    def source(self, name: str) -> str:
        """Where table ``name`` came from, for messages."""
        return self.sources.get(name, f"<{name} table>")

    def extent(self, name: str) -> TableExtent | None:
        """The dates and row count of event table ``name``; ``None`` when it is absent.

        Computed from the frame when the table is held here, else the one
        given in ``extents``.

        Examples
        --------
        >>> emp = pd.DataFrame({"employee_id": ["a"]})
        >>> Tables(emp, extents={"workload": TableExtent(None, None, 0)}).extent("workload").n_rows
        0
        >>> Tables(emp).extent("surveys") is None
        True
        """
        if name not in DATE_COLUMNS:
            raise ValueError(f"Only event tables have an extent ({', '.join(DATE_COLUMNS)}), "
                             f"not {name!r}.")
        frame = getattr(self, name)
        if frame is not None:
            return TableExtent.of(frame, name)
        return self.extents.get(name)

    def infer_export_date(self) -> pd.Timestamp:
        """The last day the data speaks about.

        The explicit ``export_date`` when set. Otherwise the newest row of the
        tables that record what *happened*: workload dates, dates of schedule
        rows with worked time, survey dates. HR masters and absence systems
        routinely hold future dates (accepted offers, resignations with
        notice, booked holidays) and WFM exports published future shifts, so
        those never move the export date — unless they are all there is, in
        which case the newest hire, termination or absence start is used.
        Pass ``export_date`` explicitly whenever it is known. Tables kept
        elsewhere count through their extents (:attr:`TableExtent.last_date`).
        """
        if self.export_date is not None:
            return pd.Timestamp(self.export_date).normalize()
        valid = self._last_dates("workload", "surveys", "schedule")
        if not valid:
            fallback = [self.employees["hire_date"].max(), self.employees["termination_date"].max()]
            valid = [pd.Timestamp(c) for c in fallback if pd.notna(c)]
            valid += self._last_dates("absences")
        if not valid:
            raise ValueError("Cannot infer the export date: the tables hold no dates.")
        return max(valid).normalize()

    def observation_start(self) -> pd.Timestamp | None:
        """The first day these exports observe: ``observed_from`` when set, else the
        earliest dated row of the activity tables.

        Activity tables are the schedule, workload, absences, surveys and the
        declared tables (rows that record what happened on a day). An export
        that starts mid-stream (a system migration, a panel that begins in a
        given month) lacks everyone who left before that day, so as-of dates
        before it would hold only survivors. ``None`` when no activity table
        has a dated row (only the HR master): observation starts at the
        earliest hire.

        Examples
        --------
        >>> emp = pd.DataFrame({"employee_id": ["a"], "hire_date": pd.to_datetime(["2015-01-01"])})
        >>> ab = pd.DataFrame({"employee_id": ["a"], "start_date": pd.to_datetime(["2023-05-02"])})
        >>> str(Tables(emp, absences=ab).observation_start().date())
        '2023-05-02'
        >>> str(Tables(emp, absences=ab, observed_from=pd.Timestamp("2023-01-01")).observation_start().date())
        '2023-01-01'
        """
        if self.observed_from is not None:
            return pd.Timestamp(self.observed_from).normalize()
        firsts = []
        for name in ("schedule", "workload", "absences", "surveys"):
            extent = self.extent(name)
            if extent is not None and extent.first_date is not None:
                firsts.append(extent.first_date)
        for name, frame in self.declared.items():
            decl = self.declarations.get(name)
            col = getattr(decl, "date", None)
            if col in frame.columns and frame[col].notna().any():
                firsts.append(pd.Timestamp(frame[col].min()))
        return min(firsts).normalize() if firsts else None

    def _last_dates(self, *names: str) -> list[pd.Timestamp]:
        """The known :attr:`TableExtent.last_date` of the tables ``names`` that are present."""
        extents = [self.extent(name) for name in names]
        return [e.last_date for e in extents if e is not None and e.last_date is not None]

    def copy(self, **changes: object) -> Tables:
        """A shallow copy with some attributes replaced."""
        return replace(self, **changes)

    def outline(self) -> Tables:
        """A shallow copy that holds only the HR master and the declared tables as frames: every
        dated table of the contract held here (the event tables and the job history) is known by
        its :class:`TableExtent` instead.

        :attr:`present`, :meth:`extent` and :meth:`infer_export_date` answer as on ``self``, and
        ``employees`` is the same frame: what code that reads only those needs, without keeping
        the event tables (most of a centre's loaded memory) alive. Features cannot be built from
        it, and its :func:`~attrition.data.data_fingerprint` is not the full tables'.

        Examples
        --------
        >>> emp = pd.DataFrame({"employee_id": ["a"], "hire_date": pd.to_datetime(["2020-01-01"]),
        ...                     "termination_date": pd.NaT})
        >>> work = pd.DataFrame({"employee_id": ["a"], "date": pd.to_datetime(["2024-03-31"])})
        >>> full = Tables(emp, workload=work)
        >>> slim = full.outline()
        >>> slim.workload is None, slim.present == full.present, slim.employees is emp
        (True, True, True)
        >>> slim.infer_export_date() == full.infer_export_date(), slim.extent("workload").n_rows
        (True, 1)
        """
        held = {name: self.extent(name) for name in DATE_COLUMNS if getattr(self, name) is not None}
        return self.copy(**dict.fromkeys(DATE_COLUMNS), extents={**self.extents, **held})
