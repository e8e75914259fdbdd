"""The monthly hazard model: survival curve, horizons, censoring, new hires."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from attrition import AttritionModel, Tables
from attrition.models import MONTH_DAYS, cumulative_risk, monthly_label, risk_at
from attrition.models._survival import risk_months
from attrition.scoring import score_roster
from attrition.snapshots import make_labels, population


def test_hazard_model_interface(medium_snapshots, medium_model):
    rows = medium_snapshots.head(200)
    assert medium_model.kind_ == "hazard"
    hazard = medium_model.predict_hazard(rows)
    curve = medium_model.predict_survival(rows)
    assert hazard.shape == curve.shape == (200, 12)
    assert ((hazard > 0) & (hazard < 1)).all()
    # monotone by construction, and exactly 1 - prod(1 - h)
    assert (np.diff(curve, axis=1) >= 0).all()
    np.testing.assert_allclose(curve, 1 - np.cumprod(1 - hazard, axis=1))
    # attrition_risk stays the 90-day risk, read off the same curve
    np.testing.assert_allclose(medium_model.predict_risk(rows), risk_at(hazard, 90))
    horizons = medium_model.predict_horizons(rows)
    assert list(horizons.columns) == [f"attrition_risk_{d}d" for d in (30, 90, 180, 365)]
    assert (np.diff(horizons.to_numpy(), axis=1) >= 0).all()
    # the month's hazard is time-varying: tenure grows along the curve (for people early in it;
    # the first rows are long-serving staff of the first month end, whose tenure splits are behind them)
    young = medium_model.predict_hazard(medium_snapshots[medium_snapshots["tenure_days"] < 180].head(100))
    assert not np.allclose(young[:, 0], young[:, -1])


def test_risk_reads_only_the_horizons_months_bit_for_bit(medium_snapshots, medium_model):
    """predict_risk predicts the months the horizon covers only: the same numbers as off the whole curve."""
    rows = medium_snapshots.sample(300, random_state=0)
    hazard = medium_model.predict_hazard(rows)
    assert np.array_equal(medium_model.predict_risk(rows), risk_at(hazard, medium_model.horizon_days))
    contrib = medium_model.contributions(rows)
    assert np.array_equal(contrib.to_numpy(),
                          medium_model.contributions(rows, risk=risk_at(hazard, 90)).to_numpy())
    for days in (0, 1, 29.9, MONTH_DAYS, 45, 90, 2 * MONTH_DAYS, 180, 364.9, 365, 365.25):
        k = risk_months(days)
        assert np.array_equal(risk_at(hazard[:, :k], days), risk_at(hazard, days)), days
        with pytest.raises(ValueError):
            if k:
                risk_at(hazard[:, :k - 1], days)
            else:
                raise ValueError


def test_contributions_sum_to_the_horizon_risk(medium_snapshots, medium_model):
    rows = medium_snapshots.head(100)
    contrib = medium_model.contributions(rows)
    p = 1 / (1 + np.exp(-contrib.sum(axis=1).to_numpy()))
    np.testing.assert_allclose(p, medium_model.predict_risk(rows), atol=1e-9)


_TENURE_FEATURES = ("tenure_days", "log_tenure", "early_tenure")


def test_horizon_contributions_keep_the_hazards_signs(medium_snapshots, medium_model):
    """Restated on the horizon risk, every feature but tenure keeps its hazard contribution's sign
    and proportions (one positive factor per row, bounded by the horizon map's slopes), and the
    months ahead (tenure growing along the curve) go to the tenure measure alone. Scaling that
    difference onto every feature flipped all signs of some rows and blew up rows whose features
    summed to almost nothing."""
    from attrition.models._treeshap import pred_contrib

    model = medium_model
    rows = medium_snapshots.iloc[::7]
    out = model.contributions(rows)
    prepared = model.prepare(rows)
    a, b = model.calibration_
    hazard = pred_contrib(model.booster_, prepared) * a
    names = list(model.feature_names_in_)
    others = [i for i, c in enumerate(names) if c not in _TENURE_FEATURES]
    h, o = hazard[:, others], out.to_numpy()[:, others]
    assert (np.sign(o) == np.sign(h)).all()
    # one factor per row, the same for every (non-tenure) feature: the slope of the horizon map
    moved = np.abs(h) > 1e-6
    ratio = np.where(moved, o / np.where(moved, h, 1.0), np.nan)
    spread = np.nanmax(ratio, axis=1) - np.nanmin(ratio, axis=1)
    assert np.nanmax(spread) < 1e-9
    months = model.horizon_days / MONTH_DAYS
    assert np.nanmin(ratio) > min(1.0, months) - 1e-6 and np.nanmax(ratio) < max(1.0, months) + 1e-6
    # the bias is the horizon risk of the constant bias hazard, the same for every row
    assert np.ptp(out["bias"].to_numpy()) < 1e-12
    # and the whole still adds up to the horizon risk
    p = 1 / (1 + np.exp(-out.sum(axis=1).to_numpy()))
    np.testing.assert_allclose(p, model.predict_risk(rows), atol=1e-9)


def test_horizon_contributions_when_the_features_sum_to_nothing(medium_snapshots, medium_model):
    """A row whose features move the monthly hazard by (almost) nothing: no feature is blown up,
    and what the months ahead add is the tenure measure's."""
    model = medium_model
    rows = medium_snapshots.head(50)
    n = len(rows)
    k = len(model.feature_names_in_)
    rng = np.random.default_rng(0)
    contrib = np.zeros((n, k + 1))
    contrib[:, -1] = np.log(0.02 / 0.98)
    tiny = rng.normal(0.0, 1e-8, (n, k))
    tiny[:, 0] = -tiny[:, 1:].sum(axis=1) + rng.normal(0, 3e-8, n)  # the features cancel out
    contrib[:, :k] = tiny
    risk = model.predict_risk(rows)
    out = model._horizon_scale(contrib, risk)
    months = model.horizon_days / MONTH_DAYS
    names = list(model.feature_names_in_)
    tenure = next(names.index(c) for c in _TENURE_FEATURES if c in names)
    others = [i for i in range(k) if i != tenure]
    assert np.abs(out[:, others]).max() <= max(1.0, months) * 1e-7
    target = np.log(risk) - np.log1p(-risk)
    np.testing.assert_allclose(out.sum(axis=1), target, atol=1e-9)
    np.testing.assert_allclose(out[:, tenure], target - out[:, -1], atol=1e-6)


def test_risks_agree_with_the_simulators_truth(medium, medium_snapshots, medium_model):
    """At every horizon the mean predicted risk on the latest months agrees with the simulator's
    true risk, and the ranking follows the truth.

    The level of the curve is the realised exit rate of the latest ``level_months`` (12) observed
    months (the Platt intercept is set so their mean monthly hazard equals it), which is chance as
    well: about 160 events, so one standard error is about 8 %. So the test is in two parts:
    (1) up to 90 days the level is within 2.5 Poisson standard errors of the truth (at 365 days it
    was 1.20 times the truth, the compounding below included); (2) net of those months' luck
    (realised / true events there), every horizon agrees with the truth within 15 %: compounding
    the monthly hazards along tenure adds no bias beyond that (the truth's longer horizons hold
    tenure and state fixed, while the curve advances tenure).
    """
    truth = medium.truth.rename(columns={"month_end": "as_of"})[
        ["employee_id", "as_of", "p_exit_30d", "p_exit_90d", "p_exit_180d", "p_exit_365d"]]
    y_all = monthly_label(medium_snapshots["as_of"], medium_snapshots["duration_days"], medium_snapshots["event"])
    level = np.sort(medium_snapshots.loc[~np.isnan(y_all), "as_of"].unique())[-medium_model.level_months:]
    cal = medium_snapshots[medium_snapshots["as_of"].isin(level)].merge(truth, on=["employee_id", "as_of"],
                                                                        how="inner")
    y = monthly_label(cal["as_of"], cal["duration_days"], cal["event"])
    seen = ~np.isnan(y)
    events = float(y[seen].sum())
    luck = events / float(cal.loc[seen, "p_exit_30d"].sum())
    assert events >= 20
    dates = sorted(medium_snapshots["as_of"].unique())[-3:]
    rows = medium_snapshots[medium_snapshots["as_of"].isin(dates)].merge(
        truth, on=["employee_id", "as_of"], how="inner")
    assert len(rows) > 500
    pred = medium_model.predict_horizons(rows)
    for d in (30, 90, 180, 365):
        p, true = pred[f"attrition_risk_{d}d"].to_numpy(), rows[f"p_exit_{d}d"].to_numpy()
        ratio = p.mean() / true.mean()
        if d <= 90:  # the level itself; longer horizons add the compounding checked next
            assert abs(ratio - 1) < 2.5 / np.sqrt(events), (d, p.mean(), true.mean(), events)
        assert abs(ratio / luck - 1) < 0.15, (d, ratio, luck)
        assert spearmanr(p, true).statistic > 0.6, d


def test_validation_outcomes_share_no_exit_with_the_calibration_months(medium_snapshots, medium_model):
    """The validation metrics of the horizon risk count only exits before the first calibration
    month (purged), so the Platt scaling's own exits never flatter them."""
    s, m = medium_model.training_summary_, medium_model.metrics_
    assert s["purge_gap"] is False
    first_cal = pd.Timestamp(s["calibration_first_as_of"])
    as_of = pd.to_datetime(medium_snapshots["as_of"])
    valid = medium_model.validation_mask(medium_snapshots)
    window = np.minimum(medium_model.horizon_days, (first_cal - as_of).dt.days.to_numpy())
    before = (medium_snapshots["event"].to_numpy() == 1) & (
        medium_snapshots["duration_days"].to_numpy() <= window)
    assert m["valid_positives"] == (valid & before).sum() < medium_snapshots.loc[valid, "label"].sum()
    assert 0 < m["valid_window_days_mean"] < medium_model.horizon_days
    assert pd.Timestamp(s["valid_last_as_of"]) < first_cal
    assert pd.Timestamp(s["train_last_as_of"]) < pd.Timestamp(s["valid_first_as_of"])


def test_purge_gap_moves_the_early_stopping_months_back(medium_snapshots):
    model = AttritionModel(purge_gap=True, lgbm_params={"n_estimators": 30}).fit(medium_snapshots)
    s = model.training_summary_
    assert s["purge_gap"] is True
    assert pd.Timestamp(s["valid_last_as_of"]) + pd.Timedelta(days=90) <= pd.Timestamp(s["calibration_first_as_of"])
    assert model.metrics_["valid_window_days_mean"] == 90


def test_saved_hazard_model_round_trips(tmp_path, medium_snapshots, medium_model):
    rows = medium_snapshots.head(50)
    loaded = AttritionModel.load(medium_model.save(tmp_path / "m"))
    assert loaded.kind_ == "hazard"
    np.testing.assert_array_equal(loaded.predict_survival(rows), medium_model.predict_survival(rows))


def _employees(hire, term, reason):
    n = len(hire)
    return pd.DataFrame({"employee_id": [f"e{i}" for i in range(n)], "team_id": ["t"] * n,
                         "hire_date": pd.to_datetime(hire), "termination_date": pd.to_datetime(term),
                         "termination_reason": reason})


def test_censoring_never_makes_a_row_negative():
    emp = _employees(["2023-01-01"] * 5,
                     ["2024-02-10", "2024-02-10", "2024-04-15", None, "2024-02-29"],
                     ["voluntary", "involuntary", "voluntary", None, "retirement"])
    frame = pd.DataFrame({"employee_id": emp["employee_id"], "as_of": pd.Timestamp("2024-01-31")})
    lab = make_labels(emp, frame, 90, "2024-12-31")
    y = monthly_label(frame["as_of"], lab["duration_days"], lab["event"])
    # exit in the month; competing exit in the month (censored); exit later; still there;
    # a competing exit on the month end itself: the whole month was observed without a voluntary exit
    assert np.array_equal(y, [1.0, np.nan, 0.0, 0.0, 0.0], equal_nan=True)
    # the export date inside the month censors everyone still employed
    lab = make_labels(emp, frame, 90, "2024-02-20")
    y = monthly_label(frame["as_of"], lab["duration_days"], lab["event"])
    assert np.array_equal(y, [1.0, np.nan, np.nan, np.nan, np.nan], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-40, 400), st.sampled_from(["voluntary", "involuntary", "transfer", None]),
                          st.integers(0, 400)), min_size=1, max_size=20))
