"""The model card: one source of its content, rendered as Markdown or HTML.

:func:`model_card` gathers what a reader of a model needs — what it
predicts, what it is for and not for, the data period, the validation
metrics beside the baselines, the risk bands, the fairness audit's verdict
and the limits — into a plain dict. The renderers only lay it out:

* :func:`model_card_markdown`: ``model_card.md`` of an MLflow run;
* :func:`model_card_html`: the "Model card" section of the HTML report
  (template ``templates/model_card.html.j2``, included by the report);
* :func:`flat_model_card` / :func:`flat_model_card_markdown`: the card of
  a flat-table model (:func:`attrition.models.fit_table`), with its
  cross-validated metrics and chosen setting.

Every card of a kind of model gets the same intended-use and limits text
(:func:`intended_use`, :func:`_limits`), so the MLflow card and the report
cannot say different things.

Text fields use three inline Markdown marks only — ``**bold**``,
``*italic*`` and ```code``` — which :func:`inline_html` turns into HTML
after escaping everything else.

Examples
--------
>>> card = model_card(None, scores=pd.DataFrame({"model_name": ["m"], "model_version": ["3"],
...                                              "horizon_days": [60]}))
>>> card["title"], card["name"], card["version"], card["metrics"]
('Attrition model card', 'm', '3', None)
>>> "within 60 days" in card["predicts"]
True
>>> print(model_card_markdown(None).splitlines()[0])
# Attrition model card
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from attrition._version import __version__
from attrition.reporting._templates import format_metric, render_template

__all__ = [
    "model_card",
    "model_card_markdown",
    "model_card_html",
    "flat_model_card",
    "flat_model_card_markdown",
    "intended_use",
]

#: The outcome a model's risk is about, as "most people with a high risk ..." ends.
_STAY = {"attrition": "stay", "quiet_quitting": "do not enter the state",
         "flat": "do not have the recorded outcome"}


def intended_use(kind: str = "attrition") -> list[str]:
    """What a model of ``kind`` is for and not for (inline Markdown, one bullet each).

    The same text for every card: the MLflow card, the flat-table card and
    the report's.

    Examples
    --------
    >>> intended_use()[1].startswith("**Not for** hiring, firing")
    True
    """
    purpose = ("and for spotting teams whose workload or schedules need attention" if kind == "quiet_quitting"
               else "and for planning hiring at team and site level")
    return [
        "**For** prioritising supportive conversations — stay interviews, schedule fixes, workload "
        f"relief — {purpose}.",
        "**Not for** hiring, firing, pay, promotion or any decision about a person. A risk is a "
        f"probability, not a verdict: most people with a high risk {_STAY.get(kind, 'stay')}.",
        "**Drivers are associations** the model learned, not causes. Use them to start a "
        "conversation, not to conclude one.",
    ]


#: Metrics shown on the card, in order: (key, readable label).
CARD_METRICS: tuple[tuple[str, str], ...] = (
    ("roc_auc", "ROC AUC (ranking; 0.5 = chance)"),
    ("pr_auc", "PR AUC"),
    ("brier", "Brier score (lower is better)"),
    ("log_loss", "Log loss (lower is better)"),
    ("precision_top10", "Precision in the top 10%"),
    ("lift_top10", "Lift in the top 10%"),
)

#: Columns of the metrics table of a time-series model: (label, prefix in ``model.metrics_``).
_SERIES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Model", "valid_"),
    ("Tenure-only baseline", "baseline_valid_"),
    ("Logistic regression", "lr_baseline_valid_"),
    ("Class prior", "prior_baseline_valid_"),
)
#: The same for a flat-table model (cross-validated: mean and standard deviation).
_FLAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Model", "cv_"),
    ("Logistic regression", "logistic_cv_"),
    ("Class prior", "class_prior_cv_"),
)


# ------------------------------------------------------------------ helpers
def _pct(v, digits: int = 1) -> str:
    return "–" if v is None or not np.isfinite(float(v)) else f"{100 * float(v):.{digits}f}%"


def _text(value) -> str:
    """``value`` as text; empty for missing values (``None``, NaN, ``"nan"``)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    text = str(value).strip()
    return "" if text.lower() in {"nan", "none", "<na>"} else text


