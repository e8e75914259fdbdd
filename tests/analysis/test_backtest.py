"""Rolling-origin backtest: no training label uses information after the origin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition import build_snapshots
from attrition.analysis._backtest import (
    CALIBRATION_METHODS,
    backtest_origins,
    labels_as_of,
    paired_interval,
    run_backtest,
    training_frame,
)
from attrition.exceptions import ConfigError, InsufficientDataError
from attrition.models import HAZARD_LARGE_ROWS

ORIGIN = pd.Timestamp("2024-09-30")


@pytest.fixture(scope="module")
def small_snapshots(small_centre):
    return build_snapshots(small_centre.tables, horizon_days=60)


def test_training_labels_end_by_the_origin(small_centre, small_snapshots):
    train = training_frame(small_snapshots, small_centre.tables.employees, 60, ORIGIN)
    assert pd.to_datetime(train["as_of"]).max() <= ORIGIN
    labelled = train[train["label"].notna()]
    assert len(labelled) > 0 and labelled["label"].sum() > 0
    assert (pd.to_datetime(labelled["as_of"]) + pd.Timedelta(days=60) <= ORIGIN).all()
    # Rows whose horizon reaches past the origin are censored, even if the full data know the outcome.
    late = train[pd.to_datetime(train["as_of"]) + pd.Timedelta(days=60) > ORIGIN]
    assert late["label"].isna().all() and (late["label_status"] == "censored_horizon").all()
    assert small_snapshots.loc[late.index, "label"].notna().any()


def test_exits_after_the_origin_change_no_training_label(small_centre, small_snapshots):
    """Rewrite every termination after the origin: the training frame does not move."""
    emp = small_centre.tables.employees
    after = emp["termination_date"] > ORIGIN
    assert after.sum() > 0
    base = training_frame(small_snapshots, emp, 60, ORIGIN)
    for change in ("erase", "all_voluntary", "earlier_by_a_day"):
        other = emp.copy()
        if change == "erase":
            other.loc[after, ["termination_date", "termination_reason"]] = [pd.NaT, np.nan]
        elif change == "all_voluntary":
            other.loc[after, "termination_reason"] = "voluntary"
        else:
            other.loc[after, "termination_date"] = other.loc[after, "termination_date"] - pd.Timedelta(days=1)
            other.loc[after & (other["termination_date"] <= ORIGIN), "termination_date"] += pd.Timedelta(days=1)
        moved = training_frame(small_snapshots, other, 60, ORIGIN)
        pd.testing.assert_series_equal(moved["label"], base["label"], check_names=False)
        for col in ("duration_days", "event"):  # the hazard model's time to exit, too
            pd.testing.assert_series_equal(moved[col], base[col], check_names=False)
        assert moved["label_status"].astype(str).tolist() == base["label_status"].astype(str).tolist()


def _cut(tables, origin: pd.Timestamp):
    """The exports as they stood on ``origin``: nothing dated after it, no later hires or exits."""
    emp = tables.employees
    emp = emp[emp["hire_date"] <= origin].copy()
    later = emp["termination_date"] > origin
    emp.loc[later, ["termination_date", "termination_reason"]] = [pd.NaT, np.nan]
    out = {}
    for name, col in (("schedule", "date"), ("workload", "date"), ("absences", "start_date"),
                      ("surveys", "survey_date")):
        frame = getattr(tables, name)
        out[name] = frame[frame[col] <= origin].reset_index(drop=True)
    return tables.copy(employees=emp.reset_index(drop=True), export_date=origin, **out)


def test_reusing_snapshots_equals_building_from_the_exports_at_the_origin(small_centre, small_snapshots):
    train = training_frame(small_snapshots, small_centre.tables.employees, 60, ORIGIN).reset_index(drop=True)
    cut = _cut(small_centre.tables, ORIGIN)
    dates = sorted(pd.to_datetime(train["as_of"]).unique())
    fresh = build_snapshots(cut, as_of=dates, horizon_days=60)
    key = ["as_of", "employee_id"]
    a = train.sort_values(key).reset_index(drop=True)
    b = fresh.sort_values(key).reset_index(drop=True)
    assert a[key].equals(b[key])
    pd.testing.assert_frame_equal(a[b.columns], b, check_dtype=False, check_categorical=False)


def test_labels_as_of_is_make_labels_with_the_origin_as_export_date(small_centre, small_snapshots):
    lab = labels_as_of(small_centre.tables.employees, small_snapshots, 60, ORIGIN)
    assert len(lab) == len(small_snapshots)
    known = lab["label"].notna().to_numpy()
    full = small_snapshots["label"].to_numpy()
    # Whatever is known at the origin agrees with the final truth.
    np.testing.assert_array_equal(lab["label"].to_numpy()[known], full[known])


def test_origins_need_history_and_observed_outcomes():
    dates = pd.date_range("2024-01-31", periods=24, freq="ME")
    o = backtest_origins(dates, "2025-12-31", 90, valid_months=3, min_train_months=6)
    assert o[0] == pd.Timestamp("2025-02-28") and o[-1] == pd.Timestamp("2025-09-30")
    assert list(backtest_origins(dates, "2025-12-31", 90, start="2025-08")) == [
        pd.Timestamp("2025-08-31"), pd.Timestamp("2025-09-30")]
    with pytest.raises(InsufficientDataError, match="Start at 2025-02"):
        backtest_origins(dates, "2025-12-31", 90, start="2024-06")
    with pytest.raises(ConfigError, match="YYYY-MM"):
        backtest_origins(dates, "2025-12-31", 90, start="June")
    with pytest.raises(InsufficientDataError, match="No backtest origin"):
        backtest_origins(dates[:8], "2024-08-31", 90)


def test_paired_interval_by_hand():
    r = paired_interval([0.01, 0.03])
    # mean 0.02, sd 0.01414, t(0.975, 1) = 12.706
    assert r["mean"] == pytest.approx(0.02)
    assert r["high"] - r["mean"] == pytest.approx(12.7062 * 0.0141421 / np.sqrt(2), rel=1e-3)
    assert np.isnan(paired_interval([0.1])["low"])


@pytest.fixture(scope="module")
def result(medium, medium_snapshots):
    return run_backtest(medium.tables, medium_snapshots, horizon_days=90, start="2025-07", capacity=15,
                        lgbm_params={"n_estimators": 150, "learning_rate": 0.08, "num_threads": 1}, min_group_size=5)


def test_backtest_reports_every_origin(result, medium_snapshots):
    o = result.origins
    assert [f"{t:%Y-%m}" for t in o["origin"]] == ["2025-07", "2025-08", "2025-09"]
    assert (o["train_last_label_as_of"] + pd.Timedelta(days=90) <= o["origin"]).all()
    for origin, n in zip(o["origin"], o["n"], strict=True):
        rows = medium_snapshots[(medium_snapshots["as_of"] == origin) & medium_snapshots["label"].notna()]
        assert n == len(rows)
    assert result.pooled["model_n"] == o["n"].sum()
    assert result.pooled["model_actual"] == o["model_actual"].sum()
    for col in ("model_roc_auc", "model_pr_auc", "model_brier", "model_log_loss", "model_ece",
                "model_precision_at_k", "model_recall_at_k", "model_precision_top5", "model_recall_top20",
                "logistic_roc_auc", "tenure_only_roc_auc", "class_prior_brier"):
        assert o[col].notna().all(), col
    assert (o["class_prior_roc_auc"] == 0.5).all()
    # Each origin records the learning rate its trees were boosted with (here the one configured,
    # which wins over the rule of HAZARD_LARGE_ROWS).
    assert (o["n_train_rows"] < HAZARD_LARGE_ROWS).all() and (o["learning_rate"] == 0.08).all()
    # The simulated centre has signal: the model ranks far better than the prior at every origin.
    assert (o["model_roc_auc"] > 0.6).all()


def test_margins_calibration_lift_and_teams(result):
    m = result.margins.set_index(["baseline", "metric"])
    assert set(m.index.get_level_values(0)) == {"class_prior", "tenure_only", "logistic"}
    assert m.loc[("class_prior", "roc_auc"), "low"] > 0
    assert (m["origins"] == 3).all()
    assert list(result.calibration["method"]) == list(CALIBRATION_METHODS)
    assert (result.calibration["pooled_ece"] < 0.1).all()
    assert list(result.lift["decile"]) == list(range(1, 11))
    assert result.lift["n"].sum() == result.pooled["model_n"]
    assert result.lift["cumulative_recall"].iloc[-1] == pytest.approx(1.0)
    teams = result.teams
    assert teams["employee_months"].sum() == result.pooled["model_n"]
    assert teams["actual"].sum() == result.pooled["model_actual"]


def test_small_teams_are_merged(result):
    from attrition.analysis._backtest import _team_table

    merged = _team_table(result.predictions, min_group_size=10_000)
    assert len(merged) == 1 and merged["team_id"][0].startswith("(teams under 10000")
    kept = _team_table(result.predictions, min_group_size=2)
    sizes = result.predictions.groupby(["team_id", "origin"]).size().groupby(level=0).min()
    assert set(kept["team_id"]) == set(sizes.index[sizes >= 2]) | (
        {kept["team_id"].iloc[-1]} if (sizes < 2).any() else set())


def test_figures_have_no_employee_ids(result):
    from attrition.reporting._plots import backtest_figures

    figs = backtest_figures(result)
    assert set(figs) == {"plots/backtest_reliability.png", "plots/backtest_roc_auc_by_origin.png",
                         "plots/backtest_expected_vs_actual.png", "plots/backtest_lift_by_decile.png"}
    ids = set(result.predictions["employee_id"])
    for fig in figs.values():
        texts = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()}
        assert not texts & ids


def test_backtest_fairness_audit_pools_origins_by_distinct_employees(result, medium):
    audit = result.fairness
    table = audit.to_frame()
    assert set(table["attribute"]) == {"gender", "age_band"}
    pred = result.predictions
    # Each origin's own model threshold is used for "flagged high".
    assert (pred.groupby("origin")["high_threshold"].nunique() == 1).all()
    emp = medium.tables.employees.set_index("employee_id")
    gender = emp["gender"].reindex(pred["employee_id"]).fillna("missing").astype(str).to_numpy()
    shown = table[(table["attribute"] == "gender") & ~table["suppressed"]].set_index("group")
    assert len(shown) >= 2
    for grp, r in shown.iterrows():
        inside = gender == grp
        # Group sizes count people, not employee-months: the same person is scored at several origins.
        assert r["n_employees"] == pred.loc[inside, "employee_id"].nunique()
        assert r["n_rows"] == inside.sum() and r["positives"] == pred.loc[inside, "label"].sum()
        assert r["flagged_share"] == pytest.approx(
            np.mean(pred.loc[inside, "risk"] >= pred.loc[inside, "high_threshold"]))
    assert (shown["n_employees"] < shown["n_rows"]).all()
    # Groups under min_group_size distinct employees are blank.
    small = table[table["suppressed"]]
    assert small[["n_employees", "n_rows", "roc_auc"]].isna().all().all()
    assert all(isinstance(f, str) for f in audit.flags)


def test_print_backtest_shows_the_fairness_audit(result):
    from rich.console import Console

    from attrition.reporting import print_backtest

    console = Console(record=True, width=200)
    print_backtest(result, console=console)
    text = console.export_text()
    assert "Fairness audit, all origins pooled" in text
    if result.fairness.flags:
        assert "Fairness flags" in text and "not a verdict" in text
    else:
        assert "no fairness flags" in text
    assert not set(result.predictions["employee_id"]) & set(text.split())


@pytest.mark.slow
def test_cli_backtest_logs_parent_and_child_runs(tmp_path, medium, monkeypatch):
    import mlflow
    from click.testing import CliRunner

    from attrition.cli import cli

    data = tmp_path / "data"
    medium.write(data)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[lgbm_params]\nn_estimators = 80\nlearning_rate = 0.1\nnum_threads = 1\n')
    res = CliRunner().invoke(cli, ["-q", "backtest", "--data", str(data), "--start", "2025-08",
                                   "--capacity", "10", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "Rolling-origin backtest" in res.output and "2025-09" in res.output
    assert "Calibration out of time" in res.output
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["attrition"], output_format="list")
    parents = [r for r in runs if r.data.tags.get("kind") == "backtest"]
    assert len(parents) == 1
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert sorted(r.data.params["origin"] for r in children) == ["2025-08-31", "2025-09-30"]
    assert {r.data.params["learning_rate"] for r in children} == {"0.1"}  # the configuration's
    assert "pooled_model_roc_auc" in parents[0].data.metrics
    assert "margin_roc_auc_vs_logistic_low" in parents[0].data.metrics
    arts = {a.path for a in mlflow.MlflowClient().list_artifacts(parents[0].info.run_id, "plots")}
    assert "plots/backtest_reliability.png" in arts
    teams = mlflow.MlflowClient().download_artifacts(parents[0].info.run_id, "backtest/teams.csv", str(tmp_path))
    assert "employee_id" not in open(teams).read().splitlines()[0]
    # The fairness audit of the pooled out-of-time rows: on the parent run, aggregates only.
    parent = parents[0]
    assert "fairness_flags" in parent.data.metrics
    assert parent.data.tags["fairness_flags"] == str(int(parent.data.metrics["fairness_flags"]))
    assert ("Fairness flags" in res.output) or ("no fairness flags" in res.output)
    import json
    import re

    client = mlflow.MlflowClient()
    doc = json.loads(open(client.download_artifacts(parent.info.run_id, "fairness.json", str(tmp_path))).read())
    assert len(doc["flags"]) == parent.data.metrics["fairness_flags"]
    assert {g["attribute"] for g in doc["groups"]} == {"gender", "age_band"}
    assert "distinct employees" in doc["scope"]
    csv = open(client.download_artifacts(parent.info.run_id, "fairness.csv", str(tmp_path))).read()
    ids = set(medium.tables.employees["employee_id"].astype(str))
    for text in (json.dumps(doc), csv):
        assert not ids & set(re.findall(r"[A-Za-z0-9_-]+", text))
        assert "birth_year" not in text and "employee_id" not in text


def test_cli_backtest_too_early_start_is_a_clean_error(tmp_path, small_centre):
    from click.testing import CliRunner

    from attrition.cli import cli

    data = tmp_path / "data"
    small_centre.write(data)
    res = CliRunner().invoke(cli, ["-q", "backtest", "--data", str(data)])
    assert res.exit_code == 1
    assert "No backtest origin" in res.output or "too little labelled history" in res.output


def test_backtest_command_has_help_and_is_documented():
    from pathlib import Path

    from click.testing import CliRunner

    from attrition.cli import cli

    res = CliRunner().invoke(cli, ["backtest", "--help"])
    assert res.exit_code == 0 and "--start" in res.output and "--capacity" in res.output
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "attrition backtest" in readme and "attrition train --table" in readme


def test_pooled_row_of_small_teams_is_blank_when_it_covers_too_few_people():
    from attrition.analysis._backtest import _team_table

    teams = ["A"] * 10 + ["B"] * 10 + ["C"] * 2
    pred = pd.DataFrame({"team_id": teams, "origin": "2025-01-31",
                         "employee_id": [f"E{i}" for i in range(len(teams))],
                         "label": [0.0] * 20 + [1.0, 1.0], "risk": 0.1})
    out = _team_table(pred, min_group_size=5).set_index("team_id")
    pooled = out.loc["(teams under 5: 1)"]
    assert pooled["employees"] == 2 and np.isnan(pooled["actual"]) and np.isnan(pooled["expected"])
    assert out.loc["A", "actual"] == 0 and out.loc["A", "employee_months"] == 10


def test_backtest_reports_risk_over_time(result):
    """Survival metrics beside the baselines, calibration per horizon, the first-90-days segment."""
    surv = result.survival.set_index("model")
    assert list(surv.index) == ["model", "tenure_only", "logistic"]
    for col in ("td_auc_30d", "td_auc_90d", "concordance", "integrated_brier"):
        assert surv[col].between(0, 1).all(), col
    # the follow-up of origins from 2025-07 to the 2025-12 export is shorter than a year
    assert surv["td_auc_365d"].isna().all()
    assert list(result.horizons["horizon_days"]) == [30, 90, 180, 365]
    cal = result.horizons.set_index("horizon_days").loc[90]
    assert abs(cal["expected"] - cal["actual"]) < 0.5 * cal["actual"]
    seg = result.segments
    assert set(seg["segment"]) == {"first 90 days", "after"}
    early = seg[(seg["segment"] == "first 90 days") & (seg["model"] == "model")].iloc[0]
    assert early["rows"] > 0 and early["leavers"] > 0
    assert seg.groupby("model")["rows"].sum().eq(len(result.predictions)).all()


def test_training_time_to_exit_is_censored_at_the_origin(small_centre, small_snapshots):
    origin = pd.Timestamp(small_snapshots["as_of"].unique()[6])
    train = training_frame(small_snapshots, small_centre.tables.employees, 90, origin)
    end = pd.to_datetime(train["as_of"]) + pd.to_timedelta(train["duration_days"], unit="D")
    assert (end <= origin).all()
    assert (train["duration_days"] >= 0).all()


def test_calibration_methods_are_fitted_on_trees_that_never_saw_the_calibration_months(medium, medium_snapshots):
    """refit="all" boosts the shipped trees again on the calibration months: the isotonic fit the
    backtest compares with Platt's is made on the trees before that refit, as the Platt scaling is."""
    from attrition import AttritionModel
    from attrition.analysis._backtest import _calibrators

    train = training_frame(medium_snapshots, medium.tables.employees, 90, pd.Timestamp("2025-07-31"))
    params = {"n_estimators": 60, "learning_rate": 0.08, "num_threads": 1}
    shipped = AttritionModel(lgbm_params=params, refit="all", level_months=None).fit(train)
    never = AttritionModel(lgbm_params=params, refit=None, level_months=None).fit(train)
    X = shipped.prepare(train)
    assert not np.allclose(shipped.booster_.predict(X, raw_score=True), never.booster_.predict(X, raw_score=True))
    np.testing.assert_allclose(shipped.calibration_booster_.predict(X, raw_score=True),
                               never.booster_.predict(X, raw_score=True))
    assert shipped.calibration_ == pytest.approx(never.calibration_)
    margins = np.linspace(-7.0, 0.0, 200)
    np.testing.assert_allclose(_calibrators(shipped, train)["isotonic"](margins),
                               _calibrators(never, train)["isotonic"](margins))
