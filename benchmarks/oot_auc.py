"""Out-of-time ROC AUC: the model vs a tenure-only baseline vs the true hazard.

For each seed: simulate a centre, build snapshots, fit AttritionModel (out of
time), and compare on the same validation rows:

* the model's calibrated risk,
* the tenure-only logistic baseline (fitted on the training rows),
* the simulator's true probability of a voluntary exit within ~90 days
  (``p_exit_90d`` from the ground truth: the ceiling a model could reach).

Run:  python benchmarks/oot_auc.py --employees 300 --months 24 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from sklearn.metrics import roc_auc_score

from attrition import AttritionModel, build_snapshots, simulate
from attrition.model import out_of_time_split


def one(n_employees: int, months: int, seed: int) -> dict:
    started = time.perf_counter()
    centre = simulate(n_employees=n_employees, months=months, seed=seed)
    snaps = build_snapshots(centre.tables, horizon_days=90)
    model = AttritionModel(random_state=seed).fit(snaps)
    _, valid = out_of_time_split(snaps["as_of"], snaps["label"].notna(), 90, 3)
    truth = centre.truth.rename(columns={"month_end": "as_of"})[
        ["employee_id", "as_of", "p_exit_90d"]]
    rows = snaps.loc[valid].merge(truth, on=["employee_id", "as_of"], how="left", validate="one_to_one")
    m = model.metrics_
    return {
        "seed": seed,
        "valid_rows": int(valid.sum()),
        "valid_positives": int(rows["label"].sum()),
        "model_auc": roc_auc_score(rows["label"], model.predict_risk(rows)),
        "tenure_only_auc": m["baseline_valid_roc_auc"],
        "true_hazard_auc": roc_auc_score(rows["label"], rows["p_exit_90d"]),
        "model_pr_auc": m["valid_pr_auc"],
        "model_brier": m["valid_brier"],
        "lift_top10": m["valid_lift_top10"],
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    results = pd.DataFrame([one(args.employees, args.months, s) for s in args.seeds])
    pd.set_option("display.width", 200)
    print(results.round(3).to_string(index=False))
    mean = results[["model_auc", "tenure_only_auc", "true_hazard_auc"]].mean()
    print(f"\nmean over {len(results)} seeds: model {mean['model_auc']:.3f}, "
          f"tenure-only {mean['tenure_only_auc']:.3f}, true hazard {mean['true_hazard_auc']:.3f}")
    gap = results["model_auc"] - results["tenure_only_auc"]
    print(f"model - tenure-only: mean {gap.mean():+.3f}, min {gap.min():+.3f}")


if __name__ == "__main__":
    main()
