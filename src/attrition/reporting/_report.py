"""One self-contained HTML report of a month's scores.

:func:`build_report` turns a scores frame (``attrition score``'s output)
into one HTML page that opens anywhere without a network: plots are
embedded as base64 PNG, the style sheet is inline, fonts are the reader's
own system fonts, and there is no script. It holds

* the month in figures (people scored, expected leavers with an interval,
  risk bands, quiet-quitting prevalence when scored);
* site and team roll-ups (:mod:`attrition.analysis`; groups under
  ``min_group_size`` pooled, never shown alone) and the risk distribution
  by team;
* what drives the risk: from the scores' drivers, and — given the scoring
  features — shap's beeswarm and one waterfall;
* the highest risks with their drivers, under *pseudonyms*
  (:func:`attrition.data._privacy.pseudonymise`): no raw employee id is
  ever written into a report; HR matches rows to people through the
  ``employee_pseudonym`` column of the scores file;
* when outcomes are known (training months), expected against actual
  leavers and calibration;
* the fairness audit of the model's training run (its ``fairness.json``
  artefact): per gender and age band, small groups blank, and the flags in
  plain words;
* the model card (:mod:`attrition.reporting._model_card`): data period,
  metrics, version, intended use and limits.

How it is built
    Each section is computed by one function (``_month_section``,
    ``_where_section``, ``_why_section``, ``_who_section``,
    ``_outcomes_section``, ``_fairness_section``) that returns plain data —
    dicts, lists, formatted strings and figures already rendered to data
    URIs — and one Jinja2 template, ``templates/report.html.j2``, lays it
    all out. Everything the template prints is escaped (``html.escape``)
    unless it is markup the code built on purpose.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from attrition._version import __version__
from attrition.analysis._drivers import feature_family, measure_label, top_drivers
from attrition.analysis._explain import measure_explanation
from attrition.analysis._rollups import _assign, nest_in_parents, rollup, summary
from attrition.data._io import atomic_write
from attrition.data._privacy import pseudonymise, resolve_salt
from attrition.exceptions import SchemaError
from attrition.models._model import risk_band
from attrition.reporting._model_card import model_card
from attrition.reporting._plots import (
    beeswarm_figure,
    calibration_figure,
    close_figure,
    driver_summary_figure,
    expected_vs_actual_figure,
    risk_by_group_figure,
    risk_points_explanation,
    waterfall_figure,
)
from attrition.reporting._quiet_quitting import quiet_quitting_section
from attrition.reporting._templates import render_template
from attrition.snapshots._spec import feature_labels

__all__ = ["build_report", "write_report", "write_text", "figure_to_data_uri", "report_pseudonyms",
           "training_artifacts", "render_template", "POINT_ROWS", "point_sample", "point_sample_note"]

log = logging.getLogger(__name__)


def figure_to_data_uri(fig, dpi: int = 110) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (and closes it).

    Needs no display and no pyplot: the PNG is drawn by matplotlib's Agg
    renderer whatever the backend. A figure pyplot manages is closed.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_to_data_uri(Figure(figsize=(1, 1))).startswith("data:image/png;base64,")
    True
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    close_figure(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def report_pseudonyms(scores: pd.DataFrame, id_salt: str | None = None) -> np.ndarray:
    """The pseudonyms a report shows: the scores' ``employee_pseudonym`` column, or computed.

    Computed with :func:`attrition.data._privacy.pseudonymise` and the salt
    in force (``id_salt``, else the environment or the salt file).
    """
    if "employee_pseudonym" in scores.columns:
        return scores["employee_pseudonym"].astype(str).to_numpy()
    return pseudonymise(scores["employee_id"].astype(str), resolve_salt(id_salt))


def _pct(v, digits: int = 1) -> str:
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{100 * float(v):.{digits}f}%"


def _horizon(scores: pd.DataFrame) -> int:
    return int(scores["horizon_days"].iloc[0]) if "horizon_days" in scores and len(scores) else 90


def _driver_columns(scores: pd.DataFrame) -> list[str]:
    k, out = 1, []
    while f"driver_{k}" in scores.columns:
        out.append(f"driver_{k}")
        k += 1
    return out


# ---------------------------------------------------------------- sections
def _rollup_table(frame: pd.DataFrame, by: str, title: str, parent: str | None = None) -> dict:
    """A roll-up (:func:`attrition.analysis._rollups.rollup`) as rows of formatted cells."""
    parent = parent if parent in frame.columns else None
    has_qq = "quiet_quitting_share" in frame.columns
    rows = []
    for r in frame.to_dict("records"):
        rows.append({
            "pool": str(r[by]).startswith("Other ("),
            "group": r[by],
            "parent": r[parent] if parent else "",
            "people": r["headcount"],
            "expected": f"{r['expected_leavers']:.1f}",
            "range": f"{r['leavers_low']}–{r['leavers_high']}",
            "mean_risk": _pct(r["mean_risk"]),
            "high_risk": _pct(r["high_risk_share"], 0),
            "quiet_quitting": _pct(r["quiet_quitting_share"], 0) if has_qq else "",
            "drivers": r.get("dominant_drivers", ""),
        })
    return {"title": title, "parent": parent.capitalize() if parent else None, "has_qq": has_qq, "rows": rows}


def _look_first(scores: pd.DataFrame, min_n: int, labels: Mapping[str, str]) -> dict:
    """Where to look first: the teams with most expected leavers and the commonest drivers."""

    teams: list[str] = []
    if "team_id" in scores.columns:
        parent = "site" if "site" in scores.columns else None
        nested = nest_in_parents(scores, "team_id", parent, min_n) if parent else scores
        table = rollup(nested, "team_id", min_group_size=min_n, parent=parent, labels=labels)
        table = table[~table["team_id"].astype(str).str.startswith(("Other (", "("))].head(3)
        teams = [f"{r.team_id} ({r.expected_leavers:.1f} of {r.headcount})" for r in table.itertuples()]
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
    drivers = [names[f] for f in sorted(totals, key=lambda f: -totals[f])[:3]]
    return {"teams": teams, "drivers": drivers}


def _month_section(scores: pd.DataFrame, summ: Mapping, min_n: int, labels: Mapping[str, str]) -> dict:
    """"The month in figures": the cards, the sentence and where to look first."""
    if summ["suppressed"]:
        return {"suppressed": True}
    n = summ["headcount"]
    cards = [
        {"kind": "", "value": f"{n:,}", "label": "people scored"},
        {"kind": "", "value": f"{summ['expected_leavers']:.1f}",
         "label": f"expected voluntary leavers (90% range {summ['leavers_low']}–{summ['leavers_high']})"},
        {"kind": "high", "value": f"{summ['high_risk']}", "label": f"high risk ({summ['high_risk'] / n:.0%} of people)"},
        {"kind": "medium", "value": f"{summ['medium_risk']}", "label": f"medium risk ({summ['medium_risk'] / n:.0%})"},
    ]
    if "quiet_quitting_share" in summ and pd.notna(summ["quiet_quitting_share"]):
        cards.append({"kind": "qq", "value": f"{summ['quiet_quitting_share']:.0%}",
                      "label": "in the quiet-quitting state (a proxy)"})
    return {"suppressed": False, "cards": cards, "people": f"{n:,}",
            "expected": f"{summ['expected_leavers']:.0f}", "low": summ["leavers_low"], "high": summ["leavers_high"],
            "look_first": _look_first(scores, min_n, labels)}


def _where_section(scores: pd.DataFrame, min_n: int, labels: Mapping[str, str]) -> dict | None:
    """"Where the risk is": site and team roll-ups and the risk-by-team figure."""

    if "team_id" not in scores.columns:
        return None
    parent = "site" if "site" in scores.columns else None
    sites = (_rollup_table(rollup(scores, "site", min_group_size=min_n, labels=labels), "site", "Site")
             if parent else None)
    nested = nest_in_parents(scores, "team_id", parent, min_n) if parent else scores
    teams = _rollup_table(rollup(nested, "team_id", min_group_size=min_n, parent=parent, labels=labels),
                          "team_id", "Team", parent)
    figure = figure_to_data_uri(risk_by_group_figure(nested, "team_id", min_group_size=min_n, parent=parent))
    return {"sites": sites, "teams": teams, "figure": figure}


def _why_section(scores: pd.DataFrame, model, features: pd.DataFrame | None,
                 labels: Mapping[str, str]) -> dict:
    """"What drives the risk": the scores' driver summary and, with the features, shap's beeswarm."""

    driver_summary = (figure_to_data_uri(driver_summary_figure(scores, dict(labels)))
                      if _driver_columns(scores) else None)
    beeswarm = None
    if model is not None and features is not None and len(features):
        beeswarm = figure_to_data_uri(beeswarm_figure(risk_points_explanation(model, features, labels)))
    return {"driver_summary": driver_summary, "beeswarm": beeswarm}


def _who_section(scores: pd.DataFrame, pseudonyms: np.ndarray, *, top: int, min_n: int, model,
                 features: pd.DataFrame | None, labels: Mapping[str, str]) -> dict:
    """"The highest risks": pseudonym, team (hidden when pooled), risk, band, drivers; one waterfall."""

    drivers = _driver_columns(scores)
    order = np.argsort(-scores["attrition_risk"].to_numpy(dtype="float64"), kind="stable")[:top]
    hidden: set = set()
    has_team = "team_id" in scores.columns
    if has_team:
        _, pooled = _assign(scores, "team_id", min_n, "site" if "site" in scores.columns else None)
        hidden = {g for g, p in pooled.items() if p is not None}
    rows = []
    for i in order:
        r = scores.iloc[i]
        team = ("small team" if r["team_id"] in hidden else str(r["team_id"])) if has_team else ""
        rows.append({"pseudonym": pseudonyms[i], "team": team, "risk": _pct(r["attrition_risk"]),
                     "band": r["risk_band"], "drivers": [r[d] for d in drivers if isinstance(r[d], str) and r[d]]})
    waterfall = None
    if model is not None and features is not None and len(features) and len(order):
        first = scores["employee_id"].iloc[order[0]]
        pos = np.flatnonzero(features["employee_id"].astype(str).to_numpy() == str(first))
        if len(pos):
            exp = measure_explanation(model, features.iloc[pos[:1]], labels)[0]
            risk = float(scores["attrition_risk"].iloc[order[0]])
            waterfall = figure_to_data_uri(waterfall_figure(
                exp, title=f"Why {pseudonyms[order[0]]} has a risk of {risk:.0%}: "
                           "from the average person (bottom) to this person (top)"))
    return {"rows": rows, "waterfall": waterfall}


def _calibration(model, outcomes: pd.DataFrame) -> str | None:
    """Calibration on the model's validation months, when they are in ``outcomes`` (a data URI)."""

    if not model.validation_dates_:  # not fitted on a time axis (e.g. a flat table)
        return None
    rows = outcomes.loc[model.validation_mask(outcomes)]
    if rows["label"].nunique() < 2:
        return None
    return figure_to_data_uri(calibration_figure(rows["label"], model.predict_risk(rows),
                                                 title="Calibration on the validation months (out of time)"))


