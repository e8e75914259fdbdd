"""One self-contained HTML report of a month's scores.

:func:`build_report` turns a scores frame (``attrition score``'s output)
into one HTML page that opens anywhere without a network: plots are
embedded as base64 PNG, the style sheet is inline, fonts are the reader's
own system fonts, and there is no script. It holds

* the month in figures (people scored, expected leavers with an interval,
  risk bands, quiet-quitting prevalence when scored);
* site and team roll-ups (:mod:`attrition.rollups`; groups under
  ``Config.min_group_size`` pooled, never shown alone) and the risk
  distribution by team;
* what drives the risk: from the scores' drivers, and — given the scoring
  features — shap's beeswarm and one waterfall;
* the highest risks with their drivers, under *pseudonyms*
  (:func:`attrition.privacy.pseudonymise`): no raw employee id is ever
  written into a report; HR matches rows to people through the
  ``employee_pseudonym`` column of the scores file;
* when outcomes are known (training months), expected against actual
  leavers and calibration;
* the fairness audit of the model's training run (its ``fairness.json``
  artefact, :mod:`attrition.fairness`): per gender and age band, small groups
  blank, and the flags in plain words;
* the model card: data period, metrics, version, intended use and limits.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from ._atomic import atomic_write
from .config import Config
from .exceptions import SchemaError
from .privacy import pseudonymise, resolve_salt
from .rollups import _assign, nest_in_parents, rollup, summary

__all__ = ["build_report", "write_report", "write_text", "report_from_file", "figure_to_data_uri", "report_pseudonyms", "training_artifacts",
           "model_fairness"]

log = logging.getLogger(__name__)

_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1d2733;background:#f4f6f8;line-height:1.45;font-size:15px}
header{background:#1f3b57;color:#fff;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:600}
header p{margin:0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:24px 40px 60px}
section{background:#fff;border-radius:8px;padding:22px 26px;margin:0 0 22px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 12px;font-size:20px;color:#1f3b57}
h3{margin:18px 0 8px;font-size:16px;color:#1f3b57}
.cards{display:flex;gap:16px;flex-wrap:wrap;margin:6px 0 12px}
.card{flex:1 1 180px;background:#f4f6f8;border-radius:8px;padding:14px 16px;border-left:5px solid #1f5f8b}
.card.high{border-left-color:#c0392b}.card.medium{border-left-color:#e67e22}.card.qq{border-left-color:#8e44ad}
.card .v{font-size:28px;font-weight:650}.card .l{font-size:13px;color:#52606d}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0 10px}
th{background:#eef2f6;text-align:left;padding:7px 8px;border-bottom:2px solid #d5dde5;white-space:nowrap}
td{padding:6px 8px;border-bottom:1px solid #e6ebf0;vertical-align:top}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.pool td{color:#52606d;font-style:italic}
.band{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff}
.band.high{background:#c0392b}.band.medium{background:#e67e22}.band.low{background:#7f8c8d}
.drivers{margin:0;padding-left:18px}.drivers li{margin:0 0 2px}
img{max-width:100%;height:auto;display:block;margin:8px 0}
.note{color:#52606d;font-size:13px}
code{white-space:nowrap}
table.card-metrics{width:auto;min-width:520px}
.warn{background:#fff7e6;border-left:4px solid #e67e22;padding:10px 14px;margin:10px 0;font-size:14px}
footer{color:#52606d;font-size:12px;text-align:center;padding:10px}
"""


