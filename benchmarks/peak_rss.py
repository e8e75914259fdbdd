"""Where a command's peak memory is: ``python -m attrition ARGS`` in-process, its RSS sampled every 20 ms.

    python benchmarks/peak_rss.py train --data DIR --target all --register NAME

Prints to stderr the peak resident set size, the main thread's stack at that moment, and the
highest RSS seen under each of the 25 highest call paths of attrition's own frames (a phase
table). Linux only (``/proc/self/statm``). Sampling adds a little CPU; use ``/usr/bin/time -v``
for the figure itself.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
import traceback


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    main_id = threading.get_ident()
    best: list = [0.0, None]
    timeline: list[tuple[float, str]] = []

    def sample() -> None:
        while True:
            rss = _rss_mib()
            frame = sys._current_frames().get(main_id)
            if rss > best[0]:
                best[0], best[1] = rss, traceback.format_stack(frame) if frame else None
            stack = traceback.extract_stack(frame) if frame else []
            names = [f"{os.path.basename(s.filename)}:{s.name}" for s in stack if "attrition" in s.filename][:9]
            timeline.append((rss, " > ".join(names[3:9])))
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    sys.argv = ["attrition", *sys.argv[1:]]
    try:
        runpy.run_module("attrition", run_name="__main__")
    except SystemExit:
        pass
    finally:
        print("PEAK MiB", round(best[0]), file=sys.stderr)
        print("".join(best[1] or []), file=sys.stderr)
        phases: dict[str, float] = {}
        for rss, key in timeline:
            phases[key] = max(phases.get(key, 0.0), rss)
        for key, rss in sorted(phases.items(), key=lambda kv: -kv[1])[:25]:
            print(f"{rss:8.0f} {key}", file=sys.stderr)


if __name__ == "__main__":
    main()
