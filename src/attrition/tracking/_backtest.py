"""MLflow logging of a backtest: one parent run, one child run per origin."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition._lazy import lazy_module
from attrition._version import __version__
from attrition.analysis._backtest import BacktestResult
from attrition.data._fingerprint import data_fingerprint
from attrition.data._tables import Tables
from attrition.reporting._plots import backtest_figures, close_figure
from attrition.tracking._mlflow import setup_tracking

mlflow = lazy_module("mlflow")

__all__ = ["log_backtest"]


# --------------------------------------------------------------------- MLflow
def _finite(d: dict) -> dict[str, float]:
    return {k: float(v) for k, v in d.items() if isinstance(v, (int, float, np.number)) and np.isfinite(v)}


def log_backtest(result: BacktestResult, tables: Tables, *, tracking_uri: str | None = None,
                 experiment: str = "attrition", run_params: dict | None = None) -> str:
    """Log a backtest as one MLflow parent run with one child run per origin.

    The parent holds the settings, pooled metrics, margins over the
    baselines, the calibration comparison, tables (CSV; no employee ids) and
    plots; each child holds its origin's metrics. Returns the parent run id.
    """
    setup_tracking(tracking_uri, experiment)
    s = result.settings
    p = result.pooled
    baselines = ", ".join(f"{k[:-len('_roc_auc')].replace('_', ' ')} {v:.3f}" for k, v in p.items()
                          if k.endswith("_roc_auc") and not k.startswith("model_") and np.isfinite(v))
    description = (
        f"Rolling-origin backtest of the attrition model (horizon {s['horizon_days']} days): retrained at "
        f"{s['n_origins']} month ends, {s['first_origin']} to {s['last_origin']}, each scored out of time. "
        f"Pooled ROC AUC {p.get('model_roc_auc', float('nan')):.3f}"
        + (f" vs baselines: {baselines}." if baselines else ".")
    )
    with mlflow.start_run(run_name=f"backtest-h{s['horizon_days']}", description=description) as parent:
        mlflow.set_tags({"kind": "backtest", "data_fingerprint": data_fingerprint(tables),
                         "attrition_version": __version__})
        mlflow.log_params({**s, **(run_params or {})})
        metrics = {f"pooled_{k}": v for k, v in result.pooled.items()}
        for r in result.margins.itertuples():
            metrics[f"margin_{r.metric}_vs_{r.baseline}"] = r.mean_margin
            metrics[f"margin_{r.metric}_vs_{r.baseline}_low"] = r.low
            metrics[f"margin_{r.metric}_vs_{r.baseline}_high"] = r.high
        for r in result.calibration.itertuples():
            metrics[f"calibration_{r.method}_pooled_ece"] = r.pooled_ece
            metrics[f"calibration_{r.method}_origins_within"] = r.origins_within_interval
        mlflow.log_metrics(_finite(metrics))
        origins = result.origins.copy()
        for col in ("origin", "train_last_label_as_of"):
            origins[col] = pd.to_datetime(origins[col]).dt.strftime("%Y-%m-%d")
        for name, frame in (("origins", origins), ("margins", result.margins),
                            ("calibration", result.calibration), ("teams", result.teams),
                            ("lift_by_decile", result.lift), ("reliability", result.reliability)):
            mlflow.log_text(frame.to_csv(index=False, lineterminator="\n"), f"backtest/{name}.csv")
        for name, fig in backtest_figures(result).items():
            mlflow.log_figure(fig, name)
            close_figure(fig)
        if result.fairness is not None:
            _log_fairness(result)
        for row in result.origins.to_dict("records"):
            with mlflow.start_run(run_name=f"origin-{row['origin']:%Y-%m}", nested=True):
                mlflow.log_params({"origin": f"{row['origin']:%Y-%m-%d}",
                                   "train_last_label_as_of": f"{row['train_last_label_as_of']:%Y-%m-%d}",
                                   "n_train_rows": row["n_train_rows"], "trees": row["trees"],
                                   "learning_rate": row["learning_rate"]})
                mlflow.log_metrics(_finite({k: v for k, v in row.items()
                                            if k not in {"origin", "train_last_label_as_of"}}))
        return parent.info.run_id


def _log_fairness(result: BacktestResult) -> None:
    """``fairness.json``/``fairness.csv`` and ``fairness_flags`` on the active (parent) run.

    Group aggregates only: no employee id and no person's gender or birth year.
    """
    audit = result.fairness
    s = result.settings
    doc = audit.to_dict()
    doc["scope"] = (f"pooled out-of-time rows of {s['n_origins']} backtest origins "
                    f"({s['first_origin']} to {s['last_origin']}): n_employees counts distinct employees "
                    "(groups under min_group_size suppressed), n_rows employee-months; each origin's "
                    "own high-risk threshold; age at the origin")
    mlflow.log_dict(doc, "fairness.json")
    mlflow.log_text(audit.to_frame().to_csv(index=False, lineterminator="\n"), "fairness.csv")
    mlflow.log_metric("fairness_flags", float(len(audit.flags)))
    mlflow.set_tag("fairness_flags", str(len(audit.flags)))
