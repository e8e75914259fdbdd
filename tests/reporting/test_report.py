"""The HTML report: self-contained, pseudonymous, suppressed; renders in Chromium; CLI."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from attrition import Config, build_snapshots, score_roster
from attrition.cli import cli
from attrition.data._privacy import pseudonymise
from attrition.reporting._report import build_report, write_report

ROOT = Path(__file__).resolve().parents[2]
SALT = "report-test-salt-0123456789"


def small_scores():
    rng = np.random.default_rng(0)
    teams = ["T-big"] * 9 + ["T-mid"] * 6 + ["T-tiny"] * 2
    n = len(teams)
    risk = rng.uniform(0.01, 0.6, n)
    return pd.DataFrame({
        "employee_id": [f"EMP{i:04d}" for i in range(n)], "as_of": "2025-06-30",
        "attrition_risk": risk, "risk_band": np.where(risk > 0.3, "high", "low"),
        "driver_1": ["Late changes, last 28 days: 6 (team median 1) — raises risk by 4.1 points"] * n,
        "driver_1_feature": ["sched_late_changes_28d"] * n, "driver_1_points": [4.1] * n,
        "horizon_days": 90, "model_name": "m", "model_version": "2",
        "team_id": teams, "site": ["north"] * 9 + ["south"] * 8,
    })


def test_report_is_self_contained_and_pseudonymous():
    scores = small_scores()
    html = build_report(scores, id_salt=SALT)
    assert not any(e in html for e in scores["employee_id"])  # no raw id anywhere
    assert pseudonymise([scores["employee_id"].iloc[scores["attrition_risk"].argmax()]], SALT)[0] in html
    assert not re.search(r"(src|href)=[\"']?(https?:|//)", html)  # nothing fetched from a network
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count("data:image/png;base64,") >= 2
    assert "Intended use and limits" in html and "not causes" in html


def test_report_uses_the_scores_pseudonym_column():
    scores = small_scores()
    scores["employee_pseudonym"] = [f"p-given{i}" for i in range(len(scores))]
    assert "p-given" in build_report(scores, id_salt=SALT)


def test_small_teams_never_appear_in_the_report():
    html = build_report(small_scores(), id_salt=SALT)
    assert "T-tiny" not in html
    assert "T-big" in html and "Other (2 groups pooled)" in html  # tiny (2) + mid (6) in site... pooled
    assert "small team" in html  # the top-risk list hides the team of pooled people


def test_report_of_too_few_people_shows_no_figures():
    scores = small_scores().head(4)
    html = build_report(scores, id_salt=SALT)
    assert "Fewer than 5" in html and "data:image/png" not in html and "EMP0" not in html
    assert "p-" not in html.split("Model card")[0].split("</header>")[1]


def test_report_needs_scores_columns():
    from attrition import SchemaError

    with pytest.raises(SchemaError, match="attrition_risk"):
        build_report(pd.DataFrame({"employee_id": ["a"]}))


def test_report_card_from_the_scores_alone():
    html = build_report(small_scores(), id_salt=SALT)
    card = html.split("<h2>Model card</h2>")[1]
    assert "<b>Model</b>: m, version 2" in card and "within 90 days" in card
    assert "pass the model (<code>--model</code>)" in card and "Intended use and limits" in card


# ----------------------------------------------------------------- the model card
def _series_model(target="attrition"):
    from types import SimpleNamespace

    metrics = {f"{p}{k}": v for p, v in (("valid_", 0.7123), ("baseline_valid_", 0.6), ("lr_baseline_valid_", 0.65),
                                         ("prior_baseline_valid_", 0.5))
               for k in ("roc_auc", "pr_auc", "brier", "log_loss", "precision_top10", "lift_top10")}
    summary = {"train_first_as_of": "2024-01-31", "train_last_as_of": "2024-09-30", "valid_first_as_of": "2025-01-31",
               "valid_last_as_of": "2025-03-31", "n_train": 4000, "n_valid": 900, "n_censored": 700,
               "horizon_days": 60}
    return SimpleNamespace(target=target, spec_=SimpleNamespace(horizon_days=60), training_summary_=summary,
                           metrics_=metrics, thresholds_={"medium": 0.05, "high": 0.15}, base_rate_=0.05,
                           risk_bands={"medium": 1.0, "high": 3.0})


def test_model_card_markdown_and_html_say_the_same():
    from attrition.reporting._model_card import model_card, model_card_html, model_card_markdown
    from attrition.reporting._templates import inline_html

    kw = {"model_info": {"model_name": "attrition", "model_version": "4"}, "fingerprint": "fp0123",
          "fairness": {"flags": ["one"], "min_group_size": 5, "groups": []}}
    model = _series_model()
    card = model_card(model, **kw)
    md, page = model_card_markdown(model, **kw), model_card_html(model, **kw)
    lines = [card["predicts"], *card["intended_use"], *card["data"], *card["limits"], card["risk_bands"]["text"],
             card["fairness"]]
    for line in lines:
        assert line in md and inline_html(line) in page
    assert "fp0123" in md and "**1 flag**" in md
    assert card["metrics"]["columns"] == ["Model", "Tenure-only baseline", "Logistic regression", "Class prior"]
    assert "| ROC AUC (ranking; 0.5 = chance) | 0.7123 | 0.6000 | 0.6500 | 0.5000 |" in md
    assert "<td class='n'>0.712</td>" in page
    assert "high from 15.0%, medium from 5.0% (3× and 1× the validation base rate 5.0%)" in card["risk_bands"]["text"]
    assert "within 60 days" in card["predicts"] and "*voluntarily*" in card["predicts"]
    assert "**Model**: attrition, version 4" in md and "<b>Model</b>: attrition, version 4" in page


def test_model_card_of_a_real_model(medium_model):
    from attrition.reporting._model_card import model_card_markdown

    md = model_card_markdown(medium_model)
    assert md.startswith("# Attrition model card\n")
    assert f"{medium_model.metrics_['valid_roc_auc']:.4f}" in md
    assert medium_model.training_summary_["valid_first_as_of"] in md


def test_quiet_quitting_model_card():
    from attrition.reporting._model_card import model_card

    card = model_card(_series_model("quiet_quitting"))
    assert card["title"] == "Quiet-quitting model card" and card["kind"] == "quiet_quitting"
    assert "enters the state within 60 days" in card["predicts"] and "not a diagnosis" in card["predicts"]
    assert "do not enter the state" in card["intended_use"][1]
    assert any("proxy from observable effort" in t for t in card["limits"])


def test_flat_model_card():
    from types import SimpleNamespace

    from attrition.reporting._model_card import flat_model_card_markdown, model_card

    metrics = {f"{p}{k}{sd}": (0.02 if sd else 0.75) for p in ("cv_", "logistic_cv_", "class_prior_cv_")
               for k in ("roc_auc", "pr_auc", "brier", "log_loss", "ece", "precision_top10", "lift_top10")
               for sd in ("", "_sd")}
    summary = {"mode": "flat", "validation": "2x5-fold repeated stratified cross-validation", "n_rows": 1470,
               "positives": 237, "target": "Attrition", "positive": "Yes", "setting": "stumps",
               "inner_auc": {"stumps": 0.81}, "best_iteration": 120, "horizon_days": None, "dropped": ["Gender"]}
    model = SimpleNamespace(training_summary_=summary, metrics_=metrics, thresholds_={"medium": 0.16, "high": 0.32},
                            base_rate_=0.16, risk_bands=None, target="attrition")
    md = flat_model_card_markdown(SimpleNamespace(model=model, dropped=["Gender", "Age"]), "ibm.csv")
    assert md.startswith("# Attrition model card (flat table)")
    assert "`Attrition` is `Yes`" in md and "Table: `ibm.csv`, 1,470 rows, 237 positives." in md
    assert "Columns dropped (protected or requested): Gender, Age." in md
    assert "`stumps` (120 trees)" in md and "## Metrics: 2x5-fold repeated stratified cross-validation" in md
    assert "| ROC AUC (ranking; 0.5 = chance) | 0.7500 ± 0.0200 | 0.7500 ± 0.0200 | 0.7500 ± 0.0200 |" in md
    card = model_card(model)  # the model alone: the report's card
    assert card["kind"] == "flat" and card["horizon_days"] is None
    assert "Columns dropped (protected or requested): Gender." in card["data"]
    assert "**Not for** hiring" in md and "cross-validated on the same table" in md


def _fairness_doc():
    """A real audit: group 'a' well served, 'b' not (flags), 'c' three people (suppressed),
    'd' twelve people (suppressed with 'c' so 'c' cannot be recovered by subtraction)."""
    from attrition.analysis._fairness import fairness_audit

    rng = np.random.default_rng(0)
    g = np.array(["a"] * 300 + ["b"] * 300 + ["c"] * 9 + ["d"] * 12)
    y = (rng.random(len(g)) < 0.3).astype(float)
    risk = np.where(g == "a", 0.1 + 0.5 * y, rng.uniform(0.3, 0.9, len(g)))
    ids = np.concatenate([np.arange(600), [9001, 9002, 9003] * 3, np.arange(5000, 5012)])
    return fairness_audit(y, risk, pd.DataFrame({"gender": g}), high_threshold=0.4, ids=ids).to_dict()


def test_report_fairness_section_shows_groups_and_flags():
    import html as html_lib

    doc = _fairness_doc()
    assert doc["flags"]
    page = build_report(small_scores(), id_salt=SALT, fairness=doc)
    section = page.split("<h2>Fairness audit</h2>")[1].split("</section>")[0]
    for flag in doc["flags"]:
        assert html_lib.escape(flag) in section
    assert "a prompt to look, not a verdict" in section
    rows = dict(re.findall(r"<tr[^>]*><td>Gender</td><td>([^<]*)</td>(.*?)</tr>", section))
    a = next(x for x in doc["groups"] if x["group"] == "a")
    assert f"{a['roc_auc']:.3f}" in rows["a"] and f">{a['n_employees']:.0f}<" in rows["a"]
    assert "c (suppressed)" in rows and rows["c (suppressed)"].count("<td class='n'></td>") == 8
    # Without an audit on the model's run: one line; without a known run: no section.
    none = build_report(small_scores(), id_salt=SALT, fairness={})
    assert "has no fairness audit" in none
    assert "Fairness audit" not in build_report(small_scores(), id_salt=SALT)


def test_model_fairness_reads_the_runs_artefact(tmp_path):
    import mlflow

    from attrition.tracking._mlflow import model_fairness

    config = Config(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", experiment="fair")
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_experiment("fair")
    doc = _fairness_doc()
    with mlflow.start_run() as audited:
        mlflow.log_dict(doc, "fairness.json")
    with mlflow.start_run() as older:
        mlflow.log_dict({"features": []}, "features.json")
    assert model_fairness({"run_id": audited.info.run_id}, config.tracking_uri)["flags"] == doc["flags"]
    assert model_fairness({"run_id": older.info.run_id}, config.tracking_uri) == {}
    assert model_fairness({"model_name": "m"}, config.tracking_uri) is None


@pytest.fixture(scope="module")
def full_report(tmp_path_factory, medium, medium_snapshots, medium_model):
    as_of = medium.tables.infer_export_date()
    scores = score_roster(medium.tables, as_of, medium_model)
    rows = build_snapshots(medium.tables, as_of=[as_of], labels=False)
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, scores, id_salt=SALT, model=medium_model,
                 model_info={"model_name": "attrition", "model_version": "7"}, features=rows,
                 outcomes=medium_snapshots)
    return path, scores


def test_full_report_sections(full_report, medium_model):
    path, scores = full_report
    html = path.read_text(encoding="utf-8")
    for heading in ("The month in figures", "Where the risk is", "What drives the risk",
                    "The 20 highest risks", "Has the model been right?", "Model card"):
        assert heading in html
    assert html.count("data:image/png;base64,") == 6  # team box, drivers, beeswarm, waterfall, expected, calibration
    assert f"{medium_model.metrics_['valid_roc_auc']:.3f}" in html
    assert medium_model.training_summary_["train_first_as_of"] in html
    assert not any(f">{e}<" in html or f" {e} " in html for e in scores["employee_id"])
    assert "raises risk by" in html
    # In an HR partner's words: a reading guide first, probability points, no model notation.
    assert html.index("How to read this report") < html.index("The month in figures")
    for jargon in ("log-odds", "f(x)", "E[f(X)]", "1 people", "Tenure (days)", "(std, minutes)"):
        assert jargon not in html, jargon


def _chromium():
    env = os.environ.get("ATTRITION_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


#: Appended to a copy of the report (the report itself has no script): once the page has
#: loaded, it writes what a reader would see go wrong into a <pre id="probe"> as JSON.
_PROBE = """<script>
window.addEventListener("load", function () {
  var d = document.documentElement, imgs = Array.from(document.images);
  var r = {scrollWidth: d.scrollWidth, innerWidth: window.innerWidth, height: d.scrollHeight, images: imgs.length,
    broken: imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length,
    overflowing: Array.from(document.querySelectorAll("section"))
      .filter(function (s) { return s.scrollWidth > s.clientWidth + 1; })
      .map(function (s) { return s.querySelector("h2").textContent; })};
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
});
</script>"""


def _headless(exe, tmp_path, *args):
    return subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=180)


@pytest.mark.slow
@pytest.mark.parametrize("width", [1440, 1024], ids=["desktop", "laptop"])
def test_report_renders_in_chromium(full_report, tmp_path, width):
    """Headless Chromium opens the report offline at a desktop and a laptop width: every image loads,
    nothing overflows sideways, and a full-page screenshot shows the whole report, not a blank page."""
    import json

    exe = _chromium()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is required under CI=true: run tools/install-chromium first.")
        pytest.skip("No Chromium: run tools/install-chromium (or set ATTRITION_CHROMIUM).")
    from PIL import Image

    path, _ = full_report
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    proc = _headless(exe, tmp_path, f"--window-size={width},900", "--virtual-time-budget=10000", "--dump-dom",
                     probe.resolve().as_uri())
    found = re.search(r'<pre id="probe">([^<]*)</pre>', proc.stdout)
    assert found, f"the page did not load (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    page = json.loads(found.group(1).replace("&quot;", '"'))
    assert page["images"] == 6 and page["broken"] == 0, page  # every plot decodes
    assert page["scrollWidth"] <= page["innerWidth"], page  # no sideways scrolling
    assert page["overflowing"] == [], page  # no table or figure sticks out of its section
    assert 4000 < page["height"] < 30000, page  # the whole report, not a stub

    shot = tmp_path / f"report-{width}.png"
    proc = _headless(exe, tmp_path, f"--screenshot={shot}", f"--window-size={width},{page['height']}",
                     path.resolve().as_uri())
    assert shot.is_file(), f"no screenshot (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (page["height"], width)
    header = img[10:60, 10:width - 10]
    assert np.abs(header - np.array([0x1F, 0x3B, 0x57])).sum(axis=2).mean() < 30  # the navy header drew
    background = (np.abs(img - np.array([0xF4, 0xF6, 0xF8])).sum(axis=2) < 6) | (img.min(axis=2) > 250)
    assert background.mean() < 0.93, background.mean()  # text, tables and plots cover the page
    drawn_rows = np.flatnonzero(~background.all(axis=1))
    assert drawn_rows.max() > 0.9 * page["height"], (drawn_rows.max(), page["height"])  # drawn to the end
    if os.environ.get("ATTRITION_KEEP_SCREENSHOT"):  # a folder: look at the PNGs yourself
        keep = Path(os.environ["ATTRITION_KEEP_SCREENSHOT"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / shot.name)


# ----------------------------------------------------------------- CLI, real MLflow store
@pytest.fixture(scope="module")
def trained(tmp_path_factory, medium):
    import attrition

    root = tmp_path_factory.mktemp("report-cli")
    data = medium.write(root / "data")
    cfg = root / "attrition.toml"
    cfg.write_text(f'tracking_uri = "sqlite:///{root / "mlflow.db"}"\nregistered_model = "rep"\n'
                   f'id_salt = "{SALT}"\nexperiment = "rep"\n')
    config = Config.from_file(cfg)
    tables = attrition.load_tables(root / "data", columns=config.columns)
    result = attrition.train(config, register="rep", tables=tables)
    return root, cfg, result, data


@pytest.mark.slow
def test_training_run_logs_plots_and_a_suppressed_rollup(trained):
    import mlflow

    root, _, result, _ = trained
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    names = {a.path for a in client.list_artifacts(result.run.run_id, "plots")}
    assert {"plots/driver_beeswarm_validation.png", "plots/expected_vs_actual_leavers.png"} <= names
    local = mlflow.artifacts.download_artifacts(
        run_id=result.run.run_id, artifact_path="rollups/team_rollup_last_validation_month.csv",
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    table = pd.read_csv(local)
    assert (table["headcount"] >= 5).all() and "actual_leavers" in table
    text = Path(local).read_text()
    assert not re.search(r"E\d{6}", text)  # no employee ids
    assert not {"birth_year", "gender", "employee_id"} & set(table.columns)


@pytest.mark.slow
def test_cli_score_report_and_report_and_whatif(trained, medium):
    root, cfg, result, _ = trained
    as_of = f"{medium.tables.infer_export_date():%Y-%m-%d}"
    runner = CliRunner()
    out, rep = root / "scores.csv", root / "score-report.html"
    res = runner.invoke(cli, ["score", "--config", str(cfg), "--data", str(root / "data"), "--as-of", as_of,
                              "--out", str(out), "--report", str(rep)])
    assert res.exit_code == 0, res.output
    assert rep.is_file() and "Report:" in res.output
    scores = pd.read_csv(out)
    assert (scores["employee_pseudonym"] == pseudonymise(scores["employee_id"], SALT)).all()
    assert {"team_id", "site", "driver_1_points", "driver_1_reference"} <= set(scores.columns)

    rep2 = root / "from-file.html"
    res = runner.invoke(cli, ["report", "--scores", str(out), "--out", str(rep2), "--config", str(cfg),
                              "--model", "models:/rep@champion", "--data", str(root / "data")])
    assert res.exit_code == 0, res.output
    html = rep2.read_text(encoding="utf-8")
    assert "Out-of-time validation" in html and "version 1" in html
    # The fairness audit of the model's training run (its fairness.json in the MLflow store).
    import html as html_lib

    audit = result.run.fairness
    assert "<h2>Fairness audit</h2>" in html
    for flag in audit.flags:
        assert html_lib.escape(flag) in html
    if not audit.flags:
        assert "No fairness flags" in html
    shown = audit.to_frame().query("not suppressed")
    assert all(f"{v:.0f}" in html for v in shown["n_employees"])
    assert "<h2>Fairness audit</h2>" in rep.read_text(encoding="utf-8")  # score --report too
    assert not any(f"{e}<" in html for e in scores["employee_id"])

    emp = scores["employee_id"].iloc[0]
    res = runner.invoke(cli, ["whatif", "--config", str(cfg), "--data", str(root / "data"), "--as-of", as_of,
                              "--employee", emp, "--set", "sched_late_changes=0",
                              "--set", "wl_occupancy_mean<=85%"])
    assert res.exit_code == 0, res.output
    assert f"{emp}: risk " in res.output and "not causal effects" in res.output
    team = scores["team_id"].value_counts().index[0]
    res = runner.invoke(cli, ["whatif", "--config", str(cfg), "--data", str(root / "data"), "--as-of", as_of,
                              "--team", team, "--set", "sched_night_share=0"])
    assert res.exit_code == 0, res.output
    assert f"Team {team}" in res.output and "expected leavers" in res.output
    assert not re.search(r"E\d{6}", res.output)  # a team what-if shows no one


@pytest.mark.slow
def test_report_from_scores_alone_finds_the_model_beside_them(trained, medium, tmp_path, monkeypatch):
    """`attrition report --scores FILE` with no config: the model named in the scores is found in the
    mlflow.db beside them (as `attrition quickstart` lays them out); what cannot be added is listed."""
    import attrition

    root, cfg, _, _ = trained
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("ATTRITION_ID_SALT", SALT)
    monkeypatch.chdir(tmp_path)  # no mlflow.db here
    scores = root / "scores-beside.csv"
    attrition.score(Config.from_file(cfg), medium.tables.infer_export_date(), out=scores, tables=medium.tables)
    res = CliRunner().invoke(cli, ["report", "--scores", str(scores), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Out-of-time validation" in html and "<h2>Fairness audit</h2>" in html  # the model was found
    left = html.split("Left out of this report")[1].split("</div>")[0]
    assert "Pass --data DIR" in left and "not in the tracking store" not in left

    alone = tmp_path / "elsewhere" / "scores.csv"  # no store beside: said at the top, not only in the log
    alone.parent.mkdir()
    alone.write_bytes(scores.read_bytes())
    res = CliRunner().invoke(cli, ["report", "--scores", str(alone), "--out", str(tmp_path / "r2.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r2.html").read_text(encoding="utf-8")
    left = html.split("Left out of this report")[1].split("</div>")[0]
    assert "models:/rep/1" in left and "Pass --model" in left and "Out-of-time validation" not in html


def test_report_lists_what_is_left_out():
    html = build_report(small_scores(), id_salt=SALT, left_out=["The waterfall: pass --data."])
    assert "<b>Left out of this report</b>" in html and "<li>The waterfall: pass --data.</li>" in html
    assert "Left out of this report" not in build_report(small_scores(), id_salt=SALT)


@pytest.mark.slow
def test_cli_errors_write_nothing(trained, medium):
    root, cfg, _, _ = trained
    runner = CliRunner()
    res = runner.invoke(cli, ["report", "--scores", str(root / "missing.csv"), "--out", str(root / "x.html")])
    assert res.exit_code == 1 and "does not exist" in res.output and not (root / "x.html").exists()
    as_of = f"{medium.tables.infer_export_date():%Y-%m-%d}"
    res = runner.invoke(cli, ["whatif", "--config", str(cfg), "--data", str(root / "data"), "--as-of", as_of,
                              "--employee", "NOPE", "--set", "tenure_days=1"])
    assert res.exit_code == 1 and "NOPE" in res.output
    emp = medium.tables.employees
    employed = str(emp.loc[emp["termination_date"].isna(), "employee_id"].iloc[0])
    res = runner.invoke(cli, ["whatif", "--config", str(cfg), "--data", str(root / "data"), "--as-of", as_of,
                              "--employee", employed, "--set", "made_up=1"])
    assert res.exit_code == 1 and "no feature or measure" in res.output


def test_readme_and_ci_install_chromium():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    line = "tools/install-chromium && pip install -e '.[test]' && pytest"
    assert line in ci.splitlines() and line in readme
    assert os.access(ROOT / "tools" / "install-chromium", os.X_OK)
    for command in ("attrition report", "attrition whatif", "--report"):
        assert command in readme


@pytest.mark.slow
def test_quickstart_ends_with_the_report_path(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("ATTRITION_ID_SALT", SALT)
    res = CliRunner().invoke(cli, ["quickstart", "--out", str(tmp_path / "qs"), "--employees", "120",
                                   "--months", "14"], terminal_width=200)
    assert res.exit_code == 0, res.output
    last = res.output.strip().splitlines()
    report = tmp_path / "qs" / "report.html"
    assert report.is_file() and last[-1] == f"Report: {report.resolve()}"  # the last line
    html = report.read_text(encoding="utf-8")
    assert "Has the model been right?" in html and "Model card" in html
    scores = pd.read_csv(tmp_path / "qs" / "scores.csv")
    assert not any(f">{e}<" in html for e in scores["employee_id"])


def test_training_beeswarm_draws_a_fixed_sample_of_a_large_validation_set(monkeypatch, medium_snapshots,
                                                                          medium_model):
    """Above POINT_ROWS validation rows the beeswarm draws a seeded sample (named in its title);
    the roll-up and the expected-vs-actual figure read every row, as before."""
    from attrition.reporting import _report

    labels = medium_model.feature_labels()
    rows = medium_snapshots.loc[medium_model.validation_mask(medium_snapshots)]
    full_figs, full_table = _report.training_artifacts(medium_model, medium_snapshots, labels)
    monkeypatch.setattr(_report, "POINT_ROWS", 50)
    figs, table = _report.training_artifacts(medium_model, medium_snapshots, labels)
    figs2, _ = _report.training_artifacts(medium_model, medium_snapshots, labels)
    pd.testing.assert_frame_equal(table, full_table)

    def dots(fig):
        return [len(c.get_offsets()) for c in fig.axes[0].collections if len(c.get_offsets())]

    bees, full_bees = figs["plots/driver_beeswarm_validation.png"], full_figs["plots/driver_beeswarm_validation.png"]
    # one dot per row and measure shown (shap draws the missing values apart, in grey)
    shown = len(bees.axes[0].get_yticks())
    assert sum(dots(bees)) == 50 * shown and sum(dots(full_bees)) == len(rows) * shown
    assert f"a random sample of 50 of the {len(rows):,} validation rows" in bees._suptitle.get_text()
    assert "sample" not in full_bees._suptitle.get_text()
    def xs(fig):  # shap shuffles the drawing order of the dots itself: compare the points as sets
        return [sorted(np.asarray(c.get_offsets())[:, 0].tolist()) for c in fig.axes[0].collections
                if len(c.get_offsets())]

    assert xs(bees) == xs(figs2["plots/driver_beeswarm_validation.png"])  # the same rows every time
    ev = "plots/expected_vs_actual_leavers.png"
    assert [line.get_ydata().tolist() for line in figs[ev].axes[0].lines] == \
        [line.get_ydata().tolist() for line in full_figs[ev].axes[0].lines]
