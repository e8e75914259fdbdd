"""LightGBM settings of the monthly hazard model against the logistic baseline, out of time.

For each simulated seed and each setting, fits the attrition model at every
rolling origin (as ``attrition backtest`` does: labels as known at the
origin, the model's own early-stopping and calibration months) and scores
the employees employed at the origin on the ``horizon_days`` label, beside
the logistic regression on the same features (90-day label, as in the
backtest). Prints, per setting, the pooled ROC AUC margin over the logistic
baseline and the origins won, per seed and overall.

    python benchmarks/lgbm_settings.py --employees 300 --months 24 --seeds 1 2 3 \
        --settings default small stumps small_init
    python benchmarks/lgbm_settings.py --employees 300 --months 24 --seeds 1 --last 9 \
        --settings small_gap small_nogap select_gap
    python benchmarks/lgbm_settings.py --employees 300 --months 24 --seeds 0 3 4 5 --last 9 \
        --settings previous shipped

    python benchmarks/lgbm_settings.py --employees 300 --months 24 --seeds 1 --last 9 \
        --settings unconstrained_shipped stumps_shipped mono_shipped mono_stumps_shipped reg_shipped slow_shipped select_shipped

    # issue 16, round 10: a higher learning rate against the shipped one on the same origins
    # (the second table compares every setting with the first one named, paired)
    python benchmarks/lgbm_settings.py --employees 300 --months 24 --seeds 6 7 8 --last 9 \
        --settings shipped fast_shipped faster_shipped

    # issue 14, round 5: held-out seeds, a larger centre, per-origin diagnostics (--out keeps the scores)
    python benchmarks/lgbm_settings.py --employees 300 --months 24 --seeds 6 7 8 --last 9 --settings shipped
    python benchmarks/lgbm_settings.py --employees 1000 --months 24 --seeds 0 3 9 --last 9 --settings shipped

After the summary, a per-origin table: test rows and leavers, the training positives, the trees
kept, both ROC AUCs, the standard error of their difference (paired stratified bootstrap of the
test rows) and the ROC AUC of the simulator's true 90-day exit probability on the same rows (the
ceiling at that origin).

Every setting is a set of overrides of the model as it was before the refit on every observed
month, the 12-month risk level and the monotone constraints (``AttritionModel(refit=None,
level_months=None, lgbm_params={"monotone_constraints": {}})``); ``shipped`` is today's default
and ``unconstrained_shipped`` the default before the constraints (round 4's ``shipped``).
``shipped`` sets no learning rate: the model's own, 0.05 below ``HAZARD_LARGE_ROWS`` training
rows and ``HAZARD_LARGE_LEARNING_RATE`` from there (each fit's rate is printed); ``slow05_shipped``
and ``fast_shipped`` pin 0.05 and 0.1 at every size:

    # issue 16, round 11: 0.05 against 0.1 on a large centre, out of time
    python benchmarks/lgbm_settings.py --employees 8000 --months 24 --seeds 0 1 --last 3 \
        --settings slow05_shipped fast_shipped
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from attrition import AttritionModel, build_snapshots, simulate
from attrition.analysis._backtest import backtest_origins, training_frame
from attrition.models import HAZARD_MONOTONE, LogisticBaseline, monthly_label

CANDIDATES = [
    {},  # the shipped HAZARD_LGBM_PARAMS
    {"num_leaves": 2},
    {"num_leaves": 4, "min_child_samples": 300, "reg_lambda": 30.0},
    {"num_leaves": 15, "min_child_samples": 50, "learning_rate": 0.03, "colsample_bytree": 0.7, "reg_lambda": 5.0},
]

SHIPPED = {"refit": "all", "level_months": 12}
REGULARISED = {"num_leaves": 4, "min_child_samples": 300, "reg_lambda": 30.0, "colsample_bytree": 0.3}

SETTINGS = {
    # today's default: refit on every month, 12-month level, the directions of HAZARD_MONOTONE
    "shipped": {"monotone_constraints": HAZARD_MONOTONE, "_model": SHIPPED},
    # issue 14, round 4: each a change of the model shipped before the monotone constraints
    "unconstrained_shipped": {"_model": SHIPPED},
    "stumps_shipped": {"num_leaves": 2, "_model": SHIPPED},
    "mono_shipped": {"monotone_constraints": HAZARD_MONOTONE, "_model": SHIPPED},
    "mono_stumps_shipped": {"num_leaves": 2, "monotone_constraints": HAZARD_MONOTONE, "_model": SHIPPED},
    "reg_shipped": {**REGULARISED, "_model": SHIPPED},
    "slow_shipped": {"learning_rate": 0.02, "n_estimators": 1500, "_model": SHIPPED},
    # issue 14, round 5: the shipped (monotone) model with row bagging (70 % of the rows a tree), with
    # the number of trees from the mean early-stopping curve of three folds (each a month further back)
    "mono_bag_shipped": {"monotone_constraints": HAZARD_MONOTONE, "bagging_fraction": 0.7, "bagging_freq": 1,
                         "_model": SHIPPED},
    "mono_folds3_shipped": {"monotone_constraints": HAZARD_MONOTONE, "_model": {**SHIPPED, "stopping_folds": 3}},
    # boosted from the logistic monthly hazard's margin (fitted on the training months; not refitted)
    "init_shipped": {"init_score": "logistic", "_model": SHIPPED},
    # chosen at each origin by the early-stopping months' monthly log loss, then refitted on every month
    "select_shipped": {"_model": {**SHIPPED, "lgbm_candidates": [
        {}, {"num_leaves": 2}, {"monotone_constraints": HAZARD_MONOTONE}, REGULARISED]}},

    # the binary model's settings (DEFAULT_LGBM_PARAMS), the hazard model's first default
    "default": {"learning_rate": 0.03, "num_leaves": 15, "min_child_samples": 50, "colsample_bytree": 0.7,
                "reg_lambda": 5.0},
    # what the hazard model now ships (HAZARD_LGBM_PARAMS)
    "small": {"num_leaves": 4, "min_child_samples": 100, "learning_rate": 0.05, "colsample_bytree": 0.5,
              "reg_lambda": 10.0},
    "stumps": {"num_leaves": 2, "min_child_samples": 100, "learning_rate": 0.05, "colsample_bytree": 0.5},
    "small_init": {"num_leaves": 4, "min_child_samples": 100, "learning_rate": 0.05, "colsample_bytree": 0.5,
                   "reg_lambda": 10.0, "init_score": "logistic"},
    "default_init": {"init_score": "logistic"},
    # the shipped model (refit on every observed month, risk level of the latest 12 months) and the
    # one shipped before it (trees trained before the early-stopping months, level of the 3 calibration months)
    "previous": {},
    # the shipped setting with / without the purge gap between early-stopping and calibration months
    # (AttritionModel(purge_gap=...); without it, the default, the validation outcomes are purged instead)
    "small_gap": {"_model": {"purge_gap": True}},
    "small_nogap": {"_model": {"purge_gap": False}},
    # chosen at each origin among four settings by the early-stopping months' monthly log loss
    # (AttritionModel(lgbm_candidates=...): inside the origin's own data), without / with the gap
    "select": {"_model": {"lgbm_candidates": CANDIDATES}},
    "select_gap": {"_model": {"lgbm_candidates": CANDIDATES, "purge_gap": True}},
    # the number of trees from the mean early-stopping curve over k rolling folds (each moved a
    # month back; AttritionModel(stopping_folds=k)), a floor on it (min_trees), or a fixed number
    "folds1": {"_model": {"stopping_folds": 1, "min_trees": 1}},
    "folds3": {"_model": {"stopping_folds": 3}},
    "folds5": {"_model": {"stopping_folds": 5}},
    "floor50": {"_model": {"stopping_folds": 1, "min_trees": 50}},
    "folds3_floor50": {"_model": {"stopping_folds": 3, "min_trees": 50}},
    "refit_stop": {"_model": {"refit": "stopping"}},
    "refit_all": {"_model": {"refit": "all"}},
    "folds3_refit_stop": {"_model": {"stopping_folds": 3, "refit": "stopping"}},
    "folds3_refit_all": {"_model": {"stopping_folds": 3, "refit": "all"}},
    "folds3_floor50_refit_all": {"_model": {"stopping_folds": 3, "min_trees": 50, "refit": "all"}},
    "fixed200_refit_all": {"n_estimators": 200, "_model": {"min_trees": 200, "refit": "all"}},
    "folds3_refit_all_level12": {"_model": {"stopping_folds": 3, "refit": "all", "level_months": 12}},
    "refit_all_level12": {"_model": {"refit": "all", "level_months": 12}},
    "fixed100": {"n_estimators": 100, "_model": {"min_trees": 100}},
    "fixed200": {"n_estimators": 200, "_model": {"min_trees": 200}},
    "fixed300_slow": {"n_estimators": 300, "learning_rate": 0.02, "_model": {"min_trees": 300}},
    # issue 16, tenth round: fewer, stronger trees; the shipped model with a higher learning rate
    # (HAZARD_LGBM_PARAMS has 0.05), early stopping still choosing the number of trees
    "fast_shipped": {"monotone_constraints": HAZARD_MONOTONE, "learning_rate": 0.1, "_model": SHIPPED},
    "faster_shipped": {"monotone_constraints": HAZARD_MONOTONE, "learning_rate": 0.15, "_model": SHIPPED},
    # issue 16, eleventh round: `shipped` boosts at HAZARD_LARGE_LEARNING_RATE from HAZARD_LARGE_ROWS
    # training rows (0.05 below); this one pins 0.05 at every size (compare with fast_shipped's 0.1)
    "slow05_shipped": {"monotone_constraints": HAZARD_MONOTONE, "learning_rate": 0.05, "_model": SHIPPED},
}


def run(seed: int, employees: int, months: int, settings: list[str], last: int) -> pd.DataFrame:
    centre = simulate(n_employees=employees, months=months, seed=seed)
    snaps = build_snapshots(centre.tables)
    origins = backtest_origins(snaps["as_of"], centre.tables.infer_export_date(), 90)[-last:]
    as_of = pd.to_datetime(snaps["as_of"])
    truth = centre.truth.rename(columns={"month_end": "as_of"})[["employee_id", "as_of", "p_exit_90d"]]
    rows = []
    for origin in origins:
        train = training_frame(snaps, centre.tables.employees, 90, origin)
        test = snaps.loc[(as_of == origin).to_numpy() & snaps["label"].notna().to_numpy()]
        y = test["label"].to_numpy()
        # the simulator's true 90-day exit probability of the same rows: the ceiling at this origin
        true_risk = test[["employee_id", "as_of"]].merge(
            truth.astype({"as_of": test["as_of"].dtype}), on=["employee_id", "as_of"], how="left",
            validate="one_to_one")["p_exit_90d"].to_numpy()
        true_auc = roc_auc_score(y, true_risk) if np.isfinite(true_risk).all() else np.nan
        labelled = train[train["label"].notna()]
        # positives the logistic regression trains on, and monthly exits the hazard model sees
        train_pos = int(labelled["label"].sum())
        train_events = int(np.nansum(monthly_label(train["as_of"], train["duration_days"], train["event"])))
        lr = None
        for name in settings:
            params = dict(SETTINGS[name])
            # every setting overrides the model as shipped before the refit, the 12-month level and
            # the monotone constraints
            model_kw = {"refit": None, "level_months": None, **params.pop("_model", {})}
            if model_kw.get("lgbm_candidates"):
                model_kw["lgbm_candidates"] = [{"monotone_constraints": {}, **c} for c in model_kw["lgbm_candidates"]]
            else:
                params = {"monotone_constraints": {}, **params}
            started = time.perf_counter()
            model = AttritionModel(lgbm_params={**params, "num_threads": 1}, **model_kw).fit(train)
            risk = model.predict_risk(test)
            if lr is None:
                lr = LogisticBaseline(features=model.feature_names_in_).fit(labelled, labelled["label"].astype(int))
                lr_risk = lr.predict_risk(test)
            rows.append({"seed": seed, "origin": f"{origin:%Y-%m}", "setting": name, "n": len(y),
                         "leavers": int(y.sum()), "train_pos": train_pos,
                         "train_events": train_events, "model_auc": roc_auc_score(y, risk),
                         "logistic_auc": roc_auc_score(y, lr_risk), "true_auc": true_auc, "trees": model.best_iteration_,
                         "seconds": time.perf_counter() - started, "y": y, "true_risk": true_risk, "risk": risk, "lr_risk": lr_risk})
            print(f"seed {seed} {origin:%Y-%m} {name:12s} n {len(y)} leavers {int(y.sum())} "
                  f"train+ {train_pos} events {train_events} model {rows[-1]['model_auc']:.3f} "
                  f"logistic {rows[-1]['logistic_auc']:.3f} truth {true_auc:.3f} trees {model.best_iteration_} "
                  f"rate {model.training_summary_.get('learning_rate')} "
                  f"(training rows {model.training_summary_.get('n_train')}) "
                  f"{model.training_summary_.get('setting', '')[:60]} folds {getattr(model, 'fold_best_iterations_', '')} "
                  f"{time.perf_counter() - started:.1f}s", flush=True)
    return pd.DataFrame(rows)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties shared: fast enough to bootstrap."""
    r = rankdata(score)
    n1 = int(y.sum())
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(y) - n1)))


