"""``attrition report``: the HTML report of a scores file."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from attrition.data._io import write_text
from attrition.exceptions import ConfigError, ModelNotFoundError, SchemaError
from attrition.jobs._config import Config
from attrition.jobs._workflows import report_group_size
from attrition.reporting._report import build_report
from attrition.tracking._mlflow import load_model, model_fairness

__all__ = ["report_from_file", "read_scores"]

log = logging.getLogger(__name__)


def read_scores(scores_path: str | Path) -> pd.DataFrame:
    """Read a scores file written by ``attrition score`` (ids as text)."""
    scores_path = Path(scores_path)
    if not scores_path.is_file():
        raise SchemaError(f"{scores_path}: the scores file does not exist. Write one with `attrition "
                          "score ... --out FILE`.", file=str(scores_path))
    try:
        return (pd.read_parquet(scores_path) if scores_path.suffix == ".parquet"
                else pd.read_csv(scores_path, dtype={"employee_id": str, "team_id": str, "site": str,
                                                     "model_version": str}))
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{scores_path}: cannot read the scores ({exc}). Pass the .csv or .parquet "
                          "written by `attrition score`.", file=str(scores_path)) from exc


def _model_of_scores(scores: pd.DataFrame) -> str | None:
    """The registered model version named in the scores (``models:/NAME/VERSION``), if any."""
    if not {"model_name", "model_version"} <= set(scores.columns) or not len(scores):
        return None
    name, version = str(scores["model_name"].iloc[0]), str(scores["model_version"].iloc[0])
    if name in ("", "nan", "run", "logged model") or version in ("", "nan"):
        return None
    return f"models:/{name}/{version}"


def report_from_file(
    scores_path: str | Path,
    out: str | Path,
    *,
    config: Config | None = None,
    model_uri: str | None = None,
    data_dir: str | Path | None = None,
) -> Path:
    """The report of a scores file, with the model that produced it and, given data, its features.

    The model is ``model_uri``, else the registered model and version the
    scores name (when the store holds it): it adds the model card's data
    period and metrics and the fairness audit of its run. With ``data_dir``
    too, shap's beeswarm and waterfall of the scored people's features (as
    of the scoring date, rebuilt with the model's spec) are added.
    """
    config = config or Config()
    if Path(out).suffix.lower() not in {".html", ".htm"}:
        raise ConfigError(f"Report {out} must end in .html.")
    scores = read_scores(scores_path)
    model, info, features, fairness = None, {}, None, None
    tracking = config.resolved_tracking_uri()
    uri = model_uri or _model_of_scores(scores)
    if uri:
        try:
            model, info = load_model(uri, tracking)
        except ModelNotFoundError as exc:
            if model_uri:
                raise
            log.warning("The model named in the scores (%s) could not be loaded from the tracking store "
                        "%s (%s): the report has no model card metrics. Pass --model and --tracking-uri.",
                        uri, tracking, str(exc).splitlines()[0])
    if model is not None:
        fairness = model_fairness(info, tracking)
        if data_dir is not None and model.spec_ is None:
            log.warning("The model %s was trained on a flat table: the report has no shap plots of "
                        "--data (they need a model trained on monthly snapshots).", uri)
        elif data_dir is not None and "as_of" in scores and len(scores):
            tables = config.load_tables(data_dir, columns=model.spec_.columns, declare=model.spec_.declared)
            snaps = model.snapshots(tables, [pd.Timestamp(str(scores["as_of"].iloc[0]))])
            features = snaps[snaps["employee_id"].astype(str).isin(scores["employee_id"].astype(str))]
    html = build_report(scores, model=model, model_info=info, features=features, fairness=fairness,
                        min_group_size=report_group_size(config, model),
                        id_salt=config.id_salt)
    return write_text(out, html)
