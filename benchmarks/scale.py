"""Scale benchmark: time and peak memory of each step on 1k, 5k and 20k-agent centres.

For each centre size it simulates ``--months`` months of exports (once; kept
in ``--workdir`` as Parquet) and runs every step in a fresh Python process,
so that one step's memory never hides another's:

``read``
    :func:`attrition.load_tables` on the Parquet folder (with validation).
``snapshots``
    :func:`attrition.build_snapshots` for every month end, with labels.
``train``
    :meth:`AttritionModel.fit` on those snapshots (out-of-time split,
    early stopping, Platt calibration; no MLflow logging).
``score``
    :func:`attrition.score_roster` for everyone employed on the last month
    end, including building that month's features and the quiet-quitting
    index: once without drivers, once with three drivers per person. The same
    process also times ``predict_risk`` against ``contributions`` (exact
    TreeSHAP) on the same rows, to give the driver / prediction time ratio.
``write``
    The scores with drivers, written as Parquet and as CSV.
``workflow``
    What ``attrition train --data DIR --target all`` does, end to end:
    read, snapshots, both models (attrition and quiet quitting), and the MLflow
    logging with its plots, explanations and fairness audit (local SQLite
    store in the work folder).
``monthly``
    What ``attrition score`` does each month with the pair of models that
    ``workflow`` logged, loaded from the MLflow store: features of the last
    month end, both risks with three drivers each, the quiet-quitting index,
    pseudonyms, and the CSV written (tables already in memory; add ``read``).

``plain``
    The yardstick: plain ``pandas.read_csv`` (or ``read_parquet``) of the
    same files with default settings, timed in a fresh process (the read
    alone, and the whole process: interpreter, ``import pandas`` and read).
``floor``
    What neither command can avoid, as fresh processes: the interpreter
    importing the libraries each one needs before it reads a byte —
    ``import pandas, pyarrow, lightgbm`` for ``attrition score`` (the models
    are LightGBM boosters; ``import lightgbm`` imports scikit-learn, and
    scikit-learn SciPy), the same plus ``mlflow`` and ``matplotlib`` for
    ``attrition train`` (it logs the run and its figures). Reported as CPU
    seconds and as a ratio to the plain read: a command cannot come closer to
    the read than its floor.
``cli_train``
    ``attrition train --data DIR --target all --register NAME`` as a fresh
    command-line process into a new SQLite store, with no cached models or
    fingerprints: wall time and peak RSS (that child's own, from
    ``os.wait4``). MLflow's migrated store template is made before, untimed
    (it is made once per MLflow version, on the first store ever).
``cli_score``
    ``attrition score --data DIR --as-of <last month end> --model
    models:/NAME@champion`` (three drivers, both models), as a fresh process,
    twice: the first run loads the models through MLflow (and fills the
    local model and fingerprint caches, in the work folder), the second is
    the monthly steady state. Both outputs must be byte-identical.

The ``cli_*`` figures are reported as ratios to the plain read of the same
files in the same run (``plain``), against its read time and against its
whole process, and the table's peak memory as a ratio to the loaded tables
(``read``'s ``tables_mib``).

Each step's peak memory is the process's peak resident set size *during the
step* (the kernel's high-water mark, reset just before the step through
``/proc/self/clear_refs``), so it includes the tables the step holds.

Run::

    python benchmarks/scale.py --issue16                       # 2,700 and 20,000 agents, CSV
    python benchmarks/scale.py --sizes 1000 5000 20000 --months 24
    python benchmarks/scale.py --sizes 5000 --months 12 48 --tag months

Results are appended as JSON lines to ``<workdir>/results.jsonl``; ``--table``
renders them (and ``benchmarks/results/scale.png``) into the markdown table of
``benchmarks/results/scale.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = ("read", "snapshots", "train", "score", "write", "workflow", "monthly",
         "plain", "floor", "cli_train", "cli_score")
#: Issue 16's figures: the plain pandas read, the loader, the import floor and the two commands as fresh processes.
ISSUE16_STEPS = ("plain", "read", "floor", "cli_train", "cli_score")
#: The imports each command needs before reading anything (``floor``).
FLOOR_IMPORTS = {"score": "import pandas, pyarrow, lightgbm",
                 "train": "import pandas, pyarrow, lightgbm, mlflow, matplotlib"}


# ----------------------------------------------------------------- memory
def _status(field: str) -> float:
    """A ``/proc/self/status`` field in MiB (``nan`` where /proc is missing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> None:
    """Reset the kernel's peak RSS of this process (Linux; best effort)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


class Step:
    """Context manager measuring wall time and peak RSS of a block."""

    def __enter__(self):
        import gc

        gc.collect()
        _reset_peak()
        self.rss_before = _status("VmRSS")
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = time.process_time() - self.cpu_started
        self.peak_mib = _status("VmHWM")
        return False


# ----------------------------------------------------------------- one step
def _tables_mib(tables) -> float:
    return sum(float(f.memory_usage(deep=True).sum()) for _, f in tables) / 2**20


def run_step(step: str, data: Path, work: Path) -> dict:
    """Run one step in this process and return its measurements."""
    import logging

    import pandas as pd

    from attrition import AttritionModel, Config, SnapshotSpec, build_snapshots, load_tables, score_roster
    from attrition.data import write_table

    logging.basicConfig(level=logging.WARNING)
    out: dict = {"step": step}
    if step == "read":
        with Step() as s:
            tables = load_tables(data)
        out.update(seconds=s.seconds, cpu_seconds=s.cpu_seconds, peak_mib=s.peak_mib,
                   tables_mib=_tables_mib(tables), rows={name: len(f) for name, f in tables})
        return out

    tables = load_tables(data) if step in ("snapshots", "score", "monthly") else None
    if step == "snapshots":
        out["rss_before_mib"] = _status("VmRSS")
        with Step() as s:
            snaps = build_snapshots(tables, horizon_days=90)
        out.update(seconds=s.seconds, peak_mib=s.peak_mib, tables_mib=_tables_mib(tables),
                   snapshot_rows=len(snaps), snapshot_cols=snaps.shape[1],
                   snapshots_mib=float(snaps.memory_usage(deep=True).sum()) / 2**20,
                   as_of_dates=int(snaps["as_of"].nunique()))
        snaps.to_parquet(work / "snapshots.parquet", index=False)
        return out
    if step == "train":
        snaps = pd.read_parquet(work / "snapshots.parquet")
        out["rss_before_mib"] = _status("VmRSS")
        with Step() as s:  # Parquet keeps no attrs: the spec the snapshots step used
            model = AttritionModel(spec=SnapshotSpec(horizon_days=90)).fit(snaps)
        model.save(work / "model")
        out.update(seconds=s.seconds, peak_mib=s.peak_mib, train_rows=int(snaps["label"].notna().sum()),
                   features=len(model.feature_names_in_), trees=int(model.best_iteration_),
                   num_leaves=int(model._params().get("num_leaves", 0)),
                   valid_roc_auc=float(model.metrics_.get("valid_roc_auc", float("nan"))))
        return out
    if step == "score":
        model = AttritionModel.load(work / "model")
        as_of = _last_month_end(tables)
        out["as_of"] = f"{as_of:%Y-%m-%d}"
        with Step() as s0:
            scores0 = score_roster(tables, as_of, model, n_drivers=0, quiet_quitting=True)
        with Step() as s3:
            scores = score_roster(tables, as_of, model, n_drivers=3, quiet_quitting=True)
        # Prediction vs exact TreeSHAP on the same rows, features built once.
        feats = model.snapshots(tables, [as_of])
        model.predict_risk(feats.head(100))  # warm-up
        with Step() as sp:
            model.predict_risk(feats)
        with Step() as sc:
            model.contributions(feats)
        scores.to_parquet(work / "scores.parquet", index=False)
        out.update(
            employees=len(scores), seconds_no_drivers=s0.seconds, peak_mib_no_drivers=s0.peak_mib,
            seconds=s3.seconds, peak_mib=s3.peak_mib, predict_seconds=sp.seconds,
            contributions_seconds=sc.seconds, driver_predict_ratio=sc.seconds / max(sp.seconds, 1e-9),
            contributions_rows_per_s=len(feats) / max(sc.seconds, 1e-9),
            identical_without_drivers=bool(scores0["attrition_risk"].sort_values().to_numpy().tolist()
                                           == scores["attrition_risk"].sort_values().to_numpy().tolist()),
        )
        return out
    if step == "write":
        scores = pd.read_parquet(work / "scores.parquet")
        with Step() as sp:
            write_table(scores, work / "out" / "scores.parquet")
        with Step() as sc:
            write_table(scores, work / "out" / "scores.csv")
        out.update(seconds=sp.seconds + sc.seconds, seconds_parquet=sp.seconds, seconds_csv=sc.seconds,
                   peak_mib=max(sp.peak_mib, sc.peak_mib), rows=len(scores))
        return out
    if step == "workflow":
        from attrition import train

        config = Config(data_dir=str(data), tracking_uri=f"sqlite:///{work / 'mlflow.db'}")
        with Step() as s:
            result = train(config, target="all")
        out.update(seconds=s.seconds, peak_mib=s.peak_mib,
                   trees=int(result.model.best_iteration_),
                   qq_trees=int(result.quiet_quitting.model.best_iteration_))
        return out
    if step == "monthly":
        import mlflow

        from attrition import score

        config = Config(data_dir=str(data), tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
                        id_salt="benchmark-salt-not-secret")
        mlflow.set_tracking_uri(config.tracking_uri)
        runs = mlflow.search_runs(experiment_names=["attrition"], order_by=["start_time DESC"])
        uri = {t: f"runs:/{runs.loc[runs['tags.target'] == t, 'run_id'].iloc[0]}/model"
               for t in ("attrition", "quiet_quitting")}
        as_of = _last_month_end(tables)
        with Step() as s:
            scores = score(config, as_of, model_uri=uri["attrition"], qq_model_uri=uri["quiet_quitting"],
                           tables=tables, out=work / "monthly.csv")
        out.update(seconds=s.seconds, peak_mib=s.peak_mib, employees=len(scores),
                   columns=scores.shape[1], as_of=f"{as_of:%Y-%m-%d}")
        return out
    if step == "plain":
        return _plain_read(data)
    if step == "floor":
        return _floor()
    if step in ("cli_train", "cli_score"):
        return _cli_step(step, data, work)
    raise ValueError(f"unknown step {step!r}")


def _data_files(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if p.suffix in (".csv", ".parquet") and p.is_file())


_PLAIN = """
import sys, time
t0 = time.perf_counter()
import pandas as pd
t1, c1 = time.perf_counter(), time.process_time()
for f in sys.argv[1:]:
    (pd.read_parquet if f.endswith(".parquet") else pd.read_csv)(f)
print(time.perf_counter() - t1, t1 - t0, time.process_time() - c1)
"""


def _child(cmd: list[str], env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess, float]:
    """Wall seconds, peak RSS (MiB), the finished process and CPU seconds (user + system) of a child.

    The peak is that child's own (``os.wait4`` returns the resource usage of
    the one process waited for), so a later, smaller command never reports an
    earlier, larger one's high-water mark.
    """
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(cmd, child.returncode, out.read(), err.read())
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed")
    return seconds, usage.ru_maxrss / 1024.0, proc, usage.ru_utime + usage.ru_stime


def _plain_read(data: Path) -> dict:
    files = [str(p) for p in _data_files(data)]
    seconds, peak, proc, cpu = _child([sys.executable, "-c", _PLAIN, *files])
    read_s, import_s, read_cpu = (float(x) for x in proc.stdout.split())
    return {"step": "plain", "seconds": read_s, "process_seconds": seconds, "import_seconds": import_s,
            "cpu_seconds": read_cpu, "process_cpu_seconds": cpu, "peak_mib": peak, "bytes": sum(Path(f).stat().st_size for f in files),
            "files": [Path(f).name for f in files]}


def _floor(repeats: int = 3) -> dict:
    """CPU seconds (user + system) of fresh processes that only import what each command needs.

    The fastest of ``repeats`` runs of each (the others pay for cold caches or a busy moment).
    """
    out: dict = {"step": "floor"}
    for command, imports in FLOOR_IMPORTS.items():
        runs = [_child([sys.executable, "-c", imports]) for _ in range(repeats)]
        out[f"{command}_cpu_seconds"] = min(r[3] for r in runs)
        out[f"{command}_seconds"] = min(r[0] for r in runs)
        out[f"{command}_imports"] = imports
        out[f"{command}_peak_mib"] = min(r[1] for r in runs)
    out["peak_mib"] = max(out[f"{c}_peak_mib"] for c in FLOOR_IMPORTS)
    return out


_WARM_TEMPLATE = """
import sys
from pathlib import Path
from attrition.tracking._store_template import create_sqlite_store
create_sqlite_store(Path(sys.argv[1]), Path(sys.argv[2]).as_uri())
"""


def _cli_step(step: str, data: Path, work: Path) -> dict:
    env = dict(os.environ, ATTRITION_CACHE_DIR=str(work / "cache"))
    store = f"sqlite:///{work / 'cli-mlflow.db'}"
    cli = [sys.executable, "-m", "attrition"]
    if step == "cli_train":
        # A new store and no cached models or fingerprints; the migrated store template
        # (tracking/_store_template.py) is made beforehand, untimed, as after any earlier run
        # of this MLflow version: the month-by-month steady state, not the first run ever.
        for stale in (work / "cli-mlflow.db", work / "mlartifacts", work / "cache" / "models",
                      work / "cache" / "fingerprints", work / "warm.db"):
            if stale.is_dir():
                shutil.rmtree(stale)
            elif stale.exists():
                stale.unlink()
        subprocess.run([sys.executable, "-c", _WARM_TEMPLATE, str(work / "warm.db"), str(work / "warm-artifacts")],
                       env=env, check=True)
        seconds, peak, _, cpu = _child([*cli, "train", "--data", str(data), "--target", "all", "--register",
                                        "bench", "--tracking-uri", store], env)
        return {"step": step, "seconds": seconds, "peak_mib": peak, "cpu_seconds": cpu}
    from attrition import load_tables

    as_of = f"{_last_month_end(load_tables(data)):%Y-%m-%d}"
    outs, runs = [], []
    for i in (1, 2):
        out = work / f"cli-scores-{i}.csv"
        seconds, peak, _, cpu = _child([*cli, "score", "--data", str(data), "--as-of", as_of, "--model",
                                        "models:/bench@champion", "--tracking-uri", store, "--drivers", "3",
                                        "--out", str(out)], env)
        outs.append(out.read_bytes())
        runs.append((seconds, peak, cpu))
    return {"step": step, "seconds": runs[1][0], "peak_mib": runs[1][1], "cpu_seconds": runs[1][2],
            "first_seconds": runs[0][0], "first_peak_mib": runs[0][1], "first_cpu_seconds": runs[0][2],
            "identical": outs[0] == outs[1], "as_of": as_of,
            "employees": outs[1].count(b"\n") - 1}


def _last_month_end(tables):
    import pandas as pd

    export = pd.Timestamp(tables.infer_export_date())
    as_of = export.to_period("M").to_timestamp("M")
    return as_of if as_of <= export else (as_of - pd.offsets.MonthEnd(1)).normalize()


# ----------------------------------------------------------------- driver
def _machine() -> dict:
    import lightgbm
    import numpy
    import pandas

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = float("nan")
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    from attrition import __version__

    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem, 1),
            "python": platform.python_version(), "pandas": pandas.__version__,
            "numpy": numpy.__version__, "lightgbm": lightgbm.__version__, "attrition": __version__,
            "os": platform.platform()}


def _simulate(employees: int, months: int, seed: int, data: Path, fmt: str = "parquet") -> float:
    if (data / f"employees.{fmt}").exists():
        return float("nan")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "attrition", "simulate", str(data), "--employees",
                    str(employees), "--months", str(months), "--seed", str(seed), "--format", fmt],
                   check=True)
    return time.perf_counter() - started


def run(sizes, months_list, seed, workdir: Path, steps, tag: str, fmt: str = "parquet") -> list[dict]:
    results = []
    git = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    machine = _machine()
    for months in months_list:
        for n in sizes:
            base = workdir / (f"c{n}x{months}s{seed}" + ("" if fmt == "parquet" else f"-{fmt}"))
            data, work = base / "data", base / "work"
            work.mkdir(parents=True, exist_ok=True)
            sim = _simulate(n, months, seed, data, fmt)
            for step in steps:
                print(f"[{n} employees x {months} months] {step} ...", flush=True)
                proc = subprocess.run(
                    [sys.executable, __file__, "_step", step, str(data), str(work)],
                    capture_output=True, text=True,
                )
                if proc.returncode != 0:
                    sys.stderr.write(proc.stderr)
                    raise SystemExit(f"step {step} failed for {n} employees")
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                res.update(employees=n, months=months, seed=seed, tag=tag, commit=git, format=fmt,
                           simulate_seconds=sim, machine=machine,
                           date=time.strftime("%Y-%m-%d"))
                print("   ", {k: (round(v, 2) if isinstance(v, float) else v) for k, v in res.items()
                               if k not in ("machine", "rows", "files")}, flush=True)
                results.append(res)
                with open(workdir / "results.jsonl", "a") as fh:
                    fh.write(json.dumps(res) + "\n")
    return results


# ----------------------------------------------------------------- table
def _fmt(v, nd=1) -> str:
    return "—" if v is None or v != v else f"{v:,.{nd}f}"


def render(results_file: Path, out_md: Path, out_png: Path, commit: str | None = None) -> str:
    """Markdown table (and a time-vs-employees plot) of the latest run of each step."""
    import math

    rows = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()]
    if commit:
        rows = [r for r in rows if r.get("commit") == commit]
    # Several runs of a step (e.g. ``--repeat``): the median of each figure, the machine being noisy.
    runs: dict[tuple, list[dict]] = {}
    for r in rows:
        runs.setdefault((r["employees"], r["months"], r["step"]), []).append(r)
    latest: dict[tuple, dict] = {}
    for key, group in runs.items():
        merged = dict(group[-1])
        for field, value in group[-1].items():
            if isinstance(value, float):
                vals = [g[field] for g in group if isinstance(g.get(field), (int, float))]
                merged[field] = statistics.median(vals)
        merged["n_runs"] = len(group)
        latest[key] = merged
    centres = sorted({(n, m) for n, m, _ in latest})
    machine = next(iter(latest.values()))["machine"]

    def get(n, m, step, key):
        r = latest.get((n, m, step))
        return None if r is None else r.get(key)

    lines = [
        "| centre | read s | tables MiB | snapshots s (× read) | snapshots peak MiB (× tables) | train s "
        "| train peak MiB | score s, no drivers | score s, 3 drivers | score peak MiB "
        "| TreeSHAP / predict | write s (parquet + csv) | `train --target all` s (peak MiB) "
        "| `attrition score`, both models s (peak MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, m in centres:
        read = get(n, m, "read", "seconds")
        tab = get(n, m, "read", "tables_mib")
        snap = get(n, m, "snapshots", "seconds")
        speak = get(n, m, "snapshots", "peak_mib")
        ratio_t = f" ({snap / read:.1f}×)" if snap and read else ""
        ratio_m = f" ({speak / tab:.1f}×)" if speak and tab else ""
        ratio_shap = get(n, m, "score", "driver_predict_ratio")
        lines.append(
            f"| {n:,} × {m} | {_fmt(read)} | {_fmt(tab, 0)} | {_fmt(snap)}{ratio_t} | {_fmt(speak, 0)}{ratio_m} "
            f"| {_fmt(get(n, m, 'train', 'seconds'))} | {_fmt(get(n, m, 'train', 'peak_mib'), 0)} "
            f"| {_fmt(get(n, m, 'score', 'seconds_no_drivers'))} | {_fmt(get(n, m, 'score', 'seconds'))} "
            f"| {_fmt(get(n, m, 'score', 'peak_mib'), 0)} | {_fmt(ratio_shap)}× "
            f"| {_fmt(get(n, m, 'write', 'seconds'), 2)} "
            f"| {_fmt(get(n, m, 'workflow', 'seconds'))} ({_fmt(get(n, m, 'workflow', 'peak_mib'), 0)}) "
            f"| {_fmt(get(n, m, 'monthly', 'seconds'))} ({_fmt(get(n, m, 'monthly', 'peak_mib'), 0)}) |"
        )
    detail = ["", "| centre | snapshot rows | training rows | features | trees | predict s | "
              "TreeSHAP s | TreeSHAP rows/s | validation ROC AUC |", "|---|---|---|---|---|---|---|---|---|"]
    for n, m in centres:
        detail.append(
            f"| {n:,} × {m} | {get(n, m, 'snapshots', 'snapshot_rows') or 0:,} "
            f"| {get(n, m, 'train', 'train_rows') or 0:,} | {get(n, m, 'train', 'features')} "
            f"| {get(n, m, 'train', 'trees')} | {_fmt(get(n, m, 'score', 'predict_seconds'), 2)} "
            f"| {_fmt(get(n, m, 'score', 'contributions_seconds'), 2)} "
            f"| {_fmt(get(n, m, 'score', 'contributions_rows_per_s'), 0)} "
            f"| {_fmt(get(n, m, 'train', 'valid_roc_auc'), 3)} |"
        )

    # Scaling exponents: slope of log(time) against log(employees) at fixed months.
    counts = sorted({r["n_runs"] for r in latest.values()})
    slopes = ["", f"Figures are medians over {'–'.join(map(str, counts))} run(s) of each step.", "",
              "Growth exponent b in time ∝ size^b between the two largest centres "
              "(1 = linear):", ""]
    for m in sorted({m for _, m in centres}):
        ns = sorted(n for n, mm in centres if mm == m)
        if len(ns) >= 2:
            a, b = ns[-2], ns[-1]
            parts = []
            for step, key in (("read", "seconds"), ("snapshots", "seconds"), ("train", "seconds"),
                              ("score", "seconds"), ("snapshots", "peak_mib")):
                ta, tb = get(a, m, step, key), get(b, m, step, key)
                if ta and tb:
                    label = f"{step} {'memory' if key == 'peak_mib' else 'time'}"
                    parts.append(f"{label} {math.log(tb / ta) / math.log(b / a):.2f}")
            slopes.append(f"- employees {a:,} → {b:,} ({m} months): " + ", ".join(parts))
    for n in sorted({n for n, _ in centres}):
        ms = sorted(m for nn, m in centres if nn == n)
        if len(ms) >= 2:
            a, b = ms[0], ms[-1]
            parts = []
            for step in ("read", "snapshots", "train", "score"):
                ta, tb = get(n, a, step, "seconds"), get(n, b, step, "seconds")
                if ta and tb:
                    parts.append(f"{step} {math.log(tb / ta) / math.log(b / a):.2f}")
            slopes.append(f"- months {a} → {b} ({n:,} employees): " + ", ".join(parts))

    _plot(latest, centres, out_png)
    head = [
        "# Scale benchmark",
        "",
        "Written by `python benchmarks/scale.py --table` from the runs in its results file (see the",
        "script's docstring and `benchmarks/README.md` for the commands). Simulated centres saved as",
        "Parquet; every step in a fresh process; peak memory = the process's peak RSS during the step",
        "(it includes the tables the step holds and about 0.4-0.5 GiB of imported libraries).",
        "Time against employees: `scale.png`.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM; "
        f"{machine['os']}; Python {machine['python']}, pandas {machine['pandas']}, "
        f"numpy {machine['numpy']}, LightGBM {machine['lightgbm']}, attrition {machine['attrition']} "
        f"(commit {next(iter(latest.values())).get('commit')}), measured {next(iter(latest.values()))['date']}.",
        "",
    ]
    text = "\n".join(head + lines + detail + slopes) + "\n"
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(text)
    return text


def render_ratios(results_file: Path, out_md: Path, commit: str | None = None, fmt: str = "csv") -> str:
    """Issue 16's table: each command's time and peak memory as ratios to a plain read of its files."""
    import math

    rows = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("format", "parquet") == fmt and (not commit or r.get("commit") == commit)]
    runs: dict[tuple, list[dict]] = {}
    for r in rows:
        runs.setdefault((r["employees"], r["months"], r["step"]), []).append(r)
    latest = {}
    for key, group in runs.items():
        merged = dict(group[-1])
        for field, value in group[-1].items():
            if isinstance(value, float):
                merged[field] = statistics.median([g[field] for g in group if isinstance(g.get(field), float)])
        merged["n_runs"] = len(group)
        latest[key] = merged
    centres = sorted({(n, m) for n, m, _ in latest})
    if not centres:
        return "no results"

    def get(n, m, step, key):
        return (latest.get((n, m, step)) or {}).get(key)

    def ratio(a, b):
        return f"{a / b:.1f}×" if a and b else "—"

    lines = ["| centre | files MB | plain read s (whole process s) | loader s (× read) | tables MiB "
             "| `attrition train --target all` s (× read; × process) | train peak MiB (× tables) "
             "| `attrition score` s, first (× read) | `attrition score` s, monthly (× read; × process) "
             "| score peak MiB, monthly run (× tables) | rescoring byte-identical |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, m in centres:
        plain, proc = get(n, m, "plain", "seconds"), get(n, m, "plain", "process_seconds")
        tab = get(n, m, "read", "tables_mib")
        tr, sc, sc1 = (get(n, m, "cli_train", "seconds"), get(n, m, "cli_score", "seconds"),
                       get(n, m, "cli_score", "first_seconds"))
        trp, scp = get(n, m, "cli_train", "peak_mib"), get(n, m, "cli_score", "peak_mib")
        size = get(n, m, "plain", "bytes")
        lines.append(
            f"| {n:,} × {m} | {_fmt((size or 0) / 1e6, 0)} | {_fmt(plain)} ({_fmt(proc)}) "
            f"| {_fmt(get(n, m, 'read', 'seconds'))} ({ratio(get(n, m, 'read', 'seconds'), plain)}) "
            f"| {_fmt(tab, 0)} | {_fmt(tr)} ({ratio(tr, plain)}; {ratio(tr, proc)}) "
            f"| {_fmt(trp, 0)} ({ratio(trp, tab)}) | {_fmt(sc1)} ({ratio(sc1, plain)}) "
            f"| {_fmt(sc)} ({ratio(sc, plain)}; {ratio(sc, proc)}) | {_fmt(scp, 0)} ({ratio(scp, tab)}) "
            f"| {get(n, m, 'cli_score', 'identical')} |")
    cpu_lines = ["| centre | plain read CPU s (whole process) | loader CPU s (× read) "
                 "| `attrition train --target all` CPU s (× read; × process) "
                 "| `attrition score` CPU s, first (× read) | `attrition score` CPU s, monthly (× read; × process) "
                 "| floor CPU s: score's imports (× read); train's (× read) |",
                 "|---|---|---|---|---|---|---|"]
    for n, m in centres:
        plain, proc = get(n, m, "plain", "cpu_seconds"), get(n, m, "plain", "process_cpu_seconds")
        rd, tr = get(n, m, "read", "cpu_seconds"), get(n, m, "cli_train", "cpu_seconds")
        sc, sc1 = get(n, m, "cli_score", "cpu_seconds"), get(n, m, "cli_score", "first_cpu_seconds")
        fs, ft = get(n, m, "floor", "score_cpu_seconds"), get(n, m, "floor", "train_cpu_seconds")
        if plain is None:
            continue
        cpu_lines.append(
            f"| {n:,} × {m} | {_fmt(plain)} ({_fmt(proc)}) | {_fmt(rd)} ({ratio(rd, plain)}) "
            f"| {_fmt(tr)} ({ratio(tr, plain)}; {ratio(tr, proc)}) | {_fmt(sc1)} ({ratio(sc1, plain)}) "
            f"| {_fmt(sc)} ({ratio(sc, plain)}; {ratio(sc, proc)}) "
            f"| {_fmt(fs, 2)} ({ratio(fs, plain)}); {_fmt(ft, 2)} ({ratio(ft, plain)}) |")
    growth = []
    for m in sorted({m for _, m in centres}):
        ns = sorted(n for n, mm in centres if mm == m)
        if len(ns) >= 2:
            a, b = ns[0], ns[-1]
            parts = []
            for step, key, label in (("plain", "seconds", "plain read"), ("read", "seconds", "loader"),
                                     ("cli_train", "seconds", "train"), ("cli_score", "seconds", "score"),
                                     ("cli_score", "peak_mib", "score peak memory")):
                ta, tb = get(a, m, step, key), get(b, m, step, key)
                if ta and tb:
                    parts.append(f"{label} {math.log(tb / ta) / math.log(b / a):.2f}")
            growth.append(f"- employees {a:,} → {b:,} ({m} months): " + ", ".join(parts))
    any_row = next(iter(latest.values()))
    machine = any_row["machine"]
    text = "\n".join([
        "# Scale against a plain read (issue 16)", "",
        "Written by `python benchmarks/scale.py --issue16` (see `benchmarks/README.md`). Simulated centres "
        f"as {fmt.upper()}; every figure from a fresh process. `× read`: divided by the plain "
        "`pandas.read_csv` of the same files in the same run (the read alone); `× process`: divided by "
        "that plain read's whole process (interpreter, `import pandas`, read). Peak memory: the "
        "command's peak RSS, against the loaded tables' in-memory size (`read` step). `attrition score`: "
        "one month end, three drivers, attrition and quiet-quitting models; *first* loads the models "
        "through MLflow, *monthly* is the second run (models and fingerprint from the local cache).", "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM; Python "
        f"{machine['python']}, pandas {machine['pandas']}, LightGBM {machine['lightgbm']}, attrition "
        f"{machine['attrition']} (commit {any_row.get('commit')}), measured {any_row['date']}; "
        f"medians over {max(r['n_runs'] for r in latest.values())} run(s).", "",
        *lines, "",
        "CPU time (user + system, all threads; from `os.wait4` / `time.process_time`): what each "
        "command costs whatever else runs on the machine, so the ratios hold on a shared machine "
        "where wall times do not (the multi-threaded parts, Arrow's reader and LightGBM, finish "
        "sooner in wall time than their CPU time on an idle machine).", "",
        *cpu_lines, "",
        "Floor: the fastest of three fresh processes that only import what the command needs "
        f"(score: `{FLOOR_IMPORTS['score']}`; train: `{FLOOR_IMPORTS['train']}`); no command can "
        "come closer to the read than its floor.", "",
        "Growth exponent b in time ∝ employees^b (1 = linear):", "", *growth, ""])
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(text)
    return text


def _plot(latest, centres, out_png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    months = sorted({m for _, m in centres})
    m = 24 if 24 in months else months[0]
    ns = sorted(n for n, mm in centres if mm == m)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for step, key, label in (("read", "seconds", "read tables"), ("snapshots", "seconds", "all snapshots"),
                             ("train", "seconds", "train"), ("score", "seconds", "score a month, 3 drivers"),
                             ("score", "seconds_no_drivers", "score a month, no drivers")):
        ys = [latest.get((n, m, step), {}).get(key) for n in ns]
        pts = [(n, y) for n, y in zip(ns, ys, strict=True) if y]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", label=label)
    if ns:
        ref = latest.get((ns[0], m, "snapshots"), {}).get("seconds")
        if ref:
            ax.plot(ns, [ref * n / ns[0] for n in ns], ls=":", color="grey", label="linear (from snapshots)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("employees")
    ax.set_ylabel("seconds")
    ax.set_title(f"Time against centre size ({m} months, Parquet)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png)
    plt.close(fig)


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "_step":
        res = run_step(argv[1], Path(argv[2]), Path(argv[3]))
        print(json.dumps(res))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--months", type=int, nargs="+", default=[24])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=STEPS)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/attrition-scale"))
    parser.add_argument("--tag", default="")
    parser.add_argument("--format", choices=("csv", "parquet"), default="parquet",
                        help="File format of the simulated exports.")
    parser.add_argument("--issue16", action="store_true",
                        help="Issue 16's run: --sizes 2700 20000 --months 24 --format csv --steps "
                             "plain read floor cli_train cli_score, into results/scale_issue16.md.")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Run every step this many times; the table shows medians.")
    parser.add_argument("--table", action="store_true",
                        help="Only render the results file into benchmarks/results/scale.md.")
    parser.add_argument("--commit", help="With --table: only results measured at this commit.")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scale.md",
                        help="The markdown table to write (the plot goes beside it as .png).")
    args = parser.parse_args(argv)
    if args.issue16:
        args.sizes, args.months, args.format = [2700, 20000], [24], "csv"
        args.steps = list(ISSUE16_STEPS)
        if args.out == HERE / "results" / "scale.md":
            args.out = HERE / "results" / "scale_issue16.md"
    args.workdir.mkdir(parents=True, exist_ok=True)
    if not args.table:
        for _ in range(args.repeat):
            run(args.sizes, args.months, args.seed, args.workdir, args.steps, args.tag, args.format)
    if args.issue16 or set(args.steps) <= set(ISSUE16_STEPS):
        print(render_ratios(args.workdir / "results.jsonl", args.out, args.commit, args.format))
        return
    print(render(args.workdir / "results.jsonl", args.out, args.out.with_suffix(".png"), args.commit))


if __name__ == "__main__":
    main()
