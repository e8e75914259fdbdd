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
    _VAR_FLOOR,
    _Z_CLIP,
    _each_measure_loglik,
    _first_guess,
    _fit_mixtures,
    _forward_backward,
    _independent_posterior,
    _log_emission,
    _observed_months,
    _padded,
    _PaddedSum,
    _patterns,
    _running_sums,
    _scaled,
    _scaled_pair,
    _sequences,
    _single_state_loglik,
    filtered_probability,
    fit_hmm,
)
from attrition.snapshots._quiet_quitting import _signals


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


@pytest.mark.parametrize("max_iter", [0, -1, 2.5, True])
@pytest.mark.parametrize("method", ["mixture", "hmm"])
def test_fit_hmm_refuses_fewer_than_one_iteration(method, max_iter):
    x, ids, order, _ = _panel(0)
    with pytest.raises(ValueError, match="max_iter must be a whole number"):
        fit_hmm(x, ids, order, [f"m{i}" for i in range(x.shape[1])], method=method, max_iter=max_iter)


def test_fit_hmm_stops_after_one_iteration_when_asked():
    x, ids, order, _ = _panel(0)
    params = fit_hmm(x, ids, order, [f"m{i}" for i in range(x.shape[1])], method="mixture", max_iter=1)
    assert params["iterations"] == 1


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


def _cut(snapshots):
    return np.sort(pd.to_datetime(snapshots["as_of"]).unique())[15]


@pytest.fixture(scope="module")
def relabelled(medium, medium_snapshots):
    """The quiet-quitting frame, the state fitted on the rows before the 16th month end."""
    return SnapshotSpec(target="quiet_quitting").relabel(medium_snapshots, medium.tables,
                                                         state_fit_before=_cut(medium_snapshots))


def test_fitted_state_model_travels_with_the_spec(relabelled):
    qq = relabelled
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


# ------------------------------------------------------------------ the fits on padded sequences
# The fits as first written: every sequence padded to the longest, sums over the padded months.
# The package fits on the observed person-months only, several models side by side; it must give
# these numbers bit for bit.
def _padded_em(x, ids, order, *, joint, dof, max_iter, tol=1e-6):
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    person, pos, P, T = _sequences(np.asarray(ids), np.asarray(order))
    X, real = _padded(x, person, pos, P, T)
    known = np.isfinite(X)
    g1 = np.zeros((P, T))
    g1[person, pos] = _first_guess(x).astype(float)
    gamma = np.stack([1 - g1, g1], axis=2) * real[..., None]
    A, pi = np.array([[0.95, 0.05], [0.15, 0.85]]), np.array([0.85, 0.15])
    previous, xi_sum, u = -np.inf, None, np.ones((P, T, 2))
    for it in range(1, max_iter + 1):
        w = (gamma * u)[..., None] * known[:, :, None, :]
        xs = np.nan_to_num(X)[:, :, None, :]
        tot = w.sum(axis=(0, 1))
        means = np.where(tot > 0, (w * xs).sum(axis=(0, 1)) / np.where(tot > 0, tot, 1), 0.0)
        tot_g = (gamma[..., None] * known[:, :, None, :]).sum(axis=(0, 1))
        var = (w * (xs - means[None, None]) ** 2).sum(axis=(0, 1)) / np.where(tot_g > 0, tot_g, 1)
        variances = np.maximum(np.where(tot > 0, var, 1.0), _VAR_FLOOR)
        if it > 1:
            if joint:
                A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
                pi = gamma[:, 0].sum(axis=0) / gamma[:, 0].sum()
            else:
                share = (gamma[..., 1] * real).sum() / real.sum()
                pi = np.array([1 - share, share])
                A = np.vstack([pi, pi])
        le, u = _log_emission(X, means, variances, dof)
        e, m = _scaled(le)
        e = np.where(real[..., None], e, 1.0)
        if not joint and it > 1:
            gamma, logc = _independent_posterior(e, pi)
        else:
            gamma, xi_sum, logc = _forward_backward(e, pi, A, real)
        gamma = gamma * real[..., None]
        ll = float(((logc + m) * real).sum())
        if it > 2 and abs(ll - previous) <= tol * abs(ll):
            break
        previous = ll
    return {"means": means, "variances": variances, "transition": A, "initial": pi, "log_likelihood": ll,
            "iterations": it}


