"""`attrition forecast` and flat-table survival through the command line (in-process, real MLflow)."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from attrition.cli import cli
from attrition.data import simulate

# Real MLflow store and a simulated centre written to disk: deselect with -m "not slow".
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def centre_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast")
    simulate(n_employees=120, months=14, seed=4).write(root / "data")
    return root


def _run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def test_forecast_with_the_baseline_and_planned_hires(centre_dir):
    data = centre_dir / "data"
    team = pd.read_csv(data / "employees.csv")["team_id"].iloc[0]
    hires = centre_dir / "hires.csv"
    pd.DataFrame({"month": ["2025-03"], "team": [team], "count": [8]}).to_csv(hires, index=False)
    out, report = centre_dir / "forecast.csv", centre_dir / "forecast.html"
    result = _run("forecast", "--data", data, "--as-of", "2025-01-31", "--months", 6, "--out", out,
                  "--hires", hires, "--model", "baseline", "--report", report)
    assert result.exit_code == 0, result.output
    assert "assumes today's conditions persist" in result.output
    assert "including 8 planned hires" in result.output
    f = pd.read_csv(out)
    total = f[f["level"] == "all"]
    assert list(total["month"]) == ["2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"]
    assert total["planned_hires"].tolist() == [0, 8, 0, 0, 0, 0]
    assert (total["leavers_low"] <= total["expected_leavers"]).all()
    assert (total["expected_leavers"] <= total["leavers_high"]).all()
    assert total["cumulative_expected_leavers"].is_monotonic_increasing
    assert (f.loc[f["level"] == "team", "headcount"] >= 5).all()
    assert "employee_id" not in f.columns
    html = report.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "assumes today" in html


@pytest.mark.parametrize(("hires", "message"), [
    ({"month": ["2025-02"], "team": ["NOPE"], "count": [3]}, "column 'team'"),
    ({"month": ["2030-01"], "team": [None], "count": [3]}, "column 'month'"),
    ({"month": ["2025-02"], "team": [None], "count": ["many"]}, "column 'count'"),
])
def test_bad_hires_exit_1_and_write_nothing(centre_dir, tmp_path, hires, message):
    data = centre_dir / "data"
    team = pd.read_csv(data / "employees.csv")["team_id"].iloc[0]
    frame = pd.DataFrame(hires)
    frame["team"] = frame["team"].fillna(team)
    path = tmp_path / "hires.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "forecast.csv"
    result = CliRunner().invoke(cli, ["forecast", "--data", str(data), "--as-of", "2025-01-31", "--out", str(out),
                                      "--hires", str(path), "--model", "baseline"])
    assert result.exit_code == 1
    assert message in result.output and str(path) in result.output and "1 row(s)" in result.output
    assert not out.exists()


def test_flat_survival_train_and_score(tmp_path):
    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"id": [f"P{i}" for i in range(n)], "shift": rng.choice(["day", "night"], n)})
    t = rng.exponential(np.where(df["shift"] == "night", 12.0, 40.0))
    c = rng.uniform(1, 24, n)
    df["months"] = np.minimum(t, c).round(2)
    df["quit"] = (t <= c).astype(int)
    table = tmp_path / "hr.csv"
    df.to_csv(table, index=False)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    result = _run("train", "--table", table, "--duration", "months", "--event", "quit", "--id", "id",
                  "--horizons", "6,12", "--register", "flatsurv", env=env)
    assert result.exit_code == 0, result.output
    assert "concordance" in result.output and "Cox" in result.output and "Kaplan–Meier" in result.output
    out = tmp_path / "scores.csv"
    result = _run("score", "--table", table, "--id", "id", "--model", "flatsurv", "--out", out, env=env)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert {"attrition_risk_6m", "attrition_risk_12m"} <= set(scores.columns)
    assert (scores["attrition_risk_12m"] >= scores["attrition_risk_6m"]).all()
    bad = df.assign(months=df["months"].where(df.index > 0, -3))
    bad.to_csv(tmp_path / "bad.csv", index=False)
    result = CliRunner().invoke(cli, ["train", "--table", str(tmp_path / "bad.csv"), "--duration", "months",
                                      "--event", "quit"], env=env)
    assert result.exit_code == 1 and "negative duration" in result.output and "'months'" in result.output


def test_forecast_after_the_export_date_is_refused(centre_dir, tmp_path):
    out = tmp_path / "f.csv"
    result = CliRunner().invoke(cli, ["forecast", "--data", str(centre_dir / "data"), "--as-of", "2031-01-31",
                                      "--out", str(out), "--model", "baseline"])
    assert result.exit_code == 1 and "after the exports end" in result.output and not out.exists()
