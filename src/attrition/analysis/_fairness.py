"""Fairness audit: per gender and age band, with small groups suppressed.

The model never sees ``gender`` or ``birth_year``; this module is the only
place that reads them, to check that the risks it produces serve every group
alike. :func:`fairness_audit` computes, per group of each protected attribute
(the numbers of fairlearn's :class:`~fairlearn.metrics.MetricFrame` ``by_group``,
computed directly on each group's rows; ``tests/analysis/test_fairness.py``
checks them against fairlearn):

* ``roc_auc`` — how well the risk ranks leavers above stayers inside the group;
* ``mean_risk`` and ``observed_rate`` — the mean predicted risk and the
  observed share of voluntary exits; ``calibration_gap`` is their difference
  (positive: the model over-states the group's risk) and ``ece`` the expected
  calibration error over ten risk deciles of the whole audit;
* ``flagged_share`` — the share of rows in the ``high`` risk band;
* ``false_negative_rate`` — the share of the group's leavers *not* flagged
  high.

Groups with fewer than ``min_group_size`` distinct employees are suppressed:
their row is kept with ``suppressed = True`` and every figure (the counts too)
``NaN``, so no small group's figures can be read off the audit.

Age bands come from ``birth_year`` at the as-of date (``age = year(as_of) -
birth_year``): :data:`AGE_BANDS` (``<25``, ``25-34``, ``35-44``, ``45-54``,
``55+``). A missing attribute is its own group, ``missing``.

Disparities beyond the thresholds of ``Config.fairness`` (defaults in
:data:`DEFAULT_FAIRNESS_THRESHOLDS`) become readable :attr:`FairnessAudit.flags`.
Features that act as strong proxies of a protected attribute are flagged too:
a feature whose values separate one group from the rest with a ROC AUC of at
least ``max_proxy_auc`` (either direction; missing values count as lowest;
categorical features are scored by the group's share within each category;
only groups of at least :data:`PROXY_MIN_EMPLOYEES` employees are screened).

To keep chance out of the flags, a gap between the best and the worst group
(ROC AUC, false-negative rate, share flagged high) is flagged only when it is
beyond its threshold *and* the two groups' 90 % bootstrap intervals do not
overlap (:data:`N_BOOT` resamples of the *employees*, each drawn employee
bringing all of their rows, since one person's months are not independent;
fixed seed); ROC AUC and false-negative rate
compare only groups with at least :data:`FLAG_MIN_POSITIVES` leavers. A
group's calibration gap is flagged when it exceeds its threshold and two
binomial standard errors of the group's observed rate. The figures of every
shown group are in the table all the same.

Flags are prompts for a human review, not verdicts: attrition really does
differ by age, so the share flagged high may differ between age bands for
good reason; read the flag beside the group's observed rate.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 400
>>> groups = pd.DataFrame({"gender": rng.choice(["f", "m", "x"], n, p=[.49, .49, .02])})
>>> y = rng.random(n) < 0.2
>>> risk = np.clip(0.2 + 0.3 * (y - 0.2) + rng.normal(0, .1, n), 0.01, 0.99)
>>> audit = fairness_audit(y, risk, groups, high_threshold=0.3,
...                        ids=np.arange(n), min_group_size=20)
>>> audit.to_frame().set_index("group").loc["x", "suppressed"]
np.True_
>>> sorted(audit.to_frame()["attribute"].unique())
['gender']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "AGE_BANDS",
    "DEFAULT_FAIRNESS_THRESHOLDS",
    "FairnessAudit",
    "age_band",
    "protected_groups",
    "fairness_audit",
    "audit_model",
    "fairness_thresholds",
]

#: Age bands as ``(low, high, label)``: ``low <= age < high``.
AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 25, "<25"),
    (25, 35, "25-34"),
    (35, 45, "35-44"),
    (45, 55, "45-54"),
    (55, 200, "55+"),
)

#: Thresholds beyond which a disparity is flagged (override with ``Config.fairness``).
#:
#: * ``max_auc_gap``: largest minus smallest group ROC AUC;
#: * ``max_calibration_gap``: ``|mean_risk - observed_rate|`` of any group;
#: * ``min_flagged_ratio``: smallest / largest share flagged high (the
#:   "four-fifths rule" of adverse impact);
#: * ``max_fnr_gap``: largest minus smallest false-negative rate;
#: * ``max_proxy_auc``: ROC AUC at which a feature counts as a proxy of a group.
DEFAULT_FAIRNESS_THRESHOLDS: dict[str, float] = {
    "max_auc_gap": 0.10,
    "max_calibration_gap": 0.05,
    "min_flagged_ratio": 0.8,
    "max_fnr_gap": 0.20,
    "max_proxy_auc": 0.75,
}

#: Fewest employees of a group screened for proxy features.
PROXY_MIN_EMPLOYEES = 30
#: Fewest leavers a group needs before its ROC AUC and false-negative rate
#: take part in a disparity flag (with fewer, a gap of 0.2 is chance).
FLAG_MIN_POSITIVES = 10
#: Bootstrap resamples behind the confidence intervals of the flags.
N_BOOT = 50

_METRICS = ("roc_auc", "mean_risk", "observed_rate", "calibration_gap", "ece", "flagged_share",
            "false_negative_rate")


def fairness_thresholds(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The thresholds in force: the defaults updated by ``overrides``.

    Raises ``ValueError`` for an unknown key or a value outside ``[0, 1]``.

    >>> fairness_thresholds({"max_auc_gap": 0.05})["max_auc_gap"]
    0.05
    """
    out = dict(DEFAULT_FAIRNESS_THRESHOLDS)
    for key, value in (overrides or {}).items():
        if key not in out:
            raise ValueError(
                f"fairness: unknown threshold {key!r}; the thresholds are "
                f"{', '.join(DEFAULT_FAIRNESS_THRESHOLDS)}."
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"fairness.{key} must be a number from 0 to 1, got {value!r}.")
        out[key] = float(value)
    return out


