"""Monthly scoring: columns, roster handling, drivers, determinism."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from attrition import RosterError, score_roster
from attrition.analysis import top_drivers
from attrition.data import write_table
from attrition.scoring import SCORE_COLUMNS, quiet_quitting_scores
from attrition.scoring._roster import scoring_snapshots
from attrition.snapshots import fit_state_model
from attrition.snapshots._build import population


@pytest.fixture(scope="module")
def as_of(medium):
    return medium.tables.infer_export_date()


def test_scores_everyone_employed(medium, medium_model, as_of):
    scores = score_roster(medium.tables, as_of, medium_model)
    employed = set(population(medium.tables.employees, [as_of])["employee_id"])
    assert set(scores["employee_id"]) == employed and len(scores) == len(employed)
    assert list(scores.columns[:4]) == list(SCORE_COLUMNS)
    assert scores["attrition_risk"].between(0, 1).all()
    assert set(scores["risk_band"]) <= {"low", "medium", "high"}
    assert scores["attrition_risk"].is_monotonic_decreasing
    for k in (1, 2, 3):
        assert scores[f"driver_{k}"].str.contains("risk").all()
        assert scores[f"driver_{k}_feature"].isin(medium_model.feature_names_in_).all()
    # drivers ordered by absolute size
    assert (scores["driver_1_contribution"].abs() >= scores["driver_2_contribution"].abs()).all()


def test_roster_order_and_passthrough(medium, medium_model, as_of):
    employed = population(medium.tables.employees, [as_of])["employee_id"].tolist()
    roster = pd.DataFrame({"employee_id": employed[:5][::-1], "manager": list("abcde")})
    scores = score_roster(medium.tables, as_of, medium_model, roster=roster)
    assert scores["employee_id"].tolist() == roster["employee_id"].tolist()
    assert scores["manager"].tolist() == list("abcde")


def test_duplicate_roster_ids(medium, medium_model, as_of):
    employed = population(medium.tables.employees, [as_of])["employee_id"].tolist()
    with pytest.raises(RosterError, match="more than once"):
        score_roster(medium.tables, as_of, medium_model,
                     roster=pd.DataFrame({"employee_id": [employed[0], employed[0]]}))


def test_roster_unknown_and_not_employed_ids(medium, medium_model, as_of):
    with pytest.raises(RosterError, match="E999999") as err:
        score_roster(medium.tables, as_of, medium_model,
                     roster=pd.DataFrame({"employee_id": ["E999999", "E999998"]}))
    assert "2 roster id(s) are not in the employees" in str(err.value)
    emp = medium.tables.employees
    gone = emp.loc[emp["termination_date"] < as_of, "employee_id"].iloc[0]
    with pytest.raises(RosterError, match=f"not employed.*{gone}"):
        score_roster(medium.tables, as_of, medium_model, roster=pd.DataFrame({"employee_id": [gone]}))


def test_scoring_twice_gives_identical_files(tmp_path, medium, medium_model, as_of):
    a = write_table(score_roster(medium.tables, as_of, medium_model), tmp_path / "a.csv")
    b = write_table(score_roster(medium.tables, as_of, medium_model), tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()


def test_one_build_for_the_date_and_the_state_history_scores_as_separate_builds(medium, medium_model):
    # score_roster builds the scoring date and the month ends the quiet-quitting state reads in one
    # pass; the scores equal those from the date's own build with the history built apart.
    as_of = pd.Timestamp("2025-09-30")
    one = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True)
    snaps, history = scoring_snapshots(medium.tables, as_of, medium_model)
    assert set(pd.to_datetime(snaps["as_of"])) == {as_of}
    assert history["as_of"].nunique() == 11 and (pd.to_datetime(history["as_of"]) < as_of).all()
    apart = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True,
                         snapshots=medium_model.snapshots(medium.tables, [as_of]))
    assert_frame_equal(one, apart)
    assert one.attrs["quiet_quitting_prevalence_by_month"] == apart.attrs["quiet_quitting_prevalence_by_month"]
    assert len(one.attrs["quiet_quitting_prevalence_by_month"]) == 12
    # Without the trend (the monthly job without a report): the same scores, no bootstraps.
    bare = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True, prevalence_trend=False)
    assert_frame_equal(bare, one)
    assert bare.attrs["quiet_quitting_prevalence_by_month"] == []


def test_scores_with_the_partial_state_history_equal_those_with_a_full_one(medium, medium_model):
    # scoring_snapshots builds the earlier month ends with the state filter's features only; the
    # scores (index, state, bands, every column) equal those read from a full build of those months.
    as_of = pd.Timestamp("2025-09-30")
    snaps, history = scoring_snapshots(medium.tables, as_of, medium_model)
    dates = sorted(pd.to_datetime(history["as_of"]).unique())
    full = medium_model.snapshots(medium.tables, [*dates, as_of])
    now = (pd.to_datetime(full["as_of"]) == as_of).to_numpy()
    full_history = full.loc[~now].reset_index(drop=True)
    assert_frame_equal(snaps, full.loc[now].reset_index(drop=True), check_exact=True)
    assert history["abs_sick_days_28d"].isna().all() and full_history["abs_sick_days_28d"].notna().any()
    partial = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True, snapshots=snaps,
                           history=history)
    complete = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True, snapshots=snaps,
                            history=full_history)
    assert_frame_equal(partial, complete, check_exact=True)
    assert partial["quiet_quitting_state_probability"].notna().any()
    assert (partial.attrs["quiet_quitting_prevalence_by_month"]
            == complete.attrs["quiet_quitting_prevalence_by_month"])
    # and with a fitted state model (as a quiet-quitting model's spec carries it)
    definition = fit_state_model(full, medium_model.spec_.quiet_quitting_definition())
    assert_frame_equal(quiet_quitting_scores(snaps, definition, history=history),
                       quiet_quitting_scores(snaps, definition, history=full_history), check_exact=True)


def test_scores_match_training_pipeline(medium, medium_snapshots, medium_model):
    """Scoring as of a training month gives the same risk as the training snapshots."""
    t = medium_snapshots["as_of"].iloc[len(medium_snapshots) // 2]
    snaps = medium_snapshots.loc[medium_snapshots["as_of"] == t]
    expected = pd.Series(medium_model.predict_risk(snaps), index=snaps["employee_id"].to_numpy())
    scores = score_roster(medium.tables, t, medium_model).set_index("employee_id")
    np.testing.assert_allclose(scores.loc[expected.index, "attrition_risk"], expected.round(6))


def test_top_drivers_by_hand():
    contrib = pd.DataFrame({"a": [0.1, -0.9], "b": [0.3, 0.2], "bias": [0.0, 0.0]})
    values = pd.DataFrame({"a": [1.0, np.nan], "b": [2.5, 3.0]})
    out = top_drivers(contrib, values, n=2, labels={"a": "Alpha"})
    assert out["driver_1_feature"].tolist() == ["b", "a"]
    # 100 × (sigmoid(-0.7) − sigmoid(-0.7 + 0.9)) = −21.8 points
    assert out.loc[1, "driver_1"] == "Alpha: missing — lowers risk by 21.8 points"
    assert out.loc[1, "driver_1_points"] == pytest.approx(-21.8, abs=0.01)
    assert out.loc[0, "driver_2_contribution"] == pytest.approx(0.1)


def test_windows_of_one_measure_are_one_driver():
    contrib = pd.DataFrame({"x_28d": [0.2], "x_91d": [0.25], "x_182d": [0.1], "y": [0.5],
                            "x_28d_vs_team": [0.01], "bias": [-2.0]})
    values = pd.DataFrame({"x_28d": [1.0], "x_91d": [2.0], "x_182d": [3.0], "y": [0.0],
                           "x_28d_vs_team": [0.1]})
    out = top_drivers(contrib, values, n=3)
    assert out.loc[0, "driver_1_feature"] == "x_91d"  # the largest of its family
    assert out.loc[0, "driver_1_contribution"] == pytest.approx(0.56)  # windows and vs-team summed
    assert out.loc[0, "driver_2_feature"] == "y"
    # only two measures (x with its team comparison, and y): n is capped at 2
    assert "driver_3" not in out.columns and out.shape[1] == 10  # 5 columns per driver


def test_drivers_never_repeat_a_measure(medium, medium_model, as_of):
    from attrition.analysis import feature_family

    scores = score_roster(medium.tables, as_of, medium_model)
    fams = scores[[f"driver_{k}_feature" for k in (1, 2, 3)]].map(feature_family)
    assert (fams.nunique(axis=1) == 3).all()


def _top_drivers_per_row(contributions, values, n, labels, references, reference_name="team median"):
    """The former row-by-row top_drivers (``.at`` lookups): the reference for the vectorised one."""
    from attrition.analysis import driver_sentence, feature_family, format_feature_value, probability_points
    from attrition.analysis._drivers import _format_value

    labels = labels or {}
    feats = [c for c in contributions.columns if c != "bias"]
    contrib = contributions[feats].to_numpy(dtype="float64")
    codes, families = pd.factorize(pd.Index([feature_family(f) for f in feats]))
    summed = np.zeros((len(contrib), len(families)))
    np.add.at(summed.T, codes, contrib.T)
    risk = None
    if "bias" in contributions.columns:
        risk = 1.0 / (1.0 + np.exp(-contributions.to_numpy(dtype="float64").sum(axis=1)))
    rep = np.zeros((len(contrib), len(families)), dtype=np.int64)
    for g in range(len(families)):
        members = np.flatnonzero(codes == g)
        rep[:, g] = members[np.argmax(np.abs(contrib[:, members]), axis=1)]
    n = min(n, len(families))
    order = np.argsort(-np.abs(summed), axis=1, kind="stable")[:, :n]
    rows = np.arange(len(contrib))
    vf = values.reset_index(drop=True)
    rf = references.reset_index(drop=True) if references is not None else None
    out = {}
    for k in range(n):
        c = summed[rows, order[:, k]]
        idx = rep[rows, order[:, k]]
        points = probability_points(risk, c) if risk is not None else np.full(len(rows), np.nan)
        names, vals, refs, sentences = [], [], [], []
        for r, i in enumerate(idx):
            f = feats[i]
            if f in ("log_tenure", "early_tenure") and "tenure_days" in vf.columns:
                f = "tenure_days"  # the tenure measure always reads as a duration
            ref_value = None
            base = f.removesuffix("_vs_team")
            if f.endswith("_vs_team") and base in vf.columns:
                v, diff = vf.at[r, base], vf.at[r, f]
                if rf is not None:
                    ref_value = rf.at[r, base] if base in rf.columns else None
                elif pd.notna(v) and pd.notna(diff):
                    ref_value = float(v) - float(diff)
                f = base
            else:
                v = vf.at[r, f]
                if (rf is not None and f in rf.columns and not f.startswith(("team_", "survey_team_", "pay_vs_"))
                        and "_change_" not in f and "_drift_" not in f):
                    ref_value = rf.at[r, f]
            ref_text = format_feature_value(f, ref_value) if ref_value is not None and pd.notna(ref_value) else ""
            names.append(f)
            vals.append(_format_value(v))
            refs.append(ref_text)
            sentences.append(driver_sentence(labels.get(f, f), format_feature_value(f, v), reference_name,
                                             ref_text, None if risk is None else float(points[r]), float(c[r])))
        out[f"driver_{k + 1}"] = sentences
        out[f"driver_{k + 1}_feature"] = names
        out[f"driver_{k + 1}_value"] = vals
        out[f"driver_{k + 1}_contribution"] = np.round(c, 6)
        if risk is not None:
            out[f"driver_{k + 1}_points"] = np.round(points, 2)
        if rf is not None:
            out[f"driver_{k + 1}_reference"] = refs
    return pd.DataFrame(out, index=contributions.index)


@pytest.mark.parametrize("seed", range(8))
def test_top_drivers_equal_the_row_by_row_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    feats = ["sched_night_share_28d", "sched_night_share_91d", "sched_night_share_28d_vs_team", "tenure_days",
             "log_tenure", "team_size", "wl_aht_28d", "wl_aht_drift_28d", "pay_vs_team", "role",
             "sched_shifts_28d", "wl_occupancy_change_28d", "survey_team_enps_mean", "lonely_vs_team"]
    contrib = pd.DataFrame(rng.normal(size=(n, len(feats))), columns=feats, index=rng.permutation(n) + 7)
    if seed % 2:
        contrib["bias"] = -2.0
    values = pd.DataFrame({f: rng.normal(size=n) * rng.choice([1, 100, 5000]) for f in feats}, index=contrib.index)
    values["role"] = pd.Categorical(rng.choice(["agent", "lead", None], n))
    values["sched_shifts_28d"] = rng.integers(0, 30, n).astype(float)
    for f in ["wl_aht_28d", "sched_night_share_28d_vs_team", "sched_night_share_28d"]:
        values.loc[values.index[rng.random(n) < 0.3], f] = np.nan
    refs = None
    if seed % 3 == 0:
        refs = pd.DataFrame({f: rng.normal(size=n) for f in feats if f not in ("role", "wl_aht_28d")},
                            index=contrib.index)
        refs.loc[refs.index[rng.random(n) < 0.3], "sched_night_share_28d"] = np.nan
    labels = {"tenure_days": "Tenure", "wl_aht_28d": "Handle time"} if seed % 4 else None
    k = int(rng.integers(1, 5))
    got = top_drivers(contrib, values, n=k, labels=labels, references=refs)
    want = _top_drivers_per_row(contrib, values, k, labels, refs)
    assert_frame_equal(got, want, check_exact=True)
    assert got.to_csv() == want.to_csv()
