"""Team and site roll-ups of a scores file, with small-group suppression.

A roll-up turns one row per employee (the output of ``attrition score``)
into one row per group: headcount, expected leavers within the horizon with
an interval, mean risk, share in the high-risk band, the drivers that
dominate the group's risk and, when the scores carry them (issue 3's
``quiet_quitting_band`` / ``quiet_quitting_index`` columns), quiet-quitting
prevalence.

Expected leavers
    The sum of the calibrated probabilities. Its interval treats each person
    as an independent Bernoulli trial, so the number of leavers follows a
    Poisson-binomial distribution; the interval is that distribution's
    equal-tailed ``level`` (default 90 %) range, computed exactly by
    convolution up to :data:`EXACT_LIMIT` people and by a normal
    approximation with continuity correction above. Exits cluster (a bad
    manager, a competitor hiring), so real variation is wider than this.

Suppression
    No figure is shown for fewer than ``min_group_size`` people (default 5,
    ``Config.min_group_size``). Groups below the minimum are pooled into one
    "other" row; if that pool itself is below the minimum, the smallest
    shown groups join it until it is not, so that no shown row *and no
    difference* between the total and the shown rows describes fewer people
    than the minimum. With ``parent`` (teams within sites) the pooling is
    done within each parent, so a site's figure minus its shown teams is
    never a small group either; a parent smaller than the minimum goes into
    one residual pool across parents. If everyone together is fewer than the
    minimum, nothing is shown.

Examples
--------
>>> s = pd.DataFrame({"team_id": ["a"] * 6 + ["b"] * 2 + ["c"] * 5,
...                   "attrition_risk": [0.1] * 13, "risk_band": ["low"] * 13})
>>> r = rollup(s, "team_id", min_group_size=5)
>>> r[["team_id", "headcount"]].values.tolist()
[['a', 6], ['Other (2 groups pooled)', 7]]
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from attrition.analysis._drivers import feature_family, measure_label
from attrition.exceptions import ConfigError
from attrition.snapshots._spec import feature_labels

__all__ = ["rollup", "summary", "poisson_binomial_interval", "suppressed_groups", "EXACT_LIMIT",
           "OTHER"]

#: Largest group whose leaver interval is computed exactly.
EXACT_LIMIT = 5000
#: Name of the pooled row.
OTHER = "Other ({n} groups pooled)"



def quiet_quitting_prevalence(scores: pd.DataFrame) -> float:
    """Share of people in the quiet-quitting state now (band ``in_state``).

    The state is the current index at or above the definition's threshold
    (:mod:`attrition.quiet_quitting`); the other bands rank the *risk of
    entering* it. People without an index (band ``unknown``) are left out of
    the share; ``NaN`` when nobody has one.

    Examples
    --------
    >>> quiet_quitting_prevalence(pd.DataFrame({"quiet_quitting_band": ["in_state", "high", "low", "low"]}))
    0.25
    """
    band = scores["quiet_quitting_band"]
    known = band.notna() & band.ne("unknown")
    if "quiet_quitting_index" in scores:
        known &= pd.to_numeric(scores["quiet_quitting_index"], errors="coerce").notna()
    if not known.any():
        return float("nan")
    return float((band[known] == "in_state").mean())

def _poisson_binomial_pmf(p: np.ndarray) -> np.ndarray:
    """The distribution of a sum of independent Bernoullis ``p`` (probabilities in [0, 1]), by the
    recurrence ``pmf[k] <- pmf[k] * (1 - p_i) + pmf[k - 1] * p_i`` over the ``p_i`` in order, written
    in place (no new arrays per person; the same products and sums, bit for bit:
    ``tests/analysis/test_rollups.py``).

    >>> _poisson_binomial_pmf(np.array([0.5, 0.5])).tolist()
    [0.25, 0.5, 0.25]
    """
    n = len(p)
    pmf = np.zeros(n + 1)
    pmf[0] = 1.0
    tmp = np.empty(n)
    for i, pi in enumerate(p.tolist()):
        q = 1 - pi
        hi, t = pmf[1:i + 2], tmp[:i + 1]
        np.multiply(pmf[:i + 1], pi, out=t)  # from the counts before this person
        np.multiply(hi, q, out=hi)
        np.add(hi, t, out=hi)
        pmf[0] *= q
    return pmf


def poisson_binomial_interval(p, level: float = 0.9) -> tuple[float, int, int]:
    """Expected count and equal-tailed interval of a sum of independent Bernoullis.

    Examples
    --------
    >>> poisson_binomial_interval([0.5] * 10, level=0.9)  # Binomial(10, 0.5): 2..8
    (5.0, 2, 8)
    >>> poisson_binomial_interval([])
    (0.0, 0, 0)
    """
    p = np.clip(np.asarray(p, dtype="float64"), 0.0, 1.0)
    expected = float(p.sum())
    if not len(p):
        return 0.0, 0, 0
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    if len(p) <= EXACT_LIMIT:
        cdf = np.cumsum(_poisson_binomial_pmf(p))
        low = int(np.searchsorted(cdf, lo_q - 1e-12))
        high = int(np.searchsorted(cdf, hi_q - 1e-12))
        return round(expected, 6), low, min(high, len(p))
    from scipy.stats import norm

    sd = float(np.sqrt((p * (1 - p)).sum()))
    low = max(0, int(np.floor(expected + norm.ppf(lo_q) * sd + 0.5)))
    high = min(len(p), int(np.ceil(expected + norm.ppf(hi_q) * sd - 0.5)))
    return round(expected, 6), low, high


def _pool(sizes: pd.Series, min_size: int) -> tuple[list, bool]:
    """Groups to pool (small ones, then the smallest others) and whether the pool is shown."""
    small = sizes[sizes < min_size]
    if small.empty:
        return [], True
    pooled = list(small.index)
    total = int(small.sum())
    rest = sizes[sizes >= min_size].sort_values(kind="stable")
    for name, size in rest.items():
        if total >= min_size:
            break
        pooled.append(name)
        total += int(size)
    return pooled, total >= min_size


def suppressed_groups(scores: pd.DataFrame, by: str, min_group_size: int = 5,
                      parent: str | None = None) -> set:
    """The values of ``by`` that a roll-up does not show on their own.

    Examples
    --------
    >>> s = pd.DataFrame({"team_id": ["a"] * 6 + ["b"] * 2})
    >>> sorted(suppressed_groups(s, "team_id"))  # b is small; a joins it so 8 - a is not b alone
    ['a', 'b']
    """
    return {g for g, _ in _assign(scores, by, min_group_size, parent)[1].items() if _ is not None}


def nest_in_parents(scores: pd.DataFrame, by: str, parent: str, min_group_size: int = 5) -> pd.DataFrame:
    """A copy where every ``by`` group of a parent that the parent roll-up pools is merged
    into one group, so that the child table cannot be subtracted from the parent table.

    Without this, a small site pooled with a larger one in the site table could be
    recovered as the pool minus the larger site's teams shown one by one in the team table.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["S"] * 4 + ["A"] * 13 + ["B"] * 12,
    ...                   "team_id": ["s1"] * 4 + ["a1"] * 5 + ["a2"] * 8 + ["b1"] * 6 + ["b2"] * 6})
    >>> nest_in_parents(s, "team_id", "site").groupby("team_id").size().to_dict()
    {'(teams of pooled sites)': 16, 'a1': 5, 'a2': 8}
    """
    pooled = {g for g in suppressed_groups(scores, parent, min_group_size) if g is not None}
    if not pooled:
        return scores
    out = scores.copy()
    rows = out[parent].astype(object).where(out[parent].notna(), "(none)").isin(pooled).to_numpy()
    out[by] = out[by].astype(object)
    out[parent] = out[parent].astype(object)
    out.loc[rows, by] = f"(teams of pooled {parent}s)" if by == "team_id" else f"(pooled {parent}s)"
    out.loc[rows, parent] = f"(pooled {parent}s)"
    return out


def _assign(scores, by, min_size, parent):
    """Each row's displayed group; and, per original group, its pool name (None if shown)."""
    keys = scores[by].astype(object).where(scores[by].notna(), "(none)")
    display = keys.copy()
    pooled_of: dict = {k: None for k in keys.unique()}
    parents = (scores[parent].astype(object).where(scores[parent].notna(), "(none)")
               if parent else pd.Series("", index=scores.index))
    residual: list = []
    for par in parents.unique():
        mask = (parents == par).to_numpy()
        sizes = keys[mask].value_counts(sort=False)
        pool, shown = _pool(sizes, min_size)
        if not pool:
            continue
        if shown:
            name = OTHER.format(n=len(pool)) + (f", {parent} {par}" if parent else "")
            for g in pool:
                pooled_of[g] = name
            display[mask & keys.isin(pool).to_numpy()] = name
        else:
            residual.append((mask, pool))
    if residual:
        mask = np.zeros(len(scores), dtype=bool)
        groups: list = []
        for m, pool in residual:
            mask |= m & keys.isin(pool).to_numpy()
            groups += pool
        total = int(mask.sum())
        if total < min_size:  # absorb the smallest shown groups anywhere
            shown_sizes = display[~mask].value_counts().sort_values(kind="stable")
            for name, size in shown_sizes.items():
                if total >= min_size:
                    break
                mask |= (display == name).to_numpy()
                groups += [g for g in keys[(display == name).to_numpy()].unique()]
                total += int(size)
        name = OTHER.format(n=len(set(groups))) if total >= min_size else None
        for g in set(groups):
            pooled_of[g] = name if name else "(suppressed)"
        display[mask] = name if name else "(suppressed)"
    return display, pooled_of