def figure_to_data_uri(fig, dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (and closes it).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> figure_to_data_uri(plt.figure(figsize=(1, 1))).startswith("data:image/png;base64,")
    True
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def report_pseudonyms(scores: pd.DataFrame, config: Config | None = None) -> np.ndarray:
    """The pseudonyms a report shows: the scores' ``employee_pseudonym`` column, or computed."""
    if "employee_pseudonym" in scores.columns:
        return scores["employee_pseudonym"].astype(str).to_numpy()
    return pseudonymise(scores["employee_id"].astype(str), resolve_salt(config))


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _pct(v, digits: int = 1) -> str:
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{100 * float(v):.{digits}f}%"


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{_e(alt)}">'


def _rollup_table(frame: pd.DataFrame, by: str, title: str, parent: str | None = None) -> str:
    if frame.empty:
        return f"<p class='note'>No {title.lower()} can be shown: fewer people than the minimum group size.</p>"
    has_qq = "quiet_quitting_share" in frame.columns
    parent = parent if parent in frame.columns else None
    head = (f"<tr><th>{_e(title)}</th>" + (f"<th>{_e(parent.capitalize())}</th>" if parent else "")
            + "<th>People</th><th>Expected leavers</th><th>90% range</th>"
            "<th>Mean risk</th><th>High risk</th>" + ("<th>Quiet quitting</th>" if has_qq else "")
            + "<th>Dominant drivers (people)</th></tr>")
    rows = []
    for r in frame.itertuples(index=False):
        d = r._asdict()
        pool = str(d[by]).startswith("Other (")
        rows.append(
            f"<tr class='{'pool' if pool else ''}'><td>{_e(d[by])}</td>"
            + (f"<td>{_e(d[parent])}</td>" if parent else "")
            + f"<td class='n'>{d['headcount']}</td>"
            f"<td class='n'>{d['expected_leavers']:.1f}</td><td class='n'>{d['leavers_low']}–{d['leavers_high']}</td>"
            f"<td class='n'>{_pct(d['mean_risk'])}</td><td class='n'>{_pct(d['high_risk_share'], 0)}</td>"
            + (f"<td class='n'>{_pct(d['quiet_quitting_share'], 0)}</td>" if has_qq else "")
            + f"<td>{_e(d.get('dominant_drivers', ''))}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _driver_columns(scores: pd.DataFrame) -> list[str]:
    k, out = 1, []
    while f"driver_{k}" in scores.columns:
        out.append(f"driver_{k}")
        k += 1
    return out


def _model_card(model, model_info: Mapping[str, str], scores: pd.DataFrame) -> str:
    name = model_info.get("model_name") or (str(scores["model_name"].iloc[0])
                                            if "model_name" in scores and len(scores) else "")
    version = model_info.get("model_version") or (str(scores["model_version"].iloc[0])
                                                  if "model_version" in scores and len(scores) else "")
    horizon = (int(scores["horizon_days"].iloc[0]) if "horizon_days" in scores and len(scores)
               else getattr(model, "horizon_days", 90))
    parts = [f"<p><b>Model</b>: {_e(name) or 'not registered'}"
             + (f", version {_e(version)}" if version and version != "nan" else "")
             + f" · attrition {__version__}</p>",
             f"<p><b>Predicts</b> the calibrated probability that an employee employed on the scoring "
             f"date leaves <i>voluntarily</i> within {horizon} days (involuntary exits, retirements "
             "and internal transfers are not counted).</p>"]
    if model is not None and hasattr(model, "training_summary_"):
        s, m = model.training_summary_, model.metrics_
        parts.append(
            f"<p><b>Data period</b>: trained on month ends {s['train_first_as_of']} to "
            f"{s['train_last_as_of']} ({s['n_train']:,} employee-months), validated out of time on "
            f"{s['valid_first_as_of']} to {s['valid_last_as_of']} ({s['n_valid']:,}).</p>")
        rows = "".join(
            f"<tr><td>{label}</td><td class='n'>{m.get('valid_' + key, float('nan')):.3f}</td>"
            f"<td class='n'>{m.get('baseline_valid_' + key, float('nan')):.3f}</td></tr>"
            for key, label in (("roc_auc", "ROC AUC (ranking; 0.5 = chance)"),
                               ("pr_auc", "PR AUC"),
                               ("brier", "Brier score (lower is better)"),
                               ("lift_top10", "Lift in the top 10%")))
        parts.append("<table class='card-metrics'><tr><th>Out-of-time validation</th><th>Model</th>"
                     f"<th>Tenure-only baseline</th></tr>{rows}</table>")
        parts.append(f"<p class='note'>Risk bands: high from {_pct(model.thresholds_['high'])}, medium from "
                     f"{_pct(model.thresholds_['medium'])} (2× and 1× the validation base rate "
                     f"{_pct(model.base_rate_)}).</p>")
    else:
        parts.append("<p class='note'>Metrics and data period: pass the model (<code>--model</code>) "
                     "to include them.</p>")
    parts.append(
        "<h3>Intended use and limits</h3><ul>"
        "<li><b>For</b> prioritising supportive conversations — stay interviews, schedule fixes, "
        "workload relief — and for planning hiring at team and site level.</li>"
        "<li><b>Not for</b> hiring, firing, pay, promotion or any decision about a person. A "
        "risk is a probability, not a verdict: most people with a high risk stay.</li>"
        "<li><b>Drivers are associations</b> the model learned, not causes. Use them to start a "
        "conversation, not to conclude one.</li>"
        "<li>Protected attributes (age, gender) are never model inputs. The HR master holds "
        "only current team, role and contract, so past months may reflect later states.</li>"
        "<li>Expected-leaver ranges assume people leave independently; real exits cluster, so "
        "true variation is wider.</li></ul>")
    return "".join(parts)


def _headline(scores: pd.DataFrame, min_n: int, labels) -> str:
    """Where to look first: the teams with most expected leavers and the commonest drivers."""
    from .explain import measure_label
    from .scoring import feature_family

    items = []
    if "team_id" in scores.columns:
        nested = nest_in_parents(scores, "team_id", "site", min_n) if "site" in scores.columns else scores
        teams = rollup(nested, "team_id", min_group_size=min_n,
                       parent="site" if "site" in scores.columns else None, labels=labels)
        teams = teams[~teams["team_id"].astype(str).str.startswith(("Other (", "("))].head(3)
        if len(teams):
            items.append("<li><b>Teams with the most expected leavers</b>: " + ", ".join(
                f"{_e(r.team_id)} ({r.expected_leavers:.1f} of {r.headcount})"
                for r in teams.itertuples()) + "</li>")
    totals: dict[str, float] = {}
    names: dict[str, str] = {}
    k = 1
    while f"driver_{k}_feature" in scores.columns and f"driver_{k}_points" in scores.columns:
        for f, v in zip(scores[f"driver_{k}_feature"].astype(str),
                        pd.to_numeric(scores[f"driver_{k}_points"], errors="coerce"), strict=True):
            if np.isfinite(v) and v > 0:
                fam = feature_family(f)
                totals[fam] = totals.get(fam, 0.0) + float(v)
                names.setdefault(fam, measure_label(labels.get(f, f)))
        k += 1
    if totals:
        top = sorted(totals, key=lambda f: -totals[f])[:3]
        items.append("<li><b>What raises risk most often</b>: "
                     + "; ".join(_e(names[f]) for f in top) + "</li>")
    return f"<h3>Where to look first</h3><ul>{''.join(items)}</ul>" if items else ""


def _calibration(model, outcomes: pd.DataFrame) -> str:
    """Calibration on the out-of-time validation months, when they are in ``outcomes``."""
    from .model import out_of_time_split
    from .plots import calibration_figure

    try:
        _, valid = out_of_time_split(outcomes["as_of"], outcomes["label"].notna(), model.horizon_days,
                                     model.valid_months)
    except ValueError:
        return ""
    rows = outcomes.loc[valid]
    if rows["label"].nunique() < 2:
        return ""
    fig = calibration_figure(rows["label"], model.predict_risk(rows),
                             title="Calibration on the validation months (out of time)")
    return ("<p class='note'>Calibration: among people given a risk of about x%, about x% left "
            "(points on the diagonal).</p>" + _img(figure_to_data_uri(fig), "Calibration"))


_FAIRNESS_COLUMNS = (
    ("n_employees", "Employees", "{:.0f}"), ("positives", "Leavers", "{:.0f}"),
    ("roc_auc", "ROC AUC", "{:.3f}"), ("mean_risk", "Mean risk", "pct"),
    ("observed_rate", "Observed exit rate", "pct"), ("calibration_gap", "Calibration gap", "{:+.3f}"),
    ("flagged_share", "Flagged high risk", "pct"), ("false_negative_rate", "Leavers not flagged", "pct"),
)


def model_fairness(model_info: Mapping[str, str], config: Config | None = None) -> dict | None:
    """The ``fairness.json`` of the model's training run, ``{}`` if it has none, ``None`` if unknown.

    ``model_info`` is what :func:`attrition.tracking.load_model` returns; its
    ``run_id`` names the run. Older runs and flat-table models have no audit
    (``{}``).
    """
    import json

    import mlflow
    from mlflow.exceptions import MlflowException

    run_id = (model_info or {}).get("run_id")
    if not run_id:
        return None
    config = config or Config()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path="fairness.json", dst_path=tmp,
                tracking_uri=config.resolved_tracking_uri())
            return json.loads(Path(local).read_text(encoding="utf-8"))
    except (MlflowException, OSError, ValueError) as exc:
        log.info("No fairness audit in run %s (%s)", run_id, str(exc).splitlines()[0] if str(exc) else exc)
        return {}


def _fairness_section(fairness) -> str:
    """The "Fairness audit" section: per-group table (suppressed groups blank) and the flags."""
    if hasattr(fairness, "to_dict"):
        fairness = fairness.to_dict()
    head = "<section><h2>Fairness audit</h2>"
    if not fairness or "groups" not in fairness:
        return (head + "<p class='note'>This model's run has no fairness audit (trained before the "
                "audit existed, or on a flat table): retrain it to get one.</p></section>")
    min_n = fairness.get("min_group_size", "")
    flags = list(fairness.get("flags") or [])
    parts = [head, "<p class='note'>How the model served each gender and age band (age from the birth "
             "year) on its out-of-time validation months: the model never sees either. Groups of fewer "
             f"than {_e(min_n)} employees are suppressed (left blank). Calibration gap: mean predicted "
             "risk minus the observed exit rate (positive: the model over-states the group's risk). "
             "<b>A flag is a prompt to look, not a verdict</b>: attrition really does differ by age, so "
             "read a flag beside the group's observed rate.</p>"]
    if flags:
        parts.append(f"<div class='warn'><b>{len(flags)} fairness flag{'' if len(flags) == 1 else 's'}"
                     "</b> (disparities beyond the configured thresholds):<ul>"
                     + "".join(f"<li>{_e(f)}</li>" for f in flags) + "</ul></div>")
    else:
        parts.append("<p><b>No fairness flags</b>: no disparity between groups beyond the configured "
                     "thresholds.</p>")
    rows = []
    for g in fairness["groups"]:
        cells = []
        for key, _, fmt in _FAIRNESS_COLUMNS:
            v = g.get(key)
            if g.get("suppressed") or v is None or (isinstance(v, float) and not np.isfinite(v)):
                cells.append("<td class='n'></td>")
            else:
                cells.append(f"<td class='n'>{_pct(v) if fmt == 'pct' else fmt.format(v)}</td>")
        note = " (suppressed)" if g.get("suppressed") else ""
        rows.append(f"<tr class='{'pool' if g.get('suppressed') else ''}'><td>{_e(g.get('attribute'))}</td>"
                    f"<td>{_e(g.get('group'))}{note}</td>{''.join(cells)}</tr>")
    parts.append("<table><tr><th>Attribute</th><th>Group</th>"
                 + "".join(f"<th>{_e(label)}</th>" for _, label, _ in _FAIRNESS_COLUMNS)
                 + "</tr>" + "".join(rows) + "</table>")
    th = fairness.get("thresholds") or {}
    if th:
        parts.append("<p class='note'>Thresholds: " + ", ".join(f"{_e(k)} {v}" for k, v in th.items())
                     + " (<code>[fairness]</code> in the config).</p>")
    parts.append("</section>")
    return "".join(parts)


def build_report(
    scores: pd.DataFrame,
    *,
    config: Config | None = None,
    model=None,
    model_info: Mapping[str, str] | None = None,
    features: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    top: int = 20,
    title: str = "Attrition risk report",
    fairness=None,
) -> str:
    """The HTML report of one scoring run (see the module docs).

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`attrition.score` (with ``team_id``; ``site`` optional).
    config : Config, optional
        ``min_group_size`` and the pseudonym salt.
    model : AttritionModel, optional
        Adds the model card's data period and metrics, and (with
        ``features``) shap's plots.
    model_info : dict, optional
        ``model_name``/``model_version``.
    features : pandas.DataFrame, optional
        The scoring snapshot rows (``build_snapshots(..., labels=False)``)
        for shap's beeswarm and the top employee's waterfall.
    outcomes : pandas.DataFrame, optional
        Labelled snapshots (``as_of``, ``label`` and the features): expected
        against actual leavers by month and calibration.
    top : int, default 20
        Highest risks listed.
    fairness : dict or FairnessAudit, optional
        The model's fairness audit (``fairness.json`` of its run, see
        :func:`model_fairness`): adds the "Fairness audit" section; ``{}``
        says in one line that the model has none; ``None`` (default) leaves
        the section out.
    """
    from .explain import measure_explanation, shap_explanation
    from .plots import (
        beeswarm_figure,
        driver_summary_figure,
        expected_vs_actual_figure,
        risk_by_group_figure,
        waterfall_figure,
    )
    from .snapshots import feature_labels

    config = config or Config()
    model_info = model_info or {}
    need = {"employee_id", "attrition_risk", "risk_band"}
    missing = sorted(need - set(scores.columns))
    if missing:
        raise SchemaError(
            f"The scores lack the column(s) {', '.join(missing)}: a report needs the output of "
            "`attrition score` (employee_id, attrition_risk, risk_band, drivers, team_id).",
            column=missing[0])
    min_n = int(config.min_group_size)
    windows = tuple(getattr(model, "snapshot_params_", {}).get("windows", config.windows)) if model else config.windows
    labels = feature_labels(windows=windows)
    scores = scores.reset_index(drop=True)
    as_of = str(scores["as_of"].iloc[0]) if "as_of" in scores and len(scores) else ""
    summ = summary(scores, min_group_size=min_n)
    parts: list[str] = []

    # ---------------------------------------------------------- the month
    if summ["suppressed"]:
        parts.append(f"<section><h2>The month in figures</h2><div class='warn'>Fewer than {min_n} "
                     "people were scored: nothing can be shown without identifying individuals."
                     "</div></section>")
    else:
        n = summ["headcount"]
        cards = [
            ("", f"{n:,}", "people scored"),
            ("", f"{summ['expected_leavers']:.1f}",
             f"expected voluntary leavers (90% range {summ['leavers_low']}–{summ['leavers_high']})"),
            ("high", f"{summ['high_risk']}", f"high risk ({summ['high_risk'] / n:.0%} of people)"),
            ("medium", f"{summ['medium_risk']}", f"medium risk ({summ['medium_risk'] / n:.0%})"),
        ]
        if "quiet_quitting_share" in summ and pd.notna(summ["quiet_quitting_share"]):
            cards.append(("qq", f"{summ['quiet_quitting_share']:.0%}", "in the quiet-quitting state (a proxy)"))
        horizon = int(scores["horizon_days"].iloc[0]) if "horizon_days" in scores else 90
        parts.append(
            "<section><h2>The month in figures</h2><div class='cards'>"
            + "".join(f"<div class='card {c}'><div class='v'>{_e(v)}</div><div class='l'>{_e(lab)}</div></div>"
                      for c, v, lab in cards)
            + f"</div><p>Of the {n:,} people employed on {_e(as_of)}, the model expects about "
            f"<b>{summ['expected_leavers']:.0f}</b> to leave voluntarily within {horizon} days "
            f"(between {summ['leavers_low']} and {summ['leavers_high']} in nine months out of ten, if "
            "people leave independently). The expected number is the sum of everyone's calibrated "
            "risk.</p>" + _headline(scores, min_n, labels) + "</section>")

    # ---------------------------------------------------------- where
    if not summ["suppressed"] and "team_id" in scores.columns:
        parent = "site" if "site" in scores.columns else None
        where = ["<section><h2>Where the risk is</h2>",
                 f"<p class='note'>Groups of fewer than {min_n} people are pooled into an "
                 "“Other” row (together with the next-smallest groups when the pool itself would "
                 "be too small), so no figure — and no difference of figures — describes fewer "
                 f"than {min_n} people. Dominant drivers: the measures that add the most risk "
                 "points among the group's top drivers, with how many people they concern.</p>"]
        if parent:
            where.append("<h3>Sites</h3>" + _rollup_table(
                rollup(scores, "site", min_group_size=min_n, labels=labels), "site", "Site"))
        nested = nest_in_parents(scores, "team_id", parent, min_n) if parent else scores
        where.append("<h3>Teams</h3>" + _rollup_table(
            rollup(nested, "team_id", min_group_size=min_n, parent=parent, labels=labels), "team_id", "Team",
            parent))
        where.append(_img(figure_to_data_uri(risk_by_group_figure(
            nested, "team_id", min_group_size=min_n, parent=parent)), "Risk by team"))
        where.append("</section>")
        parts.append("".join(where))

    # ---------------------------------------------------------- why
    drivers = _driver_columns(scores)
    pseudo = report_pseudonyms(scores, config)
    if not summ["suppressed"]:
        why = ["<section><h2>What drives the risk</h2>"]
        if drivers:
            why.append(_img(figure_to_data_uri(driver_summary_figure(scores, labels)), "Driver summary"))
        if model is not None and features is not None and len(features):
            why.append("<p class='note'>Each dot is one person; further right means the measure "
                       "raises their risk more, red means a high value of the measure.</p>")
            why.append(_img(figure_to_data_uri(beeswarm_figure(shap_explanation(model, features, labels))),
                            "Beeswarm of driver importance"))
        why.append("<p class='note'>Drivers are associations the model learned, not causes.</p></section>")
        parts.append("".join(why))

    # ---------------------------------------------------------- who
    if not summ["suppressed"]:
        order = np.argsort(-scores["attrition_risk"].to_numpy(dtype="float64"), kind="stable")[:top]
        hidden = set()
        team_display = None
        if "team_id" in scores.columns:
            parent = "site" if "site" in scores.columns else None
            team_display, pooled = _assign(scores, "team_id", min_n, parent)
            hidden = {g for g, p in pooled.items() if p is not None}
        rows = []
        for i in order:
            r = scores.iloc[i]
            team = ""
            if team_display is not None:
                team = "small team" if r["team_id"] in hidden else str(r["team_id"])
            items = "".join(f"<li>{_e(r[d])}</li>" for d in drivers if isinstance(r[d], str) and r[d])
            rows.append(
                f"<tr><td><code>{_e(pseudo[i])}</code></td><td>{_e(team)}</td>"
                f"<td class='n'>{_pct(r['attrition_risk'])}</td>"
                f"<td><span class='band {_e(r['risk_band'])}'>{_e(r['risk_band'])}</span></td>"
                f"<td><ul class='drivers'>{items}</ul></td></tr>")
        who = [f"<section><h2>The {len(order)} highest risks</h2>",
               "<p class='note'>People are shown by pseudonym; HR finds them through the "
               "<code>employee_pseudonym</code> column of the scores file. Each driver gives the "
               "person's value, the median of their team, and how many percentage points it adds "
               "to (or takes from) the risk.</p>",
               "<table><tr><th>Pseudonym</th><th>Team</th><th>Risk</th><th>Band</th><th>Top drivers</th></tr>"
               + "".join(rows) + "</table>"]
        if model is not None and features is not None and len(features) and len(order):
            first = scores["employee_id"].iloc[order[0]]
            pos = np.flatnonzero(features["employee_id"].astype(str).to_numpy() == str(first))
            if len(pos):
                exp = measure_explanation(model, features.iloc[pos[:1]], labels)[0]
                risk = float(scores["attrition_risk"].iloc[order[0]])
                fig = waterfall_figure(exp, title=f"Why {pseudo[order[0]]} has a risk of {risk:.0%}: "
                                                  "from the average (bottom) to this person (top)")
                who.append(_img(figure_to_data_uri(fig), "Waterfall of the highest risk"))
                who.append("<p class='note'>Each bar is one measure (its windows and team comparison "
                           "together), in calibrated log-odds: E[f(X)] is the average person, f(x) this "
                           "person; red bars raise the risk, blue bars lower it.</p>")
        who.append("</section>")
        parts.append("".join(who))

    # ---------------------------------------------------------- right?
    if model is not None and outcomes is not None and "label" in outcomes and outcomes["label"].notna().any():
        known = outcomes[outcomes["label"].notna()]
        risk = model.predict_risk(known)
        parts.append(
            "<section><h2>Has the model been right?</h2><p class='note'>On past months whose outcome "
            "is known: the number of leavers the model expected against the number who left, and "
            "predicted against observed rates. Months before the validation period were used "
            "for training, so they flatter the model; the calibration was fitted on the "
            "validation months, so there the totals agree by construction. Only months after "
            "training are a true test: re-run this report as outcomes come in.</p>"
            + _img(figure_to_data_uri(expected_vs_actual_figure(
                known["as_of"], risk, known["label"],
                valid_start=getattr(model, "training_summary_", {}).get("valid_first_as_of"))),
                   "Expected vs actual leavers")
            + _calibration(model, outcomes)
            + "</section>")

    if fairness is not None:
        parts.append(_fairness_section(fairness))
    parts.append(f"<section><h2>Model card</h2>{_model_card(model, model_info, scores)}</section>")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_e(title)} — {_e(as_of)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>Scoring date {_e(as_of)} · voluntary exits within "
        f"{int(scores['horizon_days'].iloc[0]) if 'horizon_days' in scores and len(scores) else 90} days"
        f" · generated {generated}</p></header><main>" + "".join(parts)
        + "</main><footer>Made with attrition " + __version__
        + ". Personal data: share only with people entitled to see it.</footer></body></html>"
    )


