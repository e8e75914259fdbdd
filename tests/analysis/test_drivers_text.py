"""Driver texts formatted once per distinct feature and value read exactly as formatted row by row."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from attrition.analysis import _drivers
from attrition.analysis._drivers import _ValueText, format_feature_value, top_drivers

#: Values that compare equal but read differently, values that never equal themselves, and types.
_TRICKY = [0.0, -0.0, 1, 1.0, True, np.float32(-0.0), np.float32(0.5), np.float64(2.0), np.int64(3),
           float("nan"), np.nan, None, float("inf"), -float("inf"), 1e300, -123.456, 0.00012, "3",
           pd.NA, False, 0]


@pytest.mark.parametrize("name", ["sched_late_share_28d", "sched_late_share_28d_vs_team", "wl_aht_28d",
                                  "sched_start_std_91d_vs_team", "tenure_days", "pay_vs_site",
                                  "survey_enps_latest", "x"])
def test_each_distinct_value_reads_as_format_feature_value_says(name):
    text = _ValueText()
    for _ in range(2):  # the second pass reads from the memo
        for value in _TRICKY:
            try:
                expected = format_feature_value(name, value)
            except Exception as exc:  # noqa: BLE001 - the same error either way
                with pytest.raises(type(exc)):
                    text(name, value)
                continue
            assert text(name, value) == expected, (name, value)


def test_top_drivers_equal_their_row_by_row_formatting(monkeypatch):
    rng = np.random.default_rng(0)
    n = 400
    feats = ["sched_late_share_28d", "sched_late_share_28d_vs_team", "wl_aht_28d", "team_size"]
    values = pd.DataFrame({
        "sched_late_share_28d": rng.choice([0.0, -0.0, 0.25, np.nan, 1.0], n),
        "sched_late_share_28d_vs_team": rng.choice([0.0, -0.0, 0.05, -0.05, np.nan], n),
        "wl_aht_28d": rng.choice([0.0, 372.0, 45.0, np.nan], n),
        "team_size": rng.choice([9, 12], n).astype(object),
    })
    contributions = pd.DataFrame(rng.normal(size=(n, len(feats))), columns=feats)
    contributions["bias"] = -1.0
    references = values.sample(frac=1.0, random_state=1).reset_index(drop=True)
    references.loc[::7] = np.nan
    got = top_drivers(contributions, values, n=3, references=references, reference_name="team median")
    # the same call with every value formatted afresh on every row
    monkeypatch.setattr(_drivers, "_ValueText", lambda: format_feature_value)
    expected = top_drivers(contributions, values, n=3, references=references, reference_name="team median")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    sentences = pd.concat([got[f"driver_{k}"] for k in (1, 2, 3)])
    assert sentences.str.contains(": -0%").any() and sentences.str.contains(": 0%").any()  # both zeros met


def test_values_that_print_differently_when_equal_are_never_remembered():
    """Equal decimals or instants may print differently (``1.0``/``1.00``, time zones): each
    is formatted on its own, and only numbers and booleans enter the memo."""
    text = _ValueText()
    assert text("x", Decimal("1.0")) == format_feature_value("x", Decimal("1.0"))
    assert text("x", Decimal("1.00")) == format_feature_value("x", Decimal("1.00"))
    utc = pd.Timestamp("2024-01-01 00:00", tz="UTC")
    paris = pd.Timestamp("2024-01-01 01:00", tz="Europe/Paris")
    assert utc == paris
    assert text("d", utc) == format_feature_value("d", utc)
    assert text("d", paris) == format_feature_value("d", paris)
    assert text("x", "text") == "text" and text("x", 3) == format_feature_value("x", 3)
    assert {key[1] for key in text.memo} == {int}