def _driver_parts(scores: pd.DataFrame) -> list[int]:
    ks = []
    for col in scores.columns:
        m = re.fullmatch(r"driver_(\d+)_feature", col)
        if m:
            ks.append(int(m.group(1)))
    return sorted(ks)


def _driver_arrays(scores: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each driver's feature names (as text) and size (points, else contribution; ``NaN`` if not a number)."""
    out = []
    for k in _driver_parts(scores):
        size_col = f"driver_{k}_points" if f"driver_{k}_points" in scores else f"driver_{k}_contribution"
        out.append((scores[f"driver_{k}_feature"].astype(str).to_numpy(),
                    pd.to_numeric(scores[size_col], errors="coerce").to_numpy(dtype="float64")))
    return out


def _dominant_drivers(frame: pd.DataFrame, labels: Mapping[str, str], top: int,
                      drivers: list[tuple[np.ndarray, np.ndarray]] | None = None) -> str:
    """The measures that raise risk for the most people in the group (ties: more summed points first).

    Ranked by the count shown beside each measure, so the list reads in order.
    ``drivers``: :func:`_driver_arrays` of ``frame``, when the caller has them.
    """
    totals: dict[str, float] = {}
    people: dict[str, set] = {}
    names: dict[str, str] = {}
    family: dict[str, str] = {}
    for feat, size in (_driver_arrays(frame) if drivers is None else drivers):
        for i, (f, v) in enumerate(zip(feat, size, strict=True)):
            if not np.isfinite(v) or v <= 0:
                continue
            fam = family.get(f)
            if fam is None:
                fam = family[f] = feature_family(f)
            totals[fam] = totals.get(fam, 0.0) + v
            people.setdefault(fam, set()).add(i)
            if fam not in names:  # the first feature seen names the measure
                names[fam] = measure_label(labels.get(f, f))
    ranked = sorted(totals, key=lambda f: (-len(people[f]), -totals[f]))[:top]
    return "; ".join(f"{names[f]} ({len(people[f])})" for f in ranked)


def _stats(frame: pd.DataFrame, level: float, labels, top_drivers: int,
           drivers: list[tuple[np.ndarray, np.ndarray]] | None = None) -> dict:
    risk = pd.to_numeric(frame["attrition_risk"], errors="raise").to_numpy(dtype="float64")
    expected, low, high = poisson_binomial_interval(risk, level)
    out = {
        "headcount": len(frame),
        "expected_leavers": round(expected, 2),
        "leavers_low": low,
        "leavers_high": high,
        "mean_risk": round(float(risk.mean()), 4) if len(risk) else np.nan,
        "high_risk_share": round(float((frame["risk_band"] == "high").mean()), 4)
        if "risk_band" in frame else np.nan,
    }
    if "quiet_quitting_band" in frame:
        out["quiet_quitting_share"] = round(quiet_quitting_prevalence(frame), 4)
    if "quiet_quitting_index" in frame:
        out["quiet_quitting_mean_index"] = round(
            float(pd.to_numeric(frame["quiet_quitting_index"], errors="coerce").mean()), 4)
    if _driver_parts(frame):
        out["dominant_drivers"] = _dominant_drivers(frame, labels, top_drivers, drivers)
    return out


def rollup(
    scores: pd.DataFrame,
    by: str = "team_id",
    *,
    min_group_size: int = 5,
    parent: str | None = None,
    level: float = 0.9,
    labels: Mapping[str, str] | None = None,
    top_drivers: int = 3,
) -> pd.DataFrame:
    """One row per group of ``by``, with small groups pooled (see the module docs).

    Parameters
    ----------
    scores : pandas.DataFrame
        A scores frame: ``attrition_risk``, ``risk_band``, ``by`` and
        optionally the driver columns and quiet-quitting columns.
    by : str, default "team_id"
        The grouping column (``team_id``, ``site``, ...).
    min_group_size : int, default 5
        Smallest group shown.
    parent : str, optional
        A coarser column in which ``by`` nests (e.g. ``site`` for teams):
        pool within it.
    level : float, default 0.9
        Coverage of the expected-leavers interval.
    labels : dict, optional
        Readable feature labels for the dominant drivers (default: the
        builders' labels).
    top_drivers : int, default 3
        Dominant drivers listed per group, as "measure (people)".

    Returns
    -------
    pandas.DataFrame
        ``by`` (and ``parent``), ``headcount``, ``expected_leavers``,
        ``leavers_low``, ``leavers_high``, ``mean_risk``,
        ``high_risk_share``, ``dominant_drivers`` and the quiet-quitting
        columns when available; ``pooled_groups`` (groups in the row).
        Shown groups by falling expected leavers, the pooled row last.
        Employee ids never appear.
    """
    if by not in scores.columns:
        raise ConfigError(
            f"The scores have no {by!r} column to group by; columns are: {', '.join(scores.columns)}. "
            "Score with attrition >= 0.1 (which writes team_id and site) or pass a roster with it."
        )
    if not isinstance(min_group_size, int) or min_group_size < 2:
        raise ConfigError(f"min_group_size must be a whole number of at least 2, got {min_group_size!r}.")
    if parent is not None and parent not in scores.columns:
        parent = None
    if labels is None:
        labels = feature_labels()
    display, pooled_of = _assign(scores, by, min_group_size, parent)
    rows = []
    groups = scores.groupby(display.to_numpy(), sort=False)
    positions = groups.indices  # each group's rows, in the order the groupby gives its frame
    drivers = _driver_arrays(scores)  # read once, not once per group
    for name, frame in groups:
        if name == "(suppressed)":
            continue
        row = {by: name}
        members = {g for g, pooled in pooled_of.items() if pooled == name}
        if parent:
            pars = frame[parent].astype(object).unique()
            row[parent] = pars[0] if len(pars) == 1 else "(several)"
        pos = positions[name]
        row.update(_stats(frame, level, labels, top_drivers, [(f[pos], v[pos]) for f, v in drivers]))
        row["pooled_groups"] = len(members) if members else 1
        rows.append(row)
    cols = [by] + ([parent] if parent else [])
    if not rows:
        return pd.DataFrame(columns=[*cols, "headcount", "expected_leavers", "leavers_low",
                                     "leavers_high", "mean_risk", "high_risk_share", "pooled_groups"])
    out = pd.DataFrame(rows)
    is_pool = out["pooled_groups"].gt(1) | out[by].astype(str).str.startswith("Other (")
    out = pd.concat([
        out[~is_pool].sort_values(["expected_leavers", by], ascending=[False, True], kind="stable"),
        out[is_pool],
    ]).reset_index(drop=True)
    return out


def summary(scores: pd.DataFrame, *, min_group_size: int = 5, level: float = 0.9) -> dict:
    """The month in figures: headcount, expected leavers and interval, bands.

    Empty (``{"suppressed": True}``) when fewer than ``min_group_size`` people
    were scored.

    Examples
    --------
    >>> s = pd.DataFrame({"attrition_risk": [0.1] * 10, "risk_band": ["low"] * 9 + ["high"]})
    >>> summary(s)["expected_leavers"], summary(s)["high_risk"]
    (1.0, 1)
    """
    if len(scores) < min_group_size:
        return {"suppressed": True, "headcount": None}
    risk = scores["attrition_risk"].to_numpy(dtype="float64")
    expected, low, high = poisson_binomial_interval(risk, level)
    bands = scores["risk_band"].value_counts() if "risk_band" in scores else pd.Series(dtype=int)
    out = {
        "suppressed": False,
        "headcount": len(scores),
        "expected_leavers": round(expected, 1),
        "leavers_low": low,
        "leavers_high": high,
        "level": level,
        "mean_risk": float(risk.mean()),
        "high_risk": int(bands.get("high", 0)),
        "medium_risk": int(bands.get("medium", 0)),
        "low_risk": int(bands.get("low", 0)),
    }
    if "quiet_quitting_band" in scores:
        out["quiet_quitting_share"] = quiet_quitting_prevalence(scores)
    return out
