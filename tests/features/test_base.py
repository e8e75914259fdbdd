"""The point-in-time primitives: numpy as-of lookup, trailing sums, batching, key codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition.features import _base
from attrition.features._base import (
    _cumulative_per_code,
    _encode_rows_and_queries,
    _key_batches,
    _per_day,
    _sorted_rows,
    _totals_at,
    asof_positions,
    encode_keys,
    integral_or_float,
    latest_before,
    minutes_of_day,
    same_day_values,
    trailing_sums,
)

DAY0 = pd.Timestamp("2024-01-01")


def brute_asof(ev_code, ev_time, q_code, q_time):
    """The last event row (input order among ties) with the code and time <= q."""
    out = []
    for c, t in zip(q_code, q_time, strict=True):
        best = -1
        for i, (ec, et) in enumerate(zip(ev_code, ev_time, strict=True)):
            if ec == c and c >= 0 and et <= t and (best < 0 or et >= ev_time[best]):
                best = i
        out.append(best)
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize("seed", range(30))
def test_asof_positions_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    ev_code = rng.integers(-1, 5, n)  # -1: a row without a key never matches
    ev_time = rng.integers(-3, 8, n)  # few distinct times: many ties
    q_code = rng.integers(-1, 7, 25)  # codes 5 and 6 have no rows
    q_time = rng.integers(-5, 10, 25)
    got = asof_positions(ev_code, ev_time, q_code, q_time)
    np.testing.assert_array_equal(got, brute_asof(ev_code, ev_time, q_code, q_time))


def test_asof_positions_takes_the_last_of_tied_rows_and_nothing_before_the_first():
    got = asof_positions(np.array([0, 0, 0]), np.array([5, 5, 3]), np.array([0, 0, 0]),
                         np.array([5, 4, 2]))
    assert got.tolist() == [1, 2, -1]


def frames(seed: int, dup_days: bool = True):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    ev = pd.DataFrame({
        "employee_id": rng.choice(["a", "b", "c", "d"], n),
        "date": DAY0 + pd.to_timedelta(rng.integers(0, 60, n), "D"),
        "x": rng.normal(size=n).round(3),  # not whole numbers: compensated sums
        "k": rng.integers(0, 5, n).astype(float),
        "b": rng.random(n) < 0.4,
    })
    ev.loc[rng.random(n) < 0.2, "x"] = np.nan
    if not dup_days:
        ev = ev.drop_duplicates(["employee_id", "date"]).reset_index(drop=True)
    fr = pd.DataFrame({
        "employee_id": rng.choice(["a", "b", "c", "d", "zz"], 30),  # zz has no rows
        "as_of": DAY0 + pd.to_timedelta(rng.integers(-5, 70, 30), "D"),
    })
    return ev, fr


def brute_sums(ev, fr, windows, offsets):
    """Windowed sums by filtering rows per query (NaN counts as zero)."""
    out = {f"{p}_{w}": [] for w in windows for p in ("k", "b", "n")}
    out |= {f"cum{o}_{p}": [] for o in offsets for p in ("k", "b", "n")}
    for _, q in fr.iterrows():
        mine = ev[ev["employee_id"] == q["employee_id"]]
        for w in windows:
            sel = mine[(mine["date"] <= q["as_of"]) & (mine["date"] > q["as_of"] - pd.Timedelta(days=w))]
            out[f"k_{w}"].append(sel["k"].sum())
            out[f"b_{w}"].append(float(sel["b"].sum()))
            out[f"n_{w}"].append(float(len(sel)))
        for o in offsets:
            sel = mine[mine["date"] <= q["as_of"] - pd.Timedelta(days=o)]
            out[f"cum{o}_k"].append(sel["k"].sum())
            out[f"cum{o}_b"].append(float(sel["b"].sum()))
            out[f"cum{o}_n"].append(float(len(sel)))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_trailing_sums_match_brute_force(seed):
    ev, fr = frames(seed)
    got = trailing_sums(ev, "date", {"x": "x", "k": "k", "b": "b"}, fr, [7, 30], offsets=[0, 3])
    want = brute_sums(ev, fr, [7, 30], [0, 3])
    for w in (7, 30):
        np.testing.assert_array_equal(got[f"sum_{w}_k"], want[f"k_{w}"])  # whole numbers: exact
        np.testing.assert_array_equal(got[f"sum_{w}_b"], want[f"b_{w}"])
        np.testing.assert_array_equal(got[f"n_{w}"], want[f"n_{w}"])
    for o in (0, 3):
        np.testing.assert_array_equal(got[f"cum@{o}_n"], want[f"cum{o}_n"])
        np.testing.assert_array_equal(got[f"cum@{o}_k"], want[f"cum{o}_k"])
    # float sums: same up to rounding (the brute force adds in another order)
    ref = [ev[(ev["employee_id"] == e) & (ev["date"] <= t) & (ev["date"] > t - pd.Timedelta(days=7))]["x"].sum()
           for e, t in zip(fr["employee_id"], fr["as_of"], strict=True)]
    np.testing.assert_allclose(got["sum_7_x"], ref, rtol=1e-12, atol=1e-12)
    assert (got.dtypes == "float64").all()


@pytest.mark.parametrize("seed", range(12))
def test_trailing_sums_do_not_depend_on_batches_or_row_order(seed):
    ev, fr = frames(seed)
    values = {"x": "x", "k": "k", "b": "b"}
    one = trailing_sums(ev, "date", values, fr, [7, 30], offsets=[0], batch_rows=10**9)
    for batch in (1, 2, 7):
        assert_frame_equal(trailing_sums(ev, "date", values, fr, [7, 30], offsets=[0], batch_rows=batch),
                           one, check_exact=True)
    # Rows of other employees, and the order of rows, change nothing.
    shuffled = ev.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    assert_frame_equal(trailing_sums(shuffled, "date", values, fr, [7, 30], offsets=[0], batch_rows=3),
                       one, check_exact=True)
    alone = fr["employee_id"] == "a"
    only_a = trailing_sums(ev[ev["employee_id"] == "a"], "date", values, fr[alone], [7, 30], offsets=[0])
    assert_frame_equal(only_a, one[alone.to_numpy()].reset_index(drop=True), check_exact=True)


def test_trailing_sums_of_one_date_equal_those_of_many_dates():
    """Rows after the latest as-of date are dropped; nothing else changes."""
    ev, fr = frames(3, dup_days=False)
    values = {"x": "x", "k": "k", "b": "b"}
    many = trailing_sums(ev, "date", values, fr, [7, 30], offsets=[0])
    for t in fr["as_of"].unique()[:5]:
        rows = (fr["as_of"] == t).to_numpy()
        single = trailing_sums(ev, "date", values, fr[rows], [7, 30], offsets=[0])
        assert_frame_equal(single, many[rows].reset_index(drop=True), check_exact=True)


def test_trailing_sums_sum_rows_sharing_a_day_and_count_them():
    ev = pd.DataFrame({"employee_id": ["a"] * 4, "date": [DAY0] * 3 + [DAY0 + pd.Timedelta(days=1)],
                       "x": [0.1, np.nan, 0.2, 1.0]})
    fr = pd.DataFrame({"employee_id": ["a", "a"], "as_of": [DAY0, DAY0 + pd.Timedelta(days=1)]})
    got = trailing_sums(ev, "date", {"x": "x"}, fr, [1])
    assert got["n_1"].tolist() == [3.0, 1.0]
    assert got["sum_1_x"].tolist() == [0.1 + 0.2, 1.0]


def test_trailing_sums_without_matching_keys_are_zero():
    ev = pd.DataFrame({"employee_id": ["a"], "date": [DAY0], "x": [2.0]})
    fr = pd.DataFrame({"employee_id": ["b"], "as_of": [DAY0]})
    got = trailing_sums(ev, "date", {"x": "x"}, fr, [5], offsets=[0])
    assert got.iloc[0].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_trailing_sums_with_times_of_day_compare_exact_timestamps():
    ev = pd.DataFrame({"employee_id": ["a", "a"],
                       "date": [DAY0 + pd.Timedelta(hours=10), DAY0 - pd.Timedelta(hours=1)],
                       "x": [1.0, 2.0]})
    fr = pd.DataFrame({"employee_id": ["a"], "as_of": [DAY0]})
    assert trailing_sums(ev, "date", {"x": "x"}, fr, [1])["sum_1_x"].tolist() == [2.0]


@pytest.mark.parametrize("batch_rows", [1, 3, 10, 10**6])
def test_key_batches_cut_between_keys_only(batch_rows):
    """Step 3 of trailing_sums: the batches cover every row once and never split a key."""
    rng = np.random.default_rng(batch_rows)
    codes = np.sort(rng.integers(0, 12, 60))
    batches = _key_batches(codes, batch_rows)
    assert batches[0][0] == 0 and batches[-1][1] == len(codes)
    assert all(hi == lo for (_, hi), (lo, _) in zip(batches[:-1], batches[1:], strict=True))
    assert all(codes[lo - 1] != codes[lo] for lo, _ in batches[1:])
    # As many batches as the target size asks for, as whole keys allow.
    assert len(batches) <= max(1, -(-len(codes) // batch_rows))
    assert _key_batches(codes[:0], batch_rows) == []


def test_trailing_sums_steps_give_the_sums_step_by_step():
    """The named steps of trailing_sums, run by hand, give its result."""
    ev, fr = frames(4)
    values = {"k": "k", "b": "b"}
    want = trailing_sums(ev, "date", values, fr, [7], offsets=[0])
    ev_code, ev_time, q_code, q_times = _encode_rows_and_queries(ev, "date", fr, "employee_id", [0, 7])
    ok = (q_code >= 0) & (q_times[0] != np.iinfo(np.int64).min)
    packed, rows = _sorted_rows(ev_code, ev_time, latest=q_times[0][ok].max())
    arrays = [ev["k"].to_numpy(dtype="float64"), ev["b"].to_numpy()]
    cols, keys = _per_day(arrays, slice(None) if rows is None else rows, packed)
    cum = _cumulative_per_code(cols, keys >> 32)
    at = [_totals_at(keys, cum, q_code[ok], q_time[ok]) for q_time in q_times]
    got = np.zeros((len(fr), 6))
    got[ok] = np.concatenate([at[0] - at[1], at[0]], axis=1)
    np.testing.assert_array_equal(got, want.to_numpy())


def brute_latest(ev, fr, cols, by, lag):
    rows = []
    for _, q in fr.iterrows():
        mine = ev
        for b in by:
            mine = mine[mine[b] == q[b]]
        mine = mine[mine["d"] <= q["as_of"] - pd.Timedelta(days=lag)]
        if len(mine):
            last = mine[mine["d"] == mine["d"].max()].iloc[-1]
            rows.append([last[c] for c in cols] + [last["d"]])
        else:
            rows.append([np.nan] * len(cols) + [pd.NaT])
    return pd.DataFrame(rows, columns=[*cols, "d"])


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("by", [("employee_id",), ("employee_id", "team_id")])
def test_latest_before_matches_brute_force(seed, by):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    ev = pd.DataFrame({"employee_id": rng.choice(["a", "b", "c"], n), "team_id": rng.choice(["t", "u"], n),
                       "d": DAY0 + pd.to_timedelta(rng.integers(0, 10, n), "D"), "v": rng.normal(size=n)})
    fr = pd.DataFrame({"employee_id": rng.choice(["a", "b", "c", "z"], 15), "team_id": rng.choice(["t", "u"], 15),
                       "as_of": DAY0 + pd.to_timedelta(rng.integers(-2, 14, 15), "D")})
    lag = int(rng.integers(0, 3))
    got = latest_before(ev, "d", ["v"], fr, by=by, lag_days=lag)
    want = brute_latest(ev, fr, ["v"], by, lag)
    np.testing.assert_array_equal(got["v"].to_numpy(), want["v"].to_numpy(dtype="float64"))
    np.testing.assert_array_equal(got["d"].to_numpy(), want["d"].to_numpy(dtype="datetime64[ns]"))


def test_encode_keys_compares_as_text_and_marks_unknown_keys():
    ev, q = encode_keys([pd.Series([1, 2, 1])], [pd.Series(["2", "3", "1"])])
    assert ev.tolist() == [0, 1, 0] and q.tolist() == [1, -1, 0]
    cat = pd.Series(pd.Categorical.from_codes([1, 0, 1], categories=["x", "y"]))
    ev, q = encode_keys([cat], [pd.Series(["y", "x", "w"])])
    assert ev.tolist() == [1, 0, 1] and q.tolist() == [1, 0, -1]


def test_integral_or_float_only_narrows_whole_numbers():
    assert integral_or_float(np.array([0.0, -3.0, 1440.0])).dtype == np.int32
    for values in ([0.5], [np.nan], [np.inf], [2.0**40]):
        assert integral_or_float(np.array(values)).dtype == np.float64
    assert integral_or_float(np.array([True])).dtype == bool


def test_minutes_of_day_reads_hh_mm_and_refuses_the_rest():
    got = minutes_of_day(pd.Series(["00:00", "23:59", None, "7", "ab:cd"], dtype="str"))
    np.testing.assert_array_equal(got, [0.0, 1439.0, np.nan, np.nan, np.nan])


def test_same_day_values_join_on_employee_and_day():
    table = pd.DataFrame({"employee_id": ["b", "a", "a", "c"],
                          "date": [DAY0, DAY0, DAY0 + pd.Timedelta(days=1), DAY0],
                          "w": [1.0, 2.0, np.nan, 4.0]})
    uniques = pd.Index(["a", "b", "d"])
    codes = np.array([0, 0, 1, 2, -1])
    days = (np.array([DAY0, DAY0 + pd.Timedelta(days=1), DAY0, DAY0, DAY0], dtype="datetime64[D]")
            .astype(np.int64))
    got = same_day_values(table, "w", uniques, codes, days)
    np.testing.assert_array_equal(got, [2.0, np.nan, 1.0, np.nan, np.nan])


def test_latest_before_with_a_lag_keeps_a_missing_as_of_date_missing():
    """A NaT as-of date matches nothing, whatever the lag (no wrap-around to the newest row)."""
    from attrition.features._base import latest_before

    ev = pd.DataFrame({"employee_id": ["a", "a"],
                       "d": pd.to_datetime(["2024-01-05", "2024-03-01"]), "v": [1.0, 2.0]})
    fr = pd.DataFrame({"employee_id": ["a", "a"],
                       "as_of": pd.to_datetime([None, "2024-03-10"])})
    for lag in (0, 7):
        got = latest_before(ev, "d", ["v"], fr, lag_days=lag)["v"].tolist()
        assert np.isnan(got[0]) and got[1] == 2.0


@pytest.mark.parametrize("dtype", ["str", object])
@pytest.mark.parametrize("sort", [True, False])
def test_key_codes_from_runs_equal_factorizing_every_row(monkeypatch, dtype, sort):
    """A key column sorted into runs is factorized one value per run: the same codes (order of
    first appearance, -1 for missing) and uniques as factorizing every row, runs or not."""
    monkeypatch.setattr(_base, "_RUNS_MIN_ROWS", 8)
    rng = np.random.default_rng(5)
    ids = np.array([f"E{i}" for i in rng.integers(0, 12, 400)], dtype=object)
    if sort:
        ids.sort()
    ids[rng.random(400) < 0.05] = None  # missing keys break runs and stay -1
    keys = pd.Series(ids, dtype=dtype)
    codes, uniques = _base._as_str_codes(keys)
    want_codes, want_uniques = pd.factorize(keys.astype("str"), use_na_sentinel=True)
    assert (_base._run_heads(keys.astype("str")) is not None) == sort
    assert np.array_equal(codes, want_codes) and codes.dtype == np.int64
    assert uniques.equals(pd.Index(want_uniques)) and uniques.dtype == pd.Index(want_uniques).dtype
    assert (codes[keys.isna().to_numpy()] == -1).all()


def test_encode_times_gives_day_numbers_for_midnights_and_ranks_otherwise():
    day, nat = _base._NS_PER_DAY, _base._NAT
    events = np.array([3 * day, nat, -2 * day, 0], dtype=np.int64)
    query = np.array([5 * day, nat], dtype=np.int64)
    got, (q,) = _base._encode_times(events, [query])
    assert got.tolist() == [3, nat, -2, 0] and q.tolist() == [5, nat]
    # One value off midnight (in the queries only) makes every array dense ranks,
    # order and ties kept and NaT left alone.
    got, (q,) = _base._encode_times(events, [np.array([day + 1, nat, 3 * day], dtype=np.int64)])
    assert got.tolist() == [3, nat, 0, 1] and q.tolist() == [2, nat, 3]
    # Negative times off midnight are not mistaken for midnights (floor division).
    got, _ = _base._encode_times(np.array([-1, -day], dtype=np.int64), [])
    assert got.tolist() == [1, 0]
