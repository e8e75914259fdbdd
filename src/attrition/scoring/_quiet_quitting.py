"""The quiet-quitting columns of a scoring output (index, state, risk, band, drivers)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from attrition.analysis._drivers import top_drivers
from attrition.exceptions import ConfigError
from attrition.snapshots._quiet_quitting import (
    COMPONENTS,
    QuietQuittingDefinition,
    quiet_quitting_band,
    quiet_quitting_index,
)

__all__ = ["quiet_quitting_scores"]


# ---------------------------------------------------------------------- scoring
def quiet_quitting_scores(
    snapshots: pd.DataFrame,
    definition: QuietQuittingDefinition | None = None,
    model=None,
    *,
    n_drivers: int = 3,
    labels: Mapping[str, str] | None = None,
    references: pd.DataFrame | None = None,
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

    Returns
    -------
    pandas.DataFrame
        ``quiet_quitting_risk``, ``quiet_quitting_index``,
        ``quiet_quitting_state``, ``quiet_quitting_band``,
        ``qq_index_components`` (the components behind the index, largest
        first, in index points) and the risk drivers ``qq_driver_k``,
        ``qq_driver_k_feature``, ``qq_driver_k_value``,
        ``qq_driver_k_contribution``.
    """
    definition = definition or QuietQuittingDefinition()
    index = quiet_quitting_index(snapshots, definition)
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
    for row in points:
        order = [k for k in np.argsort(-np.nan_to_num(row), kind="stable") if row[k] > 0][:3]
        text.append("; ".join(f"{COMPONENTS[names[k]].label} {row[k]:.1f}" for k in order))
    out = pd.DataFrame(
        {
            "quiet_quitting_risk": np.round(risk, 6),
            "quiet_quitting_index": np.round(index["quiet_quitting_index"].to_numpy(dtype="float64"), 1),
            "quiet_quitting_state": state,
            "quiet_quitting_band": band,
            "qq_index_components": text,
        },
        index=snapshots.index,
    )
    if model is not None and n_drivers > 0 and len(snapshots):
        drivers = top_drivers(model.contributions(snapshots), snapshots[model.feature_names_in_],
                              n=n_drivers, labels=dict(labels or {}), references=references)
        drivers.columns = [f"qq_{c}" for c in drivers.columns]
        out = pd.concat([out, drivers], axis=1)
    return out