def age_band(birth_year, as_of) -> np.ndarray:
    """Age band (:data:`AGE_BANDS`) at ``as_of``; ``missing`` without a birth year.

    >>> age_band([2000, 1990, None], pd.to_datetime(["2024-06-30"] * 3)).tolist()
    ['<25', '25-34', 'missing']
    """
    born = pd.to_numeric(pd.Series(np.asarray(birth_year, dtype=object)), errors="coerce").to_numpy(
        dtype="float64")
    year = pd.DatetimeIndex(pd.to_datetime(as_of)).year.to_numpy(dtype="float64")
    age = year - born
    out = np.full(len(age), "missing", dtype=object)
    for low, high, label in AGE_BANDS:
        out[(age >= low) & (age < high)] = label
    return out


def protected_groups(rows: pd.DataFrame, employees: pd.DataFrame) -> pd.DataFrame:
    """``gender`` and ``age_band`` of each ``(employee_id, as_of)`` row of ``rows``.

    Columns absent from ``employees`` are left out.

    >>> emp = pd.DataFrame({"employee_id": ["a", "b"], "gender": ["f", None], "birth_year": [1990, 1970]})
    >>> rows = pd.DataFrame({"employee_id": ["b", "a"], "as_of": pd.to_datetime(["2024-01-31"] * 2)})
    >>> protected_groups(rows, emp).to_dict("list")
    {'gender': ['missing', 'f'], 'age_band': ['45-54', '25-34']}
    """
    emp = employees.drop_duplicates("employee_id").set_index("employee_id")
    ids = rows["employee_id"].to_numpy()
    out = pd.DataFrame(index=rows.index)
    if "gender" in emp.columns:
        gender = emp["gender"].reindex(ids).astype(object).to_numpy()
        out["gender"] = np.where(pd.isna(gender), "missing", gender.astype(str))
    if "birth_year" in emp.columns:
        out["age_band"] = age_band(emp["birth_year"].reindex(ids).to_numpy(), rows["as_of"])
    return out


# ----------------------------------------------------------------- metrics
def _auc(y, p) -> float:
    y = np.asarray(y, dtype="float64") > 0.5
    if y.all() or not y.any():
        return math.nan
    return _rank_auc(y, np.asarray(p, dtype="float64"))