def _padded_single_state(x, ids, order, dof):
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    person, pos, P, T = _sequences(np.asarray(ids), np.asarray(order))
    X, real = _padded(x, person, pos, P, T)
    known = np.isfinite(X) & real[..., None]
    xz, u = np.nan_to_num(X), np.ones(X.shape[:-1])
    for _ in range(50):
        w = u[..., None] * known
        tot = w.sum(axis=(0, 1))
        mean = np.where(tot > 0, (w * xz).sum(axis=(0, 1)) / np.where(tot > 0, tot, 1), 0.0)
        cnt = known.sum(axis=(0, 1))
        var = np.maximum((w * (xz - mean) ** 2).sum(axis=(0, 1)) / np.maximum(cnt, 1), _VAR_FLOOR)
        le, weight = _log_emission(np.where(known, X, np.nan), np.vstack([mean, mean]), np.vstack([var, var]), dof)
        u = weight[..., 0]
    return float((le[..., 0] * real).sum())


def _uneven_panel():
    """Sequences of different lengths and gaps, unknown values, a measure with a single value."""
    x, ids, order, _ = _panel(5, n=60, T=10)
    keep = np.random.default_rng(1).random(len(x)) > 0.25
    x, ids, order = x[keep], ids[keep], order[keep]
    x = np.column_stack([x, np.where(np.arange(len(x)) % 7 == 0, 2.0, np.nan), 10 * x[:, 0]])
    shuffle = np.random.default_rng(2).permutation(len(x))  # rows in no particular order
    return x[shuffle], ids[shuffle], order[shuffle]


def _bits(value):
    value = np.asarray(value)
    return value.shape, value.dtype, value.tobytes()  # -0.0 is not 0.0, NaN is NaN


def _assert_same_fit(fit, ref):
    for key in ("means", "variances", "transition", "initial", "log_likelihood"):
        assert _bits(fit[key]) == _bits(np.float64(ref[key]) if key == "log_likelihood" else ref[key]), key
    assert fit["iterations"] == ref["iterations"]


@pytest.mark.parametrize("dof", [4.0, None])
@pytest.mark.parametrize("joint", [False, True])
@pytest.mark.parametrize("max_iter", [200, 3, 1])
def test_the_fit_on_observed_months_is_the_padded_fit_bit_for_bit(dof, joint, max_iter):
    x, ids, order = _uneven_panel()
    x = np.clip(x, -_Z_CLIP, _Z_CLIP)
    rows, flat, real = _observed_months(ids, order)
    fit = _fit_mixtures(x[rows][:, None, :], _first_guess(x)[rows][:, None], flat, real, dof=dof,
                        max_iter=max_iter, tol=1e-6, joint=joint)[0]
    _assert_same_fit(fit, _padded_em(x, ids, order, joint=joint, dof=dof, max_iter=max_iter))


@pytest.mark.parametrize("dof", [4.0, None])
@pytest.mark.parametrize("max_iter", [200, 3])
def test_each_measure_side_by_side_is_each_padded_fit_bit_for_bit(dof, max_iter):
    # The BIC check's per-measure mixtures run together; each must equal its own fit exactly,
    # the columns stopping at different iterations.
    x, ids, order = _uneven_panel()
    x = np.clip(x, -_Z_CLIP, _Z_CLIP)
    rows, flat, real = _observed_months(ids, order)
    g1 = np.column_stack([_first_guess(x[:, [j]]) for j in range(x.shape[1])])
    fits = _fit_mixtures(x[rows][:, :, None], g1[rows], flat, real, dof=dof, max_iter=max_iter, tol=1e-6)
    refs = [_padded_em(x[:, [j]], ids, order, joint=False, dof=dof, max_iter=max_iter) for j in range(x.shape[1])]
    assert len({ref["iterations"] for ref in refs}) > 1 or max_iter == 3
    for fit, ref in zip(fits, refs, strict=True):
        _assert_same_fit(fit, ref)
    assert _each_measure_loglik(x, ids, order, dof=dof, max_iter=max_iter) == [
        round(ref["log_likelihood"], 6) for ref in refs]


@pytest.mark.parametrize("dof", [4.0, None])
def test_the_single_state_on_observed_months_is_the_padded_one_bit_for_bit(dof):
    x, ids, order = _uneven_panel()
    rows, flat, real = _observed_months(ids, order)
    x_rows = np.clip(x, -_Z_CLIP, _Z_CLIP)[rows]
    assert _single_state_loglik(x_rows, _PaddedSum(flat, real.size), dof) == _padded_single_state(x, ids, order, dof)


