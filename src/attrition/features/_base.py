"""Shared machinery of the feature builders: the point-in-time primitives.

Every feature for an employee at as-of date ``t`` uses only rows dated on or
before ``t``. The builders get that guarantee from two primitives here rather
than from ad-hoc filtering:

* :func:`trailing_sums` — sums and counts of daily values over trailing
  windows ``(t - w, t]``, computed once per employee-day as cumulative sums and
  read back with as-of joins (``merge_asof``, backward), so the cost grows with
  the number of rows, not rows × as-of dates;
* :func:`latest_before` — the latest row on or before ``t`` (as-of join).

A builder is a small class with a ``name``, the ``table`` it reads (``None``
for the HR master only), a :meth:`FeatureBuilder.build` method that returns one
row per row of the snapshot frame, in the same order, and a
:meth:`FeatureBuilder.labels` mapping of feature names to readable labels.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..tables import Tables

__all__ = [
    "FeatureBuilder",
    "snapshot_keys",
    "window_parts",
    "trailing_sums",
    "latest_before",
    "safe_ratio",
    "KEY",
]

#: The key of every snapshot frame.
KEY: list[str] = ["employee_id", "as_of"]


def snapshot_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``employee_id`` (str) and ``as_of`` (datetime64[ns], midnight) of ``frame``.

    pandas 3 parses dates to microseconds by default; the as-of joins need one
    resolution on both sides, so every builder reads its keys through here.
    """
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
        """
        raise NotImplementedError

    def labels(self) -> dict[str, str]:
        """Readable labels of the features this builder makes, by feature name."""
        return {}

    def peer_features(self) -> list[str]:
        """Features worth comparing with the team median (``<name>_vs_team``)."""
        return []

    def all_missing(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every feature of :meth:`labels`, all ``NaN``, one row per row of ``frame``."""
        return pd.DataFrame(np.nan, index=pd.RangeIndex(len(frame)), columns=list(self.labels()),
                            dtype="float64")

    def __repr__(self) -> str:
        """``Name(arg=value, ...)`` from the constructor's arguments (scikit-learn style)."""
        params = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in params)
        return f"{type(self).__name__}({args})"


def _daily(
    events: pd.DataFrame, date_col: str, values: Mapping[str, pd.Series | str], key: str
) -> pd.DataFrame:
    """Sum ``values`` per (key, day); add ``n`` = rows that day."""
    data = {
        "employee_id": events[key].astype("str").to_numpy(),
        "date": pd.to_datetime(events[date_col]).astype("datetime64[ns]").to_numpy(),
    }
    for out, val in values.items():
        series = events[val] if isinstance(val, str) else val
        data[out] = pd.to_numeric(series, errors="raise").to_numpy(dtype="float64")
    frame = pd.DataFrame(data)
    frame["n"] = 1.0
    daily = frame.groupby(["employee_id", "date"], sort=True, observed=True).sum(min_count=0)
    return daily.reset_index()


def trailing_sums(
    events: pd.DataFrame,
    date_col: str,
    values: Mapping[str, pd.Series | str],
    frame: pd.DataFrame,
    windows: Iterable[int],
    *,
    offsets: Iterable[int] = (),
    key: str = "employee_id",
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

    Returns
    -------
    pandas.DataFrame
        Same length and order as ``frame``.

    Examples
    --------
    >>> ev = pd.DataFrame({"employee_id": ["a", "a", "a"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-10"]),
    ...                    "x": [1.0, 2.0, 4.0]})
    >>> fr = pd.DataFrame({"employee_id": ["a"], "as_of": pd.to_datetime(["2024-01-31"])})
    >>> trailing_sums(ev, "date", {"x": "x"}, fr, windows=[28]).to_dict("records")
    [{'sum_28_x': 2.0, 'n_28': 1.0}]
    """
    windows = list(windows)
    offsets = list(offsets)
    daily = _daily(events, date_col, values, key)
    cols = [c for c in daily.columns if c not in ("employee_id", "date")]
    daily[cols] = daily.groupby("employee_id", sort=False, observed=True)[cols].cumsum()

    lookups = {0} | set(windows) | set(offsets)
    cum_at: dict[int, np.ndarray] = {}
    right = daily.sort_values("date", kind="stable")
    base = pd.DataFrame(
        {
            "employee_id": frame[key].astype("str").to_numpy(),
            "_row": np.arange(len(frame)),
        }
    )
    as_of = pd.to_datetime(frame["as_of"]).astype("datetime64[ns]").to_numpy()
    for lag in sorted(lookups):
        left = base.assign(_at=as_of - np.timedelta64(lag, "D")).sort_values("_at", kind="stable")
        joined = pd.merge_asof(
            left,
            right,
            left_on="_at",
            right_on="date",
            by="employee_id",
            direction="backward",
            allow_exact_matches=True,
        )
        joined = joined.sort_values("_row", kind="stable")
        cum_at[lag] = joined[cols].fillna(0.0).to_numpy(dtype="float64")

    out: dict[str, np.ndarray] = {}
    for w in windows:
        diff = cum_at[0] - cum_at[w]
        for j, col in enumerate(cols):
            name = f"n_{w}" if col == "n" else f"sum_{w}_{col}"
            out[name] = diff[:, j]
    for off in offsets:
        for j, col in enumerate(cols):
            out[f"cum@{off}_{col}"] = cum_at[off][:, j]
    return pd.DataFrame(out)


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
    of ``frame`` in its order (``NaN``/``NaT`` when there is none).

    Examples
    --------
    >>> ev = pd.DataFrame({"employee_id": ["a", "a"],
    ...                    "d": pd.to_datetime(["2024-01-05", "2024-03-01"]), "v": [1.0, 2.0]})
    >>> fr = pd.DataFrame({"employee_id": ["a", "b"], "as_of": pd.to_datetime(["2024-01-31"] * 2)})
    >>> latest_before(ev, "d", ["v"], fr)["v"].tolist()
    [1.0, nan]
    """
    by = list(by)
    right = events.loc[:, by + [date_col, *columns]].rename(columns={date_col: "_date"})
    right["_date"] = pd.to_datetime(right["_date"]).astype("datetime64[ns]")
    right = right.sort_values("_date", kind="stable")
    left = frame.loc[:, by].copy()
    for col in by:
        left[col] = left[col].astype("str")
        right[col] = right[col].astype("str")
    left["_row"] = np.arange(len(frame))
    as_of = pd.to_datetime(frame["as_of"]).astype("datetime64[ns]").to_numpy()
    left["_at"] = as_of - np.timedelta64(lag_days, "D")
    left = left.sort_values("_at", kind="stable")
    joined = pd.merge_asof(
        left, right, left_on="_at", right_on="_date", by=by, direction="backward",
        allow_exact_matches=True,
    )
    joined = joined.sort_values("_row", kind="stable").reset_index(drop=True)
    return joined.loc[:, [*columns, "_date"]].rename(columns={"_date": date_col})


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
