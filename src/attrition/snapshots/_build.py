"""Point-in-time training and scoring frames.

A *snapshot* is one row per employee employed on an as-of date ``t``:
features from rows dated on or before ``t`` and, for training, a label from
what happened in ``(t, t + horizon]``.

Who is in a snapshot
    Everyone with ``hire_date <= t`` and no ``termination_date`` on or before
    ``t``. Someone whose last day *is* ``t`` has already left by the time the
    list is acted on, so they are not in the snapshot of ``t``.

The label (``label_status``)
    ``positive``: a ``voluntary`` termination with ``t < termination_date <=
    t + horizon`` (an exit exactly on ``t + horizon`` is positive, one day later
    is not). ``negative``: no voluntary exit in the horizon and the whole
    horizon observed (``t + horizon <= export_date``) with the employee not
    ended by another cause inside it. ``censored_horizon``: ``t + horizon``
    lies after the export date, so the outcome is not fully known — these rows
    get ``label = NaN`` (whatever happened in the observed part, so late months
    are not biased towards positives) and are left out of training.
    ``censored_competing``: employment ended inside the horizon for another
    reason (involuntary, retirement, internal transfer, other). The data
    contract treats these as censoring: ``label = NaN``, left out of training.

The time to exit (``duration_days``, ``event``)
    For the monthly hazard model and the survival metrics: ``event`` is 1
    when a voluntary exit is known by the export date, ``duration_days`` the
    days from ``t`` to that exit, or else to the censoring: another kind of
    exit (a competing risk, treated as censoring as above) or the export
    date, whichever comes first. A censored row only says "no voluntary exit
    during ``duration_days``": it never becomes a negative beyond what was
    observed.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.data._schemas import PROTECTED_COLUMNS
from attrition.data._tables import DATE_COLUMNS, Tables
from attrition.exceptions import ConfigError, DataQualityWarning, LeakageError
from attrition.features import EXPORT_TIME_FEATURES, FeatureBuilder, hr_attributes
from attrition.features._base import shared_codes

__all__ = [
    "build_frame",
    "PartialRows",
    "month_ends",
    "default_as_of_dates",
    "population",
    "make_labels",
    "feature_columns",
    "feature_labels_of",
    "observation_start",
    "META_COLUMNS",
    "LABEL_COLUMNS",
]

log = logging.getLogger(__name__)

#: Identifying columns of a snapshot frame (never model features).
META_COLUMNS: tuple[str, ...] = ("employee_id", "as_of", "team_id")
#: Outcome columns of a snapshot frame (never model features).
LABEL_COLUMNS: tuple[str, ...] = ("label", "label_status", "duration_days", "event")
LABEL_STATUSES = ("positive", "negative", "censored_horizon", "censored_competing")


def month_ends(start, end) -> pd.DatetimeIndex:
    """Month-end dates from the first month end on/after ``start`` to ``end``.

    Examples
    --------
    >>> month_ends("2024-01-15", "2024-03-31").strftime("%Y-%m-%d").tolist()
    ['2024-01-31', '2024-02-29', '2024-03-31']
    """
    return pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="ME")


def default_as_of_dates(tables: Tables, warmup_days: int = 28) -> pd.DatetimeIndex:
    """Every month end with at least ``warmup_days`` of event history before it.

    History starts when every daily table present (schedule, workload) has
    begun; without daily tables, at the earliest absence or survey row, or
    else the earliest hire. It ends at the export date. (HR systems often
    carry absences from long before the WFM and contact-platform exports
    begin; snapshots from then would have no daily features.) Tables kept in
    an engine count through their extents (:meth:`Tables.extent`).
    """
    def starts(names):
        extents = [tables.extent(name) for name in names]
        return [e.first_date for e in extents if e is not None and e.n_rows]

    daily = starts(["schedule", "workload"])
    other = starts(["absences", "surveys"])
    if daily:
        start = max(daily)
    elif other:
        start = min(other)
    else:
        start = tables.employees["hire_date"].min()
    observed = observation_start(tables)
    if observed is not None and observed > start:
        start = observed
    return month_ends(pd.Timestamp(start) + pd.Timedelta(days=warmup_days), tables.infer_export_date())


def observation_start(tables: Tables) -> pd.Timestamp | None:
    """The first day the exports observe (see :meth:`Tables.observation_start`).

    With only the HR master (no activity table), the earliest termination:
    an export that starts mid-stream lists only those employed from then on,
    so nobody left before it. ``None`` when the HR master has no leaver.
    """
    start = tables.observation_start()
    if start is not None:
        return start
    ended = tables.employees["termination_date"].dropna()
    return None if ended.empty else pd.Timestamp(ended.min()).normalize()


def population(employees: pd.DataFrame, as_of: Iterable) -> pd.DataFrame:
    """Employees employed on each as-of date: ``hire_date <= t < termination_date``.

    Returns columns ``employee_id``, ``as_of``, ``team_id``, sorted by as-of
    date then by the employees' order in the HR master.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(list(as_of))).normalize().unique().sort_values()
    hire = employees["hire_date"].to_numpy()
    term = employees["termination_date"].to_numpy()
    parts = []
    for t in dates.to_numpy():
        employed = (hire <= t) & ~(term <= t)  # NaT compares False: still employed
        part = employees.loc[employed, ["employee_id", "team_id"]]
        parts.append(part.assign(as_of=t))
    if not parts:
        return pd.DataFrame({"employee_id": pd.Series(dtype=object),
                             "as_of": pd.Series(dtype="datetime64[ns]"),
                             "team_id": pd.Series(dtype=object)})
    out = pd.concat(parts, ignore_index=True)
    out["as_of"] = out["as_of"].astype("datetime64[ns]")
    return out.loc[:, list(META_COLUMNS)]


