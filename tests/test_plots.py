"""Figures: shap plots, risk by group (suppression), expected vs actual."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from attrition import build_snapshots, score_roster
from attrition.explain import measure_explanation, shap_explanation
from attrition.plots import (
    beeswarm_figure,
    driver_summary_figure,
    expected_vs_actual_figure,
    risk_by_group_figure,
    waterfall_figure,
)
from attrition.snapshots import feature_labels


@pytest.fixture(scope="module")
def rows(medium):
    return build_snapshots(medium.tables, as_of=[medium.tables.infer_export_date()], labels=False)


def ticks(fig):
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_beeswarm_uses_readable_labels(medium_model, rows):
    fig = beeswarm_figure(shap_explanation(medium_model, rows, feature_labels()), max_display=8)
    names = ticks(fig)
    assert len(names) == 8 and any("other features" in n for n in names)
    assert not any(n in medium_model.feature_names_in_ for n in names)  # labels, not column names
    plt.close(fig)


def test_waterfall_of_one_employee(medium_model, rows):
    exp = measure_explanation(medium_model, rows.head(1), feature_labels())[0]
    fig = waterfall_figure(exp, max_display=6, title="one person")
    assert fig._suptitle.get_text() == "one person"
    assert len([t for t in ticks(fig) if t]) >= 6
    plt.close(fig)


def test_risk_by_group_never_draws_a_small_team():
    scores = pd.DataFrame({"team_id": ["big"] * 7 + ["tiny"] * 2 + ["mid"] * 5 + ["solo"],
                           "attrition_risk": np.linspace(0.01, 0.4, 15)})
    fig = risk_by_group_figure(scores, min_group_size=5)
    names = ticks(fig)
    assert "tiny" not in names and "solo" not in names and "mid" not in names  # mid joins the pool (3 < 5)
    assert names[0].startswith("Other (3 groups")
    plt.close(fig)


def test_risk_by_group_on_real_scores(medium, medium_model):
    scores = score_roster(medium.tables, medium.tables.infer_export_date(), medium_model)
    fig = risk_by_group_figure(scores, parent="site")
    shown = set(ticks(fig))
    sizes = scores["team_id"].value_counts()
    assert {t for t in shown if not t.startswith("Other")} <= set(sizes[sizes >= 5].index)
    plt.close(fig)


def test_expected_vs_actual_sums_by_month():
    d = ["2024-01-31"] * 10 + ["2024-02-29"] * 10
    fig = expected_vs_actual_figure(d, [0.1] * 10 + [0.3] * 10, [1, 0] * 5 + [1] * 10, valid_start="2024-02-29")
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert list(lines["expected (sum of risks)"].get_ydata()) == pytest.approx([1.0, 3.0])
    assert list(lines["actual leavers"].get_ydata()) == [5.0, 10.0]
    plt.close(fig)


def test_expected_vs_actual_ignores_unknown_outcomes():
    fig = expected_vs_actual_figure(["2024-01-31"] * 4, [0.5] * 4, [1, np.nan, np.nan, 0])
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert list(lines["expected (sum of risks)"].get_ydata()) == [1.0]
    plt.close(fig)


def test_driver_summary_counts_people_and_points():
    s = pd.DataFrame({"driver_1_feature": ["a_28d", "a_91d", "b"], "driver_1_points": [2.0, 3.0, 1.0],
                      "driver_2_feature": ["b", "b", "a_28d"], "driver_2_points": [1.5, -1.0, 0.5]})
    fig = driver_summary_figure(s, {"a_28d": "Alpha, last 28 days", "b": "Beta"})
    assert ticks(fig) == ["Beta", "Alpha"]  # largest at the top
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == pytest.approx([2.5, 5.5])
    plt.close(fig)
