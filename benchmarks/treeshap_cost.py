"""CPU of both models' exact TreeSHAP (``contributions``) on one centre's scoring rows, and the row count where
the per-pattern recursion overtakes LightGBM's own.

Run by hand (timings never gate the tests)::

    ATTRITION_CACHE_DIR=CACHE python benchmarks/treeshap_cost.py DATA_DIR 2025-12-31 \\
        --tracking-uri sqlite:///.../mlflow.db --model models:/bench@champion --repeat 3 \\
        --rows /tmp/rows20.pkl --out /tmp/contrib.npz --crossover 1000,2500,5000,10000

Loads both models as ``attrition score`` does and builds the scoring date's rows (everyone employed
that day, ``scoring_snapshots``; ``--rows FILE`` keeps them in a pickle so that later runs skip the
build, a generated file: keep it out of the repository). Then, ``--repeat`` times each, it times
``model.contributions(rows)`` of the attrition model (the risk passed in, as the command does) and of the
quiet-quitting model, in CPU seconds (``time.process_time``: user + system, all threads). ``--out``
saves the contributions to an ``.npz`` to compare two branches bit for bit (``--compare OTHER.npz``).
``--crossover N,...`` times, on the first N rows of each model's prepared matrix, the per-pattern
recursion forced on (``pred_contrib(..., min_rows=1)``, its check included) against LightGBM's own
``pred_contrib=True``, alternately, ``--repeat`` times each; the smallest CPU of each is printed.
"""

from __future__ import annotations

import argparse
import os
import pickle
import time

import numpy as np
import pandas as pd

from attrition.jobs import Config
from attrition.models._treeshap import pred_contrib
from attrition.scoring._roster import scoring_snapshots
from attrition.tracking import load_companion_model, load_model


def _cpu(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.process_time()
    out = fn(*args, **kwargs)
    return time.process_time() - started, out


def _rows(args, model, qq_model) -> pd.DataFrame:
    if args.rows and os.path.exists(args.rows):
        with open(args.rows, "rb") as fh:
            return pickle.load(fh)
    config = Config(data_dir=args.data, tracking_uri=args.tracking_uri, n_drivers=3)
    tables = config.load_tables(columns=model.spec_.columns)
    rows, _ = scoring_snapshots(tables, pd.Timestamp(args.as_of), model, qq_model)
    if args.rows:
        with open(args.rows, "wb") as fh:
            pickle.dump(rows, fh)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("as_of")
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--model", default="models:/bench@champion")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", help="pickle of the scoring rows: read if it exists, else written")
    parser.add_argument("--out", help="save both models' contributions here (.npz)")
    parser.add_argument("--compare", help="an .npz of --out to compare with, bit for bit")
    parser.add_argument("--crossover", default="", help="row counts N,... (first N rows)")
    args = parser.parse_args(argv)

    model, _ = load_model(args.model, args.tracking_uri)
    qq_model = load_companion_model(args.model, None, args.tracking_uri)
    rows = _rows(args, model, qq_model)
    risk = model.predict_risk(rows)
    hazard = getattr(model, "kind_", "binary") == "hazard"
    models = {"attrition": (model, {"risk": risk} if hazard else {}), "quiet_quitting": (qq_model, {})}
    results = {}
    for name, (m, kwargs) in models.items():
        if m is None:
            continue
        cpus = []
        for _ in range(args.repeat):
            cpu, out = _cpu(m.contributions, rows, **kwargs)
            cpus.append(cpu)
        results[name] = out.to_numpy()
        trees = m.booster_.best_iteration if m.booster_.best_iteration > 0 else m.booster_.num_trees()
        print(f"{name:15s} rows {len(rows):6d}  trees {trees:4d}  contributions CPU s "
              + " ".join(f"{c:.3f}" for c in cpus) + f"  (min {min(cpus):.3f})", flush=True)
    if args.out:
        np.savez(args.out, **results)
    if args.compare:
        other = np.load(args.compare)
        for name, got in results.items():
            print(f"{name:15s} np.array_equal with {args.compare}: {np.array_equal(got, other[name])}")
    for n in [int(v) for v in args.crossover.split(",") if v]:
        for name, (m, _) in models.items():
            if m is None:
                continue
            prepared = m.prepare(rows.iloc[:n])
            ours, theirs = [], []
            for _ in range(args.repeat):
                cpu, a = _cpu(pred_contrib, m.booster_, prepared, min_rows=1)
                ours.append(cpu)
                cpu, b = _cpu(m.booster_.predict, prepared, pred_contrib=True)
                theirs.append(cpu)
            print(f"crossover {name:15s} rows {len(prepared):6d}  per pattern {min(ours):.3f}  "
                  f"LightGBM {min(theirs):.3f}  equal {np.array_equal(a, b)}", flush=True)


if __name__ == "__main__":
    main()