def _false_negative_rate(y, p, high) -> float:
    """Share of leavers whose risk is under their row's high-band threshold ``high``."""
    y = np.asarray(y, dtype="float64") > 0.5
    if not y.any():
        return math.nan
    return float(np.mean(np.asarray(p)[y] < np.asarray(high)[y]))


def _flagged_share(y, p, high) -> float:
    """Share of rows whose risk reaches their row's high-band threshold ``high``."""
    return float(np.mean(np.asarray(p) >= np.asarray(high))) if len(p) else math.nan


def _row_thresholds(high_threshold, n: int) -> np.ndarray:
    """``high_threshold`` (one number, or one per row) as an array of ``n`` floats."""
    high = np.asarray(high_threshold, dtype="float64")
    if high.ndim == 0:
        return np.full(n, float(high))
    if high.shape != (n,):
        raise ValueError(f"high_threshold must be one number or one per row ({n}), got shape {high.shape}.")
    return high


def _ece(edges: np.ndarray):
    def ece(y, p) -> float:
        y = np.asarray(y, dtype="float64")
        p = np.asarray(p, dtype="float64")
        if not len(p):
            return math.nan
        bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
        total = 0.0
        for b in np.unique(bins):
            inb = bins == b
            total += inb.sum() * abs(p[inb].mean() - y[inb].mean())
        return float(total / len(p))
    return ece


def _count_ids(y, p, ids) -> float:
    return float(len(pd.unique(np.asarray(ids))))


def _metric_functions(p: np.ndarray) -> dict[str, Any]:
    """The per-group figures as ``metric(y, p, **params)`` (``ece`` over the deciles of all of ``p``)."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, 11))) if len(p) else np.array([0.0, 1.0])
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0] + 1e-12])
    return {
        "n_employees": _count_ids,
        "n_rows": lambda a, b: float(len(a)),
        "positives": lambda a, b: float(np.sum(a)),
        "roc_auc": _auc,
        "mean_risk": lambda a, b: float(np.mean(b)),
        "observed_rate": lambda a, b: float(np.mean(a)),
        "ece": _ece(edges),
        "flagged_share": _flagged_share,
        "false_negative_rate": _false_negative_rate,
    }


def _group_labels(values: pd.Series) -> np.ndarray:
    """Each row's group as text; a missing value is the group ``"missing"`` (as in
    :func:`protected_groups`), reported like any other, never dropped.

    >>> _group_labels(pd.Series(["f", None, "m", np.nan])).tolist()
    ['f', 'missing', 'm', 'missing']
    """
    return values.astype(object).where(values.notna(), "missing").astype(str).to_numpy(dtype=object)


def _by_group(metrics: Mapping[str, Any], y: np.ndarray, p: np.ndarray, sens: np.ndarray,
              sample_params: Mapping[str, Mapping[str, np.ndarray]]) -> pd.DataFrame:
    """``metric(y, p, **params)`` of each group's rows, one row per group (sorted), one column per metric.

    What fairlearn's ``MetricFrame(metrics=metrics, y_true=y, y_pred=p,
    sensitive_features=sens, sample_params=sample_params).by_group`` holds:
    each metric gets the group's rows in their original order, so every
    figure is the same number; without the frame's per-group pandas
    machinery (most of the audit's time on a large centre) and without the
    overall figures, which the audit does not use.

    >>> y, p = np.array([1.0, 0, 0, 1]), np.array([0.9, 0.2, 0.4, 0.3])
    >>> _by_group({"n": lambda a, b: float(len(a)), "mean_risk": lambda a, b: float(np.mean(b))},
    ...           y, p, np.array(["m", "f", "m", "f"]), {}).to_dict("index")
    {'f': {'n': 2.0, 'mean_risk': 0.25}, 'm': {'n': 2.0, 'mean_risk': 0.65}}
    """
    codes, uniques = pd.factorize(pd.Series(sens, dtype=object), sort=True)
    if (codes < 0).any():
        raise ValueError(f"{int((codes < 0).sum())} rows have no group: label missing values first "
                         "(_group_labels).")
    order = np.argsort(codes, kind="stable")  # each group's rows, in their order
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    records = []
    for k in range(len(uniques)):
        rows = order[bounds[k]:bounds[k + 1]]
        records.append([float(fn(y[rows], p[rows], **{name: np.asarray(v)[rows]
                                                      for name, v in sample_params.get(key, {}).items()}))
                        for key, fn in metrics.items()])
    return pd.DataFrame(records, index=pd.Index(list(uniques), dtype=object),
                        columns=list(metrics), dtype="float64")


@dataclass
class FairnessAudit:
    """Result of :func:`fairness_audit`.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per (attribute, group): ``n_employees``, ``n_rows``,
        ``positives``, ``suppressed`` and the metrics of the module docs.
    proxies : pandas.DataFrame
        Per (feature, attribute): the group the feature separates best and
        that ROC AUC (``proxy_auc``, at least 0.5).
    flags : list of str
        Readable descriptions of every disparity or proxy beyond its threshold.
    thresholds : dict
        The thresholds applied.
    min_group_size : int
    """

    groups: pd.DataFrame
    proxies: pd.DataFrame
    flags: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    min_group_size: int = 5

    def to_frame(self) -> pd.DataFrame:
        """The per-group table (a copy)."""
        return self.groups.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: groups, proxies, flags, thresholds (``NaN`` → ``None``)."""
        def records(frame: pd.DataFrame) -> list[dict]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                    for r in clean.to_dict("records")]
        return {
            "min_group_size": int(self.min_group_size),
            "thresholds": dict(self.thresholds),
            "groups": records(self.groups),
            "proxies": records(self.proxies),
            "flags": list(self.flags),
        }

    def __repr__(self) -> str:
        return (f"<FairnessAudit: {len(self.groups)} groups of {self.groups['attribute'].nunique()} "
                f"attribute(s), {len(self.flags)} flag(s)>")