def test_two_state_scaling_and_mixture_posterior_are_the_plain_formulas_bit_for_bit():
    # _scaled computes one exp per step (the larger state's term is exp(0) = 1) and the
    # posterior adds the two states elementwise: the same numbers as the plain reductions.
    rng = np.random.default_rng(7)
    le = rng.normal(0, 30, (500, 3, 2))
    le[:5, 0, 1] = le[:5, 0, 0]  # ties
    le[5, 1, 0] = np.nan
    le[6, 2, 1] = -np.inf
    m = le.max(axis=-1, keepdims=True)
    e, m_fast = _scaled(le)
    np.testing.assert_array_equal(e, np.exp(le - m))
    np.testing.assert_array_equal(m_fast, m[..., 0])
    e = np.exp(le[7:] - m[7:])
    pi = np.array([[0.7, 0.3], [0.9, 0.1], [0.5, 0.5]])
    gamma, logc = _independent_posterior(e, pi)
    a = pi * e
    np.testing.assert_array_equal(gamma, a / a.sum(axis=-1, keepdims=True))
    np.testing.assert_array_equal(logc, np.log(a.sum(axis=-1)))


def _awkward_measures():
    """One column per case the fit of a single measure on its known rows must get right."""
    x, ids, order = _uneven_panel()
    n = len(x)
    rng = np.random.default_rng(11)
    some = rng.random(n) < 0.3  # unknown in about 30 % of the rows
    columns = {
        "gaps": x[:, 0],
        "always known": np.nan_to_num(x[:, 1], nan=0.5),
        "never known": np.full(n, np.nan),
        "one known row": np.where(np.arange(n) == n // 2, 1.25, np.nan),
        "constant with gaps": x[:, 3],
        "-0.0 with gaps": np.where(some, np.nan, -0.0),
        "-0.0 always": np.full(n, -0.0),
        "clipped": np.where(some, np.nan, 10 * x[:, 2]),
    }
    return np.column_stack(list(columns.values())), ids, order, list(columns)


@pytest.mark.parametrize("dof", [4.0, None])
@pytest.mark.parametrize("max_iter", [1, 2, 3, 200])
def test_one_measure_on_its_known_rows_is_the_padded_fit_bit_for_bit(dof, max_iter):
    x, ids, order, names = _awkward_measures()
    x = np.clip(x, -_Z_CLIP, _Z_CLIP)
    rows, flat, real = _observed_months(ids, order)
    g1 = np.column_stack([_first_guess(x[:, [j]]) for j in range(x.shape[1])])
    fits = _fit_mixtures(x[rows][:, :, None], g1[rows], flat, real, dof=dof, max_iter=max_iter, tol=1e-6)
    refs = [_padded_em(x[:, [j]], ids, order, joint=False, dof=dof, max_iter=max_iter) for j in range(x.shape[1])]
    for name, fit, ref in zip(names, fits, refs, strict=True):
        assert fit["iterations"] == ref["iterations"], name
        _assert_same_fit(fit, ref)
    if max_iter == 200:  # the fits stop apart
        assert len({ref["iterations"] for ref in refs}) > 2
    # numpy sums -0.0 terms to 0.0 (its sums start from 0.0): the running sums must too
    assert not np.signbit(fits[names.index("-0.0 always")]["means"]).any()


def test_running_sums_add_as_numpy_sums_over_the_first_axis_bit_for_bit():
    rng = np.random.default_rng(4)
    for n in (0, 1, 7, 8, 130, 5000):
        a = rng.standard_normal((n, 3)) * 10.0 ** rng.integers(-9, 9, (n, 3))
        a[: n // 2, 2] = -0.0  # a column of -0.0 then numbers; one of -0.0 only
        np.testing.assert_array_equal(_running_sums(a.T.copy()), a.sum(axis=0))
        assert _bits(_running_sums(a.T.copy())) == _bits(a.sum(axis=0))
        assert _bits(_running_sums(np.full((1, n), -0.0))) == _bits(np.full((n, 1), -0.0).sum(axis=0))
    a = rng.standard_normal((1000, 2))
    assert _running_sums(a.T.copy()).tolist() != [a[:, 0].sum(), a[:, 1].sum()]  # not numpy's pairwise sum


def test_two_state_scaling_is_the_where_formula_bit_for_bit_on_special_values():
    # _scaled_pair picks the larger state's 1.0 with maximum(other, mask), not np.where.
    special = np.array([0.0, -0.0, 1e-300, -1e-300, 3.5, -3.5, 800.0, -800.0, np.inf, -np.inf, np.nan])
    le0, le1 = (a.ravel() for a in np.meshgrid(special, special))
    with np.errstate(invalid="ignore"):
        e0, e1, m = _scaled_pair(le0, le1)
        d = le0 - le1
        other = np.exp(-np.abs(d))
        for got, want in ((e0, np.where(d >= 0, 1.0, other)), (e1, np.where(d <= 0, 1.0, other)),
                          (m, np.maximum(le0, le1))):
            assert _bits(got) == _bits(want)


@pytest.mark.parametrize("width", [3, 70])  # patterns as numbers, and (over 62 columns) as rows
def test_patterns_of_known_dimensions_give_every_rows_log_determinant_bit_for_bit(width):
    rng = np.random.default_rng(5)
    known = rng.random((400, 1, width)) < 0.7
    known[::9] = known[0]  # repeated patterns
    patterns, pattern_of = _patterns(known)
    assert len(patterns) == len(np.unique(known.reshape(400, -1), axis=0))
    np.testing.assert_array_equal(patterns[pattern_of], known)
    log_var = np.log(2 * np.pi * rng.uniform(0.05, 3.0, (1, 1, width)))
    per_row = np.where(known, log_var, 0.0).sum(axis=-1)
    assert _bits(np.where(patterns, log_var, 0.0).sum(axis=-1)[pattern_of]) == _bits(per_row)


@pytest.mark.parametrize("joint", [False, True])
def test_models_side_by_side_stop_apart_and_each_is_its_padded_fit_bit_for_bit(joint):
    # Several two-measure models in one batch: a converged one leaves it (the mask and the
    # patterns of known dimensions of those left are rebuilt); each must be its own fit exactly.
    x, ids, order = _uneven_panel()
    x = np.clip(x, -_Z_CLIP, _Z_CLIP)
    columns = [[0, 1], [2, 3], [3, 4], [1, 4]]
    rows, flat, real = _observed_months(ids, order)
    xk = np.stack([x[:, c] for c in columns], axis=1)  # (rows, models, 2)
    g1 = np.column_stack([_first_guess(x[:, c]) for c in columns])
    fits = _fit_mixtures(xk[rows], g1[rows], flat, real, dof=4.0, max_iter=200, tol=1e-6, joint=joint)
    refs = [_padded_em(x[:, c], ids, order, joint=joint, dof=4.0, max_iter=200) for c in columns]
    assert len({ref["iterations"] for ref in refs}) > 1
    for fit, ref in zip(fits, refs, strict=True):
        _assert_same_fit(fit, ref)


def test_forward_backward_without_the_transitions_gives_the_same_posteriors_bit_for_bit():
    # A mixture's first pass and the smoothed state skip the expected transitions they never read.
    x, ids, order = _uneven_panel()
    person, pos, P, T = _sequences(ids, order)
    X, real = _padded(np.clip(x, -_Z_CLIP, _Z_CLIP), person, pos, P, T)
    e, _ = _scaled(_log_emission(X, np.array([[0.0] * 5, [1.0] * 5]), np.ones((2, 5)), 4.0)[0])
    e = np.where(real[..., None], e, 1.0)
    A, pi = np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0.7, 0.3])
    gamma, xi, logc = _forward_backward(e, pi, A, real)
    gamma_only, none, logc_only = _forward_backward(e, pi, A, real, transitions=False)
    assert none is None and xi.shape == (2, 2)
    assert _bits(gamma_only) == _bits(gamma) and _bits(logc_only) == _bits(logc)


def test_relabel_fits_the_state_on_the_rows_before_the_cut_as_those_rows_alone_give(medium_snapshots, relabelled):
    # quiet_quitting_snapshots computes every row's signals once; the state model is fitted on
    # those of the rows dated before the cut, which must be what these rows alone give (the
    # z-scores compare the employees of each as-of date).
    snaps = medium_snapshots
    before = (pd.to_datetime(snaps["as_of"]) < _cut(snaps)).to_numpy()
    every, alone = _signals(snaps, QuietQuittingDefinition())[2], _signals(snaps.loc[before], QuietQuittingDefinition())[2]
    assert every.keys() == alone.keys()
    for name, (own, team) in every.items():
        assert (_bits(own[before]), _bits(team[before])) == (_bits(alone[name][0]), _bits(alone[name][1]))
    fitted = fit_state_model(snaps.loc[before])
    assert relabelled.attrs["quiet_quitting_definition"]["state_model"] == fitted.state_model