def paired_bootstrap_se(y, a, b, n_boot: int = 300, seed: int = 0) -> float:
    """Standard error of ``AUC(a) - AUC(b)`` on the same rows, by resampling them (stratified)."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=int)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    diffs = []
    for _ in range(n_boot):
        i = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        diffs.append(_auc(y[i], a[i]) - _auc(y[i], b[i]))
    return float(np.std(diffs))


def print_per_origin(res: pd.DataFrame) -> None:
    """Per origin: test rows and leavers, training positives, trees, both AUCs, the truth's, the noise."""
    print("\n| setting | seed | origin | test rows | leavers | train positives (90-day) | monthly exits | trees "
          "| model | logistic | margin | ± SE (paired bootstrap) | truth |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res.itertuples():
        se = paired_bootstrap_se(r.y, r.risk, r.lr_risk)
        truth = getattr(r, "true_auc", np.nan)
        print(f"| {r.setting} | {r.seed} | {r.origin} | {r.n} | {r.leavers} | {r.train_pos} | {r.train_events} "
              f"| {r.trees} | {r.model_auc:.3f} | {r.logistic_auc:.3f} | {r.model_auc - r.logistic_auc:+.3f} "
              f"| {se:.3f} | {truth:.3f} |")


def paired_bootstrap_se_pooled(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_boot: int = 200,
                                seed: int = 0) -> float:
    """Standard error of a pooled ``AUC(a) - AUC(b)``, resampling each origin's rows (stratified)."""
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        ys, As, Bs = [], [], []
        for y, a, b in parts:
            y = np.asarray(y, dtype=int)
            pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
            i = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
            ys.append(y[i]), As.append(a[i]), Bs.append(b[i])
        y, a, b = np.concatenate(ys), np.concatenate(As), np.concatenate(Bs)
        diffs.append(_auc(y, a) - _auc(y, b))
    return float(np.std(diffs))


def print_against_first(res: pd.DataFrame, reference: str) -> None:
    """Each setting against ``reference`` on the same origins: pooled ROC AUC difference (paired SE), trees."""
    print(f"\n| setting | seed | pooled ROC AUC | {reference} | difference (± paired SE) | origins not worse "
          "| mean trees | {reference} trees | fit seconds | {reference} seconds |".replace("{reference}", reference))
    print("|---|---|---|---|---|---|---|---|---|---|")
    ref = res[res["setting"] == reference].set_index(["seed", "origin"])
    for name in [n for n in res["setting"].unique() if n != reference]:
        mine = res[res["setting"] == name].set_index(["seed", "origin"])
        both = mine.join(ref, rsuffix="_ref", how="inner")
        groups = [(s, g) for s, g in both.groupby(level="seed")] + [("all", both)]
        for s, g in groups:
            y = np.concatenate(g["y"].to_list())
            a, b = np.concatenate(g["risk"].to_list()), np.concatenate(g["risk_ref"].to_list())
            pa, pb = roc_auc_score(y, a), roc_auc_score(y, b)
            se = paired_bootstrap_se_pooled(list(zip(g["y"], g["risk"], g["risk_ref"], strict=True)))
            ok = int((g["model_auc"] >= g["model_auc_ref"]).sum())
            print(f"| {name} | {s} | {pa:.3f} | {pb:.3f} | {pa - pb:+.3f} (± {se:.3f}) | {ok} of {len(g)} "
                  f"| {g['trees'].mean():.0f} | {g['trees_ref'].mean():.0f} | {g['seconds'].sum():.0f} "
                  f"| {g['seconds_ref'].sum():.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--settings", nargs="+", default=["default", "small", "small_init"])
    parser.add_argument("--last", type=int, default=9, help="evaluate the last N feasible origins")
    parser.add_argument("--out", help="also write the per-origin results (with the scores) to this pickle")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    frames = [run(s, args.employees, args.months, args.settings, args.last) for s in args.seeds]
    res = pd.concat(frames, ignore_index=True)
    if args.out:
        res.to_pickle(args.out)
    print("\n| setting | seed | origins | pooled ROC AUC | logistic | margin | origins won | mean risk | observed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, seed), part in list(res.groupby(["setting", "seed"])) + [((n, "all"), p) for n, p in res.groupby("setting")]:
        y = np.concatenate(part["y"].to_list())
        pm = roc_auc_score(y, np.concatenate(part["risk"].to_list()))
        pl = roc_auc_score(y, np.concatenate(part["lr_risk"].to_list()))
        won = int((part["model_auc"] > part["logistic_auc"]).sum())
        risk = np.concatenate(part["risk"].to_list())
        print(f"| {name} | {seed} | {len(part)} | {pm:.3f} | {pl:.3f} | {pm - pl:+.3f} | {won} of {len(part)} "
              f"| {risk.mean():.3f} | {y.mean():.3f} |")
    if len(args.settings) > 1:
        print_against_first(res, args.settings[0])
    print_per_origin(res)


if __name__ == "__main__":
    main()
