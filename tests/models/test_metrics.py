"""Metrics against hand-computed values."""

import numpy as np
import pytest

from attrition.models._metrics import classification_metrics, reliability_table, top_share_precision


def test_perfect_and_inverted_ranking():
    y = np.array([0, 0, 0, 1, 1])
    assert classification_metrics(y, [0.1, 0.2, 0.3, 0.8, 0.9])["roc_auc"] == 1.0
    assert classification_metrics(y, [0.9, 0.8, 0.7, 0.2, 0.1])["roc_auc"] == 0.0


def test_top_share_and_lift_by_hand():
    y = np.array([1] + [0] * 9 + [1] + [0] * 9)  # base rate 0.1
    score = np.linspace(1, 0, 20)  # the first positive ranks first
    m = classification_metrics(y, score)
    assert m["precision_top10"] == pytest.approx(0.5)  # top 2 of 20: one positive
    assert m["lift_top10"] == pytest.approx(5.0)
    assert top_share_precision(y, score, share=0.05) == 1.0


def test_brier_by_hand_and_single_class():
    m = classification_metrics([0, 1], [0.2, 0.6])
    assert m["brier"] == pytest.approx((0.04 + 0.16) / 2)
    assert np.isnan(classification_metrics([0, 0], [0.1, 0.2])["roc_auc"])


def test_prefix():
    assert "valid_roc_auc" in classification_metrics([0, 1], [0.1, 0.9], prefix="valid_")


def test_reliability_interval_holds_the_observed_rate_at_zero_and_one():
    """A bin without leavers (or only leavers): the Wilson ends must not pass the rate by rounding
    (a plot's error bars cannot be negative)."""
    for n in range(1, 300):
        p = np.linspace(0.01, 0.2, n)
        for y in (np.zeros(n), np.ones(n)):
            t = reliability_table(y, p, n_bins=1)
            assert (t["low"] <= t["observed_rate"]).all() and (t["observed_rate"] <= t["high"]).all()
            assert (t["low"] >= 0).all() and (t["high"] <= 1).all()
