"""``attrition report``: the HTML report of a scores file."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from attrition.data._io import write_text
from attrition.exceptions import ConfigError, ModelNotFoundError, SchemaError
from attrition.jobs._config import Config
from attrition.jobs._workflows import report_forecast, report_group_size
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
    scores name, looked up in the configured tracking store and then in an
    ``mlflow.db`` beside the scores file (where ``attrition quickstart``
    writes it): it adds the model card's data period and metrics and the
    fairness audit of its run. With ``data_dir`` too, the driver beeswarm
    and waterfall of the scored people's features (as of the scoring date,
    rebuilt with the model's spec) are added. Whatever cannot be added is
    listed at the top of the report, with the option that adds it, and
    logged as a warning.
    """
    config = config or Config()
    if Path(out).suffix.lower() not in {".html", ".htm"}:
        raise ConfigError(f"Report {out} must end in .html.")
    scores = read_scores(scores_path)
    model, info, features, fairness, forecast = None, {}, None, None, None
    tracking = config.resolved_tracking_uri()
    uri = model_uri or _model_of_scores(scores)
    left_out: list[str] = []
    if uri:
        model, info, tracking = _find_model(uri, tracking, Path(scores_path), explicit=bool(model_uri))
        if model is None:
            left_out.append(f"The model that made these scores ({uri}) is not in the tracking store {tracking}, "
                            "nor in an mlflow.db beside the scores file: the model card's metrics, the fairness "
                            "audit and the driver plots are missing. Pass --model and --tracking-uri (or "
                            "--config) to add them.")
    else:
        left_out.append("The scores file names no registered model: the model card's metrics, the fairness "
                        "audit and the driver plots are missing. Pass --model to add them.")
    if model is not None:
        fairness = model_fairness(info, tracking)
        if data_dir is not None and model.spec_ is None:
            log.warning("The model %s was trained on a flat table: the report has no shap plots of "
                        "--data (they need a model trained on monthly snapshots).", uri)
            left_out.append("The driver beeswarm and waterfall: the model was trained on a flat table.")
        elif data_dir is not None and "as_of" in scores and len(scores):
            tables = config.load_tables(data_dir, columns=model.spec_.columns, declare=model.spec_.declared)
            snaps = model.snapshots(tables, [pd.Timestamp(str(scores["as_of"].iloc[0]))])
            features = snaps[snaps["employee_id"].astype(str).isin(scores["employee_id"].astype(str))]
            forecast = report_forecast(tables, pd.Timestamp(str(scores["as_of"].iloc[0])), model, features,
                                       report_group_size(config, model))
        else:
            left_out.append("The driver beeswarm (every measure, every person) and the waterfall of the highest "
                            "risk: they need the scoring month's data. Pass --data DIR to add them.")
    for item in left_out:
        log.warning("Left out of the report: %s", item)
    html = build_report(scores, model=model, model_info=info, features=features, fairness=fairness,
                        min_group_size=report_group_size(config, model),
                        id_salt=config.id_salt, left_out=left_out, forecast=forecast)
    return write_text(out, html)


def _find_model(uri: str, tracking: str, scores_path: Path, *, explicit: bool):
    """The model at ``uri`` in the configured store, else in the ``mlflow.db`` beside the scores file.

    ``attrition quickstart`` writes its store beside its scores, so a report
    of them finds the model from any working directory. Returns the model
    (``None`` when not found, unless ``explicit``: then the error is raised),
    its info and the tracking URI that held it.
    """
    stores = [tracking]
    beside = scores_path.resolve().parent / "mlflow.db"
    if beside.is_file() and f"sqlite:///{beside}" != tracking:
        stores.append(f"sqlite:///{beside}")
    error = None
    for store in stores:
        try:
            model, info = load_model(uri, store)
            if store != tracking:
                log.info("Found the model %s in %s, beside the scores file.", uri, store)
            return model, info, store
        except ModelNotFoundError as exc:
            error = error or exc
    if explicit and error is not None:
        raise error
    log.warning("The model named in the scores (%s) could not be loaded from the tracking store %s (%s).",
                uri, tracking, str(error).splitlines()[0] if error else "")
    return None, {}, tracking
