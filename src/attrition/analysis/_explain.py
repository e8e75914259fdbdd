"""Explanations a team lead can act on: readable drivers and what-if re-scoring.

Drivers
    Readable drivers, probability points and team references are in
    :mod:`attrition.analysis._drivers`.

What-if
    :func:`what_if` re-scores rows with chosen feature values changed. The
    difference is an *association in the model*, not a causal effect: a
    person whose late schedule changes stopped is not guaranteed to stay.

"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from attrition.analysis._drivers import feature_family, format_feature_value, measure_label
from attrition.exceptions import ConfigError

__all__ = [
    "parse_changes",
    "apply_changes",
    "what_if",
    "shap_explanation",
    "measure_explanation",
    "WHAT_IF_NOTE",
]

#: The caption every what-if output carries.
WHAT_IF_NOTE = (
    "What-if results are associations in the model, not causal effects: they show how the "
    "model's risk moves when these inputs change, everything else held fixed, not what would "
    "happen to the person."
)


# --------------------------------------------------------------------- what-if
_CHANGE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(<=|>=|=)\s*(.+?)\s*$")


def parse_changes(specs: Iterable[str]) -> list[tuple[str, str, float]]:
    """Parse ``NAME=VALUE`` (set), ``NAME<=VALUE`` (cap) and ``NAME>=VALUE`` (floor).

    ``VALUE`` is a number; ``85%`` means 0.85.

    Examples
    --------
    >>> parse_changes(["sched_late_changes=0", "wl_occupancy_mean<=85%"])
    [('sched_late_changes', '=', 0.0), ('wl_occupancy_mean', '<=', 0.85)]
    """
    out = []
    for spec in specs:
        m = _CHANGE.match(str(spec))
        if not m:
            raise ConfigError(
                f"Cannot read the change {spec!r}. Write FEATURE=VALUE (set), FEATURE<=VALUE (cap) "
                "or FEATURE>=VALUE (floor), e.g. sched_late_changes=0 or wl_occupancy_mean<=0.85."
            )
        name, op, raw = m.groups()
        try:
            value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        except ValueError as exc:
            raise ConfigError(f"In {spec!r}: {raw!r} is not a number (use e.g. 0.85 or 85%).") from exc
        out.append((name, op, value))
    return out


def _targets(name: str, features: Sequence[str]) -> list[str]:
    """The features a change names: one feature, or every window of a measure."""

    if name in features:
        return [name]
    return [f for f in features if not f.endswith("_vs_team") and feature_family(f) == name]


def apply_changes(snapshots: pd.DataFrame, changes: Sequence[tuple[str, str, float]],
                  features: Sequence[str]) -> pd.DataFrame:
    """A copy of ``snapshots`` with the changes applied.

    A measure name without a window (``sched_late_changes``) changes every
    window of it; each changed feature's ``_vs_team`` comparison moves with
    it (the team median is held fixed). Missing values stay missing.

    Examples
    --------
    >>> s = pd.DataFrame({"x_28d": [3.0, 0.5], "x_91d": [2.0, 1.0], "x_28d_vs_team": [1.0, -1.5]})
    >>> apply_changes(s, [("x", "<=", 1.0)], list(s.columns)).to_dict("list")
    {'x_28d': [1.0, 0.5], 'x_91d': [1.0, 1.0], 'x_28d_vs_team': [-1.0, -1.5]}
    """
    out = snapshots.copy()
    for name, op, value in changes:
        targets = _targets(name, features)
        if not targets:
            close = sorted(f for f in features if name.split("_")[0] in f)[:8]
            raise ConfigError(
                f"The model has no feature or measure called {name!r}. "
                + (f"Similar: {', '.join(close)}." if close else "")
                + " Use a feature name from the scores' driver_k_feature columns, or the measure "
                "without its window (e.g. sched_late_changes)."
            )
        for f in targets:
            if isinstance(out[f].dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(out[f].dtype):
                raise ConfigError(f"{f!r} is a category, not a number: what-if changes numbers only.")
            old = out[f].astype("float64")
            new = {"=": old.where(old.isna(), value), "<=": old.clip(upper=value),
                   ">=": old.clip(lower=value)}[op]
            out[f] = new
            peer = f"{f}_vs_team"
            if peer in out.columns:
                out[peer] = out[peer].astype("float64") + (new - old)
    return out


def what_if(model, snapshots: pd.DataFrame, changes, *, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Re-score rows with feature values changed; the change is an association, not an effect.

    Parameters
    ----------
    model : AttritionModel
    snapshots : pandas.DataFrame
        Scoring rows (e.g. ``build_snapshots(tables, as_of=[t], labels=False)``).
    changes : list of str or of (name, op, value)
        See :func:`parse_changes`.

    Returns
    -------
    pandas.DataFrame
        ``employee_id``, ``risk_before``, ``risk_after``, ``change_points``
        (after − before, × 100) and ``changed`` (the features whose value
        moved). ``attrs["note"]`` holds :data:`WHAT_IF_NOTE`.
    """
    if changes and isinstance(next(iter(changes)), str):
        changes = parse_changes(changes)
    features = model.feature_names_in_
    after_frame = apply_changes(snapshots, changes, features)
    before = model.predict_risk(snapshots)
    after = model.predict_risk(after_frame)
    labels = labels or {}
    numeric = [f for f in features if not isinstance(snapshots[f].dtype, pd.CategoricalDtype)]
    old_values = snapshots[numeric].to_numpy(dtype="float64")
    new_values = after_frame[numeric].to_numpy(dtype="float64")
    differs = ~np.isclose(old_values, new_values, equal_nan=True)
    moved = [", ".join(np.asarray(numeric, dtype=object)[row]) for row in differs]
    out = pd.DataFrame({
        "employee_id": snapshots["employee_id"].to_numpy() if "employee_id" in snapshots else np.arange(len(snapshots)),
        "risk_before": np.round(before, 6),
        "risk_after": np.round(after, 6),
        "change_points": np.round(100 * (after - before), 2),
        "changed": moved,
    })
    out.attrs["note"] = WHAT_IF_NOTE
    return out