def _first(scores: pd.DataFrame | None, column: str) -> str:
    if scores is None or column not in scores.columns or not len(scores):
        return ""
    return _text(scores[column].iloc[0])


def _multiple(v: float) -> str:
    return f"{float(v):g}×"


def _kind(model) -> str:
    if model is None:
        return "attrition"
    if model.training_summary_.get("mode") == "flat":
        return "flat"
    return model.target


def _horizon(model, scores: pd.DataFrame | None) -> int:
    """The fitted model's horizon; without a model, the one the scores were made for."""
    if model is not None:
        return int(model.spec_.horizon_days)
    if _first(scores, "horizon_days"):
        return int(float(_first(scores, "horizon_days")))
    return 90


def _predicts(kind: str, horizon: int, summary: Mapping[str, Any]) -> str:
    if kind == "quiet_quitting":
        return ("**Predicts** the calibrated probability that an employee employed on the as-of date, "
                "not in the quiet-quitting state then and still employed at the end of the horizon, "
                f"enters the state within {horizon} days (a proxy from observable effort, not a "
                "diagnosis; definition: `QuietQuittingDefinition`).")
    if kind == "flat":
        return (f"**Predicts** the calibrated probability that `{summary.get('target', 'left')}` is "
                f"`{summary.get('positive', '')}` for an employee row of a one-row-per-employee table. "
                "There is no time axis: the risk is the probability of the recorded outcome, not of an "
                "exit within a horizon.")
    return ("**Predicts** the calibrated probability that an employee employed on the scoring date "
            f"leaves *voluntarily* within {horizon} days (involuntary exits, retirements and internal "
            "transfers are not counted).")


def _limits(kind: str) -> list[str]:
    """The limits every card of this kind states (inline Markdown)."""
    if kind == "flat":
        out = ["Protected attributes (gender, age, birth year, marital status and the like) are dropped "
               "by name and never model inputs; other columns can still be correlated with them.",
               "The metrics are cross-validated on the same table, not measured on later months: "
               "expect the model to do less well on future data."]
    else:
        out = ["Protected attributes (age, gender) are never model inputs. The HR master holds only "
               "current team, role and contract, so past months may reflect later states."]
    if kind == "quiet_quitting":
        out.append("Quiet quitting is a proxy from observable effort (handled contacts, adherence, "
                   "occupancy), not a diagnosis of a person's motivation or health.")
    else:
        out.append("Expected-leaver ranges assume people leave independently; real exits cluster, so "
                   "true variation is wider.")
    return out


def _metrics_table(metrics: Mapping[str, float], columns, caption: str, *, spread: bool) -> dict | None:
    """Rows of :data:`CARD_METRICS` over ``columns``; columns without any value left out."""
    def get(key):
        v = metrics.get(key)
        return float(v) if isinstance(v, (int, float, np.number)) and np.isfinite(v) else None

    kept = [(label, prefix) for label, prefix in columns
            if any(get(prefix + key) is not None for key, _ in CARD_METRICS)]
    if not kept:
        return None
    rows = []
    for key, label in CARD_METRICS:
        values = [get(prefix + key) for _, prefix in kept]
        if all(v is None for v in values):
            continue
        sd = [get(prefix + key + "_sd") if spread else None for _, prefix in kept]
        rows.append({"key": key, "label": label, "values": values, "sd": sd})
    return {"caption": caption, "columns": [label for label, _ in kept], "rows": rows}


def _fairness_line(fairness) -> str | None:
    if fairness is None:
        return None
    doc = fairness.to_dict() if hasattr(fairness, "to_dict") else dict(fairness)
    if "flags" not in doc:
        return ("No fairness audit on record for this model (trained before the audit existed, or "
                "on a flat table): retrain it to get one.")
    n = len(doc.get("flags") or [])
    return (f"Fairness audit of the validation months (per gender and age band, groups under "
            f"{doc.get('min_group_size', '')} employees suppressed): **{n} flag{'' if n == 1 else 's'}**"
            + ("; a flag is a prompt to look, not a verdict." if n else "."))


