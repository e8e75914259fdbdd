"""Simple models every attrition model must beat.

A LightGBM that a simple model beats should not ship. Three baselines are
fitted on exactly the rows and features the model sees:

* :class:`ClassPriorBaseline` — everyone gets the training base rate (ranks
  nobody: ROC AUC 0.5; its Brier score is the one to beat);
* :class:`TenureBaseline` — a logistic regression on tenure alone (log
  tenure and the first-90 and first-180-days flags), the classic "new
  joiners leave" rule;
* :class:`LogisticBaseline` — an L2-regularised logistic regression on all
  the model's features: numbers imputed with the training median plus a
  missing-value flag and standardised, categories one-hot encoded (missing
  as its own level): scikit-learn's ``StandardScaler`` and ``OneHotEncoder``
  as its ``ColumnTransformer`` would apply them, their output written into one
  preallocated matrix (:meth:`LogisticBaseline.design`; no copy of the numbers
  by the scaler, none by the stacking). The medians and flags are computed on
  one float array before it: the numbers of scikit-learn's
  ``SimpleImputer(strategy="median", add_indicator=True)``, without its
  masked-array median, most of the preprocessing's time.

Each has ``fit(X, y)`` and ``predict_risk(X)`` over data frames;
:func:`baseline_models` returns fresh instances by name.

The logistic regressions fit and predict on one BLAS thread
(:func:`one_blas_thread`): their solvers' products over the training rows
gain little from a second thread on a busy machine (with L-BFGS, the
2,700-agent centre's attrition baseline took 4.2-4.4 s of CPU on one thread
against 9.0-9.3 s on two), and the products' rounding then no longer depends
on how many cores the machine has (OpenBLAS splits some of them differently by
thread count).

Examples
--------
>>> import pandas as pd
>>> X = pd.DataFrame({"tenure_days": [10, 40, 400, 800, 30, 900], "x": [1.0, 2, 3, 4, None, 6]})
>>> y = [1, 1, 0, 0, 1, 0]
>>> risk = LogisticBaseline().fit(X, y).predict_risk(X)
>>> bool(risk[:2].min() > risk[2:4].max())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import check_array
from threadpoolctl import threadpool_limits

from attrition.exceptions import NotFittedError, SchemaError
from attrition.snapshots._build import feature_columns

__all__ = ["ClassPriorBaseline", "TenureBaseline", "LogisticBaseline", "baseline_models", "BASELINES"]

#: Names of the baselines, in the order they are reported.
BASELINES: tuple[str, ...] = ("class_prior", "tenure_only", "logistic")

#: Rows the logistic baseline standardises at a time into its design matrix (the scaler's
#: temporary copy: this many rows of the numbers, a few MiB).
_DESIGN_ROWS = 8192


def one_blas_thread() -> threadpool_limits:
    """A block in which numpy's and scikit-learn's BLAS use one thread (the baselines' solver).

    The limit is threadpoolctl's: process-wide while the block runs, and put back as it was on
    leaving, also on an error. The library fits its baselines from one thread; code that fits
    them from several Python threads at once should limit BLAS itself around the threads.

    >>> from threadpoolctl import threadpool_info
    >>> with one_blas_thread():
    ...     {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
    {1}
    """
    return threadpool_limits(limits=1, user_api="blas")


def _is_categorical(series: pd.Series) -> bool:
    return (isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object
            or pd.api.types.is_string_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype))


class _Baseline(BaseEstimator):
    def _check_fitted(self) -> None:
        if not hasattr(self, "fitted_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call fit(X, y) first.")


class ClassPriorBaseline(_Baseline):
    """Predicts the training base rate for everyone.

    Examples
    --------
    >>> ClassPriorBaseline().fit(pd.DataFrame({"a": [1, 2, 3, 4]}), [0, 0, 0, 1]).predict_risk(
    ...     pd.DataFrame({"a": [9]})).tolist()
    [0.25]
    """

    def fit(self, X: pd.DataFrame, y) -> ClassPriorBaseline:
        y = np.asarray(y, dtype="float64")
        if len(y) == 0:
            raise SchemaError("ClassPriorBaseline.fit needs at least one labelled row.")
        self.rate_ = float(y.mean())
        self.fitted_ = True
        return self

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        return np.full(len(X), self.rate_, dtype="float64")


class TenureBaseline(_Baseline):
    """Logistic regression on tenure alone (``tenure_days`` column).

    Examples
    --------
    >>> X = pd.DataFrame({"tenure_days": [5, 20, 60, 500, 700, 900]})
    >>> r = TenureBaseline().fit(X, [1, 1, 0, 0, 0, 0]).predict_risk(X)
    >>> bool(r[0] > r[-1])
    True
    """

    column: str = "tenure_days"

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        if self.column not in X.columns:
            raise SchemaError(
                f"The tenure-only baseline needs a {self.column!r} column; the frame has "
                f"{len(X.columns)} columns without it. Build snapshots with the tenure builder.",
                column=self.column,
            )
        t = pd.to_numeric(X[self.column], errors="raise").to_numpy(dtype="float64")
        t = np.where(np.isnan(t), np.nanmedian(t) if np.isfinite(t).any() else 0.0, t)
        return np.column_stack([np.log1p(np.clip(t, 0, None)), (t <= 90).astype(float),
                                (t <= 180).astype(float)])

    def fit(self, X: pd.DataFrame, y) -> TenureBaseline:
        design = self._design(X)
        with one_blas_thread():
            self.model_ = LogisticRegression(max_iter=1000).fit(design, np.asarray(y, dtype=int))
        self.fitted_ = True
        return self

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        design = self._design(X)
        with one_blas_thread():
            return self.model_.predict_proba(design)[:, 1]


class LogisticBaseline(_Baseline):
    """L2-regularised logistic regression on the same features as the model.

    The coefficients are the minimum of the penalised log loss, found by scikit-learn's
    ``newton-cholesky`` solver run to a gradient of 1e-6 (``tol``): a handful of Newton steps,
    each one product of the design matrix with itself, whose risks are within 1e-4 (2,700 agents)
    to 9e-4 (20,000 agents) of the exact minimum's. (The default L-BFGS, stopping at 1e-4, took 160-180 steps and 1.2-1.8 times
    Newton's CPU on the 2,700-agent centre's baselines, and stopped with risks up to 0.026 away
    from the minimum's, 0.21 on the 20,000-agent centre's.) A fit that does not converge in 100 steps warns (scikit-learn's
    ``ConvergenceWarning``); a single class in ``y`` is refused by scikit-learn.

    Parameters
    ----------
    C : float, default 0.1
        Inverse regularisation strength (smaller = stronger).
    features : list of str, optional
        Columns to use; default :func:`attrition.snapshots.feature_columns`
        of the frame given to ``fit``.
    """

    def __init__(self, C: float = 0.1, features: list[str] | None = None) -> None:
        self.C = C
        self.features = features

    def _numbers(self, X: pd.DataFrame, rows: int = 0) -> np.ndarray:
        """The numeric features as one float array, column ``j`` in row ``j`` (``numeric_`` x rows),
        with ``rows`` more rows left unset below them (one C-ordered buffer: its transpose is the
        rows x columns matrix, a view)."""
        out = np.empty((len(self.numeric_) + rows, len(X)), dtype="float64")
        for j, c in enumerate(self.numeric_):
            out[j] = pd.to_numeric(X[c], errors="raise").to_numpy(dtype="float64")
        return out

    def _inputs(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """The two inputs of the design: the numbers block (``_numbers``: column ``j`` in row ``j``,
        missing values imputed with the training medians, then a 0/1 flag of each number that had
        missing values in fit, what ``SimpleImputer(strategy="median", add_indicator=True)``
        outputs, in its order), filled in place; and the categories as text, missing as
        ``"(missing)"``."""
        missing = [c for c in self.features_ if c not in X.columns]
        if missing:
            raise SchemaError(
                f"The logistic baseline was fitted with columns missing here: {', '.join(missing[:10])}. "
                "Pass a frame with the same columns as in fit.",
                column=missing[0],
            )
        out = X.loc[:, self.categorical_].copy()
        for c in self.categorical_:
            out[c] = out[c].astype(object).where(out[c].notna(), "(missing)").astype(str)
        flag_row = len(self.numeric_) + np.cumsum(self.flagged_) - 1  # the flag's row, if flagged
        block = self._numbers(X, rows=int(self.flagged_.sum()))
        for j in range(len(self.numeric_)):
            unknown = np.isnan(block[j])
            if self.flagged_[j]:
                block[flag_row[j]] = unknown
            np.copyto(block[j], self.medians_[j], where=unknown)
        return block, out

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The inputs as one frame, the categories then the numbers and flags (the frame that
        scikit-learn's ``ColumnTransformer`` of the scaler and the encoder reads: its numbers'
        block is the buffer of ``_inputs``, not a copy)."""
        block, out = self._inputs(X)
        numbers = pd.DataFrame(block.T, columns=self._numeric_inputs(), index=X.index, copy=False)
        return pd.concat([out, numbers], axis=1)

    def _numeric_inputs(self) -> list[str]:
        return [*self.numeric_, *(f"missingindicator_{self.numeric_[j]}" for j in np.flatnonzero(self.flagged_))]

    def design(self, X: pd.DataFrame) -> np.ndarray | sparse.csr_matrix:
        """The solver's matrix of ``X``: the standardised numbers and flags, then the one-hot
        categories, as scikit-learn's ``ColumnTransformer([("num", StandardScaler(), ...),
        ("cat", OneHotEncoder(...), ...)])`` outputs it, bit for bit and in its memory layout,
        but built in one float buffer where it is dense: the scaler's copy of the numbers and
        ``np.hstack``'s stacked copy are never made (it standardises ``_DESIGN_ROWS`` rows at a time into the
        buffer, with the fitted scaler's own ``transform``). Where the transformer would output a
        sparse matrix (few numbers, many categories) it is the same sparse matrix, stacked as the
        transformer stacks it (there the scaler's output is a copy of the numbers)."""
        self._check_fitted()
        if not hasattr(self, "model_"):
            raise NotFittedError("This LogisticBaseline was fitted by an earlier attrition version (one "
                                 "scikit-learn pipeline): it predicts, but has no design of its own. Fit it again.")
        block, cats = self._inputs(X)
        return self._design(block, cats, fit=False)

    def _design(self, block: np.ndarray, cats: pd.DataFrame, *, fit: bool) -> np.ndarray | sparse.csr_matrix:
        """The design of the inputs of ``_inputs`` (``fit``: fitting the scaler and encoder first,
        on the numbers' column-major view and the categories' frame: what ``ColumnTransformer``
        hands them, so their means, variances and levels are its)."""
        numbers = block.T  # rows x columns, column-major: the layout the transformer's scaler reads
        n, p = numbers.shape
        if fit:
            self.scaler_ = StandardScaler().fit(numbers) if p else None
            self.encoder_ = (OneHotEncoder(handle_unknown="ignore", min_frequency=5).fit(cats)
                             if self.categorical_ else None)
        onehot = self.encoder_.transform(cats) if self.encoder_ is not None else None
        if fit:  # ColumnTransformer's rule: sparse when any part is and the whole is sparse enough
            total = n * (p + (onehot.shape[1] if onehot is not None else 0))
            nnz = n * p + (onehot.nnz if onehot is not None else 0)
            self.sparse_output_ = onehot is not None and total > 0 and nnz / total < 0.3
        if self.sparse_output_:  # ColumnTransformer's sparse stacking
            parts = [self.scaler_.transform(numbers)] if p else []
            return sparse.hstack([check_array(a, accept_sparse=True, ensure_all_finite=False)
                                  for a in [*parts, onehot]]).tocsr()
        width = p + (onehot.shape[1] if onehot is not None else 0)
        # np.hstack's layout (predict's product rounds by the layout): column-major like the
        # scaler's output when every part is column-major — the numbers alone, or the numbers
        # beside a single one-hot column (an n x 1 part is both layouts) — else row-major.
        column_major = onehot is None or (onehot.shape[1] == 1 and p >= 2)
        out = np.empty((n, width), dtype="float64", order="F" if column_major else "C")
        for start in range(0, n, _DESIGN_ROWS):
            rows = slice(start, start + _DESIGN_ROWS)
            if p:
                out[rows, :p] = self.scaler_.transform(numbers[rows])
            if onehot is not None:
                out[rows, p:] = onehot[rows].toarray()
        return out

    def fit(self, X: pd.DataFrame, y) -> LogisticBaseline:
        features = list(self.features) if self.features is not None else feature_columns(X)
        if not features:
            raise SchemaError("The logistic baseline found no feature columns to fit on.")
        self.features_ = features
        self.categorical_ = [c for c in features if _is_categorical(X[c])]
        # Columns with no value at all carry nothing (and break median imputation).
        self.numeric_ = [c for c in features if c not in self.categorical_ and X[c].notna().any()]
        self.features_ = self.categorical_ + self.numeric_
        num = self._numbers(X)
        # Each column's median of its known values: the numbers of SimpleImputer's masked-array
        # median (the middle value, or the mean of the two middle ones), at a fraction of its cost.
        self.medians_ = np.nanmedian(num.T, axis=0) if len(num) else np.empty(0)
        self.flagged_ = np.isnan(num).any(axis=1)  # SimpleImputer's indicator: missing in fit
        del num
        lr = LogisticRegression(C=self.C, solver="newton-cholesky", tol=1e-6, max_iter=100)
        block, cats = self._inputs(X)
        design = self._design(block, cats, fit=True)
        del block, cats  # only the design matrix stays for the solver
        with one_blas_thread():
            self.model_ = lr.fit(design, np.asarray(y, dtype=int))
        self.fitted_ = True
        return self

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        if not hasattr(self, "model_"):  # fitted by an earlier version: one scikit-learn pipeline
            with one_blas_thread():
                return self.pipeline_.predict_proba(self._frame(X))[:, 1]
        design = self.design(X)
        with one_blas_thread():
            return self.model_.predict_proba(design)[:, 1]


def baseline_models(features: list[str] | None = None) -> dict[str, _Baseline]:
    """Fresh, unfitted baselines by name (see :data:`BASELINES`).

    Examples
    --------
    >>> list(baseline_models())
    ['class_prior', 'tenure_only', 'logistic']
    """
    return {
        "class_prior": ClassPriorBaseline(),
        "tenure_only": TenureBaseline(),
        "logistic": LogisticBaseline(features=features),
    }
