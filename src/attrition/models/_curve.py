"""The monthly hazard curve's raw scores, bit for bit, at the cost of about one prediction.

The hazard of month ``j`` after the as-of date is the booster's score of the
features with tenure advanced by ``j`` months (:func:`advance_tenure`): twelve
or more LightGBM predictions of the same rows that differ only in the tenure
columns. :func:`monthly_raw_scores` gives every month's raw score

1. for month 0 from LightGBM itself (``booster.predict(raw_score=True)``), and
2. for every month from LightGBM's own prediction rule in numpy: each tree's
   node decisions (:func:`attrition.models._treeshap._goes_left`, LightGBM's
   ``Decision`` with the model text's exact thresholds) are taken once per
   row for the columns that do not move and once per month for those that
   do (``tenure_days``, ``early_tenure``, ``log_tenure``); each tree's leaf
   value is selected, never computed, and the trees are added into a sum
   started at 0.0 one after another in the model's order, as
   ``GBDT::PredictRaw`` adds them, so every rounding is LightGBM's.

Month 0 of the numpy sum must equal LightGBM's for every row, and the last
month must equal LightGBM's prediction of the advanced frame on check rows
(the first rows, the moving columns' extremes, rows with an infinite moving
value: :func:`attrition.models._treeshap._check_rows`); on any difference the
curve is predicted month by month with LightGBM instead (logged). Models it does not
handle (several trees per iteration, linear trees, averaged output) and inputs
of fewer than :data:`MIN_ROWS` rows are predicted month by month too. ``tests/models/test_curve.py``
checks ``np.array_equal`` against the month-by-month predictions.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from attrition.models._survival import MONTH_DAYS, TENURE_COLUMNS, advance_tenure, advanced_columns
from attrition.models._treeshap import _ZERO, _check_rows, _goes_left, _linear, _matrix, _Tree, exact_trees

__all__ = ["monthly_raw_scores"]

log = logging.getLogger(__name__)

#: Fewer rows than this are predicted month by month by LightGBM; the result is the same.
#: The numpy rule's cost is mostly fixed per tree node for few rows (2,700-agent model,
#: 234 trees, 12 months: 0.12 s of CPU for 16 to 600 rows, against 0.24 to 0.28 s month
#: by month); the threshold only spares a handful of rows the parsing of the model text.
MIN_ROWS = 64


def _tenure(prepared: pd.DataFrame | np.ndarray, names: list[str]) -> pd.DataFrame:
    """The columns :func:`advanced_columns` reads: ``prepared`` itself, or a matrix's tenure columns."""
    if isinstance(prepared, pd.DataFrame):
        return prepared
    return pd.DataFrame({c: prepared[:, names.index(c)] for c in TENURE_COLUMNS if c in names})


def _advanced(prepared: pd.DataFrame | np.ndarray, days: float, names: list[str]) -> pd.DataFrame | np.ndarray:
    """:func:`advance_tenure` of a prepared frame or of its float matrix (columns ``names``)."""
    if isinstance(prepared, pd.DataFrame):
        return advance_tenure(prepared, days)
    columns = advanced_columns(_tenure(prepared, names), days)
    if not columns:
        return prepared
    out = prepared.copy()
    for name, values in columns.items():
        out[:, names.index(name)] = values
    return out


def _month_by_month(booster, prepared: pd.DataFrame | np.ndarray, months: int, num_iteration: int,
                    names: list[str]) -> np.ndarray:
    """The reference: one LightGBM prediction per month, tenure advanced (shape ``(months, n)``)."""
    out = np.empty((months, len(prepared)), dtype="float64")
    for j in range(months):
        out[j] = booster.predict(_advanced(prepared, j * MONTH_DAYS, names), raw_score=True,
                                 num_iteration=num_iteration)
    return out


def _supported(dump: dict) -> bool:
    return (int(dump.get("num_tree_per_iteration", 1)) == 1 and not _linear(dump)
            and not dump.get("average_output", False))


def _as_read(values: np.ndarray) -> np.ndarray:
    """Values as LightGBM's C API reads them: magnitudes up to ``kZeroThreshold`` become 0.0."""
    values = np.array(values, dtype="float64")
    values[np.abs(values) <= _ZERO] = 0.0
    return values


def _tree_output(tree: _Tree, XT: np.ndarray, moving: dict[int, np.ndarray]) -> np.ndarray | float:
    """One tree's output for every row: shape ``(n,)``, or ``(months, n)`` when a split reads a
    column that moves (``moving``: feature index to its ``(months, n)`` values)."""
    if tree.single:
        return tree.value

    def value(code: int):
        if code < 0:
            return tree.leaves[~code]["leaf_value"]
        node = tree.nodes[code]
        f = int(node["split_feature"])
        if f in moving:
            m = moving[f]
            left = _goes_left(node, m.ravel()).reshape(m.shape)
        else:
            left = _goes_left(node, XT[f])
        return np.where(left, value(node["_left"]), value(node["_right"]))

    return value(tree.root)


