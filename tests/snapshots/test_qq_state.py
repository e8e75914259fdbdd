"""The quiet-quitting state model: probabilities, the as-of rule, prevalence recovery."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from sklearn.metrics import roc_auc_score

import attrition.data._simulate as simulator
from attrition import SnapshotSpec, build_snapshots
from attrition.snapshots import (
    QuietQuittingDefinition,
    fit_state_model,
    quiet_quitting_index,
    quiet_quitting_prevalence_interval,
)
from attrition.snapshots._qq_state import (
    _each_measure_loglik,
    _forward_backward,
    _independent_posterior,
    filtered_probability,
    fit_hmm,
)


def _panel(seed: int, n: int = 120, T: int = 14, shift: float = 1.5):
    rng = np.random.default_rng(seed)
    state = np.zeros((n, T), dtype=int)
    for k in range(1, T):
        u = rng.random(n)
        state[:, k] = np.where(state[:, k - 1] == 1, u > 0.15, u < 0.06)
    x = rng.standard_t(5, (n, T, 3)) + shift * state[..., None]
    x[rng.random(x.shape) < 0.1] = np.nan
    ids = np.repeat(np.arange(n), T)
    order = np.tile(np.arange(T), n)
    return x.reshape(n * T, 3), ids, order, state.ravel()


@pytest.fixture(scope="module")
def panel_params():
    x, ids, order, _ = _panel(0)
    return fit_hmm(x, ids, order, ["a", "b", "c"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), t=st.integers(0, 12), window=st.integers(1, 14),
       drop=st.floats(0, 1), scale=st.floats(-5, 5))
def test_filtered_probability_is_a_probability_and_reads_nothing_after_t(panel_params, seed, t, window,
                                                                          drop, scale):
    x, ids, order, _ = _panel(seed)
    p = filtered_probability(x, ids, order, panel_params, window=window)
    assert np.all((p >= 0) & (p <= 1))
    # Change, or drop, every observation after month t: the probabilities up to t do not move.
    rng = np.random.default_rng(seed)
    later = order > t
    x2 = x.copy()
    x2[later] = x2[later] * scale + rng.normal(0, 3, x2[later].shape)
    keep = ~later | (rng.random(len(x)) >= drop)
    p2 = filtered_probability(x2[keep], ids[keep], order[keep], panel_params, window=window)
    np.testing.assert_array_equal(p[~later], p2[~later[keep]])


def test_hmm_recovers_the_chain_of_a_known_panel(panel_params):
    x, ids, order, state = _panel(0)
    A = np.asarray(panel_params["transition"])
    assert A[0, 1] == pytest.approx(0.06, abs=0.03) and A[1, 0] == pytest.approx(0.15, abs=0.06)
    p = filtered_probability(x, ids, order, panel_params, window=12)
    assert roc_auc_score(state, p) > 0.9
    assert p.mean() == pytest.approx(state.mean(), rel=0.25)


def test_prevalence_interval_covers_and_is_zero_without_anyone_in_the_state():
    none = quiet_quitting_prevalence_interval(np.zeros(200))
    assert none["prevalence"] == 0 and none["high"] == 0
    some = quiet_quitting_prevalence_interval(np.r_[np.full(150, 0.05), np.full(50, 0.9)])
    assert some["low"] < some["prevalence"] < some["high"]


# ------------------------------------------------------ the as-of rule on snapshots
@pytest.fixture(scope="module")
def fitted(medium_snapshots):
    return fit_state_model(medium_snapshots, QuietQuittingDefinition())


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), month=st.integers(6, 20))
def test_state_probability_at_t_ignores_snapshot_rows_after_t(medium_snapshots, fitted, seed, month):
    snaps = medium_snapshots
    dates = np.sort(pd.to_datetime(snaps["as_of"]).unique())
    t = dates[month]
    upto = (pd.to_datetime(snaps["as_of"]) <= t).to_numpy()
    base = quiet_quitting_index(snaps.loc[upto], fitted)
    rng = np.random.default_rng(seed)
    other = snaps.copy()
    numeric = [c for c in other.columns if c.startswith(("sched_", "wl_")) and other[c].dtype.kind == "f"]
    later = ~upto
    other.loc[later, numeric] = other.loc[later, numeric] * rng.uniform(0.2, 3.0)
    full = quiet_quitting_index(other, fitted)
    assert_frame_equal(base, full.loc[upto])
    p = full["quiet_quitting_state_probability"].dropna()
    assert ((p >= 0) & (p <= 1)).all()


# ------------------------------------------------------------ prevalence recovery
def test_fixture_centre_prevalence_and_state_against_the_truth(medium, medium_snapshots, fitted):
    index = quiet_quitting_index(medium_snapshots, fitted)
    truth = medium.truth.rename(columns={"month_end": "as_of"})
    rows = pd.concat([medium_snapshots[["employee_id", "as_of"]], index], axis=1).merge(
        truth, on=["employee_id", "as_of"], validate="one_to_one")
    known = rows["quiet_quitting_state_probability"].notna()
    y, p = rows.loc[known, "quiet_quitting"], rows.loc[known, "quiet_quitting_state_probability"]
    assert fitted.state_model["present"]
    assert roc_auc_score(y, p) > 0.95
    assert p.mean() == pytest.approx(y.mean(), rel=0.25)


def test_a_centre_without_withdrawal_gets_a_prevalence_near_zero(monkeypatch):
    # The same simulator with every route into the state shut (the random draws are unchanged).
    for name, value in {"_QQ_INITIAL_INTERCEPT": -50.0, "_QQ_ENTRY_INTERCEPT": -50.0,
                        "_QQ_SHOCK_ENTRY": 0.0, "_QQ_NEW_LEAD_ENTRY": 0.0, "_QQ_PROMOTION_ENTRY": 0.0}.items():
        monkeypatch.setattr(simulator, name, value)
    centre = simulator.simulate(n_employees=150, months=15, seed=3)
    assert not centre.truth["quiet_quitting"].any()
    snaps = build_snapshots(centre.tables)
    definition = fit_state_model(snaps)
    p = quiet_quitting_index(snaps, definition)["quiet_quitting_state_probability"].dropna()
    assert len(p) > 1000 and p.mean() < 0.03


def test_fitted_state_model_travels_with_the_spec(medium, medium_snapshots):
    qq = SnapshotSpec(target="quiet_quitting").relabel(medium_snapshots, medium.tables)
    spec = SnapshotSpec.from_dict(qq.attrs["spec"])
    d = spec.quiet_quitting_definition()
    assert d.state_model is not None and not d.needs_fit
    assert SnapshotSpec.from_dict(spec.to_dict()) == spec  # JSON round trip keeps the parameters
    assert dataclasses.replace(d, state_model=None).needs_fit


def test_mixture_posterior_month_by_month_is_the_forward_backward_of_equal_rows():
    # A mixture's transition matrix has two equal rows: the pass over time gives each month's
    # own posterior, which the mixture's EM now computes directly.
    rng = np.random.default_rng(3)
    e = rng.random((40, 9, 2)) + 0.01
    real = np.ones((40, 9), dtype=bool)
    pi = np.array([0.8, 0.2])
    gamma, _, logc = _forward_backward(e, pi, np.vstack([pi, pi]), real)
    gamma_direct, logc_direct = _independent_posterior(e, pi)
    np.testing.assert_allclose(gamma_direct, gamma, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(logc_direct, logc, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dof", [4.0, None])
@pytest.mark.parametrize("max_iter", [200, 3])
def test_each_measure_fits_side_by_side_give_the_single_fits_log_likelihoods_bit_for_bit(dof, max_iter):
    # The BIC check's per-measure mixtures run together; each must equal its own fit exactly
    # (uneven sequences, unknown values, a measure with a single value, columns stopping apart).
    x, ids, order, _ = _panel(5, n=60, T=10)
    keep = np.random.default_rng(1).random(len(x)) > 0.25  # sequences of different lengths and gaps
    x, ids, order = x[keep], ids[keep], order[keep]
    x = np.column_stack([x, np.where(np.arange(len(x)) % 7 == 0, 2.0, np.nan), 10 * x[:, 0]])
    each = _each_measure_loglik(x, ids, order, dof=dof, max_iter=max_iter)
    single = [fit_hmm(x[:, [j]], ids, order, ["m"], method="mixture", dof=dof, max_iter=max_iter,
                      check=False)["log_likelihood"] for j in range(x.shape[1])]
    assert each == single
