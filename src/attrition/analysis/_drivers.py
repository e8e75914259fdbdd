"""Drivers a team lead can read: which measures move each person's risk, in words.

Sizes in probability points
    The model's TreeSHAP contributions (``AttritionModel.contributions``,
    LightGBM's own exact TreeSHAP scaled by the Platt slope) live on the
    calibrated log-odds scale: ``bias + sum(φ) = logit(p)``. A driver's size
    in *probability points* is what its contribution φ (summed over the
    measure's windows and team comparison) adds to the risk given everything
    else about the person::

        points = 100 × (p − sigmoid(logit(p) − φ))

    i.e. how many points lower (or higher) the risk would be without that
    contribution. It has the sign of φ and is exact for each driver on its
    own; because the logistic curve is not linear, the points of several
    drivers do not add up to ``p − p_base`` (a proportional split would add
    up, but is arbitrary when contributions have mixed signs).

References
    Each driver shows the person's value beside a reference: the median of
    their team on the same as-of date (what the ``_vs_team`` features
    compare against), computed from the same point-in-time snapshot. Some
    drivers have none (:func:`has_reference`):

    * team-level measures — one value for the whole team on a date by
      construction: ``team_*`` (team size, exits, hires, median tenure) and
      ``survey_team_*`` (the team's survey means and response rate). Their
      team median is the value itself, so "0.48 (team median 0.48)" would
      say nothing;
    * comparisons and changes, whose value already is a difference:
      ``pay_vs_*`` (from the team or site median), ``*_change_*``,
      ``*_change`` and ``*_drift_*`` (from the employee's own earlier
      level; the label says so);
    * categories (site, role): their team median is missing.

Examples
--------
>>> round(probability_points(0.2, 0.5), 1)  # 20 % risk, of which +0.5 log-odds from one driver
6.8
>>> format_feature_value("sched_late_share_28d", 0.123)
'12%'
>>> driver_sentence("Late schedule changes, last 28 days", "6", "team median", "1", 4.08)
'Late schedule changes, last 28 days: 6 (team median 1) — raises risk by 4.1 points'
>>> driver_sentence("Tenure (days)", format_feature_value("tenure_days", 58), "team median",
...                 format_feature_value("tenure_days", 61), 9.6)
'Tenure: 2 months (same as the team median) — raises risk by 9.6 points'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.features import history_phrase
from attrition.models._survival import TENURE_COLUMNS

__all__ = [
    "probability_points",
    "format_feature_value",
    "format_duration",
    "plain_label",
    "driver_sentence",
    "measure_label",
    "team_medians",
    "feature_family",
    "has_reference",
    "TEAM_LEVEL_PREFIXES",
    "top_drivers",
]

_PERCENT = re.compile(r"(share|_rate_|rate$|adherence|occupancy|worked_ratio)")
#: Features counted in days of tenure, shown in days, months or years.
_DAYS_OF_TENURE = frozenset({"tenure_days", "team_median_tenure_days"})
#: Features in minutes (schedule) and seconds (handle time), shown with their unit.
_MINUTES = re.compile(r"^sched_(start_std|overtime_mean|overtime_change)")
_SECONDS = re.compile(r"^wl_aht_\d+d")

#: Label rewrites that take the data scientist's wording out of a driver:
#: units move to the value ("2 months", "6.4 hours"), definitions to the docs.
_PLAIN = (
    (re.compile(r"^Tenure \((log )?days\)"), "Tenure"),
    (re.compile(r"^Median tenure in the team \(days\)"), "Median tenure in the team"),
    (re.compile(r" \(start from (\d\d:\d\d) or before (\d\d:\d\d), or past midnight\)"), r" (\1–\2)"),
    (re.compile(r" \(std, minutes\)| \((minutes|seconds)\)"), ""),
    (re.compile(r"^Worked / scheduled minutes"), "Share of scheduled time worked"),
    (re.compile(r"^Team mean of '([^']+)' answers"), r"Team survey score for '\1'"),
    (re.compile(r"'enps'"), "eNPS"),
    (re.compile(r",? \(0–1 scale(, ≥\d+ respondents)?\)"), ""),
)


@functools.lru_cache(maxsize=4096, typed=True)
def plain_label(label: str) -> str:
    """A feature label in an HR partner's words: no units in brackets, no statistics jargon.

    Units go with the value (:func:`format_feature_value`), so the label
    drops them; a night-shift definition shrinks to its hours.

    Examples
    --------
    >>> plain_label("Tenure (days)"), plain_label("Variability of shift start time (std, minutes), last 91 days")
    ('Tenure', 'Variability of shift start time, last 91 days')
    >>> plain_label("Share of night shifts (start from 20:00 or before 06:00, or past midnight), last 91 days")
    'Share of night shifts (20:00–06:00), last 91 days'
    >>> plain_label("Team mean of 'enps' answers, last 365 days (0–1 scale, ≥5 respondents)")
    'Team survey score for eNPS, last 365 days'
    """
    out = str(label)
    for pattern, repl in _PLAIN:
        out = pattern.sub(repl, out)
    return out


def format_duration(days: float) -> str:
    """A number of days as a person says it: days under a month, months under two years, then years.

    Examples
    --------
    >>> format_duration(12), format_duration(58), format_duration(31), format_duration(412), format_duration(4804)
    ('12 days', '2 months', '1 month', '14 months', '13.2 years')
    """
    d = float(days)
    if abs(d) < 30.5:
        n = int(round(d))
        return f"{n} day{'' if abs(n) == 1 else 's'}"
    if abs(d) < 730:
        n = max(1, int(round(d / 30.44)))
        return f"{n} month{'' if n == 1 else 's'}"
    return f"{d / 365.25:.1f} years"


def _clock(minutes: float, signed: bool = False) -> str:
    """Minutes as minutes, or hours from 90 minutes up."""
    sign = ("+" if minutes > 0 else "-" if minutes < 0 else "") if signed else ("-" if minutes < 0 else "")
    m = abs(minutes)
    return f"{sign}{m / 60:.1f} hours" if m >= 90 else f"{sign}{m:.0f} min"


def probability_points(p, phi):
    """Risk points (0–100 scale) that a log-odds contribution ``phi`` adds to risk ``p``.

    ``100 × (p − sigmoid(logit(p) − phi))``: how much lower the risk would be
    without the contribution, everything else unchanged.

    Examples
    --------
    >>> probability_points(0.5, 0.0)
    0.0
    >>> round(float(probability_points(0.1, -1.0)), 2)
    -13.2
    >>> float(probability_points(0.5, 800.0))  # the risk without it: 0, without a warning
    50.0
    """
    p = np.clip(np.asarray(p, dtype="float64"), 1e-12, 1 - 1e-12)
    phi = np.asarray(phi, dtype="float64")
    logit = np.log(p) - np.log1p(-p)
    # exp overflows to inf for a contribution of hundreds of log-odds: the risk without it is
    # then 0, which is the right answer, so numpy's overflow warning would only alarm the user.
    with np.errstate(over="ignore"):
        out = 100.0 * (p - 1.0 / (1.0 + np.exp(-(logit - phi))))
    return float(out) if out.ndim == 0 else out


def format_feature_value(name: str, value) -> str:
    """A feature value as a person reads it: shares in %, counts as whole numbers.

    Durations carry their unit: tenure in days, months or years
    (:func:`format_duration`), shift times in minutes or hours, handle time
    in seconds or minutes.

    Examples
    --------
    >>> format_feature_value("sched_late_changes_28d", 6.0), format_feature_value("tenure_days", 412.0)
    ('6', '14 months')
    >>> format_feature_value("sched_start_std_91d", 384.0), format_feature_value("wl_aht_28d", 372.0)
    ('6.4 hours', '6.2 min')
    >>> format_feature_value("wl_occupancy_mean_28d", 0.874), format_feature_value("x", float("nan"))
    ('87%', 'missing')
    >>> format_feature_value("sched_late_share_28d_vs_team", 0.05), format_feature_value("pay_vs_site", -0.09)
    ('+5 pts', '-9%')
    """
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return "no answer" if name.startswith("survey_") else "missing"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    v = float(value)
    diff = name.endswith("_vs_team") or "_change_" in name or name.endswith("_change")
    if name in _DAYS_OF_TENURE:
        return format_duration(v)
    if name == "log_tenure":
        return format_duration(np.expm1(v))
    if name == "early_tenure":
        return "yes" if v else "no"
    if _MINUTES.search(name):
        return _clock(v, signed=diff)
    if _SECONDS.search(name):
        text = f"{abs(v) / 60:.1f} min" if abs(v) >= 90 else f"{abs(v):.0f} s"
        return ("+" if v > 0 else "-" if v < 0 else "") + text if diff else ("-" if v < 0 else "") + text
    if name.startswith("pay_vs_"):  # relative difference from a median
        return f"{100 * v:+.0f}%"
    if _PERCENT.search(name):
        if diff:
            return f"{100 * v:+.0f} pts"
        return f"{100 * v:.0f}%"
    if v.is_integer():
        return f"{int(v):+d}" if diff and v else f"{int(v)}"
    if abs(v) >= 100:
        return f"{v:+.0f}" if diff else f"{v:.0f}"
    return f"{v:+.2g}" if diff else f"{v:.3g}"


def driver_sentence(label: str, value: str, reference_name: str | None, reference: str | None,
                    points: float | None, contribution: float | None = None) -> str:
    """One driver as a sentence, its label in plain words (:func:`plain_label`).

    A reference equal to the value reads "same as the team median": the
    measure still moves the risk, because the model compares the person
    with everyone scored, not with their team.

    Examples
    --------
    >>> driver_sentence("Team size", "9", None, None, -1.234)
    'Team size: 9 — lowers risk by 1.2 points'
    >>> driver_sentence("a", "3", None, None, None, contribution=0.7)
    'a: 3 — raises risk (+0.70 log-odds)'
    """
    label = plain_label(label)
    ref = ""
    if reference_name and reference:
        ref = f" (same as the {reference_name})" if reference == value else f" ({reference_name} {reference})"
    head = f"{label}: {value}" if value else label  # a plain-words driver carries its value
    if points is not None and np.isfinite(points):
        verb = "raises" if points > 0 else "lowers"
        return f"{head}{ref} — {verb} risk by {abs(points):.1f} points"
    c = float(contribution or 0.0)
    return f"{head}{ref} — {'raises' if c > 0 else 'lowers'} risk ({c:+.2f} log-odds)"


def _label_and_value(labels: dict[str, str], name: str, value,
                     text: Callable[[str, object], str] = format_feature_value) -> tuple[str, str]:
    """The driver's label and shown value; job-history drivers read as one phrase
    ("New team lead 34 days ago") with no separate value."""
    phrase = history_phrase(name, value)
    if phrase is not None:
        return phrase, ""
    return labels.get(name, name), text(name, value)


class _ValueText:
    """:func:`format_feature_value`, each distinct feature and value formatted once.

    A driver column repeats few values per feature (counts, shares rounded
    by the data), so one call's rows share their texts. Only numbers and
    booleans (Python's and numpy's) are remembered, with the value's type in
    the key (``1``, ``1.0`` and ``True`` read differently); anything else
    (text, dates, decimals: equal values that may print differently) and the
    zeros and NaN of a float type are formatted each time (``-0.0`` equals
    ``0.0`` but may read ``-0%``; NaN never equals itself).

    Examples
    --------
    >>> text = _ValueText()
    >>> text("wl_occupancy_mean_28d", 0.874), text("wl_occupancy_mean_28d", 0.874), len(text.memo)
    ('87%', '87%', 1)
    >>> text("sched_late_share_28d", -0.0), text("sched_late_share_28d", 0.0), len(text.memo)
    ('-0%', '0%', 1)
    """

    def __init__(self) -> None:
        self.memo: dict[tuple, str] = {}

    def __call__(self, name: str, value) -> str:
        kind = type(value)
        if kind not in _REMEMBERED or (kind in _FLOATS and (value == 0 or value != value)):
            return format_feature_value(name, value)
        key = (name, kind, value)
        out = self.memo.get(key)
        if out is None:
            out = self.memo[key] = format_feature_value(name, value)
        return out


#: The value types whose texts :class:`_ValueText` remembers (exact types: equal values print alike).
_FLOATS = frozenset({float, np.float16, np.float32, np.float64, np.longdouble})
_REMEMBERED = _FLOATS | frozenset({int, bool, np.bool_, np.int8, np.int16, np.int32, np.int64,
                                   np.uint8, np.uint16, np.uint32, np.uint64})


def measure_label(label: str) -> str:
    """A feature label without its window and team comparison: the measure's name.

    Examples
    --------
    >>> measure_label("Late schedule changes (notice ≤ 2 days), last 28 days vs team median")
    'Late schedule changes (notice ≤ 2 days)'
    >>> measure_label("Tenure (log days)")
    'Tenure'
    """
    label = plain_label(label)
    out = re.sub(r" vs team median$", "", label).replace(" (0–1 scale)", "")
    out = re.sub(r",? ?\(?(last|in the last) \d+ days\)?.*$", "", out)
    return out.strip() or label


def team_medians(snapshots: pd.DataFrame, features: Sequence[str], min_group_size: int = 5) -> pd.DataFrame:
    """Median of each numeric feature over the employee's team on the same as-of date.

    Categorical features get ``NaN``, and so does every feature of a team with
    fewer than ``min_group_size`` people that day (a small team's median would
    reveal colleagues' values). Aligned to ``snapshots``' index.

    Examples
    --------
    >>> s = pd.DataFrame({"as_of": ["2024-01-31"] * 3, "team_id": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]})
    >>> team_medians(s, ["x"], min_group_size=1)["x"].tolist()
    [2.0, 2.0, 5.0]
    >>> team_medians(s, ["x"], min_group_size=2)["x"].tolist()
    [2.0, 2.0, nan]
    """
    numeric = [f for f in features if f in snapshots.columns
               and pd.api.types.is_numeric_dtype(snapshots[f].dtype)
               and not isinstance(snapshots[f].dtype, pd.CategoricalDtype)]
    out = pd.DataFrame(np.nan, index=snapshots.index, columns=list(features), dtype="float64")
    if numeric and len(snapshots):
        keys = [snapshots["as_of"].to_numpy(), snapshots["team_id"].astype(str).to_numpy()]
        grouped = snapshots[numeric].astype("float64").groupby(keys)
        out[numeric] = grouped.transform("median").to_numpy()
        size = snapshots["team_id"].groupby(keys).transform("size").to_numpy()
        out.loc[size < min_group_size, :] = np.nan
    return out


def _format_value(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return f"{int(value)}"
        return f"{value:.3g}"
    return str(value)


_TENURE = frozenset(TENURE_COLUMNS)


def feature_family(name: str) -> str:
    """The measure a feature belongs to, without its window or team comparison.

    Examples
    --------
    >>> feature_family("sched_night_share_91d"), feature_family("wl_aht_28d_vs_team")
    ('sched_night_share', 'wl_aht')
    """
    if name in _TENURE:
        return "tenure"
    return re.sub(r"_\d+d(?=$|_)", "", name).removesuffix("_vs_team")


#: Prefixes of team-level measures: features whose value is by construction the
#: same for everyone in the team on a date (see "References" in the module docs).
TEAM_LEVEL_PREFIXES: tuple[str, ...] = ("team_", "survey_team_")


def has_reference(name: str) -> bool:
    """Whether a driver of feature ``name`` is shown beside its team median.

    Not for team-level measures (:data:`TEAM_LEVEL_PREFIXES`: the team
    median is the value itself), nor for features whose value already is a
    difference (``pay_vs_*``, changes and drifts).

    Examples
    --------
    >>> has_reference("sched_late_changes_28d"), has_reference("survey_enps_latest")
    (True, True)
    >>> has_reference("team_size"), has_reference("survey_team_enps_mean")
    (False, False)
    >>> has_reference("pay_vs_site"), has_reference("survey_enps_change"), has_reference("wl_aht_change_28d")
    (False, False, False)
    """
    return not (name.startswith(TEAM_LEVEL_PREFIXES) or name.startswith("pay_vs_")
                or "_change_" in name or name.endswith("_change") or "_drift_" in name)


def top_drivers(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    n: int = 3,
    labels: dict[str, str] | None = None,
    *,
    references: pd.DataFrame | None = None,
    reference_name: str = "team median",
) -> pd.DataFrame:
    """The ``n`` measures that move each row's risk most, in words.

    Contributions of one measure over several windows (e.g. night share over
    the last 28, 91 and 182 days) and against the team median are added up
    into one driver (as are the three tenure features), so a driver list
    never repeats itself; TreeSHAP values are additive, so the sum is
    exact. The driver is shown with the label and value of its largest
    single contribution (for a ``_vs_team`` comparison: the feature itself,
    with the team median it was compared against as reference).

    Parameters
    ----------
    contributions : pandas.DataFrame
        Per-feature contributions on the calibrated log-odds scale. With a
        ``bias`` column (as :meth:`AttritionModel.contributions` returns) the
        sizes are also given in probability points (see
        :func:`probability_points`).
    values : pandas.DataFrame
        The feature values, same index.
    n : int
        Drivers per row.
    labels : dict, optional
        Readable feature labels.
    references : pandas.DataFrame, optional
        A reference value per feature and row (e.g. :func:`team_medians`),
        shown beside the value. Never shown for team-level measures
        (``team_*``, ``survey_team_*``: the same value for the whole team),
        comparisons and changes (:func:`has_reference`), nor where the
        reference is missing (categories, teams under ``min_group_size``).
    reference_name : str, default "team median"
        What the references are, as it reads in the sentence.

    Returns
    -------
    pandas.DataFrame
        For k = 1..n: ``driver_k`` (a sentence), ``driver_k_feature``,
        ``driver_k_value`` (as text), ``driver_k_contribution`` (signed,
        calibrated log-odds, summed over the measure's windows),
        ``driver_k_points`` (signed probability points; only with a ``bias``
        column) and ``driver_k_reference`` (as text; only with
        ``references``). Ordered by absolute contribution; ties break by
        feature order.

    Examples
    --------
    >>> c = pd.DataFrame({"a_28d": [0.5, -0.1], "a_91d": [0.2, 0.0], "b": [-0.6, 0.05],
    ...                   "bias": [-2.0, -2.0]})
    >>> v = pd.DataFrame({"a_28d": [3.0, 1.0], "a_91d": [2.0, 1.0], "b": [0.9, 0.2]})
    >>> top_drivers(c, v, n=1)["driver_1"].tolist()
    ['a_28d: 3 — raises risk by 6.1 points', 'a_28d: 1 — lowers risk by 1.1 points']
    >>> ref = pd.DataFrame({"a_28d": [1.0, 1.0], "a_91d": [1.0, 1.0], "b": [0.5, 0.5]})
    >>> top_drivers(c, v, n=1, references=ref)["driver_1"].tolist()[0]
    'a_28d: 3 (team median 1) — raises risk by 6.1 points'
    """
    labels = labels or {}
    fam = _Families.of(contributions)
    n = min(n, fam.summed.shape[1])
    order = np.argsort(-np.abs(fam.summed), axis=1, kind="stable")[:, :n]
    rows = np.arange(len(fam.summed))
    lookup = _Lookup(values, references)
    text = _ValueText()
    out: dict[str, object] = {}
    for k in range(n):
        c = fam.summed[rows, order[:, k]]
        names, vals, ref_value = lookup.shown(fam.features, fam.rep[rows, order[:, k]])
        points = probability_points(fam.risk, c) if fam.risk is not None else None
        refs = [text(f, r) if r is not None and pd.notna(r) else ""
                for f, r in zip(names, ref_value, strict=True)]
        pts = [None] * len(rows) if points is None else points.tolist()
        out[f"driver_{k + 1}"] = [
            driver_sentence(*_label_and_value(labels, f, v, text), reference_name, rt, p, cc)
            for f, v, rt, p, cc in zip(names, vals, refs, pts, c.tolist(), strict=True)]
        out[f"driver_{k + 1}_feature"] = names
        out[f"driver_{k + 1}_value"] = [_format_value(v) for v in vals]
        out[f"driver_{k + 1}_contribution"] = np.round(c, 6)
        if points is not None:
            out[f"driver_{k + 1}_points"] = np.round(points, 2)
        if references is not None:
            out[f"driver_{k + 1}_reference"] = refs
    return pd.DataFrame(out, index=contributions.index)


@dataclass
class _Families:
    """Contributions summed per measure (its windows and team comparison) and each row's
    representative feature of every measure (its largest single contribution)."""

    features: list[str]
    summed: np.ndarray  # rows x measures
    rep: np.ndarray  # rows x measures: index into ``features``
    risk: np.ndarray | None  # the calibrated risk, when the contributions have a ``bias`` column

    @classmethod
    def of(cls, contributions: pd.DataFrame) -> _Families:
        feats = [c for c in contributions.columns if c != "bias"]
        contrib = contributions[feats].to_numpy(dtype="float64")
        codes, families = pd.factorize(pd.Index([feature_family(f) for f in feats]))
        n_rows, n_fam = len(contrib), len(families)
        summed = np.zeros((n_rows, n_fam))
        np.add.at(summed.T, codes, contrib.T)
        risk = None
        if "bias" in contributions.columns:
            logit = contributions.to_numpy(dtype="float64").sum(axis=1)
            risk = 1.0 / (1.0 + np.exp(-logit))
        rep = np.zeros((n_rows, n_fam), dtype=np.int64)
        for g in range(n_fam):
            members = np.flatnonzero(codes == g)
            rep[:, g] = members[np.argmax(np.abs(contrib[:, members]), axis=1)]
        return cls(features=feats, summed=summed, rep=rep, risk=risk)


class _Lookup:
    """Feature values and references by column, gathered per feature (a few dozen), not per row."""

    def __init__(self, values: pd.DataFrame, references: pd.DataFrame | None) -> None:
        self.values = values.reset_index(drop=True)
        self.references = references.reset_index(drop=True) if references is not None else None
        self._cache: dict[tuple[bool, str], np.ndarray] = {}

    def column(self, name: str, reference: bool = False) -> np.ndarray:
        key = (reference, name)
        if key not in self._cache:
            self._cache[key] = (self.references if reference else self.values)[name].to_numpy()
        return self._cache[key]

    def shown(self, feats: Sequence[str], idx: np.ndarray) -> tuple[list, list, list]:
        """The shown feature, its value and its reference for each row's driver ``feats[idx]``.

        A ``_vs_team`` comparison shows the feature itself, with the team median
        as reference (the given references, blank for teams under the minimum
        size; without references, the value minus the comparison).
        """
        n_rows = len(idx)
        shown = np.empty(n_rows, dtype=object)
        vals = np.empty(n_rows, dtype=object)
        ref_value = np.full(n_rows, None, dtype=object)
        refs = self.references
        for i in np.unique(idx):
            sel = np.flatnonzero(idx == i)
            f = feats[i]
            base = f.removesuffix("_vs_team")
            if f in _TENURE and "tenure_days" in self.values.columns:
                f = "tenure_days"  # the tenure measure reads as a duration, whichever feature moved it
            if f.endswith("_vs_team") and base in self.values.columns:
                v = self.column(base)[sel]
                vals[sel] = v
                if refs is not None:  # NaN there for teams under min_group_size
                    if base in refs.columns:
                        ref_value[sel] = self.column(base, reference=True)[sel]
                else:
                    diff = self.column(f)[sel]
                    ok = np.flatnonzero(pd.notna(v) & pd.notna(diff))
                    if len(ok):
                        ref_value[sel[ok]] = [float(a) - float(b) for a, b in zip(v[ok], diff[ok], strict=True)]
                shown[sel] = base
            else:
                vals[sel] = self.column(f)[sel]
                if refs is not None and f in refs.columns and has_reference(f):
                    ref_value[sel] = self.column(f, reference=True)[sel]
                shown[sel] = f
        return shown.tolist(), vals.tolist(), ref_value.tolist()
