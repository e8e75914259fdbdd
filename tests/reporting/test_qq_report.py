"""The report's quiet-quitting section: prevalence with interval, teams suppressed, entry list, limits."""

import html as html_lib
import re

import numpy as np
import pandas as pd

from attrition.reporting import QQ_LIMITS, quiet_quitting_section
from attrition.reporting._report import build_report

SALT = "qq-report-test-salt-0123456789"


def qq_scores():
    rng = np.random.default_rng(1)
    teams = ["T-big"] * 9 + ["T-mid"] * 6 + ["T-tiny"] * 2
    n = len(teams)
    prob = np.r_[np.full(5, 0.9), rng.uniform(0, 0.2, n - 5)]
    risk = rng.uniform(0.01, 0.4, n)
    scores = pd.DataFrame({
        "employee_id": [f"EMP{i:04d}" for i in range(n)], "as_of": "2025-06-30",
        "attrition_risk": risk, "risk_band": "low", "horizon_days": 90,
        "team_id": teams, "site": ["north"] * 9 + ["south"] * 8,
        "quiet_quitting_risk": rng.uniform(0.01, 0.3, n),
        "quiet_quitting_index": rng.uniform(0, 60, n),
        "quiet_quitting_state_probability": prob,
        "quiet_quitting_state": prob >= 0.5,
        "quiet_quitting_band": np.where(prob >= 0.5, "in_state", "low"),
        "qq_index_components": ["schedule adherence 14.2; after-contact work share 9.8"] * n,
        "qq_driver_1": ["Late changes, last 28 days: 6 (team median 1) — raises risk by 2.0 points"] * n,
    })
    scores.attrs["quiet_quitting_prevalence_by_month"] = [
        {"as_of": "2025-05-31", "n": 17, "prevalence": 0.25, "low": 0.12, "high": 0.41, "level": 0.9},
        {"as_of": "2025-06-30", "n": 17, "prevalence": 0.33, "low": 0.18, "high": 0.47, "level": 0.9}]
    return scores


def test_section_figures_teams_and_entries():
    scores = qq_scores()
    section = quiet_quitting_section(scores, pseudonyms=np.array([f"P{i}" for i in range(len(scores))]))
    assert section["people"] == 17 and section["share"].endswith("%")
    low, high = (float(v.rstrip("%")) for v in (section["low"], section["high"]))
    assert low < float(section["share"].rstrip("%")) < high
    teams = [r["team"] for r in section["teams"]]
    assert "T-tiny" not in teams and all(r["people"] >= 5 for r in section["teams"])
    assert len(section["trend"]) == 2 and section["figure"] is None  # no figure_uri given
    # Entry list: only people not in the state, by falling risk of entering it.
    listed = [int(r["pseudonym"][1:]) for r in section["entries"]]
    assert not scores.loc[listed, "quiet_quitting_state"].any()
    risks = scores.loc[listed, "quiet_quitting_risk"].to_numpy()
    assert (np.diff(risks) <= 0).all()
    assert section["components"][0]["component"] == "schedule adherence"


def test_report_has_the_quiet_quitting_section_without_ids():
    scores = qq_scores()
    html = build_report(scores, id_salt=SALT)
    assert "<h2>Quiet quitting</h2>" in html
    assert "Share in the quiet-quitting state by month" in html  # the trend plot's alt text
    assert "T-tiny" not in html and not re.search(r"EMP\d{4}", html)
    assert QQ_LIMITS[1].split(":")[0] in html_lib.unescape(html)


def test_no_section_without_state_and_suppressed_when_too_few():
    scores = qq_scores().drop(columns=["quiet_quitting_state_probability"])
    assert "<h2>Quiet quitting</h2>" not in build_report(scores, id_salt=SALT)
    few = qq_scores().head(4)
    section = quiet_quitting_section(few, pseudonyms=np.array(["a", "b", "c", "d"]))
    assert section["suppressed"] and "share" not in section
