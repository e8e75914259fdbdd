"""SurveyFeatures: normalisation, latest answers, non-response, order and the as-of rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition.data._tables import Tables
from attrition.features.survey import DEFAULT_ITEMS, SurveyFeatures, normalise_scores

NAN = np.nan


def surveys(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["employee_id", "survey_date", "item", "score", "scale_max"])
    df["survey_date"] = pd.to_datetime(df["survey_date"]).astype("datetime64[ns]")
    df["score"] = df["score"].astype("float64")
    df["scale_max"] = df["scale_max"].astype("float64")
    return df


def employees(hires: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employee_id": list(hires),
            "team_id": ["t1"] * len(hires),
            "hire_date": pd.to_datetime(list(hires.values())).astype("datetime64[ns]"),
        }
    )


def frame(ids, as_of) -> pd.DataFrame:
    ids = list(ids)
    as_of = [as_of] * len(ids) if not isinstance(as_of, list) else as_of
    return pd.DataFrame(
        {
            "employee_id": ids,
            "as_of": pd.to_datetime(as_of).astype("datetime64[ns]"),
            "team_id": ["t1"] * len(ids),
        }
    )


EMP = employees({"a": "2022-01-01", "z": "2022-01-01", "new": "2024-03-20", "mid": "2024-03-06"})
#: Company-wide waves from "z": Jan (opens 01-05), Feb (02-05), Mar (03-05), Apr (04-03).
HAND = surveys(
    [
        ("z", "2024-01-05", "engagement", 4, 6),
        ("z", "2024-02-05", "engagement", 4, 6),
        ("z", "2024-03-05", "engagement", 4, 6),
        ("z", "2024-04-03", "engagement", 4, 6),
        ("a", "2024-01-10", "engagement", 5, 6),
        ("a", "2024-01-10", "enps", 9, 10),
        ("a", "2024-03-12", "engagement", 3, 6),
        ("a", "2024-03-12", "enps", 0, 10),
        ("a", "2024-03-12", "pets_allowed", 2, 5),  # unknown item: no item features
        ("mid", "2024-03-10", "enps", 10, 10),  # hired after the March wave opened, answered it
    ]
)


def test_normalisation():
    s = surveys(
        [
            ("a", "2024-01-01", "enps", 0, 10),
            ("a", "2024-01-02", "enps", 10, 10),
            ("a", "2024-01-03", "enps", 7, NAN),  # default scale for enps: 0-10
            ("a", "2024-01-04", "engagement", 1, 6),
            ("a", "2024-01-05", "engagement", 6, NAN),  # default scale: 1-6
            ("a", "2024-01-06", "autonomy", 3, 5),
        ]
    )
    assert normalise_scores(s).tolist() == pytest.approx([0.0, 1.0, 0.7, 0.0, 1.0, 0.5])
    no_scale = s.drop(columns="scale_max")
    assert normalise_scores(no_scale).tolist() == pytest.approx([0.0, 1.0, 0.7, 0.0, 1.0, 0.4])


def test_latest_answers_and_changes():
    builder = SurveyFeatures(privacy="identified")
    fr = frame(["a", "a", "a", "z"], ["2024-01-09", "2024-01-10", "2024-03-31", "2024-03-31"])
    out = builder.build(Tables(EMP, surveys=HAND), fr)
    # Before the first answer: nothing known.
    assert np.isnan(out.loc[0, "survey_engagement_latest"])
    assert np.isnan(out.loc[0, "survey_days_since_answer"])
    # An answer dated exactly t counts.
    assert out.loc[1, "survey_engagement_latest"] == pytest.approx(0.8)
    assert out.loc[1, "survey_enps_latest"] == pytest.approx(0.9)
    assert np.isnan(out.loc[1, "survey_enps_change"])
    assert out.loc[1, "survey_days_since_answer"] == 0.0
    assert out.loc[2, "survey_engagement_latest"] == pytest.approx(0.4)
    assert out.loc[2, "survey_engagement_change"] == pytest.approx(-0.4)
    assert out.loc[2, "survey_enps_change"] == pytest.approx(-0.9)
    assert out.loc[2, "survey_days_since_answer"] == 19.0
    assert out.loc[2, ["survey_autonomy_latest", "survey_autonomy_change"]].isna().all()
    assert not any("pets" in c for c in out.columns)
    assert out.loc[3, "survey_engagement_latest"] == pytest.approx(0.6)
    assert out.loc[3, "survey_engagement_change"] == 0.0


def test_non_response():
    builder = SurveyFeatures(privacy="identified")
    fr = frame(
        ["a", "a", "new", "new", "mid", "z", "a"],
        [
            "2024-03-31",
            "2024-04-30",
            "2024-03-31",
            "2024-04-30",
            "2024-03-31",
            "2024-04-30",
            "2024-01-04",
        ],
    )
    out = builder.build(Tables(EMP, surveys=HAND), fr)
    cols = ["survey_answered_last_wave", "survey_response_rate_365d", "survey_waves_missed"]
    got = out[cols].to_numpy()
    expected = np.array(
        [
            [1.0, 2 / 3, 0.0],  # a: Jan and Mar answered, Feb missed
            [0.0, 2 / 4, 1.0],  # a: April wave opened, not answered
            [NAN, NAN, NAN],  # new: hired after the March wave: nothing to answer yet
            [0.0, 0.0, 1.0],  # new: eligible for April only, missed it
            [1.0, 1.0, 0.0],  # mid: hired after March opened but answered it
            [1.0, 1.0, 0.0],  # z: answered every wave
            [NAN, NAN, NAN],  # before the first wave
        ]
    )
    np.testing.assert_allclose(got, expected, equal_nan=True)


def test_wave_in_progress_and_answers_after_t():
    s = surveys(
        [
            ("z", "2024-05-02", "engagement", 4, 6),
            ("a", "2024-05-20", "engagement", 4, 6),
            ("z", "2024-06-01", "engagement", 4, 6),
        ]
    )
    emp = employees({"a": "2022-01-01", "z": "2022-01-01"})
    out = SurveyFeatures(privacy="identified").build(
        Tables(emp, surveys=s), frame(["a", "a", "a"], ["2024-05-01", "2024-05-10", "2024-05-31"])
    )
    # 05-01: no wave yet; 05-10: May wave open, a has not answered (yet); 05-31: answered.
    np.testing.assert_allclose(out["survey_answered_last_wave"], [NAN, 0.0, 1.0], equal_nan=True)
    np.testing.assert_allclose(out["survey_waves_missed"], [NAN, 1.0, 0.0], equal_nan=True)


def test_response_window_edge():
    # Waves opening exactly t - 365 are outside; t - 364 inside.
    t = pd.Timestamp("2024-12-31")
    s = surveys(
        [
            ("z", t - pd.Timedelta(days=365), "engagement", 4, 6),  # 2024-01-01 opens January
            ("a", t - pd.Timedelta(days=365), "engagement", 4, 6),
            ("z", t - pd.Timedelta(days=300), "engagement", 4, 6),
        ]
    )
    emp = employees({"a": "2022-01-01", "z": "2022-01-01"})
    out = SurveyFeatures(privacy="identified").build(
        Tables(emp, surveys=s), frame(["a", "a"], [t, t - pd.Timedelta(days=1)])
    )
    # At t the answered wave opened t - 365 (outside): 0 of 1. A day earlier it is inside: 1 of 2.
    assert out["survey_response_rate_365d"].tolist() == [0.0, 0.5]
    assert out["survey_waves_missed"].tolist() == [1.0, 1.0]


def test_contract_of_the_output():
    builder = SurveyFeatures(privacy="identified")
    fr = frame(
        ["a", "z", "new", "a", "nobody"],
        ["2024-03-31", "2024-03-31", "2024-04-30", "2024-01-10", "2024-03-31"],
    )
    tables = Tables(EMP, surveys=HAND)
    out = builder.build(tables, fr)
    assert isinstance(out.index, pd.RangeIndex) and len(out) == len(fr)
    assert list(out.columns) == list(builder.labels())
    assert len(out.columns) == 2 * len(DEFAULT_ITEMS) + 4
    assert (out.dtypes == "float64").all()
    assert all(name.startswith("survey_") and name == name.lower() for name in out.columns)
    peers = builder.peer_features()
    assert 3 <= len(peers) <= 6 and set(peers) <= set(builder.labels())
    perm = np.array([3, 0, 4, 2, 1])
    shuffled = builder.build(tables, fr.iloc[perm].reset_index(drop=True))
    assert_frame_equal(shuffled, out.iloc[perm].reset_index(drop=True))
    assert_frame_equal(builder.build(tables, fr.set_axis([10, 7, 3, 99, 5])), out)
    missing = builder.build(Tables(EMP), fr)
    assert list(missing.columns) == list(builder.labels()) and missing.isna().all().all()
    empty = builder.build(Tables(EMP, surveys=HAND.iloc[:0]), fr)
    assert empty.isna().all().all()


def test_rows_after_as_of_do_not_change_features():
    builder = SurveyFeatures(privacy="identified")
    fr = frame(["a", "z", "new", "mid"], "2024-03-31")
    before = builder.build(Tables(EMP, surveys=HAND), fr)
    after_t = HAND["survey_date"] > pd.Timestamp("2024-03-31")
    changed = HAND.copy()
    changed.loc[after_t, "score"] = 1.0
    extra = surveys(
        [
            ("a", "2024-04-01", "engagement", 6, 6),
            ("new", "2024-04-15", "enps", 2, 10),
            ("z", "2024-05-01", "intent_to_stay", 1, 6),
        ]
    )
    changed = pd.concat([changed, extra], ignore_index=True)
    assert_frame_equal(builder.build(Tables(EMP, surveys=changed), fr), before, check_exact=True)
    deleted = HAND[~after_t]
    assert_frame_equal(builder.build(Tables(EMP, surveys=deleted), fr), before, check_exact=True)


@st.composite
def answers(draw):
    n = draw(st.integers(0, 20))
    rows = []
    for _ in range(n):
        item = draw(st.sampled_from(["engagement", "enps", "other"]))
        rows.append(
            (
                draw(st.sampled_from(["a", "b", "z"])),
                pd.Timestamp("2024-01-01") + pd.Timedelta(days=draw(st.integers(0, 150))),
                item,
                float(draw(st.integers(0, 10) if item == "enps" else st.integers(1, 6))),
                10.0 if item == "enps" else draw(st.sampled_from([6.0, NAN])),
            )
        )
    df = surveys(rows)
    return df.drop_duplicates(["employee_id", "survey_date", "item"]).reset_index(drop=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sv=answers(),
    offsets=st.lists(st.integers(0, 170), min_size=1, max_size=4),
    hires=st.tuples(st.integers(-30, 120), st.integers(-30, 120)),
)
def test_property_truncated_tables_give_the_same_features(sv, offsets, hires):
    base = pd.Timestamp("2024-01-01")
    emp = employees(
        {
            "a": base + pd.Timedelta(days=hires[0]),
            "b": base + pd.Timedelta(days=hires[1]),
            "z": base - pd.Timedelta(days=400),
        }
    )
    builder = SurveyFeatures(items=["engagement", "enps"], response_window=60, privacy="identified")
    dates = [base + pd.Timedelta(days=o) for o in offsets]
    fr = frame(["a", "b", "a", "b"][: len(dates)], dates)
    full = builder.build(Tables(emp, surveys=sv), fr)
    for t in sorted(set(dates)):
        rows = (fr["as_of"] == t).to_numpy()
        truncated = sv[sv["survey_date"] <= t].reset_index(drop=True)
        alone = builder.build(Tables(emp, surveys=truncated), fr[rows].reset_index(drop=True))
        assert_frame_equal(alone, full[rows].reset_index(drop=True), check_exact=True)