def _risk_bands(model, kind: str) -> dict | None:
    thresholds = model.thresholds_
    multiples = dict(model.risk_bands or {"medium": 1.0, "high": 2.0})
    base = model.base_rate_
    order = sorted(thresholds, key=lambda k: -thresholds[k])
    where = "the base rate of the table" if kind == "flat" else "the validation base rate"
    text = ("Risk bands: " + ", ".join(f"{k} from {_pct(thresholds[k])}" for k in order)
            + " (" + " and ".join(_multiple(multiples[k]) for k in order if k in multiples)
            + f" {where} {_pct(base)}).")
    return {"thresholds": dict(thresholds), "multiples": multiples, "base_rate": float(base), "text": text}


# ------------------------------------------------------------------ the card
def model_card(model=None, *, model_info: Mapping[str, str] | None = None, fingerprint: str | None = None,
               fairness=None, scores: pd.DataFrame | None = None) -> dict:
    """The content of a model card, as plain data.

    Parameters
    ----------
    model : AttritionModel, optional
        A fitted model: attrition, quiet quitting (``model.target ==
        "quiet_quitting"``) or flat table (``training_summary_["mode"] ==
        "flat"``). ``None``: a card from ``model_info`` and ``scores``
        alone, without data period or metrics.
    model_info : dict, optional
        ``model_name`` / ``model_version`` (from the registry).
    fingerprint : str, optional
        The input data's fingerprint, listed with the data period.
    fairness : dict or FairnessAudit, optional
        The training run's fairness audit; ``{}`` says there is none;
        ``None`` leaves the line out.
    scores : pandas.DataFrame, optional
        A scores frame: its ``model_name``, ``model_version`` and
        ``horizon_days`` columns fill in what ``model_info`` and ``model``
        do not give.

    Returns
    -------
    dict
        ``kind`` (``"attrition"``, ``"quiet_quitting"`` or ``"flat"``),
        ``title``, ``name``, ``version``, ``attrition_version``,
        ``horizon_days`` (``None`` for a flat table), ``predicts``,
        ``intended_use`` (list), ``data_period`` (dict or ``None``),
        ``data_title`` and ``data`` (list of readable lines), ``metrics`` (``caption``,
        ``columns``, ``rows`` of ``key``/``label``/``values``/``sd``; or
        ``None``), ``warnings`` (list), ``risk_bands`` (``thresholds``,
        ``multiples``, ``base_rate``, ``text``; or ``None``), ``fairness``
        (str or ``None``), ``limits`` (list) and ``note`` (str or ``None``).
        Text is inline Markdown (``**``, ``*``, backticks).
    """
    info = model_info or {}
    kind = _kind(model)
    summary = dict(model.training_summary_) if model is not None else {}
    metrics = dict(model.metrics_) if model is not None else {}
    horizon = None if kind == "flat" else _horizon(model, scores)
    card: dict[str, Any] = {
        "kind": kind,
        "title": {"attrition": "Attrition model card", "quiet_quitting": "Quiet-quitting model card",
                  "flat": "Attrition model card (flat table)"}[kind],
        "name": _text(info.get("model_name")) or _first(scores, "model_name"),
        "version": _text(info.get("model_version")) or _first(scores, "model_version"),
        "attrition_version": __version__,
        "horizon_days": horizon,
        "predicts": _predicts(kind, horizon or 0, summary),
        "intended_use": intended_use(kind),
        "data_period": None,
        "data_title": "Data" if kind == "flat" else "Data period",
        "data": [],
        "metrics": None,
        "warnings": [],
        "risk_bands": _risk_bands(model, kind) if model is not None else None,
        "fairness": _fairness_line(fairness),
        "limits": _limits(kind),
        "note": None,
    }
    if model is None or not summary:
        card["note"] = "Metrics and data period: pass the model (`--model`) to include them."
        return card
    if kind == "flat":
        return _flat_content(card, summary, metrics, dropped=summary.get("dropped"), source=None)
    card["data_period"] = {k: summary[k] for k in ("train_first_as_of", "train_last_as_of", "valid_first_as_of",
                                                   "valid_last_as_of", "n_train", "n_valid", "n_censored")
                           if k in summary}
    card["data"] = [
        f"Trained on month ends {summary['train_first_as_of']} to {summary['train_last_as_of']} "
        f"({summary['n_train']:,} employee-months).",
        f"Validated out of time on {summary['valid_first_as_of']} to {summary['valid_last_as_of']} "
        f"({summary['n_valid']:,} employee-months).",
    ]
    if summary.get("refit_last_as_of"):
        card["data"].append(
            f"Then boosted again with the same number of trees on every month end up to "
            f"{summary['refit_last_as_of']} (the figures below are those of the model before that refit).")
    card["data"] += _monotone_lines(summary.get("monotone") or {})
    if "n_censored" in summary:
        card["data"].append(f"Rows left out because their outcome was not yet known: {summary['n_censored']:,}.")
    card["data"] += _history_lines(summary)
    if fingerprint:
        card["data"].append(f"Input fingerprint: `{fingerprint}`.")
    card["metrics"] = _metrics_table(metrics, _SERIES_COLUMNS, "Out-of-time validation", spread=False)
    lr, own = metrics.get("lr_baseline_valid_roc_auc"), metrics.get("valid_roc_auc")
    if lr is not None and own is not None and lr > own:
        card["warnings"].append(
            "**Warning:** the logistic-regression baseline ranks the validation months better than this "
            "model. Run `attrition backtest` to see whether the gap holds across origins before relying "
            "on this model.")
    return card


