"""`attrition train --target` / `attrition score --qq-model`, in process, with a real MLflow store."""

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner

from attrition import simulate
from attrition.cli import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("qqcli")
    simulate(n_employees=150, months=16, seed=5).write(root / "data")
    config = root / "attrition.toml"
    config.write_text(f'tracking_uri = "sqlite:///{root / "mlflow.db"}"\nexperiment = "qq-cli"\n')
    return root, config


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result, result.output + (result.stderr if hasattr(result, "stderr") else "")


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