def _outcomes_section(model, outcomes: pd.DataFrame | None) -> dict | None:
    """"Has the model been right?": expected vs actual leavers by month, and calibration."""

    if model is None or outcomes is None or "label" not in outcomes or not outcomes["label"].notna().any():
        return None
    known = outcomes[outcomes["label"].notna()]
    figure = figure_to_data_uri(expected_vs_actual_figure(
        known["as_of"], model.predict_risk(known), known["label"],
        valid_start=model.training_summary_.get("valid_first_as_of")))
    return {"expected_vs_actual": figure, "calibration": _calibration(model, outcomes)}


_FAIRNESS_COLUMNS = (
    ("n_employees", "Employees", "{:.0f}"), ("positives", "Leavers", "{:.0f}"),
    ("roc_auc", "ROC AUC", "{:.3f}"), ("mean_risk", "Mean risk", "pct"),
    ("observed_rate", "Observed exit rate", "pct"), ("calibration_gap", "Calibration gap", "{:+.3f}"),
    ("flagged_share", "Flagged high risk", "pct"), ("false_negative_rate", "Leavers not flagged", "pct"),
)


_ATTRIBUTES = {"gender": "Gender", "age_band": "Age band"}


def _group_order(group: Mapping) -> tuple:
    """Sort key of a group within its attribute: age bands young to old, other groups by name, missing last.

    Examples
    --------
    >>> groups = [{"attribute": "age_band", "group": g} for g in ("25-34", "55+", "missing", "<25")]
    >>> [g["group"] for g in sorted(groups, key=_group_order)]
    ['<25', '25-34', '55+', 'missing']
    """
    name = str(group.get("group"))
    lead = re.match(r"^(<)?(\d+)", name)
    if name in ("missing", "Other", "(suppressed)") or name.startswith("Other"):
        return (2, 0.0, name)
    if lead:
        return (0, float(lead.group(2)) - (0.5 if lead.group(1) else 0.0), name)
    return (1, 0.0, name)


