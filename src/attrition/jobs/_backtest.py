"""``attrition backtest``: load, build snapshots once, run the rolling-origin backtest, log it."""

from __future__ import annotations

import logging

from attrition.analysis._backtest import BacktestResult, run_backtest
from attrition.data._tables import Tables
from attrition.exceptions import ConfigError
from attrition.jobs._config import Config
from attrition.models._threads import limited_threads
from attrition.snapshots._build import observation_start
from attrition.tracking._backtest import log_backtest

__all__ = ["backtest"]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ workflow
def backtest(
    config: Config,
    *,
    start=None,
    capacity: int = 20,
    tables: Tables | None = None,
    log_to_mlflow: bool = True,
) -> BacktestResult:
    """Load the data, build snapshots once, run the backtest, log it to MLflow.

    ``attrition backtest`` does exactly this. Like :func:`attrition.jobs.train`
    it runs on ``config.threads`` OpenMP threads (default one,
    :func:`attrition.models.limited_threads`): every origin's model has the
    same trees as on every core, for far less CPU when the machine is busy.
    """
    if not isinstance(capacity, int) or capacity < 1:
        raise ConfigError(f"capacity must be a whole number of people, at least 1; got {capacity!r}.")
    with limited_threads(config.threads or None):
        return _backtest(config, start=start, capacity=capacity, tables=tables, log_to_mlflow=log_to_mlflow)


def _backtest(config: Config, *, start, capacity: int, tables: Tables | None,
              log_to_mlflow: bool) -> BacktestResult:
    """The body of :func:`backtest`, inside its thread limit."""
    tables = tables if tables is not None else config.load_tables()
    observed = observation_start(tables)
    if observed is not None:
        log.info("Observation starts %s (%s): no training or backtest rows before it", f"{observed:%Y-%m-%d}",
                 "observed_from in the configuration" if tables.observed_from is not None
                 else "the earliest dated activity row, or the earliest exit in an HR-only export")
    log.info("Building snapshots once (horizon %d days)", config.horizon_days)
    snaps = config.snapshot_spec().build(tables)
    result = run_backtest(tables, snaps, horizon_days=config.horizon_days, start=start,
                          capacity=capacity, valid_months=config.valid_months,
                          lgbm_params=config.lgbm_params, random_state=config.random_state,
                          min_group_size=config.min_group_size, fairness_thresholds=config.fairness)
    if log_to_mlflow:
        result.run_id = log_backtest(result, tables, tracking_uri=config.resolved_tracking_uri(),
                                     experiment=config.experiment,
                                     run_params={"lgbm_params": str(config.lgbm_params or {}),
                                                 "random_state": config.random_state})
        result.tracking_uri = config.resolved_tracking_uri()
    return result
