"""LightGBM's exact TreeSHAP, bit for bit, computed once per decision pattern instead of once per row.

``booster.predict(X, pred_contrib=True)`` runs the TreeSHAP recursion
(Lundberg et al. 2020, Algorithm 2) for every row and every tree: it visits
every leaf of the tree and costs ``O(leaves x depth^2)`` per row and tree,
tens of times a prediction for the trees of a large centre. What one tree
adds to a row depends only on the row's *decision pattern* in that tree —
which child is the "hot" one at each internal node — and a centre's rows
share few patterns per tree. :func:`pred_contrib` therefore

1. evaluates each tree's node decisions for every row (LightGBM's own
   ``Decision`` rules: ``<=`` thresholds as the model text holds them, ``inf``
   included, values of magnitude at most ``kZeroThreshold`` read as 0, missing
   values by the node's missing type and default direction, categorical
   bitsets),
2. runs the recursion once per distinct pattern, vectorised over the
   patterns, with the same floating-point operations in the same order as
   LightGBM's ``ExtendPath``/``UnwindPath``/``UnwoundPathSum`` (no FMA:
   the wheel's library has none) — and, since a leaf's terms depend only on
   the decisions above it, on classes of patterns that agree at the nodes
   passed so far (a handful near the root, however many patterns there are),
   gathered to the patterns at each leaf, and
3. adds each row's terms into its contributions in the order LightGBM's
   recursion adds them (hot subtree first, tree after tree), so every sum is
   rounded exactly as in LightGBM.

The result equals ``pred_contrib=True`` bit for bit (``np.array_equal``;
``tests/models/test_treeshap.py``); each call also checks that on its first
rows, each feature's extremes and rows with infinite values against LightGBM and falls back to LightGBM's own (logged) on any
difference, or for models it does not handle (several trees per iteration,
linear trees, trees of more than 62 internal nodes), and leaves fewer than
:data:`PATTERN_MIN_ROWS` rows to LightGBM (faster there).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from lightgbm.basic import _data_from_pandas

__all__ = ["pred_contrib", "exact_trees"]

log = logging.getLogger(__name__)

#: LightGBM's ``kZeroThreshold`` (``1e-35f``, a float widened to double).
_ZERO = float(np.float32(1e-35))
#: Rows checked against LightGBM's own TreeSHAP on every call.
CHECK_ROWS = 16
#: Below this many rows LightGBM's own TreeSHAP is cheaper than the per-pattern
#: recursion's fixed cost per tree (measured on the 2,700- and 20,000-agent
#: centres' models: about 5,000 rows for both the 4-leaf hazard trees and the
#: 15-leaf quiet-quitting trees); the result is the same either way.
PATTERN_MIN_ROWS = 5000
_MAX_NODES = 62
#: Up to this many distinct patterns in a tree the recursion runs on the patterns themselves:
#: splitting them into classes node by node costs more than it saves (the 4-leaf trees of
#: the hazard model have at most 8 patterns; the 15-leaf quiet-quitting trees hundreds to
#: thousands on a large centre).
_CLASS_MIN_PATTERNS = 32


class _Tree:
    """One tree's arrays: internal nodes by ``split_index``, children as LightGBM codes (leaf: ``~i``)."""

    def __init__(self, info: dict) -> None:
        self.nodes: dict[int, dict] = {}
        self.leaves: dict[int, dict] = {}
        root = info["tree_structure"]
        self.single = "split_index" not in root
        self.value = float(root.get("leaf_value", 0.0)) if self.single else None  # a one-leaf tree's output
        if not self.single:
            self.root = self._walk(root)

    def _walk(self, node: dict) -> int:
        if "split_index" not in node:
            self.leaves[node["leaf_index"]] = node
            return ~int(node["leaf_index"])
        k = int(node["split_index"])
        self.nodes[k] = node
        node["_left"] = self._walk(node["left_child"])
        node["_right"] = self._walk(node["right_child"])
        return k

    def count(self, code: int) -> float:
        return float(self.nodes[code]["internal_count"] if code >= 0 else self.leaves[~code]["leaf_count"])

    def n_leaves(self, code: int) -> int:
        if code < 0:
            return 1
        node = self.nodes[code]
        return self.n_leaves(node["_left"]) + self.n_leaves(node["_right"])


