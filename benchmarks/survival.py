"""Risk over time in the rolling-origin backtest, over several simulated centres.

For each seed: simulate a centre, build its monthly snapshots, run
:func:`attrition.analysis.run_backtest` (default settings; the last ``--last``
feasible origins) and collect

* the 90-day risk against the logistic baseline on the same features: pooled
  ROC AUC, margin, origins won;
* survival metrics of everyone employed at each origin, followed to the
  export date (scikit-survival): time-dependent AUC at 30/90/180/365 days,
  concordance, integrated Brier score — model, tenure-only and logistic
  monthly hazards;
* calibration at each horizon (mean risk vs observed share, ECE, expected vs
  actual leavers);
* the first-90-days segment on its own (ROC AUC, ECE, expected vs actual).

    python benchmarks/survival.py --employees 300 --months 30 --seeds 1 2 3
    python benchmarks/survival.py --employees 300 --months 30 --seeds 1 2 3 --last 12 --every 3  # 4 origins, to 365 days
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from attrition import build_snapshots, simulate
from attrition.analysis._backtest import backtest_origins, run_backtest


def md(frame: pd.DataFrame, index: bool = False) -> str:
    """A markdown table (no tabulate needed)."""
    if index:
        frame = frame.reset_index()
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def one_seed(seed: int, employees: int, months: int, last: int, lgbm_params: dict, every: int = 1) -> dict:
    centre = simulate(n_employees=employees, months=months, seed=seed)
    snaps = build_snapshots(centre.tables)
    origins = backtest_origins(snaps["as_of"], centre.tables.infer_export_date(), 90)
    start = f"{origins[-last]:%Y-%m}" if len(origins) > last else None
    started = time.perf_counter()
    r = run_backtest(centre.tables, snaps, start=start, lgbm_params=lgbm_params, every=every)
    m = r.margins.set_index(["baseline", "metric"]).loc[("logistic", "roc_auc")]
    return {
        "seed": seed,
        "seconds": time.perf_counter() - started,
        "origins": int(m["origins"]),
        "model_roc_auc": r.pooled["model_roc_auc"],
        "logistic_roc_auc": r.pooled["logistic_roc_auc"],
        "tenure_roc_auc": r.pooled["tenure_only_roc_auc"],
        "origins_won": int(m["origins_won"]),
        "survival": r.survival.assign(seed=seed),
        "horizons": r.horizons.assign(seed=seed),
        "segments": r.segments.assign(seed=seed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--last", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads")
    parser.add_argument("--every", type=int, default=1,
                        help="every k-th of the last --last origins, counted back from the latest (cheaper)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    results = []
    for seed in args.seeds:
        res = one_seed(seed, args.employees, args.months, args.last, {"num_threads": args.threads}, args.every)
        results.append(res)
        print(f"seed {seed}: {res['origins']} origins in {res['seconds']:.0f}s, ROC AUC model "
              f"{res['model_roc_auc']:.3f} logistic {res['logistic_roc_auc']:.3f} "
              f"(margin {res['model_roc_auc'] - res['logistic_roc_auc']:+.3f}, won {res['origins_won']})",
              flush=True)
    head = pd.DataFrame([{k: v for k, v in r.items() if not isinstance(v, pd.DataFrame)} for r in results])
    head["margin"] = head["model_roc_auc"] - head["logistic_roc_auc"]
    print("\n## 90-day risk vs the logistic baseline (pooled over origins)\n")
    print(md(head.drop(columns="seconds")))
    print(f"\nmean margin {head['margin'].mean():+.3f}; origins won {head['origins_won'].sum()} of "
          f"{head['origins'].sum()}")
    surv = pd.concat([r["survival"] for r in results], ignore_index=True)
    print("\n## Survival metrics (mean over seeds)\n")
    print(md(surv.drop(columns="seed").groupby("model", sort=False).mean(), index=True))
    print("\nper seed:\n")
    print(md(surv))
    hz = pd.concat([r["horizons"] for r in results], ignore_index=True)
    print("\n## Calibration at each horizon (model)\n")
    print(md(hz))
    seg = pd.concat([r["segments"] for r in results], ignore_index=True)
    print("\n## First 90 days of tenure vs the rest (90-day label)\n")
    print(md(seg))


if __name__ == "__main__":
    main()
