"""Read the contract tables from a folder and validate them.

:func:`load_tables` finds ``<table>.csv`` or ``<table>.parquet`` for every
contract table, applies the configured column renaming, converts the values to
the in-memory conventions of :mod:`attrition.tables` and validates them
against :data:`attrition.schemas.SCHEMAS`. :func:`validate_tables` does the
same for frames already in memory, :func:`read_roster` for a scoring roster.

Every problem with the input, whatever its kind, ends up in one
:class:`~attrition.exceptions.SchemaError` whose message lists, per problem,
the file, the column, the rule in words, the number of offending rows, up to
five example rows as read (numbered from 1 after the header) and how to fix
it. ``SchemaError.problems`` holds the same as :class:`Problem` records.

Conventions of the frames returned (see also :mod:`attrition.tables`):

* Every contract column exists, in the contract's order, followed by the
  file's unknown extra columns in their order. An optional column absent from
  the file is added, all missing. ``surveys.scale_max`` is filled with its
  default (6; 10 for ``enps``) where absent or empty.
* Text and id columns have the pandas string dtype ``str`` (missing: ``NaN``).
  Values are kept exactly as written: no whitespace is stripped and no case
  is changed, so ``"E1 "`` and ``"E1"`` are different ids. Whole-number ids
  stored as numbers in Parquet become their decimal text (``123`` → ``"123"``).
* Date columns are ``datetime64[ns]`` at midnight (missing: ``NaT``), numeric
  columns ``float64`` (missing: ``NaN``), ``HH:MM`` columns strings.
* Unknown extra columns of a CSV file are strings (empty cell: ``NaN``);
  those of a Parquet file keep their types.
* The index is a fresh ``RangeIndex``: row ``i`` is data row ``i + 1`` of the file.

Speed: a CSV file with two or more columns is first read *typed*
(:func:`attrition.data._fast_csv.read_clean_csv`): Arrow's multi-threaded
reader parses numbers straight to ``float64`` and dates to days, text to the
``str`` dtype's Arrow strings, and every rule of the schema is checked on
arrays (pandera is not called); for a clean file that is the whole load, in
about the time of a plain ``pandas.read_csv``. Otherwise the file is read as
text by Arrow (or pandas), date columns parsed by Arrow's strict ISO parser,
key uniqueness checked by sorting integer codes and employee ids matched by
hashing, then validated by pandera. Each fast path only vouches for clean
data: whatever it cannot (a ragged row, ``2024-02-30``, a duplicated key, a
number written `` 5``) goes through the original pandas and pandera path, so
every message is the one that path gives; ``tests/data/test_fast_reading.py``
and ``tests/data/test_typed_reading.py`` check that the paths give identical
frames, features and errors (see benchmarks/README.md for the timings).
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import decimal
import difflib
import numbers
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from pandera.errors import SchemaErrorReason, SchemaErrors

from attrition.data._declared import TableDeclaration, declarations_of, declared_schema
from attrition.data._fast_csv import DATE_MAX, DATE_MIN, STR, read_clean_csv
from attrition.data._fingerprint import file_identity, record_file_identity
from attrition.data._schemas import (
    KEYS,
    SCHEMAS,
    check_fix,
    column_kind,
    describe_check,
    effective_scale_max,
)
from attrition.data._tables import TABLE_NAMES, Tables
from attrition.exceptions import DataQualityWarning, SchemaError, format_examples

__all__ = ["load_tables", "validate_tables", "read_roster", "Problem", "SUFFIXES"]

#: File suffixes read, in order of preference when listing expectations.
SUFFIXES: tuple[str, ...] = (".csv", ".parquet")

_STR: Any = STR  # the pandas ``str`` dtype (missing: NaN); ``object`` before pandas 2.3
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE_MIN = DATE_MIN
_DATE_MAX = DATE_MAX
_ROW_NOTE = (
    "Rows are numbered from 1 after the header: row r is on line r + 1 of a CSV file."
)


# ------------------------------------------------------------------ problems
@dataclass
class Problem:
    """One way an input table breaks the data contract.

    Attributes
    ----------
    file : str
        Where the table came from (a path, or ``<name table>`` in memory).
    column : str or None
        The offending column (several joined by ``", "`` for a key).
    check : str
        The rule broken, in words (``"must satisfy 0 ≤ x ≤ 1"``).
    n_rows : int or None
        How many rows break it (``None`` when it is not about rows).
    examples : pandas.DataFrame or None
        Up to five offending rows as read; the index is the 0-based data row.
    fix : str
        How to fix it.
    table : str or None
        The contract table.
    """

    file: str
    column: str | None
    check: str
    n_rows: int | None
    examples: pd.DataFrame | None
    fix: str
    table: str | None = None

    def describe(self) -> str:
        """The problem as a few lines of text."""
        where = self.file if self.column is None else f"{self.file}, column '{self.column}'"
        count = ""
        if self.n_rows is not None:
            count = f" — {self.n_rows} row{'s' if self.n_rows != 1 else ''}"
        lines = [f"{where}: {self.check}{count}."]
        if self.examples is not None and len(self.examples):
            lines.append(format_examples(_displayable(self.examples)))
        lines.append(f"    How to fix: {self.fix}")
        return "\n".join(lines)


def _displayable(frame: pd.DataFrame) -> pd.DataFrame:
    """Example rows with empty cells shown as ``<empty>``."""
    shown = frame.head(5).astype(object)
    return shown.where(shown.notna(), "<empty>")


def _error(problems: Sequence[Problem]) -> SchemaError:
    """One :class:`SchemaError` for all problems."""
    n = len(problems)
    head = (
        "The input data breaks the data contract"
        + (f" ({n} problems):" if n > 1 else ":")
    )
    body = [head, ""]
    for i, problem in enumerate(problems, 1):
        text = problem.describe()
        body.append(f"{i}. {text}" if n > 1 else text)
        body.append("")
    if any(p.examples is not None and len(p.examples) for p in problems):
        body.append(_ROW_NOTE)
    first = problems[0]
    return SchemaError(
        "\n".join(body).rstrip("\n"),
        file=first.file,
        column=first.column,
        n_rows=first.n_rows,
        examples=first.examples,
        problems=list(problems),
    )


class _Refused(Exception):
    """Internal: a table cannot be read further; carries its problems."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems[0].check)
        self.problems = list(problems)


def _refuse(file: str, check: str, fix: str, table: str | None, column: str | None = None,
            n_rows: int | None = None, examples: pd.DataFrame | None = None) -> _Refused:
    return _Refused(Problem(file, column, check, n_rows, examples, fix, table))


# ------------------------------------------------------------------- reading
def _fail(file: str | None, check: str, fix: str, column: str | None = None,
          table: str | None = None) -> SchemaError:
    """A :class:`SchemaError` for one problem that is not about rows."""
    return _error([Problem(file or "<input>", column, check, None, None, fix, table)])