def _complementary_suppression(table: pd.DataFrame, min_group_size: int) -> np.ndarray:
    """Groups under ``min_group_size`` employees, plus the next-smallest groups of the same
    attribute until the hidden ones hold at least ``min_group_size`` employees together.

    Every attribute splits the same rows, so one hidden small group could otherwise be
    recovered as the total minus the shown groups.

    Examples
    --------
    >>> t = pd.DataFrame({"attribute": ["g"] * 3, "n_employees": [3.0, 40.0, 50.0]})
    >>> _complementary_suppression(t, 5).tolist()
    [True, True, False]
    >>> _complementary_suppression(t.assign(n_employees=[6.0, 40.0, 50.0]), 5).tolist()
    [False, False, False]
    """
    hidden = (table["n_employees"] < min_group_size).to_numpy().copy()
    n = table["n_employees"].to_numpy(dtype="float64")
    for attr in table["attribute"].unique():
        idx = np.flatnonzero((table["attribute"] == attr).to_numpy())
        while hidden[idx].any() and n[idx][hidden[idx]].sum() < min_group_size and not hidden[idx].all():
            shown = idx[~hidden[idx]]
            hidden[shown[np.argmin(n[shown])]] = True
    return hidden


def fairness_audit(
    y_true,
    risk,
    groups: pd.DataFrame,
    *,
    high_threshold: float,
    ids=None,
    features: pd.DataFrame | None = None,
    min_group_size: int = 5,
    thresholds: Mapping[str, float] | None = None,
) -> FairnessAudit:
    """Per-group metrics, disparities and proxy features (see the module docs).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed voluntary exits within the horizon.
    risk : array-like of float
        Predicted risks, aligned to ``y_true``.
    groups : pandas.DataFrame
        One column per protected attribute (e.g. from :func:`protected_groups`).
    high_threshold : float or array-like of float
        Risk at which a row is in the ``high`` band: one number, or one per
        row (e.g. a backtest pooling several models, each with its own band).
    ids : array-like, optional
        Employee of each row; group sizes count distinct employees (default:
        rows).
    features : pandas.DataFrame, optional
        Model features of the same rows, screened as proxies.
    min_group_size : int, default 5
        Groups with fewer employees are suppressed.
    thresholds : mapping, optional
        Overrides of :data:`DEFAULT_FAIRNESS_THRESHOLDS`.
    """
    th = fairness_thresholds(thresholds)
    y = np.asarray(y_true, dtype="float64")
    p = np.asarray(risk, dtype="float64")
    if len(y) != len(p) or len(groups) != len(y):
        raise ValueError(f"y_true ({len(y)}), risk ({len(p)}) and groups ({len(groups)}) must align.")
    ids = np.arange(len(y)) if ids is None else np.asarray(ids)
    high = _row_thresholds(high_threshold, len(y))
    metrics = _metric_functions(p)
    sample_params = {"n_employees": {"ids": ids}, "flagged_share": {"high": high},
                     "false_negative_rate": {"high": high}}
    parts = []
    for attr in groups.columns:
        sens = _group_labels(groups[attr])
        frame = _by_group(metrics, y, p, sens, sample_params)
        frame.index.name = attr
        frame = frame.reset_index().rename(columns={attr: "group"})
        frame.insert(0, "attribute", attr)
        parts.append(frame)
    columns = ["attribute", "group", "suppressed", "n_employees", "n_rows", "positives", *_METRICS]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    table["calibration_gap"] = table["mean_risk"] - table["observed_rate"]
    table["suppressed"] = _complementary_suppression(table, min_group_size)
    shown = [c for c in columns if c not in ("attribute", "group", "suppressed")]
    table[shown] = table[shown].astype("float64")
    table.loc[table["suppressed"], shown] = np.nan
    table = table.loc[:, columns]

    flags = _disparity_flags(table, th, y, p, groups, high, ids)
    proxies = _proxies(features, groups, ids, min_group_size) if features is not None else (
        pd.DataFrame(columns=["feature", "attribute", "group", "proxy_auc"]))
    for r in proxies.itertuples():
        if r.proxy_auc >= th["max_proxy_auc"]:
            flags.append(
                f"proxy: feature '{r.feature}' separates {r.attribute} = {r.group} from the rest "
                f"with ROC AUC {r.proxy_auc:.2f} (threshold {th['max_proxy_auc']:.2f}); it may carry "
                f"{r.attribute} into the model."
            )
    return FairnessAudit(groups=table, proxies=proxies, flags=flags, thresholds=th,
                         min_group_size=int(min_group_size))