# ------------------------------------------------------------------- shap
def shap_explanation(model, snapshots: pd.DataFrame, labels: Mapping[str, str] | None = None,
                     contributions: pd.DataFrame | None = None):
    """A :class:`shap.Explanation` of the calibrated log-odds, for shap's plots.

    Values are the exact TreeSHAP contributions of
    :meth:`AttritionModel.contributions` (pass them as ``contributions`` when
    already computed for these rows); categorical features are shown by
    their category code. Feature names are the readable labels.
    """
    import shap

    contrib = model.contributions(snapshots) if contributions is None else contributions
    features = model.feature_names_in_
    data = model.prepare(snapshots)
    for col in model.categories_:
        data[col] = data[col].cat.codes.astype("float64").where(data[col].notna())
    labels = labels or {}
    return shap.Explanation(
        values=contrib[features].to_numpy(),
        base_values=contrib["bias"].to_numpy(),
        data=data.to_numpy(dtype="float64"),
        feature_names=[labels.get(f, f) for f in features],
    )


def measure_explanation(model, snapshots: pd.DataFrame, labels: Mapping[str, str] | None = None):
    """A :class:`shap.Explanation` with one column per *measure* (windows and team comparison summed).

    The same grouping as the drivers of :func:`attrition.scoring.top_drivers`;
    ``data`` holds each measure's displayed value as text (its largest
    contribution's feature), for shap's waterfall of one employee.
    """
    import shap

    contrib = model.contributions(snapshots)
    features = list(model.feature_names_in_)
    labels = labels or {}
    fams = [feature_family(f) for f in features]
    order = list(dict.fromkeys(fams))
    values = contrib[features].to_numpy()
    grouped = np.zeros((len(snapshots), len(order)))
    shown = np.empty((len(snapshots), len(order)), dtype=object)
    names = []
    for j, fam in enumerate(order):
        idx = [i for i, f in enumerate(fams) if f == fam]
        grouped[:, j] = values[:, idx].sum(axis=1)
        rep = np.array(idx)[np.argmax(np.abs(values[:, idx]), axis=1)]
        for r, i in enumerate(rep):
            f = features[i]
            base = f.removesuffix("_vs_team")
            if f != base and base in snapshots.columns:
                f = base
            shown[r, j] = format_feature_value(f, snapshots[f].iloc[r])
        names.append(measure_label(labels.get(features[idx[0]], fam)))
    return shap.Explanation(values=grouped, base_values=contrib["bias"].to_numpy(), data=shown,
                            feature_names=names)


