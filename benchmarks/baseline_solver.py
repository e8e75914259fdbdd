"""The logistic baselines' solver: L-BFGS against newton-cholesky on the baselines' own inputs.

Five steps, each run with whichever code ``PYTHONPATH`` points at::

    python benchmarks/baseline_solver.py record DATA OUT.pkl      # the inputs of both baselines of
                                                                  # `attrition train --target all`
    python benchmarks/baseline_solver.py solvers OUT.pkl 2        # solver alone, alternated, vs the minimum
    python benchmarks/baseline_solver.py fits OUT.pkl             # whole LogisticBaseline.fit: CPU, peak
    python benchmarks/baseline_solver.py resampled OUT.pkl 280000 # the first input resampled to N rows
    python benchmarks/baseline_solver.py backtest 0 3 4 5         # logistic side of lgbm_settings.py's
                                                                  # backtest, both solvers, same rows

``record`` builds the snapshots and fits both models as the training job does, recording each
``LogisticBaseline.fit``'s parameters, frame and labels. ``solvers`` times
``LogisticRegression(...).fit`` on the transformed design matrices (one BLAS thread,
``time.process_time``) and reports each solver's objective and risks against the minimum of the
penalised log loss (newton-cholesky run to ``tol`` 1e-10). See benchmarks/README.md, "The
logistic baselines' solver".
"""

from __future__ import annotations

import argparse
import pickle
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from attrition import build_snapshots, simulate
from attrition.analysis._backtest import backtest_origins, training_frame
from attrition.jobs import Config
from attrition.jobs import _workflows as wf
from attrition.models import _baselines as B
from attrition.models import limited_threads
from attrition.snapshots import feature_columns

SOLVERS = {
    "lbfgs": dict(max_iter=2000),
    "newton-cholesky": dict(solver="newton-cholesky", max_iter=100),
    "nc-tol1e-6": dict(solver="newton-cholesky", max_iter=100, tol=1e-6),
    "nc-tol1e-8": dict(solver="newton-cholesky", max_iter=100, tol=1e-8),
}
_MINIMUM = dict(solver="newton-cholesky", max_iter=100, tol=1e-10)


def record(data: str, out: str) -> None:
    seen = []
    fit = B.LogisticBaseline.fit

    def recording(self, X, y):
        seen.append((self.get_params(), X.copy(), np.asarray(y).copy()))
        return fit(self, X, y)

    B.LogisticBaseline.fit = recording
    cfg = Config().replace(data_dir=data)
    with limited_threads(cfg.threads or None):
        tables = cfg.load_tables()
        frames = wf.training_frames(cfg, tables, ["attrition", "quiet_quitting"])
        for target, frame in frames.items():
            wf._fit(cfg, frame, target)
    B.LogisticBaseline.fit = fit
    with open(out, "wb") as fh:
        pickle.dump(seen, fh)
    print([X.shape for _, X, _ in seen])


def _objective(C: float, design: np.ndarray, y: np.ndarray, lr: LogisticRegression):
    z = design @ lr.coef_.ravel() + lr.intercept_[0]
    w = lr.coef_.ravel()
    return C * (np.logaddexp(0, z) - y * z).sum() + 0.5 * float(w @ w), 1 / (1 + np.exp(-z))


def solvers(inputs: str, reps: int, names: list[str]) -> None:
    with open(inputs, "rb") as fh:
        seen = pickle.load(fh)
    designs = []
    for params, X, y in seen:
        m = B.LogisticBaseline(**params).fit(X, y)  # for its fitted preprocessing only
        design = m.design(X)
        designs.append((params.get("C", 0.1), np.ascontiguousarray(design, dtype="float64"),
                        np.asarray(y, dtype=int)))
        print(f"design {design.shape}, positives {np.mean(y):.4f}", flush=True)
    del seen
    with B.one_blas_thread():
        minima = [_objective(C, d, y, LogisticRegression(C=C, **_MINIMUM).fit(d, y)) for C, d, y in designs]
        for rep in range(reps):
            for name in names:
                for i, (C, design, y) in enumerate(designs):
                    tracemalloc.start()
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        t = time.process_time()
                        lr = LogisticRegression(C=C, **SOLVERS[name]).fit(design, y)
                        cpu = time.process_time() - t
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                    objective, risk = _objective(C, design, y, lr)
                    print(f"rep{rep} {name:16s} fit{i} CPU {cpu:6.2f} s steps {lr.n_iter_[0]:4d} "
                          f"objective-minimum {objective - minima[i][0]:.2e} "
                          f"max|risk-minimum's| {np.max(np.abs(risk - minima[i][1])):.2e} "
                          f"peak-alloc {peak:.0f} MiB warnings {len(caught)}", flush=True)


