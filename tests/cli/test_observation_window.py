"""``attrition backtest`` on an export that starts mid-stream (issue 13)."""

import os
import re
import shutil
import subprocess

import pandas as pd
import pytest

from attrition import simulate

pytestmark = pytest.mark.slow


def test_backtest_on_a_midstream_hr_export_skips_survivor_months(tmp_path):
    # An HR master exported after a migration: hires go back years, but only people
    # employed on or after the cut are in it (everyone who left before is missing).
    centre = simulate(n_employees=80, months=30, seed=3, history=False)
    emp = centre.tables.employees
    cut = pd.Timestamp("2025-01-01")
    emp = emp.loc[emp["termination_date"].isna() | (emp["termination_date"] >= cut)]
    assert emp["hire_date"].min() < cut - pd.Timedelta(days=3 * 365)
    data = tmp_path / "data"
    data.mkdir()
    emp.to_csv(data / "employees.csv", index=False, date_format="%Y-%m-%d")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "COLUMNS": "200"}
    proc = subprocess.run([shutil.which("attrition"), "backtest", "--data", str(data), "--horizon-days", "60"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert not re.search(r"\b0 positives", out)
    first_exit = emp["termination_date"].min()
    assert f"Observation starts {first_exit:%Y-%m-%d}" in " ".join(out.split())
    origins = [line for line in out.splitlines() if "Backtest over" in line]
    first_origin = re.search(r"\((\d{4}-\d{2}) \.\.", origins[0]) if origins else None
    assert first_origin, out
    # No origin before observation starts (the survivor-only years are never trained on).
    assert pd.Period(first_origin.group(1), "M") >= first_exit.to_period("M")