def make_labels(
    employees: pd.DataFrame,
    frame: pd.DataFrame,
    horizon_days: int,
    export_date,
) -> pd.DataFrame:
    """Label each ``(employee_id, as_of)`` row of ``frame``; see the module docs.

    Returns ``label`` (1.0, 0.0 or NaN), ``label_status``, ``duration_days``
    and ``event`` (the time to a voluntary exit or to censoring), aligned to
    ``frame``.

    Examples
    --------
    >>> emp = pd.DataFrame({"employee_id": ["a", "b"],
    ...     "termination_date": pd.to_datetime(["2024-03-31", "2024-03-31"]),
    ...     "termination_reason": ["voluntary", "involuntary"]})
    >>> fr = pd.DataFrame({"employee_id": ["a", "b"], "as_of": pd.to_datetime(["2024-01-01"] * 2)})
    >>> make_labels(emp, fr, 90, "2024-12-31")["label_status"].tolist()
    ['positive', 'censored_competing']
    """
    emp = employees.set_index("employee_id")
    term = emp["termination_date"].reindex(frame["employee_id"]).to_numpy()
    reason = emp["termination_reason"].reindex(frame["employee_id"]).to_numpy()
    t = pd.to_datetime(frame["as_of"]).to_numpy()
    end = t + np.timedelta64(int(horizon_days), "D")
    export = np.datetime64(pd.Timestamp(export_date).normalize(), "ns")

    ends_in_horizon = (term > t) & (term <= end)
    voluntary = ends_in_horizon & (reason == "voluntary")
    other_end = ends_in_horizon & ~voluntary
    observed = end <= export
    status = np.where(
        ~observed, "censored_horizon",
        np.where(voluntary, "positive", np.where(other_end, "censored_competing", "negative")),
    )
    label = np.where(status == "positive", 1.0, np.where(status == "negative", 0.0, np.nan))
    # Time to exit: what is known on the export date; rows dated after it know nothing.
    known_end = (term > t) & (term <= export)
    stop = np.where(known_end, term, export)
    duration = ((stop - t) / np.timedelta64(1, "D")).astype("float64")
    duration[t > export] = np.nan
    event = np.where(np.isnan(duration), np.nan, (known_end & (reason == "voluntary")).astype("float64"))
    return pd.DataFrame(
        {"label": label, "label_status": pd.Categorical(status, categories=LABEL_STATUSES),
         "duration_days": duration, "event": event}
    )


