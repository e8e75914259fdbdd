"""The guided tour: simulate a centre, train, register, score, show the riskiest.

Both models are trained and registered (attrition, and quiet quitting beside
it as ``attrition-quickstart-quiet-quitting``), and the scores carry both risks.

Everything is written below one folder (default ``attrition-quickstart``):
the simulated exports in ``data/``, the MLflow store ``mlflow.db`` and its
artefacts (unless ``MLFLOW_TRACKING_URI`` is set), ``scores.csv`` and the HTML
report ``report.html``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from attrition.data._simulate import simulate
from attrition.jobs._config import Config
from attrition.jobs._workflows import TrainResult, score, train

__all__ = ["quickstart", "QuickstartResult"]

log = logging.getLogger(__name__)

#: Registered model name used by the quickstart (kept apart from real models).
QUICKSTART_MODEL = "attrition-quickstart"


@dataclass
class QuickstartResult:
    """Paths and results of a quickstart run."""

    data_dir: Path
    scores_path: Path
    tracking_uri: str
    trained: TrainResult
    scores: pd.DataFrame
    as_of: pd.Timestamp
    report_path: Path | None = None


def quickstart(
    out: str | Path = "attrition-quickstart",
    *,
    n_employees: int = 300,
    months: int = 24,
    seed: int = 0,
) -> QuickstartResult:
    """Run the whole product once on a simulated contact centre.

    Parameters
    ----------
    out : path
        Folder for the data, the MLflow store and the scores.
    n_employees, months, seed :
        Size and seed of the simulated centre.
    """
    out = Path(out).resolve()
    data_dir = out / "data"
    log.info("Simulating %d agents over %d months (seed %d) into %s", n_employees, months, seed, data_dir)
    centre = simulate(n_employees=n_employees, months=months, seed=seed)
    centre.write(data_dir)
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{out / 'mlflow.db'}"
    # The centre's job history is read as employee_history.csv; its own tables are declared.
    config = Config(data_dir=data_dir, tracking_uri=tracking_uri, experiment="attrition-quickstart",
                    registered_model=QUICKSTART_MODEL, random_state=seed, tables=centre.declarations)
    tables = config.load_tables()
    trained = train(config, register=QUICKSTART_MODEL, tables=tables, target="all")
    as_of = tables.infer_export_date()
    scores_path = out / "scores.csv"
    report_path = out / "report.html"
    log.info("Scoring %s and writing the report", f"{as_of:%Y-%m-%d}")
    scores = score(config, as_of, out=scores_path, tables=tables, report=report_path,
                   outcomes=trained.snapshots)
    return QuickstartResult(data_dir=data_dir, scores_path=scores_path, tracking_uri=tracking_uri,
                            trained=trained, scores=scores, as_of=as_of, report_path=report_path)