def _fairness_section(fairness) -> dict | None:
    """"Fairness audit": per-group cells (suppressed groups blank), flags and thresholds."""
    if fairness is None:
        return None
    if hasattr(fairness, "to_dict"):
        fairness = fairness.to_dict()
    if not fairness or "groups" not in fairness:
        return {"audited": False}
    rows = []
    attrs = list(dict.fromkeys(str(g.get("attribute")) for g in fairness["groups"]))
    for g in sorted(fairness["groups"], key=lambda g: (attrs.index(str(g.get("attribute"))), _group_order(g))):
        cells = []
        for key, _, fmt in _FAIRNESS_COLUMNS:
            v = g.get(key)
            if g.get("suppressed") or v is None or (isinstance(v, float) and not np.isfinite(v)):
                cells.append("")
            else:
                cells.append(_pct(v) if fmt == "pct" else fmt.format(v))
        rows.append({"attribute": _ATTRIBUTES.get(str(g.get("attribute")), g.get("attribute")), "suppressed": bool(g.get("suppressed")), "cells": cells,
                     "group": f"{g.get('group')}{' (suppressed)' if g.get('suppressed') else ''}"})
    return {"audited": True, "min_n": fairness.get("min_group_size", ""), "flags": list(fairness.get("flags") or []),
            "columns": [label for _, label, _ in _FAIRNESS_COLUMNS], "rows": rows,
            "thresholds": list((fairness.get("thresholds") or {}).items())}


