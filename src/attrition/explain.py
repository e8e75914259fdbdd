"""Explanations a team lead can act on: readable drivers and what-if re-scoring.

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
    compare against), computed from the same point-in-time snapshot; for a
    ``_change_``/``_drift_`` feature the value already is the difference from
    the employee's own earlier level, and the label says so. Team-level
    measures (team size, team exits) and categories (site, role) have no
    reference.

What-if
    :func:`what_if` re-scores rows with chosen feature values changed. The
    difference is an *association in the model*, not a causal effect: a
    person whose late schedule changes stopped is not guaranteed to stay.

Examples
--------
>>> round(probability_points(0.2, 0.5), 1)  # 20 % risk, of which +0.5 log-odds from one driver
6.8
>>> format_feature_value("sched_late_share_28d", 0.123)
'12%'
>>> driver_sentence("Late schedule changes, last 28 days", "6", "team median", "1", 4.08)
'Late schedule changes, last 28 days: 6 (team median 1) — raises risk by 4.1 points'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .exceptions import ConfigError

__all__ = [
    "probability_points",
    "format_feature_value",
    "driver_sentence",
    "measure_label",
    "team_medians",
    "parse_changes",
    "apply_changes",
    "what_if",
    "what_if_job",
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

_PERCENT = re.compile(r"(share|_rate_|rate$|adherence|occupancy|worked_ratio)")


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
    """
    p = np.clip(np.asarray(p, dtype="float64"), 1e-12, 1 - 1e-12)
    phi = np.asarray(phi, dtype="float64")
    logit = np.log(p) - np.log1p(-p)
    out = 100.0 * (p - 1.0 / (1.0 + np.exp(-(logit - phi))))
    return float(out) if out.ndim == 0 else out


def format_feature_value(name: str, value) -> str:
    """A feature value as a person reads it: shares in %, counts as whole numbers.

    Examples
    --------
    >>> format_feature_value("sched_late_changes_28d", 6.0), format_feature_value("tenure_days", 412.0)
    ('6', '412')
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
    """One driver as a sentence.

    Examples
    --------
    >>> driver_sentence("Team size", "9", None, None, -1.234)
    'Team size: 9 — lowers risk by 1.2 points'
    >>> driver_sentence("a", "3", None, None, None, contribution=0.7)
    'a: 3 — raises risk (+0.70 log-odds)'
    """
    ref = f" ({reference_name} {reference})" if reference_name and reference else ""
    if points is not None and np.isfinite(points):
        verb = "raises" if points > 0 else "lowers"
        return f"{label}: {value}{ref} — {verb} risk by {abs(points):.1f} points"
    c = float(contribution or 0.0)
    return f"{label}: {value}{ref} — {'raises' if c > 0 else 'lowers'} risk ({c:+.2f} log-odds)"


def measure_label(label: str) -> str:
    """A feature label without its window and team comparison: the measure's name.

    Examples
    --------
    >>> measure_label("Late schedule changes (notice ≤ 2 days), last 28 days vs team median")
    'Late schedule changes (notice ≤ 2 days)'
    """
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
    from .scoring import feature_family

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
    data = model._prepare(snapshots)
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

    from .scoring import feature_family

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


def what_if_job(
    config,
    as_of,
    changes,
    *,
    employees: Sequence[str] | None = None,
    team: str | None = None,
    model_uri: str | None = None,
    tables=None,
    model=None,
) -> tuple[pd.DataFrame, dict | None]:
    """``attrition whatif``: re-score employees, or a whole team, with changed inputs.

    Parameters
    ----------
    config : Config
    as_of : date
        The scoring date.
    changes : list of str
        See :func:`parse_changes`.
    employees : list of str, optional
        Employee ids to re-score.
    team : str, optional
        A team to re-score as a whole; only its totals are returned, and
        only when it has at least ``config.min_group_size`` people.

    Returns
    -------
    rows : pandas.DataFrame
        :func:`what_if` per employee (empty for a team).
    team_summary : dict or None
        ``headcount``, ``expected_leavers_before/after``,
        ``mean_risk_before/after`` for a team.
    """
    from .exceptions import RosterError
    from .loading import load_tables
    from .snapshots import build_snapshots, feature_labels
    from .tracking import load_model

    if (employees is None) == (team is None):
        raise ConfigError("Name either employees (--employee ID, repeatable) or one team (--team ID).")
    parsed = parse_changes(changes)
    if not parsed:
        raise ConfigError("Give at least one change, e.g. --set sched_late_changes=0.")
    if model is None:
        model, _ = load_model(model_uri or f"models:/{config.registered_model}@champion", config)
    if tables is None:
        if config.data_dir is None:
            raise ConfigError("No data folder: pass --data DIR (or data_dir in the configuration).")
        tables = load_tables(config.data_dir, config)
    params = getattr(model, "snapshot_params_", {}) or {}
    windows = tuple(params.get("windows") or config.windows)
    from .scoring import survey_privacy_of

    privacy = survey_privacy_of(model)
    group = int(params.get("min_group_size") or config.min_group_size)
    snaps = build_snapshots(tables, as_of=[pd.Timestamp(as_of)], windows=windows, labels=False,
                            survey_privacy=privacy, min_group_size=group)
    labels = feature_labels(windows=windows, survey_privacy=privacy, min_group_size=group)
    if team is not None:
        rows = snaps[snaps["team_id"].astype(str) == str(team)]
        if len(rows) < config.min_group_size:
            raise RosterError(
                f"Team {team!r} has {len(rows)} people employed on {pd.Timestamp(as_of):%Y-%m-%d}; team "
                f"results are shown only for at least {config.min_group_size} (min_group_size) so no "
                "individual can be singled out. Re-score named employees instead.")
        res = what_if(model, rows.reset_index(drop=True), parsed, labels=labels)
        summary = {
            "team_id": str(team),
            "headcount": len(res),
            "expected_leavers_before": round(float(res["risk_before"].sum()), 2),
            "expected_leavers_after": round(float(res["risk_after"].sum()), 2),
            "mean_risk_before": round(float(res["risk_before"].mean()), 4),
            "mean_risk_after": round(float(res["risk_after"].mean()), 4),
        }
        empty = res.iloc[0:0].drop(columns=["employee_id"])
        empty.attrs["note"] = WHAT_IF_NOTE
        return empty, summary
    ids = [str(e) for e in employees]
    present = set(snaps["employee_id"].astype(str))
    unknown = [e for e in ids if e not in present]
    if unknown:
        raise RosterError(
            f"{len(unknown)} employee id(s) are not employed on {pd.Timestamp(as_of):%Y-%m-%d}: "
            f"{', '.join(unknown[:20])}. Check the ids and the as-of date.")
    rows = snaps.set_index(snaps["employee_id"].astype(str)).loc[ids].reset_index(drop=True)
    return what_if(model, rows, parsed, labels=labels), None
