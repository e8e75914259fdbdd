"""The quiet-quitting *state*: a two-state hidden Markov model fitted per centre.

Withdrawal is a state people stay in for months, seen through noisy monthly
signals. Each employee's month ends form a sequence; at each one the
observation is the vector of behavioural component z-scores of the index (for
every schedule and workload component, the robust z of the employee's own
change and of the comparison with their team, oriented so that a positive
value means *less* effort; survey components count in the index, not in the
state: see :func:`attrition.snapshots.state_observations`). Given the hidden state
(``0`` engaged as usual, ``1`` withdrawn) the dimensions are independent
Gaussians; the state moves from month end to month end by a 2 x 2 transition
matrix. Everything is fitted by expectation-maximisation (Baum-Welch) on the
centre's own training snapshots, so neither the size of the withdrawn group
nor the point at which a signal counts is a fixed number:

* ``transition[0][1]`` is the monthly base rate of entering the state,
  ``transition[1][0]`` that of leaving it;
* a component unknown in a month (no shifts, no contacts, no answer) simply
  drops out of that month's likelihood — it is neither effort nor its lack.

At scoring the probability of being in the state at ``t`` is *filtered*: it
reads the observations of the ``state_window`` month ends up to and
including ``t`` (forward algorithm, started from the fitted initial
distribution at the first of them) and nothing after ``t``. Training uses the
same window, so a month scored again gives the same probability.

The alternatives, kept for comparison (``state_method``): ``"mixture"``, the
same Gaussians without the Markov chain (each month on its own, prior =
the fitted share in the state), and ``"threshold"``, the fixed cut-off of the
index used before (``state_threshold``).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> n, T = 200, 12
>>> state = np.zeros((n, T), dtype=int)
>>> for k in range(1, T):
...     u = rng.random(n)
...     state[:, k] = np.where(state[:, k - 1] == 1, u > 0.1, u < 0.05)
>>> x = rng.normal(0, 1, (n, T, 2)) + 1.5 * state[..., None]
>>> ids = np.repeat(np.arange(n), T); order = np.tile(np.arange(T), n)
>>> params = fit_hmm(x.reshape(n * T, 2), ids, order, ["a", "b"])
>>> round(params["transition"][0][1], 2), round(params["transition"][1][0], 2)  # doctest: +SKIP
(0.05, 0.1)
>>> p = filtered_probability(x.reshape(n * T, 2), ids, order, params, window=12)
>>> bool(((p >= 0.5) == state.ravel().astype(bool)).mean() > 0.85)
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import gammaln

__all__ = ["STATE_METHODS", "fit_hmm", "filtered_probability", "smoothed_probability"]

log = logging.getLogger(__name__)

#: How the state is inferred (``QuietQuittingDefinition.state_method``).
STATE_METHODS: tuple[str, ...] = ("hmm", "mixture", "threshold")

_VAR_FLOOR = 0.05
_Z_CLIP = 6.0


# ---------------------------------------------------------------- sequences
def _sequences(ids: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Person number and position of every row in its person's sequence (sorted by ``order``)."""
    _, person = np.unique(np.asarray(ids).astype(str), return_inverse=True)
    person = person.ravel()
    sort = np.lexsort((np.asarray(order), person))
    pos = np.empty(len(person), dtype=np.int64)
    if len(person):
        p_sorted = person[sort]
        starts = np.r_[0, np.flatnonzero(np.diff(p_sorted)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, len(p_sorted)]))
        pos[sort] = np.arange(len(p_sorted)) - first
    n_people = int(person.max()) + 1 if len(person) else 0
    length = int(pos.max()) + 1 if len(pos) else 0
    return person, pos, n_people, length


