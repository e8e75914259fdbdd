"""Your own tables: files the configuration declares under ``[tables.NAME]``.

An organisation holds more than the contract tables — performance ratings,
coaching sessions, complaints, commendations, training, monthly KPIs. Any
further file ``NAME.csv`` / ``NAME.parquet`` in the data folder is read when
the configuration declares it::

    [tables.performance]          # performance.csv or performance.parquet
    kind = "measures"             # numbers observed on a date
    date = "review_date"          # the file's date column
    columns = ["rating", "business_value"]

    [tables.coaching]
    kind = "events"               # things that happened on a date
    date = "session_date"
    event = "session_type"        # optional: one feature family per value

A :class:`TableDeclaration` holds one such entry; :func:`declared_schema`
turns it into a pandera schema, so a declared table is read, converted and
refused exactly like a contract table (a missing declared column, text in a
measure column, an unparsable date, an unknown ``employee_id``, a row dated
after the export date: an error naming the file, the column, the row count
and example rows).

Examples
--------
>>> decl = TableDeclaration.from_config("performance", {"kind": "measures",
...     "date": "review_date", "columns": ["rating"]})
>>> decl.kind, decl.columns
('measures', ('rating',))
>>> sorted(declared_schema(decl).columns)
['employee_id', 'rating', 'review_date']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandera.pandas as pa

from attrition.data._schemas import PROTECTED_COLUMNS, _col
from attrition.data._tables import TABLE_NAMES
from attrition.exceptions import ConfigError

__all__ = ["TableDeclaration", "declared_schema", "declarations_of", "DECLARED_KINDS", "value_slug",
           "slug_collisions"]

#: The kinds of declared table.
DECLARED_KINDS: tuple[str, ...] = ("measures", "events")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def value_slug(value: str) -> str:
    """An event value as a part of a feature name (lower case, ``_`` between words).

    >>> value_slug("One-to-one")
    'one_to_one'
    """
    return re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_") or "blank"


def slug_collisions(values) -> dict[str, list[str]]:
    """Event values that would share a feature name: ``{slug: [values]}`` for each shared slug.

    >>> slug_collisions(["One-to-one", "one to one", "skills"])
    {'one_to_one': ['One-to-one', 'one to one']}
    """
    by_slug: dict[str, list[str]] = {}
    for value in values:
        by_slug.setdefault(value_slug(value), []).append(str(value))
    return {slug: vals for slug, vals in by_slug.items() if len(vals) > 1}


def describe_collisions(collisions: dict[str, list[str]]) -> str:
    """``'a', 'A' -> a; ...`` for messages."""
    return "; ".join(", ".join(repr(v) for v in vals) + f" -> {slug}" for slug, vals in collisions.items())


@dataclass(frozen=True)
class TableDeclaration:
    """How one declared table is read.

    Parameters
    ----------
    name : str
        The table's name: its file is ``NAME.csv`` or ``NAME.parquet`` and
        its features start with ``NAME_``. Lower case letters, digits and
        ``_``; not a contract table's name.
    kind : {"measures", "events"}
        ``measures``: numbers observed on a date (trailing-window mean, last
        value, change against the employee's own earlier level and against
        team peers). ``events``: things that happened on a date (counts per
        window and days since the last one).
    date : str
        The column that dates each row (the as-of rule filters on it).
    columns : tuple of str
        ``measures``: the numeric columns to use (at least one).
        ``events``: unused (must be empty).
    event : str, optional
        ``events``: a text column; one feature family per value.
    values : tuple of str, optional
        ``events`` with ``event``: the values that get their own features.
        Default: every value in the data the snapshots are first built
        from; the spec records them, so a model scores with the values it
        was trained on (a value first seen later counts in the totals only).
    """

    name: str
    kind: str
    date: str
    columns: tuple[str, ...] = ()
    event: str | None = None
    values: tuple[str, ...] | None = None

    @classmethod
    def from_config(cls, name: str, values: Mapping[str, Any]) -> TableDeclaration:
        """A validated declaration from a ``[tables.NAME]`` mapping."""
        if not isinstance(values, Mapping):
            raise ConfigError(f"tables.{name} must be a table of settings (kind, date, columns, event).")
        known = {"kind", "date", "columns", "event", "values"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"tables.{name}: unknown key(s) {', '.join(unknown)}; the keys are "
                              f"{', '.join(sorted(known))}.")
        columns = values.get("columns", ())
        if isinstance(columns, str):
            columns = (columns,)
        found = values.get("values")
        return cls(name=str(name), kind=values.get("kind", ""), date=values.get("date", ""),
                   columns=tuple(columns or ()), event=values.get("event"),
                   values=None if found is None else tuple(str(v) for v in found)).validate()

    def validate(self) -> TableDeclaration:
        """Raise :class:`ConfigError` for an impossible declaration; return ``self``."""
        where = f"tables.{self.name}"
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigError(f"{where}: a declared table's name must be lower case letters, digits "
                              "and '_', starting with a letter (it names the file and the features).")
        if self.name in TABLE_NAMES or self.name == "roster":
            raise ConfigError(f"{where}: {self.name!r} is a contract table; declare only your own "
                              "tables (the contract tables are read without a declaration).")
        if self.kind not in DECLARED_KINDS:
            raise ConfigError(f"{where}: kind must be 'measures' or 'events', got {self.kind!r}.")
        if not isinstance(self.date, str) or not self.date:
            raise ConfigError(f"{where}: name the file's date column, e.g. date = \"review_date\".")
        if not all(isinstance(c, str) and c for c in self.columns):
            raise ConfigError(f"{where}: columns must be a list of column names.")
        if self.kind == "measures":
            if not self.columns:
                raise ConfigError(f"{where}: a measures table needs columns = [...] naming its "
                                  "numeric columns.")
            if self.event is not None:
                raise ConfigError(f"{where}: event applies to kind = \"events\" only.")
        else:
            if self.columns:
                raise ConfigError(f"{where}: an events table counts rows; leave out columns (name "
                                  "a text column in event = \"...\" for one feature family per value).")
            if self.event is not None and (not isinstance(self.event, str) or not self.event):
                raise ConfigError(f"{where}: event must name a text column.")
            if self.values is not None and self.event is None:
                raise ConfigError(f"{where}: values apply with event = \"...\" only.")
            shared = slug_collisions(self.values or ())
            if shared:
                raise ConfigError(f"{where}: event values {describe_collisions(shared)} would share a "
                                  "feature name (features are named after the value in lower case with "
                                  "_ between words). List each value once, or rename the values so they "
                                  "differ in letters or digits.")
        protected = sorted(({*self.columns, self.event} - {None}) & set(PROTECTED_COLUMNS))
        if protected:
            raise ConfigError(f"{where}: {', '.join(protected)} is a protected attribute; it is never a "
                              "model feature (it is used only to audit fairness, from the employees "
                              "table). Remove it from the declaration.")
        clash = {"employee_id", self.date} & set(self.columns) | (
            {self.event} & {"employee_id", self.date})
        if clash:
            raise ConfigError(f"{where}: {', '.join(sorted(clash))} cannot be a measure or event "
                              "column (it is the key or the date).")
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable mapping (the spec stores it; :meth:`from_dict` reads it back)."""
        out: dict[str, Any] = {"kind": self.kind, "date": self.date, "columns": list(self.columns)}
        if self.event is not None:
            out["event"] = self.event
        if self.values is not None:
            out["values"] = list(self.values)
        return out

    @classmethod
    def from_dict(cls, name: str, values: Mapping[str, Any]) -> TableDeclaration:
        """The inverse of :meth:`to_dict`."""
        return cls.from_config(name, values)

    @property
    def used_columns(self) -> list[str]:
        """``employee_id``, the date and the declared columns."""
        return ["employee_id", self.date, *self.columns, *([self.event] if self.event else [])]


