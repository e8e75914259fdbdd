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

        The latest of: hire and termination dates, workload dates, survey
        dates, absence start dates and the dates of schedule rows with worked
        time (WFM exports often carry published future shifts, which say
        nothing about what has happened). Pass ``export_date`` explicitly when
        the export is known to be newer than its newest row.
        """
        if self.export_date is not None:
            return pd.Timestamp(self.export_date).normalize()
        candidates = [self.employees["hire_date"].max(), self.employees["termination_date"].max()]
        if self.workload is not None:
            candidates.append(self.workload["date"].max())
        if self.surveys is not None:
            candidates.append(self.surveys["survey_date"].max())
        if self.absences is not None:
            candidates.append(self.absences["start_date"].max())
        if self.schedule is not None:
            worked = self.schedule.loc[self.schedule["worked_minutes"] > 0, "date"]
            candidates.append(worked.max())
        valid = [pd.Timestamp(c) for c in candidates if pd.notna(c)]
        if not valid:
            raise ValueError("Cannot infer the export date: the tables hold no dates.")
        return max(valid).normalize()

    def copy(self, **changes: object) -> Tables:
        """A shallow copy with some attributes replaced."""
        return replace(self, **changes)
