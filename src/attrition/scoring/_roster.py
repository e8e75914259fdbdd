"""Monthly scoring of a roster with a trained model.

:func:`score_roster` builds features as of one date with exactly the code
that built the training snapshots, predicts the calibrated risk, assigns the
band, and explains each score by its top drivers (exact TreeSHAP from
LightGBM, on the calibrated log-odds scale).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from attrition.analysis._drivers import team_medians, top_drivers
from attrition.data._drift import warn_unseen_categories
from attrition.data._fingerprint import data_fingerprint
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError, RosterError
from attrition.models._model import AttritionModel, risk_band
from attrition.models._survival import CURVE_MONTHS, MONTH_DAYS, expected_months, risk_at
from attrition.scoring._quiet_quitting import quiet_quitting_scores, state_history_dates
from attrition.snapshots._build import PartialRows, population

__all__ = ["score_roster", "SCORE_COLUMNS"]

log = logging.getLogger(__name__)

#: The leading columns of every scoring output (a public contract).
SCORE_COLUMNS: tuple[str, ...] = ("employee_id", "as_of", "attrition_risk", "risk_band")


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


def _check_companion(model: AttritionModel, qq_model: AttritionModel | None) -> None:
    """Both models must score the same snapshot features."""
    if qq_model is None:
        return
    if getattr(qq_model, "target", "attrition") != "quiet_quitting":
        raise ConfigError(
            "The quiet-quitting model given is a model of "
            f"{getattr(qq_model, 'target', 'attrition')!r}. Pass the model registered as "
            "'<NAME>-quiet-quitting' (attrition train --target all --register NAME)."
        )
    a, q = model.spec_, qq_model.spec_
    differ = [k for k in ("windows", "survey_privacy", "min_group_size") if getattr(a, k) != getattr(q, k)]
    if differ:
        shown = "; ".join(f"{k}: attrition model {getattr(a, k)!r}, quiet-quitting model {getattr(q, k)!r}"
                          for k in differ)
        raise ConfigError(
            f"The attrition and quiet-quitting models were trained on different snapshots ({shown}); "
            "both score the same snapshot features. Train both with one configuration "
            "(`attrition train --target all`)."
        )


def _checked_snapshots(snapshots: pd.DataFrame, as_of: pd.Timestamp, employed: pd.Index) -> pd.DataFrame:
    """Prebuilt snapshots must be those of ``as_of``, for everyone employed then."""
    dates = pd.to_datetime(snapshots["as_of"]).dt.normalize()
    if len(snapshots) and not (dates == as_of).all():
        raise ConfigError(f"The snapshots given are of {sorted({f'{d:%Y-%m-%d}' for d in dates.unique()})}, "
                          f"not of the scoring date {as_of:%Y-%m-%d}: build them with "
                          "model.snapshots(tables, [as_of]).")
    missing = employed.difference(pd.Index(snapshots["employee_id"]))
    if len(missing):
        raise ConfigError(f"The snapshots given lack {len(missing)} of the {len(employed)} people employed on "
                          f"{as_of:%Y-%m-%d} (e.g. {', '.join(map(str, missing[:5]))}); team medians and "
                          "the quiet-quitting index compare everyone: pass model.snapshots(tables, [as_of]).")
    return snapshots


def scoring_snapshots(tables: Tables, as_of, model: AttritionModel, qq_model: AttritionModel | None = None,
                      *, quiet_quitting: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The snapshots of ``as_of`` and, for the quiet-quitting state, of the month ends before it.

    One build (``model.snapshots``) over ``as_of`` and the ``state_window - 1``
    month ends before it (:func:`attrition.scoring.state_history_dates`, with
    the definition of ``qq_model``'s spec, else of ``model``'s); each row uses
    only data dated on or before its own month end, so the rows of ``as_of``
    are those of a build for ``as_of`` alone. The earlier month ends get only
    the features the state filter reads
    (:meth:`~attrition.snapshots.QuietQuittingDefinition.state_features`,
    :class:`~attrition.snapshots.PartialRows`): the builders of the others
    answer the rows of ``as_of`` only.

    Returns
    -------
    (snapshots, history)
        The rows of ``as_of``, and those of the earlier month ends (None when
        there are none or ``quiet_quitting`` is False), each indexed from 0;
        on the history rows, features the state filter does not read are
        missing. ``tests/scoring`` checks that the scores equal those of
        separate builds.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if not quiet_quitting:
        return model.snapshots(tables, [as_of]), None
    definition = (qq_model if qq_model is not None else model).spec_.quiet_quitting_definition()
    dates = state_history_dates(tables, as_of, definition)
    if not len(dates):
        return model.snapshots(tables, [as_of]), None
    built = model.snapshots(tables, [*dates, as_of],
                            partial=PartialRows(dates, definition.state_features()))
    now = (pd.to_datetime(built["as_of"]).dt.normalize() == as_of).to_numpy()
    snaps = built.loc[now].reset_index(drop=True)
    history = built.loc[~now].reset_index(drop=True)
    history.attrs = dict(built.attrs)
    snaps.attrs = {k: v for k, v in built.attrs.items() if k != "partial_dates"}  # its rows are whole
    return snaps, history


def _select_roster(snaps: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    if roster is None:
        return snaps
    return snaps.set_index("employee_id").loc[roster["employee_id"].to_numpy()].reset_index()


def _hazard_outputs(model: AttritionModel, rows: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """A hazard model's risk, risk per horizon and expected months to exit, from one hazard curve.

    ``predict_risk``, ``predict_horizons`` and ``expected_months_to_exit``
    each predict the same :data:`CURVE_MONTHS` monthly hazards; when every
    horizon falls within them (the default: up to 365 days), they are
    predicted once here and read off alike (the same numbers, a third of the
    prediction time).
    """
    horizons = [int(d) for d in model.spec_.horizons]
    if max([model.horizon_days, *horizons]) > CURVE_MONTHS * MONTH_DAYS:
        return (model.predict_risk(rows), model.predict_horizons(rows).reset_index(drop=True),
                model.expected_months_to_exit(rows))
    hazard = model.predict_hazard(rows)
    by_horizon = pd.DataFrame({f"attrition_risk_{d}d": risk_at(hazard, d) for d in horizons})
    return risk_at(hazard, model.horizon_days), by_horizon, expected_months(hazard)


def _risk_frame(model: AttritionModel, rows: pd.DataFrame, as_of: pd.Timestamp, n_drivers: int,
                medians: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Risk, band and drivers of ``rows`` (in their order)."""
    hazard = getattr(model, "kind_", "binary") == "hazard"
    if hazard:
        risk, horizons, months_to_exit = _hazard_outputs(model, rows)
    else:
        risk = model.predict_risk(rows)
    out = pd.DataFrame(
        {
            "employee_id": rows["employee_id"].to_numpy(),
            "as_of": as_of.strftime("%Y-%m-%d"),
            "attrition_risk": np.round(risk, 6),
            "risk_band": risk_band(risk, model.thresholds_),
        }
    )
    if hazard:  # the survival curve at each horizon
        for col in horizons.columns:
            out[col] = np.round(horizons[col].to_numpy(), 6)
        out["expected_months_to_exit"] = np.round(months_to_exit, 2)
    if n_drivers > 0 and len(rows):
        # the hazard model's TreeSHAP is rescaled to the risk predicted above: not predicted again
        contributions = model.contributions(rows, risk=risk if hazard else None)
        drivers = top_drivers(contributions, rows[model.feature_names_in_], n=n_drivers,
                              labels=labels, references=medians)
        out = pd.concat([out, drivers.reset_index(drop=True)], axis=1)
    return out


