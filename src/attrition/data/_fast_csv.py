"""The fast path of reading a contract CSV file: typed Arrow parse, checks in arrays.

:func:`read_clean_csv` parses a file with Arrow's multi-threaded reader with
each column's type chosen once from the schema (numbers as ``float64``, dates
as ``date32``, text as ``large_string``, the type pandas' ``str`` dtype holds),
builds the frame the loader's conversion and pandera would return — same
values, dtypes, column order and block layout — and checks every rule of the
schema on arrays: required columns, empty cells, value rules, rules across
columns and the key. It only *vouches* for clean files. Whenever it cannot —
a value Arrow refuses (text in a number column, ``2024-02-30``, a ragged
row), a value it would read differently from the loader's conversion (a
number or date with a leading or trailing space, which Arrow trims; ``nan``
or ``inf`` written in a number column; a date outside 1678–2262), any broken
rule, a repeated key, an empty file, a rule or check it does not know — it
returns ``None`` and the loader reads the file again as text and converts
and validates it as before, so that every message is that path's.

Every check here is at least as strict as pandera's: a table this path
accepts is one pandera accepts (``tests/data/test_fast_reading.py`` checks
that both paths give identical frames, and identical errors for broken
files).

Examples
--------
>>> import tempfile, os
>>> from attrition.data._schemas import SCHEMAS
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = os.path.join(tmp, "absences.csv")
...     _ = open(path, "w").write("employee_id,start_date,end_date\\nE1,2024-01-02,2024-01-03\\n")
...     frame = read_clean_csv(path, ",", ["employee_id", "start_date", "end_date"], {},
...                            SCHEMAS["absences"], [])
>>> frame.dtypes.astype(str).tolist()
['str', 'datetime64[ns]', 'datetime64[ns]', 'str']
>>> with tempfile.TemporaryDirectory() as tmp:  # end before start: not vouched for
...     path = os.path.join(tmp, "absences.csv")
...     _ = open(path, "w").write("employee_id,start_date,end_date\\nE1,2024-01-02,2024-01-01\\n")
...     read_clean_csv(path, ",", ["employee_id", "start_date", "end_date"], {},
...                    SCHEMAS["absences"], []) is None
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from attrition.data._schemas import column_kind, effective_scale_max

__all__ = ["read_clean_csv", "STR", "DATE_MIN", "DATE_MAX"]

try:  # pandas >= 2.3: the string dtype that pandas 3 uses by default
    STR: Any = pd.StringDtype(na_value=np.nan)
except TypeError:  # pragma: no cover - older pandas
    STR = object

#: The dates a ``datetime64[ns]`` column holds (the loader refuses others).
DATE_MIN = pd.Timestamp("1678-01-01")
DATE_MAX = pd.Timestamp("2262-04-11")

try:  # pandas >= 3: a frame from its blocks, without copying them into new ones
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover - older pandas
    _from_blocks = None

_EPOCH = pd.Timestamp("1970-01-01")
_DAY_MIN = (DATE_MIN - _EPOCH).days
_DAY_MAX = (DATE_MAX - _EPOCH).days
_NUMBER = ("number", "integer")
_ARROW_ERRORS = (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, pyarrow.ArrowNotImplementedError,
                 pyarrow.ArrowKeyError, pyarrow.ArrowIndexError, UnicodeDecodeError, ValueError,
                 TypeError, OverflowError)
#: Bytes around a field's value: a space or tab next to one of them may start or end a value.
_EDGES = (ord(","), ord(";"), ord("\t"), ord('"'), ord("\n"), ord("\r"))
_SCAN = 1 << 24


# ------------------------------------------------------------------- parse
def _scan(path: str | os.PathLike, sep: str) -> tuple[bool, bool]:
    """Whether the file quotes anything, and whether a space or tab may start or end a field.

    Arrow's typed reader trims spaces and tabs from numbers and dates
    ("`` 5``" reads 5.0); the loader's conversion refuses or reads them
    otherwise, so such a file is left to it. Spaces inside a value
    (``North hub``) are fine. Conservative: a space next to a separator or
    quote inside quoted text counts too. A file without a quote character has
    no value spanning lines, so Arrow may split it at every newline.
    """
    ws = b" " + (b"" if sep == "\t" else b"\t")
    is_ws = np.zeros(256, dtype=bool)
    is_ws[list(ws)] = True
    is_edge = np.zeros(256, dtype=bool)
    is_edge[list(_EDGES)] = True
    quoted = False
    previous = ord("\n")  # the byte before the file: a line start
    pending = False  # the previous part ended in a space or tab
    buf = bytearray(_SCAN)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            if pending and is_edge[buf[0]]:
                return quoted, True
            quoted = quoted or buf.find(b'"', 0, n) >= 0
            if sep == "\t" and quoted:  # a tab at the edge of quoted text
                return quoted, True
            if all(buf.find(w, 0, n) < 0 for w in (bytes([c]) for c in ws)):
                previous, pending = buf[n - 1], False
                continue
            data = np.frombuffer(buf, dtype=np.uint8, count=n)
            hits = np.flatnonzero(is_ws[data])
            before = data[np.maximum(hits - 1, 0)]
            before[hits == 0] = previous
            inner = hits[hits < n - 1]
            if is_edge[before].any() or is_edge[data[inner + 1]].any():
                return quoted, True
            previous, pending = buf[n - 1], bool(is_ws[buf[n - 1]])
            del data
    return quoted, pending  # a space or tab ending the file ends its last field


def _arrow_type(kind: str) -> pyarrow.DataType:
    if kind in _NUMBER:
        return pyarrow.float64()
    if kind == "date":
        return pyarrow.date32()
    return pyarrow.large_string()


def _parse(path, sep: str, names: Sequence[str], kinds: Sequence[str],
           quoted: bool) -> pyarrow.Table | None:
    """The file parsed with every column's type; ``None`` when Arrow refuses a value."""
    convert = pcsv.ConvertOptions(
        column_types={name: _arrow_type(kind) for name, kind in zip(names, kinds, strict=True)},
        strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""])
    parse = pcsv.ParseOptions(delimiter=sep, newlines_in_values=quoted)
    try:
        # The system allocator gives the parser's scratch space back to the OS when it is freed
        # (Arrow's default pool keeps it, and the process's peak with it).
        table = pcsv.read_csv(path, parse_options=parse, convert_options=convert,
                              memory_pool=pyarrow.system_memory_pool())
    except _ARROW_ERRORS:
        return None
    if table.column_names != list(names):  # a BOM or quoting the header parse did not expect
        return None
    return table


