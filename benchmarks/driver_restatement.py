"""How the hazard model's drivers are restated on the horizon risk: the old proportional factor
against the one positive factor per row of :meth:`AttritionModel._horizon_scale`.

TreeSHAP is exact on the monthly hazard's calibrated logit ``z = bias + sum(phi)``; the drivers are
points of the 90-day risk. Until the seventh round of issue 16 every contribution was multiplied by
``(logit(risk) - H(bias)) / (z - bias)`` (``H`` the horizon log-odds of a constant hazard), which is
negative when the months ahead (tenure growing along the curve) move the risk against the features
(every sign of the row flipped) and huge when the features sum to almost nothing. Now the factor is
``(H(z) - H(bias)) / (z - bias)`` (positive, between the smallest and largest slope of ``H``) and
the difference ``logit(risk) - H(z)`` is counted to tenure.

For one registered model and one month end this prints, over everyone employed: how many rows the
old factor would have flipped or blown up, and that the current contributions keep every
non-tenure sign of the hazard's TreeSHAP and add up to the risk's log-odds.

    python benchmarks/driver_restatement.py --data DIR --as-of 2025-12-31 \\
        --model models:/bench@champion --tracking-uri sqlite:///STORE
"""

from __future__ import annotations

import argparse

import numpy as np

from attrition.data import load_tables
from attrition.models import MONTH_DAYS
from attrition.models._survival import TENURE_COLUMNS, horizon_logit, risk_at
from attrition.models._treeshap import pred_contrib
from attrition.tracking import load_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--model", default="models:/bench@champion")
    ap.add_argument("--tracking-uri", required=True)
    a = ap.parse_args()
    model, _ = load_model(a.model, tracking_uri=a.tracking_uri)
    rows = model.snapshots(load_tables(a.data), [a.as_of])
    prepared = model.prepare(rows)
    slope, intercept = model.calibration_
    hazard = pred_contrib(model.booster_, prepared) * slope
    hazard[:, -1] += intercept
    risk = risk_at(model._prepared_hazards(prepared, model._curve_months()), model.horizon_days)
    months = model.horizon_days / MONTH_DAYS
    bias, z = hazard[:, -1], hazard.sum(axis=1)
    r = np.clip(risk, 1e-12, 1 - 1e-12)
    target = np.log(r) - np.log1p(-r)
    dz = z - bias
    old = (target - horizon_logit(bias, months)) / np.where(np.abs(dz) < 1e-9, 1.0, dz)
    old = np.where(np.abs(dz) < 1e-9, np.nan, old)
    new = model.contributions(rows, risk=risk).to_numpy()
    names = list(model.feature_names_in_)
    others = [i for i, c in enumerate(names) if c not in TENURE_COLUMNS]
    n = len(rows)
    print(f"{n:,} people employed on {a.as_of}; horizon {model.horizon_days} days, {len(model.booster_.dump_model()['tree_info'])} trees")
    print(f"old proportional factor: negative (every driver's sign flipped) on {int((old < 0).sum()):,} rows "
          f"({(old < 0).mean():.1%}); above 10 on {int((old > 10).sum()):,}; largest {np.nanmax(np.abs(old)):.1f}")
    print(f"  largest contribution it gave: {np.nanmax(np.abs(hazard[:, :-1] * old[:, None])):.1f} log-odds")
    ratio = new[:, others] / np.where(hazard[:, others] == 0, np.nan, hazard[:, others])
    print(f"current factor: {np.nanmin(ratio):.3f} to {np.nanmax(ratio):.3f}; non-tenure signs kept on every row: "
          f"{bool((np.sign(new[:, others]) == np.sign(hazard[:, others])).all())}; "
          f"largest |bias + sum - logit(risk)|: {np.abs(new.sum(axis=1) - target).max():.1e}")
    ahead = target - horizon_logit(z, months)
    print(f"the months ahead, counted to tenure: median {np.median(ahead):+.3f}, "
          f"from {ahead.min():+.3f} to {ahead.max():+.3f} log-odds")


if __name__ == "__main__":
    main()