def _find_files(folder: Path) -> dict[str, Path]:
    """``{table: path}`` of the contract files in ``folder``."""
    optional = ", ".join(f"{t}.csv/.parquet" for t in TABLE_NAMES[1:])
    expected = f"employees.csv or employees.parquet (required), and optionally {optional}"
    if not folder.exists():
        raise _fail(str(folder), f"the data folder does not exist; expected a folder holding "
                    f"{expected}", "Pass the folder that holds the exports.")
    if not folder.is_dir():
        raise _fail(str(folder), f"this is a file, not a folder; expected a folder holding "
                    f"{expected}", "Pass the folder that holds the exports.")
    found: dict[str, Path] = {}
    for table in TABLE_NAMES:
        paths = [folder / f"{table}{sfx}" for sfx in SUFFIXES]
        paths = [p for p in paths if p.is_file()]
        if len(paths) > 1:
            raise _fail(
                str(folder),
                f"the folder holds both {paths[0].name} and {paths[1].name}, so it is not "
                f"clear which {table} table to use",
                f"Remove (or move out of the folder) one of them: {paths[0].name} or "
                f"{paths[1].name}.", table=table)
        if paths:
            found[table] = paths[0]
    if "employees" not in found:
        present = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        listing = ", ".join(present) if present else "nothing"
        close = difflib.get_close_matches("employees", [Path(n).stem for n in present], n=1)
        hint = (f" Is {close[0]!r} the employees table? Then name it employees.csv "
                "(or employees.parquet)." if close else "")
        raise _fail(
            str(folder),
            f"the required employees table is missing. Found: {listing}. Expected: {expected}",
            f"Export the HR master (one row per employee) as employees.csv or "
            f"employees.parquet into this folder.{hint}", table="employees")
    return found


def _read_csv(path: Path, table: str | None) -> pd.DataFrame | _CsvFile:
    """A CSV file with every column as strings; empty cells missing.

    A file with two or more named columns is not read yet: a :class:`_CsvFile`
    is returned, which the table's conversion reads, typed, when its turn
    comes (:func:`attrition.data._fast_csv.read_clean_csv`), or as text
    (:meth:`_CsvFile.text`, what this function returns for other files) when
    the file is not clean.
    """
    sep, names = _csv_header(path, table)
    if _STR is not object and len(names) >= 2 and all(str(n).strip() for n in names):
        return _CsvFile(path, table, sep, names)
    return _read_csv_text(path, table, sep, names)


class _CsvFile:
    """A CSV file whose header has been checked, not read yet; renamed like a frame.

    ``columns`` are the names after the configured renaming (``rename``, as
    :func:`_rename` applies it to a frame). :meth:`clean` gives the validated
    frame of a clean file, :meth:`text` the file as text (every column
    strings), as the loader's full conversion and validation need it.
    """

    def __init__(self, path: Path, table: str | None, sep: str, names: Sequence[str],
                 mapping: Mapping[str, str] | None = None) -> None:
        self.path, self.table, self.sep, self.names = path, table, sep, list(names)
        self.mapping = dict(mapping or {})

    @property
    def columns(self) -> list[str]:
        return [self.mapping.get(n, n) for n in self.names]

    def rename(self, columns: Mapping[str, str]) -> _CsvFile:
        current = self.columns
        mapping = {old: columns.get(new, new) for old, new in zip(self.names, current, strict=True)}
        return _CsvFile(self.path, self.table, self.sep, self.names,
                        {k: v for k, v in mapping.items() if k != v})

    def clean(self, schema: pa.DataFrameSchema, key: Sequence[str]) -> pd.DataFrame | None:
        """The validated frame, or ``None`` when the file needs the full path."""
        try:
            return read_clean_csv(self.path, self.sep, self.names, self.mapping, schema, key,
                                  self.table)
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - whatever the typed read trips on, the full path says
            return None

    def text(self) -> pd.DataFrame:
        """The file as text, renamed (raises ``_Refused`` when it cannot be read)."""
        frame = _read_csv_text(self.path, self.table, self.sep, self.names)
        return frame.rename(columns=self.mapping) if self.mapping else frame


def _csv_header(path: Path, table: str | None) -> tuple[str, list[str]]:
    """The separator and column names of a CSV file's header; refuses unreadable headers."""
    src = str(path)
    if path.stat().st_size == 0:
        raise _refuse(src, "the file is empty (0 bytes)",
                      "Export the table again with its header row, or remove the file "
                      "if the table is not available (only employees is required).", table)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
    except UnicodeDecodeError:
        header = None
    if header is None:
        raise _refuse(src, "the file is not UTF-8 text",
                      "Save or export the file as UTF-8 (CSV UTF-8 in Excel).", table)
    if not header.strip():
        raise _refuse(src, "the file is empty (no header row)",
                      "Export the table again with its header row, or remove the file.", table)
    sep = ","
    if "," not in header:
        if ";" in header:
            sep = ";"
        elif "\t" in header:
            sep = "\t"
    names = next(csv.reader([header], delimiter=sep))
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _refuse(src, f"the header repeats column name(s) {', '.join(map(repr, dupes))}",
                      "Give every column a distinct name.", table, column=dupes[0])
    return sep, names


def _read_csv_text(path: Path, table: str | None, sep: str, names: Sequence[str]) -> pd.DataFrame:
    """The CSV file read with every column as strings; empty cells missing."""
    src = str(path)
    frame = _read_csv_arrow(path, sep, names)
    if frame is not None:
        return frame
    try:
        with warnings.catch_warnings():
            # a row with more fields than the header would otherwise lose data
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                                encoding="utf-8-sig", index_col=False)
    except UnicodeDecodeError:
        raise _refuse(src, "the file is not UTF-8 text",
                      "Save or export the file as UTF-8 (CSV UTF-8 in Excel).", table) from None
    except pd.errors.EmptyDataError:
        raise _refuse(src, "the file is empty",
                      "Export the table again with its header row.", table) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, csv.Error) as exc:
        detail = str(exc).strip().replace("Error tokenizing data. C error: ", "")
        if isinstance(exc, pd.errors.ParserWarning):
            detail = "a row has more fields than the header"
        raise _refuse(src, f"the file cannot be read as CSV ({detail})",
                      f"Check that every row has as many '{sep}'-separated fields as the "
                      "header, and that text with separators is quoted.", table) from None
    for col in frame.columns:
        s = frame[col]
        frame[col] = s.where(s != "")
    return frame


def _read_csv_arrow(path: Path, sep: str, names: Sequence[str]) -> pd.DataFrame | None:
    """The CSV file read by Arrow's multi-threaded reader, every column text; ``None`` to fall back.

    Gives what the pandas reader below gives for well-formed UTF-8 files (every
    column the ``str`` dtype, empty cells and ``""`` missing, values as written)
    in a fraction of the time. Anything Arrow refuses — a row with more or
    fewer fields than the header, bytes that are not UTF-8, a stray quote —
    returns ``None``, and the pandas reader reads the file again to say
    precisely what is wrong (or to read what it accepts, as before).
    """
    if len(names) < 2 or any(not str(n).strip() for n in names):
        # One-column files (a roster): pandas skips whitespace-only lines, Arrow keeps them as
        # values; an empty header name reads 'Unnamed: k' in pandas. Small files: read as before.
        return None
    convert = pcsv.ConvertOptions(
        column_types={name: pyarrow.string() for name in names},
        strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""])
    parse = pcsv.ParseOptions(delimiter=sep, newlines_in_values=True)
    try:
        table = pcsv.read_csv(path, parse_options=parse, convert_options=convert)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError,
            UnicodeDecodeError):
        return None
    if table.column_names != list(names):  # e.g. a BOM or quoting the header parse did not expect
        return None
    if _STR is object:  # pragma: no cover - older pandas
        return table.to_pandas()
    return table.to_pandas(types_mapper={pyarrow.string(): _STR, pyarrow.large_string(): _STR}.get)