def _goes_left(node: dict, x: np.ndarray) -> np.ndarray:
    """LightGBM's ``Tree::Decision`` for a column of values: True where the row goes left."""
    if node["decision_type"] == "==":  # categorical: NaN and negatives go right
        cats = [int(c) for c in str(node["threshold"]).split("||") if c != ""]
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(x) & (x > -1.0)
            as_int = np.where(ok, np.trunc(np.where(ok, x, 0.0)), -1.0)
        return ok & (as_int >= 0) & np.isin(as_int, np.asarray(cats, dtype="float64"))
    missing = node["missing_type"]
    threshold = float(node["threshold"])
    default_left = bool(node["default_left"])
    with np.errstate(invalid="ignore"):
        left = x <= threshold  # NaN compares False
    if missing == "NaN":  # NaN takes the default side; everything else compares
        return left | np.isnan(x) if default_left else left
    if missing == "Zero":  # NaN reads as 0.0; zeros take the default side
        is_missing = np.isnan(x) | ((x >= -_ZERO) & (x <= _ZERO))
        return np.where(is_missing, default_left, left)
    # no missing type: NaN reads as 0.0 and compares as 0.0
    return left | np.isnan(x) if 0.0 <= threshold else left


class _Path:
    """A TreeSHAP unique path: features and zero fractions per element (the same for every pattern),
    one fractions and path weights per pattern (arrays)."""

    __slots__ = ("feature", "zero", "one", "pweight")

    def __init__(self, feature, zero, one, pweight):
        self.feature, self.zero, self.one, self.pweight = feature, zero, one, pweight

    def copy(self) -> _Path:
        return _Path(list(self.feature), list(self.zero), list(self.one), list(self.pweight))


def _extend(path: _Path, depth: int, zero: float, one, feature: int, n: int) -> None:
    """``Tree::ExtendPath`` (``depth`` = ``unique_depth``), in place."""
    path.feature.append(feature)
    path.zero.append(zero)
    path.one.append(one)
    path.pweight.append(np.full(n, 1.0 if depth == 0 else 0.0))
    pw = path.pweight
    for i in range(depth - 1, -1, -1):
        pw[i + 1] = pw[i + 1] + one * pw[i] * float(i + 1) / float(depth + 1)
        pw[i] = zero * pw[i] * float(depth - i) / float(depth + 1)


def _unwind(path: _Path, depth: int, index: int) -> None:
    """``Tree::UnwindPath``, in place (the path loses element ``index``)."""
    one, zero = path.one[index], path.zero[index]
    pw = path.pweight
    nonzero = np.asarray(one) != 0
    nxt = pw[depth]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(depth - 1, -1, -1):
            tmp = pw[i]
            hot = nxt * float(depth + 1) / (float(i + 1) * one)
            cold = (pw[i] * float(depth + 1)) / (zero * float(depth - i))
            pw[i] = np.where(nonzero, hot, cold)
            nxt = np.where(nonzero, tmp - pw[i] * zero * float(depth - i) / float(depth + 1), nxt)
    for i in range(index, depth):
        path.feature[i] = path.feature[i + 1]
        path.zero[i] = path.zero[i + 1]
        path.one[i] = path.one[i + 1]
    del path.feature[depth], path.zero[depth], path.one[depth], path.pweight[depth]


