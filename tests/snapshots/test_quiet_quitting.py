"""Quiet quitting: definition, index, label, as-of rule, ground truth, scoring."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from sklearn.metrics import roc_auc_score

from attrition import AttritionModel, SnapshotSpec, build_snapshots
from attrition.data._tables import DATE_COLUMNS
from attrition.exceptions import ConfigError
from attrition.jobs._config import Config
from attrition.models._model import out_of_time_split, validation_start
from attrition.scoring import quiet_quitting_scores, score_roster
from attrition.snapshots import (
    COMPONENTS,
    QuietQuittingDefinition,
    quiet_quitting_index,
    quiet_quitting_labels,
    quiet_quitting_snapshots,
)


# ------------------------------------------------------------------ definition
def test_config_key_is_validated():
    cfg = Config.from_dict({"quiet_quitting": {"state_threshold": 45, "weights": {"csat": 0}}})
    d = cfg.quiet_quitting_definition()
    assert d.state_threshold == 45.0 and d.component_weights()["csat"] == 0.0
    for bad, word in [({"treshold": 1}, "treshold"), ({"state_threshold": 0}, "state_threshold"),
                      ({"weights": {"bogus": 1}}, "bogus"), ({"own_weight": 2}, "own_weight"),
                      ({"recent_window": 182, "baseline_window": 28}, "shorter")]:
        with pytest.raises(ConfigError, match=word):
            Config.from_dict({"quiet_quitting": bad})


def test_surveys_only_when_identified():
    team = Config(survey_privacy="team").quiet_quitting_definition()
    ident = Config(survey_privacy="identified").quiet_quitting_definition()
    survey = [k for k, c in COMPONENTS.items() if c.survey]
    assert all(team.component_weights()[k] == 0 for k in survey)
    assert all(ident.component_weights()[k] > 0 for k in survey)


# ----------------------------------------------------------------------- index
def _frame():
    """Eight agents in two teams on one date; agent 'w' withdrew on every measure."""
    rng = np.random.default_rng(0)
    n = 8
    f = pd.DataFrame({"employee_id": list("abcdefgw"), "as_of": pd.Timestamp("2024-06-30"),
                      "team_id": ["t1"] * 4 + ["t2"] * 4})
    f["sched_overtime_mean_28d"] = rng.normal(10, 2, n)
    f["sched_overtime_change_28d"] = rng.normal(0, 1, n)
    f["sched_adherence_mean_28d"] = rng.normal(0.92, 0.01, n)
    f["sched_adherence_change_28d"] = rng.normal(0, 0.005, n)
    f["wl_after_contact_share_28d"] = rng.normal(0.15, 0.01, n)
    f["wl_after_contact_share_change_28d"] = rng.normal(0, 0.005, n)
    f["survey_engagement_latest"] = rng.uniform(0.5, 0.9, n)
    f["survey_engagement_change"] = 0.0
    w = f["employee_id"] == "w"
    f.loc[w, ["sched_overtime_mean_28d", "sched_overtime_change_28d"]] = [0.0, -10.0]
    f.loc[w, ["sched_adherence_mean_28d", "sched_adherence_change_28d"]] = [0.85, -0.06]
    f.loc[w, ["wl_after_contact_share_28d", "wl_after_contact_share_change_28d"]] = [0.22, 0.06]
    return f


THRESHOLD = QuietQuittingDefinition(state_method="threshold")  # the fixed rule, for one-date frames


def test_index_flags_the_withdrawn_agent_and_components_add_up():
    f = _frame()
    out = quiet_quitting_index(f, THRESHOLD)
    assert out["quiet_quitting_index"].idxmax() == 7 and out.loc[7, "quiet_quitting_state"]
    assert out.loc[7, "quiet_quitting_index"] == pytest.approx(100.0)
    points = out[[f"qq_points_{c}" for c in COMPONENTS]].sum(axis=1)
    np.testing.assert_allclose(points, out["quiet_quitting_index"], atol=1e-3)
    assert ((out["quiet_quitting_index"] >= 0) & (out["quiet_quitting_index"] <= 100)).all()
    assert (out["qq_n_components"] == 3).all()  # surveys not used by default


def test_missing_components_are_reweighted_not_counted_as_effort():
    f = _frame()
    f.loc[7, ["wl_after_contact_share_28d", "wl_after_contact_share_change_28d"]] = np.nan
    out = quiet_quitting_index(f, THRESHOLD)
    assert out.loc[7, "qq_n_components"] == 2
    assert out.loc[7, "quiet_quitting_index"] == pytest.approx(100.0)  # the two known ones, fully
    none = quiet_quitting_index(f[["employee_id", "as_of", "team_id"]], THRESHOLD)
    assert none["quiet_quitting_index"].isna().all() and not none["quiet_quitting_state"].any()


def test_survey_features_matter_only_when_allowed():
    f = _frame()
    g = f.copy()
    g.loc[0, "survey_engagement_latest"] = 0.0
    behaviour = THRESHOLD
    assert_frame_equal(quiet_quitting_index(f, behaviour), quiet_quitting_index(g, behaviour))
    surveys = QuietQuittingDefinition(use_surveys=True, state_method="threshold")
    assert quiet_quitting_index(g, surveys).loc[0, "qq_points_engagement"] > \
        quiet_quitting_index(f, surveys).loc[0, "qq_points_engagement"]


def test_threshold_is_the_state_rule():
    f = _frame()
    idx = quiet_quitting_index(f, THRESHOLD)["quiet_quitting_index"]
    cut = float(idx.sort_values().iloc[-3])
    state = quiet_quitting_index(f, QuietQuittingDefinition(state_threshold=cut, state_method="threshold")
                                 )["quiet_quitting_state"]
    assert state.tolist() == (idx >= cut).tolist() and state.sum() >= 3


# ----------------------------------------------------------------------- label
def test_label_statuses():
    months = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"])
    ids = ["enter", "stay", "already", "exit", "late"]
    snaps = pd.DataFrame({"employee_id": np.repeat(ids, 4), "as_of": np.tile(months, 5)})
    states = {"enter": [0, 0, 1, 1], "stay": [0, 0, 0, 0], "already": [1, 0, 0, 0],
              "exit": [0, 1, 1, 1], "late": [0, 0, 0, 0]}
    state = np.concatenate([states[i] for i in ids]).astype(bool)
    index = pd.DataFrame({"quiet_quitting_index": np.where(state, 60.0, 10.0),
                          "quiet_quitting_state": state})
    index.loc[18, "quiet_quitting_index"] = np.nan  # 'late' unknown on 2024-03-31
    emp = pd.DataFrame({"employee_id": ids,
                        "termination_date": pd.to_datetime([None, None, None, "2024-03-15", None])})
    out = quiet_quitting_labels(snaps, index, emp, horizon_days=31, export_date="2024-04-30")
    status = out["label_status"].astype(str).to_numpy().reshape(5, 4)
    # 2024-03-31 + 31 days lies after the export: the last two month ends are censored.
    assert status[0].tolist() == ["negative", "positive", "censored_horizon", "censored_horizon"]
    assert status[1].tolist() == ["negative", "negative", "censored_horizon", "censored_horizon"]
    assert status[2][0] == "censored_in_state"
    assert status[3][:2].tolist() == ["positive", "censored_exit"]
    assert status[4][:2].tolist() == ["negative", "censored_unobserved"]
    expected = np.select([out["label_status"] == "positive", out["label_status"] == "negative"],
                         [1.0, 0.0], np.nan)
    np.testing.assert_array_equal(out["label"].to_numpy(), expected)


# ---------------------------------------------------------------- as-of rule
AS_OF = [pd.Timestamp("2024-05-31"), pd.Timestamp("2024-08-31")]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), t=st.sampled_from(AS_OF),
       table=st.sampled_from(["schedule", "workload", "surveys"]))
def test_rows_after_as_of_change_no_index_value(small_centre, seed, t, table):
    tables = small_centre.tables
    rng = np.random.default_rng(seed)
    frame = getattr(tables, table).copy()
    after = frame.index[frame[DATE_COLUMNS[table]] > t]
    frame = frame.drop(after[rng.random(len(after)) < 0.5])
    numeric = frame.select_dtypes("number").columns
    later = frame[DATE_COLUMNS[table]] > t
    frame.loc[later, numeric] = frame.loc[later, numeric] * 0.5
    perturbed = tables.copy(**{table: frame.reset_index(drop=True)})
    d = QuietQuittingDefinition(use_surveys=True)
    base = quiet_quitting_index(build_snapshots(tables, as_of=[t], labels=False,
                                                survey_privacy="identified"), d)
    other = quiet_quitting_index(build_snapshots(perturbed, as_of=[t], labels=False,
                                                 survey_privacy="identified"), d)
    assert_frame_equal(base, other)


# ------------------------------------------------------------- ground truth
# Floors from benchmarks/quiet_quitting.py (held-out seeds 101-105, 400 x 24):
# see benchmarks/README.md. The fixture centre (seed 11) was not used to tune.
INDEX_AUC_FLOOR = {True: 0.92, False: 0.91}
#: The entry risk on this fixture's validation months (625 rows, 46 true entries) measured 0.631
#: at the learning rate 0.03 and 0.596 at 0.1 (DEFAULT_LGBM_PARAMS since issue 16's tenth round:
#: −0.035, paired bootstrap SE 0.025; on six held-out 400-agent centres +0.003 ± 0.008).
RISK_AUC_FLOOR = 0.57


@pytest.fixture(scope="module")
def medium_identified(medium):
    """The fixture centre with individual survey answers as features (``identified``)."""
    return build_snapshots(medium.tables, horizon_days=90, survey_privacy="identified")


@pytest.mark.parametrize("surveys", [True, False])
def test_index_recovers_the_true_state(medium, medium_identified, surveys):
    d = QuietQuittingDefinition(use_surveys=surveys)
    snaps = medium_identified
    if not surveys:
        snaps = snaps.drop(columns=[c for c in snaps.columns if c.startswith("survey_")])
    index = quiet_quitting_index(snaps, d)
    truth = medium.truth.rename(columns={"month_end": "as_of"})
    rows = pd.concat([snaps[["employee_id", "as_of"]], index], axis=1).merge(
        truth, on=["employee_id", "as_of"], validate="one_to_one")
    known = rows["quiet_quitting_index"].notna()
    assert known.mean() > 0.98
    auc = roc_auc_score(rows.loc[known, "quiet_quitting"], rows.loc[known, "quiet_quitting_index"])
    assert auc > INDEX_AUC_FLOOR[surveys]


@pytest.fixture(scope="module")
def qq_model(medium, medium_identified):
    d = QuietQuittingDefinition(use_surveys=True)
    # As `attrition train` does: the state model is fitted on the months before the validation ones.
    first_valid = validation_start(medium_identified["as_of"], 90, 3, medium.tables.infer_export_date())
    qq = quiet_quitting_snapshots(medium_identified, medium.tables, 90, d, state_fit_before=first_valid)
    model = AttritionModel().fit(qq)  # adopts the snapshots' spec: target quiet_quitting
    assert model.training_summary_["state_model_fit_last_as_of"] < model.validation_dates_[0]
    return model, qq


def test_label_matches_true_entry_and_model_predicts_it(medium, qq_model):
    model, qq = qq_model
    assert model.target == "quiet_quitting" and "quiet_quitting" in repr(model)
    truth = medium.truth.set_index(["employee_id", "month_end"])["quiet_quitting"]
    ids, t = qq["employee_id"].to_numpy(), pd.to_datetime(qq["as_of"])
    now = truth.reindex(pd.MultiIndex.from_arrays([ids, t])).to_numpy()
    entry = np.zeros(len(qq), dtype=bool)
    for k in (1, 2, 3):
        m = t + pd.offsets.MonthEnd(k)
        later = truth.reindex(pd.MultiIndex.from_arrays([ids, m])).to_numpy()
        entry |= (m <= t + pd.Timedelta(days=90)).to_numpy() & (later == True)  # noqa: E712
    labelled = qq["label"].notna().to_numpy() & (now == False)  # noqa: E712
    # The label (entering the inferred state) agrees with the simulator's true entries. On this
    # fixture it measured 0.976 once the state reads behaviour only (0.81 while the carried-forward
    # survey answers were state evidence; the fixed-threshold label reached 0.85+).
    assert roc_auc_score(entry[labelled], qq["label"].to_numpy()[labelled]) > 0.85
    _, valid = out_of_time_split(qq["as_of"], qq["label"].notna(), 90, 3)
    ev = valid & labelled
    auc = roc_auc_score(entry[ev], model.predict_risk(qq.loc[ev]))
    assert auc > RISK_AUC_FLOOR


def test_fit_refuses_snapshots_labelled_for_another_target(medium_snapshots, qq_model):
    _, qq = qq_model
    with pytest.raises(ConfigError, match="target: snapshots 'quiet_quitting', model 'attrition'"):
        AttritionModel(spec=SnapshotSpec()).fit(qq)
    with pytest.raises(ConfigError, match="target: snapshots 'attrition', model 'quiet_quitting'"):
        AttritionModel(spec=SnapshotSpec(target="quiet_quitting")).fit(medium_snapshots)


def test_save_load_keeps_target(tmp_path, qq_model):
    model, qq = qq_model
    loaded = AttritionModel.load(model.save(tmp_path / "m"))
    assert loaded.target == "quiet_quitting"
    np.testing.assert_allclose(loaded.predict_risk(qq.head(50)), model.predict_risk(qq.head(50)))


# ------------------------------------------------------------------ scoring
@pytest.fixture(scope="module")
def qq_model_team(medium, medium_snapshots):
    """A quiet-quitting model in the default survey mode (``team``), like ``medium_model``."""
    d = QuietQuittingDefinition(use_surveys=False)
    model = AttritionModel().fit(quiet_quitting_snapshots(medium_snapshots, medium.tables, 90, d))
    assert model.target == "quiet_quitting"
    return model


def test_score_roster_refuses_models_of_different_survey_modes(medium, medium_model, qq_model):
    model, _ = qq_model  # trained with individual answers; medium_model with team aggregates
    with pytest.raises(ConfigError, match="survey_privacy"):
        score_roster(medium.tables, "2025-09-30", medium_model,
                     quiet_quitting=True, qq_model=model)


def test_score_roster_adds_quiet_quitting_columns(medium, medium_snapshots, medium_model, qq_model_team):
    model = qq_model_team
    as_of = "2025-09-30"
    d = QuietQuittingDefinition(use_surveys=False)
    full = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True, qq_model=model)
    base = score_roster(medium.tables, as_of, medium_model)
    assert_frame_equal(full[base.columns], base)  # existing columns unchanged
    new = [c for c in full.columns if c not in base.columns]
    assert new[:6] == ["quiet_quitting_risk", "quiet_quitting_index", "quiet_quitting_state_probability",
                       "quiet_quitting_state", "quiet_quitting_band", "qq_index_components"]
    assert {"qq_driver_1", "qq_driver_3_contribution"} <= set(new)
    assert full["quiet_quitting_risk"].between(0, 1).all()
    prob = full["quiet_quitting_state_probability"]
    assert prob.dropna().between(0, 1).all() and prob.notna().mean() > 0.8
    assert (full["quiet_quitting_state"] == (prob.fillna(0) >= 0.5)).all()
    # The fitted state model travels in the model's spec: scoring the month again reproduces the
    # filtered probability of the training snapshots (the same month ends, nothing after as_of).
    definition = model.spec_.quiet_quitting_definition()
    assert definition.state_model is not None
    train = quiet_quitting_index(medium_snapshots, definition)
    at = (pd.to_datetime(medium_snapshots["as_of"]) == pd.Timestamp(as_of)).to_numpy()
    expected = pd.Series(train.loc[at, "quiet_quitting_state_probability"].to_numpy(),
                         index=medium_snapshots.loc[at, "employee_id"].to_numpy())
    np.testing.assert_allclose(prob.to_numpy(), expected.reindex(full["employee_id"]).round(4).to_numpy(),
                               atol=1e-9)
    again = score_roster(medium.tables, as_of, medium_model, quiet_quitting=True, qq_model=model)
    assert_frame_equal(full, again)  # rescoring the month gives the same scores
    in_state = full["quiet_quitting_state"]
    assert (full.loc[in_state, "quiet_quitting_band"] == "in_state").all()
    no_index = full["quiet_quitting_index"].isna()
    assert (full.loc[no_index, "quiet_quitting_band"] == "unknown").all()
    assert set(full.loc[~in_state & ~no_index, "quiet_quitting_band"]) <= {"low", "medium", "high"}
    # A roster of three gets the same index as in the whole centre (compared with everyone).
    roster = pd.DataFrame({"employee_id": full["employee_id"].head(3)})
    part = score_roster(medium.tables, as_of, medium_model, roster=roster, quiet_quitting=True, qq_model=model)
    assert part["quiet_quitting_index"].tolist() == full["quiet_quitting_index"].head(3).tolist()
    # Without a model: the index and state are still there, the risk is not.
    bare = quiet_quitting_scores(build_snapshots(medium.tables, as_of=[as_of], labels=False), d)
    assert bare["quiet_quitting_risk"].isna().all()
    unknown = bare["quiet_quitting_index"].isna()
    assert (bare.loc[unknown, "quiet_quitting_band"] == "unknown").all()
    assert set(bare.loc[~unknown, "quiet_quitting_band"]) <= {"in_state", "not_in_state"}
    assert "qq_driver_1" not in bare.columns


def test_attrition_model_is_refused_as_quiet_quitting_model(medium, medium_model):
    snaps = build_snapshots(medium.tables, as_of=["2025-09-30"], labels=False)
    with pytest.raises(ConfigError, match="quiet-quitting"):
        quiet_quitting_scores(snaps, QuietQuittingDefinition(), medium_model)


def test_windows_follow_the_snapshot_windows():
    d = Config(windows=(14, 56)).quiet_quitting_definition()
    assert (d.recent_window, d.baseline_window) == (14, 56)
    with pytest.raises(ConfigError, match="shortest snapshot window"):
        Config.from_dict({"windows": [28, 91, 182], "quiet_quitting": {"recent_window": 91}})