# -------------------------------------------------------------- converting
def _numbers_into(column: pyarrow.ChunkedArray, out: np.ndarray) -> tuple[float, float] | None:
    """Write a float64 column into ``out`` (missing: NaN); its smallest and largest value.

    ``None`` when the column holds a NaN or ±inf value (a written ``nan`` or
    ``inf``, which the loader refuses: only missing cells may be NaN). The
    extremes ignore missing cells (NaN when every cell is missing).
    """
    offset = 0
    for chunk in column.chunks:
        n = len(chunk)
        out[offset:offset + n] = chunk.to_numpy(zero_copy_only=False)
        offset += n
    if not len(out):
        return np.nan, np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        low, high = np.fmin.reduce(out), np.fmax.reduce(out)  # NaN ignored
        if np.isinf(low) or np.isinf(high):
            return None
        nulls = column.null_count
        # a sum of finite numbers is never NaN: a NaN sum means a NaN value
        if (np.isnan(out.sum()) if nulls == 0 else int(np.count_nonzero(np.isnan(out))) != nulls):
            return None
    return float(low), float(high)


_NS_PER_DAY = np.int64(86_400 * 10**9)


def _dates_into(column: pyarrow.ChunkedArray, out: np.ndarray) -> bool:
    """Write a date32 column into ``out`` as ``datetime64[ns]``; False outside 1678–2262."""
    ns = out.view(np.int64)
    offset = 0
    for chunk in column.chunks:
        n = len(chunk)
        if not n:
            continue
        if chunk.null_count == 0:
            days = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=n, offset=chunk.offset * 4)
            if days.min() < _DAY_MIN or days.max() > _DAY_MAX:
                return False
            np.multiply(days, _NS_PER_DAY, out=ns[offset:offset + n], dtype=np.int64)
        else:
            low, high = pc.min_max(chunk).values()
            if low.is_valid and (low.value < _DAY_MIN or high.value > _DAY_MAX):
                return False
            out[offset:offset + n] = pc.cast(chunk, pyarrow.timestamp("ns")).to_numpy(
                zero_copy_only=False)
        offset += n
    return True


# -------------------------------------------------------------- checking
_PART = 1 << 16


def _whole(values: np.ndarray) -> bool:
    """Whether every non-missing value is a whole number (``x % 1 == 0``), part by part."""
    floor = np.empty(min(len(values), _PART))
    with np.errstate(invalid="ignore"):
        for start in range(0, len(values), _PART):
            part = values[start:start + _PART]
            np.floor(part, out=floor[:len(part)])
            if np.any(part > floor[:len(part)]):  # NaN > NaN is False: missing passes
                return False
    return True