def _padded(x: np.ndarray, person: np.ndarray, pos: np.ndarray, n_people: int, length: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """``(people, length, d)`` observations (NaN padding) and the real-step mask."""
    out = np.full((n_people, length, x.shape[1]), np.nan)
    out[person, pos] = x
    real = np.zeros((n_people, length), dtype=bool)
    real[person, pos] = True
    return out, real


def _log_emission(x: np.ndarray, means: np.ndarray, variances: np.ndarray, dof: float | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood of each step under each state, and the EM weights of a Student t.

    Unknown dimensions drop out (a step with none has log-likelihood 0).
    ``dof=None``: independent Gaussians; else a multivariate Student t with
    diagonal scale and ``dof`` degrees of freedom (heavy tails: one odd month
    on one measure does not make a state).
    """
    known = np.isfinite(x)
    xz = np.nan_to_num(x)
    d = known.sum(axis=-1)
    out = np.empty(x.shape[:-1] + (len(means),))
    weight = np.ones(x.shape[:-1] + (len(means),))
    for s in range(len(means)):
        sq = np.where(known, (xz - means[s]) ** 2 / variances[s], 0.0).sum(axis=-1)
        logdet = np.where(known, np.log(2 * np.pi * variances[s]), 0.0).sum(axis=-1)
        if dof is None:
            out[..., s] = -0.5 * (logdet + sq)
        else:
            nu = float(dof)
            out[..., s] = (gammaln((nu + d) / 2) - gammaln(nu / 2) - 0.5 * d * np.log(nu / 2)
                           - 0.5 * logdet - 0.5 * (nu + d) * np.log1p(sq / nu))
            weight[..., s] = (nu + d) / (nu + sq)
    return out, weight


def _scaled(le: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``exp(le - max)`` over the last axis (the states), and the max.

    With two states, elementwise: the larger one's term is ``exp(0) = 1`` and the other's is
    ``exp(-|le0 - le1|)`` (``x - y`` is exactly ``-(y - x)``), one ``exp`` per step instead of two —
    the same numbers bit for bit, NaN included.
    """
    if le.shape[-1] != 2:
        m = le.max(axis=-1, keepdims=True)
        return np.exp(le - m), m[..., 0]
    e = np.empty(le.shape)
    e[..., 0], e[..., 1], m = _scaled_pair(le[..., 0], le[..., 1])
    return e, m


def _scaled_pair(le0: np.ndarray, le1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_scaled` of two states held in two arrays: ``exp(le0 - max)``, ``exp(le1 - max)`` and
    the max.

    The term of the larger one is ``maximum(other, True)``: ``other = exp(-|d|)`` is at most 1, so
    that is exactly 1.0, and the other's ``maximum(other, False)`` is ``other`` (never below +0.0,
    NaN stays NaN) — ``np.where(d >= 0, 1.0, other)`` without its cost (a third of this function's).
    """
    d = le0 - le1
    other = np.exp(-np.abs(d))
    return np.maximum(other, d >= 0), np.maximum(other, d <= 0), np.maximum(le0, le1)


def _forward_backward(e: np.ndarray, pi: np.ndarray, A: np.ndarray, real: np.ndarray, *, transitions: bool = True):
    """Scaled forward-backward over padded sequences (padding after each sequence's end).

    The posteriors, the expected transitions summed over the real steps (``None`` unless
    ``transitions``: a mixture's first pass and the smoothed state do not read them, and they
    cost a ``(people, months, 2, 2)`` product) and the log scale factors.
    """
    P, T, _ = e.shape
    alpha = np.empty((P, T, 2))
    c = np.empty((P, T))
    a = pi[None, :] * e[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0:1]
    for k in range(1, T):
        a = (alpha[:, k - 1] @ A) * e[:, k]
        c[:, k] = a.sum(axis=1)
        alpha[:, k] = a / c[:, k:k + 1]
    beta = np.ones((P, T, 2))
    for k in range(T - 2, -1, -1):
        beta[:, k] = ((e[:, k + 1] * beta[:, k + 1]) @ A.T) / c[:, k + 1:k + 2]
    gamma = alpha * beta
    gamma /= gamma.sum(axis=2, keepdims=True)
    xi = np.zeros((2, 2)) if transitions else None
    if T > 1 and transitions:
        step = real[:, 1:]
        x = (alpha[:, :-1, :, None] * A[None, None] * (e[:, 1:] * beta[:, 1:])[:, :, None, :]
             / c[:, 1:, None, None])
        xi = (x * step[..., None, None]).sum(axis=(0, 1))
    return gamma, xi, np.log(c)


def _independent_posterior(e: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of each step and the log scale factors when both rows of the transition
    matrix equal ``pi`` (the mixture): each step on its own, what :func:`_forward_backward`
    gives for such a matrix (up to rounding), without its pass over time."""
    a = pi * e
    c = a[..., 0] + a[..., 1]  # what ``a.sum(axis=-1)`` adds, without a reduction per step
    return a / c[..., None], np.log(c)


def _observed_months(ids: Sequence, order: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows in the padded arrays' order (person, then month), each row's place in the padded
    ``(people, length)`` months, and the real-step mask of those months."""
    person, pos, P, T = _sequences(np.asarray(ids), np.asarray(order))
    real = np.zeros((P, T), dtype=bool)
    real[person, pos] = True
    rows = np.lexsort((pos, person))
    return rows, person[rows] * T + pos[rows], real


class _PaddedSum:
    """The sum of per-row values over the padded months, as a sum over the padded ``(P, T)`` array
    gives it (numpy sums a whole array pairwise, so the order of the additions depends on where the
    padding falls): the values are placed in a zeroed copy of that array."""

    def __init__(self, flat: np.ndarray, size: int) -> None:
        self.flat = flat
        self.buffer = np.zeros(size)

    def __call__(self, values: np.ndarray) -> float:
        self.buffer[self.flat] = values
        return self.buffer.sum()


def _first_guess(x: np.ndarray) -> np.ndarray:
    """EM's default starting point: the rows whose mean positive z is in the top 15 %."""
    pos_x = np.where(np.isfinite(x), np.clip(x, 0, None), 0.0)
    n_known = np.isfinite(x).sum(axis=1)
    score = np.where(n_known > 0, pos_x.sum(axis=1) / np.maximum(n_known, 1), -1.0)
    return score >= np.quantile(score, 0.85)


def _running_sums(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Sums along the last axis as numpy sums a 2-D array over its first axis (``a.sum(axis=0)``):
    from ``0.0``, adding one term after the other (not pairwise, as numpy sums along the last
    axis). The last running total (``out``: where to keep the running totals), plus ``0.0`` (the
    start: a total of ``-0.0`` terms is ``0.0``)."""
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1])
    return np.cumsum(values, axis=-1, out=out)[..., -1] + 0.0


def _fit_one_measure(x: np.ndarray, g1: np.ndarray, flat: np.ndarray, real: np.ndarray, *,
                     dof: float | None, max_iter: int, tol: float) -> dict[str, Any]:
    """The two-state mixture of one measure: ``_fit_mixtures(x[:, None, None], g1[:, None], flat,
    real, ...)[0]``, bit for bit, computed on the rows where the measure is known.

    A row where it is unknown adds exact zeros to the M-step's sums and has the same density
    under both states, so after the first iteration (the pass over time) every such row has the
    same posterior and scale factor, computed once per iteration by the same expressions; the
    sums over the person-months add the known rows' terms in the same order
    (:func:`_running_sums`), and the padded sums (:class:`_PaddedSum`) get every row's value.
    The two states are the two rows of ``(2, known rows)`` arrays, so that each operation is one
    pass over contiguous memory with one parameter per state, written in place; the squared
    distances to the means serve the variances and the densities (the same means).
    """
    P, T = real.shape
    real_sum = real.sum()
    padded = np.zeros(P * T)  # each row's value in its padded month, for the sums numpy takes pairwise
    known = np.isfinite(x)
    xk, flat_k, flat_u = x[known], flat[known], flat[~known]
    if dof is not None:  # the Student-t density's parts that depend on the known dimensions (1 or 0)
        nu = float(dof)
        n_known = np.array([1, 0])
        nu_d = nu + n_known
        head = gammaln(nu_d / 2) - gammaln(nu / 2) - 0.5 * n_known * np.log(nu / 2)  # as in _fit_mixtures
        half_nu_d = 0.5 * nu_d
    g1k = np.asarray(g1, dtype=float)[known]
    gamma = np.stack([1 - g1k, g1k])  # (2, known rows)
    u = np.ones(gamma.shape)
    w, dev, le, work, totals = (np.empty(gamma.shape) for _ in range(5))
    A = np.array([[0.95, 0.05], [0.15, 0.85]])
    pi = np.array([0.85, 0.15])
    previous = -np.inf
    gamma_u1 = None  # the unknown rows' posterior: set by each E-step, read by the next M-step
    for it in range(1, max_iter + 1):
        # M-step: sums over the known person-months, in order
        np.multiply(gamma, u, out=w)
        tot = _running_sums(w, totals)
        total_x = _running_sums(np.multiply(w, xk, out=work), totals)
        means = np.where(tot > 0, total_x / np.where(tot > 0, tot, 1), 0.0)
        tot_g = _running_sums(gamma, totals)
        np.square(np.subtract(xk, means[:, None], out=dev), out=dev)
        var = _running_sums(np.multiply(w, dev, out=work), totals) / np.where(tot_g > 0, tot_g, 1)
        variances = np.maximum(np.where(tot > 0, var, 1.0), _VAR_FLOOR)
        if it > 1:
            padded[flat_k], padded[flat_u] = gamma[1], gamma_u1
            share = padded.sum() / real_sum
            pi = np.array([1 - share, share])
            A = np.stack([pi, pi])
        # E-step: each state's log density (known rows: sq = dev / variances, and an unknown row)
        sq = np.divide(dev, variances[:, None], out=dev)
        logdet = np.log(2 * np.pi * variances)[:, None]
        if dof is None:
            np.multiply(np.add(logdet, sq, out=le), -0.5, out=le)
            le_u = -0.5 * (np.zeros((2, 1)) + np.zeros((2, 1)))
        else:
            np.multiply(half_nu_d[0], np.log1p(np.divide(sq, nu, out=work), out=work), out=work)
            np.subtract(head[0] - 0.5 * logdet, work, out=le)
            np.divide(nu_d[0], np.add(nu, sq, out=u), out=u)
            le_u = head[1] - 0.5 * np.zeros((2, 1)) - half_nu_d[1] * np.log1p(np.zeros((2, 1)) / nu)
        e0, e1, m = _scaled_pair(le[0], le[1])
        e0_u, e1_u, m_u = _scaled_pair(le_u[0], le_u[1])
        if it > 1:  # a mixture has no memory from month to month: each month on its own
            a0, a1 = np.multiply(pi[0], e0, out=e0), np.multiply(pi[1], e1, out=e1)
            c = a0 + a1
            np.divide(a0, c, out=gamma[0])
            np.divide(a1, c, out=gamma[1])
            logc = np.log(c, out=c)
            a0, a1 = pi[0] * e0_u, pi[1] * e1_u
            c = a0 + a1
            gamma_u1, logc_u = a1 / c, np.log(c)
        else:  # the first iteration starts from a persistent chain: the pass over time
            e_pad = np.ones((P * T, 2))
            e_pad[flat_k, 0], e_pad[flat_k, 1] = e0, e1
            e_pad[flat_u, 0], e_pad[flat_u, 1] = e0_u, e1_u
            g, _, lc = _forward_backward(e_pad.reshape(P, T, 2), pi, A, real, transitions=False)
            g, lc = (g * real[..., None]).reshape(P * T, 2), lc.reshape(P * T)
            gamma, logc = g[flat_k].T.copy(), lc[flat_k]
            gamma_u1, logc_u = g[flat_u, 1], lc[flat_u]
        padded[flat_k], padded[flat_u] = np.add(logc, m, out=m), logc_u + m_u
        ll = float(padded.sum())
        if (it > 2 and abs(ll - previous) <= tol * abs(ll)) or it == max_iter:
            break
        previous = ll
    return {"means": means[:, None], "variances": variances[:, None], "transition": A, "initial": pi,
            "log_likelihood": ll, "iterations": it}


def _patterns(known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct patterns of known dimensions of ``known`` ``(rows, K, d)``, as ``(patterns, K,
    d)``, and each row's pattern number."""
    flat_known = known.reshape(len(known), -1)
    if flat_known.shape[1] <= 62:  # each pattern as the bits of a number: a sort of numbers, not of rows
        code = flat_known @ (np.int64(1) << np.arange(flat_known.shape[1], dtype=np.int64))
        _, first, pattern_of = np.unique(code, return_index=True, return_inverse=True)
        patterns = flat_known[first]
    else:
        patterns, pattern_of = np.unique(flat_known, axis=0, return_inverse=True)
    return patterns.reshape((len(patterns),) + known.shape[1:]), pattern_of.ravel()


def _fit_mixtures(x: np.ndarray, g1: np.ndarray, flat: np.ndarray, real: np.ndarray, *,
                  dof: float | None, max_iter: int, tol: float, joint: bool = False) -> list[dict[str, Any]]:
    """EM of ``K`` two-state models side by side, on the observed person-months only.

    ``x`` is ``(rows, K, d)``: model ``k`` sees the ``d`` dimensions ``x[:, k]`` of every row, the
    rows in the padded arrays' order (``flat`` their places in the padded ``real.shape`` months);
    ``g1`` ``(rows, K)`` is each model's first guess of the withdrawn rows. Without ``joint`` a
    model is a mixture (both rows of its transition matrix equal the share in the state); with it,
    the chain is fitted with the emissions (``fit_hmm(method="hmm_joint")``).

    Every step is elementwise per model, or a sum over the person-months that adds the same
    non-zero terms in the same order as over the padded months (the padding adds exact zeros), or
    — the share in the state and the log-likelihood, which numpy sums pairwise — a sum over a
    padded copy (:class:`_PaddedSum`); the passes over time (the first iteration, which starts
    from a persistent chain, and every iteration of a joint fit) run on the padded months. So each
    model's fit is, bit for bit, the fit of its columns alone on padded sequences. A model stops at
    its own iteration and leaves the batch. Mixtures of one measure each (``d = 1``, the BIC
    check's per-measure fits) are fitted one by one on their known rows
    (:func:`_fit_one_measure`, the same numbers).

    Returns, per model: ``means`` and ``variances`` (2 x d), ``transition`` (2 x 2), ``initial``,
    the unrounded ``log_likelihood`` and ``iterations``.
    """
    n_rows, K, d = x.shape
    if d == 1 and not joint:  # one measure per model: each on the rows where it is known
        return [_fit_one_measure(x[:, k, 0], np.asarray(g1)[:, k], flat, real, dof=dof, max_iter=max_iter, tol=tol)
                for k in range(K)]
    P, T = real.shape
    padded_sum = _PaddedSum(flat, P * T)
    real_sum = real.sum()
    known = np.isfinite(x)
    xz = np.nan_to_num(x)
    n_known = known.sum(axis=-1)  # (rows, K): the known dimensions of each row, per model
    # The mask as the 1.0 / 0.0 numpy casts it to in the products, made once; and the few patterns
    # of known dimensions, for the log determinants (each row's is its pattern's, summed the same way).
    known_f = known.astype("float64")
    patterns, pattern_of = _patterns(known)
    if dof is not None:  # the parts of the Student-t log density that do not move between iterations
        nu = float(dof)
        nu_d = nu + n_known
        head = gammaln(nu_d / 2) - gammaln(nu / 2) - 0.5 * n_known * np.log(nu / 2)  # evaluated as in
        half_nu_d = 0.5 * nu_d  # _log_emission, left to right, so the sums round the same way
    g1 = np.asarray(g1, dtype=float)
    gamma = np.stack([1 - g1, g1], axis=-1)  # (rows, K, 2)
    u = np.ones(gamma.shape)
    A = np.tile(np.array([[0.95, 0.05], [0.15, 0.85]]), (K, 1, 1))
    pi = np.tile(np.array([0.85, 0.15]), (K, 1))
    xi = first = None  # a joint fit's expected transitions and first-month posteriors, per model
    active = np.arange(K)  # models still iterating
    results: list[dict[str, Any] | None] = [None] * K
    previous = np.full(K, -np.inf)
    for it in range(1, max_iter + 1):
        # M-step from the responsibilities (times the t weights): sums over the person-months
        mask = known_f[:, :, None, :]
        w = (gamma * u)[..., None] * mask  # (rows, K, 2, d)
        xs = xz[:, :, None, :]
        tot = w.sum(axis=0)
        prod = np.multiply(w, xs)
        means = np.where(tot > 0, prod.sum(axis=0) / np.where(tot > 0, tot, 1), 0.0)  # (K, 2, d)
        tot_g = np.multiply(gamma[..., None], mask, out=prod).sum(axis=0)
        dev = np.square(np.subtract(xs, means[None], out=prod), out=prod)
        var = np.multiply(w, dev, out=dev).sum(axis=0) / np.where(tot_g > 0, tot_g, 1)
        variances = np.maximum(np.where(tot > 0, var, 1.0), _VAR_FLOOR)
        if it > 1:
            if joint:
                A = np.stack([xi[k] / xi[k].sum(axis=1, keepdims=True) for k in range(len(active))])
                pi = np.stack([first[k].sum(axis=0) / first[k].sum() for k in range(len(active))])
            else:
                share = np.array([padded_sum(gamma[:, k, 1]) for k in range(len(active))]) / real_sum
                pi = np.stack([1 - share, share], axis=1)
                A = np.stack([pi, pi], axis=1)
        # E-step (_log_emission, every model at once)
        le = np.empty(gamma.shape)
        sq = np.empty(xz.shape)
        for s in (0, 1):
            # (finite, >= 0) times 0.0 where unknown: the 0.0 of np.where(known, ..., 0.0)
            np.square(np.subtract(xz, means[None, :, s], out=sq), out=sq)
            np.multiply(np.divide(sq, variances[None, :, s], out=sq), known_f, out=sq)
            logdet = np.where(patterns, np.log(2 * np.pi * variances[None, :, s]), 0.0)
            sq_s, logdet = (sq[..., 0], logdet[..., 0]) if d == 1 else (sq.sum(axis=-1), logdet.sum(axis=-1))
            logdet = logdet[pattern_of]
            if dof is None:
                le[..., s] = -0.5 * (logdet + sq_s)
            else:
                le[..., s] = head - 0.5 * logdet - half_nu_d * np.log1p(sq_s / nu)
                u[..., s] = nu_d / (nu + sq_s)
        e, m = _scaled(le)
        if it > 1 and not joint:  # a mixture has no memory from month to month: no pass over time
            gamma, logc = _independent_posterior(e, pi[None])
        else:
            gamma, logc = np.empty_like(e), np.empty(e.shape[:-1])
            xi, first = [], []
            for k in range(len(active)):
                e_pad = np.ones((P * T, 2))
                e_pad[flat] = e[:, k]
                g, xi_k, lc = _forward_backward(e_pad.reshape(P, T, 2), pi[k], A[k], real, transitions=joint)
                g = g * real[..., None]
                gamma[:, k], logc[:, k] = g.reshape(P * T, 2)[flat], lc.reshape(P * T)[flat]
                xi.append(xi_k)
                first.append(g[:, 0])
        ll = np.array([float(padded_sum(logc[:, k] + m[:, k])) for k in range(len(active))])
        done = (np.abs(ll - previous) <= tol * np.abs(ll)) if it > 2 else np.zeros(len(active), bool)
        if it == max_iter:
            done[:] = True
        for k in np.flatnonzero(done):
            results[active[k]] = {"means": means[k], "variances": variances[k], "transition": A[k],
                                  "initial": pi[k], "log_likelihood": float(ll[k]), "iterations": it}
        if done.all():
            break
        keep = ~done
        previous = ll[keep]
        if not keep.all():  # the converged models leave the batch
            active, pi, A = active[keep], pi[keep], A[keep]
            known, xz, gamma, u = known[:, keep], xz[:, keep], gamma[:, keep], u[:, keep]
            known_f = known_f[:, keep]
            patterns, pattern_of = _patterns(known)
            if joint:
                xi, first = [v for v, k in zip(xi, keep, strict=True) if k], [v for v, k in zip(first, keep, strict=True) if k]
            if dof is not None:
                nu_d, head, half_nu_d = nu_d[:, keep], head[:, keep], half_nu_d[:, keep]
    return results


def fit_hmm(x: np.ndarray, ids: Sequence, order: Sequence, names: Sequence[str], *,
            method: str = "hmm", dof: float | None = 4.0, initial_state: np.ndarray | None = None,
            max_iter: int = 200, tol: float = 1e-6, check: bool = True) -> dict[str, Any]:
    """Fit the two-state model to observation rows ``x`` grouped into sequences.

    Parameters
    ----------
    x : ndarray of shape (n_rows, n_dims)
        Observations; NaN marks an unknown dimension.
    ids, order : sequences of length n_rows
        The person of each row and its position in time (e.g. the as-of date).
    names : sequence of str
        The names of the dimensions (stored with the parameters).
    method : {"hmm", "mixture"}
        ``"mixture"`` ties both rows of the transition matrix to the share in
        the state (no memory from month to month).
    dof : float or None, default 4.0
        Degrees of freedom of the Student-t emissions (None: Gaussian).
    initial_state : ndarray of bool, optional
        A first guess of the withdrawn rows (default: the top 15 % of the
        mean positive z); only the starting point of EM.
    max_iter, tol : EM iterations and relative log-likelihood tolerance.

    Returns
    -------
    dict
        JSON-serialisable parameters: ``method``, ``dimensions``, ``means`` and
        ``variances`` (2 x d; state 1 is the withdrawn one: the larger mean
        withdrawal), ``transition`` (2 x 2), ``initial`` (2), ``log_likelihood``,
        ``iterations``, ``n_rows``, ``n_sequences``.
    """
    if method not in ("hmm", "mixture", "hmm_joint"):
        raise ValueError(f"method must be 'hmm' or 'mixture', got {method!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a whole number of EM iterations, at least 1; got {max_iter!r}.")
    if method == "hmm":
        # Two stages: the emissions month by month (a mixture), then the chain on top.
        params = fit_hmm(x, ids, order, names, method="mixture", dof=dof, initial_state=initial_state,
                         max_iter=max_iter, tol=tol)
        if not params["present"]:
            return {**params, "method": "hmm"}
        return _fit_chain(x, ids, order, params, max_iter=max_iter, tol=tol)
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    rows, flat, real = _observed_months(ids, order)
    if initial_state is None:
        initial_state = _first_guess(x)
    x_rows = x[rows]
    fit = _fit_mixtures(x_rows[:, None, :], np.asarray(initial_state, dtype=float)[rows][:, None], flat, real,
                        dof=dof, max_iter=max_iter, tol=tol, joint=method == "hmm_joint")[0]
    means, variances, A, pi = fit["means"], fit["variances"], fit["transition"], fit["initial"]
    ll, it = fit["log_likelihood"], fit["iterations"]
    # state 1 is the withdrawn one (larger mean z over the dimensions)
    if means[1].sum() < means[0].sum():
        means, variances = means[::-1], variances[::-1]
        A = A[::-1, ::-1]
        pi = pi[::-1]
    # Is there a shared state at all? Against one distribution, and against a two-group split of
    # each measure on its own (skewed measures such as overtime split by themselves): the
    # withdrawn state must move several measures together (BIC).
    n_obs = max(int(np.isfinite(x).any(axis=-1).sum()), 2)
    d = x.shape[-1]
    bic_two = -2 * ll + (4 * d + 1) * np.log(n_obs)
    bic_one = bic_indep = np.inf
    present = True
    if check:
        ll_one = _single_state_loglik(x_rows, _PaddedSum(flat, real.size), dof)
        bic_one = -2 * ll_one + 2 * d * np.log(n_obs)
        ll_indep = sum(_each_measure_fits(x, rows, flat, real, dof=dof, max_iter=max_iter, tol=tol))
        bic_indep = -2 * ll_indep + 5 * d * np.log(n_obs)
        present = bool(bic_two < min(bic_one, bic_indep))
    if not present:
        log.info("Quiet-quitting state: no withdrawn group moving several measures together (BIC: "
                 "two states %.0f, one state %.0f, each measure on its own %.0f)",
                 bic_two, bic_one, bic_indep)
        A = np.array([[1.0, 0.0], [1.0, 0.0]])
        pi = np.array([1.0, 0.0])
    log.info("Quiet-quitting state (%s): %d iterations, share in the state %.3f", method, it, float(pi[1]))
    return {
        "method": method,
        "dof": None if dof is None else float(dof),
        "dimensions": [str(n) for n in names],
        "means": np.round(means, 10).tolist(),
        "variances": np.round(variances, 10).tolist(),
        "transition": np.round(A, 10).tolist(),
        "initial": np.round(pi, 10).tolist(),
        "log_likelihood": round(ll, 6),
        "present": present,
        "bic_one_state": round(float(bic_one), 3) if np.isfinite(bic_one) else None,
        "bic_each_measure": round(float(bic_indep), 3) if np.isfinite(bic_indep) else None,
        "bic_two_states": round(float(bic_two), 3),
        "iterations": int(it),
        "n_rows": int(len(x)),
        "n_sequences": int(real.shape[0]),
    }


def _each_measure_loglik(x: np.ndarray, ids: Sequence, order: Sequence, *, dof: float | None,
                         max_iter: int = 200, tol: float = 1e-6) -> list[float]:
    """The log-likelihood (rounded as stored) of a two-state mixture fitted to each column of ``x``
    on its own: ``fit_hmm(x[:, [j]], ids, order, ..., method="mixture", check=False)["log_likelihood"]``
    for every ``j``, each column's fit on the rows where it is known (:func:`_fit_mixtures`,
    :func:`_fit_one_measure`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 2)); x[rng.random(300) < 0.2, 1] = np.nan
    >>> ids, order = np.repeat(np.arange(50), 6), np.tile(np.arange(6), 50)
    >>> keep = rng.random(300) > 0.3  # sequences of different lengths
    >>> x, ids, order = x[keep], ids[keep], order[keep]
    >>> each = _each_measure_loglik(x, ids, order, dof=4.0)
    >>> each == [fit_hmm(x[:, [j]], ids, order, ["m"], method="mixture", check=False)["log_likelihood"]
    ...          for j in range(2)]
    True
    """
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    return _each_measure_fits(x, *_observed_months(ids, order), dof=dof, max_iter=max_iter, tol=tol)


def _each_measure_fits(x: np.ndarray, rows: np.ndarray, flat: np.ndarray, real: np.ndarray, *,
                       dof: float | None, max_iter: int, tol: float) -> list[float]:
    """:func:`_each_measure_loglik` of the clipped ``x`` and its rows' places in the padded months
    (:func:`_observed_months`), which :func:`fit_hmm` has already made."""
    g1 = np.column_stack([_first_guess(x[:, [j]]) for j in range(x.shape[1])])  # as each fit makes it
    fits = _fit_mixtures(x[rows][:, :, None], g1[rows], flat, real, dof=dof, max_iter=max_iter, tol=tol)
    return [round(fit["log_likelihood"], 6) for fit in fits]


def _single_state_loglik(x: np.ndarray, padded_sum: _PaddedSum, dof: float | None, n_iter: int = 50) -> float:
    """Log-likelihood of one (Student t or Gaussian) distribution fitted to every row of ``x``
    (the observed person-months, in the padded arrays' order; ``padded_sum`` sums over those).

    ``n_iter`` EM iterations; only the last one's density is needed, the others' t weights
    (``(nu + d) / (nu + sq)``, as :func:`_log_emission` computes them). Gaussian: the weights
    stay 1, so every iteration gives the same mean and variance as the first.
    """
    known = np.isfinite(x)
    xz = np.nan_to_num(x)
    cnt = np.maximum(known.sum(axis=0), 1)
    u = np.ones(x.shape[:-1])
    if dof is not None:
        nu = float(dof)
        nu_d = nu + known.sum(axis=-1)
    # The products with the mask as 1.0 / 0.0 (what numpy casts it to), made once; each iteration's
    # arrays written in place. ``dev / var`` is finite (``var`` >= the floor), so times 0.0 it is
    # the 0.0 that ``np.where(known, dev / var, 0.0)`` puts there.
    known_f = known.astype("float64")
    w, prod, dev = (np.empty(x.shape) for _ in range(3))
    for it in range(n_iter if dof is None else 1, n_iter + 1):
        np.multiply(u[..., None], known_f, out=w)
        tot = w.sum(axis=0)
        mean = np.where(tot > 0, np.multiply(w, xz, out=prod).sum(axis=0) / np.where(tot > 0, tot, 1), 0.0)
        np.square(np.subtract(xz, mean, out=dev), out=dev)
        var = np.maximum(np.multiply(w, dev, out=prod).sum(axis=0) / cnt, _VAR_FLOOR)
        if it < n_iter:
            u = nu_d / (nu + np.multiply(np.divide(dev, var, out=prod), known_f, out=prod).sum(axis=-1))
    le, _ = _log_emission(x, mean[None], var[None], dof)
    return float(padded_sum(le[..., 0]))


def _fit_chain(x: np.ndarray, ids: Sequence, order: Sequence, params: dict[str, Any], *,
               max_iter: int = 200, tol: float = 1e-6) -> dict[str, Any]:
    """Baum-Welch for the transition matrix and initial distribution, the emissions held fixed."""
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    means, variances, _, pi_mix = _arrays(params)
    person, pos, P, T = _sequences(np.asarray(ids), np.asarray(order))
    X, real = _padded(x, person, pos, P, T)
    le, _ = _log_emission(X, means, variances, params.get("dof"))
    e, m = _scaled(le)
    e = np.where(real[..., None], e, 1.0)
    A = np.array([[1 - pi_mix[1] / 4, pi_mix[1] / 4], [pi_mix[0] / 4, 1 - pi_mix[0] / 4]])
    pi = pi_mix.copy()
    previous, ll, it = -np.inf, -np.inf, 0
    for it in range(1, max_iter + 1):
        gamma, xi, logc = _forward_backward(e, pi, A, real)
        ll = float(((logc + m) * real).sum())
        A = xi / xi.sum(axis=1, keepdims=True)
        pi = gamma[:, 0].sum(axis=0) / gamma[:, 0].sum()
        if it > 2 and abs(ll - previous) <= tol * abs(ll):
            break
        previous = ll
    log.info("Quiet-quitting state (hmm): entry %.3f / month, exit %.3f / month", A[0, 1], A[1, 0])
    return {**params, "method": "hmm", "transition": np.round(A, 10).tolist(),
            "initial": np.round(pi, 10).tolist(), "log_likelihood": round(ll, 6),
            "iterations": int(params["iterations"]) + it}


def _arrays(params: Mapping[str, Any]):
    return (np.asarray(params["means"], dtype="float64"), np.asarray(params["variances"], dtype="float64"),
            np.asarray(params["transition"], dtype="float64"), np.asarray(params["initial"], dtype="float64"))


def filtered_probability(x: np.ndarray, ids: Sequence, order: Sequence, params: Mapping[str, Any], *,
                         window: int) -> np.ndarray:
    """P(withdrawn at each row | the person's observations of the last ``window`` rows up to it).

    Only rows at or before a row's ``order`` (and at most ``window`` of them)
    enter its probability: this is the as-of rule. Rows with no known
    dimension get the propagated prior.
    """
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    means, variances, A, pi = _arrays(params)
    person, pos, P, T = _sequences(np.asarray(ids), np.asarray(order))
    if P == 0:
        return np.zeros(0)
    X, _ = _padded(x, person, pos, P, T)
    e, _ = _scaled(_log_emission(X, means, variances, params.get("dof"))[0])
    out = np.empty((P, T))
    window = max(int(window), 1)
    for k in range(T):
        start = max(0, k - window + 1)
        a = pi[None, :] * e[:, start]
        a /= a.sum(axis=1, keepdims=True)
        for j in range(start + 1, k + 1):
            a = (a @ A) * e[:, j]
            a /= a.sum(axis=1, keepdims=True)
        out[:, k] = a[:, 1]
    return out[person, pos]


def smoothed_probability(x: np.ndarray, ids: Sequence, order: Sequence, params: Mapping[str, Any]
                         ) -> np.ndarray:
    """P(withdrawn at each row | the person's whole sequence): for labels only (reads the future)."""
    x = np.clip(np.asarray(x, dtype="float64"), -_Z_CLIP, _Z_CLIP)
    means, variances, A, pi = _arrays(params)
    person, pos, P, T = _sequences(np.asarray(ids), np.asarray(order))
    if P == 0:
        return np.zeros(0)
    X, real = _padded(x, person, pos, P, T)
    e, _ = _scaled(_log_emission(X, means, variances, params.get("dof"))[0])
    e = np.where(real[..., None], e, 1.0)
    gamma, _, _ = _forward_backward(e, pi, A, real, transitions=False)
    return gamma[person, pos, 1]
