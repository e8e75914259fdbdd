"""Scoring a flat table (one row per employee) with a flat-table model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from attrition.analysis._drivers import top_drivers
from attrition.exceptions import DataQualityWarning, SchemaError, format_examples
from attrition.models._flat import _check_ids
from attrition.models._flat_survival import FlatSurvivalModel
from attrition.models._model import AttritionModel, risk_band

__all__ = ["score_table"]


def score_table(
    frame: pd.DataFrame,
    model: AttritionModel | FlatSurvivalModel,
    *,
    id_column: str | None = None,
    n_drivers: int = 3,
    model_info: dict[str, str] | None = None,
    source: str = "table",
) -> pd.DataFrame:
    """Score a flat table with a model from :func:`fit_table`.

    Returns one row per input row, in input order: ``employee_id`` (the id
    column's values; row numbers from 1 when there is none), ``attrition_risk``,
    ``risk_band``, the drivers, ``model_name``, ``model_version``. Columns the
    model does not use (the target, say) are ignored. A survival model
    (:class:`attrition.models.FlatSurvivalModel`) adds ``attrition_risk_<H>``
    per horizon after ``attrition_risk`` (which is then the risk within the
    last horizon).
    """
    params = model.training_summary_
    id_column = id_column or (params.get("id_column") if params.get("id_column") in frame.columns else None)
    _check_ids(frame, id_column, source)
    missing = [c for c in model.feature_names_in_ if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{source}: the model was trained with column(s) missing here: {', '.join(missing[:20])}"
            f"{' ...' if len(missing) > 20 else ''}. Score a table with the same columns as the training "
            "table.", file=source, column=missing[0])
    X = frame.loc[:, model.feature_names_in_].copy()
    for col, cats in model.categories_.items():
        text = X[col].astype(object).where(X[col].notna(), None).map(lambda v: v if v is None else str(v))
        unseen = sorted(set(text.dropna()) - set(cats))
        if unseen:
            warnings.warn(f"{source}: column {col!r} has value(s) not seen in training, scored as missing: "
                          f"{', '.join(unseen[:10])}.", DataQualityWarning, stacklevel=2)
        X[col] = text
    for col in X.columns:
        if col in model.categories_:
            continue
        parsed = pd.to_numeric(X[col], errors="coerce")
        bad = parsed.isna() & X[col].notna()
        if bad.any():
            raise SchemaError(
                f"{source}: column {col!r}: {int(bad.sum())} row(s) hold values that are not numbers, "
                f"but the model was trained on numbers there:\n{format_examples(frame.loc[bad])}\n"
                "Fix or blank those values (a blank is scored as missing).",
                file=source, column=col, n_rows=int(bad.sum()), examples=frame.loc[bad].head(5))
        X[col] = parsed
    risk = model.predict_risk(X)
    ids = frame[id_column].to_numpy() if id_column else np.arange(1, len(frame) + 1)
    out = pd.DataFrame({"employee_id": ids, "attrition_risk": np.round(risk, 6),
                        "risk_band": risk_band(risk, model.thresholds_)})
    if isinstance(model, FlatSurvivalModel):  # a survival model: the risk within each horizon
        horizons = model.predict_horizons(X).round(6).reset_index(drop=True)
        out = pd.concat([out.iloc[:, :2], horizons, out.iloc[:, 2:]], axis=1)
    if n_drivers > 0 and len(X):
        contrib = model.contributions(X)
        prepared = model.prepare(X)
        out = pd.concat([out, top_drivers(contrib, prepared, n=n_drivers).reset_index(drop=True)], axis=1)
    info = model_info or {}
    out["model_name"] = info.get("model_name", "")
    out["model_version"] = info.get("model_version", "")
    return out