def _numpy_scores(trees: list[_Tree], XT: np.ndarray, moving: dict[int, np.ndarray], months: int) -> np.ndarray:
    """Every month's raw score by LightGBM's rule: leaf values added tree after tree from 0.0."""
    total = np.zeros((months, XT.shape[1]), dtype="float64")
    for tree in trees:
        total += _tree_output(tree, XT, moving)
    return total


def monthly_raw_scores(booster, prepared: pd.DataFrame | np.ndarray, months: int, *, check: bool = True,
                       min_rows: int | None = None, own: bool = False) -> np.ndarray:
    """``booster.predict(advance_tenure(prepared, j * MONTH_DAYS), raw_score=True)`` for every month.

    Parameters
    ----------
    booster : lightgbm.Booster
        A single-output model.
    prepared : pandas.DataFrame or numpy.ndarray
        The model matrix (:meth:`AttritionModel.prepare`), or the float matrix LightGBM makes of
        it (:meth:`AttritionModel.design`; its columns are the booster's features).
    months : int
        Months of the curve (month ``j`` is tenure advanced by ``j`` months).
    check : bool, default True
        Compare month 0 for every row and the last month on check rows with
        LightGBM's predictions; predict month by month on any difference (logged).
    min_rows : int, optional
        Fewer rows than this (default :data:`MIN_ROWS`) are predicted month by month.
    own : bool, default False
        ``prepared`` is a float64 matrix the caller hands over (it is not used afterwards): it
        is read in place, its values LightGBM reads as 0.0 set to 0.0, instead of copied.

    Returns
    -------
    numpy.ndarray
        Shape ``(months, n_rows)``: row ``j`` is month ``j``'s raw score, bit for
        bit LightGBM's.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"tenure_days": rng.uniform(0, 900, 400), "x": rng.normal(size=400)})
    >>> y = ((X["tenure_days"] < 200) ^ (X["x"] > 1)).astype(int)
    >>> b = lgb.train({"objective": "binary", "num_leaves": 4, "verbose": -1}, lgb.Dataset(X, y), 30)
    >>> fast = monthly_raw_scores(b, X, 12)
    >>> slow = [b.predict(advance_tenure(X, j * MONTH_DAYS), raw_score=True) for j in range(12)]
    >>> np.array_equal(fast, np.vstack(slow))
    True
    """
    months = int(months)
    min_rows = MIN_ROWS if min_rows is None else max(int(min_rows), 1)
    num_iteration = booster.best_iteration if booster.best_iteration > 0 else -1
    n = len(prepared)
    names = list(prepared.columns) if isinstance(prepared, pd.DataFrame) else booster.feature_name()
    if months <= 0 or n == 0:
        return np.empty((max(months, 0), n), dtype="float64")
    dump = booster.dump_model(num_iteration=num_iteration) if n >= min_rows and months > 1 else {}
    if not dump or not _supported(dump):
        return _month_by_month(booster, prepared, months, num_iteration, names)
    matrix = _matrix(booster, prepared, own=own)
    # LightGBM's prediction of its own float matrix: the frame's, without converting it again
    # (the values LightGBM reads as 0.0 are 0.0 in it already).
    first = np.asarray(booster.predict(matrix, raw_score=True, num_iteration=num_iteration), dtype="float64")
    XT = np.ascontiguousarray(matrix.T)
    tenure = _tenure(prepared, names)
    moving: dict[int, np.ndarray] = {}
    for j in range(months):
        for name, values in advanced_columns(tenure, j * MONTH_DAYS).items():
            f = names.index(name)
            if f not in moving:  # month 0 (and any month that does not move it) reads X's own values
                moving[f] = np.broadcast_to(XT[f], (months, n)).copy()
            moving[f][j] = _as_read(values)
    out = _numpy_scores(exact_trees(booster, dump, num_iteration), XT, moving, months)
    if check:  # the first rows, the moving columns' extremes, rows with infinite values
        rows = _check_rows(matrix[:, sorted(moving)] if moving else matrix[:, :0])
        last = prepared.iloc[rows] if isinstance(prepared, pd.DataFrame) else prepared[rows]
        reference = booster.predict(_advanced(last, (months - 1) * MONTH_DAYS, names), raw_score=True,
                                    num_iteration=num_iteration)
        if not (np.array_equal(out[0], first, equal_nan=True)
                and np.array_equal(out[-1, rows], reference, equal_nan=True)):
            log.warning("The hazard curve by LightGBM's rule in numpy differs from LightGBM's predictions; "
                        "predicting %d rows month by month with LightGBM instead.", n)
            return _month_by_month(booster, prepared, months, num_iteration, names)
    out[0] = first
    return out