def write_report(path: str | Path, scores: pd.DataFrame, **kwargs) -> Path:
    """Build the report and write it atomically to ``path`` (a temporary file renamed)."""
    return write_text(path, build_report(scores, **kwargs))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically to ``path`` (a temporary file renamed on success)."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def report_from_file(
    scores_path: str | Path,
    out: str | Path,
    *,
    config: Config | None = None,
    model_uri: str | None = None,
    data_dir: str | Path | None = None,
) -> Path:
    """``attrition report``: the report of a scores file, optionally with its model and data.

    With ``model_uri`` the model card gets the data period and metrics and
    the report the fairness audit of the model's run; with ``data_dir`` too,
    shap's beeswarm and waterfall of the scoring date's features are added.
    """
    from .loading import load_tables
    from .snapshots import build_snapshots
    from .tracking import load_model

    config = config or Config()
    scores_path = Path(scores_path)
    if Path(out).suffix.lower() not in {".html", ".htm"}:
        from .exceptions import ConfigError

        raise ConfigError(f"Report {out} must end in .html.")
    if not scores_path.is_file():
        raise SchemaError(f"{scores_path}: the scores file does not exist. Write one with `attrition "
                          "score ... --out FILE`.", file=str(scores_path))
    try:
        scores = (pd.read_parquet(scores_path) if scores_path.suffix == ".parquet"
                  else pd.read_csv(scores_path, dtype={"employee_id": str, "team_id": str, "site": str}))
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{scores_path}: cannot read the scores ({exc}). Pass the .csv or .parquet "
                          "written by `attrition score`.", file=str(scores_path)) from exc
    model, info, features, fairness = None, {}, None, None
    if model_uri:
        model, info = load_model(model_uri, config)
        fairness = model_fairness(info, config)
        if data_dir is not None and "as_of" in scores and len(scores):
            tables = load_tables(data_dir, config)
            from .scoring import survey_privacy_of

            params = getattr(model, "snapshot_params_", {}) or {}
            windows = tuple(params.get("windows") or config.windows)
            features = build_snapshots(tables, as_of=[pd.Timestamp(str(scores["as_of"].iloc[0]))],
                                       windows=windows, labels=False,
                                       survey_privacy=survey_privacy_of(model),
                                       min_group_size=int(params.get("min_group_size") or config.min_group_size))
    return write_text(out, build_report(scores, config=config, model=model, model_info=info,
                                        features=features, fairness=fairness))


