"""Figures: shap plots, risk by group (suppression), expected vs actual; no backend change."""

import os
import subprocess
import sys
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from attrition import build_snapshots, score_roster
from attrition.analysis._drivers import probability_points
from attrition.analysis._explain import measure_explanation
from attrition.reporting._plots import (
    beeswarm_figure,
    driver_summary_figure,
    expected_vs_actual_figure,
    risk_by_group_figure,
    risk_points_explanation,
    waterfall_figure,
)
from attrition.snapshots._spec import feature_labels


@pytest.fixture(scope="module")
def rows(medium):
    return build_snapshots(medium.tables, as_of=[medium.tables.infer_export_date()], labels=False)


def ticks(fig):
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_beeswarm_uses_readable_labels(medium_model, rows):
    # the model's labels: the declared tables' features (performance, coaching) are labelled by its spec
    exp = risk_points_explanation(medium_model, rows, medium_model.feature_labels())
    fig = beeswarm_figure(exp, max_display=8)
    names = ticks(fig)
    assert len(names) == 8 and any("other measures together" in n for n in names)
    assert not any(n in medium_model.feature_names_in_ for n in names)  # labels, not column names
    assert len(set(names)) == len(names)  # no two rows read the same
    assert "log-odds" not in fig.axes[0].get_xlabel() and "Risk points" in fig.axes[0].get_xlabel()
    # Probability points: each person's points are the drivers' points of the scores file for that measure.
    risk = medium_model.predict_risk(rows)
    c = medium_model.contributions(rows)
    tenure = [i for i, f in enumerate(exp.feature_names) if f == "Tenure"][0]
    phi = c[[f for f in ("tenure_days", "log_tenure", "early_tenure") if f in c]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(exp.values[:, tenure], probability_points(risk, phi), atol=1e-6)
    plt.close(fig)


def test_beeswarm_is_the_same_figure_on_every_run_and_leaves_numpys_state(medium_model, rows):
    """shap jitters the dots with numpy's global generator: the figure seeds it, so the same
    explanation draws the same dots whatever state the caller's generator is in, and gives the
    caller's state back."""
    exp = risk_points_explanation(medium_model, rows.head(300), medium_model.feature_labels())

    def dots(seed):
        np.random.seed(seed)
        fig = beeswarm_figure(exp, max_display=6)
        after = np.random.random()
        np.random.seed(seed)
        assert after == np.random.random(), "the caller's random state was not given back"
        out = np.vstack([c.get_offsets() for c in fig.axes[0].collections if len(c.get_offsets())])
        plt.close(fig)
        return out

    assert np.array_equal(dots(1), dots(2))


def test_waterfall_is_in_probability_points(medium_model, rows):
    exp = measure_explanation(medium_model, rows.head(1), feature_labels())[0]
    fig = waterfall_figure(exp, max_display=6)
    ax = fig.axes[0]
    assert "Risk (%)" in ax.get_xlabel() and "f(x)" not in ax.get_xlabel()
    widths = sum(p.get_width() for p in ax.patches)  # the steps add up to risk minus the average risk
    risk = float(medium_model.predict_risk(rows.head(1))[0])
    base = 1 / (1 + np.exp(-float(np.ravel(exp.base_values)[0])))
    assert widths == pytest.approx(100 * (risk - base), abs=1e-4)
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
    assert list(lines["actual voluntary leavers"].get_ydata()) == [5.0, 10.0]
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


#: Runs in a fresh interpreter: sets a non-Agg backend and interactive mode, then makes every
#: figure of attrition.reporting and checks that neither changed and pyplot holds no figure.
_BACKEND_SCRIPT = textwrap.dedent("""
    import matplotlib
    try:
        import matplotlib_inline  # noqa: F401
        matplotlib.use("module://matplotlib_inline.backend_inline")
    except ImportError:
        pass
    import matplotlib.pyplot as plt
    plt.ion()
    before = matplotlib.get_backend()
    from types import SimpleNamespace
    import numpy as np
    import pandas as pd
    import shap
    import attrition.reporting
    from attrition.reporting import _plots as P
    from attrition.reporting._report import figure_to_data_uri
    from attrition.models._baselines import BASELINES

    rng = np.random.default_rng(0)
    exp = shap.Explanation(values=rng.normal(size=(40, 4)), base_values=np.full(40, -2.0),
                           data=rng.normal(size=(40, 4)), feature_names=["a", "b", "c", "d"])
    dates = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])
    origins = pd.DataFrame({"origin": dates, "model_roc_auc": [0.7, 0.72, 0.71],
                            **{f"{b}_roc_auc": [0.6, 0.61, 0.62] for b in BASELINES},
                            "model_expected": [10.0, 11.0, 12.0], "model_expected_low": [8.0, 9.0, 10.0],
                            "model_expected_high": [12.0, 13.0, 14.0], "model_actual": [9, 12, 11]})
    rel = pd.DataFrame({"method": np.repeat(["platt", "isotonic", "none"], 2),
                        "mean_predicted": [0.1, 0.3] * 3, "observed_rate": [0.12, 0.28] * 3,
                        "low": [0.08, 0.22] * 3, "high": [0.16, 0.34] * 3})
    result = SimpleNamespace(reliability=rel, origins=origins,
                             calibration=pd.DataFrame({"method": ["platt", "isotonic", "none"],
                                                       "pooled_ece": [0.01, 0.02, 0.05]}),
                             lift=pd.DataFrame({"decile": range(1, 11), "lift": np.linspace(3, 0.2, 10)}))
    scores = pd.DataFrame({"team_id": ["a"] * 6 + ["b"] * 6, "attrition_risk": np.linspace(0.01, 0.4, 12),
                           "driver_1_feature": ["x_28d"] * 12, "driver_1_points": [2.0] * 12})
    figures = [
        P.calibration_figure([0, 1] * 20, np.linspace(0.05, 0.9, 40), n_bins=4),
        P.driver_importance_figure(pd.DataFrame(exp.values, columns=exp.feature_names)),
        P.beeswarm_figure(exp, max_display=3),
        P.waterfall_figure(exp[0], max_display=3, title="one"),
        P.risk_by_group_figure(scores),
        P.expected_vs_actual_figure(["2024-01-31"] * 12, scores["attrition_risk"], [0, 1] * 6),
        P.driver_summary_figure(scores),
        *P.backtest_figures(result).values(),
    ]
    assert matplotlib.get_backend() == before, (before, matplotlib.get_backend())
    assert plt.isinteractive(), "interactive mode was switched off"
    assert plt.get_fignums() == [], plt.get_fignums()
    for fig in figures:
        assert fig._repr_png_().startswith(b"\\x89PNG")  # displays inline in Jupyter
        assert figure_to_data_uri(fig).startswith("data:image/png;base64,")
    assert matplotlib.get_backend() == before
    print("ok", before, len(figures))
""")


def test_figures_never_change_the_backend_or_pyplot_state():
    """Importing attrition.reporting and making each figure leaves the user's backend,
    interactive mode and pyplot's figure list as they were (a non-Agg backend when
    matplotlib_inline is installed); every figure renders with no display."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    res = subprocess.run([sys.executable, "-c", _BACKEND_SCRIPT], capture_output=True, text=True, timeout=300,
                         env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.startswith("ok ") and res.stdout.split()[-1] == "11"


def test_import_attrition_does_not_import_matplotlib():
    code = "import sys, attrition; print(sorted(m for m in sys.modules if m.split('.')[0] in {'matplotlib', 'shap'}))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip() == "[]"