# ---------------------------------------------------------------- the report
def build_report(
    scores: pd.DataFrame,
    *,
    model=None,
    model_info: Mapping[str, str] | None = None,
    features: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    top: int = 20,
    title: str = "Attrition risk report",
    fairness=None,
    min_group_size: int = 5,
    id_salt: str | None = None,
    left_out: list[str] | None = None,
    forecast: Mapping | None = None,
) -> str:
    """The HTML report of one scoring run (see the module docs).

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`attrition.score_roster` (with ``team_id``; ``site``
        optional).
    model : AttritionModel, optional
        Adds the model card's data period and metrics, and (with
        ``features``) shap's plots; its :meth:`~AttritionModel.feature_labels`
        name the measures.
    model_info : dict, optional
        ``model_name``/``model_version``.
    features : pandas.DataFrame, optional
        The scoring snapshot rows (``model.snapshots(tables, as_of)``) for
        shap's beeswarm and the top employee's waterfall.
    outcomes : pandas.DataFrame, optional
        Labelled snapshots (``as_of``, ``label`` and the features): expected
        against actual leavers by month and calibration.
    top : int, default 20
        Highest risks listed.
    title : str, default "Attrition risk report"
        The page's title.
    fairness : dict or FairnessAudit, optional
        The model's fairness audit (``fairness.json`` of its run): adds the
        "Fairness audit" section; ``{}`` says in one line that the model has
        none; ``None`` (default) leaves the section out.
    min_group_size : int, default 5
        Fewest people behind any figure: smaller groups are pooled, and
        fewer people in all suppress every figure.
    id_salt : str, optional
        The pseudonym salt, when the scores have no ``employee_pseudonym``
        column (default: the environment's or the salt file's, see
        :func:`attrition.data._privacy.resolve_salt`).
    left_out : list of str, optional
        What the report could not include and how to add it, one sentence
        each, shown in a box at the top (``attrition report --scores`` passes
        them when it cannot find the model or the data).
    forecast : dict, optional
        The leaver forecast section (:func:`attrition.reporting.forecast_section`
        of :func:`attrition.analysis.leaver_forecast`): a chart of the expected
        voluntary leavers month by month, with the plain statement that it
        assumes today's conditions persist. ``attrition score --report`` adds
        it for a monthly hazard model.

    Returns
    -------
    str
        The page: one self-contained HTML document.
    """

    need = {"employee_id", "attrition_risk", "risk_band"}
    missing = sorted(need - set(scores.columns))
    if missing:
        raise SchemaError(
            f"The scores lack the column(s) {', '.join(missing)}: a report needs the output of "
            "`attrition score` (employee_id, attrition_risk, risk_band, drivers, team_id).",
            column=missing[0])
    min_n = int(min_group_size)
    labels = model.feature_labels() if model is not None else feature_labels()
    scores = scores.reset_index(drop=True)
    as_of = str(scores["as_of"].iloc[0]) if "as_of" in scores and len(scores) else ""
    summ = summary(scores, min_group_size=min_n)
    shown = not summ["suppressed"]
    context = {
        "title": title,
        "as_of": as_of,
        "horizon": _horizon(scores),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "min_n": min_n,
        "month": _month_section(scores, summ, min_n, labels),
        "where": _where_section(scores, min_n, labels) if shown else None,
        "why": _why_section(scores, model, features, labels) if shown else None,
        "who": (_who_section(scores, report_pseudonyms(scores, id_salt), top=top, min_n=min_n, model=model,
                             features=features, labels=labels) if shown else None),
        "qq": (quiet_quitting_section(scores, pseudonyms=report_pseudonyms(scores, id_salt), min_group_size=min_n,
                                      top=top, figure_uri=figure_to_data_uri) if shown else None),
        "outcomes": _outcomes_section(model, outcomes),
        "fairness": _fairness_section(fairness),
        "card": model_card(model, model_info=model_info, scores=scores),
        "left_out": list(left_out or []),
        "forecast": forecast if shown else None,
    }
    return render_template("report.html.j2", **context)


