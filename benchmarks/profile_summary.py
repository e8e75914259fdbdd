"""Inclusive share of each function in a py-spy profile (``py-spy record -f raw``: collapsed stacks).

    py-spy record -r 20 -f raw -o prof.txt -- python -m attrition train --data DIR --target all
    python benchmarks/profile_summary.py prof.txt [PATTERN] [N]

Counts, for every function whose name or file contains PATTERN (default ``attrition``) or that is
LightGBM's ``basic``/``engine``, the samples with it anywhere on the stack (each sample once per
function), and prints the N (default 60) largest as a share of all samples.
"""

from __future__ import annotations

import collections
import re
import sys


def main() -> None:
    path = sys.argv[1]
    pattern = sys.argv[2] if len(sys.argv) > 2 else "attrition"
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    inclusive: collections.Counter = collections.Counter()
    total = 0
    with open(path) as fh:
        for line in fh:
            stack, count = line.rstrip().rsplit(" ", 1)
            n = int(count)
            total += n
            seen = set()
            for frame in stack.split(";"):
                name = re.sub(r" \(.*?:\d+\)$", "", frame)
                where = re.search(r"\((.*?):\d+\)", frame)
                file = where.group(1) if where else ""
                key = name + " @" + file.split("site-packages/")[-1].split("/src/")[-1]
                if (pattern in key or "lightgbm/basic" in key or "lightgbm/engine" in key) and key not in seen:
                    inclusive[key] += n
                    seen.add(key)
    print("total samples", total)
    for key, n in inclusive.most_common(top):
        print(f"{n / total * 100:6.1f}% {n:6d} {key}")


if __name__ == "__main__":
    main()