def _read_parquet(path: Path, table: str | None) -> pd.DataFrame:
    src = str(path)
    if path.stat().st_size == 0:
        raise _refuse(src, "the file is empty (0 bytes)",
                      "Export the table again, or remove the file if the table is "
                      "not available (only employees is required).", table)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise _refuse(src, f"the file cannot be read as Parquet ({type(exc).__name__}: {exc})",
                      "Export the table again as Parquet, or as CSV.", table) from None
    if not isinstance(frame.index, pd.RangeIndex):
        named = any(n is not None for n in frame.index.names)
        frame = frame.reset_index(drop=not named)
    frame.columns = [str(c) for c in frame.columns]
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise _refuse(src, f"repeated column name(s) {', '.join(map(repr, dupes))}",
                      "Give every column a distinct name.", table, column=dupes[0])
    return frame.reset_index(drop=True)


def _read_file(path: Path, table: str | None) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path, table)
    return _read_csv(path, table)


def _rename(frame: pd.DataFrame, mapping: Mapping[str, str], table: str, src: str) -> pd.DataFrame:
    """Apply the configured renaming (file name → contract name)."""
    if not mapping:
        return frame
    columns = list(frame.columns)
    problems = []
    for old, new in mapping.items():
        if old not in columns:
            close = difflib.get_close_matches(old, columns, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(Problem(
                src, old,
                f"the configuration maps column '{old}' to '{new}', but the file has no "
                f"column '{old}' (its columns: {', '.join(columns)})",
                None, None,
                f"Correct the name under columns.{table} in the configuration, or remove "
                f"the mapping.{hint}", table))
    targets = list(mapping.values())
    for new in sorted({t for t in targets if targets.count(t) > 1}):
        olds = [o for o, n in mapping.items() if n == new]
        problems.append(Problem(
            src, new, f"the configuration maps several columns ({', '.join(olds)}) to '{new}'",
            None, None, f"Map only one column of the file to '{new}'.", table))
    for old, new in mapping.items():
        if old in columns and new in columns and new not in mapping and old != new:
            problems.append(Problem(
                src, new,
                f"the configuration renames '{old}' to '{new}', but the file already has "
                f"a column '{new}'",
                None, None,
                f"Remove the mapping, or also map the existing '{new}' column to another "
                f"name under columns.{table}.", table))
    if problems:
        raise _Refused(*problems)
    return frame.rename(columns=dict(mapping))


# ---------------------------------------------------------------- converting
def _is_stringish(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype)


def _unbox(s: pd.Series) -> pd.Series:
    """Categorical and Arrow-backed columns as plain pandas columns; ``""`` missing."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if isinstance(s.dtype, pd.ArrowDtype):
        try:
            s = s.astype(s.dtype.numpy_dtype)
        except (TypeError, ValueError, NotImplementedError):
            s = s.astype(object)
    if pd.api.types.is_string_dtype(s.dtype) or pd.api.types.is_object_dtype(s.dtype):
        empty = (s == "").to_numpy(dtype=bool, na_value=False)
        if empty.any():
            s = s.where(pd.Series(~empty, index=s.index))
    return s


def _object_parts(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the string and of the other non-missing values of an object column."""
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    present = s.notna().to_numpy()
    if inferred in ("string", "empty"):
        return present, np.zeros(len(s), dtype=bool)
    is_str = np.fromiter((isinstance(v, str) for v in s.to_numpy()), dtype=bool, count=len(s))
    return is_str & present, present & ~is_str


def _to_string(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text column → ``str`` dtype; returns the values and a mask of refused rows."""
    s = _unbox(s)
    n = len(s)
    bad = np.zeros(n, dtype=bool)
    if _is_stringish(s):
        return s.astype(_STR), bad
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index, dtype=_STR), s.notna().to_numpy()
    if pd.api.types.is_integer_dtype(s.dtype):
        out = s.astype("Int64").astype(_STR)
        return out.where(s.notna()), bad
    if pd.api.types.is_float_dtype(s.dtype):
        values = s.astype("float64")
        whole = (values % 1 == 0).to_numpy()
        bad = values.notna().to_numpy() & ~whole
        ok = values.where(pd.Series(whole, index=s.index))
        out = ok.astype("Int64").astype(_STR)
        return out.where(ok.notna()), bad
    if pd.api.types.is_object_dtype(s.dtype):
        is_str, other = _object_parts(s)
        if not other.any():
            return s.where(pd.Series(is_str, index=s.index)).astype(_STR), bad
        out = s.where(pd.Series(is_str, index=s.index)).astype(object)
        for i in np.flatnonzero(other):
            v = s.iat[i]
            if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                out.iat[i] = str(int(v))
            elif isinstance(v, (float, np.floating)) and float(v).is_integer():
                out.iat[i] = str(int(v))
            else:
                bad[i] = True
        return out.astype(_STR), bad
    return pd.Series(np.nan, index=s.index, dtype=_STR), s.notna().to_numpy()


def _arrow_strings(s: pd.Series):
    """``s`` as an Arrow string array, or ``None`` when it is not a column of text."""
    if not _is_stringish(s):
        return None
    try:
        arr = pyarrow.array(s, from_pandas=True)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError):
        return None
    return arr if pyarrow.types.is_string(arr.type) or pyarrow.types.is_large_string(arr.type) else None


def _arrow_numbers(s: pd.Series) -> np.ndarray | None:
    """Fast strict parse of a text column with Arrow; ``None`` if any value fails.

    Arrow accepts a subset of what :func:`pandas.to_numeric` accepts (no
    surrounding spaces), so the slow path only runs for unusual data.
    """
    arr = _arrow_strings(s)
    if arr is None:
        return None
    try:
        return pc.cast(arr, pyarrow.float64()).to_numpy(zero_copy_only=False)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError):
        return None


def _to_number(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numeric column → ``float64``; non-numeric and infinite values refused."""
    s = _unbox(s)
    n = len(s)
    dtype = s.dtype
    if (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
            or pd.api.types.is_timedelta64_dtype(dtype) or isinstance(dtype, pd.PeriodDtype)):
        return pd.Series(np.nan, index=s.index, dtype="float64"), s.notna().to_numpy()
    refused = np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype):
        out = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
    else:
        if pd.api.types.is_object_dtype(dtype):
            _, other = _object_parts(s)
            if other.any():
                idx = np.flatnonzero(other)
                is_num = np.fromiter(
                    (isinstance(v, (numbers.Number, decimal.Decimal))
                     and not isinstance(v, (bool, np.bool_, complex)) for v in s.to_numpy()[idx]),
                    dtype=bool, count=len(idx))
                refused[idx[~is_num]] = True
                s = s.where(pd.Series(~refused, index=s.index))
        fast = _arrow_numbers(s)
        if fast is not None:
            out = pd.Series(fast, index=s.index)
        else:
            out = pd.to_numeric(s, errors="coerce")
            out = pd.Series(out.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        refused |= s.notna().to_numpy() & np.isnan(out.to_numpy())
    refused |= np.isinf(out.to_numpy())
    if refused.any():
        out[refused] = np.nan
    return out, refused


def _dates_from_datetimes(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Datetime-like values → midnight ``datetime64[ns]``; times of day refused."""
    values = pd.Series(values)
    if getattr(values.dtype, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    present = values.notna().to_numpy()
    out_of_range = present & ((values < _DATE_MIN) | (values > _DATE_MAX)).to_numpy()
    values = values.where(~pd.Series(out_of_range, index=values.index))
    timed = (values.notna() & (values != values.dt.normalize())).to_numpy()
    values = values.where(~pd.Series(timed, index=values.index))
    return values.astype("datetime64[ns]"), out_of_range | timed


def _arrow_dates(s: pd.Series) -> pd.Series | None:
    """Fast strict parse of a text column of ``YYYY-MM-DD`` dates; ``None`` unless every value is one.

    Arrow's cast to ``date32`` accepts exactly ``YYYY-MM-DD`` with a real
    calendar day (no spaces, no time, no ``2024-02-30``); values must also be
    10 bytes long and lie in 1678–2262. Anything else is left to the slow
    path, which says which rows are wrong.
    """
    arr = _arrow_strings(s)
    if arr is None:
        return None
    try:
        if pc.any(pc.not_equal(pc.binary_length(arr), 10)).as_py():
            return None
        days = pc.cast(arr, pyarrow.date32())
        low, high = pc.min_max(days).values()
        if low.is_valid and (pd.Timestamp(low.as_py()) < _DATE_MIN or pd.Timestamp(high.as_py()) > _DATE_MAX):
            return None
        values = pc.cast(days, pyarrow.timestamp("ns")).to_numpy(zero_copy_only=False)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError):
        return None
    return pd.Series(values, index=s.index, dtype="datetime64[ns]")


def _to_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Date column → ``datetime64[ns]``; strings must be exactly ``YYYY-MM-DD``."""
    s = _unbox(s)
    n = len(s)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _dates_from_datetimes(s)
    fast = _arrow_dates(s)
    if fast is not None:
        return fast, np.zeros(n, dtype=bool)
    if _is_stringish(s):
        is_str, other = s.notna().to_numpy(), np.zeros(n, dtype=bool)
    elif pd.api.types.is_object_dtype(s.dtype):
        is_str, other = _object_parts(s)
    else:  # numbers, booleans: never dates (Excel serial numbers are not guessed)
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), s.notna().to_numpy()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    bad = np.zeros(n, dtype=bool)
    if is_str.any():
        text = s[is_str].astype(_STR)
        iso = text.str.fullmatch(_ISO_DATE).to_numpy(dtype=bool, na_value=False)
        parsed = pd.to_datetime(text.where(pd.Series(iso, index=text.index)),
                                format="%Y-%m-%d", errors="coerce")
        bad_str = ~iso | parsed.isna().to_numpy()
        good = parsed.where(pd.Series(~bad_str, index=text.index))
        good, bad_range = _dates_from_datetimes(good)
        out.iloc[np.flatnonzero(is_str)] = good.to_numpy()
        bad[np.flatnonzero(is_str)] = bad_str | bad_range
    if other.any():
        idx = np.flatnonzero(other)
        objs = s.iloc[idx]
        ok = np.fromiter(
            (isinstance(v, (_dt.date, np.datetime64)) for v in objs.to_numpy()),
            dtype=bool, count=len(idx))
        converted = pd.to_datetime(objs.where(pd.Series(ok, index=objs.index)), errors="coerce")
        converted, bad_range = _dates_from_datetimes(converted)
        out.iloc[idx] = converted.to_numpy()
        bad[idx] = ~ok | converted.isna().to_numpy() | bad_range
    return out, bad


def _to_time(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``HH:MM`` column → strings (Parquet time values formatted ``HH:MM``)."""
    s = _unbox(s)
    if pd.api.types.is_object_dtype(s.dtype):
        _, other = _object_parts(s)
        if other.any():
            s = s.astype(object).copy()
            bad = np.zeros(len(s), dtype=bool)
            for i in np.flatnonzero(other):
                v = s.iat[i]
                if isinstance(v, _dt.time) and v.second == 0 and v.microsecond == 0:
                    s.iat[i] = v.strftime("%H:%M")
                else:
                    bad[i] = True
                    s.iat[i] = np.nan
            return s.astype(_STR), bad
    return _to_string(s)


_CONVERTERS = {
    "string": _to_string,
    "time": _to_time,
    "date": _to_date,
    "number": _to_number,
    "integer": _to_number,
}

_KIND_RULE = {
    "string": ("must be text", "Write the value as text."),
    "time": ("must be a time HH:MM", "Write times as HH:MM, e.g. 09:30."),
    "date": (
        "must be a date written YYYY-MM-DD",
        "Write dates as YYYY-MM-DD, e.g. 2024-01-31 (Parquet: a date column). Other "
        "formats are refused, never guessed: 05/01/2024 could be 5 January or 1 May. "
        "Leave the cell empty for a missing date; dates must lie between 1678 and 2262.",
    ),
    "number": (
        "must be a number",
        "Write plain numbers with a '.' decimal point and no thousands separator, "
        "unit or text (e.g. 1234.5); leave the cell empty when the value is unknown.",
    ),
}
_KIND_RULE["integer"] = _KIND_RULE["number"]


# ---------------------------------------------------------------- validating
def _codes(s: pd.Series) -> np.ndarray:
    """Integer codes of a column's values (missing: one code of its own), by hashing."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.to_numpy().view("int64")
    if _is_stringish(s):
        try:
            arr = pyarrow.array(s, from_pandas=True)
            if isinstance(arr, pyarrow.ChunkedArray):
                arr = arr.combine_chunks()
            codes = pc.dictionary_encode(arr, null_encoding="encode").indices
            return codes.to_numpy(zero_copy_only=False).astype(np.int64)
        except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError):
            pass
    return pd.factorize(s, use_na_sentinel=False)[0].astype(np.int64)


def _duplicate_rows(frame: pd.DataFrame, key: Sequence[str]) -> np.ndarray:
    """Positions of every row whose ``key`` values another row repeats (missing equals missing).

    The rows pandera's ``unique`` rule reports (``duplicated(keep=False)``),
    found by sorting integer codes rather than comparing rows of text.
    """
    combined = np.zeros(len(frame), dtype=np.int64)
    for col in key:
        codes = _codes(frame[col])
        _, codes = np.unique(codes, return_inverse=True)
        combined = combined * (int(codes.max(initial=0)) + 1) + codes.reshape(-1)
        _, combined = np.unique(combined, return_inverse=True)
        combined = combined.reshape(-1).astype(np.int64)
    if len(combined) < 2:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(combined, kind="stable")
    ranked = combined[order]
    same = ranked[1:] == ranked[:-1]
    dup = np.zeros(len(ranked), dtype=bool)
    dup[1:] |= same
    dup[:-1] |= same
    return np.sort(order[dup])


#: The schemas with their ``unique`` rule removed (checked by :func:`_duplicate_rows` instead).
_WITHOUT_UNIQUE: dict[int, pa.DataFrameSchema] = {}


def _without_unique(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    found = _WITHOUT_UNIQUE.get(id(schema))
    if found is None:
        found = copy.deepcopy(schema)
        found.unique = None
        _WITHOUT_UNIQUE[id(schema)] = found
    return found


def _id_runs(ids: pd.Series, known: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The first row of each run of equal ids, and that id's position in ``known``, by hashing.

    Rows of a daily table come in runs of one employee's rows, so each run's
    id is looked up once (every row is its own run when runs are short).
    Positions are ``-1`` for an id not in ``known`` or missing. ``None`` when
    the ids are not text columns.
    """
    if not (_is_stringish(ids) and _is_stringish(known)):
        return None
    try:
        values = pyarrow.array(ids, from_pandas=True)
        value_set = pyarrow.array(known, from_pandas=True)
        n = len(values)
        if n > 1024:
            same = pc.equal(values.slice(1), values.slice(0, n - 1)).fill_null(False)
            heads = np.ones(n, dtype=bool)
            heads[1:] = ~same.to_numpy(zero_copy_only=False)
            starts = np.flatnonzero(heads)
            if len(starts) <= n // 8:
                pos = pc.index_in(values.filter(pyarrow.array(heads)), value_set=value_set)
                return starts, pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        pos = pc.index_in(values, value_set=value_set)
        return np.arange(n), pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError):
        return None


def _run_lengths(starts: np.ndarray, n: int) -> np.ndarray:
    return np.diff(np.append(starts, n))


def _positions_in(ids: pd.Series, known: pd.Series) -> np.ndarray:
    """Each id's position in ``known`` (``-1``: not there, or missing), by hashing."""
    runs = _id_runs(ids, known)
    if runs is not None:
        starts, pos = runs
        return pos if len(starts) == len(ids) else np.repeat(pos, _run_lengths(starts, len(ids)))
    known = pd.Index(known)
    first = np.flatnonzero(~known.duplicated(keep="first"))  # ids repeated in known: the first
    pos = known[first].get_indexer(ids)
    return np.where(ids.notna().to_numpy() & (pos >= 0), first[np.maximum(pos, 0)], -1)


class _Table:
    """One table on its way through conversion and validation."""

    def __init__(self, name: str, raw: pd.DataFrame, source: str,
                 schema: pa.DataFrameSchema | None = None) -> None:
        self.name = name
        self.source = source
        self.raw = raw if isinstance(raw, _CsvFile) else raw.reset_index(drop=True)
        self.schema = SCHEMAS[name] if schema is None else schema
        self.problems: list[Problem] = []
        self.frame: pd.DataFrame | None = None
        #: Rows per column already reported by conversion, not to be reported twice.
        self._reported: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------ helpers
    def example_columns(self, involved: Sequence[str]) -> list[str]:
        """Key columns (or employee_id) then the columns involved, as in the file."""
        wanted = list(KEYS.get(self.name) or ["employee_id"]) + list(involved)
        cols: list[str] = []
        for c in wanted:
            if c in self.raw.columns and c not in cols:
                cols.append(c)
        return cols

    def add(self, column: str | None, check: str, rows: np.ndarray | None, fix: str,
            involved: Sequence[str] = (), *, keep_order: bool = False) -> None:
        """Record a problem; ``rows`` are 0-based positions of offending rows."""
        examples = None
        n_rows = None
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            if keep_order:
                _, first = np.unique(rows, return_index=True)
                rows = rows[np.sort(first)]
            else:
                rows = np.unique(rows)
            n_rows = len(rows)
            if n_rows == 0:
                return
            cols = self.example_columns(involved or ([column] if column else []))
            examples = self.raw.iloc[rows[:5]]
            if cols:
                examples = examples[cols]
        self.problems.append(Problem(self.source, column, check, n_rows, examples, fix, self.name))

    def missing_column_fix(self, column: str) -> str:
        found = [str(c) for c in self.raw.columns]
        by_lower = {c.lower().strip(): c for c in found}
        # A column already named as another contract column is not this one under another name;
        # names are compared in lower case without separators ('EmpID' ~ 'employee_id').
        others = [c for c in found if c not in self.schema.columns]
        squashed = {c.lower().replace("_", "").replace(" ", "").replace("-", ""): c for c in others}
        close = [by_lower[column]] if column in by_lower else [squashed[m] for m in difflib.get_close_matches(
            column.replace("_", ""), list(squashed), n=1, cutoff=0.6)]
        if close:
            return (f"The file has a column '{close[0]}': if that is {column}, map it in the "
                    f"configuration (columns: {{{self.name}: {{'{close[0]}': {column}}}}}); "
                    f"otherwise add a '{column}' column.")
        return (f"Add a '{column}' column, or if the export names it differently, map that "
                f"name in the configuration "
                f"(columns: {{{self.name}: {{<name in file>: {column}}}}}).")

    # -------------------------------------------------------------- steps
    def convert(self) -> pd.DataFrame:
        """The raw frame in the in-memory conventions; refused values become missing."""
        raw = self.raw
        data: dict[str, pd.Series] = {}
        for name, column in self.schema.columns.items():
            kind = column_kind(column)
            if name not in raw.columns:
                if column.required:
                    continue  # pandera reports it
                if kind == "date":
                    data[name] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
                elif kind in ("number", "integer"):
                    data[name] = pd.Series(np.nan, index=raw.index, dtype="float64")
                else:
                    data[name] = pd.Series(np.nan, index=raw.index, dtype=_STR)
                continue
            values, bad = _CONVERTERS[kind](raw[name])
            if bad.any():
                rule, fix = _KIND_RULE[kind]
                self._reported[name] = np.flatnonzero(bad)
                self.add(name, rule, self._reported[name], fix)
            data[name] = values
        for name in raw.columns:
            if name not in data:
                data[name] = raw[name]
        frame = pd.DataFrame(data, index=raw.index)
        if self.name == "surveys" and "item" in frame.columns:
            frame["scale_max"] = effective_scale_max(frame)
        return frame

    def validate(self) -> pd.DataFrame:
        """Convert, validate with pandera and collect the problems.

        A CSV file not read yet (:class:`_CsvFile`) is read typed and checked
        on arrays; only when that cannot vouch for it is it read as text and
        converted and validated here (raising ``_Refused`` if it cannot be read).
        """
        if isinstance(self.raw, _CsvFile):
            key = [self.schema.unique] if isinstance(self.schema.unique, str) else list(
                self.schema.unique or [])
            self.frame = self.raw.clean(self.schema, key)
            if self.frame is not None:
                return self.frame
            self.raw = self.raw.text()
        if self.name in ("employees", "roster") and len(self.raw) == 0:
            what = "employees" if self.name == "employees" else "rows"
            self.problems.append(Problem(
                self.source, None, f"there are no {what} (the file has a header but no rows)",
                0, None,
                "Export the HR master with one row per employee, leavers included."
                if self.name == "employees"
                else "List the employees to score, one employee_id per row.", self.name))
        self.frame = self.convert()
        schema = self.schema
        key = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique or [])
        if key and all(c in self.frame.columns for c in key):
            # The same rows pandera's unique rule reports, found by sorting codes (pandera
            # compares rows of text: several times slower than reading the file).
            schema = _without_unique(schema)
            self.add_duplicates(_duplicate_rows(self.frame, key), None)
        try:
            self.frame = schema.validate(self.frame, lazy=True)
        except SchemaErrors as exc:
            self.translate(exc)
        return self.frame

    def translate(self, exc: SchemaErrors) -> None:
        """Turn pandera's failures into :class:`Problem` records."""
        for err in exc.schema_errors:
            reason = err.reason_code
            check = err.check
            fc = err.failure_cases
            rows = None
            if isinstance(fc, pd.DataFrame) and "index" in fc.columns:
                idx = pd.to_numeric(fc["index"], errors="coerce").dropna()
                rows = idx.astype(np.int64).to_numpy()
            column = getattr(err, "column_name", None)
            if column is None and isinstance(err.schema, pa.Column):
                column = err.schema.name
            if reason == SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME:
                missing = str(fc.iloc[0, 0]) if isinstance(fc, pd.DataFrame) else str(fc)
                found = ", ".join(repr(str(c)) for c in self.raw.columns) or "none"
                self.problems.append(Problem(
                    self.source, missing,
                    f"the required column is missing, so every row lacks it (the file's "
                    f"columns are: {found})",
                    len(self.raw), self.raw.head(5) if len(self.raw.columns) else None,
                    self.missing_column_fix(missing), self.name))
            elif reason == SchemaErrorReason.SERIES_CONTAINS_NULLS:
                if column in self._reported and rows is not None:
                    rows = np.setdiff1d(rows, self._reported[column])
                self.add(column, "must not be empty", rows,
                         f"Fill in {column} in every row; it is required.")
            elif reason in (SchemaErrorReason.DUPLICATES,
                            SchemaErrorReason.SERIES_CONTAINS_DUPLICATES):
                self.add_duplicates(rows, column)
            elif reason == SchemaErrorReason.DATAFRAME_CHECK and isinstance(check, pa.Check):
                stats = check.statistics or {}
                words = describe_check(check)
                involved = list(stats.get("columns", []))
                if involved:  # a rule across columns
                    self.add(stats.get("column", involved[-1]), f"must satisfy {words}", rows,
                             check_fix(check) or "Correct these rows.", involved)
                else:
                    self.add(column, _phrase(check, words), rows,
                             check_fix(check) or _fix_for(check, column, words))
            elif reason == SchemaErrorReason.WRONG_DATATYPE:
                self.add(column, f"has the wrong type (expected {err.check})", rows,
                         "Pass the column in the in-memory conventions of attrition.tables.")
            else:
                self.add(column, f"breaks the rule {err.check}", rows,
                         "Check the table against docs/tables.md.")

    def add_duplicates(self, rows: np.ndarray | None, column: str | None) -> None:
        key = list(KEYS.get(self.name) or ([column] if column else []))
        if rows is None or not key or self.frame is None:
            return
        rows = np.unique(rows)
        present = [c for c in key if c in self.frame.columns]
        # rows with an empty key part are reported as empty, not as duplicates
        rows = rows[self.frame.iloc[rows][present].notna().all(axis=1).to_numpy()]
        if len(rows) == 0:
            return
        # show repeated keys next to each other
        sub = self.frame.iloc[rows][present]
        order = np.lexsort([sub[c].astype(str).to_numpy() for c in reversed(present)])
        rows = rows[order]
        words = ", ".join(key)
        n_keys = len(sub.drop_duplicates())
        repeat = f"{n_keys} value{'s repeat' if n_keys != 1 else ' repeats'}"
        check = (f"({words}) must be unique, but {repeat}" if len(key) > 1
                 else f"{words} must be unique, but {repeat}")
        fix = (f"Keep one row per ({words}): remove or merge the repeated rows"
               + (" (exports of overlapping periods repeat days)"
                  if self.name in ("schedule", "workload") else "") + ".")
        self.add(words, check, rows, fix, key, keep_order=True)


def _phrase(check: pa.Check, words: str) -> str:
    if check.name in ("isin", "notin", "whole_number") or check.name == "str_matches":
        return f"must be {words}"
    return f"must satisfy {words}"


def _fix_for(check: pa.Check, column: str | None, words: str) -> str:
    stats = check.statistics or {}
    if check.name == "isin":
        allowed = ", ".join(map(str, stats["allowed_values"]))
        return (f"Use exactly one of the allowed values ({allowed}; "
                "lower case, no spaces), or leave the cell empty when the column may be empty. "
                "Translate the export's own codes to these before loading.")
    if check.name == "in_range" and stats.get("max_value") == 1:
        return (f"{column} is a share from 0 to 1 (0.93 means 93%); if the export gives "
                "percentages, divide them by 100.")
    if check.name == "str_matches":
        return "Write times as HH:MM on a 24-hour clock, e.g. 07:30 or 22:00."
    return f"Correct the values so that {words.replace('x', column or 'x', 1)}."


def _run(raws: dict[str, pd.DataFrame | Callable[[], pd.DataFrame]], sources: Mapping[str, str],
         problems: Sequence[Problem] = (),
         schemas: Mapping[str, pa.DataFrameSchema] | None = None) -> dict[str, pd.DataFrame]:
    """Convert and validate every table; raise one SchemaError for all problems.

    ``schemas`` gives the schema of tables that are not contract tables (the
    declared ones, :func:`attrition.data._declared.declared_schema`).
    ``raws`` is emptied as the tables are converted: each file's text (Arrow
    columns) is released once its table is converted and checked, so the
    text of every file and every converted table are never held together.
    A value of ``raws`` may be a function that reads the file (raising
    ``_Refused``): it is called when the table's turn comes, so only one
    file's text is held at a time.
    """
    problems = list(problems)
    unknown: list[Problem] = []
    checked: dict[str, _Table] = {}
    emp: _Table | None = None
    # employees first: each other table's ids are checked against it as soon as it is converted
    for name in sorted(raws, key=lambda n: n != "employees"):
        raw = raws.pop(name)
        if callable(raw):  # read now: a file that cannot be read is reported with the others
            try:
                raw = raw()
            except _Refused as refused:
                problems.extend(refused.problems)
                continue
        table = _Table(name, raw, sources[name], (schemas or {}).get(name))
        del raw
        try:
            table.validate()
        except _Refused as refused:  # a file read only now, that cannot be read
            problems.extend(refused.problems)
            continue
        problems.extend(table.problems)
        if name == "employees":
            emp = table
        elif emp is not None:
            unknown.extend(_unknown_ids(emp, name, table))
        table.raw = None  # the problems hold their example rows: the text is not needed any more
        checked[name] = table
    problems.extend(unknown)
    if problems:
        order = {name: i for i, name in enumerate((*TABLE_NAMES, "roster"))}
        problems.sort(key=lambda p: order.get(p.table, len(order)))
        raise _error(problems)
    return {name: t.frame for name, t in checked.items()}


def _unknown_ids(emp: _Table, name: str, table: _Table) -> list[Problem]:
    """Rows of ``table`` (not employees) whose employee_id is not in employees."""
    if emp.frame is None or "employee_id" not in emp.frame.columns:
        return []
    known = emp.frame["employee_id"].dropna()
    problems = []
    if table.frame is not None and "employee_id" in table.frame.columns:
        ids = table.frame["employee_id"]
        runs = _id_runs(ids, known)
        if runs is not None and (runs[1] >= 0).all():  # every id found: nothing to report
            return []
        unknown = ids.notna().to_numpy() & (_positions_in(ids, known) < 0)
    else:
        unknown = np.zeros(0, dtype=bool)
    if unknown.any():
        if isinstance(table.raw, _CsvFile):  # read typed: the example rows as written
            table.raw = table.raw.text()
        rows = np.flatnonzero(unknown)
        n_ids = ids[unknown].nunique()
        some = ", ".join(repr(v) for v in ids[unknown].drop_duplicates().head(5))
        problems.append(Problem(
            table.source, "employee_id",
            f"must be an employee_id of {emp.source}, but {n_ids} id"
            f"{'s are' if n_ids != 1 else ' is'} not there ({some}"
            f"{', ...' if n_ids > 5 else ''})",
            len(rows),
            table.raw.iloc[rows[:5]][table.example_columns([])],
            f"Every employee in {name} must appear in {emp.source}: export the HR master "
            "with everyone who was ever employed in the period (leavers included), and use "
            "the same ids (or the same pseudonyms) in every file; ids are compared exactly, "
            "including leading zeros and spaces.",
            name))
    return problems


def _warn_outside_employment(frames: Mapping[str, pd.DataFrame], sources: Mapping[str, str],
                             stacklevel: int) -> None:
    """Warn about schedule/workload rows dated outside the employment."""
    emp = frames["employees"]
    # Each id's first row in employees (as drop_duplicates keeps it), then integer arrays: a
    # comparison with a missing date or an id not in employees is False, as with NaT in pandas.
    nat = np.iinfo(np.int64).min
    hires = emp["hire_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    ends = emp["termination_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    hires = np.append(hires, nat)  # position -1: no hire date, so never before it
    ends = np.append(np.where(ends == nat, np.iinfo(np.int64).max, ends), np.iinfo(np.int64).max)
    for name in ("schedule", "workload"):
        frame = frames.get(name)
        if frame is None or len(frame) == 0:
            continue
        dates = frame["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        runs = _id_runs(frame["employee_id"], emp["employee_id"])
        if runs is not None:  # each run's earliest and latest date against its employment first
            starts, first = runs
            if not ((np.minimum.reduceat(dates, starts) < hires[first]).any()
                    or (np.maximum.reduceat(dates, starts) > ends[first]).any()):
                continue
            pos = np.repeat(first, _run_lengths(starts, len(dates)))
        else:
            pos = _positions_in(frame["employee_id"], emp["employee_id"])
        missing = dates == nat
        before = (dates < hires[pos]) & ~missing
        after = dates > ends[pos]
        outside = before | after
        if not outside.any():
            continue
        rows = np.flatnonzero(outside)
        first = pos[rows[:5]]  # the examples' dates as in pandas: NaT where not known
        shown = frame.iloc[rows[:5]][["employee_id", "date"]].copy()
        shown["hire_date"] = hires[first].view("datetime64[ns]")
        shown["termination_date"] = np.where(ends[first] == np.iinfo(np.int64).max, nat,
                                             ends[first]).view("datetime64[ns]")
        for col in ("date", "hire_date", "termination_date"):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
        warnings.warn(
            f"{sources.get(name, name)}: {len(rows)} row{'s' if len(rows) != 1 else ''} "
            f"({int(before.sum())} before hire_date, {int(after.sum())} after "
            f"termination_date) are dated outside the employee's employment in "
            f"{sources.get('employees', 'employees')}. They are kept, but check the "
            f"hire and termination dates (a rehire needs the current employment's dates).\n"
            + format_examples(_displayable(shown)),
            DataQualityWarning,
            stacklevel=stacklevel,
        )


#: Tables whose rows record what happened, with the date column and, for the
#: schedule, which rows count (worked shifts): none may lie after the export date.
_HAPPENED = (("workload", "date"), ("surveys", "survey_date"), ("schedule", "date"),
             ("employee_history", "effective_date"))


def _after_export(frames: Mapping[str, pd.DataFrame], sources: Mapping[str, str],
                  export: pd.Timestamp | None) -> list[Problem]:
    """Rows that record an event dated after an explicit export date (impossible).

    Workload days and survey answers cannot lie in the future of the export,
    nor can worked shifts; published future shifts (no worked time), future
    hires, resignations and booked absences can and are allowed.
    """
    if export is None:
        return []
    problems = []
    for name, col in _HAPPENED:
        frame = frames.get(name)
        if frame is None or len(frame) == 0:
            continue
        late = (frame[col] > export).to_numpy().copy()
        what = "answers"
        if name == "employee_history":
            what = "job-history rows"
        elif name == "schedule":
            late &= (frame["worked_minutes"].fillna(0) > 0).to_numpy()
            what = "worked shifts"
        elif name == "workload":
            what = "worked days"
        if not late.any():
            continue
        rows = np.flatnonzero(late)
        shown = frame.iloc[rows[:5]][["employee_id", col]].copy()
        shown[col] = shown[col].dt.strftime("%Y-%m-%d")
        problems.append(Problem(
            sources.get(name, name), col,
            f"{what} cannot be dated after the export date {export:%Y-%m-%d}",
            len(rows), shown,
            f"Check the export date (--export-date / export_date in the config): it must be the "
            f"day the files were taken, on or after their newest {what.split()[-1]}; or remove the "
            "rows that were dated in the future by mistake.",
            name))
    return problems


def _declared_after_export(frames: Mapping[str, pd.DataFrame], sources: Mapping[str, str],
                           declarations: Mapping[str, TableDeclaration],
                           export: pd.Timestamp | None) -> list[Problem]:
    """Rows of declared tables dated after an explicit export date (impossible, as for every table)."""
    if export is None:
        return []
    problems = []
    for name, decl in declarations.items():
        frame = frames.get(name)
        if frame is None or not len(frame):
            continue
        late = (frame[decl.date] > export).to_numpy()
        if not late.any():
            continue
        rows = np.flatnonzero(late)
        shown = frame.iloc[rows[:5]][["employee_id", decl.date]].copy()
        shown[decl.date] = shown[decl.date].dt.strftime("%Y-%m-%d")
        problems.append(Problem(
            sources.get(name, name), decl.date,
            f"rows cannot be dated after the export date {export:%Y-%m-%d}", len(rows), shown,
            "Check the export date (--export-date / export_date in the config), or remove the rows "
            "dated in the future by mistake.", name))
    return problems


def _declared_files(folder: Path, declarations: Mapping[str, TableDeclaration]) -> tuple[
        dict[str, Path], list[Problem]]:
    """The files of the declared tables; a declared table without its file is a problem."""
    found, problems = {}, []
    for name in declarations:
        paths = [p for p in (folder / f"{name}{sfx}" for sfx in SUFFIXES) if p.is_file()]
        if len(paths) > 1:
            problems.append(Problem(str(folder), None, f"the folder holds both {paths[0].name} and "
                                    f"{paths[1].name}", None, None,
                                    f"Remove one of them: {paths[0].name} or {paths[1].name}.", name))
        elif not paths:
            problems.append(Problem(
                str(folder), None, f"the configuration declares the table '{name}' "
                f"([tables.{name}]) but the folder has no {name}.csv or {name}.parquet", None, None,
                f"Put {name}.csv (or .parquet) in the data folder, or remove [tables.{name}] from "
                "the configuration.", name))
        else:
            found[name] = paths[0]
    return found, problems


def _parse_export_date(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    check = f"export_date must be a date written YYYY-MM-DD, got {value!r}"
    fix = "Pass e.g. export_date='2024-10-31' (or export_date = \"2024-10-31\" in the config)."
    if isinstance(value, str):
        if not re.fullmatch(_ISO_DATE, value.strip()):
            raise _fail(None, check, fix, column="export_date")
        value = value.strip()
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise _fail(None, check, fix, column="export_date") from None


# ------------------------------------------------------------------- public
def load_tables(
    data_dir: str | Path,
    *,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    export_date: Any = None,
    declare: Mapping[str, Any] | None = None,
    observed_from: Any = None,
) -> Tables:
    """Read and validate every contract table in ``data_dir``.

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``employees.csv`` or ``employees.parquet`` and optionally
        ``schedule``, ``workload``, ``absences`` and ``surveys`` files.
    columns : dict, optional
        Per-table renaming from the files' column names to the contract's,
        applied before validation (``{"schedule": {"shift_date": "date"}}``;
        ``columns`` in the configuration).
    export_date : str, date or Timestamp, optional
        The day the exports were taken (``YYYY-MM-DD``).
    declare : dict, optional
        Your own tables to read, ``{name: {"kind": ..., "date": ...,
        "columns": [...], "event": ...}}`` (``[tables.NAME]`` in the
        configuration; see :class:`attrition.data.TableDeclaration`). Each is
        validated like a contract table.
    observed_from : str, date or Timestamp, optional
        The first day the exports observe (``observed_from`` in the
        configuration); default: found from the activity tables
        (:meth:`Tables.observation_start`).

    Returns
    -------
    Tables
        Validated frames in the conventions described in :mod:`attrition.loading`,
        with ``sources`` set to the file paths.

    Raises
    ------
    SchemaError
        For any input that breaks the data contract; the message lists every
        problem found, and ``.problems`` holds them as :class:`Problem`.

    Warns
    -----
    DataQualityWarning
        When schedule or workload rows are dated outside an employment.
    """
    columns = columns or {}
    export = _parse_export_date(export_date)
    observed = _parse_export_date(observed_from) if observed_from is not None else None
    declarations = declarations_of(declare)
    files = _find_files(Path(data_dir))
    extra, problems = _declared_files(Path(data_dir), declarations)
    files = {**files, **extra}
    sources = {name: str(path) for name, path in files.items()}
    identities: dict[str, list] = {}

    def reader(name: str, path: Path) -> Callable[[], pd.DataFrame]:
        def read() -> pd.DataFrame:
            identities[name] = file_identity(path)  # before reading: a later write moves it
            return _rename(_read_file(path, name), columns.get(name, {}), name, str(path))
        return read

    # Each file is read when its turn to be converted comes (its text is released before the next
    # is read); the readable files are checked too, so that one error lists everything.
    raws = {name: reader(name, path) for name, path in files.items()}
    frames = _run(raws, sources, problems,
                  schemas={name: declared_schema(d) for name, d in declarations.items()})
    late = _after_export(frames, sources, export) + _declared_after_export(
        frames, sources, declarations, export)
    if late:
        raise _error(late)
    _warn_outside_employment(frames, sources, stacklevel=3)
    declared = {name: frames.pop(name) for name in declarations}
    for name, frame in [*frames.items(), *declared.items()]:  # data_fingerprint caches by the files' identity
        record_file_identity(frame, identities[name])
    return Tables(**frames, sources=sources, export_date=export, declared=declared,
                  declarations=declarations, observed_from=observed)


def validate_tables(tables: Tables) -> Tables:
    """Validate in-memory tables against the data contract.

    The frames may already be in the in-memory conventions (the simulator's
    output) or hold what a Parquet file could hold (ISO date strings, numeric
    strings, ``date`` objects); they are converted exactly as
    :func:`load_tables` converts files, then validated. Error messages name
    ``tables.source(name)``.

    Returns
    -------
    Tables
        A copy whose frames follow the conventions (fresh ``RangeIndex``,
        every contract column present); ``sources`` and ``export_date`` are kept.

    Raises
    ------
    SchemaError
        For anything that breaks the contract.
    """
    if not isinstance(tables, Tables):
        raise _fail(None, f"validate_tables expects a Tables object, got "
                    f"{type(tables).__name__}", "Wrap the frames: Tables(employees=..., ...).")
    raws: dict[str, pd.DataFrame] = {}
    for name, frame in tables:
        if not isinstance(frame, pd.DataFrame):
            raise _fail(tables.source(name), f"the {name} table must be a pandas DataFrame, "
                        f"got {type(frame).__name__}", "Pass a pandas DataFrame.", table=name)
        raws[name] = frame
    if "employees" not in raws:
        raise _fail(tables.source("employees"), "the required employees table is missing",
                    "Pass Tables(employees=...).", table="employees")
    declarations = declarations_of(tables.declarations)
    missing = sorted(set(declarations) - set(tables.declared))
    if missing:
        raise _fail(None, f"declared table(s) {', '.join(missing)} have no frame",
                    "Pass Tables(declared={name: frame}) for every declaration.", table=missing[0])
    for name in declarations:
        raws[name] = tables.declared[name]
    sources = {name: tables.source(name) for name in raws}
    frames = _run(raws, sources, schemas={n: declared_schema(d) for n, d in declarations.items()})
    history = {k: v for k, v in frames.items() if k == "employee_history"}
    late = _declared_after_export(frames, sources, declarations, tables.export_date) + _after_export(
        history, sources, tables.export_date)
    if late:
        raise _error(late)
    _warn_outside_employment(frames, sources, stacklevel=3)
    declared = {name: frames.pop(name) for name in declarations}
    return tables.copy(**frames, declared=declared, declarations=declarations)


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read a scoring roster (CSV or Parquet) with at least ``employee_id``.

    ``employee_id`` becomes a string column; other columns pass through as
    read (CSV: strings, empty cell missing). Whether the roster's employees
    exist and are employed on the as-of date is checked when scoring.

    Raises
    ------
    SchemaError
        When the file is missing, unreadable, empty, lacks ``employee_id``,
        or repeats or leaves empty an ``employee_id``.
    """
    path = Path(path)
    if not path.is_file():
        raise _fail(str(path), "the roster file does not exist",
                    "Pass a CSV or Parquet file with an employee_id column.", table="roster")
    if path.suffix.lower() not in SUFFIXES:
        raise _fail(str(path), "a roster must be a .csv or .parquet file",
                    "Save the roster as CSV (UTF-8) or Parquet.", table="roster")
    try:
        raw = _read_file(path, "roster")
    except _Refused as refused:
        raise _error(refused.problems) from None
    table = _Table("roster", raw, str(path))
    try:
        table.validate()
    except _Refused as refused:
        raise _error(refused.problems) from None
    if table.problems:
        raise _error(table.problems)
    return table.frame