def write_report(path: str | Path, scores: pd.DataFrame, **kwargs) -> Path:
    """Build the report (:func:`build_report`'s keywords) and write it atomically to ``path``."""
    return write_text(path, build_report(scores, **kwargs))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically to ``path`` (a temporary file renamed on success)."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------- MLflow artefacts
#: The most rows a training run's beeswarm draws (one dot per row and measure): a larger validation set
#: is drawn on a fixed random sample of this many rows; every aggregate and table uses every row.
POINT_ROWS = 2000


def point_sample(n: int, limit: int | None = None, seed: int = 0) -> np.ndarray:
    """Positions of the rows a figure of individual points draws: all ``n``, or ``limit`` of them
    (default :data:`POINT_ROWS`).

    The sample is drawn without replacement by a generator of fixed ``seed``
    (the same rows on every run of the same data) and kept in row order.

    Examples
    --------
    >>> point_sample(5).tolist()
    [0, 1, 2, 3, 4]
    >>> s = point_sample(10_000, limit=3)
    >>> s.tolist() == point_sample(10_000, limit=3).tolist(), len(s), bool((s[1:] > s[:-1]).all())
    (True, 3, True)
    """
    limit = POINT_ROWS if limit is None else int(limit)
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def point_sample_note(n: int, limit: int | None = None) -> str | None:
    """What a figure drawn on :func:`point_sample` shows of ``n`` rows (``None``: every row).

    >>> point_sample_note(100) is None
    True
    >>> point_sample_note(8123)
    'a random sample of 2,000 of the 8,123 validation rows'
    """
    limit = POINT_ROWS if limit is None else int(limit)
    return None if n <= limit else f"a random sample of {limit:,} of the {n:,} validation rows"