_WINDOW = re.compile(r"_(\d+)d(?=$|_)")


#: The "first day" of a table that is present but holds no dated row: it has observed nothing,
#: so every window reaches back before it (masked), exactly as for a table whose rows all lie
#: after the as-of date. Dropping every row after ``t`` then changes no feature at ``t``.
_NOTHING_OBSERVED = pd.Timestamp.max.normalize()


def _history_start(tables: Tables, table: str | None) -> pd.Timestamp | None:
    """The first day of event table ``table`` (from its extent, wherever the table is kept);
    ``None`` when there is no such table, so nothing is masked; :data:`_NOTHING_OBSERVED` when
    the table is present without a dated row, so every window is masked."""
    if table is not None and table in tables.declared:
        decl = tables.declarations.get(table)
        dates = tables.declared[table][decl.date] if decl is not None else pd.Series(dtype="datetime64[ns]")
        return _NOTHING_OBSERVED if dates.dropna().empty else pd.Timestamp(dates.min())
    if table == "employee_history":  # a record in force, not a window of activity
        return None
    extent = tables.extent(table) if table in DATE_COLUMNS else None
    if extent is None:
        return None
    if not extent.n_rows or extent.first_date is None or pd.isna(extent.first_date):
        return _NOTHING_OBSERVED
    return extent.first_date


def _mask_incomplete_windows(
    feats: pd.DataFrame, as_of: pd.Series, history_start: pd.Timestamp, windows: Sequence[int]
) -> pd.DataFrame:
    """``NaN`` where a feature's window reaches back before the table's first day.

    A window ``(t - w, t]`` that starts before the export's history would
    count a partial window as if it were a quiet one (fewer shifts, fewer
    sick days); unknown is the honest value. Changes against the employee's
    earlier level (``_change_``/``_drift_``) need the longest window.
    """
    t = pd.to_datetime(as_of).to_numpy()
    first = np.datetime64(pd.Timestamp(history_start).normalize(), "ns")
    longest = max(windows) if len(windows) else 0
    out = feats.copy()
    for col in feats.columns:
        match = _WINDOW.search(col)
        if not match:
            continue
        w = longest if ("_change_" in col or "_drift_" in col) else int(match.group(1))
        partial = t - np.timedelta64(w - 1, "D") < first
        if partial.any():
            out.loc[partial, col] = np.nan
    return out