def _weighted_auc(y: np.ndarray, p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``p`` for ``y`` under each row of ``weights`` (one resample per row).

    Ties in ``p`` count one half, as in the rank-sum formula; ``NaN`` where a
    resample has no leaver or no stayer. Sorting happens once for all
    resamples: ``O(B·n)`` after an ``O(n log n)`` sort.

    >>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.4, 0.35, 0.8])
    >>> _weighted_auc(y, p, np.ones((1, 4))).tolist()
    [0.75]
    """
    order = np.argsort(p, kind="stable")
    ps, ys, w = p[order], y[order] > 0.5, weights[:, order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])  # one block per distinct risk
    pos = np.add.reduceat(np.where(ys, w, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(ys, 0.0, w), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # stayers' weight strictly below each level
    n1, n0 = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (n1 * n0)
    auc[(n1 <= 0) | (n0 <= 0)] = np.nan
    return auc


def _intervals(y, p, sens, keep, high, ids=None, n_boot: int | None = None,
               seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """90 % bootstrap intervals (low, high) per group of the flag metrics, groups ``keep`` only.

    A cluster bootstrap: each resample draws *employees* with replacement and
    keeps all of a drawn employee's rows (their months are not independent),
    shared by every group so that a person who changes age band moves with
    their rows. Vectorised over the resamples (multinomial weights), so it
    costs a few passes over the rows rather than ``n_boot`` metric tables.
    """
    n_boot = N_BOOT if n_boot is None else int(n_boot)
    y = np.asarray(y, dtype="float64")
    p = np.asarray(p, dtype="float64")
    high = np.asarray(high, dtype="float64")
    ids = np.arange(len(y)) if ids is None else np.asarray(ids)
    codes, uniques = pd.factorize(pd.Series(ids).astype(str), sort=True)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(uniques), np.full(len(uniques), 1.0 / len(uniques)), size=n_boot)
    cols = ["roc_auc", "false_negative_rate", "flagged_share"]
    low = pd.DataFrame(np.nan, index=pd.Index(keep, name="group"), columns=cols)
    up = low.copy()
    leaver = y > 0.5
    for group in keep:
        rows = np.flatnonzero(sens == group)
        if not len(rows):
            continue
        w = draws[:, codes[rows]].astype("float64")  # (n_boot, rows of the group)
        yg, pg, hg = y[rows], p[rows], high[rows]
        total = w.sum(axis=1)
        leavers = (w * leaver[rows]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "roc_auc": _weighted_auc(yg, pg, w),
                "false_negative_rate": (w * (leaver[rows] & (pg < hg))).sum(axis=1) / leavers,
                "flagged_share": (w * (pg >= hg)).sum(axis=1) / total,
            }
        for col, v in values.items():
            v = np.where(np.isfinite(v), v, np.nan)
            if np.isfinite(v).any():
                low.loc[group, col], up.loc[group, col] = np.nanquantile(v, [0.05, 0.95])
    return low, up


def _disparity_flags(table: pd.DataFrame, th: Mapping[str, float], y: np.ndarray, p: np.ndarray,
                     groups: pd.DataFrame, high: np.ndarray, ids=None) -> list[str]:
    flags: list[str] = []
    for attr, part in table[~table["suppressed"]].groupby("attribute", sort=False):
        part = part.set_index("group")
        if len(part) < 2:
            continue
        sens = _group_labels(groups[attr])
        low, up = _intervals(y, p, sens, list(part.index), high, ids)
        enough = part.index[part["positives"] >= FLAG_MIN_POSITIVES].tolist()

        def gap(col: str, limit: float, part=part, low=low, up=up, enough=enough) -> str | None:
            vals = part.loc[enough, col].dropna()
            if len(vals) < 2:
                return None
            best, worst = str(vals.idxmax()), str(vals.idxmin())
            diff = float(vals[best] - vals[worst])
            if diff <= limit or not low.loc[best, col] > up.loc[worst, col]:
                return None
            return (f"differs by {diff:.2f} between groups ({best} {vals[best]:.2f}, 90 % interval "
                    f"{low.loc[best, col]:.2f}-{up.loc[best, col]:.2f}, vs {worst} {vals[worst]:.2f}, "
                    f"{low.loc[worst, col]:.2f}-{up.loc[worst, col]:.2f}")

        got = gap("roc_auc", th["max_auc_gap"])
        if got:
            flags.append(f"{attr}: ROC AUC {got}; threshold {th['max_auc_gap']:.2f}): the ranking "
                         "serves some groups worse.")
        for group, r in part.iterrows():
            rate = r["observed_rate"]
            se = math.sqrt(max(rate * (1 - rate), 1e-12) / r["n_rows"])
            if abs(r["calibration_gap"]) > max(th["max_calibration_gap"], 2 * se):
                word = "over-states" if r["calibration_gap"] > 0 else "under-states"
                flags.append(
                    f"{attr} = {group}: the model {word} risk (mean predicted {r['mean_risk']:.3f} vs "
                    f"observed {r['observed_rate']:.3f}; threshold ±{th['max_calibration_gap']:.2f})."
                )
        shares = part["flagged_share"].dropna()
        if len(shares) >= 2 and shares.max() > 0:
            most, least = str(shares.idxmax()), str(shares.idxmin())
            ratio = float(shares[least] / shares[most])
            apart = up.loc[least, "flagged_share"] < low.loc[most, "flagged_share"]
            if ratio < th["min_flagged_ratio"] and apart:
                flags.append(
                    f"{attr}: share flagged high risk ranges from {shares[least]:.1%} ({least}) "
                    f"to {shares[most]:.1%} ({most}), ratio {ratio:.2f} (threshold "
                    f"{th['min_flagged_ratio']:.2f}; 90 % intervals do not overlap)."
                )
        got = gap("false_negative_rate", th["max_fnr_gap"])
        if got:
            flags.append(f"{attr}: false-negative rate (leavers not flagged high) {got}; threshold "
                         f"{th['max_fnr_gap']:.2f}).")
    return flags


def _rank_auc(target: np.ndarray, score: np.ndarray | None = None, *, ranks: np.ndarray | None = None) -> float:
    """ROC AUC by the rank-sum formula (ties get average ranks); ``ranks`` of the score if known."""
    from scipy.stats import rankdata

    n1 = int(target.sum())
    n0 = len(target) - n1
    if ranks is None:
        ranks = rankdata(score)
    return float((ranks[target].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _proxies(features: pd.DataFrame, groups: pd.DataFrame, ids, min_group_size: int) -> pd.DataFrame:
    """Best one-group-vs-rest ROC AUC of each feature, per attribute.

    Only groups with at least ``max(min_group_size, PROXY_MIN_EMPLOYEES)``
    employees are screened: a handful of people is separated from the rest
    by almost any feature by chance.
    """
    from scipy.stats import rankdata

    rows = []
    least = max(int(min_group_size), PROXY_MIN_EMPLOYEES)
    screened: dict[str, tuple[bool, np.ndarray] | None] = {}  # per feature, for every attribute

    def screen(col: str) -> tuple[bool, np.ndarray] | None:
        """A categorical feature's category codes, or a numeric one's ranks (None: constant)."""
        if col not in screened:
            x = features[col]
            if (isinstance(x.dtype, pd.CategoricalDtype) or x.dtype == object
                    or pd.api.types.is_string_dtype(x.dtype)):
                keys = x.astype(object).where(x.notna(), "__missing__").astype(str).to_numpy()
                screened[col] = (True, pd.factorize(keys)[0])
            else:
                vals = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64")
                if not np.isfinite(vals).any() or np.nanstd(vals) == 0:
                    screened[col] = None
                else:
                    filled = np.where(np.isnan(vals), np.nanmin(vals) - 1.0, vals)
                    screened[col] = (False, rankdata(filled))  # the same score for every group
        return screened[col]

    for attr in groups.columns:
        sens = _group_labels(groups[attr])
        counts = pd.Series(ids).groupby(sens).nunique()
        candidates = [g for g, c in counts.items() if c >= least and g != "missing"]
        if len(candidates) < 2:
            continue
        for col in features.columns:
            got = screen(col)
            if got is None:
                continue
            is_cat, codes = got
            if is_cat:
                size = np.bincount(codes).astype("float64")
            best = (0.5, "")
            for g in candidates:
                target = sens == g
                if is_cat:  # score each row by the group's share in its category (whole counts: exact)
                    score = (np.bincount(codes, weights=target.astype(float), minlength=len(size)) / size)[codes]
                    auc = _rank_auc(target, score)
                else:
                    auc = _rank_auc(target, ranks=codes)
                auc = max(auc, 1.0 - auc)
                if auc > best[0]:
                    best = (float(auc), g)
            rows.append({"feature": col, "attribute": attr, "group": best[1], "proxy_auc": best[0]})
    out = pd.DataFrame(rows, columns=["feature", "attribute", "group", "proxy_auc"])
    return out.sort_values("proxy_auc", ascending=False, kind="stable").reset_index(drop=True)


def audit_model(
    model,
    rows: pd.DataFrame,
    employees: pd.DataFrame,
    *,
    min_group_size: int = 5,
    thresholds: Mapping[str, float] | None = None,
    screen_proxies: bool = True,
    risk: np.ndarray | None = None,
) -> FairnessAudit:
    """Audit a fitted :class:`~attrition.AttritionModel` on labelled snapshot rows.

    ``rows`` are snapshot rows with a known ``label`` (e.g. the validation
    months); the protected attributes are looked up in ``employees`` and never
    reach the model. ``risk``: ``model.predict_risk(rows)``, when the caller
    already has it (aligned to ``rows``; not predicted again).
    """
    known = rows["label"].notna().to_numpy()
    rows = rows[known]
    risk = model.predict_risk(rows) if risk is None else np.asarray(risk, dtype="float64")[known]
    groups = protected_groups(rows, employees)
    features = rows[list(model.feature_names_in_)] if screen_proxies else None
    return fairness_audit(
        rows["label"].to_numpy(), risk, groups,
        high_threshold=float(model.thresholds_["high"]), ids=rows["employee_id"].to_numpy(),
        features=features, min_group_size=min_group_size, thresholds=thresholds,
    )

