"""The command line, through the installed ``attrition`` entry point."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Real subprocesses / a real MLflow store: deselect with -m "not slow".
pytestmark = pytest.mark.slow
COMMANDS = ["simulate", "validate", "train", "score", "quickstart", "report", "whatif", "backtest", "forecast"]


def run(*args, cwd, env=None, check=None):
    exe = shutil.which("attrition")
    assert exe, "the console script 'attrition' is not installed (pip install -e .)"
    proc = subprocess.run([exe, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "COLUMNS": "200"}
    run("simulate", root / "data", "--employees", 250, "--months", 20, "--seed", 5, cwd=root, env=env, check=0)
    return root, env


@pytest.fixture(scope="module")
def trained(work):
    root, env = work
    proc = run("train", "--data", root / "data", "--register", "cli-model", cwd=root, env=env, check=0)
    return proc


def test_simulate_writes_every_table(work):
    root, _ = work
    for name in ("employees", "schedule", "workload", "absences", "surveys"):
        assert (root / "data" / f"{name}.csv").is_file()
    assert (root / "data" / "truth" / "ground_truth.csv").is_file()


def test_validate(work):
    root, env = work
    proc = run("validate", "--data", root / "data", cwd=root, env=env, check=0)
    assert "Valid" in proc.stdout


def test_train_reports_and_registers(trained):
    assert re.search(r"ROC AUC 0\.\d+ \(tenure-only baseline 0\.\d+\)", trained.stdout)
    assert "models:/cli-model@champion" in trained.stdout


def test_score_with_registered_model(work, trained):
    root, env = work
    out = root / "scores.csv"
    run("score", "--data", root / "data", "--as-of", "2025-08-31", "--model", "models:/cli-model@champion",
        "--out", out, cwd=root, env=env, check=0)
    scores = pd.read_csv(out)
    assert list(scores.columns[:4]) == ["employee_id", "as_of", "attrition_risk", "risk_band"]
    assert {"driver_1", "driver_2", "driver_3", "horizon_days", "model_name", "model_version"} <= set(scores.columns)
    assert (scores["model_name"] == "cli-model").all() and (scores["model_version"] == 1).all()


def test_score_default_model_from_config(work, trained):
    root, env = work
    cfg = root / "attrition.toml"
    cfg.write_text('registered_model = "cli-model"\nn_drivers = 2\n')
    out = root / "scores2.parquet"
    run("score", "--config", cfg, "--data", root / "data", "--as-of", "2025-06-30", "--out", out,
        cwd=root, env=env, check=0)
    scores = pd.read_parquet(out)
    assert "driver_2" in scores.columns and "driver_3" not in scores.columns


def test_bad_input_fails_cleanly_and_writes_nothing(work, trained):
    root, env = work
    bad = root / "bad"
    shutil.copytree(root / "data", bad)
    emp = pd.read_csv(bad / "employees.csv", dtype=str, keep_default_na=False)
    emp.loc[[3, 7], "hire_date"] = ["03/15/2024", "2024-13-01"]
    emp.to_csv(bad / "employees.csv", index=False)
    out = root / "never.csv"
    proc = run("score", "--data", bad, "--as-of", "2025-08-31", "--model", "models:/cli-model@champion",
               "--out", out, cwd=root, env=env, check=1)
    assert "employees.csv" in proc.stderr and "hire_date" in proc.stderr and "2 " in proc.stderr
    assert "03/15/2024" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert not list(root.glob(".never.csv*"))


def test_unknown_roster_ids_fail_and_write_nothing(work, trained):
    root, env = work
    roster = root / "roster.csv"
    pd.DataFrame({"employee_id": ["E000001", "NOPE-1"]}).to_csv(roster, index=False)
    out = root / "roster_scores.csv"
    proc = run("score", "--data", root / "data", "--as-of", "2025-08-31", "--roster", roster,
               "--model", "models:/cli-model@champion", "--out", out, cwd=root, env=env, check=1)
    assert "NOPE-1" in proc.stderr and not out.exists()


def test_missing_model_fails_cleanly(work):
    root, env = work
    proc = run("score", "--data", root / "data", "--as-of", "2025-08-31", "--model", "models:/nope@champion",
               "--out", root / "x.csv", cwd=root, env=env, check=1)
    assert "attrition train" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_as_of_is_a_usage_error(work):
    root, env = work
    proc = run("score", "--data", root / "data", "--as-of", "31/08/2025", "--out", root / "x.csv",
               cwd=root, env=env, check=2)
    assert "YYYY-MM-DD" in proc.stderr


def test_quickstart_small(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["COLUMNS"] = "200"
    proc = run("quickstart", "--out", tmp_path / "qs", "--employees", 150, "--months", 16,
               cwd=tmp_path, env=env, check=0)
    assert "Ten highest attrition risks" in proc.stdout
    assert "mlflow ui --backend-store-uri sqlite:///" in proc.stdout
    assert (tmp_path / "qs" / "scores.csv").is_file() and (tmp_path / "qs" / "mlflow.db").is_file()
    assert not (tmp_path / "mlflow.db").exists()  # the store stays inside the quickstart folder


def test_python_dash_m_works(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "attrition", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "attrition" in proc.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command, tmp_path):
    proc = run(command, "--help", cwd=tmp_path, check=0)
    assert "Usage:" in proc.stdout
    readme = (ROOT / "README.md").read_text()
    assert f"attrition {command}" in readme, f"README does not document `attrition {command}`"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    command = [line for line in ci.splitlines() if "pytest" in line]
    assert command and command[0].strip() in readme
