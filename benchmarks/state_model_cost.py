"""CPU of the quiet-quitting state model's fit (``fit_hmm``) on the training job's own inputs.

Two steps. ``capture`` builds the training frames as ``attrition train --target all`` does
(:func:`attrition.jobs._workflows.training_frames`: the snapshots, then the quiet-quitting relabel
with the state model fitted on the months before the validation ones) and saves the arguments of
the state model's ``fit_hmm`` call to an ``.npz``::

    python benchmarks/state_model_cost.py capture --data /tmp/d23/scale/c2700x24s0-csv/data \\
        --inputs /tmp/q23/in27.npz

``time`` loads those inputs and times, with ``time.process_time``, ``fit_hmm`` and its parts
(the mixture's EM, the BIC check's one-state and per-measure fits, the chain), ``--repeat`` times,
printing one JSON line per run, and pickles the fitted parameters dict (and the parts' results)
so that two versions of the code (``PYTHONPATH``) can be compared exactly::

    PYTHONPATH=src python benchmarks/state_model_cost.py time --inputs /tmp/q23/in27.npz \\
        --out /tmp/q23/new27.pkl
    python benchmarks/state_model_cost.py compare /tmp/q23/old27.pkl /tmp/q23/new27.pkl

``frames`` pickles the quiet-quitting training frame (labels, fitted definition in its attrs) and
``compare-frames`` checks two of them with ``assert_frame_equal(check_exact=True)``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time

import numpy as np
import pandas as pd

from attrition.jobs import Config
from attrition.jobs import _workflows as wf
from attrition.models import limited_threads
from attrition.snapshots import _qq_state as Q
from attrition.snapshots import _quiet_quitting as QQ


def capture(data: str, inputs: str) -> None:
    """Build the training frames and save the state model's ``fit_hmm`` arguments."""
    seen = []
    fit_hmm = QQ.fit_hmm

    def recording_fit_hmm(x, ids, order, names, **kwargs):
        seen.append((np.array(x), np.asarray(ids), np.asarray(order), list(names), kwargs))
        return fit_hmm(x, ids, order, names, **kwargs)

    QQ.fit_hmm = recording_fit_hmm
    cfg = Config().replace(data_dir=data)
    with limited_threads(cfg.threads or None):
        tables = cfg.load_tables()
        wf.training_frames(cfg, tables, ["attrition", "quiet_quitting"])
    QQ.fit_hmm = fit_hmm
    (x, ids, order, names, kwargs), = seen
    np.savez(inputs, x=x, ids=ids, order=order, names=np.array(names),
             method=np.array(kwargs.get("method", "hmm")))
    print(json.dumps({"rows": len(x), "dims": len(names), "people": len(np.unique(ids)),
                      "method": kwargs.get("method", "hmm")}))


def frames(data: str, out: str) -> None:
    """Pickle the quiet-quitting training frame (labels and fitted definition) as training builds it."""
    cfg = Config().replace(data_dir=data)
    with limited_threads(cfg.threads or None):
        frame = wf.training_frames(cfg, cfg.load_tables(), ["attrition", "quiet_quitting"])["quiet_quitting"]
    with open(out, "wb") as f:
        pickle.dump(frame, f)


def compare_frames(a: str, b: str) -> None:
    """Say whether two pickled training frames are equal exactly (values, dtypes, attrs)."""
    with open(a, "rb") as f:
        fa = pickle.load(f)
    with open(b, "rb") as f:
        fb = pickle.load(f)
    pd.testing.assert_frame_equal(fa, fb, check_exact=True)
    print(json.dumps({"frames_equal": True, "attrs_equal": fa.attrs == fb.attrs, "rows": len(fa),
                      "labels": fa["label_status"].value_counts().to_dict()}))


def _load(inputs: str):
    z = np.load(inputs, allow_pickle=True)  # the ids are an object array, as training passes them
    return z["x"], z["ids"], z["order"], [str(n) for n in z["names"]], str(z["method"])


