"""The hazard curve's CPU: LightGBM month by month against the numpy rule, checked bit for bit.

Run by hand (timings never gate the tests)::

    python benchmarks/hazard_curve.py MODEL_DIR [MODEL_DIR ...] --data DATA_DIR [--as-of YYYY-MM-DD]

``MODEL_DIR`` is a saved attrition model (``booster.txt`` and ``model.json``, e.g.
a registered model's artefact folder). The rows are the snapshot rows the
first model's spec builds from ``DATA_DIR`` (every month end, or the one
``--as-of`` date). For each model it prints the CPU seconds (user + system, all
threads) of one LightGBM prediction of the rows, of the 12-month curve as it
was predicted before (``advance_tenure`` and one LightGBM prediction per
month) and of :func:`attrition.models._curve.monthly_raw_scores`, best of
``--repeat`` runs, and whether the two curves are equal bit for bit.
"""

from __future__ import annotations

import argparse
import time


def _cpu(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return best, out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data", required=True)
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import numpy as np

    from attrition.data import load_tables
    from attrition.models import MONTH_DAYS, AttritionModel
    from attrition.models._curve import monthly_raw_scores
    from attrition.models._survival import advance_tenure

    models = [AttritionModel.load(m) for m in args.models]
    tables = load_tables(args.data)
    rows = models[0].spec_.build(tables, args.as_of, labels=False)
    print(f"{len(rows):,} rows ({'every month end' if args.as_of is None else args.as_of})")
    print("| model | trees | one prediction, CPU s | month by month, CPU s | numpy rule, CPU s | equal |")
    print("|---|---|---|---|---|---|")
    for path, model in zip(args.models, models, strict=True):
        booster = model.booster_
        prepared = model.prepare(rows)
        one, _ = _cpu(lambda: booster.predict(prepared, raw_score=True), args.repeat)  # noqa: B023
        slow, reference = _cpu(lambda: np.vstack([  # noqa: B023
            booster.predict(advance_tenure(prepared, j * MONTH_DAYS), raw_score=True)  # noqa: B023
            for j in range(args.months)]), args.repeat)
        fast, got = _cpu(lambda: monthly_raw_scores(booster, prepared, args.months), args.repeat)  # noqa: B023
        print(f"| {path} | {booster.num_trees()} | {one:.2f} | {slow:.2f} | {fast:.2f} | "
              f"{bool(np.array_equal(got, reference))} |")


if __name__ == "__main__":
    main()
