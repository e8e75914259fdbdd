"""The forecast chart and its report section."""

import numpy as np
import pandas as pd

from attrition.analysis import FORECAST_NOTE, PlannedHire, forecast_leavers
from attrition.reporting import build_forecast_report, forecast_figure, forecast_section
from attrition.reporting._templates import render_template


def _forecast():
    rows = pd.DataFrame({"employee_id": [f"emp_{i}" for i in range(23)],
                         "team_id": ["a"] * 8 + ["b"] * 12 + ["c"] * 3, "site": ["x"] * 20 + ["y"] * 3})
    risk = np.cumsum(np.full((23, 6), 0.03), axis=1)
    return forecast_leavers(rows, risk, as_of="2025-06-30", hires=[PlannedHire(2, "b", 5)],
                            new_hire=np.linspace(0.1, 0.4, 6))


def test_section_states_the_assumption_and_shows_no_small_group():
    f = _forecast()
    section = forecast_section(f)
    assert section["note"] == FORECAST_NOTE and section["months"] == 6 and section["planned_hires"] == 5
    assert "c" not in {r["group"] for r in section["teams"]}  # 3 people: pooled, never alone
    assert all(r["people"] >= 5 for r in section["teams"] + section["sites"])
    html = build_forecast_report(f)
    assert "assumes today&#x27;s conditions persist" in html and "data:image/png;base64," in html
    assert "emp_" not in html and "<td>c</td>" not in html and "<td>y</td>" not in html
    assert "including the early exits of 5 planned hires" in html


def test_chart_stacks_planned_hires_on_todays_staff():
    fig = forecast_figure(_forecast())
    bars, line = fig.axes
    labels = [t.get_text() for t in bars.get_legend().get_texts()]
    assert "today's staff" in labels and "planned hires" in labels
    assert [t.get_text() for t in bars.get_xticklabels()][:2] == ["2025-07", "2025-08"]


def test_the_main_report_template_includes_the_section_when_given_a_forecast():
    partial = render_template("_forecast.html.j2", forecast=forecast_section(_forecast()))
    assert partial.startswith("<section><h2>Leavers expected in the next 6 months")
    source = open(__import__("attrition.reporting", fromlist=["x"]).__path__[0] + "/templates/report.html.j2",
                  encoding="utf-8").read()
    assert '{% include "_forecast.html.j2" %}' in source