def run(inputs: str, out: str | None, repeat: int, parts: bool) -> None:
    """Time ``fit_hmm`` (and, with ``parts``, its parts) on the saved inputs."""
    x, ids, order, names, method = _load(inputs)
    results = {}
    for r in range(repeat):
        cpu = {}
        t = time.process_time()
        params = Q.fit_hmm(x, ids, order, names, method=method)
        cpu["fit_hmm"] = round(time.process_time() - t, 3)
        results["params"] = params
        if parts:
            xc = np.clip(np.asarray(x, dtype="float64"), -Q._Z_CLIP, Q._Z_CLIP)
            t = time.process_time()
            mix = Q.fit_hmm(x, ids, order, names, method="mixture", check=False)
            cpu["mixture_em"] = round(time.process_time() - t, 3)
            t = time.process_time()
            rows, flat, real = Q._observed_months(ids, order)
            one = Q._single_state_loglik(xc[rows], Q._PaddedSum(flat, real.size), mix["dof"])
            cpu["single_state"] = round(time.process_time() - t, 3)
            t = time.process_time()
            each = Q._each_measure_loglik(xc, ids, order, dof=mix["dof"])
            cpu["each_measure"] = round(time.process_time() - t, 3)
            t = time.process_time()
            chain = Q._fit_chain(x, ids, order, mix)
            cpu["chain"] = round(time.process_time() - t, 3)
            results.update(mixture=mix, single_state=one, each_measure=each, chain=chain)
        print(json.dumps({"run": r, "rows": len(x), **cpu}), flush=True)
    if out:
        with open(out, "wb") as f:
            pickle.dump(results, f)


def compare(a: str, b: str) -> None:
    """Say whether two pickled results are identical, and the largest differences if not."""
    with open(a, "rb") as f:
        ra = pickle.load(f)
    with open(b, "rb") as f:
        rb = pickle.load(f)
    same = pickle.dumps(ra) == pickle.dumps(rb)
    diffs = {}

    def walk(u, v, key):
        if isinstance(u, dict):
            for k in u:
                walk(u[k], v[k], f"{key}.{k}")
        elif isinstance(u, (list, tuple)) or isinstance(u, (int, float, np.ndarray)) and not isinstance(u, bool):
            try:
                d = np.max(np.abs(np.asarray(u, dtype=float) - np.asarray(v, dtype=float)), initial=0.0)
            except (TypeError, ValueError):
                d = None if u == v else "differs"
            if d:
                diffs[key] = float(d) if not isinstance(d, str) else d
        elif u != v:
            diffs[key] = "differs"

    walk(ra, rb, "")
    print(json.dumps({"identical": same, "max_abs_differences": diffs}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--data", required=True)
    c.add_argument("--inputs", required=True)
    t = sub.add_parser("time")
    t.add_argument("--inputs", required=True)
    t.add_argument("--out")
    t.add_argument("--repeat", type=int, default=1)
    t.add_argument("--parts", action="store_true", help="also time the fit's parts one by one")
    k = sub.add_parser("compare")
    k.add_argument("a")
    k.add_argument("b")
    fr = sub.add_parser("frames", help="pickle the quiet-quitting training frame")
    fr.add_argument("--data", required=True)
    fr.add_argument("--out", required=True)
    kf = sub.add_parser("compare-frames")
    kf.add_argument("a")
    kf.add_argument("b")
    args = ap.parse_args()
    if args.cmd == "capture":
        capture(args.data, args.inputs)
    elif args.cmd == "frames":
        frames(args.data, args.out)
    elif args.cmd == "compare-frames":
        compare_frames(args.a, args.b)
    elif args.cmd == "time":
        run(args.inputs, args.out, args.repeat, args.parts)
    else:
        compare(args.a, args.b)


if __name__ == "__main__":
    main()
