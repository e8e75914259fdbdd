"""`attrition train --target` / `attrition score --qq-model`, in process, with a real MLflow store."""

import re

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner

from attrition import simulate
from attrition.cli import cli
from attrition.tracking import load_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("qqcli")
    simulate(n_employees=150, months=16, seed=5).write(root / "data")
    config = root / "attrition.toml"
    config.write_text(f'tracking_uri = "sqlite:///{root / "mlflow.db"}"\nexperiment = "qq-cli"\n')
    return root, config


def invoke(*args):
    """Run the CLI in process; the text is what a terminal shows (stdout and stderr)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result, result.output  # click >= 8.2 interleaves stdout and stderr here


@pytest.fixture(scope="module")
def trained_all(work):
    root, config = work
    result, text = invoke("train", "--data", root / "data", "--config", config, "--target", "all",
                          "--register", "qqcli")
    assert result.exit_code == 0, text
    return text


def test_train_all_registers_both_with_champion(work, trained_all):
    root, _ = work
    assert "models:/qqcli@champion" in trained_all
    assert "models:/qqcli-quiet-quitting@champion" in trained_all
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    for name, target in (("qqcli", "attrition"), ("qqcli-quiet-quitting", "quiet_quitting")):
        version = client.get_model_version_by_alias(name, "champion")
        assert client.get_run(version.run_id).data.tags["target"] == target


def test_score_uses_the_companion_model(work, trained_all):
    root, config = work
    out = root / "scores.csv"
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", "models:/qqcli@champion", "--out", out)
    assert result.exit_code == 0, text
    assert "Quiet quitting:" in text
    scores = pd.read_csv(out)
    assert list(scores.columns[:4]) == ["employee_id", "as_of", "attrition_risk", "risk_band"]
    assert scores["quiet_quitting_risk"].between(0, 1).all()
    index = scores["quiet_quitting_index"]  # unknown (empty) without recent shifts or contacts
    assert index.dropna().between(0, 100).all() and index.notna().mean() > 0.9
    assert {"quiet_quitting_band", "qq_driver_1", "qq_driver_1_feature"} <= set(scores.columns)


def test_qq_model_option_overrides_and_is_checked(work, trained_all):
    root, config = work
    out = root / "scores_v1.csv"
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", "models:/qqcli@champion", "--qq-model", "models:/qqcli-quiet-quitting/1",
                          "--out", out)
    assert result.exit_code == 0, text
    assert pd.read_csv(out)["quiet_quitting_risk"].notna().all()
    bad = root / "bad.csv"
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", "models:/qqcli@champion", "--qq-model", "models:/qqcli/1", "--out", bad)
    assert result.exit_code == 1 and "not of quiet quitting" in text and not bad.exists()


def test_without_a_quiet_quitting_model_the_index_is_still_written(work, trained_all):
    root, config = work
    result, text = invoke("train", "--data", root / "data", "--config", config, "--register", "solo")
    assert result.exit_code == 0, text
    assert "quiet" not in text.lower()  # the default target is attrition alone, as before
    out = root / "solo.csv"
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", "models:/solo@champion", "--out", out)
    assert result.exit_code == 0, text
    assert "Quiet-quitting risk omitted" in text
    scores = pd.read_csv(out)
    assert scores["quiet_quitting_risk"].isna().all()
    assert scores["quiet_quitting_index"].notna().mean() > 0.9
    assert set(scores["quiet_quitting_band"]) <= {"in_state", "not_in_state", "unknown"}
    unknown = scores["quiet_quitting_band"] == "unknown"
    assert (unknown == scores["quiet_quitting_index"].isna()).all()  # unknown exactly without an index


def test_quickstart_shows_both_risks(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    result, text = invoke("quickstart", "--out", tmp_path / "qs", "--employees", 150, "--months", 16)
    assert result.exit_code == 0, text
    assert "Ten highest attrition risks" in text
    assert "Ten highest quiet-quitting risks" in text and "Quiet quitting (entry within the horizon)" in text
    assert "models:/attrition-quickstart-quiet-quitting@champion" in text
    scores = pd.read_csv(tmp_path / "qs" / "scores.csv")
    assert scores["quiet_quitting_risk"].between(0, 1).all() and scores["attrition_risk"].between(0, 1).all()


# ------------------------------------------------- what a new user tries (each failed before)
def test_every_uri_train_prints_works_in_score_whatif_and_report(work, trained_all, monkeypatch):
    root, config = work
    uris = re.findall(r"Model URI: (\S+)", trained_all)
    assert len(uris) == 2 and all(u.startswith("models:/m-") for u in uris)  # MLflow 3 logged models
    out = root / "by_logged_uri.csv"
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", uris[0], "--qq-model", uris[1], "--out", out)
    assert result.exit_code == 0, text
    assert pd.read_csv(out)["quiet_quitting_risk"].between(0, 1).all()
    result, text = invoke("whatif", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", uris[0], "--employee", pd.read_csv(out)["employee_id"].iloc[0],
                          "--set", "sched_late_changes=0")
    assert result.exit_code == 0, text
    result, text = invoke("report", "--scores", out, "--out", root / "by_uri.html", "--config", config,
                          "--model", uris[0])
    assert result.exit_code == 0, text


def test_a_bare_registered_name_finds_the_quiet_quitting_companion(work, trained_all):
    root, config = work
    out = root / "bare.csv"
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", "qqcli", "--out", out)
    assert result.exit_code == 0, text
    assert "omitted" not in text
    assert pd.read_csv(out)["quiet_quitting_risk"].between(0, 1).all()


def test_tracking_uri_option_needs_no_environment_variable(work, trained_all, monkeypatch):
    root, _ = work
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(root / "data")  # no mlflow.db here: the option alone must find the store
    out = root / "by_option.csv"
    result, text = invoke("score", "--data", root / "data", "--as-of", "2025-04-30", "--model", "qqcli",
                          "--tracking-uri", f"sqlite:///{root / 'mlflow.db'}", "--out", out)
    assert result.exit_code == 0, text
    assert pd.read_csv(out)["model_name"].eq("qqcli").all()
    result, text = invoke("report", "--scores", out, "--out", root / "by_option.html",
                          "--tracking-uri", f"sqlite:///{root / 'mlflow.db'}")
    assert result.exit_code == 0, text
    html = (root / "by_option.html").read_text(encoding="utf-8")
    assert "Out-of-time validation" in html  # the model named in the scores was found: a full card


def test_snapshots_are_built_once_per_command(work, trained_all):
    root, config = work
    assert trained_all.count("Snapshots:") == 1  # train --target all: one build for both models
    result, text = invoke("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30",
                          "--model", "qqcli", "--out", root / "once.csv", "--report", root / "once.html")
    assert result.exit_code == 0, text
    # One build: the scoring date (shared by the scores, the quiet-quitting risk and the report,
    # which does not rebuild) together with the month ends before it that the quiet-quitting
    # state's filtered HMM probability reads (the state history).
    builds = re.findall(r"Snapshots: \d+ employee-months over (\d+) as-of dates", text)
    assert len(builds) == 1 and int(builds[0]) > 1, text


def test_the_state_model_never_saw_the_validation_months(work, trained_all):
    # The quiet-quitting labels of the validation months (early stopping, calibration, metrics)
    # read a state model fitted on the months before them only.
    root, _ = work
    model, _ = load_model("models:/qqcli-quiet-quitting@champion", f"sqlite:///{root / 'mlflow.db'}")
    fitted = model.spec_.quiet_quitting_definition().state_model
    assert fitted["fit_last_as_of"] < model.validation_dates_[0]
    assert model.training_summary_["state_model_fit_last_as_of"] == fitted["fit_last_as_of"]



def test_scoring_without_a_report_builds_the_date_and_its_history_in_one_pass(work, trained_all):
    root, config = work
    args = ("score", "--data", root / "data", "--config", config, "--as-of", "2025-04-30", "--model", "qqcli")
    result, text = invoke(*args, "--out", root / "one_pass.csv")
    assert result.exit_code == 0, text
    builds = re.findall(r"Snapshots: \d+ employee-months over (\d+) as-of dates", text)
    assert len(builds) == 1 and int(builds[0]) > 1, builds  # the scoring date with the month ends before it
    # The same scores, to the byte, as building the date alone (as the report run does).
    result, text = invoke(*args, "--out", root / "two_pass.csv", "--report", root / "two_pass.html")
    assert result.exit_code == 0, text
    assert (root / "one_pass.csv").read_bytes() == (root / "two_pass.csv").read_bytes()


def test_a_roster_report_describes_only_the_roster(work, trained_all, monkeypatch):
    import attrition.jobs._workflows as workflows
    from attrition import Config

    root, config = work
    seen = {}
    real = workflows.build_report

    def spy(scores, **kwargs):
        seen["scores"], seen["features"] = len(scores), len(kwargs["features"])
        return real(scores, **kwargs)

    monkeypatch.setattr(workflows, "build_report", spy)
    everyone = pd.read_csv(root / "once.csv") if (root / "once.csv").exists() else None
    ids = (everyone if everyone is not None else pd.read_csv(root / "bare.csv"))["employee_id"].head(20)
    roster = root / "roster.csv"
    pd.DataFrame({"employee_id": ids}).to_csv(roster, index=False)
    cfg = Config.from_file(config).replace(data_dir=root / "data")
    workflows.score(cfg, "2025-04-30", model_uri="qqcli", roster=roster, report=root / "roster.html")
    assert seen == {"scores": 20, "features": 20}


def test_configured_registered_model_is_registered_and_warnings_name_the_model(work):
    root, _ = work
    config = root / "named.toml"
    config.write_text(f'tracking_uri = "sqlite:///{root / "mlflow.db"}"\nexperiment = "qq-cli"\n'
                      'registered_model = "from-config"\n'
                      "[fairness]\nmax_calibration_gap = 0.0\nmax_auc_gap = 0.0\n")
    result, text = invoke("train", "--data", root / "data", "--config", config, "--target", "all")
    assert result.exit_code == 0, text
    assert "models:/from-config@champion" in text and "models:/from-config-quiet-quitting@champion" in text
    # A gap is flagged only beyond its threshold *and* when the two groups' bootstrap intervals do
    # not overlap (attrition.analysis fairness audit), so zero thresholds no longer flag every gap
    # on this small centre: each model's audit must be logged, and any warning must name its model.
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    for name in ("from-config", "from-config-quiet-quitting"):
        run = client.get_run(client.get_model_version_by_alias(name, "champion").run_id)
        assert "fairness_flags" in run.data.tags and "fairness_flags" in run.data.metrics
    fairness = [line for line in text.splitlines() if "Fairness" in line]
    assert all("attrition model" in line or "quiet-quitting model" in line for line in fairness)
