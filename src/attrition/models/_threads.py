"""How many OpenMP threads LightGBM (and scikit-learn) use while a job runs.

A contact centre's snapshot frame is tens of thousands of rows, and the models
are small (4 to 15 leaves a tree): each boosting round is tens of milliseconds of
work split into many short parallel regions, and OpenMP's worker threads spin
between them. On a machine whose cores are busy with other work those spins cost
more CPU than the parallel work saves: `attrition train --target all` at 700
agents fitted both models in 47 s of CPU with LightGBM's default threads and in
18 s with one, with the same trees (model text byte for byte) and the same
metrics (benchmarks/README.md, issue 16, fifth round). LightGBM's
``force_col_wise`` histograms (the models' setting) give each feature's histogram
to one thread, so the trees do not depend on the number of threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

__all__ = ["limited_threads"]


@contextmanager
def limited_threads(n: int | None = 1) -> Iterator[None]:
    """Limit the OpenMP threads of LightGBM and scikit-learn to ``n`` inside the block.

    Parameters
    ----------
    n : int or None, default 1
        Threads per parallel region; ``None`` leaves the libraries' own default
        (every core). A model's ``lgbm_params={"num_threads": k}`` still wins
        inside the block: LightGBM sets its own count when given one.

    Examples
    --------
    >>> import numpy as np, lightgbm as lgb
    >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> params = {"objective": "binary", "verbose": -1, "force_col_wise": True, "deterministic": True}
    >>> with limited_threads(1):
    ...     one = lgb.train(params, lgb.Dataset(X, y), num_boost_round=5).model_to_string()
    >>> every = lgb.train(params, lgb.Dataset(X, y), num_boost_round=5).model_to_string()
    >>> one == every
    True
    """
    if n is None:
        yield
        return
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"limited_threads needs a whole number of threads of at least 1 (or None), got {n!r}.")
    with threadpool_limits(limits=int(n), user_api="openmp"):
        yield
