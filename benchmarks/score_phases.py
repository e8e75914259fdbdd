"""Where the CPU time of a monthly ``attrition score`` goes, part by part, in one process.

Run by hand (timings never gate the tests)::

    python benchmarks/score_phases.py DATA_DIR YYYY-MM-DD --tracking-uri sqlite:///.../mlflow.db \\
        --model models:/NAME@champion

It imports what the command imports, loads both models (from the local model
cache when a previous run filled it: set ``ATTRITION_CACHE_DIR`` as for the
command), reads the tables, then times the parts of the job separately —
the features of the date with the month ends the quiet-quitting state reads
(``scoring_snapshots``: those month ends with the state filter's features only),
the attrition model's hazard curve and TreeSHAP, the quiet-quitting model's
prediction and TreeSHAP — and finally the whole scoring job on the tables and
models already in memory. Each line shows wall and CPU seconds (user + system,
all threads: steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import time

_MARKS: list[tuple[str, float, float]] = [("start", time.perf_counter(), time.process_time())]


def _mark(name: str) -> None:
    _MARKS.append((name, time.perf_counter(), time.process_time()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("as_of")
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--model", default="models:/bench@champion")
    parser.add_argument("--out", default="score_phases.csv")
    args = parser.parse_args(argv)

    import pandas as pd

    _mark("import pandas")
    from attrition.jobs import Config, score
    from attrition.scoring._roster import scoring_snapshots
    from attrition.tracking import load_companion_model, load_model

    _mark("import attrition.jobs")
    config = Config(data_dir=args.data, tracking_uri=args.tracking_uri, n_drivers=3)
    model, _ = load_model(args.model, config.tracking_uri)
    qq_model = load_companion_model(args.model, None, config.tracking_uri)
    _mark("load both models")
    tables = config.load_tables(columns=model.spec_.columns)
    _mark("load_tables")
    as_of = pd.Timestamp(args.as_of)
    _, history = scoring_snapshots(tables, as_of, model, qq_model)  # the command's one build
    _mark(f"features: date + {0 if history is None else history['as_of'].nunique()} state months")
    rows = model.snapshots(tables, [as_of])
    _mark("features: the date alone")
    if getattr(model, "kind_", "binary") == "hazard":
        model.predict_hazard(rows)
    else:
        model.predict_risk(rows)
    _mark("attrition: prediction")
    model.contributions(rows)
    _mark("attrition: TreeSHAP")
    if qq_model is not None:
        qq_model.predict_risk(rows)
        _mark("quiet quitting: prediction")
        qq_model.contributions(rows)
        _mark("quiet quitting: TreeSHAP")
    score(config, as_of, model=model, qq_model=qq_model, tables=tables, out=args.out)
    _mark("score job (tables and models given)")
    previous = _MARKS[0]
    for name, wall, cpu in _MARKS[1:]:
        print(f"{name:40s} wall {wall - previous[1]:6.2f} s   cpu {cpu - previous[2]:6.2f} s")
        previous = (name, wall, cpu)
    print(f"{'total':40s} wall {_MARKS[-1][1] - _MARKS[0][1]:6.2f} s   cpu {_MARKS[-1][2] - _MARKS[0][2]:6.2f} s")


if __name__ == "__main__":
    main()