def score_roster(
    tables: Tables,
    as_of,
    model: AttritionModel,
    *,
    roster: pd.DataFrame | None = None,
    n_drivers: int = 3,
    model_info: dict[str, str] | None = None,
    roster_source: str = "roster",
    quiet_quitting: bool = False,
    qq_model: AttritionModel | None = None,
    snapshots: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    prevalence_trend: bool = True,
) -> pd.DataFrame:
    """Score everyone on the roster (default: everyone employed) as of one date.

    Parameters
    ----------
    tables : Tables
        The exports as they stand at (or after) the as-of date.
    as_of : date
        The scoring date; features use rows dated on or before it.
    model : AttritionModel
        A fitted model; its spec (``model.spec_``) rebuilds the features.
    roster : pandas.DataFrame, optional
        ``employee_id`` plus any columns to pass through. Every id must be
        employed on ``as_of``.
    n_drivers : int, default 3
        Drivers per employee.
    model_info : dict, optional
        ``model_name`` and ``model_version`` written into the output.
    quiet_quitting : bool, default False
        Add the quiet-quitting columns
        (:func:`attrition.scoring.quiet_quitting_scores`) after
        ``model_version``: the index always (with the definition of
        ``qq_model``'s spec, else of ``model``'s), the risk, band and
        ``qq_driver_*`` when ``qq_model`` is given. Implied by ``qq_model``.
    qq_model : AttritionModel, optional
        The quiet-quitting model (``spec_.target == "quiet_quitting"``).
    snapshots : pandas.DataFrame, optional
        The features of everyone employed on ``as_of``, as
        ``model.snapshots(tables, as_of)`` builds them (pass them when the
        caller needs them too, so they are built once).
    history : pandas.DataFrame, optional
        With ``snapshots``: the rows of the month ends before ``as_of`` that
        the quiet-quitting state filter reads, as :func:`scoring_snapshots`
        returns them with ``snapshots`` from the same single build. Without
        ``snapshots`` both come from one build here.
    prevalence_trend : bool, default True
        With the quiet-quitting columns: attach the centre's prevalence by
        month (``attrs["quiet_quitting_prevalence_by_month"]``, what the
        report's trend shows). ``False`` skips its bootstraps; the scores are
        the same.

    Returns
    -------
    pandas.DataFrame
        ``employee_id``, ``as_of``, ``attrition_risk``, ``risk_band``; for a
        monthly hazard model ``attrition_risk_<d>d`` for each of the spec's
        horizons (default 30, 90, 180 and 365 days, read off the survival
        curve: non-decreasing) and ``expected_months_to_exit``; the
        drivers (``driver_1`` ...; see :func:`attrition.analysis.top_drivers`,
        with the team median of the same day as reference), ``horizon_days``,
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
    as_of = pd.Timestamp(as_of).normalize()
    employed = pd.Index(population(tables.employees, [as_of])["employee_id"])
    if roster is not None:
        _check_roster(roster, tables, as_of, employed, roster_source)
    _check_companion(model, qq_model)
    if not isinstance(quiet_quitting, bool):
        raise ConfigError("score_roster(quiet_quitting=...) takes True or False: the quiet-quitting "
                          "definition is the one in the models' spec (spec_.quiet_quitting).")
    spec = model.spec_
    want_qq = quiet_quitting or qq_model is not None
    if snapshots is None:  # one build: the date and the month ends the state filter reads
        snaps, history = scoring_snapshots(tables, as_of, model, qq_model, quiet_quitting=want_qq)
    else:
        snaps = _checked_snapshots(snapshots, as_of, employed)
        if want_qq and history is None:
            _, history = scoring_snapshots(tables, as_of, model, qq_model)
    labels = model.feature_labels()
    # Team medians over everyone employed that day (not only the roster): the drivers' reference.
    # One pass over the features of both models (each column's median depends on that column only).
    features = list(dict.fromkeys([*model.feature_names_in_,
                                   *(qq_model.feature_names_in_ if qq_model is not None else [])]))
    all_medians = team_medians(snaps, features, min_group_size=spec.min_group_size)
    qq = None
    if want_qq:  # on everyone employed: the index compares with the centre
        definition = (qq_model if qq_model is not None else model).spec_.quiet_quitting_definition()
        refs = all_medians[list(qq_model.feature_names_in_)] if qq_model is not None else None
        # The state filter reads the month ends before as_of too (never after it).
        qq = quiet_quitting_scores(snaps, definition, qq_model, n_drivers=n_drivers, labels=labels,
                                   references=refs, history=history, prevalence_trend=prevalence_trend)
        qq.index = snaps["employee_id"].to_numpy()
    medians = all_medians[list(model.feature_names_in_)]
    medians.index = snaps["employee_id"].to_numpy()
    rows = _select_roster(snaps, roster)
    medians = medians.loc[rows["employee_id"].to_numpy()].reset_index(drop=True)
    warn_unseen_categories(getattr(model, "categories_", {}), rows, source=tables.source("employees"))
    log.info("Scoring %d employees as of %s", len(rows), f"{as_of:%Y-%m-%d}")
    out = _risk_frame(model, rows, as_of, n_drivers, medians, labels)
    info = model_info or {}
    out["horizon_days"] = int(spec.horizon_days)
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
        if col in rows.columns and col not in out.columns:
            out[col] = rows[col].astype(object).to_numpy()
    if roster is None:
        out = out.sort_values(["attrition_risk", "employee_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    if qq is not None:
        out.attrs["quiet_quitting_prevalence_by_month"] = qq.attrs.get("quiet_quitting_prevalence_by_month", [])
    return out