def _monotone_lines(monotone: Mapping[str, int]) -> list[str]:
    """The directions the trees were made to keep (assumptions, not findings)."""
    if not monotone:
        return []
    def measures(sign: int) -> list[str]:  # one entry per measure, whatever its windows
        return sorted({re.sub(r"_\d+d$", "", f) for f, v in monotone.items() if v * sign > 0})

    up, down = measures(1), measures(-1)
    parts = ([f"never falls as {', '.join(f'`{f}`' for f in up)} grow"] if up else []) + (
        [f"never rises as {', '.join(f'`{f}`' for f in down)} grow"] if down else [])
    return [f"Risk is constrained by assumption (monotone in {len(monotone)} features, not learned from "
            f"this data): it {'; it '.join(parts)}. Lift with `lgbm_params: {{monotone_constraints: {{}}}}`."]


def _history_lines(summary: Mapping[str, Any]) -> list[str]:
    """The observed window, and which features came from export-time HR values (if any)."""
    lines = []
    if summary.get("observed_from"):
        lines.append(f"Observation starts {summary['observed_from']} (the earliest dated activity row, "
                     "or `observed_from`): no training rows before it.")
    stale = summary.get("export_time_features") or []
    if stale:
        shown = ", ".join(f"`{f}`" for f in stale[:8]) + (", ..." if len(stale) > 8 else "")
        lines.append(f"**No job history:** {shown} come from the employees export's values on the "
                     "export date, not on each as-of date. A stayer's values include later raises and "
                     "moves while a leaver's froze at exit, so these features can flatter the metrics. "
                     "Export `employee_history` to remove this.")
    return lines


def _flat_content(card: dict, summary: Mapping[str, Any], metrics: Mapping[str, float], *,
                  dropped, source: str | None) -> dict:
    """Fill a flat-table model's data lines and cross-validated metrics into ``card``."""
    rows = f"{summary.get('n_rows', 0):,} rows, {summary.get('positives', 0):,} positives"
    card["data_period"] = None
    card["data"] = [f"Table: `{source}`, {rows}." if source else f"Table of {rows}."]
    if dropped is not None:
        card["data"].append(f"Columns dropped (protected or requested): {', '.join(dropped) or 'none'}.")
    if "setting" in summary:
        line = (f"Setting chosen by inner cross-validation: `{summary['setting']}` "
                f"({summary.get('best_iteration', '?')} trees)")
        if summary.get("inner_auc"):
            line += "; inner ROC AUC per candidate: " + ", ".join(
                f"{k} {v:.3f}" for k, v in summary["inner_auc"].items())
        card["data"].append(line + ".")
    card["metrics"] = _metrics_table(metrics, _FLAT_COLUMNS, str(summary.get("validation", "Cross-validation")),
                                     spread=True)
    if card["metrics"] is None:
        card["note"] = f"Metrics: {summary.get('validation', 'not evaluated')}."
    return card


