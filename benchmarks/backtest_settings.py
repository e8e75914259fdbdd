"""Compare LightGBM settings of the daily-export model in the rolling-origin backtest.

Builds the snapshots of a data folder once, runs :func:`attrition.backtest.run_backtest`
with the default settings and with each named alternative, and prints the mean
ROC AUC over origins, the paired margin against the logistic-regression
baseline (95 % t-interval over origins) and the pooled ECE.

Usage::

    python benchmarks/backtest_settings.py --data /tmp/c5
"""

from __future__ import annotations

import argparse
import time
import warnings

import attrition
from attrition.analysis import run_backtest

SETTINGS = {
    "default": {},
    "leaves4": {"num_leaves": 4, "min_child_samples": 100, "learning_rate": 0.02, "n_estimators": 1500},
    "stumps": {"num_leaves": 2, "learning_rate": 0.05, "n_estimators": 2000, "colsample_bytree": 0.5},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    tables = attrition.load_tables(args.data)
    snaps = attrition.build_snapshots(tables)
    for name in args.settings:
        started = time.perf_counter()
        r = run_backtest(tables, snaps, lgbm_params={**SETTINGS[name], "num_threads": 1})
        m = r.margins.set_index(["baseline", "metric"]).loc[("logistic", "roc_auc")]
        print(f"{name:8s} mean ROC AUC {r.origins['model_roc_auc'].mean():.4f} "
              f"(logistic {r.origins['logistic_roc_auc'].mean():.4f}); margin {m['mean_margin']:+.4f} "
              f"({m['low']:+.4f} .. {m['high']:+.4f}); pooled ECE {r.calibration['pooled_ece'].iloc[0]:.4f}; "
              f"{time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
