"""CPU, trees kept and validation metrics of both models at several learning rates, on one centre.

Builds the training job's snapshot frames once (``attrition.jobs._workflows.training_frames``:
the attrition frame and the quiet-quitting frame relabelled by the state model), then for each
``--rates HAZARD,QUIET`` pair fits the monthly hazard model and the quiet-quitting model as
``attrition train --target all`` does (the job's ``Config``, one OpenMP thread), the learning rate
overriding the default (``auto``: no override, the model's own rate: DEFAULT_LGBM_PARAMS's 0.1 for
quiet quitting; for the hazard model 0.05, or HAZARD_LARGE_LEARNING_RATE from HAZARD_LARGE_ROWS
training rows). For each fit it prints the training rows and the learning rate used,
the trees kept (early stopping), the fit's CPU (``time.process_time``) and the part of it inside
``lightgbm.train`` (the boosting, the hazard model's refit on every month included), the
validation metrics the model logs (``metrics_``), and the CPU of scoring the last month: the
risk (``predict_risk``) and the exact TreeSHAP drivers (``contributions``).

    python benchmarks/learning_rate_cost.py --data /tmp/d20/scale/c2700x24s0-csv/data \
        --rates 0.05,0.03 0.1,0.06 0.15,0.1
    python benchmarks/learning_rate_cost.py --data DIR --targets attrition --rates 0.05,auto 0.1,auto auto,auto

``--targets attrition`` builds and fits the attrition frame only (no quiet-quitting state model).
One JSON line per fit; a markdown table at the end. Settings run in the order given: to see the
machine's drift, repeat the first pair at the end (``--rates 0.05,0.03 0.1,0.06 0.05,0.03``).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import lightgbm
import numpy as np
import pandas as pd

from attrition import AttritionModel
from attrition.jobs import Config
from attrition.jobs import _workflows as wf
from attrition.models import limited_threads

#: The validation metrics the model logs that the table shows (the hazard model's horizon risk on its
#: early-stopping months, its monthly hazard on the calibration months; the binary model's validation months)
METRICS = {
    "attrition": ["valid_roc_auc", "valid_pr_auc", "valid_brier", "lr_baseline_valid_roc_auc",
                  "calibration_month_roc_auc", "calibration_month_log_loss"],
    "quiet_quitting": ["valid_roc_auc", "valid_pr_auc", "valid_brier", "lr_baseline_valid_roc_auc",
                       "valid_log_loss"],
}

_boost_cpu = [0.0]
_train = lightgbm.train


def _timed_train(*args, **kwargs):
    """``lightgbm.train``, its CPU added to ``_boost_cpu``."""
    started = time.process_time()
    try:
        return _train(*args, **kwargs)
    finally:
        _boost_cpu[0] += time.process_time() - started


def fit_one(cfg: Config, frame: pd.DataFrame, target: str, rate: float | None) -> tuple[AttritionModel, dict]:
    """Fit ``target``'s model as the training job does, with ``learning_rate=rate`` (``None``: the
    model's own); its costs."""
    spec = cfg.snapshot_spec(target)
    bands = dict(spec.quiet_quitting_definition().bands) if target == "quiet_quitting" else cfg.risk_bands
    _boost_cpu[0] = 0.0
    started = time.process_time()
    model = AttritionModel(spec=spec, valid_months=cfg.valid_months,
                           lgbm_params={**cfg.lgbm_params, **({} if rate is None else {"learning_rate": rate})},
                           risk_bands=bands,
                           random_state=cfg.random_state).fit(frame)
    fit_cpu = time.process_time() - started
    last = frame.loc[pd.to_datetime(frame["as_of"]) == pd.to_datetime(frame["as_of"]).max()]
    started = time.process_time()
    risk = model.predict_risk(last)
    predict_cpu = time.process_time() - started
    started = time.process_time()
    model.contributions(last, risk=risk)
    shap_cpu = time.process_time() - started
    summary = model.training_summary_
    used = summary.get("learning_rate", rate)
    row = {"target": target, "learning_rate": "auto" if rate is None else rate, "used_rate": used,
           "n_train": int(summary["n_train"]), "trees": int(model.best_iteration_),
           "fit_cpu": round(fit_cpu, 2), "boost_cpu": round(_boost_cpu[0], 2),
           "last_month_rows": len(last), "predict_cpu": round(predict_cpu, 3), "shap_cpu": round(shap_cpu, 3)}
    folds = getattr(model, "fold_best_iterations_", None)
    if folds:
        row["fold_trees"] = folds
    row.update({k: round(float(v), 4) for k, v in model.metrics_.items() if k in METRICS[target]})
    return model, row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--rates", nargs="+", default=["0.05,0.03", "0.1,0.06"],
                    help="HAZARD,QUIET learning-rate pairs, fitted in this order ('auto': the model's own)")
    ap.add_argument("--targets", nargs="+", default=["attrition", "quiet_quitting"],
                    choices=["attrition", "quiet_quitting"],
                    help="the models to fit (only their frames are built)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    lightgbm.train = _timed_train  # the model calls lgb.train through the module: every boosting timed
    cfg = Config().replace(data_dir=args.data)
    rows = []
    with limited_threads(cfg.threads or None):
        started = time.process_time()
        tables = cfg.load_tables()
        frames = wf.training_frames(cfg, tables, list(args.targets))
        print(json.dumps({"frames_cpu": round(time.process_time() - started, 1),
                          **{f"rows_{t}": len(f) for t, f in frames.items()}}), flush=True)
        for pair in args.rates:
            rates = dict(zip(["attrition", "quiet_quitting"],
                             (None if r == "auto" else float(r) for r in pair.split(",")), strict=True))
            for target in args.targets:
                _, row = fit_one(cfg, frames[target], target, rates[target])
                rows.append(row)
                print(json.dumps(row), flush=True)
    res = pd.DataFrame(rows)
    cols = ["target", "learning_rate", "used_rate", "n_train", "trees", "fit_cpu", "boost_cpu", "predict_cpu", "shap_cpu",
            *[c for c in dict.fromkeys(sum(METRICS.values(), [])) if c in res.columns]]
    print()
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in res[cols].itertuples(index=False):
        print("| " + " | ".join("" if isinstance(v, float) and np.isnan(v) else str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
