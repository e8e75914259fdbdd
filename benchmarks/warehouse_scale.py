"""Snapshot build time: pandas vs DuckDB (and Spark local mode) on a data folder.

    python benchmarks/warehouse_scale.py /tmp/scale/c5000 --engine pandas
    python benchmarks/warehouse_scale.py /tmp/scale/c5000 --engine duckdb
    python benchmarks/warehouse_scale.py /tmp/scale/c1000 --engine spark --compare

Run one engine per process (``/usr/bin/time -v`` gives its peak memory).
``--compare`` also builds the pandas frame and checks every column agrees.
Spark reads the daily tables with ``spark.read.parquet``; nanosecond
timestamps, which Spark cannot read, are rewritten to microseconds in a
temporary copy first (not timed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _compare(ref: pd.DataFrame, got: pd.DataFrame) -> str:
    """Same columns; floats within 1e-9 relative (1e-12 absolute near zero), NaN alike."""
    assert list(ref.columns) == list(got.columns), "columns differ"
    worst, where = 0.0, ""
    for col in ref.columns:
        a, b = ref[col], got[col]
        if a.dtype.kind == "f":
            assert (a.isna() == b.isna()).all(), f"{col}: NaN in different places"
            x, y = a.to_numpy(), b.to_numpy()
            excess = np.abs(x - y) / (1e-12 + 1e-9 * np.abs(x))
            top = float(np.nanmax(excess, initial=0.0))
            if top > worst:
                worst, where = top, col
        else:
            assert a.equals(b), f"{col} differs"
    verdict = "all agree" if worst <= 1 else "DIFFER"
    return (f"{ref.shape[1]} columns: {verdict} (largest |diff| / (1e-12 + 1e-9 |value|) = "
            f"{worst:.3g}, in {where or '-'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--engine", choices=["pandas", "duckdb", "spark"], required=True)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    folder = Path(args.folder)

    from attrition import build_snapshots, load_tables

    started = time.perf_counter()
    if args.engine == "pandas":
        tables = load_tables(folder)
        loaded = time.perf_counter()
        snaps = build_snapshots(tables)
        print(f"pandas: load_tables {loaded - started:.1f}s, build_snapshots "
              f"{time.perf_counter() - loaded:.1f}s")
    elif args.engine == "duckdb":
        from attrition.snapshots import build_snapshots_duckdb

        snaps = build_snapshots_duckdb(folder)
        print(f"duckdb: build_snapshots_duckdb (incl. loading the small tables) "
              f"{time.perf_counter() - started:.1f}s")
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        from attrition.snapshots import build_snapshots_spark

        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.sql.shuffle.partitions", "8")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        print(f"spark: session {time.perf_counter() - started:.1f}s")
        tmp = Path(tempfile.mkdtemp())
        tables = {}
        for path in sorted(folder.glob("*.parquet")):
            frame = pd.read_parquet(path)
            for col in frame.columns:
                if frame[col].dtype.kind == "M":
                    frame[col] = frame[col].astype("datetime64[us]")
            frame.to_parquet(tmp / path.name, index=False)
            tables[path.stem] = spark.read.parquet(str(tmp / path.name))
        for attempt in ("first (cold JVM)", "second"):
            started = time.perf_counter()
            snaps = build_snapshots_spark(spark, tables)
            print(f"spark: build_snapshots_spark, {attempt} run {time.perf_counter() - started:.1f}s")
    print(f"{len(snaps)} rows x {snaps.shape[1]} columns")
    if args.compare and args.engine != "pandas":
        print(_compare(build_snapshots(load_tables(folder)), snaps))


if __name__ == "__main__":
    main()
