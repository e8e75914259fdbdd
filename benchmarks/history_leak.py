"""Job history and your own tables: is the export-time leak gone, and do they help out of time?

For each seed: simulate a centre with ``employee_history`` and its own
``performance`` (measures) and ``coaching`` (events) tables, then pretend the
exports were taken at an earlier *export date* E, ``--future-months`` plus
the 90-day horizon before the end of the run (every table cut at E, the HR
master holding each attribute's value on E, leavers after E still employed),
and train two models on that export, with the same settings:

* ``without``: the old behaviour — no history and no declared tables, so
  team, site, role, contract, hours and relative pay come from the HR master
  on E (export-time values);
* ``with``: the same export plus ``employee_history`` and the two declared
  tables (every attribute as of each date, history and own-table features).

**The leak, paired.** Each model scores the same labelled rows before E
twice: once with the features the library built from the export at E (what
``attrition train`` reports on), and once with the features a production run
on each row's as-of date t would have seen (the exports cut at t: the HR
attributes then in force). Same rows, same labels, same model: the AUC
difference *reported − as of t* is how much export-time values flatter the
metric. The ``with`` model's features must be identical both ways (it prints
how many feature cells differ). Two row sets: the model's validation months
(``AttritionModel.validation_mask``; the 90-day label) and every labelled row
before E (mostly training rows, scored in sample). The interval is a paired
bootstrap over employees (an employee's rows are resampled together).

**Out of time.** Both models then score the future, as they would in
production: each month end m after E (``--future-months`` of them), the
exports cut at m and the employees employed on m scored; the truth is who
left voluntarily within 90 days (from the full run). Reported per seed
(pooled months, with a paired bootstrap over employees), as the number of
month ends where ``with`` beats ``without``, and as the mean over seeds.

**Proper scoring rules.** AUC only ranks, and a small gain in ranking is
noisy. On the same future rows the benchmark also reports two proper
scoring rules, mean log loss and Brier score (lower is better), of ``with``
minus ``without``, with the same paired bootstrap over employees (the same
resamples as the AUC's), per seed and as the mean over seeds (each draw the
mean of the seeds' draws), and the same for the oracle below. Each seed's
line is printed as soon as the seed is done; ``--save DIR`` writes its
scored future rows, and ``--pool DIR/future_seed*.csv`` recomputes the
out-of-time tables over seeds run by several processes (same bootstrap).

**The ceiling.** How much *could* the history add? The simulator's truth
holds each row's true monthly hazard and the part of its logit that the job
history and own tables contribute (``truth["history_logit"]``). On the same
future rows the benchmark scores the true 90-day risk with and without that
part: the AUC difference is what a perfect model gains from the history — a
yardstick for ``with − without``, not a strict bound: the two fitted models
fall short of their oracles by different amounts, so their gap can exceed it.

**Lean** (``--lean``): a third model, fitted on the ``with`` export's
point-in-time snapshots restricted to the ``without`` model's columns plus the
features that measure the simulator's effects (:func:`attrition.data.history_effects`),
tells whether the ``with`` model loses what the history gives among its
other ~100 extra features. It is a diagnostic, not a recommended setting:
in a real centre nobody knows which features carry real effects.

Does the model find the simulator's true effects? For the ``with`` model it
also prints, for each term of :func:`attrition.data.history_effects` (real
or not), the rank of the feature that measures it among all features by
mean absolute contribution (exact TreeSHAP, :meth:`AttritionModel.contributions`)
on the training snapshots: real effects should rank high, the two null ones
(``skills`` sessions, ``business_value``) low.

**Leads who move** (``--lead-moves``): the centre is simulated with
``simulate(..., lead_moves=True)``: team leads are also reassigned between
teams, taking their quality along, and ``manager_id`` is the lead's own id,
so the supervisor effect follows the lead and only the history's lead
features (the lead's exits among their reports, tenure as lead, a new lead)
can follow it; the team's own exit record cannot. It also prints a second
ceiling, taking out the lead quality's direct term (``truth["lead_logit"]``)
as well: a loose yardstick, since the team's exit record tells part of it.

Run:  python benchmarks/history_leak.py --employees 300 --months 36 --future-months 9 --seeds 0 1 2 3 4 5 --lean
      python benchmarks/history_leak.py --employees 300 --months 36 --future-months 9 --seeds 0 1 2 3 4 5 --lead-moves
      python benchmarks/history_leak.py --lead-moves --pool out/future_seed*.csv   (after runs with --save out)
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from attrition import AttritionModel, SnapshotSpec, simulate
from attrition.data import history_effects
from attrition.exceptions import DataQualityWarning
from attrition.features import hr_attributes
from attrition.snapshots import feature_columns, make_labels

HORIZON = 90
ATTRS = ["team_id", "site", "role", "employment_type", "contracted_hours", "hourly_wage"]
KEYS = ["employee_id", "as_of"]
BOOT = 1000


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


def exports_on(full, day: pd.Timestamp, name: str):
    """What the ``name`` model would be given by a run on ``day``."""
    now = cut(full, day)
    return without_history(now) if name == "without" else now


def resample_weights(groups: np.ndarray, seed: int):
    """``BOOT`` bootstrap resamples of ``groups`` (employees) with replacement, as row weights
    (how many times each row's employee was drawn), in chunks of draws (``draws × rows`` arrays)."""
    codes, n = pd.factorize(groups)[0], len(np.unique(groups))
    rng = np.random.default_rng(seed)
    for first in range(0, BOOT, 100):
        yield np.stack([np.bincount(rng.integers(0, n, n), minlength=n)[codes]
                        for _ in range(first, min(first + 100, BOOT))]).astype("float64")


def weighted_auc(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """ROC AUC of scores ``s`` on labels ``y`` under each row of weights ``w`` (``draws × rows``):
    ``roc_auc_score(y, s, sample_weight=w_i)`` for every draw ``i`` at once (ties count half;
    ``NaN`` where a draw holds one class only)."""
    if not np.isfinite(s).all():  # roc_auc_score refuses them; sorting would put them last silently
        raise ValueError(f"{int((~np.isfinite(s)).sum())} scores are not finite numbers.")
    order = np.argsort(s, kind="stable")
    ss, yy, ww = s[order], y[order].astype("float64"), w[:, order]
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
    pos = np.add.reduceat(ww * yy, starts, axis=1)
    neg = np.add.reduceat(ww * (1 - yy), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def paired_auc(y: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray, seed: int):
    """AUC of ``a`` and of ``b`` on labels ``y``, and ``BOOT`` bootstrap draws of AUC(a) − AUC(b)
    resampling ``groups`` (employees) with replacement."""
    draws = np.concatenate([weighted_auc(y, a, w) - weighted_auc(y, b, w)
                            for w in resample_weights(groups, seed)])
    return roc_auc_score(y, a), roc_auc_score(y, b), draws


def ci(draws: np.ndarray, digits: int = 3) -> str:
    lo, hi = np.nanpercentile(draws, [2.5, 97.5])
    return f"[{lo:+.{digits}f}, {hi:+.{digits}f}]"


def log_loss_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each row's log loss (natural log; the risk clipped to [1e-15, 1 − 1e-15])."""
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def paired_scores(y: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray, seed: int) -> dict:
    """:func:`paired_auc` of ``a`` and ``b`` plus the same for two proper scoring rules, mean log
    loss and Brier score (lower is better), each difference ``a − b`` with ``BOOT`` draws over the
    same resamples of employees (the AUC draws are :func:`paired_auc`'s)."""
    out = {"auc": paired_auc(y, a, b, groups, seed)}
    rules = {"log_loss": (log_loss_rows(y, a), log_loss_rows(y, b)), "brier": ((a - y) ** 2, (b - y) ** 2)}
    for name, (la, lb) in rules.items():
        d = la - lb
        draws = np.concatenate([w @ d / w.sum(axis=1) for w in resample_weights(groups, seed)])
        out[name] = (float(la.mean()), float(lb.mean()), draws)
    return out


def as_of_t(model, full, name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows``' snapshots rebuilt as a run on each row's as-of date would have built them."""
    parts = [model.snapshots(exports_on(full, t, name), as_of=[t]) for t in sorted(rows["as_of"].unique())]
    pit = pd.concat(parts, ignore_index=True).set_index(KEYS)
    keys = pd.MultiIndex.from_frame(rows[KEYS])
    assert keys.isin(pit.index).all(), "every row is employed on its as-of date in the exports of that day"
    return pit.loc[keys].reset_index()


def differing_cells(model, a: pd.DataFrame, b: pd.DataFrame) -> int:
    """Feature cells that differ between two aligned snapshot frames (NaN equals NaN)."""
    xa, xb = model.prepare(a), model.prepare(b)
    n = 0
    for col in xa.columns:
        u, v = xa[col], xb[col]
        if isinstance(u.dtype, pd.CategoricalDtype):
            u, v = u.astype(object), v.astype(object)
            same = (u == v).to_numpy() | (u.isna() & v.isna()).to_numpy()
        else:
            u, v = u.to_numpy(dtype="float64"), v.to_numpy(dtype="float64")
            same = np.isclose(u, v, rtol=1e-9, atol=1e-12) | (np.isnan(u) & np.isnan(v))
        n += int((~same).sum())
    return n


def leak_rows(model, full, name, snaps, seed) -> list[dict]:
    """The paired comparison on the validation rows and on every labelled row before E."""
    out = []
    labelled = snaps.loc[snaps["label"].notna()].reset_index(drop=True)
    pit = as_of_t(model, full, name, labelled)
    valid = model.validation_mask(labelled)
    for rows, mask in (("validation", valid), ("all before E", np.ones(len(labelled), bool))):
        a_rows, b_rows = labelled.loc[mask], pit.loc[mask]
        y = a_rows["label"].to_numpy(dtype=int)
        reported, now, draws = paired_auc(y, np.asarray(model.predict_risk(a_rows)),
                                          np.asarray(model.predict_risk(b_rows)),
                                          a_rows["employee_id"].to_numpy(), seed)
        out.append({"seed": seed, "model": name, "rows": rows, "n": int(mask.sum()), "positives": int(y.sum()),
                    "cells_differ": differing_cells(model, a_rows, b_rows), "auc_reported": round(reported, 3),
                    "auc_as_of_t": round(now, 3), "flattering": round(reported - now, 3), "ci95": ci(draws),
                    "_draws": draws})
    return out


def future_scores(model, full, export, name: str, months: int, source: str | None = None) -> pd.DataFrame:
    """The model's risk on each month end after ``export`` from the exports of that day, with the truth."""
    final = full.infer_export_date()
    parts = []
    for m in pd.date_range(export + pd.Timedelta(days=1), final - pd.Timedelta(days=HORIZON), freq="ME")[:months]:
        snaps = model.snapshots(exports_on(full, m, source or name), as_of=[m])
        lab = make_labels(full.employees, snaps, HORIZON, final)
        parts.append(pd.DataFrame({"employee_id": snaps["employee_id"].to_numpy(), "as_of": m,
                                   name: np.asarray(model.predict_risk(snaps)),
                                   "label": lab["label"].to_numpy()}))
    return pd.concat(parts, ignore_index=True).dropna(subset=["label"])


def effect_ranks(model, snaps, seed: int) -> list[dict]:
    """Rank (1 = strongest) of each true-effect feature by mean |contribution| on ``snaps``."""
    strength = model.contributions(snaps).abs().mean().sort_values(ascending=False)
    rank = {name: i + 1 for i, name in enumerate(strength.index)}
    return [{"seed": seed, "term": e.term, "real": bool(e.real), "feature": e.feature,
             "rank": rank.get(e.feature), "of": len(rank)}
            for e in history_effects().itertuples()]


def ceiling(future: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The true 90-day risk of each future row, with (``oracle_with``) and without
    (``oracle_without``) the history's terms of the true logit."""
    t = truth.rename(columns={"month_end": "as_of"})[["employee_id", "as_of", "exit_hazard_monthly",
                                                        "history_logit", "lead_logit"]]
    out = future.merge(t, on=["employee_id", "as_of"], how="left", validate="one_to_one")
    assert out["exit_hazard_monthly"].notna().all(), "every scored row has a truth row"
    h = out.pop("exit_hazard_monthly").to_numpy()
    logit, history, lead = np.log(h / (1 - h)), out.pop("history_logit").to_numpy(), out.pop("lead_logit").to_numpy()
    blind = 1.0 / (1.0 + np.exp(-(logit - history)))
    no_lead = 1.0 / (1.0 + np.exp(-(logit - history - lead)))
    return out.assign(oracle_with=1 - (1 - h) ** 3, oracle_without=1 - (1 - blind) ** 3,
                      oracle_without_lead=1 - (1 - no_lead) ** 3)


def lean_frame(snaps: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """``snaps`` without the feature columns outside ``keep`` (keys, labels and attrs kept)."""
    effects = set(history_effects()["feature"])
    drop = [c for c in feature_columns(snaps) if c not in keep and c not in effects]
    out = snaps.drop(columns=drop)
    out.attrs = snaps.attrs
    return out


def one(n_employees: int, months: int, seed: int, future_months: int, lean: bool = False,
        lead_moves: bool = False):
    started = time.perf_counter()
    centre = simulate(n_employees=n_employees, months=months, seed=seed, lead_moves=lead_moves)
    full = centre.tables
    final = full.infer_export_date()
    export = (final - pd.DateOffset(months=future_months + 3)) + pd.offsets.MonthEnd(0)
    at_e = cut(full, export)
    fits, leaks, future, effects, without_columns = [], [], None, [], []
    for name, tables in (("without", without_history(at_e)), ("with", at_e)):
        snaps = SnapshotSpec(horizon_days=HORIZON).build(tables)
        model = AttritionModel(random_state=seed).fit(snaps)
        leaks += leak_rows(model, full, name, snaps, seed)
        scores = future_scores(model, full, export, name, future_months)
        future = scores if future is None else future.merge(scores, on=["employee_id", "as_of", "label"])
        if name == "without":
            without_columns = list(model.feature_names_in_)
        else:
            effects = effect_ranks(model, snaps, seed)
        fits.append({"seed": seed, "model": name, "features": len(model.feature_names_in_),
                     "valid_auc": round(model.metrics_["valid_roc_auc"], 3),
                     "validation": f"{model.validation_dates_[0]}..{model.validation_dates_[-1]}"})
        if name == "with" and lean:
            model = AttritionModel(random_state=seed).fit(lean_frame(snaps, without_columns))
            scores = future_scores(model, full, export, "lean", future_months, source="with")
            future = future.merge(scores, on=["employee_id", "as_of", "label"])
            fits.append({"seed": seed, "model": "lean", "features": len(model.feature_names_in_),
                         "valid_auc": round(model.metrics_["valid_roc_auc"], 3),
                         "validation": f"{model.validation_dates_[0]}..{model.validation_dates_[-1]}"})
    print(f"seed {seed}: export date {export:%Y-%m-%d}, {time.perf_counter() - started:.0f}s", flush=True)
    return fits, leaks, ceiling(future, centre.truth).assign(seed=seed), effects


RULES = (("log_loss", "log loss"), ("brier", "Brier"))


def seed_out_of_time(fu: pd.DataFrame, lead_moves: bool) -> tuple[dict, dict, dict]:
    """One seed's out-of-time comparison: its row of the AUC table, its row of the scoring
    rules' table and the bootstrap draws of every difference."""
    seed = int(fu["seed"].iloc[0])
    y = fu["label"].to_numpy(dtype=int)
    groups = fu["employee_id"].to_numpy()
    model = paired_scores(y, fu["with"].to_numpy(), fu["without"].to_numpy(), groups, seed)
    oracle = paired_scores(y, fu["oracle_with"].to_numpy(), fu["oracle_without"].to_numpy(), groups, seed)
    (w_auc, wo_auc, draws), (o_w, o_wo, o_draws) = model["auc"], oracle["auc"]
    boots = {"auc": draws, "oracle auc": o_draws}
    extra = {"ceiling (oracle with - without)": round(o_w - o_wo, 3), "ceiling ci95": ci(o_draws)}
    if lead_moves:
        _, o_wl, l_draws = paired_auc(y, fu["oracle_with"].to_numpy(), fu["oracle_without_lead"].to_numpy(),
                                      groups, seed)
        boots["lead"] = l_draws
        extra.update({"ceiling with lead term": round(o_w - o_wl, 3), "lead ceiling ci95": ci(l_draws)})
    if "lean" in fu.columns:
        l_auc, _, l_draws = paired_auc(y, fu["lean"].to_numpy(), fu["without"].to_numpy(), groups, seed)
        boots["lean"] = l_draws
        extra.update({"future_auc_lean": round(l_auc, 3), "lean - without": round(l_auc - wo_auc, 3),
                      "lean ci95": ci(l_draws)})
    monthly = fu.groupby("as_of").apply(
        lambda g: roc_auc_score(g["label"], g["with"]) - roc_auc_score(g["label"], g["without"]),
        include_groups=False)
    auc_row = {"seed": seed, "months": len(monthly), "positives / rows": f"{y.sum()} / {len(y)}",
               "future_auc_without": round(wo_auc, 3), "future_auc_with": round(w_auc, 3),
               "with - without": round(w_auc - wo_auc, 3), "ci95": ci(draws),
               "months with wins": int((monthly > 0).sum()), **extra}
    rule_row = {"seed": seed}
    for key, label in RULES:
        (a, b, d), (oa, ob, od) = model[key], oracle[key]
        boots[key], boots[f"oracle {key}"] = d, od
        rule_row.update({f"{label} without": round(b, 4), f"{label} with": round(a, 4),
                         f"{label} with - without": round(a - b, 4), f"{label} ci95": ci(d, 4),
                         f"{label} oracle with - without": round(oa - ob, 4), f"{label} oracle ci95": ci(od, 4)})
    return auc_row, rule_row, boots


def seed_line(auc_row: dict, rule_row: dict) -> str:
    """One line per seed, printed as soon as the seed is done."""
    parts = [f"seed {auc_row['seed']} out of time ({auc_row['positives / rows']}): AUC with − without "
             f"{auc_row['with - without']:+.3f} {auc_row['ci95']} (oracle {auc_row['ceiling (oracle with - without)']:+.3f} "
             f"{auc_row['ceiling ci95']})"]
    for _, label in RULES:
        parts.append(f"{label} {rule_row[f'{label} with - without']:+.4f} {rule_row[f'{label} ci95']} "
                     f"(oracle {rule_row[f'{label} oracle with - without']:+.4f} {rule_row[f'{label} oracle ci95']})")
    return "; ".join(parts)


def report_out_of_time(results: list[tuple[dict, dict, dict]]) -> None:
    """The out-of-time tables and the means over seeds."""
    table = pd.DataFrame([r[0] for r in results])
    rules = pd.DataFrame([r[1] for r in results])

    def pooled(key: str) -> np.ndarray:
        return np.nanmean(np.vstack([r[2][key] for r in results]), axis=0)

    print(table.to_string(index=False))
    diff = table["with - without"]
    wins = table["months with wins"].sum()
    print(f"mean over seeds: without {table['future_auc_without'].mean():.3f}, with "
          f"{table['future_auc_with'].mean():.3f}, with − without {diff.mean():+.3f} "
          f"{ci(pooled('auc'))}; with ahead on {(diff > 0).sum()} of {len(diff)} seeds "
          f"and {wins} of {table['months'].sum()} month ends")
    ceil = table["ceiling (oracle with - without)"]
    print(f"ceiling (true risk with − without the history's terms, same rows): {ceil.mean():+.3f} "
          f"{ci(pooled('oracle auc'))}")
    if "ceiling with lead term" in table.columns:
        print(f"ceiling taking out the lead quality's direct term too (loose): "
              f"{table['ceiling with lead term'].mean():+.3f} {ci(pooled('lead'))}")
    if "lean - without" in table.columns:
        lean_diff = table["lean - without"]
        print(f"lean − without: {lean_diff.mean():+.3f} {ci(pooled('lean'))}; "
              f"ahead on {(lean_diff > 0).sum()} of {len(lean_diff)} seeds")

    print("\nOut of time, proper scoring rules on the same rows (mean per row, lower is better; "
          "differences with − without, paired bootstrap over employees):")
    print(rules.to_string(index=False))
    for key, label in RULES:
        d, od = rules[f"{label} with - without"], rules[f"{label} oracle with - without"]
        print(f"{label}, mean over seeds: without {rules[f'{label} without'].mean():.4f}, with "
              f"{rules[f'{label} with'].mean():.4f}, with − without {d.mean():+.4f} {ci(pooled(key), 4)}; "
              f"with better (lower) on {(d < 0).sum()} of {len(d)} seeds; oracle with − without "
              f"{od.mean():+.4f} {ci(pooled(f'oracle {key}'), 4)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--future-months", type=int, default=9)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--lean", action="store_true",
                        help="also fit the lean diagnostic model (without's columns + the effects' features)")
    parser.add_argument("--lead-moves", action="store_true",
                        help="simulate with lead_moves=True (leads reassigned between teams keep their quality)")
    parser.add_argument("--save", metavar="DIR",
                        help="write each seed's scored future rows to DIR/future_seed<N>.csv as it finishes")
    parser.add_argument("--pool", metavar="CSV", nargs="+",
                        help="only the out-of-time comparison, over seeds saved by --save (no simulation)")
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    if args.pool:
        futures = [pd.read_csv(f, parse_dates=["as_of"]) for f in args.pool]
        print("Out of time, from the saved rows of seeds "
              f"{', '.join(str(int(fu['seed'].iloc[0])) for fu in futures)}:")
        report_out_of_time([seed_out_of_time(fu, args.lead_moves) for fu in futures])
        return
    fits, leaks, results, effects = [], [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        for s in args.seeds:
            f, lk, fu, ef = one(args.employees, args.months, s, args.future_months, args.lean, args.lead_moves)
            fits += f
            leaks += lk
            effects += ef
            if args.save:
                Path(args.save).mkdir(parents=True, exist_ok=True)
                fu.to_csv(Path(args.save) / f"future_seed{s}.csv", index=False)
            results.append(seed_out_of_time(fu, args.lead_moves))
            print(seed_line(*results[-1][:2]), flush=True)
    print("\nFitted models (valid_auc: as `attrition train` reports it):")
    print(pd.DataFrame(fits).to_string(index=False))

    print("\nThe leak, paired: the same rows scored with the features built from the export at E "
          "(reported) and with those of a run on each row's as-of date (as of t):")
    leak = pd.DataFrame(leaks)
    print(leak.drop(columns="_draws").to_string(index=False))
    for (name, rows), g in leak.groupby(["model", "rows"], sort=False):
        mean_draws = np.nanmean(np.vstack(g["_draws"].to_list()), axis=0)
        print(f"mean flattering over seeds, {name}, {rows}: {g['flattering'].mean():+.3f} "
              f"{ci(mean_draws)}; positive on {(g['flattering'] > 0).sum()} of {len(g)} seeds")

    print("\nOut of time: each month end after E scored from the exports of that day:")
    report_out_of_time(results)

    frame = pd.DataFrame(effects).pivot(index=["term", "real", "feature"], columns="seed", values="rank")
    print(f"\nrank of each true-effect feature by mean |contribution| (1 = strongest, of {effects[0]['of']} "
          "features):")
    print(frame.sort_index(level="real", ascending=False).to_string())


if __name__ == "__main__":
    main()