def _number_check_passes(check: pa.Check, values: np.ndarray, low: float, high: float) -> bool:
    """Whether every non-missing value passes a column check (missing values pass, as in pandera).

    ``low`` and ``high`` are the column's extremes without its missing cells
    (NaN when all are missing: every comparison with NaN is False, so it passes).
    """
    stats = check.statistics or {}
    name = check.name
    if name == "whole_number":
        return _whole(values)
    if name == "in_range":
        lo, hi = stats["min_value"], stats["max_value"]
        below = low < lo if stats.get("include_min", True) else low <= lo
        above = high > hi if stats.get("include_max", True) else high >= hi
        return not (below or above)
    if name == "greater_than_or_equal_to":
        return not low < stats["min_value"]
    if name == "greater_than":
        return not low <= stats["min_value"]
    if name == "less_than_or_equal_to":
        return not high > stats["max_value"]
    if name == "less_than":
        return not high >= stats["max_value"]
    return False  # a check this path does not know: pandera decides


def _text_check_passes(check: pa.Check, column: pyarrow.ChunkedArray) -> bool:
    """Whether every non-missing text value passes a column check (missing values pass)."""
    stats = check.statistics or {}
    try:
        values = pc.drop_null(pc.unique(column))  # codes and times repeat: check each once
        if check.name == "isin":
            allowed = stats["allowed_values"]
            if not all(isinstance(v, str) for v in allowed):
                return False
            found = pc.is_in(values, value_set=pyarrow.array(allowed, pyarrow.large_string()))
        elif check.name == "str_matches":
            # RE2 anchors are at least as strict as Python's re.match with '^...$'
            found = pc.match_substring_regex(values, pattern=stats["pattern"])
        else:
            return False
        return len(values) == 0 or bool(pc.all(found).as_py())
    except _ARROW_ERRORS:
        return False


def _rule_passes(check: pa.Check, frame: pd.DataFrame) -> bool:
    """Whether a rule across columns (``_schemas._rule``) holds on every row."""
    if not (check.statistics or {}).get("columns"):
        return False  # a frame-wide check that is not one of ours: pandera decides
    try:
        result = check._check_fn(frame)
    except Exception:  # noqa: BLE001 - whatever fails here, pandera reports
        return False
    if isinstance(result, pd.Series):
        result = result.to_numpy(dtype=bool, na_value=False) if result.dtype == bool or \
            result.dtype == "boolean" else None
    elif isinstance(result, (bool, np.bool_)):
        result = np.array([bool(result)])
    else:
        result = None
    return result is not None and bool(result.all())


