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

from .exceptions import RosterError
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
) -> pd.DataFrame:
    """The ``n`` measures that move each row's risk most.

    Contributions of one measure over several windows (e.g. night share over
    the last 28, 91 and 182 days) and against the team median are added up
    into one driver (as are the three tenure features), so a driver list
    never repeats itself; TreeSHAP values are additive, so the sum is
    exact. The driver is shown with the label and value of its largest
    single contribution.

    Parameters
    ----------
    contributions : pandas.DataFrame
        Per-feature contributions (a ``bias`` column is ignored).
    values : pandas.DataFrame
        The feature values, same index.
    n : int
        Drivers per row.
    labels : dict, optional
        Readable feature labels.

    Returns
    -------
    pandas.DataFrame
        For k = 1..n: ``driver_k`` (readable text), ``driver_k_feature``,
        ``driver_k_value`` (as text) and ``driver_k_contribution`` (signed,
        calibrated log-odds, summed over the measure's windows). Ordered by
        absolute contribution; ties break by feature order.

    Examples
    --------
    >>> c = pd.DataFrame({"a_28d": [0.5, -0.1], "a_91d": [0.2, 0.0], "b": [-0.6, 0.05],
    ...                   "bias": [-2.0, -2.0]})
    >>> v = pd.DataFrame({"a_28d": [3.0, 1.0], "a_91d": [2.0, 1.0], "b": [0.9, 0.2]})
    >>> top_drivers(c, v, n=1)["driver_1"].tolist()
    ['a_28d = 3 (raises risk, +0.70)', 'a_28d = 1 (lowers risk, -0.10)']
    """
    labels = labels or {}
    feats = [c for c in contributions.columns if c != "bias"]
    contrib = contributions[feats].to_numpy(dtype="float64")
    codes, families = pd.factorize(pd.Index([feature_family(f) for f in feats]))
    n_rows, n_fam = len(contrib), len(families)
    summed = np.zeros((n_rows, n_fam))
    np.add.at(summed.T, codes, contrib.T)
    # Representative feature of each family and row: its largest |contribution|.
    rep = np.zeros((n_rows, n_fam), dtype=np.int64)
    for g in range(n_fam):
        members = np.flatnonzero(codes == g)
        rep[:, g] = members[np.argmax(np.abs(contrib[:, members]), axis=1)]
    n = min(n, n_fam)
    order = np.argsort(-np.abs(summed), axis=1, kind="stable")[:, :n]
    rows = np.arange(n_rows)
    value_arr = values[feats].astype(object).to_numpy()
    out: dict[str, object] = {}
    for k in range(n):
        fam = order[:, k]
        c = summed[rows, fam]
        idx = rep[rows, fam]
        names = [feats[i] for i in idx]
        vals = [_format_value(v) for v in value_arr[rows, idx]]
        out[f"driver_{k + 1}"] = [
            f"{labels.get(f, f)} = {v} ({'raises' if ci > 0 else 'lowers'} risk, {ci:+.2f})"
            for f, v, ci in zip(names, vals, c, strict=True)
        ]
        out[f"driver_{k + 1}_feature"] = names
        out[f"driver_{k + 1}_value"] = vals
        out[f"driver_{k + 1}_contribution"] = np.round(c, 6)
    return pd.DataFrame(out, index=contributions.index)


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
        drivers (``driver_1`` ...), ``horizon_days``, ``model_name``,
        ``model_version``, then the roster's own columns. In roster order, or by falling risk without one.

    Raises
    ------
    RosterError
        If roster ids are unknown or not employed on ``as_of``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    params = getattr(model, "snapshot_params_", {}) or {}
    windows = tuple(windows or params.get("windows") or (28, 91, 182))
    employed = pd.Index(population(tables.employees, [as_of])["employee_id"])
    if roster is not None:
        _check_roster(roster, tables, as_of, employed, roster_source)
    snaps = build_snapshots(tables, as_of=[as_of], windows=windows, labels=False)
    qq = None
    if quiet_quitting is not None:  # on everyone employed: the index compares with the centre
        from .quiet_quitting import quiet_quitting_scores

        qq = quiet_quitting_scores(snaps, quiet_quitting, qq_model, n_drivers=n_drivers,
                                   labels=feature_labels(windows=windows))
        qq.index = snaps["employee_id"].to_numpy()
    if roster is not None:
        snaps = snaps.set_index("employee_id").loc[roster["employee_id"].to_numpy()].reset_index()
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
                              labels=feature_labels(windows=windows))
        out = pd.concat([out, drivers.reset_index(drop=True)], axis=1)
    info = model_info or {}
    out["horizon_days"] = int(model.horizon_days)
    out["model_name"] = info.get("model_name", "")
    out["model_version"] = info.get("model_version", "")
    if qq is not None:
        out = pd.concat([out, qq.loc[out["employee_id"].to_numpy()].reset_index(drop=True)], axis=1)
    if roster is not None:
        extra = [c for c in roster.columns if c != "employee_id" and c not in out.columns]
        out = pd.concat([out, roster[extra].reset_index(drop=True)], axis=1)
    else:
        out = out.sort_values(["attrition_risk", "employee_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    return out
