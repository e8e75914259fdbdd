"""Import-time benchmark: what ``import attrition`` costs on top of its stack.

Each command runs in a fresh Python process; the wall time of the whole
process (interpreter start included) is measured ``--runs`` times, the
commands interleaved so that machine noise hits them alike, after one
discarded warm-up round (which fills the file-system cache). The table gives
the median and the fastest run of each, and the overhead of attrition over
``import pandas, sklearn, lightgbm`` (the libraries every user of attrition
loads anyway).

Run::

    python benchmarks/import_time.py            # 7 runs of each command
    python benchmarks/import_time.py --runs 15

Timings here never gate the tests: tests/test_architecture.py checks only
*which* modules ``import attrition`` and ``attrition --help`` load.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

STACK = "import pandas, sklearn, lightgbm"


def _cli() -> list[str]:
    """The ``attrition`` console script of this interpreter, else ``python -m attrition``."""
    beside = Path(sys.executable).with_name("attrition")
    script = str(beside) if beside.exists() else shutil.which("attrition")
    return [script, "--help"] if script else [sys.executable, "-m", "attrition", "--help"]


def commands() -> list[tuple[str, list[str]]]:
    py = sys.executable
    return [
        ("`python -c pass` (interpreter start)", [py, "-c", "pass"]),
        (f"`{STACK}`", [py, "-c", STACK]),
        (f"`{STACK}, attrition`", [py, "-c", f"{STACK}, attrition"]),
        ("`import attrition`", [py, "-c", "import attrition"]),
        ("`attrition --help`", _cli()),
        ("`import attrition; attrition.AttritionModel` (first use)",
         [py, "-c", "import attrition; attrition.AttritionModel"]),
        ("`import attrition; attrition.train` (first use, loads MLflow)",
         [py, "-c", "import attrition; attrition.train"]),
    ]


def run_once(argv: list[str]) -> float | str:
    """Wall time of one run, or the error's last line if the command failed."""
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        return f"failed: {last}"
    return elapsed


def measure(cmds: list[tuple[str, list[str]]], runs: int, warmup: bool = True) -> dict[str, list]:
    """Times (or a failure message) of each command; commands interleaved round by round."""
    times: dict[str, list] = {label: [] for label, _ in cmds}
    rounds = runs + (1 if warmup else 0)
    for round_ in range(rounds):
        for label, argv in cmds:
            if times[label] and isinstance(times[label][0], str):
                continue  # failed once: not run again
            elapsed = run_once(argv)
            if isinstance(elapsed, str):
                times[label] = [elapsed]
                print(f"  {label}: {elapsed}", file=sys.stderr)
            elif not (warmup and round_ == 0):
                times[label].append(elapsed)
        print(f"  round {round_ + 1}/{rounds} done", file=sys.stderr)
    return times


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def table(cmds: list[tuple[str, list[str]]], times: dict[str, list]) -> str:
    ok = {label: t for label, t in times.items() if t and not isinstance(t[0], str)}
    medians = {label: statistics.median(t) for label, t in ok.items()}
    stack_label, with_label = cmds[1][0], cmds[2][0]
    stack = medians.get(stack_label)
    lines = [
        "| command | median (s) | fastest (s) | vs the stack |",
        "|---|---:|---:|---:|",
    ]
    for label, _ in cmds:
        if label not in ok:
            lines.append(f"| {label} | {times[label][0]} | | |")
            continue
        if label == stack_label or stack is None:
            rel = "—"
        else:
            diff = medians[label] - stack
            rel = f"{diff:+.3f} s ({diff / stack:+.0%})"
        lines.append(f"| {label} | {medians[label]:.3f} | {min(ok[label]):.3f} | {rel} |")
    if stack is not None and with_label in medians:
        overhead = medians[with_label] - stack
        lines += [
            "",
            f"Overhead of attrition over pandas + scikit-learn + LightGBM: "
            f"**{overhead * 1000:+.0f} ms** ({overhead / stack:+.1%}) of median wall time.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (default 7)")
    parser.add_argument("--no-warmup", action="store_true", help="time the first round as well")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    cmds = commands()
    times = measure(cmds, args.runs, warmup=not args.no_warmup)
    print(f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} cores; attrition {_version('attrition')}, pandas {_version('pandas')}, "
          f"scikit-learn {_version('scikit-learn')}, LightGBM {_version('lightgbm')}, "
          f"MLflow {_version('mlflow')}; median of {args.runs} runs, fresh process each.\n")
    print(table(cmds, times))
    if any(t and isinstance(t[0], str) for t in times.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