def declarations_of(values: Mapping[str, Any] | None) -> dict[str, TableDeclaration]:
    """``{name: TableDeclaration}`` from ``[tables.NAME]`` mappings (or declarations).

    >>> sorted(declarations_of({"coaching": {"kind": "events", "date": "session_date"}}))
    ['coaching']
    """
    out: dict[str, TableDeclaration] = {}
    for name, value in (values or {}).items():
        out[str(name)] = value.validate() if isinstance(value, TableDeclaration) else \
            TableDeclaration.from_config(str(name), value)
    return out


def declared_schema(decl: TableDeclaration) -> pa.DataFrameSchema:
    """The pandera schema a declared table is validated with."""
    columns: dict[str, pa.Column] = {
        "employee_id": _col("string", "Employee id", "must exist in `employees`"),
        decl.date: _col("date", "Date", "the day the row is dated; the as-of rule filters on it"),
    }
    for col in decl.columns:
        columns[col] = _col("number", col, f"a measure of {decl.name}; empty when not observed",
                            nullable=True)
    if decl.event:
        columns[decl.event] = _col("string", decl.event, "the kind of event (one feature family "
                                   "per value)")
    return pa.DataFrameSchema(columns, strict=False, name=decl.name,
                              title=f"{decl.name} (declared, {decl.kind})")
