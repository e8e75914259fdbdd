
import numpy as np
import pandas as pd
import pytest

from attrition.exceptions import ConfigError, NotFittedError
from attrition.models import ConstantHazardModel

MONTH = 365.25 / 12


def _staff(n=4000, vol=(0.06, 0.02), other=0.01, seed=0):
    """Hires spread over two years; voluntary rate vol[0] in the first 3 months, vol[1] after; other exits
    at a constant rate; observed to 2025-12-31."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2025-12-31")
    hire = end - pd.to_timedelta(rng.uniform(0, 730, n), unit="D")
    t_early = rng.exponential(1 / vol[0], n)
    t_vol = np.where(t_early < 3, t_early, 3 + rng.exponential(1 / vol[1], n))
    t_other = rng.exponential(1 / other, n)
    t = np.minimum(t_vol, t_other)
    term = hire + pd.to_timedelta(t * MONTH, unit="D")
    left = term <= end
    return pd.DataFrame({"employee_id": [f"E{i}" for i in range(n)], "hire_date": hire.normalize(),
                         "termination_date": term.normalize().where(left),
                         "termination_reason": np.where(~left, None,
                                                        np.where(t_vol < t_other, "voluntary", "involuntary"))})


def test_recovers_the_rates_by_band():
    m = ConstantHazardModel(tenure_bands=(0, 3), lookback_months=24, prior_months=0).fit(_staff(),
                                                                                        as_of="2025-12-31")
    rates = m.rates_.set_index("band")
    assert rates.loc["0-3 months", "voluntary_rate"] == pytest.approx(0.06, rel=0.1)
    assert rates.loc["3+ months", "voluntary_rate"] == pytest.approx(0.02, rel=0.15)
    assert rates["other_rate"].to_numpy() == pytest.approx([0.01, 0.01], rel=0.25)
    curve = m.predict_new_hire()
    assert (np.diff(curve) >= 0).all() and curve[0] == pytest.approx(0.06 / 0.07 * (1 - np.exp(-0.07)), rel=0.1)


def test_crude_risk_is_the_net_risk_times_staying_otherwise():
    m = ConstantHazardModel(tenure_bands=(0, 3), prior_months=0).fit(_staff(), as_of="2025-12-31")
    X = pd.DataFrame({"tenure_days": [10.0, 400.0]})
    crude = np.diff(m.predict_survival(X), axis=1, prepend=0.0)
    lv = m.rates_["voluntary_rate"].to_numpy()[np.searchsorted(
        m.rates_["start_months"].to_numpy(), X["tenure_days"].to_numpy()[:, None] / MONTH + np.arange(12) + 0.5,
        side="right") - 1]
    net = np.diff(1 - np.cumprod(np.exp(-lv), axis=1), axis=1, prepend=0.0)  # voluntary exits alone
    stay = m.predict_other_survival(X)
    assert (stay[:, 0] == 1).all() and (np.diff(stay, axis=1) < 0).all()
    assert crude == pytest.approx(net * stay, rel=0.02)
    assert (crude[:, 1:] < net[:, 1:]).all()  # other exits thin the cohort


def test_not_fitted_and_bad_settings_are_refused():
    with pytest.raises(NotFittedError):
        ConstantHazardModel().predict_survival(pd.DataFrame({"tenure_days": [1.0]}))
    with pytest.raises(ConfigError, match="tenure_bands"):
        ConstantHazardModel(tenure_bands=(1, 3)).fit(_staff(100))
