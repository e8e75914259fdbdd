"""The quiet-quitting columns of a scoring output (index, state, risk, band, drivers)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from attrition.analysis._drivers import top_drivers
from attrition.exceptions import ConfigError
from attrition.snapshots._build import default_as_of_dates
from attrition.snapshots._quiet_quitting import (
    COMPONENTS,
    QuietQuittingDefinition,
    prevalence_by_month,
    quiet_quitting_band,
    quiet_quitting_index,
    quiet_quitting_prevalence_interval,
)

__all__ = ["quiet_quitting_scores", "state_history_dates", "quiet_quitting_prevalence"]


def state_history_dates(tables, as_of, definition: QuietQuittingDefinition) -> pd.DatetimeIndex:
    """The month ends before ``as_of`` whose rows the state filter reads (``state_window - 1`` of them,
    from the first month end with history; :func:`attrition.snapshots.default_as_of_dates`).

    Examples
    --------
    >>> from attrition import simulate
    >>> tables = simulate(n_employees=20, months=6, seed=1).tables
    >>> [f"{d:%Y-%m-%d}" for d in state_history_dates(tables, "2024-06-30",
    ...                                               QuietQuittingDefinition(state_window=3))]
    ['2024-04-30', '2024-05-31']
    """
    as_of = pd.Timestamp(as_of).normalize()
    known = default_as_of_dates(tables)
    earlier = known[known < as_of]
    return earlier[-(definition.state_window - 1):] if definition.state_window > 1 else earlier[:0]


def quiet_quitting_prevalence(scores: pd.DataFrame, level: float = 0.9) -> dict[str, float]:
    """Share of people in the state, with its interval, from ``quiet_quitting_state_probability``.

    See :func:`attrition.snapshots.quiet_quitting_prevalence_interval`
    (people without a probability — no effort signal, or in their nesting
    months — are left out).
    """
    if "quiet_quitting_state_probability" not in scores.columns:
        return quiet_quitting_prevalence_interval(np.zeros(0), level)
    return quiet_quitting_prevalence_interval(
        pd.to_numeric(scores["quiet_quitting_state_probability"], errors="coerce").to_numpy(), level)


# ---------------------------------------------------------------------- scoring
def quiet_quitting_scores(
    snapshots: pd.DataFrame,
    definition: QuietQuittingDefinition | None = None,
    model=None,
    *,
    n_drivers: int = 3,
    labels: Mapping[str, str] | None = None,
    references: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    prevalence_trend: bool = True,
) -> pd.DataFrame:
    """The quiet-quitting columns of a scoring output, aligned to ``snapshots``.

    Parameters
    ----------
    snapshots : pandas.DataFrame
        Features of *everyone* employed on the as-of date (the index compares
        each employee with the centre); subset the result afterwards.
    definition : QuietQuittingDefinition, optional
    model : AttritionModel, optional
        A fitted model with ``target="quiet_quitting"``; without one the risk
        is NaN, the band ``in_state``/``not_in_state`` and no drivers. Whoever
        has no index (no effort signal at all) gets the band ``unknown``.
    n_drivers : int, default 3
        Drivers of the risk (``qq_driver_1`` ...), from
        :func:`attrition.scoring.top_drivers`.
    labels : dict, optional
        Readable feature labels for the drivers.
    references : pandas.DataFrame, optional
        Team medians of the model's features per row (aligned to
        ``snapshots``; :func:`attrition.analysis.team_medians`, blank for
        teams under ``min_group_size``), shown beside the drivers' values.
    history : pandas.DataFrame, optional
        Snapshot rows of everyone employed at the month ends before (the
        ``state_window - 1`` of :func:`state_history_dates`): the state
        probability is filtered over them and ``snapshots`` (it reads nothing
        later). Without them the probability reads the current month only.
    prevalence_trend : bool, default True
        Attach the centre-wide prevalence of each month read, with its
        bootstrap interval (``attrs["quiet_quitting_prevalence_by_month"]``,
        for the report). ``False`` leaves it empty and skips the bootstraps
        (one per month): the columns are the same either way.

    Returns
    -------
    pandas.DataFrame
        ``quiet_quitting_risk``, ``quiet_quitting_index``,
        ``quiet_quitting_state_probability`` (filtered probability of being in
        the state), ``quiet_quitting_state`` (probability >= 0.5),
        ``quiet_quitting_band``,
        ``qq_index_components`` (the components behind the index, largest
        first, in index points) and the risk drivers ``qq_driver_k``,
        ``qq_driver_k_feature``, ``qq_driver_k_value``,
        ``qq_driver_k_contribution``.
    """
    definition = definition or QuietQuittingDefinition()
    if history is not None and len(history):
        both = pd.concat([history, snapshots], ignore_index=True)
        full = quiet_quitting_index(both, definition)
        index = full.iloc[len(history):].set_axis(snapshots.index)
        trend = (prevalence_by_month(both["as_of"], full["quiet_quitting_state_probability"])
                 if prevalence_trend else [])
    else:
        index = quiet_quitting_index(snapshots, definition)
        trend = (prevalence_by_month(snapshots["as_of"], index["quiet_quitting_state_probability"])
                 if prevalence_trend else [])
    state = index["quiet_quitting_state"].to_numpy(dtype=bool)
    if model is not None:
        if getattr(model, "target", "attrition") != "quiet_quitting":
            raise ConfigError(
                "The quiet-quitting model given is a model of "
                f"{getattr(model, 'target', 'attrition')!r}. Pass the model registered as "
                "'<NAME>-quiet-quitting' (attrition train --target all --register NAME)."
            )
        risk = model.predict_risk(snapshots) if len(snapshots) else np.zeros(0)
        band = quiet_quitting_band(state, risk, model.thresholds_)
    else:
        risk = np.full(len(snapshots), np.nan)
        band = quiet_quitting_band(state, None, None)
    # No effort signal at all: the state is unknown, not "not in the state".
    band = np.where(index["quiet_quitting_index"].isna().to_numpy(), "unknown", band).astype(object)
    points = index[[f"qq_points_{c}" for c in COMPONENTS]].to_numpy(dtype="float64")
    names = list(COMPONENTS)
    text = []
    ranked = np.argsort(-np.nan_to_num(points), axis=1, kind="stable")  # each row's own order
    for row, by_size in zip(points, ranked, strict=True):
        order = [k for k in by_size if row[k] > 0][:3]
        text.append("; ".join(f"{COMPONENTS[names[k]].label} {row[k]:.1f}" for k in order))
    out = pd.DataFrame(
        {
            "quiet_quitting_risk": np.round(risk, 6),
            "quiet_quitting_index": np.round(index["quiet_quitting_index"].to_numpy(dtype="float64"), 1),
            "quiet_quitting_state_probability": np.round(
                index["quiet_quitting_state_probability"].to_numpy(dtype="float64"), 4),
            "quiet_quitting_state": state,
            "quiet_quitting_band": band,
            "qq_index_components": text,
        },
        index=snapshots.index,
    )
    # Centre-wide prevalence by month (everyone employed then), for the report: JSON-ready records.
    out.attrs["quiet_quitting_prevalence_by_month"] = trend
    if model is not None and n_drivers > 0 and len(snapshots):
        drivers = top_drivers(model.contributions(snapshots), snapshots[model.feature_names_in_],
                              n=n_drivers, labels=dict(labels or {}), references=references)
        drivers.columns = [f"qq_{c}" for c in drivers.columns]
        out = pd.concat([out, drivers], axis=1)
        out.attrs["quiet_quitting_prevalence_by_month"] = trend
    return out
