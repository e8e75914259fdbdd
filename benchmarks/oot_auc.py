"""Out-of-time ROC AUC: the model vs a tenure-only baseline vs the true hazard.

For each seed: simulate a centre, build snapshots, fit AttritionModel (out of
time), and compare on the same validation rows:

* the model's calibrated risk,
* the tenure-only logistic baseline (fitted on the training rows),
* the simulator's true probability of a voluntary exit within ~90 days
  (``p_exit_90d`` from the ground truth: the ceiling a model could reach).

Run:  python benchmarks/oot_auc.py --employees 300 --months 24 --seeds 0 1 2

``--survey-privacy team identified off`` repeats every seed once per survey
privacy mode (``Config.survey_privacy``) on the same simulated centre, to
measure what the confidentiality of the survey costs in accuracy.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from sklearn.metrics import roc_auc_score

from attrition import AttritionModel, build_snapshots, simulate


def one(n_employees: int, months: int, seed: int, survey_privacy: str = "team", centre=None) -> dict:
    started = time.perf_counter()
    centre = centre or simulate(n_employees=n_employees, months=months, seed=seed)
    snaps = build_snapshots(centre.tables, horizon_days=90, survey_privacy=survey_privacy)
    model = AttritionModel(random_state=seed).fit(snaps)
    # The model's own validation months: never trained on (the hazard model's early-stopping
    # months, whose 90-day outcome is known; the binary split's validation months before it).
    valid = model.validation_mask(snaps)
    truth = centre.truth.rename(columns={"month_end": "as_of"})[
        ["employee_id", "as_of", "p_exit_90d"]]
    rows = snaps.loc[valid].merge(truth, on=["employee_id", "as_of"], how="left", validate="one_to_one")
    m = model.metrics_
    return {
        "seed": seed,
        "survey_privacy": survey_privacy,
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
    parser.add_argument("--survey-privacy", nargs="+", default=["team"],
                        choices=["team", "identified", "off"],
                        help="survey privacy mode(s) to compare on the same centres")
    args = parser.parse_args()
    rows = []
    for s in args.seeds:
        centre = simulate(n_employees=args.employees, months=args.months, seed=s)
        for mode in args.survey_privacy:
            rows.append(one(args.employees, args.months, s, mode, centre=centre))
            print(f"seed {s} {mode}: model AUC {rows[-1]['model_auc']:.3f}", flush=True)
    results = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(results.round(3).to_string(index=False))
    mean = results[["model_auc", "tenure_only_auc", "true_hazard_auc"]].mean()
    print(f"\nmean over {len(results)} runs: model {mean['model_auc']:.3f}, "
          f"tenure-only {mean['tenure_only_auc']:.3f}, true hazard {mean['true_hazard_auc']:.3f}")
    gap = results["model_auc"] - results["tenure_only_auc"]
    print(f"model - tenure-only: mean {gap.mean():+.3f}, min {gap.min():+.3f}")
    if len(args.survey_privacy) > 1:
        by = results.groupby("survey_privacy", sort=False)[["model_auc", "model_pr_auc", "model_brier"]]
        print("\nby survey privacy mode (mean over seeds):")
        print(by.mean().round(3).to_string())


if __name__ == "__main__":
    main()
