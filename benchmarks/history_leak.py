"""Job history and your own tables: do they help out of time, and is the export-time leak gone?

For each seed: simulate a centre with ``employee_history`` and its own
``performance`` (measures) and ``coaching`` (events) tables, then pretend the
exports were taken at an earlier *export date* E (every table cut at E, the
HR master holding each attribute's value on E, leavers after E still
employed) and train two models on that export, with the same settings:

* ``without``: the old behaviour — no history and no declared tables, so
  team, site, role, contract, hours and relative pay come from the HR master
  on E (export-time values);
* ``with``: the same export plus ``employee_history`` and the two declared
  tables (every attribute as of each date, history and own-table features).

Each model reports its validation ROC AUC (the latest fully observed months
before E, as ``attrition train`` does). Then both score the *future*, as they
would in production: each month end m after E (as many as the horizon
allows), the exports are cut at m and the employees employed on m scored;
the truth is who left voluntarily within the horizon (from the full run).

The export-time leak shows as a validation AUC above the future AUC (the
validation months' HR attributes describe E, after the outcome); with the
history the two should agree within noise.

Does the model find the simulator's true effects? For the ``with`` model it
also prints, for each term of :func:`attrition.data.history_effects` (real
or not), the rank of the feature that measures it among all features by
mean absolute contribution (exact TreeSHAP, :meth:`AttritionModel.contributions`)
on the training snapshots: real effects should rank high, the two null ones
(``skills`` sessions, ``business_value``) low.

Run:  python benchmarks/history_leak.py --employees 300 --months 30 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from attrition import AttritionModel, SnapshotSpec, simulate
from attrition.exceptions import DataQualityWarning
from attrition.data import history_effects
from attrition.features import hr_attributes
from attrition.snapshots import make_labels

HORIZON = 90
ATTRS = ["team_id", "site", "role", "employment_type", "contracted_hours", "hourly_wage"]


def cut(tables, export: pd.Timestamp):
    """The exports as they would have been taken on ``export``."""
    emp = tables.employees.loc[tables.employees["hire_date"] <= export].copy()
    ended = emp["termination_date"] > export
    emp.loc[ended, "termination_date"] = pd.NaT
    emp.loc[ended, "termination_reason"] = np.nan
    # The HR master holds each attribute's value on the export date.
    keys = pd.DataFrame({"employee_id": emp["employee_id"].to_numpy(), "as_of": export})
    now = hr_attributes(tables, keys, ATTRS)
    for col in ATTRS:
        emp[col] = now[col].to_numpy()
    assert emp["team_id"].notna().all(), "every employee has a history row by the export date"

    def upto(frame, col):
        return None if frame is None else frame.loc[frame[col] <= export].reset_index(drop=True)

    declared = {name: upto(frame, tables.declarations[name].date) for name, frame in tables.declared.items()}
    return tables.copy(employees=emp.reset_index(drop=True), schedule=upto(tables.schedule, "date"),
                       workload=upto(tables.workload, "date"), absences=upto(tables.absences, "start_date"),
                       surveys=upto(tables.surveys, "survey_date"),
                       employee_history=upto(tables.employee_history, "effective_date"),
                       declared=declared, export_date=export)


def without_history(tables):
    return tables.copy(employee_history=None, declared={}, declarations={})


def future_auc(model, full, export, months: int) -> tuple[float, int, int]:
    """ROC AUC of the model scoring each month end after ``export`` from the exports of that day."""
    final = full.infer_export_date()
    parts = []
    for m in pd.date_range(export + pd.Timedelta(days=1), final - pd.Timedelta(days=HORIZON), freq="ME")[:months]:
        now = cut(full, m)
        if model.spec_.declared is None and model.spec_.tables and "employee_history" not in model.spec_.tables:
            now = without_history(now)
        snaps = model.snapshots(now, as_of=[m])
        risk = model.predict_risk(snaps)
        lab = make_labels(full.employees, snaps, HORIZON, final)
        parts.append(pd.DataFrame({"risk": np.asarray(risk), "label": lab["label"].to_numpy()}))
    rows = pd.concat(parts).dropna(subset=["label"])
    return roc_auc_score(rows["label"], rows["risk"]), int(rows["label"].sum()), len(rows)


def effect_ranks(model, snaps, seed: int) -> list[dict]:
    """Rank (1 = strongest) of each true-effect feature by mean |contribution| on ``snaps``."""
    strength = model.contributions(snaps).abs().mean().sort_values(ascending=False)
    rank = {name: i + 1 for i, name in enumerate(strength.index)}
    return [{"seed": seed, "term": e.term, "real": bool(e.real), "feature": e.feature,
             "rank": rank.get(e.feature), "of": len(rank)}
            for e in history_effects().itertuples()]


EFFECTS: list[dict] = []


def one(n_employees: int, months: int, seed: int, future_months: int) -> list[dict]:
    started = time.perf_counter()
    full = simulate(n_employees=n_employees, months=months, seed=seed).tables
    final = full.infer_export_date()
    export = (final - pd.DateOffset(months=future_months + 3)) + pd.offsets.MonthEnd(0)
    at_e = cut(full, export)
    out = []
    for name, tables in (("without", without_history(at_e)), ("with", at_e)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            snaps = SnapshotSpec(horizon_days=HORIZON).build(tables)
            model = AttritionModel(random_state=seed).fit(snaps)
            auc, pos, n = future_auc(model, full, export, future_months)
            if name == "with":
                EFFECTS.extend(effect_ranks(model, snaps, seed))
        out.append({"seed": seed, "model": name, "features": len(model.feature_names_in_),
                    "valid_auc": round(model.metrics_["valid_roc_auc"], 3), "future_auc": round(auc, 3),
                    "gap": round(model.metrics_["valid_roc_auc"] - auc, 3), "future_pos": pos,
                    "future_rows": n})
    print(f"seed {seed}: {time.perf_counter() - started:.0f}s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--future-months", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    rows = [r for s in args.seeds for r in one(args.employees, args.months, s, args.future_months)]
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))
    print(frame.groupby("model")[["valid_auc", "future_auc", "gap"]].mean().round(3).to_string())
    wide = frame.pivot(index="seed", columns="model", values="future_auc")
    print("future AUC, with − without, per seed:", (wide["with"] - wide["without"]).round(3).tolist())
    effects = pd.DataFrame(EFFECTS).pivot(index=["term", "real", "feature"], columns="seed", values="rank")
    print(f"rank of each true-effect feature by mean |contribution| (1 = strongest, "
          f"of {EFFECTS[0]['of']} features):")
    print(effects.sort_index(level="real", ascending=False).to_string())


if __name__ == "__main__":
    main()
