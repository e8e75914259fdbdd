"""How often the actual number of voluntary leavers falls in the report's interval.

For each labelled month end of a simulated centre, the expected number of
leavers (the sum of calibrated risks) and its 90 % Poisson-binomial interval
(:func:`attrition.rollups.poisson_binomial_interval`) are compared with the
leavers that happened, separately for the training months and the
out-of-time validation months. The Platt calibration is fitted on the
validation months, so their total expected equals their total actual by
construction (a logistic fit with an intercept matches the mean); the
per-month interval coverage there is still informative.

    python benchmarks/leaver_interval.py --seeds 11 12 13
"""

from __future__ import annotations

import argparse

from attrition import AttritionModel, build_snapshots, simulate
from attrition.analysis import poisson_binomial_interval
from attrition.models import out_of_time_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    print("seed  period  months  actual in 90% interval  expected  actual")
    for seed in args.seeds:
        snaps = build_snapshots(simulate(n_employees=args.employees, months=args.months, seed=seed).tables)
        model = AttritionModel().fit(snaps)
        train, valid = out_of_time_split(snaps["as_of"], snaps["label"].notna(), 90, 3)
        for name, mask in (("train", train), ("valid", valid)):
            rows = snaps[mask].assign(p=model.predict_risk(snaps[mask]))
            inside = expected = actual = 0
            months = 0
            for _, g in rows.groupby("as_of"):
                e, lo, hi = poisson_binomial_interval(g["p"].to_numpy(), level=0.9)
                a = int(g["label"].sum())
                inside += lo <= a <= hi
                expected += e
                actual += a
                months += 1
            print(f"{seed:>4}  {name:<6}  {months:>6}  {inside:>22}  {expected:>8.1f}  {actual:>6}")


if __name__ == "__main__":
    main()
