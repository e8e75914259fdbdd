"""SQL twins of the daily values: the dialects and the expression helpers the builders' SQL shares.

Each daily-table builder writes its row-wise values twice, in pandas
(``_daily_values``) and as SQL (``sql_values``), side by side in its module;
``tests/features/test_sql_twins.py`` keeps each pair equal. These helpers are
what the SQL halves have in common.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Dialect", "DIALECTS", "sql_dialect", "sql_float", "sql_flag", "sql_one_if", "sql_value_if", "sql_minutes_of_day", "sql_columns", "sql_select"]


# ---------------------------------------------------------------- SQL twins
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


def sql_dialect(dialect: str | Dialect) -> Dialect:
    """The :class:`Dialect` named ``dialect`` (one of :data:`DIALECTS`), or ``dialect`` itself.

    >>> sql_dialect("spark").weekend("date")
    'weekday(date) >= 5'
    """
    if isinstance(dialect, Dialect):
        return dialect
    if dialect not in DIALECTS:
        raise ValueError(f"Unknown SQL dialect {dialect!r}; choose one of {sorted(DIALECTS)}.")
    return DIALECTS[dialect]


def sql_float(value: float) -> str:
    """A float literal that both engines read as DOUBLE (not DECIMAL)."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def sql_flag(cond: str) -> str:
    """A boolean where a comparison with a missing value is false, as in numpy."""
    return f"COALESCE(({cond}), FALSE)"


def sql_one_if(cond: str) -> str:
    """``1.0`` where ``cond`` holds, else ``0.0`` (an indicator to sum)."""
    return f"CAST(CASE WHEN {cond} THEN 1 ELSE 0 END AS DOUBLE)"


def sql_value_if(cond: str, value: str) -> str:
    """``value`` where ``cond`` holds, else ``0.0`` (as ``np.where(cond, value, 0.0)``)."""
    return f"CAST(CASE WHEN {cond} THEN {value} ELSE 0 END AS DOUBLE)"


def sql_minutes_of_day(column: str) -> str:
    """Minutes after midnight of ``HH:MM`` text; NULL when missing or not a time.

    Splits at the first colon and reads both parts as numbers, like
    :func:`minutes_of_day`.
    """
    text = f"CAST({column} AS STRING)"
    colon = f"instr({text}, ':')"
    return (f"(CASE WHEN {colon} > 0 THEN "
            f"TRY_CAST(substr({text}, 1, {colon} - 1) AS DOUBLE) * 60 "
            f"+ TRY_CAST(substr({text}, {colon} + 1) AS DOUBLE) END)")


def sql_columns(names: Iterable[str], present: Iterable[str] | None, d: Dialect,
                *, text: Iterable[str] = ()) -> dict[str, str]:
    """SQL of each source column: the quoted name, or a typed NULL when the table lacks it.

    ``present`` lists the table's columns (``None``: assume all are there);
    columns in ``text`` are NULL strings when missing, the others NULL doubles.
    """
    present = None if present is None else set(present)
    text = set(text)
    cols: dict[str, str] = {}
    for col in names:
        if present is not None and col not in present:
            cols[col] = "CAST(NULL AS STRING)" if col in text else "CAST(NULL AS DOUBLE)"
        else:
            cols[col] = d.quote(col)
    return cols


def sql_select(values: Mapping[str, str]) -> str:
    """The select list ``expr AS name, ...`` of named value expressions."""
    return ",\n    ".join(f"{expr} AS {name}" for name, expr in values.items())
