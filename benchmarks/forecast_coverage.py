"""Leaver forecast: how often the actual voluntary leavers fall inside the 90 % intervals.

For each simulated centre (one per seed) and each forecast origin (every
``--step`` months once a year of history exists), a forecast of the next 12
months is made from what was known at the origin and compared with what the
centre then did, for every month that the export still covers:

* ``truth``: the simulator's true hazard of each person at the origin as the
  month-1 risk. Tests the Poisson-binomial intervals and the pooling alone:
  the risks are exactly right, so coverage should be at least 90 % (counts
  are whole numbers, so equal-tailed intervals hold a little more).
* ``baseline``: :class:`attrition.models.ConstantHazardModel` fitted on the
  HR master as known at the origin (exit rates by tenure band over the
  previous 12 months), months 1-12, per month and cumulative.
* ``model`` (with ``--model``): the monthly hazard model trained at each
  origin on the snapshot rows known then, labelled as of the origin
  (:func:`attrition.analysis.training_frame`); slow.

Coverage is the share of group-months (team, site, all) whose actual leavers
lie in [low, high]; "below" and "above" say on which side it misses.

    python benchmarks/forecast_coverage.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from attrition import AttritionModel, build_snapshots, simulate
from attrition.analysis import forecast_coverage, forecast_leavers, leaver_forecast, training_frame
from attrition.analysis._forecast import actual_exit_month
from attrition.models import ConstantHazardModel
from attrition.snapshots._build import population


def _observed(f: pd.DataFrame, as_of, export) -> pd.DataFrame:
    ends = [as_of + pd.DateOffset(months=int(k)) for k in f["months_ahead"]]
    return f[[e <= export for e in ends]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--employees", type=int, default=400)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--step", type=int, default=3, help="months between forecast origins")
    ap.add_argument("--model", action="store_true", help="also the monthly model, if it has predict_survival")
    args = ap.parse_args()
    rows = []
    for seed in args.seeds:
        started = time.perf_counter()
        centre = simulate(n_employees=args.employees, months=args.months, seed=seed)
        tables, truth = centre.tables, centre.truth
        emp, export = tables.employees, tables.export_date
        month_ends = sorted(pd.to_datetime(truth["month_end"]).unique())
        origins = month_ends[12:-1:args.step]
        snaps = build_snapshots(tables) if args.model else None
        parts = {"truth": [], "baseline": [], "model": []}
        for as_of in month_ends[:-1]:  # truth: every month end, month 1 only
            staff = population(emp, [as_of]).merge(emp[["employee_id", "site"]], on="employee_id")
            hz = (truth[pd.to_datetime(truth["month_end"]) == as_of].set_index("employee_id")
                  ["exit_hazard_monthly"].reindex(staff["employee_id"]).to_numpy())
            parts["truth"].append(forecast_leavers(
                staff, hz[:, None], as_of=as_of,
                exit_month=actual_exit_month(emp, staff["employee_id"], as_of, 1)))
        for as_of in origins:
            as_of = pd.Timestamp(as_of)
            baseline = ConstantHazardModel().fit(emp[emp["hire_date"] <= as_of], as_of=as_of)
            parts["baseline"].append(_observed(leaver_forecast(tables, as_of, baseline, months=12, outcomes=emp),
                                               as_of, export))
            if args.model:  # trained on the snapshot rows known at the origin, labelled as of it
                known = training_frame(snaps, emp, 90, as_of)
                model = AttritionModel().fit(known)
                if getattr(model, "kind_", "") == "hazard":
                    parts["model"].append(_observed(leaver_forecast(tables, as_of, model, months=12, outcomes=emp),
                                                    as_of, export))
        for name, frames in parts.items():
            if not frames:
                continue
            f = pd.concat(frames)
            for level in ("team", "site", "all"):
                for cumulative in (False, True):
                    if name == "truth" and cumulative:
                        continue
                    c = forecast_coverage(f, level_name=level, cumulative=cumulative)
                    sub = f[f["level"] == level]
                    rows.append({"seed": seed, "risks": name, "level": level,
                                 "kind": "cumulative" if cumulative else "monthly", **c,
                                 "expected": sub["cumulative_expected_leavers" if cumulative
                                                 else "expected_leavers"].sum(),
                                 "actual": sub["cumulative_actual_leavers" if cumulative
                                               else "actual_leavers"].sum()})
        print(f"seed {seed}: {len(origins)} origins, {time.perf_counter() - started:.0f}s", flush=True)
    out = pd.DataFrame(rows)
    pooled = (out.assign(inside=out["coverage"] * out["n"], lo=out["below"] * out["n"], hi=out["above"] * out["n"])
              .groupby(["risks", "level", "kind"], sort=False)
              .agg(n=("n", "sum"), inside=("inside", "sum"), lo=("lo", "sum"), hi=("hi", "sum"),
                   expected=("expected", "sum"), actual=("actual", "sum")))
    pooled["coverage"] = pooled["inside"] / pooled["n"]
    pooled["below"] = pooled["lo"] / pooled["n"]
    pooled["above"] = pooled["hi"] / pooled["n"]
    pooled["seeds_range"] = out.groupby(["risks", "level", "kind"], sort=False)["coverage"].agg(
        lambda s: f"{s.min():.3f}-{s.max():.3f}")
    print(f"\nseeds {args.seeds}, {args.employees} employees, {args.months} months; origins every {args.step} months")
    print("| risks | level | kind | group-months | coverage | below | above | per seed | expected | actual |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (risks, level, kind), r in pooled.iterrows():
        print(f"| {risks} | {level} | {kind} | {int(r['n'])} | {r['coverage']:.3f} | {r['below']:.3f} | "
              f"{r['above']:.3f} | {r['seeds_range']} | {r['expected']:.0f} | {int(r['actual'])} |")


if __name__ == "__main__":
    main()