def flat_model_card(fit, source: str | None = None, *, model_info: Mapping[str, str] | None = None) -> dict:
    """The card of a flat-table fit (:class:`attrition.models.FlatFit`), as :func:`model_card`.

    Adds what only the fit knows: the table's name (``source``) and the
    dropped columns.
    """
    card = model_card(fit.model, model_info=model_info)
    summary = dict(getattr(fit.model, "training_summary_", None) or {})
    return _flat_content(card, summary, dict(fit.model.metrics_ or {}), dropped=list(fit.dropped),
                         source=source)


def _markdown(card: Mapping[str, Any]) -> str:
    lines = [f"# {card['title']}", ""]
    if card["name"]:
        lines += [f"**Model**: {card['name']}" + (f", version {card['version']}" if card["version"] else "")
                  + f" · attrition {card['attrition_version']}", ""]
    else:
        lines += [f"Made with attrition {card['attrition_version']}.", ""]
    lines += [card["predicts"], "", "## Intended use", *(f"- {t}" for t in card["intended_use"]), ""]
    if card["data"]:
        lines += ["## Data", *(f"- {t}" for t in card["data"]), ""]
    table = card["metrics"]
    if table:
        lines += [f"## Metrics: {table['caption']}",
                  "| metric | " + " | ".join(c.lower() for c in table["columns"]) + " |",
                  "|---" * (len(table["columns"]) + 1) + "|"]
        for row in table["rows"]:
            lines.append(f"| {row['label']} | "
                         + " | ".join(format_metric(v, s, 4) for v, s in zip(row["values"], row["sd"], strict=True))
                         + " |")
        lines.append("")
    for text in [*card["warnings"], (card["risk_bands"] or {}).get("text"), card["fairness"], card["note"]]:
        if text:
            lines += [text, ""]
    lines += ["## Limits", *(f"- {t}" for t in card["limits"])]
    return "\n".join(lines) + "\n"


def model_card_markdown(model=None, *, model_info: Mapping[str, str] | None = None,
                        fingerprint: str | None = None, fairness=None,
                        scores: pd.DataFrame | None = None) -> str:
    """The model card as Markdown (``model_card.md`` of an MLflow run); see :func:`model_card`."""
    return _markdown(model_card(model, model_info=model_info, fingerprint=fingerprint, fairness=fairness,
                                scores=scores))


def flat_model_card_markdown(fit, source: str | None = None) -> str:
    """The card of a flat-table fit as Markdown (``model_card.md`` of its MLflow run).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(training_summary_={"mode": "flat", "validation": "not evaluated",
    ...                                            "n_rows": 10, "positives": 3, "target": "left",
    ...                                            "positive": "Yes"}, metrics_={},
    ...                         thresholds_={"medium": 0.3, "high": 0.6}, base_rate_=0.3, risk_bands=None)
    >>> text = flat_model_card_markdown(SimpleNamespace(model=model, dropped=["Gender"]), "hr.csv")
    >>> "Columns dropped (protected or requested): Gender." in text
    True
    """
    return _markdown(flat_model_card(fit, source))


def model_card_html(model=None, *, model_info: Mapping[str, str] | None = None,
                    fingerprint: str | None = None, fairness=None, scores: pd.DataFrame | None = None) -> str:
    """The model card as an HTML fragment (the report's "Model card" section body).

    Rendered by the template ``templates/model_card.html.j2``, the same one
    the report includes.
    """
    card = model_card(model, model_info=model_info, fingerprint=fingerprint, fairness=fairness, scores=scores)
    return render_template("model_card.html.j2", card=card)
