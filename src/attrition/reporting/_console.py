"""Console output: a backtest's summary as rich tables (aggregates only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from attrition.analysis._backtest import BacktestResult

__all__ = ["print_backtest"]


# ------------------------------------------------------------------- display
def print_backtest(result: BacktestResult, console=None) -> None:
    """Print a backtest's summary as rich tables (aggregates only, no employee ids)."""
    console = console or Console()
    s = result.settings
    o = result.origins
    k = s["capacity"]
    t = Table(title=f"Rolling-origin backtest, {s['horizon_days']}-day horizon: train on what was known "
                    "at each month end, score everyone employed then, compare with what happened")
    for col in ("origin", "scored", "leavers", "expected (95 %)", "ROC AUC", "logistic", "tenure",
                "PR AUC", "Brier", "ECE", f"prec@{k}", f"recall@{k}", "lift top10%"):
        t.add_column(col, justify="right")
    for r in o.itertuples():
        t.add_row(f"{r.origin:%Y-%m}", f"{r.n}", f"{r.model_actual:.0f}",
                  f"{r.model_expected:.1f} ({r.model_expected_low:.0f}-{r.model_expected_high:.0f})"
                  + ("" if r.model_expected_within else " ✗"),
                  f"{r.model_roc_auc:.3f}", f"{r.logistic_roc_auc:.3f}", f"{r.tenure_only_roc_auc:.3f}",
                  f"{r.model_pr_auc:.3f}", f"{r.model_brier:.4f}", f"{r.model_ece:.3f}",
                  f"{r.model_precision_at_k:.2f}", f"{r.model_recall_at_k:.2f}", f"{r.model_lift_top10:.2f}")
    p = result.pooled
    t.add_row("pooled", f"{p['model_n']:.0f}", f"{p['model_actual']:.0f}", f"{p['model_expected']:.1f}",
              f"{p['model_roc_auc']:.3f}", f"{p['logistic_roc_auc']:.3f}", f"{p['tenure_only_roc_auc']:.3f}",
              f"{p['model_pr_auc']:.3f}", f"{p['model_brier']:.4f}", f"{p['model_ece']:.3f}",
              f"{o['model_precision_at_k'].mean():.2f}", f"{o['model_recall_at_k'].mean():.2f}",
              f"{p['model_lift_top10']:.2f}", style="bold")
    console.print(t)
    console.print(f"Pooled: top 5 % precision {p['model_precision_top5']:.2f} (recall {p['model_recall_top5']:.2f}), "
                  f"top 10 % {p['model_precision_top10']:.2f} ({p['model_recall_top10']:.2f}), "
                  f"top 20 % {p['model_precision_top20']:.2f} ({p['model_recall_top20']:.2f}); "
                  f"base rate {p['model_base_rate']:.3f}. Pooled prec/recall@{k} columns show the mean over origins.")

    m = Table(title="Model minus baseline, paired by origin (mean, 95 % t-interval over origins)")
    for col in ("baseline", "metric", "better", "margin", "95 % interval", "origins won"):
        m.add_column(col, justify="right")
    for r in result.margins.itertuples():
        m.add_row(r.baseline, r.metric, r.better, f"{r.mean_margin:+.4f}", f"{r.low:+.4f} .. {r.high:+.4f}",
                  f"{r.origins_won}/{r.origins}")
    console.print(m)

    c = Table(title="Calibration out of time (platt = shipped)")
    for col in ("method", "pooled ECE", "mean ECE per origin", "Brier", "log loss", "expected", "actual",
                "origins within interval"):
        c.add_column(col, justify="right")
    for r in result.calibration.itertuples():
        c.add_row(r.method, f"{r.pooled_ece:.4f}", f"{r.mean_origin_ece:.4f}", f"{r.brier:.4f}",
                  f"{r.log_loss:.4f}", f"{r.expected:.1f}", f"{r.actual:.0f}",
                  f"{r.origins_within_interval}/{r.origins}")
    console.print(c)

    lift = result.lift
    console.print("Lift by decile (1 = highest risk): "
                  + "  ".join(f"{d}: {v:.2f}" for d, v in zip(lift["decile"], lift["lift"], strict=True)))
    teams = result.teams
    if len(teams):
        outside = teams.loc[teams["within"].eq(False), "team_id"].astype(str).tolist()
        console.print(f"Teams: {len(teams)} rows (teams under {s['min_group_size']} people merged); actual "
                      f"leavers outside the expected 95 % interval in {len(outside)}"
                      + (f": {', '.join(outside[:10])}" if outside else "") + ".")
    _print_risk_over_time(result, console)
    if result.fairness is not None:
        _print_fairness(result, console)


