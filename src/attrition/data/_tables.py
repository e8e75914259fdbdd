"""The in-memory form of the contract tables.

:func:`attrition.load_tables` returns a :class:`Tables`; the simulator and the
feature builders use the same container. After loading, every table follows
the same conventions, whatever the file format was:

* identifier and category columns hold Python strings (missing: ``NaN``);
* date columns are ``datetime64[ns]`` at midnight (missing: ``NaT``);
* numeric columns are ``float64`` (integer columns are checked to be whole);
* ``HH:MM`` columns stay strings, checked against the pattern;
* unknown extra columns are kept and ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pandas as pd

__all__ = ["Tables", "TABLE_NAMES", "OPTIONAL_TABLES", "DATE_COLUMNS"]

#: Every table of the data contract, in the order they are documented.
TABLE_NAMES: tuple[str, ...] = ("employees", "schedule", "workload", "absences", "surveys")
#: Tables that add features when present.
OPTIONAL_TABLES: tuple[str, ...] = TABLE_NAMES[1:]
#: The column that dates each row of an event table (what the as-of rule filters on).
DATE_COLUMNS: dict[str, str] = {
    "schedule": "date",
    "workload": "date",
    "absences": "start_date",
    "surveys": "survey_date",
}


@dataclass
class Tables:
    """The contract tables of one contact centre.

    Parameters
    ----------
    employees : pandas.DataFrame
        The HR master, one row per employee (required).
    schedule, workload, absences, surveys : pandas.DataFrame or None
        Optional event tables; ``None`` when the export does not have them.
    sources : dict of str to str
        Where each table was read from (shown in error messages).
    export_date : pandas.Timestamp or None
        The day the exports were taken. Labels are only known up to this
        day. When ``None`` it is inferred with :meth:`infer_export_date`.
    """

    employees: pd.DataFrame
    schedule: pd.DataFrame | None = None
    workload: pd.DataFrame | None = None
    absences: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    sources: dict[str, str] = field(default_factory=dict)
    export_date: pd.Timestamp | None = None

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(name, frame)`` for every table that is present."""
        for name in TABLE_NAMES:
            frame = getattr(self, name)
            if frame is not None:
                yield name, frame

    @property
    def present(self) -> list[str]:
        """Names of the tables that are present."""
        return [name for name, _ in self]

    def source(self, name: str) -> str:
        """Where table ``name`` came from, for messages."""
        return self.sources.get(name, f"<{name} table>")

    def infer_export_date(self) -> pd.Timestamp:
        """The last day the data speaks about.

        The explicit ``export_date`` when set. Otherwise the newest row of the
        tables that record what *happened*: workload dates, dates of schedule
        rows with worked time, survey dates. HR masters and absence systems
        routinely hold future dates (accepted offers, resignations with
        notice, booked holidays) and WFM exports published future shifts, so
        those never move the export date — unless they are all there is, in
        which case the newest hire, termination or absence start is used.
        Pass ``export_date`` explicitly whenever it is known.
        """
        if self.export_date is not None:
            return pd.Timestamp(self.export_date).normalize()
        events = []
        if self.workload is not None:
            events.append(self.workload["date"].max())
        if self.surveys is not None:
            events.append(self.surveys["survey_date"].max())
        if self.schedule is not None:
            events.append(self.schedule.loc[self.schedule["worked_minutes"] > 0, "date"].max())
        valid = [pd.Timestamp(c) for c in events if pd.notna(c)]
        if not valid:
            fallback = [self.employees["hire_date"].max(), self.employees["termination_date"].max()]
            if self.absences is not None:
                fallback.append(self.absences["start_date"].max())
            valid = [pd.Timestamp(c) for c in fallback if pd.notna(c)]
        if not valid:
            raise ValueError("Cannot infer the export date: the tables hold no dates.")
        return max(valid).normalize()

    def copy(self, **changes: object) -> Tables:
        """A shallow copy with some attributes replaced."""
        return replace(self, **changes)
