"""CPU of the non-LightGBM parts of `attrition train --target all`, phase by phase.

Builds the snapshots and fits both models as the training job does (the state model's and the
baselines' inputs are recorded on the way), then times with ``time.process_time`` each part the
job runs besides LightGBM: the logistic and tenure baselines (refitted on the recorded inputs),
the quiet-quitting state model (``fit_hmm``), exact TreeSHAP of the validation rows, the figures
(made, and rendered to PNG), ``training_artifacts`` (beeswarm, expected vs actual, team roll-up)
and the fairness audit. Run it with each version of the code (``PYTHONPATH``) in turn::

    python benchmarks/train_side_costs.py --data /tmp/d19/c2700/data --out /tmp/phases.pkl

It prints one JSON line of CPU seconds per phase and pickles the results (baselines' first risks,
state model, fairness audits, roll-ups) so that two versions' outputs can be compared.
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import time

from attrition.analysis._fairness import audit_model
from attrition.jobs import Config
from attrition.jobs import _workflows as wf
from attrition.models import _baselines as B
from attrition.models import limited_threads
from attrition.reporting._plots import calibration_figure, driver_importance_figure
from attrition.reporting._report import training_artifacts
from attrition.snapshots import _qq_state as Q
from attrition.snapshots import _quiet_quitting as QQ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    seen = {"lr": [], "tenure": [], "hmm": []}
    fit_hmm = Q.fit_hmm

    def recording_fit_hmm(*a, **k):
        if k.get("method") == "hmm":
            seen["hmm"].append((a, k))
        return fit_hmm(*a, **k)

    QQ.fit_hmm = recording_fit_hmm
    originals = {cls: cls.fit for cls in (B.LogisticBaseline, B.TenureBaseline)}
    for name, cls in (("lr", B.LogisticBaseline), ("tenure", B.TenureBaseline)):
        def fit(self, X, y, _orig=cls.fit, _name=name):
            seen[_name].append((self.get_params(), X.copy(), y.copy()))
            return _orig(self, X, y)
        cls.fit = fit
    cfg = Config().replace(data_dir=args.data)
    cpu: dict[str, float] = {}
    out = {}

    def tick(name, fn, *args, **kwargs):
        t = time.process_time()
        result = fn(*args, **kwargs)
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - t
        return result

    with limited_threads(cfg.threads or None):
        tables = cfg.load_tables()
        frames = wf.training_frames(cfg, tables, ["attrition", "quiet_quitting"])
        models = {t: wf._fit(cfg, frames[t], t) for t in frames}
        QQ.fit_hmm = fit_hmm  # recorded: the timed calls below are the library's own
        for cls, fit in originals.items():
            cls.fit = fit
        import shap  # noqa: F401  (imported before the clock, as the job has by then)
        for i, (params, X, y) in enumerate(seen["lr"]):
            out[f"lr{i}"] = tick("lr_baseline", B.LogisticBaseline(**params).fit, X, y).predict_risk(X)
        for params, X, y in seen["tenure"]:
            tick("tenure_baseline", B.TenureBaseline(**params).fit, X, y)
        for a, k in seen["hmm"]:
            out["state_model"] = tick("fit_hmm", Q.fit_hmm, *a, **k)
        for t, model in models.items():
            frame = frames[t]
            labelled = frame["label"].notna().to_numpy()
            valid = model.validation_mask(frame)
            risk = model.predict_risk(frame.loc[labelled])
            rows, risk_valid = frame.loc[valid], risk[valid[labelled]]
            labels = model.feature_labels()
            contrib = tick("contributions", model.contributions, rows, risk=risk_valid)
            figures = [tick("figures_made", calibration_figure, rows["label"], risk_valid, title="x"),
                       tick("figures_made", driver_importance_figure, contrib, labels)]
            more, table = tick("training_artifacts", training_artifacts, model, frame, labels,
                               min_group_size=model.spec_.min_group_size, contributions=contrib, risk=risk)
            for fig in figures + list(more.values()):
                tick("png", fig.savefig, io.BytesIO(), format="png")
            audit = tick("fairness", audit_model, model, rows, tables.employees,
                         min_group_size=model.spec_.min_group_size, thresholds={}, risk=risk_valid)
            out[f"audit_{t}"], out[f"rollup_{t}"] = audit.to_dict(), table.to_csv()
    print(json.dumps({k: round(v, 2) for k, v in cpu.items()}))
    with open(args.out, "wb") as fh:
        pickle.dump(out, fh)


if __name__ == "__main__":
    main()