def _add_peer_comparisons(frame: pd.DataFrame, features: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """``<f>_vs_team``: the feature minus the median of the employee's team that day."""
    names = [n for n in names if n in features.columns]
    if not names:
        return pd.DataFrame(index=features.index)
    groups = [frame["as_of"].to_numpy(), frame["team_id"].to_numpy()]
    medians = features[names].groupby(groups, dropna=False).transform("median")
    diff = features[names].to_numpy(dtype="float64") - medians.to_numpy(dtype="float64")
    return pd.DataFrame(diff, columns=[f"{n}_vs_team" for n in names], index=features.index)


def _peer_comparisons(frame: pd.DataFrame, features: pd.DataFrame, names: Sequence[str],
                      partial: PartialRows | None) -> pd.DataFrame:
    """:func:`_add_peer_comparisons`, on the full rows only when the partial rows need none of them
    (medians are per as-of date, so the full rows' are the same)."""
    part_rows = partial.rows(frame) if partial is not None else None
    if (part_rows is None or not part_rows.any() or part_rows.all()
            or not partial.features.isdisjoint(f"{n}_vs_team" for n in names)):
        return _add_peer_comparisons(frame, features, names)
    keep = ~part_rows
    peers = _add_peer_comparisons(frame.loc[keep], features.loc[keep], names)
    values = np.full((len(features), peers.shape[1]), np.nan)
    values[keep] = peers.to_numpy(dtype="float64")
    return pd.DataFrame(values, index=features.index, columns=peers.columns, copy=False)


#: How many days an as-of date may lie after the newest row when the export
#: date is inferred (a month-end falling on a quiet Sunday, say).
INFERRED_EXPORT_SLACK_DAYS = 7


def _check_as_of(dates: pd.DatetimeIndex, export_date: pd.Timestamp, explicit: bool) -> None:
    late = dates[dates > export_date]
    if not len(late):
        return
    gap = int((late.max() - export_date).days)
    shown = ", ".join(d.strftime("%Y-%m-%d") for d in late[:5])
    if explicit or gap > INFERRED_EXPORT_SLACK_DAYS:
        what = "export date" if explicit else "newest row in the tables (the inferred export date)"
        raise LeakageError(
            f"As-of date(s) {shown} lie after the {what}, {export_date:%Y-%m-%d}: features would "
            "be computed from incomplete data. Score as of a date the exports cover, or pass "
            "--export-date (export_date in the config) if the export is newer than its newest row."
        )
    warnings.warn(
        f"As-of date(s) {shown} lie {gap} day(s) after the newest row in the tables "
        f"({export_date:%Y-%m-%d}); features assume nothing happened in between. Pass "
        "--export-date to state the export date and silence this warning.",
        DataQualityWarning,
        stacklevel=3,
    )


def _normalise_as_of(tables: Tables, as_of, labels: bool = False) -> pd.DatetimeIndex:
    if isinstance(as_of, (str, pd.Timestamp)) or (as_of is not None and not isinstance(as_of, Iterable)):
        as_of = [as_of]
    export_date = tables.infer_export_date()
    dates = default_as_of_dates(tables) if as_of is None else pd.DatetimeIndex(pd.to_datetime(list(as_of)))
    _check_as_of(dates, export_date, explicit=tables.export_date is not None)
    observed = observation_start(tables)
    if labels and observed is not None and as_of is not None:
        early = dates[dates < observed]
        if len(early):
            shown = ", ".join(d.strftime("%Y-%m-%d") for d in early[:5])
            warnings.warn(
                f"{len(early)} as-of date(s) ({shown}{', ...' if len(early) > 5 else ''}) lie before "
                f"observation starts ({observed:%Y-%m-%d}, the earliest dated activity row or "
                "observed_from): everyone who left before then is missing from the export, so those "
                "months hold only survivors. No training rows are built for them; set observed_from "
                "in the configuration if observation starts earlier.",
                DataQualityWarning, stacklevel=4)
            dates = dates[dates >= observed]
    return dates


def _export_time_warning(tables: Tables, features: pd.DataFrame) -> list[str]:
    """Without ``employee_history``: warn (once) which features come from export-time HR values."""
    if tables.employee_history is not None:
        return []
    names = [c for c in features.columns
             if any(c == p or (p.endswith("*") and c.startswith(p[:-1])) for p in EXPORT_TIME_FEATURES)]
    names = [n for n in names if n == "pay_vs_team" or not n.endswith("_vs_team")]
    if not names:
        return []
    warnings.warn(
        "No employee_history table: " + EXPORT_TIME_WORDS + " Affected features: "
        + ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") + ".",
        DataQualityWarning, stacklevel=4)
    return names


#: A gap (share of employees) in ``employee_history`` coverage between leavers and stayers that warns.
HISTORY_COVERAGE_GAP = 0.10


def _history_coverage_warning(tables: Tables, frame: pd.DataFrame) -> None:
    """Warn when ``employee_history`` covers leavers and stayers unequally.

    An export of the history of current staff only (or of leavers only)
    leaves the HR attributes of one group missing, and a missing value then
    tells the model who left: the label leaks through the missingness. Warns
    when the share of the snapshot population's leavers with no history row
    and that of its stayers differ by :data:`HISTORY_COVERAGE_GAP` or more
    (and at least 5 employees lack a history row).
    """
    hist = tables.employee_history
    if hist is None or len(frame) == 0:
        return
    ids = pd.Index(pd.unique(frame["employee_id"].astype(str)))
    emp = tables.employees.assign(employee_id=tables.employees["employee_id"].astype(str))
    left = emp.loc[emp["termination_date"].notna(), "employee_id"]
    leaver = ids.isin(left)
    covered = ids.isin(hist["employee_id"].astype(str))
    n_leave, n_stay = int(leaver.sum()), int((~leaver).sum())
    if not n_leave or not n_stay:
        return
    miss_leave = int((leaver & ~covered).sum())
    miss_stay = int((~leaver & ~covered).sum())
    if abs(miss_leave / n_leave - miss_stay / n_stay) < HISTORY_COVERAGE_GAP or miss_leave + miss_stay < 5:
        return
    examples = ", ".join(ids[~covered][:5])
    warnings.warn(
        f"{tables.source('employee_history')} covers leavers and stayers unequally: {miss_leave} of "
        f"{n_leave} leavers ({miss_leave / n_leave:.0%}) and {miss_stay} of {n_stay} employees still "
        f"employed ({miss_stay / n_stay:.0%}) have no row in it (e.g. {examples}). Their HR "
        "attributes and history features are missing, and the missingness tells the model who "
        "left, which flatters the metrics. Export the job history of every employee in "
        f"{tables.source('employees')}, leavers included (an HR system's history of current staff "
        "only is a common cause).",
        DataQualityWarning, stacklevel=4)


#: Why export-time HR values can flatter the metrics (the warning and the model card say it).
EXPORT_TIME_WORDS = (
    "team, site, role, contract, hours and pay relative to peers come from the employees "
    "export, i.e. their values on the export date, not on each as-of date. A stayer's current "
    "values include later raises, moves and promotions while a leaver's froze at exit, so these "
    "features partly encode the outcome and can flatter the validation metrics. Export the job "
    "history as employee_history.csv to read every attribute as of each date."
)


@dataclass(frozen=True)
class PartialRows:
    """As-of dates whose rows need only some features (a build's rows of the other dates get all).

    A builder none of whose features (:meth:`FeatureBuilder.labels`, and
    the peer comparisons ``<f>_vs_team`` of its
    :meth:`FeatureBuilder.peer_features`) is in ``features`` answers only
    the rows of the other dates; on the rows of ``dates`` its features are
    missing (``NaN``), and so are the peer comparisons not in ``features``.
    A builder whose output has a categorical column answers every row (it
    may infer the categories from the rows it is given). Every builder
    works row by row or within one as-of date, so the rows of the other
    dates, and the listed features on the rows of ``dates``, are bit for bit
    those of a full build, dtypes included
    (``tests/snapshots/test_partial_rows.py``). The frame's
    ``attrs["partial_dates"]`` lists ``dates``: such a frame is for reading
    those features, and :meth:`attrition.AttritionModel.fit` refuses it. Monthly
    scoring builds its earlier month ends this way: the quiet-quitting state
    filter reads only :meth:`QuietQuittingDefinition.state_features` there.

    Parameters
    ----------
    dates : iterable of dates
        The as-of dates of the partial rows.
    features : iterable of str
        The features those rows need.
    """

    dates: tuple[pd.Timestamp, ...]
    features: frozenset[str]

    def __init__(self, dates: Iterable, features: Iterable[str]) -> None:
        if isinstance(features, str):
            raise ConfigError(f"PartialRows(features=...) takes a list of feature names, not the string "
                              f"{features!r}: write [{features!r}].")
        object.__setattr__(self, "dates", tuple(pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()))
        object.__setattr__(self, "features", frozenset(features))

    def rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Which rows of a snapshot frame are partial (their ``as_of`` among :attr:`dates`)."""
        as_of = pd.to_datetime(frame["as_of"]).dt.normalize()
        return as_of.isin(pd.DatetimeIndex(self.dates)).to_numpy()

    def needs(self, builder: FeatureBuilder) -> bool:
        """Whether ``builder`` makes a feature the partial rows need, or the base of a peer
        comparison (``<f>_vs_team``, :meth:`FeatureBuilder.peer_features`) they need."""
        return (not self.features.isdisjoint(builder.labels())
                or not self.features.isdisjoint(f"{p}_vs_team" for p in builder.peer_features()))


def _on_rows(feats: pd.DataFrame, taken: np.ndarray, index: pd.Index) -> pd.DataFrame | None:
    """``feats`` (one row per position of ``taken`` >= 0) spread over ``index``: the rows where
    ``taken`` is -1 missing. ``None`` when a column's dtype cannot hold a missing value unchanged,
    or is categorical (a builder may infer the categories from the rows it is given: those of
    fewer rows would not be a full build's)."""
    cols = {}
    for name in feats.columns:
        if isinstance(feats[name].dtype, pd.CategoricalDtype):
            return None
        col = pd.Series(feats[name].array.take(taken, allow_fill=True), index=index, name=name, copy=False)
        if col.dtype != feats[name].dtype:
            return None
        cols[name] = col
    return pd.DataFrame(cols, index=index, columns=feats.columns)


def _builder_features(tables: Tables, frame: pd.DataFrame, builders: Sequence[FeatureBuilder],
                      partial: PartialRows | None = None) -> tuple[list[pd.DataFrame], list[str]]:
    """Each available builder's features (windows masked before its table's history), and peers.

    With ``partial``, a builder the partial rows do not need answers the other rows only."""
    parts: list[pd.DataFrame] = []
    peers: list[str] = []
    part_rows = partial.rows(frame) if partial is not None else np.zeros(len(frame), dtype=bool)
    if part_rows.all():  # no other row to answer: every builder builds every row
        part_rows = np.zeros(len(frame), dtype=bool)
    full = frame.loc[~part_rows].reset_index(drop=True) if part_rows.any() else frame
    taken = np.full(len(frame), -1, dtype=np.int64)
    taken[~part_rows] = np.arange(len(full))
    for builder in builders:
        if not builder.available(tables):
            log.info("  %s: no %s table, skipped", builder.name, builder.table)
            continue
        started = time.perf_counter()
        feats = None
        if part_rows.any() and not partial.needs(builder):
            feats = _builder_rows(tables, full, builder)
            feats = None if not partial.features.isdisjoint(feats.columns) else (
                _on_rows(feats, taken, frame.index))
        if feats is None:  # every row (the partial rows need it, or its dtypes hold no missing value)
            feats = _builder_rows(tables, frame, builder)
        parts.append(feats)
        peers.extend(builder.peer_features())
        log.debug("  %s: %d features in %.1fs", builder.name, feats.shape[1],
                  time.perf_counter() - started)
    return parts, peers


def _builder_rows(tables: Tables, frame: pd.DataFrame, builder: FeatureBuilder) -> pd.DataFrame:
    """One builder's features of ``frame``'s rows, windows masked before its table's history."""
    feats = builder.build(tables, frame)
    if len(feats) != len(frame):
        raise RuntimeError(f"{builder!r} returned {len(feats)} rows for {len(frame)}.")
    feats.index = frame.index
    start = _history_start(tables, builder.table)
    if start is not None:
        feats = _mask_incomplete_windows(feats, frame["as_of"], start, builder.windows)
    return feats


def build_frame(
    tables: Tables,
    as_of,
    horizon_days: int,
    *,
    windows: Sequence[int],
    builders: Sequence[FeatureBuilder],
    labels: bool = True,
    partial: PartialRows | None = None,
) -> pd.DataFrame:
    """Population, features and (optionally) attrition labels; the engine of
    :meth:`attrition.SnapshotSpec.build` (see :func:`attrition.build_snapshots`).

    ``partial``: rows of some as-of dates that need only some features
    (:class:`PartialRows`); the others are missing there.
    """
    dates = _normalise_as_of(tables, as_of, labels=labels)
    frame = population(tables.employees, dates)
    if tables.employee_history is not None:  # the team in force on each as-of date
        frame["team_id"] = hr_attributes(tables, frame, ["team_id"])["team_id"].astype(object).to_numpy()
    started = time.perf_counter()
    with shared_codes():  # builders reading the same event table code and order it once
        parts, peers = _builder_features(tables, frame, list(builders), partial)
    features = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    if peers:
        features = pd.concat([features, _peer_comparisons(frame, features, peers, partial)], axis=1)
    protected = sorted(set(features.columns) & set(PROTECTED_COLUMNS))
    if protected:
        raise LeakageError(f"Protected attribute(s) {protected} reached the features; they must never.")
    dup = features.columns[features.columns.duplicated()].tolist()
    if dup:
        raise RuntimeError(f"Two builders made features with the same name: {dup}")
    log.info("Snapshots: %d employee-months over %d as-of dates, %d features in %.1fs",
             len(frame), len(dates), features.shape[1], time.perf_counter() - started)

    export_time = _export_time_warning(tables, features)
    out = pd.concat([frame, features], axis=1)
    if labels:
        _history_coverage_warning(tables, frame)
        out = pd.concat([out, make_labels(tables.employees, frame, horizon_days,
                                          tables.infer_export_date())], axis=1)
        out.attrs["horizon_days"] = int(horizon_days)
    out.attrs["windows"] = [int(w) for w in windows]
    if partial is not None and partial.rows(frame).any():  # some rows lack features: not for fitting
        out.attrs["partial_dates"] = [f"{d:%Y-%m-%d}" for d in partial.dates]
    out.attrs["export_time_features"] = export_time
    observed = observation_start(tables)
    out.attrs["observed_from"] = None if observed is None else f"{observed:%Y-%m-%d}"
    return out

def bare_frame(frame: pd.DataFrame, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (except the keys in ``keep``), sharing its data.

    pandas deep-copies a frame's ``attrs`` into every column or row selection
    taken from it; on a snapshot frame (its spec, schema and quiet-quitting
    state model) that copy costs more than the selection itself, thousands of
    times per fit or training run. Code that reads columns many times and
    needs no ``attrs`` works on this instead.

    >>> f = pd.DataFrame({"a": [1, 2]}); f.attrs["spec"] = {"windows": [28]}
    >>> b = bare_frame(f)
    >>> b.attrs, f.attrs["spec"], b["a"].tolist()
    ({}, {'windows': [28]}, [1, 2])
    """
    out = frame.copy(deep=False)
    out.attrs = {k: frame.attrs[k] for k in keep if k in frame.attrs}
    return out


def feature_columns(snapshots: pd.DataFrame) -> list[str]:
    """The model features of a snapshot frame (everything but ids and labels).

    Examples
    --------
    >>> fr = pd.DataFrame(columns=["employee_id", "as_of", "team_id", "tenure_days", "label"])
    >>> feature_columns(fr)
    ['tenure_days']
    """
    skip = set(META_COLUMNS) | set(LABEL_COLUMNS) | set(PROTECTED_COLUMNS)
    return [c for c in snapshots.columns if c not in skip]


def feature_labels_of(builders: Sequence[FeatureBuilder]) -> dict[str, str]:
    """Readable labels of every feature the builders can make, by feature name."""
    labels: dict[str, str] = {}
    for builder in builders:
        own = builder.labels()
        labels.update(own)
        for name in builder.peer_features():
            labels[f"{name}_vs_team"] = f"{own.get(name, name)} vs team median"
    return labels