def training_artifacts(model, snapshots: pd.DataFrame, labels: Mapping[str, str], *, min_group_size: int = 5,
                       contributions: pd.DataFrame | None = None,
                       risk: np.ndarray | None = None) -> tuple[dict, pd.DataFrame]:
    """Figures and the team roll-up of a training run, for MLflow (aggregates only).

    Parameters
    ----------
    model : AttritionModel
        The fitted model.
    snapshots : pandas.DataFrame
        Its labelled training snapshots.
    labels : dict
        Readable feature labels (``model.feature_labels()``).
    min_group_size : int, default 5
        Teams under this size are pooled in the roll-up.
    contributions : pandas.DataFrame, optional
        ``model.contributions`` of the validation rows, when already computed.
    risk : ndarray, optional
        ``model.predict_risk`` of the labelled rows (``label`` known, in the
        order of ``snapshots``), when already computed.

    Returns
    -------
    figures : dict of str to Figure
        shap's beeswarm of the validation months
        (``plots/driver_beeswarm_validation.png``; of :data:`POINT_ROWS` of
        them, a fixed random sample named in its title, when there are more)
        and expected vs actual
        leavers by month over every labelled month
        (``plots/expected_vs_actual_leavers.png``; for the quiet-quitting
        model, entries into the state: ``plots/expected_vs_actual_qq_entries.png``).
    table : pandas.DataFrame
        The last validation month scored by the model, by team (pooled
        below ``min_group_size``), with the leavers that followed; no ids,
        no protected attributes.
    """

    valid = model.validation_mask(snapshots)
    rows = snapshots.loc[valid]
    labelled = snapshots["label"].notna().to_numpy()
    known = snapshots.loc[labelled, ["as_of", "label"]]  # what the expected-vs-actual figure reads
    # One prediction of the labelled rows: the validation months' risks are among them.
    risk = (model.predict_risk(snapshots.loc[labelled, model.feature_names_in_]) if risk is None
            else np.asarray(risk, dtype="float64"))
    if contributions is None:
        contributions = model.contributions(rows)
    # One dot per row and measure: a large validation set is drawn on a fixed sample of its rows.
    pick, note = point_sample(len(rows)), point_sample_note(len(rows))
    explained = (risk_points_explanation(model, rows, labels, contributions=contributions) if note is None
                 else risk_points_explanation(model, rows.iloc[pick], labels, contributions=contributions.iloc[pick]))
    figures = {
        "plots/driver_beeswarm_validation.png": beeswarm_figure(
            explained, title="What drives risk across everyone scored" + (f" ({note})" if note else "")),
    }
    if getattr(model, "target", "attrition") == "quiet_quitting":  # entries, not leavers
        figures["plots/expected_vs_actual_qq_entries.png"] = expected_vs_actual_figure(
            known["as_of"], risk, known["label"],
            title="Expected vs actual entries into the quiet-quitting state by month",
            outcome="entries into the quiet-quitting state",
            valid_start=model.training_summary_.get("valid_first_as_of"))
    else:
        figures["plots/expected_vs_actual_leavers.png"] = expected_vs_actual_figure(
            known["as_of"], risk, known["label"],
            valid_start=model.training_summary_.get("valid_first_as_of"))
    is_last = (pd.to_datetime(rows["as_of"]) == pd.to_datetime(rows["as_of"]).max()).to_numpy()
    last = rows[is_last]
    risk = risk[valid[labelled]][is_last]
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
    parent = "site" if "site" in scored else None
    table = rollup(scored, "team_id", min_group_size=min_group_size, parent=parent, labels=labels)
    display, _ = _assign(scored, "team_id", min_group_size, parent)
    actual = scored.groupby(display.to_numpy(), sort=False)["actual_leaver"].sum()
    table["actual_leavers"] = table["team_id"].map(actual).astype("float64")
    table.insert(0, "as_of", f"{pd.to_datetime(last['as_of']).max():%Y-%m-%d}")
    return figures, table
