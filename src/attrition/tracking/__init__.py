"""Layer 8, tracking: MLflow only (runs, registered models, loading)."""

from attrition.tracking._backtest import log_backtest
from attrition.tracking._flat import log_flat_run
from attrition.tracking._flat_survival import log_flat_survival_run

# AttritionPyfunc: the "models from code" entry file stored with models logged before the
# layered package imports it from here; keep it importable so they load (and then say to retrain).
from attrition.tracking._mlflow import (
    CHAMPION,
    AttritionPyfunc,
    TrainingRun,
    default_tracking_uri,
    load_companion_model,
    load_model,
    log_training_run,
    model_fairness,
    normalise_model_uri,
    registered_name,
    setup_tracking,
)
from attrition.tracking._spark import score_spark

__all__ = ["CHAMPION", "AttritionPyfunc", "TrainingRun", "default_tracking_uri", "setup_tracking", "log_training_run", "load_model", "load_companion_model", "normalise_model_uri", "registered_name", "model_fairness", "log_backtest", "log_flat_run", "log_flat_survival_run", "score_spark"]