def _codes(values: Any) -> tuple[np.ndarray, int]:
    """Integer codes of a key column's values and how many distinct there are."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), max(len(uniques), 1)


def _increasing(frame: pd.DataFrame, key: Sequence[str]) -> bool:
    """Whether every row's key is greater than the previous row's (exports sorted by their key).

    Text is compared in full only for equality with the previous row; which of
    two different values is greater only where the key columns before it are equal
    (for the first column: at the rows where its value changes).
    """
    n = len(frame)
    greater = np.zeros(n - 1, dtype=bool)
    equal = np.ones(n - 1, dtype=bool)
    for col in key:
        values = frame[col].array
        if isinstance(values, pd.arrays.DatetimeArray):
            ns = values.asi8
            after, same = ns[1:] > ns[:-1], ns[1:] == ns[:-1]
        elif isinstance(values, pd.arrays.ArrowStringArray):
            arr = values._pa_array
            same = pc.equal(arr.slice(1), arr.slice(0, n - 1)).to_numpy(zero_copy_only=False)
            if same.dtype != bool:  # a missing value (never here: key parts are required)
                return False
            after = np.zeros(n - 1, dtype=bool)
            changed = equal & ~same
            if changed.any():  # the rows where it changes, and the rows before them
                nxt = pyarrow.array(np.concatenate([[False], changed]))
                prev = pyarrow.array(np.concatenate([changed, [False]]))
                after[changed] = pc.greater(arr.filter(nxt), arr.filter(prev)).to_numpy(
                    zero_copy_only=False)
        else:
            return False
        greater |= equal & after
        equal &= same
    return bool(greater.all())


def _key_is_unique(frame: pd.DataFrame, key: Sequence[str]) -> bool:
    """Whether no two rows share the key (no key part is missing here)."""
    if not key or len(frame) < 2:
        return True
    try:
        if _increasing(frame, key):
            return True
    except _ARROW_ERRORS:
        pass
    if len(key) == 1:
        return bool(frame[key[0]].is_unique)
    combined = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for col in key:
        codes, n = _codes(frame[col].array)
        if span * n >= 2**62:
            return bool(not frame.duplicated(subset=list(key)).any())
        combined = combined * n + codes
        span *= n
    return bool(pd.Index(combined).is_unique)


# ------------------------------------------------------------------ public
def read_clean_csv(path: str | os.PathLike, sep: str, names: Sequence[str],
                   mapping: Mapping[str, str], schema: pa.DataFrameSchema,
                   key: Sequence[str], table: str | None = None) -> pd.DataFrame | None:
    """The validated frame of a clean CSV file; ``None`` when the file is not clean.

    Parameters
    ----------
    path : path-like
        The CSV file.
    sep : str
        Its separator.
    names : list of str
        The header's column names, as in the file (distinct, none blank).
    mapping : dict
        The configured renaming, file name → contract name (already checked).
    schema : pandera.DataFrameSchema
        The table's schema.
    key : list of str
        The table's key columns (no two rows may share them).
    table : str, optional
        The contract table (``"surveys"`` fills ``scale_max`` with its defaults).

    Returns
    -------
    pandas.DataFrame or None
        What the loader's conversion and pandera give for the file, or
        ``None`` when anything about it needs the loader's full path.
    """
    if STR is object or len(names) < 2:
        return None
    renamed = [str(mapping.get(n, n)) for n in names]
    if len(set(renamed)) != len(renamed):
        return None
    columns = schema.columns
    if any(col.required and name not in renamed for name, col in columns.items()):
        return None  # pandera reports the missing column
    kinds = [column_kind(columns[c]) if c in columns else "string" for c in renamed]
    quoted, edge = _scan(path, sep)
    if edge and any(k in (*_NUMBER, "date") for k in kinds):
        return None
    parsed = _parse(path, sep, names, kinds, quoted)
    if parsed is None or parsed.num_rows == 0:
        return None
    n = parsed.num_rows
    arrow = dict(zip(renamed, parsed.columns, strict=True))
    del parsed
    order = list(columns) + [c for c in renamed if c not in columns]
    numbers = [c for c in order if c in columns and column_kind(columns[c]) in _NUMBER]
    dates = [c for c in order if c in columns and column_kind(columns[c]) == "date"]
    number_block = np.empty((len(numbers), n), dtype="float64")
    date_block = np.empty((len(dates), n), dtype="datetime64[ns]")
    texts: dict[str, Any] = {}
    extremes: dict[str, tuple[float, float]] = {}
    for name in order:
        col = columns.get(name)
        values = arrow.pop(name, None)
        if values is None:  # an optional column absent from the file: all missing
            if not col.nullable:
                return None  # pandera reports its empty cells
            if name in numbers:
                number_block[numbers.index(name)] = np.nan
            elif name in dates:
                date_block[dates.index(name)] = np.datetime64("NaT")
            else:
                texts[name] = pd.array(np.full(n, np.nan, dtype=object), dtype=STR)
            continue
        if col is not None and not col.nullable and values.null_count:
            return None
        if name in numbers:
            found = _numbers_into(values, number_block[numbers.index(name)])
            if found is None:
                return None
            extremes[name] = found
        elif name in dates:
            if col.checks or not _dates_into(values, date_block[dates.index(name)]):
                return None
        else:
            if col is not None and any(not _text_check_passes(c, values) for c in col.checks):
                return None
            texts[name] = STR.__from_arrow__(values)
    if table == "surveys" and "item" in texts and "scale_max" in numbers:
        given = pd.DataFrame({"item": pd.Series(texts["item"], copy=False),
                              "scale_max": number_block[numbers.index("scale_max")]})
        filled = effective_scale_max(given).to_numpy()
        number_block[numbers.index("scale_max")] = filled
        extremes["scale_max"] = (float(np.fmin.reduce(filled)), float(np.fmax.reduce(filled)))
    for i, name in enumerate(numbers):
        low, high = extremes.get(name, (np.nan, np.nan))  # (an absent column: all missing)
        if not all(_number_check_passes(c, number_block[i], low, high) for c in columns[name].checks):
            return None
    frame = _frame(order, texts, numbers, number_block, dates, date_block, n)
    if not all(_rule_passes(check, frame) for check in schema.checks):
        return None
    if not _key_is_unique(frame, key):
        return None
    return frame


def _frame(order: list[str], texts: dict[str, Any], numbers: list[str], number_block: np.ndarray,
           dates: list[str], date_block: np.ndarray, n: int) -> pd.DataFrame:
    """The frame of these columns, numbers and dates each one block (as pandas consolidates them)."""
    index = pd.RangeIndex(n)
    position = {name: i for i, name in enumerate(order)}
    if _from_blocks is None:  # pragma: no cover - older pandas
        data = {name: texts[name] if name in texts else
                (number_block[numbers.index(name)] if name in numbers else date_block[dates.index(name)])
                for name in order}
        return pd.DataFrame(data, index=index)
    blocks = [(texts[name], np.array([position[name]], dtype=np.intp)) for name in texts]
    for names, block in ((numbers, number_block), (dates, date_block)):
        if names:
            blocks.append((block, np.array([position[c] for c in names], dtype=np.intp)))
    return _from_blocks(blocks, index=index, columns=pd.Index(order))