def _unwound_sums(path: _Path, depth: int) -> np.ndarray:
    """``Tree::UnwoundPathSum`` for every path element ``1..depth`` at once: shape ``(depth, patterns)``.

    Each row of the result is computed by exactly the operations of one call of
    LightGBM's function (the elements only share the loop).
    """
    n = len(path.pweight[0])
    one = np.array(path.one[1:depth + 1], dtype="float64").reshape(depth, n)
    zero = np.asarray(path.zero[1:depth + 1], dtype="float64")[:, None]
    pw = path.pweight
    nonzero = one != 0
    nxt = np.broadcast_to(pw[depth], one.shape)
    total = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(depth - 1, -1, -1):
            tmp = nxt * float(depth + 1) / (float(i + 1) * one)
            cold = (pw[i] / zero) / (float(depth - i) / float(depth + 1))
            total = total + np.where(nonzero, tmp, cold)
            nxt = np.where(nonzero, pw[i] - tmp * zero * (float(depth - i) / float(depth + 1)), nxt)
    return total


def _refine(classes: np.ndarray, goes_left: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each class of patterns by one more decision.

    ``classes[p]``: the class of pattern ``p`` (patterns that go the same way
    at every node decided so far). Returns each pattern's new class, and per
    new class its old class and whether it goes left at the new node, the new
    classes numbered in the order of (old class, goes left), right before left.

    >>> new, old, left = _refine(np.array([0, 0, 1, 1, 0]), np.array([True, False, True, True, True]))
    >>> new.tolist(), old.tolist(), left.tolist()
    ([1, 0, 2, 2, 1], [0, 0, 1], [False, True, True])
    """
    key = classes * 2 + goes_left  # < 2 x the classes so far: a table, not a hash
    present = np.zeros(2 * (int(classes.max()) + 1) if len(classes) else 0, dtype=bool)
    present[key] = True
    uniques = np.flatnonzero(present)
    number = np.cumsum(present) - 1
    return number[key], uniques // 2, (uniques % 2).astype(bool)


def _gather(path: _Path, old: np.ndarray) -> _Path:
    """The path with every per-class array taken at ``old`` (one entry per new class)."""
    def take(v):
        return v.take(old) if isinstance(v, np.ndarray) else v

    return _Path(list(path.feature), list(path.zero), [take(v) for v in path.one],
                 [take(v) for v in path.pweight])


def _leaf_terms(tree: _Tree, left: np.ndarray) -> list[tuple[int, list[int], list[np.ndarray]]]:
    """Every leaf's TreeSHAP terms per pattern: ``(leaf code, features, terms)`` in tree order.

    ``left[:, k]``: whether each pattern's row goes left (its hot child) at
    internal node ``k``. LightGBM's recursion, once, vectorised: the unique
    path's features and zero fractions do not depend on the pattern, its one
    fractions and weights depend only on the decisions at the nodes above, so
    on the way down the recursion works on *classes* of patterns that go the
    same way at every node passed so far (one at the root, at most ``2**d``
    at depth ``d``, however many patterns the rows make) and each leaf's
    terms are gathered from its classes to the patterns. Each class goes
    through the very floating-point operations its patterns went through one
    by one, so the terms are the same bits. With at most
    :data:`_CLASS_MIN_PATTERNS` patterns every pattern is its own class.
    """
    out: list[tuple[int, list[int], list[np.ndarray]]] = []

    def recurse(code: int, depth: int, parent: _Path, zero: float, one, feature: int,
                classes: np.ndarray, n: int) -> None:
        path = parent.copy()
        _extend(path, depth, zero, one, feature, n)
        if code < 0:
            value = float(tree.leaves[~code]["leaf_value"])
            sums = _unwound_sums(path, depth) if depth else np.zeros((0, n))
            terms = [(sums[i - 1] * (path.one[i] - path.zero[i]) * value).take(classes)
                     for i in range(1, depth + 1)]
            out.append((code, path.feature[1:depth + 1], terms))
            return
        node = tree.nodes[code]
        split = int(node["split_feature"])
        w = tree.count(code)
        in_zero, in_one = 1.0, 1.0
        if split in path.feature:
            k = path.feature.index(split)
            in_zero, in_one = path.zero[k], path.one[k]
            _unwind(path, depth, k)
            depth -= 1
        if by_class:
            classes, old, goes_left = _refine(classes, left[:, code])
            path = _gather(path, old)
            if isinstance(in_one, np.ndarray):
                in_one = in_one.take(old)
            n = len(old)
        else:
            goes_left = left[:, code]
        one_left = np.where(goes_left, in_one, 0.0)
        one_right = np.where(goes_left, 0.0, in_one)
        recurse(node["_left"], depth + 1, path, (tree.count(node["_left"]) / w) * in_zero, one_left, split,
                classes, n)
        recurse(node["_right"], depth + 1, path, (tree.count(node["_right"]) / w) * in_zero, one_right, split,
                classes, n)

    n = left.shape[0]
    by_class = n > _CLASS_MIN_PATTERNS
    if by_class:  # one class at the root
        recurse(tree.root, 0, _Path([], [], [], []), 1.0, 1.0, -1, np.zeros(n, dtype=np.int64), 1)
    else:  # every pattern its own class throughout
        recurse(tree.root, 0, _Path([], [], [], []), 1.0, 1.0, -1, np.arange(n), n)
    return out


def _visit_rank(tree: _Tree, left: np.ndarray) -> dict[int, np.ndarray]:
    """The order (0, 1, ...) in which LightGBM's recursion reaches each leaf, per pattern (hot child first)."""
    ranks: dict[int, np.ndarray] = {}

    def recurse(code: int, base: np.ndarray) -> None:
        if code < 0:
            ranks[code] = base
            return
        node = tree.nodes[code]
        n_left, n_right = tree.n_leaves(node["_left"]), tree.n_leaves(node["_right"])
        goes_left = left[:, code]
        recurse(node["_left"], np.where(goes_left, base, base + n_right))
        recurse(node["_right"], np.where(goes_left, base + n_left, base))

    recurse(tree.root, np.zeros(left.shape[0], dtype=np.int64))
    return ranks


def _distinct(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct code, in order of appearance, and each row's pattern number.

    A hash table (``pandas.factorize``), not a sort: the patterns are numbered
    by first appearance instead of by code, which changes no pattern's terms
    (each is computed on its own).

    >>> first, inverse = _distinct(np.array([5, 3, 5, 9, 3]))
    >>> first.tolist(), inverse.tolist()
    ([0, 1, 3], [0, 1, 0, 2, 1])
    """
    inverse, _ = pd.factorize(codes)
    if not len(inverse):
        return np.empty(0, dtype=np.intp), inverse
    seen = np.maximum.accumulate(inverse)  # numbers appear in order: 0, 1, 2, ...
    return np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]]), inverse


def _add_tree(tree: _Tree, XT: np.ndarray, phiT: np.ndarray) -> None:
    """Add one tree's TreeSHAP terms into ``phiT`` (features x rows), in LightGBM's order.

    The terms are computed once per distinct decision pattern (which child is
    hot at every internal node) and gathered to the rows; each row's terms for
    one feature are added in the order LightGBM's recursion visits the leaves.
    """
    n_nodes = len(tree.nodes)
    decisions = np.empty((XT.shape[1], n_nodes), dtype=bool)
    for k, node in tree.nodes.items():
        decisions[:, k] = _goes_left(node, XT[int(node["split_feature"])])
    codes = decisions.astype(np.int64) @ (np.int64(1) << np.arange(n_nodes, dtype=np.int64))
    first, inverse = _distinct(codes)
    left = decisions[first]
    ranks = _visit_rank(tree, left)
    by_feature: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for code, feats, values in _leaf_terms(tree, left):
        for f, v in zip(feats, values, strict=True):
            by_feature.setdefault(f, []).append((ranks[code], v))
    for f, entries in by_feature.items():
        acc = phiT[f]
        if len(entries) == 1:
            acc += entries[0][1].take(inverse)
            continue
        rank = np.vstack([r for r, _ in entries])
        value = np.vstack([v for _, v in entries])
        order = np.argsort(rank, axis=0, kind="stable")
        ordered = np.take_along_axis(value, order, axis=0).take(inverse, axis=1)
        for term in ordered:  # the leaves' terms one after the other, as LightGBM adds them
            acc += term


def _text_arrays(booster, num_iteration: int, key: str) -> dict[int, np.ndarray]:
    """One array of every tree of the model text (``threshold``, ``leaf_value``, ...), by tree index.

    The model text writes every number exactly (17 significant digits, ``inf``
    as ``inf``), in ``split_index`` (or ``leaf_index``) order.
    """
    out: dict[int, np.ndarray] = {}
    tree = None
    prefix = f"{key}="
    for line in booster.model_to_string(num_iteration=num_iteration).splitlines():
        if line.startswith("Tree="):
            tree = int(line[5:])
        elif tree is not None and line.startswith(prefix):
            out[tree] = np.array([float(v) for v in line[len(prefix):].split()], dtype="float64")
    return out


def _exact_thresholds(booster, num_iteration: int) -> dict[int, np.ndarray]:
    """Each tree's split thresholds as LightGBM holds them, by tree index.

    ``dump_model`` writes a threshold of ``±inf`` as ``±1e300`` (LightGBM's
    ``AvoidInf``), so a value of ``inf`` would go the wrong way at such a
    split; the model text writes every threshold exactly (``inf`` included),
    in ``split_index`` order.
    """
    return _text_arrays(booster, num_iteration, "threshold")


def exact_trees(booster, dump: dict, num_iteration: int) -> list[_Tree]:
    """The trees of ``dump`` (``booster.dump_model(num_iteration=...)``) with LightGBM's exact numbers.

    Numerical thresholds and leaf values come from the model text (see
    :func:`_exact_thresholds`); categorical thresholds stay the dump's
    category lists. Tree order is LightGBM's.
    """
    thresholds = _exact_thresholds(booster, num_iteration)
    leaf_values = _text_arrays(booster, num_iteration, "leaf_value")
    trees = []
    for info in dump["tree_info"]:
        tree = _Tree(info)
        index = int(info["tree_index"])
        values = leaf_values[index]
        if tree.single:
            tree.value = float(values[0])
        else:
            exact = thresholds[index]
            for k, node in tree.nodes.items():
                if node["decision_type"] != "==":  # categorical thresholds are category lists
                    node["threshold"] = float(exact[k])
            for k, leaf in tree.leaves.items():
                leaf["leaf_value"] = float(values[k])
        trees.append(tree)
    return trees


def _check_rows(matrix: np.ndarray) -> np.ndarray:
    """The rows compared with LightGBM's own TreeSHAP on every call, in order.

    The first :data:`CHECK_ROWS` rows, the rows holding each feature's smallest
    and largest value, and up to :data:`CHECK_ROWS` rows with an infinite
    value: the edges of the decision rules, where a difference would show.
    """
    n = len(matrix)
    picks = [np.arange(min(n, CHECK_ROWS))]
    if n:
        finite = np.where(np.isfinite(matrix), matrix, np.nan)
        seen = ~np.all(np.isnan(finite), axis=0)
        if seen.any():
            picks.append(np.nanargmin(finite[:, seen], axis=0))
            picks.append(np.nanargmax(finite[:, seen], axis=0))
        picks.append(np.flatnonzero(np.isinf(matrix).any(axis=1))[:CHECK_ROWS])
    return np.unique(np.concatenate(picks).astype(np.int64))


def _linear(dump: dict) -> bool:
    """Whether any tree is a linear tree (its leaves carry ``leaf_const``; the dump has no model-wide flag)."""
    def linear(node: dict) -> bool:
        if "split_index" not in node:
            return "leaf_const" in node
        return linear(node["left_child"]) or linear(node["right_child"])

    return any(linear(info["tree_structure"]) for info in dump["tree_info"])


def _supported(dump: dict) -> bool:
    if int(dump.get("num_tree_per_iteration", 1)) != 1 or _linear(dump):
        return False
    for info in dump["tree_info"]:
        if int(info.get("num_leaves", 1)) - 1 > _MAX_NODES:
            return False
    return True


def _matrix(booster, X: pd.DataFrame | np.ndarray, *, own: bool = False) -> np.ndarray:
    """The float64 matrix LightGBM predicts from (categories as the training codes, missing NaN).

    ``own``: ``X`` is a float64 matrix the caller hands over, set in place instead of copied."""
    own = own and isinstance(X, np.ndarray) and X.dtype == np.float64 and X.flags.writeable
    if isinstance(X, pd.DataFrame):  # the conversion may be a view of the frame: copied below
        X = _data_from_pandas(X, "auto", "auto", booster.pandas_categorical)[0]
    if not own:
        X = np.array(X, dtype="float64")  # a copy: the caller's values are not touched
    # LightGBM's C API reads a value of magnitude at most kZeroThreshold as 0.0 (column by
    # column: the temporaries are one column, not the matrix).
    if X.ndim != 2:
        X[np.abs(X) <= _ZERO] = 0.0
        return X
    for j in range(X.shape[1]):
        column = X[:, j]
        column[np.abs(column) <= _ZERO] = 0.0
    return X


def pred_contrib(booster, X: pd.DataFrame | np.ndarray, *, check: bool = True,
                 min_rows: int | None = None) -> np.ndarray:
    """``booster.predict(X, pred_contrib=True)``, bit for bit, computed per decision pattern.

    Parameters
    ----------
    booster : lightgbm.Booster
        A single-output model (binary or regression).
    X : pandas.DataFrame or numpy.ndarray
        The rows, as they would be passed to ``booster.predict``.
    check : bool, default True
        Compare the first :data:`CHECK_ROWS` rows, each feature's extremes and
        rows with infinite values with LightGBM's own TreeSHAP and use LightGBM's for every row on any difference (logged).
    min_rows : int, optional
        Fewer rows than this (default :data:`PATTERN_MIN_ROWS`) are left to
        LightGBM's own TreeSHAP, which is then faster.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, n_features + 1)``: one contribution per feature, the
        expected value last.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4)); X[::7, 1] = np.nan
    >>> y = (X[:, 0] + np.nan_to_num(X[:, 1]) > 0).astype(int)
    >>> b = lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y), 20)
    >>> np.array_equal(pred_contrib(b, X, min_rows=1), b.predict(X, pred_contrib=True))
    True
    """
    min_rows = PATTERN_MIN_ROWS if min_rows is None else max(int(min_rows), 1)
    num_iteration = booster.best_iteration if booster.best_iteration > 0 else -1
    dump = booster.dump_model(num_iteration=num_iteration) if len(X) >= min_rows else {}
    if len(X) < min_rows or not _supported(dump):
        return np.asarray(booster.predict(X, pred_contrib=True, num_iteration=num_iteration), dtype="float64")
    matrix = _matrix(booster, X)
    n, n_features = matrix.shape
    rows = _check_rows(matrix)
    reference = np.asarray(booster.predict(X[rows] if not isinstance(X, pd.DataFrame) else X.iloc[rows],
                                           pred_contrib=True, num_iteration=num_iteration), dtype="float64")
    XT = np.ascontiguousarray(matrix.T)
    phiT = np.zeros((n_features + 1, n), dtype="float64")
    phiT[n_features] = reference[0, n_features]  # the expected value: the same for every row
    for tree in exact_trees(booster, dump, num_iteration):
        if not tree.single:
            _add_tree(tree, XT, phiT)
    out = np.ascontiguousarray(phiT.T)
    if check and not np.array_equal(out[rows], reference, equal_nan=True):
        log.warning("TreeSHAP by decision pattern differs from LightGBM's on %d checked rows; "
                    "using LightGBM's own for all %d rows.", len(rows), n)
        return np.asarray(booster.predict(X, pred_contrib=True, num_iteration=num_iteration), dtype="float64")
    return out
