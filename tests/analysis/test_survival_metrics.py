"""Calibration at a horizon: censoring by the export never makes the observed share larger."""

import numpy as np

from attrition.analysis._survival_metrics import horizon_calibration


def test_short_follow_up_drops_its_leavers_and_stayers_alike():
    rng = np.random.default_rng(0)
    n = 4000
    risk = np.full(n, 0.3)  # the true 365-day risk
    exit_day = np.where(rng.random(n) < 0.3, rng.uniform(1, 365, n), np.inf)
    followup = np.where(np.arange(n) < n // 2, 120.0, 500.0)  # half the origins are 120 days before the export
    duration = np.minimum(exit_day, followup)
    event = (exit_day <= followup).astype(float)
    naive = horizon_calibration(duration, event, {365: risk}).iloc[0]
    honest = horizon_calibration(duration, event, {365: risk}, followup_days=followup).iloc[0]
    assert honest["n"] == n // 2
    assert abs(honest["observed"] - 0.3) < 0.03
    assert naive["observed"] > 0.33  # the short follow-ups' leavers without their stayers
