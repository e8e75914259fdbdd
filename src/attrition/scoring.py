"""Monthly scoring of a roster with a trained model.

:func:`score_roster` builds features as of one date with exactly the code
that built the training snapshots, predicts the calibrated risk, assigns the
band, and explains each score by its top drivers (exact TreeSHAP from
LightGBM, on the calibrated log-odds scale).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .exceptions import ConfigError, RosterError
from .model import AttritionModel, risk_band
from .snapshots import build_snapshots, feature_labels, population
from .tables import Tables

__all__ = ["score_roster", "top_drivers", "feature_family", "SCORE_COLUMNS"]

log = logging.getLogger(__name__)

#: The leading columns of every scoring output (a public contract).
SCORE_COLUMNS: tuple[str, ...] = ("employee_id", "as_of", "attrition_risk", "risk_band")


def _format_value(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return f"{int(value)}"
        return f"{value:.3g}"
    return str(value)


_TENURE = frozenset({"tenure_days", "log_tenure", "early_tenure"})


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
        :func:`attrition.explain.probability_points`).
    values : pandas.DataFrame
        The feature values, same index.
    n : int
        Drivers per row.
    labels : dict, optional
        Readable feature labels.
    references : pandas.DataFrame, optional
        A reference value per feature and row (e.g.
        :func:`attrition.explain.team_medians`), shown beside the value.
        Not shown for team-level measures, categories and changes.
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
    from .explain import driver_sentence, format_feature_value, probability_points

    labels = labels or {}
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
    # Representative feature of each family and row: its largest |contribution|.
    rep = np.zeros((n_rows, n_fam), dtype=np.int64)
    for g in range(n_fam):
        members = np.flatnonzero(codes == g)
        rep[:, g] = members[np.argmax(np.abs(contrib[:, members]), axis=1)]
    n = min(n, n_fam)
    order = np.argsort(-np.abs(summed), axis=1, kind="stable")[:, :n]
    rows = np.arange(n_rows)
    value_frame = values.reset_index(drop=True)
    ref_frame = references.reset_index(drop=True) if references is not None else None
    value_cols: dict[str, np.ndarray] = {}
    ref_cols: dict[str, np.ndarray] = {}

    def column(frame: pd.DataFrame, cache: dict[str, np.ndarray], name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = frame[name].to_numpy()
        return cache[name]

    out: dict[str, object] = {}
    for k in range(n):
        fam = order[:, k]
        c = summed[rows, fam]
        idx = rep[rows, fam]
        points = probability_points(risk, c) if risk is not None else np.full(n_rows, np.nan)
        # The shown feature, its value and reference of each row, gathered per
        # feature (a few dozen) rather than per row.
        shown = np.empty(n_rows, dtype=object)
        vals_k = np.empty(n_rows, dtype=object)
        ref_value = np.full(n_rows, None, dtype=object)
        for i in np.unique(idx):
            sel = np.flatnonzero(idx == i)
            f = feats[i]
            base = f.removesuffix("_vs_team")
            if f.endswith("_vs_team") and base in value_frame.columns:
                v = column(value_frame, value_cols, base)[sel]
                vals_k[sel] = v
                if ref_frame is not None:  # NaN there for teams under min_group_size
                    if base in ref_frame.columns:
                        ref_value[sel] = column(ref_frame, ref_cols, base)[sel]
                else:
                    diff = column(value_frame, value_cols, f)[sel]
                    ok = np.flatnonzero(pd.notna(v) & pd.notna(diff))
                    if len(ok):
                        ref_value[sel[ok]] = [float(a) - float(b) for a, b in zip(v[ok], diff[ok], strict=True)]
                shown[sel] = base
            else:
                vals_k[sel] = column(value_frame, value_cols, f)[sel]
                if (ref_frame is not None and f in ref_frame.columns and not f.startswith(("team_", "pay_vs_"))
                        and "_change_" not in f and "_drift_" not in f):
                    ref_value[sel] = column(ref_frame, ref_cols, f)[sel]
                shown[sel] = f
        names = shown.tolist()
        vals_list = vals_k.tolist()
        refs = [format_feature_value(f, r) if r is not None and pd.notna(r) else ""
                for f, r in zip(names, ref_value.tolist(), strict=True)]
        pts = [None] * n_rows if risk is None else points.tolist()
        sentences = [driver_sentence(labels.get(f, f), format_feature_value(f, v), reference_name, rt, p, cc)
                     for f, v, rt, p, cc in zip(names, vals_list, refs, pts, c.tolist(), strict=True)]
        out[f"driver_{k + 1}"] = sentences
        out[f"driver_{k + 1}_feature"] = names
        out[f"driver_{k + 1}_value"] = [_format_value(v) for v in vals_list]
        out[f"driver_{k + 1}_contribution"] = np.round(c, 6)
        if risk is not None:
            out[f"driver_{k + 1}_points"] = np.round(points, 2)
        if ref_frame is not None:
            out[f"driver_{k + 1}_reference"] = refs
    return pd.DataFrame(out, index=contributions.index)


def survey_privacy_of(model: AttritionModel) -> str:
    """The survey privacy mode a model was trained with.

    Read from ``model.snapshot_params_`` (set by :func:`attrition.train`);
    otherwise inferred from its feature names, so that scoring builds the
    survey features the model knows.

    Examples
    --------
    >>> m = AttritionModel()
    >>> m.feature_names_in_ = ["tenure_days", "survey_team_enps_mean"]
    >>> survey_privacy_of(m)
    'team'
    """
    params = getattr(model, "snapshot_params_", {}) or {}
    if params.get("survey_privacy"):
        return str(params["survey_privacy"])
    names = getattr(model, "feature_names_in_", [])
    if any(str(f).startswith("survey_team_") for f in names):
        return "team"
    if any(str(f).startswith("survey_") for f in names):
        return "identified"
    return "off"


def _check_roster(roster: pd.DataFrame, tables: Tables, as_of: pd.Timestamp, employed: pd.Index,
                  source: str) -> None:
    ids = roster["employee_id"]
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise RosterError(
            f"{source}: column 'employee_id': {len(dup)} id(s) appear more than once: "
            f"{', '.join(map(str, dup[:20]))}{' ...' if len(dup) > 20 else ''}.\n"
            "List each employee once."
        )
    known = set(tables.employees["employee_id"])
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise RosterError(
            f"{source}: column 'employee_id': {len(unknown)} roster id(s) are not in the employees "
            f"table: {', '.join(map(str, unknown[:20]))}{' ...' if len(unknown) > 20 else ''}.\n"
            "Fix the roster, or export the HR master with these employees."
        )
    not_employed = [i for i in ids if i not in employed]
    if not_employed:
        raise RosterError(
            f"{source}: column 'employee_id': {len(not_employed)} roster id(s) are not employed on "
            f"{as_of:%Y-%m-%d} (hired later, or their last day is on or before it): "
            f"{', '.join(map(str, not_employed[:20]))}{' ...' if len(not_employed) > 20 else ''}.\n"
            "Remove them from the roster or check the as-of date."
        )


def score_roster(
    tables: Tables,
    as_of,
    model: AttritionModel,
    *,
    roster: pd.DataFrame | None = None,
    n_drivers: int = 3,
    model_info: dict[str, str] | None = None,
    windows: Sequence[int] | None = None,
    roster_source: str = "roster",
    quiet_quitting=None,
    qq_model: AttritionModel | None = None,
) -> pd.DataFrame:
    """Score everyone on the roster (default: everyone employed) as of one date.

    Parameters
    ----------
    tables : Tables
        The exports as they stand at (or after) the as-of date.
    as_of : date
        The scoring date; features use rows dated on or before it.
    model : AttritionModel
        A fitted model.
    roster : pandas.DataFrame, optional
        ``employee_id`` plus any columns to pass through. Every id must be
        employed on ``as_of``.
    n_drivers : int, default 3
        Drivers per employee.
    model_info : dict, optional
        ``model_name`` and ``model_version`` written into the output.
    windows : sequence of int, optional
        Trailing windows; default the ones the model was trained with.
    quiet_quitting : QuietQuittingDefinition, optional
        Add the quiet-quitting columns
        (:func:`attrition.quiet_quitting.quiet_quitting_scores`) after
        ``model_version``: the index always, the risk, band and ``qq_driver_*``
        when ``qq_model`` is given.
    qq_model : AttritionModel, optional
        The quiet-quitting model (``target="quiet_quitting"``).

    Returns
    -------
    pandas.DataFrame
        ``employee_id``, ``as_of``, ``attrition_risk``, ``risk_band``, the
        drivers (``driver_1`` ...; see :func:`top_drivers`, with the team
        median of the same day as reference), ``horizon_days``,
        ``model_name``, ``model_version``, ``input_fingerprint`` (SHA-256 of
        the input tables, as logged with the training run), the roster's own
        columns, then ``team_id`` and ``site`` from the HR master unless the
        roster has them. In roster order, or by falling risk without one.

    Raises
    ------
    RosterError
        If roster ids are unknown or not employed on ``as_of``.
    SchemaError
        If a table present at training is missing now (a readable diff).
    """
    from .drift import check_schema, warn_unseen_categories
    from .tracking import data_fingerprint

    as_of = pd.Timestamp(as_of).normalize()
    params = getattr(model, "snapshot_params_", {}) or {}
    check_schema(params.get("input_schema"), tables)
    windows = tuple(windows or params.get("windows") or (28, 91, 182))
    employed = pd.Index(population(tables.employees, [as_of])["employee_id"])
    if roster is not None:
        _check_roster(roster, tables, as_of, employed, roster_source)
    privacy = survey_privacy_of(model)
    group = int(params.get("min_group_size") or 5)
    if qq_model is not None and survey_privacy_of(qq_model) != privacy:
        raise ConfigError(
            f"The attrition model was trained with survey_privacy={privacy!r} and the "
            f"quiet-quitting model with survey_privacy={survey_privacy_of(qq_model)!r}; both "
            "score the same snapshot features. Train both with one configuration "
            "(`attrition train --target all`)."
        )
    snaps = build_snapshots(tables, as_of=[as_of], windows=windows, labels=False,
                            survey_privacy=privacy, min_group_size=group)
    qq = None
    if quiet_quitting is not None:  # on everyone employed: the index compares with the centre
        from .quiet_quitting import quiet_quitting_scores

        qq = quiet_quitting_scores(snaps, quiet_quitting, qq_model, n_drivers=n_drivers,
                                   labels=feature_labels(windows=windows, survey_privacy=privacy,
                                                         min_group_size=group))
        qq.index = snaps["employee_id"].to_numpy()
    # Team medians over everyone employed that day (not only the roster): the drivers' reference.
    from .explain import team_medians

    medians = team_medians(snaps, model.feature_names_in_, min_group_size=group)
    medians.index = snaps["employee_id"].to_numpy()
    if roster is not None:
        snaps = snaps.set_index("employee_id").loc[roster["employee_id"].to_numpy()].reset_index()
    medians = medians.loc[snaps["employee_id"].to_numpy()].reset_index(drop=True)
    warn_unseen_categories(getattr(model, "categories_", {}), snaps,
                           source=tables.source("employees"))
    log.info("Scoring %d employees as of %s", len(snaps), f"{as_of:%Y-%m-%d}")
    risk = model.predict_risk(snaps)
    out = pd.DataFrame(
        {
            "employee_id": snaps["employee_id"].to_numpy(),
            "as_of": as_of.strftime("%Y-%m-%d"),
            "attrition_risk": np.round(risk, 6),
            "risk_band": risk_band(risk, model.thresholds_),
        }
    )
    if n_drivers > 0 and len(snaps):
        contrib = model.contributions(snaps)
        drivers = top_drivers(contrib, snaps[model.feature_names_in_], n=n_drivers,
                              labels=feature_labels(windows=windows, survey_privacy=privacy,
                                                    min_group_size=group),
                              references=medians)
        out = pd.concat([out, drivers.reset_index(drop=True)], axis=1)
    info = model_info or {}
    out["horizon_days"] = int(model.horizon_days)
    out["model_name"] = info.get("model_name", "")
    out["model_version"] = info.get("model_version", "")
    out["input_fingerprint"] = data_fingerprint(tables)
    if qq is not None:
        out = pd.concat([out, qq.loc[out["employee_id"].to_numpy()].reset_index(drop=True)], axis=1)
    if roster is not None:
        extra = [c for c in roster.columns if c != "employee_id" and c not in out.columns]
        out = pd.concat([out, roster[extra].reset_index(drop=True)], axis=1)
    # The HR master's team and site, for team roll-ups (a roster's own columns win).
    for col in ("team_id", "site"):
        if col in snaps.columns and col not in out.columns:
            out[col] = snaps[col].astype(object).to_numpy()
    if roster is None:
        out = out.sort_values(["attrition_risk", "employee_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    return out
