"""Shared machinery of the feature builders: the point-in-time primitives.

Every feature for an employee at as-of date ``t`` uses only rows dated on or
before ``t``. The builders get that guarantee from two primitives here rather
than from ad-hoc filtering:

* :func:`trailing_sums` — sums and counts of daily values over trailing
  windows ``(t - w, t]``, computed once per employee-day as cumulative sums and
  read back with backward as-of lookups (:func:`asof_positions`), so the cost
  grows with the number of rows, not rows × as-of dates;
* :func:`latest_before` — the latest row on or before ``t`` (as-of lookup).

The daily builders (schedule, workload) also write their row-wise values as
SQL, next to the pandas code (``sql_values``/``sql_daily_values`` beside
``_daily_values``), so a warehouse can compute the sums where the rows are
(:mod:`attrition.snapshots._warehouse`). The few spellings that differ
between engines are a :class:`Dialect`; the helpers at the end of this
module write numpy's missing-value rules in SQL.

Both work on integer codes of the keys (:func:`encode_keys`) and numpy
arrays rather than string keys and joins of frames, and :func:`trailing_sums`
handles the rows in batches of whole keys (:data:`BATCH_ROWS` rows), so the
working memory of a 20,000-employee centre stays a small fraction of its
tables. Cumulative sums restart at every key: one employee's features never
depend on another employee's rows, not even in the last bit.

A builder is a small class with a ``name``, the ``table`` it reads (``None``
for the HR master only), a :meth:`FeatureBuilder.build` method that returns one
row per row of the snapshot frame, in the same order, and a
:meth:`FeatureBuilder.labels` mapping of feature names to readable labels.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from attrition.data._tables import Tables

__all__ = [
    "FeatureBuilder",
    "snapshot_keys",
    "window_parts",
    "trailing_sums",
    "latest_before",
    "asof_positions",
    "encode_keys",
    "integral_or_float",
    "float_values",
    "sorted_codes",
    "table_codes",
    "shared_codes",
    "same_day_values",
    "minutes_of_day",
    "safe_ratio",
    "KEY",
]

#: The key of every snapshot frame.
KEY: list[str] = ["employee_id", "as_of"]


#: The memo of a :func:`shared_codes` block while it runs (``None`` outside):
#: ``(kind, id(obj)) -> (obj, result)``; holding ``obj`` keeps its id from being reused.
_SHARED_CODES: ContextVar[dict | None] = ContextVar("attrition_shared_codes", default=None)


def _shared(kind: object, obj: object, compute):
    """``compute()``, once per ``(kind, obj)`` inside a :func:`shared_codes` block (``obj`` by
    identity: the frame or array the result is computed from, never changed while the block
    runs); every time outside one. numpy arrays in the result are made read-only: they are shared."""
    memo = _SHARED_CODES.get()
    if memo is None:
        return compute()
    entry = memo.get((kind, id(obj)))
    if entry is not None and entry[0] is obj:
        return entry[1]
    result = compute()
    for part in result if isinstance(result, tuple) else (result,):
        if isinstance(part, np.ndarray):
            part.flags.writeable = False
    memo[(kind, id(obj))] = (obj, result)
    return result


def snapshot_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``employee_id`` (str) and ``as_of`` (datetime64[ns], midnight) of ``frame``.

    pandas 3 parses dates to microseconds by default; the as-of joins need one
    resolution on both sides, so every builder reads its keys through here.
    Inside a :func:`shared_codes` block the keys of one frame are made once and
    shared (with the codes of their ``employee_id``); each caller gets its own
    shallow copy, so assigning a column (a lagged ``as_of``, say) changes only
    the caller's frame.
    """
    return _shared("keys", frame, lambda: _snapshot_keys(frame)).copy(deep=False)


def _snapshot_keys(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employee_id": frame["employee_id"].astype("str").to_numpy(),
            "as_of": pd.to_datetime(frame["as_of"]).astype("datetime64[ns]").dt.normalize().to_numpy(),
        }
    )


def window_parts(windows: Sequence[int]) -> tuple[list[int], int, int]:
    """Validated windows, the recent (shortest) and the baseline (longest) one.

    Examples
    --------
    >>> window_parts((28, 91, 182))
    ([28, 91, 182], 28, 182)
    """
    ws = [int(w) for w in windows]
    if not ws or any(w <= 0 for w in ws) or len(set(ws)) != len(ws):
        raise ValueError(f"windows must be distinct positive numbers of days, got {tuple(windows)!r}.")
    return ws, min(ws), max(ws)