def _fit_once(params, X, y, label: str) -> None:
    tracemalloc.start()
    t = time.process_time()
    m = B.LogisticBaseline(**params).fit(X, y)
    cpu = time.process_time() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{label} {X.shape} CPU {cpu:6.2f} s, solver steps {m.model_.n_iter_[0]}, "
          f"peak allocation {peak:.0f} MiB", flush=True)


def fits(inputs: str) -> None:
    with open(inputs, "rb") as fh:
        seen = pickle.load(fh)
    for i, (params, X, y) in enumerate(seen):
        _fit_once(params, X, y, f"fit{i}")


def resampled(inputs: str, rows: int, reps: int) -> None:
    with open(inputs, "rb") as fh:
        params, X, y = pickle.load(fh)[0]
    idx = np.random.default_rng(0).integers(0, len(y), rows)
    X, y = X.iloc[idx].reset_index(drop=True), np.asarray(y, dtype=int)[idx]
    for rep in range(reps):
        _fit_once(params, X, y, f"rep{rep}")


def backtest(seeds: list[int]) -> None:
    original = B.LogisticRegression
    chosen = {"lbfgs": lambda **k: original(C=k["C"], max_iter=2000),
              "this code's": original}
    for seed in seeds:
        centre = simulate(n_employees=300, months=24, seed=seed)
        snaps = build_snapshots(centre.tables)
        origins = backtest_origins(snaps["as_of"], centre.tables.infer_export_date(), 90)[-9:]
        as_of = pd.to_datetime(snaps["as_of"])
        ys, risks = [], {s: [] for s in chosen}
        for origin in origins:
            train = training_frame(snaps, centre.tables.employees, 90, origin)
            test = snaps.loc[(as_of == origin).to_numpy() & snaps["label"].notna().to_numpy()]
            labelled = train[train["label"].notna()]
            features = feature_columns(labelled)
            ys.append(test["label"].to_numpy())
            line = []
            for name, make in chosen.items():
                B.LogisticRegression = make
                try:
                    lr = B.LogisticBaseline(features=features).fit(labelled, labelled["label"].astype(int))
                finally:
                    B.LogisticRegression = original
                risks[name].append(lr.predict_risk(test))
                line.append(f"{name} {roc_auc_score(ys[-1], risks[name][-1]):.4f} "
                            f"(steps {lr.model_.n_iter_[0]})")
            print(f"seed {seed} {origin:%Y-%m} n {len(test)}: " + ", ".join(line), flush=True)
        y = np.concatenate(ys)
        print(f"seed {seed} pooled logistic ROC AUC: " + ", ".join(
            f"{name} {roc_auc_score(y, np.concatenate(r)):.4f}" for name, r in risks.items()), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    p = sub.add_parser("record")
    p.add_argument("data")
    p.add_argument("out")
    p = sub.add_parser("solvers")
    p.add_argument("inputs")
    p.add_argument("reps", type=int)
    p.add_argument("names", nargs="?", default="lbfgs,nc-tol1e-6")
    p = sub.add_parser("fits")
    p.add_argument("inputs")
    p = sub.add_parser("resampled")
    p.add_argument("inputs")
    p.add_argument("rows", type=int)
    p.add_argument("reps", type=int, nargs="?", default=1)
    p = sub.add_parser("backtest")
    p.add_argument("seeds", type=int, nargs="+")
    args = ap.parse_args()
    if args.step == "record":
        record(args.data, args.out)
    elif args.step == "solvers":
        solvers(args.inputs, args.reps, args.names.split(","))
    elif args.step == "fits":
        fits(args.inputs)
    elif args.step == "resampled":
        resampled(args.inputs, args.rows, args.reps)
    else:
        backtest(args.seeds)


if __name__ == "__main__":
    main()
