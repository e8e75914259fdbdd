"""``attrition forecast``: expected voluntary leavers per team and site for the next months."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from attrition.analysis._forecast import check_planned_hires, leaver_forecast, staff_rows
from attrition.data._io import atomic_write_all, table_writer, text_writer
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError, SchemaError
from attrition.jobs._config import Config
from attrition.jobs._workflows import report_group_size
from attrition.models._hazard_baseline import ConstantHazardModel
from attrition.reporting._forecast import build_forecast_report
from attrition.tracking._mlflow import load_model

__all__ = ["forecast", "read_planned_hires", "BASELINE_MODEL"]

log = logging.getLogger(__name__)

#: ``--model baseline``: the tenure life-table fitted on the data as of the forecast date.
BASELINE_MODEL = "baseline"


def read_planned_hires(path: str | Path) -> pd.DataFrame:
    """Read a planned-hires file (``.csv`` or ``.parquet``: month, team, count)."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: the planned-hires file does not exist. Pass a .csv with the columns month "
                          "(YYYY-MM), team and count.", file=str(path))
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype={"month": str, "team": str})
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{path}: cannot read the planned hires ({exc}).", file=str(path)) from exc
    raise SchemaError(f"{path}: the planned-hires file must be a .csv or .parquet file.", file=str(path))


def _model(config: Config, model_uri: str | None, as_of: pd.Timestamp, months: int):
    """The survival model and its description for the output."""
    if model_uri == BASELINE_MODEL:
        tables = config.load_tables()
        model = ConstantHazardModel(months=months).fit(tables.employees, as_of=as_of)
        return model, tables, {"model_name": BASELINE_MODEL, "model_version": "", "model_uri": BASELINE_MODEL}
    uri = model_uri or f"models:/{config.model_name()}@champion"
    model, info = load_model(uri, config.resolved_tracking_uri())
    if not hasattr(model, "predict_survival") or getattr(model, "kind_", "hazard") != "hazard":
        raise ConfigError(
            f"The model {info['model_uri']} predicts one horizon only and gives no monthly survival curve, which "
            "the forecast needs. Retrain it with this version (`attrition train --data DIR --register NAME`), or "
            "pass --model baseline for the tenure baseline (the centre's exit rates by tenure over the last year).")
    if getattr(model, "spec_", None) is None:
        raise ConfigError(f"The model {info['model_uri']} was trained on a flat table; the forecast needs a model "
                          "trained on monthly snapshots (attrition train --data DIR), or --model baseline.")
    return model, config.load_tables(columns=model.spec_.columns), info


def forecast(
    config: Config,
    as_of,
    *,
    months: int = 12,
    out: str | Path | None = None,
    hires: str | Path | pd.DataFrame | None = None,
    model_uri: str | None = None,
    model=None,
    tables: Tables | None = None,
    report: str | Path | None = None,
    level: float = 0.9,
) -> pd.DataFrame:
    """Forecast voluntary leavers per team and site for each of the next ``months`` months.

    Parameters
    ----------
    config : Config
        ``data_dir``, ``min_group_size``, the tracking store and model name.
    as_of : date
        Forecast from this date (features and exit rates use rows up to it).
    months : int, default 12
    out : path, optional
        ``.csv`` or ``.parquet``, written atomically (nothing on error).
    hires : path or DataFrame, optional
        Planned hires (month, team, count), validated by
        :func:`attrition.analysis.check_planned_hires`.
    model_uri : str, optional
        The survival model (default ``models:/<registered_model>@champion``);
        ``"baseline"`` fits :class:`attrition.models.ConstantHazardModel` on
        the data as of ``as_of``.
    model, tables : optional
        An already-fitted survival model / loaded tables.
    report : path, optional
        Also write a self-contained HTML page with the forecast chart.
    level : float, default 0.9
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        :data:`attrition.analysis.FORECAST_COLUMNS` plus ``model_name``,
        ``model_version``.
    """
    if out is not None and Path(out).suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {out} must end in .csv or .parquet.")
    if report is not None and Path(report).suffix.lower() not in {".html", ".htm"}:
        raise ConfigError(f"Report {report} must end in .html.")
    as_of = pd.Timestamp(as_of).normalize()
    info = {"model_name": type(model).__name__ if model is not None else "", "model_version": ""}
    if model is None:
        model, loaded, info = _model(config, model_uri, as_of, months)
        tables = tables if tables is not None else loaded
    elif tables is None:
        tables = config.load_tables(columns=getattr(getattr(model, "spec_", None), "columns", None))
    export = tables.infer_export_date()
    if as_of > export:
        raise ConfigError(f"--as-of {as_of:%Y-%m-%d} is after the exports end ({export:%Y-%m-%d}): nobody's "
                          "situation on that day is known. Forecast from the export date or earlier.")
    plan = []
    if hires is not None:
        frame = hires if isinstance(hires, pd.DataFrame) else read_planned_hires(hires)
        teams = staff_rows(tables, as_of)["team_id"].dropna().astype(str).unique()
        plan = check_planned_hires(frame, as_of=as_of, months=months, teams=teams,
                                   source=str(hires) if not isinstance(hires, pd.DataFrame) else "hires")
    log.info("Forecasting voluntary leavers for %d months from %s", months, f"{as_of:%Y-%m-%d}")
    result = leaver_forecast(tables, as_of, model, months=months, hires=plan,
                             min_group_size=report_group_size(
                                 config, model if getattr(model, "spec_", None) is not None else None),
                             level=level)
    result["model_name"] = info.get("model_name", "")
    result["model_version"] = info.get("model_version", "")
    outputs = []  # the table and the page are written together, or neither
    if out is not None:
        outputs.append((out, table_writer(result, out)))
    if report is not None:
        outputs.append((report, text_writer(build_forecast_report(result, level=level))))
    for path in atomic_write_all(outputs):
        log.info("Wrote %s", path)
    return result