class FeatureBuilder:
    """Base class of the feature builders.

    Subclasses set :attr:`name` and :attr:`table` and implement
    :meth:`build`. ``__init__`` only stores its arguments (scikit-learn style).

    Parameters
    ----------
    windows : sequence of int, default (28, 91, 182)
        Trailing windows in days.
    """

    #: Short name, used as the prefix of the builder's features.
    name: str = ""
    #: The optional table the builder needs; ``None`` when it uses only employees.
    table: str | None = None

    def __init__(self, windows: Sequence[int] = (28, 91, 182)) -> None:
        self.windows = windows

    def available(self, tables: Tables) -> bool:
        """Whether the tables this builder needs are present."""
        return self.table is None or getattr(tables, self.table) is not None

    def build(self, tables: Tables, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover
        """Return features for every row of ``frame``.

        Parameters
        ----------
        tables : Tables
            Validated input tables.
        frame : pandas.DataFrame
            The snapshot frame: columns ``employee_id``, ``as_of`` (and
            ``team_id``), one row per employee employed on ``as_of``.

        Returns
        -------
        pandas.DataFrame
            Same length and row order as ``frame``, with a default RangeIndex,
            only feature columns, float64 (or category) dtypes.

        Notes
        -----
        ``tables`` and ``frame`` are shared by every builder of a build, and
        inside it their key codes and sort orders are computed once
        (:func:`shared_codes`): never change them in place. Work on a copy,
        or on the frame :func:`snapshot_keys` returns (a copy of its own).
        """
        raise NotImplementedError

    def labels(self) -> dict[str, str]:
        """Readable labels of the features this builder makes, by feature name."""
        return {}

    def peer_features(self) -> list[str]:
        """Features worth comparing with the team median (``<name>_vs_team``)."""
        return []

    def window_sums(self, values: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
        """:func:`trailing_sums` of every value column of a daily-values frame.

        ``values`` starts with ``employee_id`` and ``date`` followed by the
        summable columns (what the daily builders' ``_daily_values`` return);
        the result has ``n_{w}``, ``sum_{w}_{col}`` for each of the builder's
        windows and ``cum@0_*`` (rows dated on or before the as-of date), the
        input of the builders' ``from_sums``.
        """
        ws, _, _ = window_parts(self.windows)
        return trailing_sums(values, "date", {c: c for c in values.columns[2:]}, snapshot_keys(frame),
                             ws, offsets=[0])

    def all_missing(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every feature of :meth:`labels`, all ``NaN``, one row per row of ``frame``."""
        return pd.DataFrame(np.nan, index=pd.RangeIndex(len(frame)), columns=list(self.labels()),
                            dtype="float64")

    def __repr__(self) -> str:
        """``Name(arg=value, ...)`` from the constructor's arguments (scikit-learn style)."""
        params = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in params)
        return f"{type(self).__name__}({args})"


#: Rows of a daily table handled at once by :func:`trailing_sums`. The working
#: memory grows with this, not with the table (about 200 bytes per row at most).
#: 131,072 rows: the 2,700-agent centre's snapshot build peaked 100-120 MiB lower
#: than with 524,288 (the batch's temporaries on top of the tables), for no more CPU.
BATCH_ROWS: int = 1 << 17

_NS_PER_DAY = 86_400 * 10**9
#: Added to a day (or rank) number so that it packs into 32 bits next to a key code.
_TIME_OFFSET = np.int64(1 << 31)
#: The integer of ``NaT`` in int64 nanoseconds (and in the encoded times).
_NAT = np.iinfo(np.int64).min


def _ns(values) -> np.ndarray:
    """Nanoseconds since the epoch (int64) of dates; ``NaT`` stays the NaT integer."""
    if isinstance(values, np.ndarray) and values.dtype == "datetime64[ns]":
        return values.view("int64")
    return pd.to_datetime(pd.Series(values)).astype("datetime64[ns]").to_numpy().view("int64")


def _shifted(ns: np.ndarray, days: int) -> np.ndarray:
    """``ns`` moved ``days`` days earlier; ``NaT`` stays ``NaT`` (no integer wrap-around).

    >>> nat = np.iinfo(np.int64).min
    >>> (_shifted(np.array([nat, 2 * _NS_PER_DAY]), 1) == [nat, _NS_PER_DAY]).tolist()
    [True, True]
    """
    nat = np.iinfo(np.int64).min
    return np.where(ns == nat, nat, ns - np.int64(days) * _NS_PER_DAY)


def _encode_times(events: np.ndarray, queries: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Integer times (int64, order and ties kept) that fit in 32 bits.

    Day numbers when every value is a midnight (the usual case, cheap);
    otherwise dense ranks over all values. ``NaT`` is left as the NaT integer
    (the caller drops it).
    """
    nat = np.iinfo(np.int64).min
    arrays = [events, *queries]
    out = []
    for a in arrays:  # one division per value: a midnight is a day number times a day
        missing = a == nat
        day = a // _NS_PER_DAY
        if not bool(np.all(missing | (day * _NS_PER_DAY == a))):
            break
        day[missing] = nat
        out.append(day)
    else:
        return out[0], out[1:]
    pooled = np.unique(np.concatenate([a[a != nat] for a in arrays]))
    out = [np.where(a == nat, nat, np.searchsorted(pooled, a)) for a in arrays]
    return out[0], out[1:]


def _as_str_codes(values) -> tuple[np.ndarray, pd.Index]:
    """Codes (int64, ``-1`` for missing) and uniques of a key column compared as text."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Index(values.cat.categories.astype("str"))
        if cats.is_unique:
            return values.cat.codes.to_numpy().astype(np.int64), cats
    if isinstance(values, pd.Categorical):
        return _as_str_codes(pd.Series(values))
    arrow = getattr(values.array, "_pa_array", None) if isinstance(values, pd.Series) else None
    if arrow is not None:
        # An Arrow-backed column's codes, once per shared_codes block: keyed on its pyarrow
        # array, which never changes (an assignment to the column replaces it) and which
        # shallow copies of the column share.
        return _shared("str_codes", arrow, lambda: _text_codes(values))
    return _text_codes(values if isinstance(values, pd.Series) else pd.Series(values))


def _text_codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """:func:`_as_str_codes` of a column that is not categorical."""
    text = series.astype("str")
    heads = _run_heads(text) if len(text) >= _RUNS_MIN_ROWS else None
    if heads is not None:  # a table sorted by its key: hash one value per run of equal values
        codes, uniques = pd.factorize(text.iloc[heads], use_na_sentinel=True)
        codes = np.repeat(codes, np.diff(np.append(heads, len(text))))
    else:
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


#: From this many rows :func:`_as_str_codes` looks for runs of equal keys first.
_RUNS_MIN_ROWS = 1 << 16


def _run_heads(text: pd.Series) -> np.ndarray | None:
    """The first row of each run of equal values of ``text`` (a missing value is a run of its
    own), or ``None`` when the runs are too short to be worth it (fewer than four rows each).

    Factorizing these rows and repeating each code over its run gives the codes and uniques
    of factorizing every row (codes number the values in order of first appearance).

    >>> _run_heads(pd.Series(["a"] * 8 + [None, None] + ["b"] * 8 + ["a"] * 8, dtype="str")).tolist()
    [0, 8, 9, 10, 18]
    >>> _run_heads(pd.Series(["a", "b", "a", "b"], dtype="str")) is None
    True
    """
    n = len(text)
    if n < 2:
        return None
    arr = text.array
    differ = arr[1:] != arr[:-1]
    differ = (differ.to_numpy(dtype=bool, na_value=True) if hasattr(differ, "to_numpy")
              else np.asarray(differ, dtype=bool))
    missing = text.isna().to_numpy()
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    starts[1:] = differ | missing[1:] | missing[:-1]
    heads = np.flatnonzero(starts)
    return heads if 4 * len(heads) <= n else None


def encode_keys(events: Sequence, queries: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of composite keys, consistent between events and queries.

    ``events`` and ``queries`` are sequences of key columns (Series or arrays)
    of the same length; values are compared as text, like a join on
    ``astype("str")`` columns. Returns codes for the event rows (``0 ..
    n - 1``; ``-1`` where a part is missing) and for the query rows (``-1``
    where the key does not occur among the events).

    Examples
    --------
    >>> ev, q = encode_keys([pd.Series(["a", "b", "a"])], [pd.Series(["b", "c"])])
    >>> ev.tolist(), q.tolist()
    ([0, 1, 0], [1, -1])
    """
    ev_code: np.ndarray | None = None
    q_code: np.ndarray | None = None
    for ev_col, q_col in zip(events, queries, strict=True):
        codes, uniques = _as_str_codes(ev_col)
        q_codes, q_uniques = _as_str_codes(q_col)
        q_part = np.append(uniques.get_indexer(q_uniques), -1).astype(np.int64)[q_codes]
        if ev_code is None:
            ev_code, q_code = codes, q_part
            continue
        size = np.int64(len(uniques))
        ev_pair = np.where((ev_code < 0) | (codes < 0), -1, ev_code * size + codes)
        q_pair = np.where((q_code < 0) | (q_part < 0), -1, q_code * size + q_part)
        ev_code, pair_uniques = pd.factorize(ev_pair, use_na_sentinel=False)
        ev_code = ev_code.astype(np.int64)
        missing = np.flatnonzero(pair_uniques == -1)
        if len(missing):
            ev_code[ev_code == missing[0]] = -1
        q_code = pd.Index(pair_uniques).get_indexer(q_pair).astype(np.int64)
        q_code[q_pair < 0] = -1
    assert ev_code is not None and q_code is not None
    return ev_code, q_code


def _pack(code: np.ndarray, time: np.ndarray) -> np.ndarray:
    """One sortable int64 per (code, time): ``code * 2**32 + time + 2**31``."""
    packed = code.astype(np.int64)  # a copy, shifted in place
    packed <<= 32
    packed |= time.astype(np.int64, copy=False) + _TIME_OFFSET
    return packed


def asof_positions(
    ev_code: np.ndarray, ev_time: np.ndarray, q_code: np.ndarray, q_time: np.ndarray
) -> np.ndarray:
    """Position of the latest event row with the query's code and ``time <= q_time``.

    The backward as-of join of ``pandas.merge_asof`` in numpy: among event
    rows with the same code and the same time, the last one in the input
    order wins. ``-1`` where there is none. Event rows with a negative code
    or a missing time (the NaT integer) never match. Codes must be below
    ``2**31`` and times fit in 32 bits after adding ``2**31`` (day numbers
    or ranks, see :func:`encode_keys`).

    Examples
    --------
    >>> asof_positions(np.array([0, 0, 1]), np.array([5, 9, 5]),
    ...                np.array([0, 0, 1, 1, 2]), np.array([8, 9, 4, 5, 5])).tolist()
    [0, 1, -1, 2, -1]
    """
    ev_code = np.asarray(ev_code, dtype=np.int64)
    ev_time = np.asarray(ev_time, dtype=np.int64)
    q_code = np.asarray(q_code, dtype=np.int64)
    q_time = np.asarray(q_time, dtype=np.int64)
    nat = np.iinfo(np.int64).min
    ok = np.flatnonzero((ev_code >= 0) & (ev_time != nat))
    keys = _pack(ev_code[ok], ev_time[ok])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    rows = ok[order]
    out = np.full(len(q_code), -1, dtype=np.int64)
    valid = (q_code >= 0) & (q_time != nat)
    if not len(keys) or not valid.any():
        return out
    qk = _pack(q_code[valid], q_time[valid])
    pos = np.searchsorted(keys, qk, side="right") - 1
    hit = pos >= 0
    hit[hit] = (keys[pos[hit]] >> 32) == (qk[hit] >> 32)
    found = np.full(len(qk), -1, dtype=np.int64)
    found[hit] = rows[pos[hit]]
    out[valid] = found
    return out


def _value_arrays(events: pd.DataFrame, values: Mapping[str, pd.Series | str]) -> list[np.ndarray]:
    """The value columns as numpy arrays, without copying when possible.

    Booleans and integers stay integers (summed exactly); anything else is
    ``float64`` (as :func:`pandas.to_numeric` reads it).
    """
    arrays = []
    for val in values.values():
        series = events[val] if isinstance(val, str) else val
        if isinstance(series, pd.Series) and len(series) != len(events):
            raise ValueError("A value Series must have one entry per event row.")
        dtype = getattr(series, "dtype", None)
        if dtype is not None and isinstance(dtype, np.dtype) and dtype.kind in "biu":
            arrays.append(np.asarray(series))
        elif isinstance(series, pd.Series) and dtype == np.float64:
            arrays.append(float_values(series))
        else:
            arrays.append(pd.to_numeric(series, errors="raise").to_numpy(dtype="float64"))
    return arrays


def float_values(values: pd.Series) -> np.ndarray:
    """``values`` as float64, as ``pd.to_numeric(values, errors="coerce")`` reads them.

    A numpy ``float64`` column is returned as it is (a read-only view, no copy:
    :func:`pandas.to_numeric` copies it, which on a daily table of millions of
    rows costs more than the arithmetic done with it); callers never write
    into the result.

    Examples
    --------
    >>> float_values(pd.Series([1.5, None])).tolist(), float_values(pd.Series(["2", "x"])).tolist()
    ([1.5, nan], [2.0, nan])
    """
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")


def integral_or_float(values: np.ndarray) -> np.ndarray:
    """``values`` as ``int32`` when every value is a whole number that fits, else as they are.

    For values to be summed by :func:`trailing_sums`: whole numbers are summed
    exactly either way (as long as totals stay below ``2**53``), so storing
    them as ``int32`` halves their memory without changing any sum.

    Examples
    --------
    >>> integral_or_float(np.array([1.0, 480.0])).dtype, integral_or_float(np.array([0.5])).dtype
    (dtype('int32'), dtype('float64'))
    """
    values = np.asarray(values)
    if values.dtype.kind != "f" or not len(values):
        return values
    with np.errstate(invalid="ignore", over="ignore"):
        as_int = values.astype(np.int32)  # NaN, inf and out-of-range values do not round-trip
    return as_int if bool(np.array_equal(as_int, values)) else values


def minutes_of_day(values: pd.Series) -> np.ndarray:
    """Minutes after midnight of ``HH:MM`` text (``NaN`` when missing or not ``HH:MM``).

    Parses the distinct values only (at most 1,440 of them in valid data),
    without turning millions of strings into Python objects.

    Examples
    --------
    >>> minutes_of_day(pd.Series(["06:30", None, "23:59", "x"])).tolist()
    [390.0, nan, 1439.0, nan]
    """
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(codes), np.nan)
    parts = pd.Series(np.asarray(uniques, dtype=object), dtype="str").str.split(":", n=1, expand=True)
    if parts.shape[1] < 2:
        return np.full(len(codes), np.nan)
    hours = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype="float64")
    mins = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype="float64")
    # One gather (a missing value's code -1 takes the NaN appended last): cheaper than
    # selecting the rows with a value on millions of rows.
    return np.append(hours * 60.0 + mins, np.nan)[codes]


def sorted_codes(keys: pd.Series, dates: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray, np.ndarray | None]:
    """Integer codes of ``keys`` and day numbers, and the order that sorts rows by them.

    Returns ``(codes, uniques, days, order)``: ``codes[i]`` indexes
    ``uniques`` (keys compared as text; ``-1`` when missing), ``days`` are
    days since 1970-01-01 (int64) and ``order`` is the stable permutation
    that sorts the rows by (code, day), or ``None`` when they already are.
    Codes number the keys in order of first appearance.
    """
    codes, uniques = _as_str_codes(keys)
    if not (isinstance(dates, pd.Series) and dates.dtype == "datetime64[ns]"):  # else no copy needed
        dates = pd.to_datetime(dates).astype("datetime64[ns]")
    days = dates.to_numpy().astype("datetime64[D]").view(np.int64)
    packed = _pack(codes, days)
    order = None
    if len(packed) > 1 and not bool(np.all(packed[1:] >= packed[:-1])):
        order = np.argsort(packed, kind="stable")
    return codes, uniques, days, order


@contextmanager
def shared_codes() -> Iterator[None]:
    """Within the block, :func:`table_codes` codes and orders each table once.

    A snapshot build runs its builders inside one such block, so the builders
    that read the same event table (the schedule: its own builder, and the
    workload builder's worked minutes of the same day) share its key codes,
    day numbers and sort order instead of computing them each. The memo, and
    the tables it holds, are dropped when the block ends; blocks nest (an
    inner block shares the outer one's memo).

    Examples
    --------
    >>> t = pd.DataFrame({"employee_id": ["b", "a"], "date": pd.to_datetime(["2024-01-02"] * 2)})
    >>> with shared_codes():
    ...     table_codes(t) is table_codes(t)
    True
    >>> table_codes(t) is table_codes(t)
    False
    """
    if _SHARED_CODES.get() is not None:
        yield
        return
    token = _SHARED_CODES.set({})
    try:
        yield
    finally:
        _SHARED_CODES.reset(token)


def table_codes(
    table: pd.DataFrame, key: str = "employee_id", date: str = "date"
) -> tuple[np.ndarray, pd.Index, np.ndarray, np.ndarray | None]:
    """:func:`sorted_codes` of ``table[key]`` and ``table[date]``, computed once per table
    inside a :func:`shared_codes` block (the arrays are then read-only: they are shared)."""
    return _shared(("sorted_codes", key, date), table, lambda: sorted_codes(table[key], table[date]))


def same_day_values(
    table: pd.DataFrame, column: str, uniques: pd.Index, codes: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """``column`` of ``table`` on the same (employee, day), for rows given as codes and days.

    ``codes`` index ``uniques`` (employee ids as text) and ``days`` are day
    numbers, as :func:`sorted_codes` returns them. Several rows of ``table``
    for one employee-day are summed (``NaN`` when none has a value); ``NaN``
    where ``table`` has no row for it. A numpy join on integer keys, without
    string keys or an intermediate frame.
    """
    s_codes, s_uniques, s_days, order = table_codes(table)
    s_values = float_values(table[column])
    # The table's employees in the caller's numbering (-1: not among them).
    s_codes = np.append(uniques.get_indexer(s_uniques), -1)[s_codes]
    if order is not None:
        s_codes, s_days, s_values = s_codes[order], s_days[order], s_values[order]
    ok = s_codes >= 0
    packed = _pack(s_codes, s_days)
    if not ok.all():
        packed, s_values = packed[ok], s_values[ok]
    if len(packed) > 1 and not bool(np.all(packed[1:] >= packed[:-1])):
        order = np.argsort(packed, kind="stable")
        packed, s_values = packed[order], s_values[order]
    if len(packed) > 1 and not bool(np.all(packed[1:] > packed[:-1])):
        # Several rows for one employee-day (validated tables have none).
        summed = pd.Series(s_values).groupby(packed, sort=True).sum(min_count=1)
        packed, s_values = summed.index.to_numpy(dtype=np.int64), summed.to_numpy(dtype="float64")
    want = _pack(np.asarray(codes), np.asarray(days))
    if not len(packed):
        return np.full(len(want), np.nan)
    # Gathers at clipped positions rather than selections of the rows found (millions of them).
    at = np.searchsorted(packed, want)
    np.minimum(at, len(packed) - 1, out=at)
    found = packed[at] == want
    found &= np.asarray(codes) >= 0
    return np.where(found, s_values[at], np.nan)


def _group_cumsum(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Cumulative sums that restart at every position in ``starts`` (exact for integers)."""
    # 0/1 indicators fit in int32 (a batch has far fewer than 2**31 rows).
    small = values.dtype.kind == "b" and n < np.iinfo(np.int32).max
    total = np.cumsum(values, dtype=np.int32 if small else np.int64)
    before = np.zeros(len(starts), dtype=total.dtype)
    before[1:] = total[starts[1:] - 1]
    lengths = np.diff(np.append(starts, n))
    return total - np.repeat(before, lengths)


def _sum_per_day(cols: list[np.ndarray], day_start: np.ndarray) -> list[np.ndarray]:
    """Sum the rows of each (key, day) run; runs start at ``day_start``.

    Integers are summed exactly. Floats go through pandas' compensated group
    sum (skipping ``NaN``) in row order, as ``groupby(...).sum()`` does for
    unsorted input: a trailing all-``NaN`` dummy group keeps pandas off its
    ``reduceat`` shortcut for sorted groups, so the result of a day depends
    only on its own rows.
    """
    out: list[np.ndarray | None] = [None] * len(cols)
    floats = [j for j, v in enumerate(cols) if v.dtype.kind == "f"]
    if floats:
        n = len(cols[floats[0]])
        labels = np.zeros(n + 1, dtype=np.int64)
        labels[day_start[1:]] = 1
        labels = np.cumsum(labels)
        labels[-1] = labels[-2] + 1
        block = np.full((n + 1, len(floats)), np.nan)
        for i, j in enumerate(floats):
            block[:n, i] = cols[j]
        summed = (pd.DataFrame(block, copy=False).groupby(labels, sort=False).sum(min_count=0)
                  .to_numpy(dtype="float64")[:-1])
        for i, j in enumerate(floats):
            out[j] = summed[:, i]
    for j, v in enumerate(cols):
        if out[j] is None:
            out[j] = np.add.reduceat(v.astype(np.int64), day_start)
    return out  # type: ignore[return-value]


# ---------------------------------------------------------------- trailing sums, step by step
# :func:`trailing_sums` runs these steps in order; each works on integer codes
# and numpy arrays, never on Python objects per row.


def _encode_rows_and_queries(
    events: pd.DataFrame, date_col: str, frame: pd.DataFrame, key: str, lags: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Step 1: integer codes of the keys and 32-bit times of the rows and of the queries.

    Returns ``(ev_code, ev_time, q_code, q_times)``; ``q_times[i]`` is each
    query's ``as_of - lags[i]`` days. Codes are ``-1`` for a missing key (and
    for a query key without rows); missing dates are the NaT integer.
    """
    ev_code, q_code = encode_keys([events[key]], [frame[key]])
    as_of = _ns(frame["as_of"])
    ev_time, q_times = _encode_times(_ns(events[date_col]), [_shifted(as_of, lag) for lag in lags])
    return ev_code, ev_time, q_code, q_times


def _sorted_rows(ev_code: np.ndarray, ev_time: np.ndarray, latest: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Step 2: the rows that can count, as packed ``(code, time)`` keys in ascending order.

    Rows without a key or a date, or dated after ``latest`` (the latest
    as-of time), never count and are dropped. Returns the sorted keys and
    the positions of their rows in the input — ``None`` when that is every
    row in input order (the usual case for a sorted daily table: no copy).
    """
    keep = (ev_code >= 0) & (ev_time != _NAT) & (ev_time <= latest)
    packed = _pack(ev_code, ev_time)
    rows = None if keep.all() else np.flatnonzero(keep)
    if rows is not None:
        packed = packed[rows]
    if len(packed) > 1 and not bool(np.all(packed[1:] >= packed[:-1])):
        order = np.argsort(packed, kind="stable")
        packed = packed[order]
        rows = order if rows is None else rows[order]
    return packed, rows


def _queries_by_code(q_code: np.ndarray, q_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The answerable queries' positions, grouped by code (stable), and their codes.

    So that the queries of a batch of codes are one slice.
    """
    q_idx = np.flatnonzero(q_ok)
    q_idx = q_idx[np.argsort(q_code[q_idx], kind="stable")]
    return q_idx, q_code[q_idx]


def _key_batches(codes: np.ndarray, batch_rows: int) -> list[tuple[int, int]]:
    """Step 3: ``[lo, hi)`` slices of the sorted rows, about ``batch_rows`` each, of whole codes.

    A slice ends where a code starts, at or after every multiple of
    ``batch_rows`` (so one code with more rows than that is one batch).
    """
    n_rows = len(codes)
    if not n_rows:
        return []
    code_starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    targets = np.arange(batch_rows, n_rows, batch_rows)
    cuts = np.unique(code_starts[np.minimum(np.searchsorted(code_starts, targets), len(code_starts) - 1)])
    bounds = np.unique(np.r_[0, cuts[cuts > 0], n_rows])
    return [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]


def _per_day(
    arrays: Sequence[np.ndarray], take: slice | np.ndarray, keys: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Step 4: one row per ``(code, day)`` of a batch, with the count of rows appended.

    ``keys`` are the batch's sorted packed keys and ``take`` its rows of
    ``arrays``. Rows sharing a key (rare in daily tables) are summed with
    :func:`_sum_per_day`; ``NaN`` counts as zero. Returns the columns and
    the distinct keys.
    """
    day_start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    cols = [arr[take] for arr in arrays]
    if len(day_start) == len(keys):
        cols = [np.where(np.isnan(v), 0.0, v) if v.dtype.kind == "f" else v for v in cols]
        count = np.ones(len(keys), dtype=np.int32)
    else:
        cols = _sum_per_day(cols, day_start)
        count = np.diff(np.append(day_start, len(keys))).astype(np.int32)
        keys = keys[day_start]
    cols.append(count)
    return cols, keys


def _cumulative_per_code(cols: Sequence[np.ndarray], codes: np.ndarray) -> np.ndarray:
    """Step 5: running totals of each column, restarting at every code, as float64 ``(rows, cols)``.

    Integers exactly (:func:`_group_cumsum`), floats as pandas does (the
    compensated cumulative sum of :meth:`pandas.core.groupby.GroupBy.cumsum`),
    so one code's totals never depend on another code's rows. float64 holds
    integers exactly below ``2**53``.
    """
    m = len(codes)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    cum = np.empty((m, len(cols)), dtype="float64", order="F")
    floats = [j for j, c in enumerate(cols) if c.dtype.kind == "f"]
    if floats:
        # Stacked row-wise (contiguous copies) and seen column-wise: the same frame as a
        # column_stack, without its strided writes. Each column's sums are its own.
        block = pd.DataFrame(np.stack([cols[j] for j in floats]).T, copy=False)
        summed = block.groupby(codes, sort=False).cumsum().to_numpy(dtype="float64")
        del block
        for i, j in enumerate(floats):
            cum[:, j] = summed[:, i]
        del summed
    for j, c in enumerate(cols):
        if c.dtype.kind != "f":
            cum[:, j] = _group_cumsum(c, starts, m)
    return cum


def _totals_at(keys: np.ndarray, cum: np.ndarray, q_code: np.ndarray, q_time: np.ndarray) -> np.ndarray:
    """Step 6: each query's running totals at ``q_time``: the row of its code dated last
    on or before it (a backward as-of lookup in the sorted ``keys``), zeros when none."""
    qk = _pack(q_code, q_time)
    pos = np.searchsorted(keys, qk, side="right") - 1
    hit = pos >= 0
    hit[hit] = (keys[pos[hit]] >> 32) == q_code[hit]
    got = cum[np.where(hit, pos, 0)]
    got[~hit] = 0.0
    return got


def trailing_sums(
    events: pd.DataFrame,
    date_col: str,
    values: Mapping[str, pd.Series | str],
    frame: pd.DataFrame,
    windows: Iterable[int],
    *,
    offsets: Iterable[int] = (),
    key: str = "employee_id",
    batch_rows: int | None = None,
) -> pd.DataFrame:
    """Trailing-window sums of daily values, as of each row of ``frame``.

    For each row ``(employee_id, as_of=t)`` of ``frame`` and each window ``w``,
    returns ``sum_{w}_{col}`` — the sum of ``col`` over rows dated in
    ``(t - w, t]`` — and ``n_{w}`` — how many rows. Only rows dated ``<= t``
    can contribute, by construction. ``NaN`` values count as zero in sums;
    pass an indicator column to count non-missing values.

    Parameters
    ----------
    events : pandas.DataFrame
        Rows with ``employee_id`` and ``date_col``.
    date_col : str
        The column that dates each row.
    values : mapping of str to str or Series
        Output name → column of ``events`` (or a Series aligned to it).
        Boolean and integer columns are summed exactly as integers; other
        columns are read as ``float64``.
    frame : pandas.DataFrame
        Snapshot frame with ``employee_id`` and ``as_of``.
    windows : iterable of int
        Window lengths in days.
    offsets : iterable of int, optional
        Also return the cumulative totals up to ``t - offset`` as
        ``cum@{offset}_{col}`` (``offset=0``: everything up to ``t``), for
        baselines like "the 154 days before the last 28".
    key : str, default "employee_id"
        The column of both ``events`` and ``frame`` that groups the rows
        (e.g. ``"team_id"`` for team-level counts).
    batch_rows : int, optional
        Event rows handled at once (whole keys at a time); default
        :data:`BATCH_ROWS`. The result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        Same length and order as ``frame``, ``float64`` columns.

    Notes
    -----
    How, step by step: (1) the keys become integer codes and the dates
    32-bit times (:func:`_encode_rows_and_queries`); (2) rows that cannot
    count are dropped — no key, no date, dated after the latest as-of date —
    and the rest sorted by (code, day), skipped when they already are
    (:func:`_sorted_rows`); (3) the rows are cut into batches of whole codes
    (:func:`_key_batches`); in each batch (4) rows sharing a (code, day) are
    summed (:func:`_per_day`), (5) every column is accumulated per code —
    integer columns exactly, float columns with the compensated (Kahan)
    cumulative sum of :meth:`pandas.core.groupby.GroupBy.cumsum`, restarting
    at every code, so one key's sums never depend on another key's rows
    (:func:`_cumulative_per_code`) — and (6) the totals at ``t - lag`` are
    read back for the batch's queries (:func:`_totals_at`); a window's sum
    is the total at ``t`` minus the total at ``t - w``.

    Examples
    --------
    >>> ev = pd.DataFrame({"employee_id": ["a", "a", "a"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-10"]),
    ...                    "x": [1.0, 2.0, 4.0]})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "as_of": pd.to_datetime(["2024-01-31"])})
    >>> trailing_sums(ev, "date", {"x": "x"}, fr, windows=[28]).to_dict("records")
    [{'sum_28_x': 2.0, 'n_28': 1.0}]
    """
    windows = [int(w) for w in windows]
    offsets = [int(o) for o in offsets]
    names = [*values, "n"]
    out_names = [f"n_{w}" if c == "n" else f"sum_{w}_{c}" for w in windows for c in names]
    out_names += [f"cum@{o}_{c}" for o in offsets for c in names]
    out = np.zeros((len(frame), len(out_names)), dtype="float64")
    lags = sorted({0} | set(windows) | set(offsets))

    arrays = _value_arrays(events, values)
    ev_code, ev_time, q_code, q_times = _encode_rows_and_queries(events, date_col, frame, key, lags)
    q_ok = (q_code >= 0) & (q_times[0] != _NAT)
    if len(ev_code) == 0 or not q_ok.any():
        return pd.DataFrame(out, columns=out_names, copy=False)
    packed, rows = _sorted_rows(ev_code, ev_time, latest=q_times[0][q_ok].max())
    del ev_code, ev_time
    q_idx, q_sorted = _queries_by_code(q_code, q_ok)

    for lo, hi in _key_batches(packed >> 32, int(batch_rows or BATCH_ROWS)):
        # The queries of this batch's codes (none: nothing to compute).
        q_lo = np.searchsorted(q_sorted, packed[lo] >> 32, side="left")
        q_hi = np.searchsorted(q_sorted, packed[hi - 1] >> 32, side="right")
        if q_hi <= q_lo:
            continue
        qi = q_idx[q_lo:q_hi]
        qc = q_code[qi]
        take = slice(lo, hi) if rows is None else rows[lo:hi]
        cols, keys = _per_day(arrays, take, packed[lo:hi])
        cum = _cumulative_per_code(cols, keys >> 32)
        del cols
        at = {lag: _totals_at(keys, cum, qc, q_time[qi]) for lag, q_time in zip(lags, q_times, strict=True)}
        del cum
        part = [at[0] - at[w] for w in windows] + [at[o] for o in offsets]
        if part:
            out[qi] = np.concatenate(part, axis=1)
    return pd.DataFrame(out, columns=out_names, copy=False)


def latest_before(
    events: pd.DataFrame,
    date_col: str,
    columns: Sequence[str],
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = ("employee_id",),
    lag_days: int = 0,
) -> pd.DataFrame:
    """The latest row of ``events`` dated on or before ``as_of - lag_days``.

    Returns ``columns`` plus ``date_col`` of the matched row, one row per row
    of ``frame`` in its order (``NaN``/``NaT`` when there is none). Among
    rows of the same key and date, the last one wins. Keys are compared as
    text.

    Examples
    --------
    >>> ev = pd.DataFrame({"employee_id": ["a", "a"],
    ...                    "d": pd.to_datetime(["2024-01-05", "2024-03-01"]), "v": [1.0, 2.0]})
    >>> fr = pd.DataFrame({"employee_id": ["a", "b"], "as_of": pd.to_datetime(["2024-01-31"] * 2)})
    >>> latest_before(ev, "d", ["v"], fr)["v"].tolist()
    [1.0, nan]
    """
    by = list(by)
    ev_code, q_code = encode_keys([events[c] for c in by], [frame[c] for c in by])
    ev_ns = _ns(events[date_col])
    ev_time, (q_time,) = _encode_times(ev_ns, [_shifted(_ns(frame["as_of"]), lag_days)])
    pos = asof_positions(ev_code, ev_time, q_code, q_time)
    missing = pos < 0
    data = {}
    for col in columns:
        data[col] = events[col].array.take(pos, allow_fill=True)
    dates = ev_ns.view("datetime64[ns]")[np.where(missing, 0, pos)] if len(ev_ns) else np.full(
        len(pos), np.datetime64("NaT"), dtype="datetime64[ns]")
    dates = np.where(missing, np.datetime64("NaT"), dates).astype("datetime64[ns]")
    data[date_col] = dates
    return pd.DataFrame(data, index=pd.RangeIndex(len(frame)))


def safe_ratio(num: np.ndarray | pd.Series, den: np.ndarray | pd.Series) -> np.ndarray:
    """``num / den`` with ``NaN`` where ``den`` is zero or missing.

    Examples
    --------
    >>> safe_ratio(np.array([1.0, 1.0]), np.array([2.0, 0.0])).tolist()
    [0.5, nan]
    """
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    out = np.full(num.shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