def test_no_negative_without_a_whole_observed_month(cases):
    """Property: a 0 needs the whole next month observed with no exit of any kind in it."""
    t = pd.Timestamp("2024-01-31")
    term = [None if r is None else t + pd.Timedelta(days=d) for d, r, _ in cases]
    emp = _employees(["2023-01-01"] * len(cases), term, [r for _, r, _ in cases])
    export = t + pd.Timedelta(days=max(e for *_, e in cases))
    frame = pd.DataFrame({"employee_id": emp["employee_id"], "as_of": t})
    lab = make_labels(emp, frame, 90, export)
    y = monthly_label(frame["as_of"], lab["duration_days"], lab["event"])
    month_end = pd.Timestamp("2024-02-29")
    for (_, reason, _), end, value in zip(cases, term, y, strict=True):
        ends_in_month = end is not None and t < end <= month_end
        if value == 0.0:  # observed to the month end, and no exit of any kind before it
            assert export >= month_end and not (end is not None and t < end < month_end)
            assert not (ends_in_month and reason == "voluntary")
        if value == 1.0:
            assert reason == "voluntary" and ends_in_month and end <= export


def test_curve_helpers_are_monotone_and_exact():
    h = np.random.default_rng(0).uniform(0, 0.3, size=(50, 12))
    curve = cumulative_risk(h)
    assert (np.diff(curve, axis=1) >= 0).all()
    for k in (1, 3, 6, 12):
        np.testing.assert_allclose(risk_at(h, k * MONTH_DAYS), curve[:, k - 1])