def training_artifacts(model, snapshots: pd.DataFrame, labels: Mapping[str, str],
                       config: Config, contributions: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame]:
    """Figures and the team roll-up of a training run, for MLflow (aggregates only).

    Figures: shap's beeswarm of the validation months and expected vs actual
    leavers by month over every labelled month. Roll-up: the last
    validation month scored by the model, by team (pooled below
    ``min_group_size``), with the leavers that followed; no ids, no
    protected attributes.
    """
    from .explain import shap_explanation
    from .model import out_of_time_split
    from .plots import beeswarm_figure, expected_vs_actual_figure
    from .scoring import top_drivers

    labelled = snapshots["label"].notna()
    _, valid = out_of_time_split(snapshots["as_of"], labelled, model.horizon_days, model.valid_months)
    rows = snapshots.loc[valid]
    known = snapshots.loc[labelled]
    if contributions is None:
        contributions = model.contributions(rows)
    figures = {
        "plots/driver_beeswarm_validation.png": beeswarm_figure(
            shap_explanation(model, rows, labels, contributions=contributions)),
        "plots/expected_vs_actual_leavers.png": expected_vs_actual_figure(
            known["as_of"], model.predict_risk(known), known["label"],
            valid_start=model.training_summary_.get("valid_first_as_of")),
    }
    is_last = (pd.to_datetime(rows["as_of"]) == pd.to_datetime(rows["as_of"]).max()).to_numpy()
    last = rows[is_last]
    risk = model.predict_risk(last)
    from .model import risk_band

    scored = pd.DataFrame({"team_id": last["team_id"].astype(object).to_numpy(),
                           "attrition_risk": risk, "risk_band": risk_band(risk, model.thresholds_)})
    if "site" in last.columns:
        scored["site"] = last["site"].astype(object).to_numpy()
    drivers = top_drivers(contributions.iloc[np.flatnonzero(is_last)], last[model.feature_names_in_], n=3,
                          labels=dict(labels))
    scored = pd.concat([scored, drivers.reset_index(drop=True)[[c for c in drivers.columns
                                                                 if c.endswith(("_feature", "_points"))]]],
                       axis=1)
    scored["actual_leaver"] = last["label"].to_numpy()
    table = rollup(scored, "team_id", min_group_size=config.min_group_size,
                   parent="site" if "site" in scored else None, labels=labels)
    display, _ = _assign(scored, "team_id", config.min_group_size, "site" if "site" in scored else None)
    actual = scored.groupby(display.to_numpy(), sort=False)["actual_leaver"].sum()
    table["actual_leavers"] = table["team_id"].map(actual).astype("float64")
    table.insert(0, "as_of", f"{pd.to_datetime(last['as_of']).max():%Y-%m-%d}")
    return figures, table