def _fmt(value, spec: str = ".3f") -> str:
    return "—" if value is None or not np.isfinite(value) else format(value, spec)


def _print_risk_over_time(result: BacktestResult, console) -> None:
    """Survival metrics, calibration at each horizon and the first-90-days segment, when measured."""
    surv = getattr(result, "survival", None)
    if surv is None or not len(surv):
        return
    auc_cols = [c for c in surv.columns if c.startswith("td_auc_")]
    t = Table(title="Risk over time: everyone employed at each origin, followed to the export date "
                    "(time-dependent AUC, Uno's concordance, integrated Brier; — = beyond the follow-up)")
    for col in ("model", *[f"AUC {c[7:]}" for c in auc_cols], "concordance", "integrated Brier"):
        t.add_column(col, justify="right")
    for r in surv.to_dict("records"):
        t.add_row(r["model"], *[_fmt(r[c]) for c in auc_cols], _fmt(r.get("concordance")),
                  _fmt(r.get("integrated_brier"), ".4f"))
    console.print(t)
    h = Table(title="Calibration at each horizon (rows whose outcome at that horizon is known)")
    for col in ("horizon", "rows", "mean risk", "observed", "ECE", "ROC AUC", "expected", "actual"):
        h.add_column(col, justify="right")
    for r in result.horizons.to_dict("records"):
        h.add_row(f"{r['horizon_days']} days", f"{r['n']}", _fmt(r.get("mean_risk")), _fmt(r.get("observed")),
                  _fmt(r.get("ece")), _fmt(r.get("roc_auc")), _fmt(r.get("expected"), ".1f"),
                  _fmt(r.get("actual"), ".0f"))
    console.print(h)
    g = Table(title="First 90 days of tenure vs the rest (the horizon's label)")
    for col in ("segment", "model", "rows", "leavers", "ROC AUC", "ECE", "expected"):
        g.add_column(col, justify="right")
    for r in result.segments.to_dict("records"):
        g.add_row(r["segment"], r["model"], f"{r['rows']}", f"{r['leavers']:.0f}", _fmt(r.get("roc_auc")),
                  _fmt(r.get("ece")), _fmt(r.get("expected"), ".1f"))
    console.print(g)


def _print_fairness(result: BacktestResult, console) -> None:
    """The pooled fairness audit: per-group table and flags (or "no fairness flags")."""
    audit = result.fairness

    def num(v, fmt: str) -> str:
        return "" if pd.isna(v) else format(v, fmt)

    f = Table(title="Fairness audit, all origins pooled (employees: distinct people; groups under "
                    f"{result.settings['min_group_size']} employees suppressed)")
    for col in ("attribute", "group", "employees", "employee-months", "leavers", "ROC AUC", "mean risk",
                "observed", "flagged high", "false-neg. rate"):
        f.add_column(col, justify="right")
    for r in audit.to_frame().itertuples():
        f.add_row(r.attribute, str(r.group), num(r.n_employees, ".0f"), num(r.n_rows, ".0f"),
                  num(r.positives, ".0f"), num(r.roc_auc, ".3f"), num(r.mean_risk, ".3f"),
                  num(r.observed_rate, ".3f"), num(r.flagged_share, ".1%"), num(r.false_negative_rate, ".2f"))
    console.print(f)
    if audit.flags:
        console.print(f"Fairness flags ({len(audit.flags)}; a prompt to look, not a verdict):")
        for flag in audit.flags:
            console.print(f"  - {flag}", markup=False)
    else:
        console.print("Fairness: no fairness flags (no disparity beyond the configured thresholds).")