def test_hired_after_t_is_never_scored_and_new_hires_are(medium, medium_model):
    tables = medium.tables
    t = pd.Timestamp("2025-06-30")
    emp = tables.employees
    scores = score_roster(tables, t, medium_model, n_drivers=1)
    hired = emp.set_index("employee_id").loc[scores["employee_id"], "hire_date"]
    assert (hired <= t).all()
    later = set(emp.loc[emp["hire_date"] > t, "employee_id"])
    assert later and not later & set(scores["employee_id"])
    # people hired in the month being scored are scored, with what is known at hire
    still = emp["termination_date"].isna() | (emp["termination_date"] > t)
    new = emp.loc[(emp["hire_date"] > t - pd.Timedelta(days=30)) & (emp["hire_date"] <= t) & still,
                  "employee_id"]
    assert len(new) and set(new) <= set(scores["employee_id"])
    row = scores.set_index("employee_id").loc[new]
    assert row["attrition_risk"].between(0, 1).all()
    assert (row[["attrition_risk_30d", "attrition_risk_90d", "attrition_risk_180d",
                 "attrition_risk_365d"]].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    assert (population(emp, [t])["employee_id"].isin(later)).sum() == 0


def test_hire_features_ignore_hires_after_t():
    from attrition.features import HiringFeatures

    emp = _employees(["2024-03-01", "2024-03-05", "2024-03-10"], [None] * 3, [None] * 3)
    frame = pd.DataFrame({"employee_id": ["e0"], "team_id": ["t"], "as_of": pd.to_datetime(["2024-03-03"])})
    before = HiringFeatures().build(Tables(emp), frame)
    later = emp.assign(hire_date=pd.to_datetime(["2024-03-01", "2024-03-06", "2024-03-12"]))
    assert HiringFeatures().build(Tables(later), frame).equals(before)
    assert before["hire_class_size"].tolist() == [1.0]


def test_quiet_quitting_model_stays_binary(medium_model):
    assert medium_model.target == "attrition"
    with pytest.raises(Exception, match="survival curve"):
        model = AttritionModel()
        model.booster_, model.kind_ = medium_model.booster_, "binary"
        model.spec_ = medium_model.spec_.for_target("quiet_quitting")
        model.predict_survival(pd.DataFrame())
