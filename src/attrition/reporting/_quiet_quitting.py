"""The quiet-quitting section of the HTML report (and its plot).

Built from a scores frame (:func:`attrition.score_roster` with the
quiet-quitting columns): the share of people in the state now, with its
interval, and over the last months (``scores.attrs["quiet_quitting_prevalence_by_month"]``,
which scoring fills; absent after a CSV round trip, then only the current
month is shown); the same by team with groups under ``min_group_size``
pooled; the index components that weigh most centre-wide; the people most
likely to *enter* the state, under pseudonyms, with the drivers of that risk;
and the limits of the measure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from attrition.analysis._rollups import _assign
from attrition.reporting._plots import _BLUE, _subplots
from attrition.snapshots._quiet_quitting import quiet_quitting_prevalence_interval

__all__ = ["quiet_quitting_section", "prevalence_trend_figure", "prevalence_text", "QQ_LIMITS"]

#: What the section says about the measure's limits, whatever the data.
QQ_LIMITS: tuple[str, ...] = (
    "It is a proxy, not a diagnosis: the state is inferred from observable effort (overtime, "
    "adherence, contacts per hour, after-contact work, quality, satisfaction, escalations) falling "
    "against the person's own past and their team. Illness, caring duties, a new queue or tool, a "
    "changed rota, a reasonable refusal of unpaid extras, or a data problem look the same.",
    "Never use it for discipline, pay or performance ratings. Use it to start a conversation about "
    "workload, support and the team's conditions.",
    "The state model is fitted on this centre's own history (a two-state hidden Markov model); "
    "people in their first months (the nesting period) get no state, and the figures are "
    "estimates with intervals, not counts.",
)

_COMPONENT = re.compile(r"^(?P<label>.+?)\s+(?P<points>-?\d+(?:\.\d+)?)$")


def _pct(v: float, digits: int = 0) -> str:
    return "" if v is None or not np.isfinite(v) else f"{100 * v:.{digits}f}%"


def prevalence_text(scores: pd.DataFrame) -> str:
    """The estimated share in the quiet-quitting state with its 90 % interval, in one line.

    Examples
    --------
    >>> prevalence_text(pd.DataFrame({"quiet_quitting_state_probability": [0.0] * 10}))
    'Quiet-quitting prevalence: 0.0% (90% interval 0.0% to 0.0%) of 10 people with an estimate'
    """
    p = (pd.to_numeric(scores["quiet_quitting_state_probability"], errors="coerce").to_numpy()
         if "quiet_quitting_state_probability" in scores.columns else np.zeros(0))
    est = quiet_quitting_prevalence_interval(p)
    if not est["n"]:
        return "Quiet-quitting prevalence: no one has a state estimate."
    return (f"Quiet-quitting prevalence: {est['prevalence']:.1%} (90% interval {est['low']:.1%} to "
            f"{est['high']:.1%}) of {est['n']} people with an estimate")


def prevalence_trend_figure(records: Sequence[dict], title: str = "Share in the quiet-quitting state"):
    """The monthly prevalence with its interval (records of :func:`attrition.snapshots.prevalence_by_month`).

    Examples
    --------
    >>> fig = prevalence_trend_figure([{"as_of": "2024-01-31", "prevalence": 0.1, "low": 0.08,
    ...                                 "high": 0.12, "level": 0.9}])
    >>> fig.axes[0].get_ylabel()
    'Share of people in the state'
    """
    frame = pd.DataFrame(list(records))
    fig, ax = _subplots(figsize=(9, 3.4))
    if len(frame):
        t = pd.to_datetime(frame["as_of"])
        level = float(frame["level"].iloc[0]) if "level" in frame else 0.9
        ax.fill_between(t, frame["low"], frame["high"], color=_BLUE, alpha=0.18,
                        label=f"{level:.0%} interval")
        ax.plot(t, frame["prevalence"], color=_BLUE, marker="o", label="estimated share")
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_ylabel("Share of people in the state")
    ax.set_xlabel("Month end")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", frameon=False)
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout()
    return fig


def _components(scores: pd.DataFrame) -> list[dict]:
    """Centre-wide weight of each component, from each person's largest components."""
    if "qq_index_components" not in scores.columns:
        return []
    known = pd.to_numeric(scores.get("quiet_quitting_index"), errors="coerce").notna()
    n = int(known.sum())
    if n == 0:
        return []
    points: dict[str, float] = {}
    people: dict[str, int] = {}
    for text in scores.loc[known, "qq_index_components"].fillna("").astype(str):
        for part in filter(None, (p.strip() for p in text.split(";"))):
            m = _COMPONENT.match(part)
            if m:
                label = m["label"]
                points[label] = points.get(label, 0.0) + float(m["points"])
                people[label] = people.get(label, 0) + 1
    rows = sorted(points, key=lambda k: -points[k])
    return [{"component": k, "points": f"{points[k] / n:.1f}", "share": _pct(people[k] / n)} for k in rows]


def _teams(scores: pd.DataFrame, min_n: int) -> list[dict]:
    p = pd.to_numeric(scores["quiet_quitting_state_probability"], errors="coerce")
    frame = scores.loc[p.notna()].copy()
    if "team_id" not in frame.columns or len(frame) < min_n:
        return []
    frame["p"] = p[p.notna()].to_numpy()
    parent = "site" if "site" in frame.columns else None
    display, _ = _assign(frame, "team_id", min_n, parent)
    rows = []
    for name, g in frame.groupby(display.to_numpy(), sort=True):
        est = quiet_quitting_prevalence_interval(g["p"].to_numpy())
        index = pd.to_numeric(g.get("quiet_quitting_index"), errors="coerce")
        rows.append({"team": str(name), "people": len(g), "share": _pct(est["prevalence"]),
                     "interval": f"{_pct(est['low'])}–{_pct(est['high'])}",
                     "index": "" if index is None or index.isna().all() else f"{index.mean():.0f}",
                     "_p": est["prevalence"]})
    rows.sort(key=lambda r: -r["_p"])
    return rows


def _entry_list(scores: pd.DataFrame, pseudonyms: np.ndarray, top: int, min_n: int) -> list[dict]:
    """The people most likely to enter the state; teams under ``min_n`` read "small team"."""
    if "quiet_quitting_risk" not in scores.columns:
        return []
    hidden: set = set()
    if "team_id" in scores.columns:
        _, pooled = _assign(scores, "team_id", min_n, "site" if "site" in scores.columns else None)
        hidden = {g for g, p in pooled.items() if p is not None}
    risk = pd.to_numeric(scores["quiet_quitting_risk"], errors="coerce")
    candidates = risk.notna() & ~scores["quiet_quitting_state"].astype(bool)
    order = risk[candidates].sort_values(ascending=False, kind="stable").index[:top]
    out = []
    for i in order:
        row = scores.loc[i]
        drivers = [str(row[f"qq_driver_{k}"]) for k in (1, 2, 3)
                   if f"qq_driver_{k}" in scores.columns and isinstance(row[f"qq_driver_{k}"], str)
                   and row[f"qq_driver_{k}"]]
        index = row.get("quiet_quitting_index")
        team = row.get("team_id", "")
        out.append({"pseudonym": str(pseudonyms[i]),
                    "team": "small team" if team in hidden else str(team),
                    "risk": _pct(float(risk[i]), 1),
                    "index": "" if index is None or pd.isna(index) else f"{float(index):.0f}",
                    "drivers": drivers})
    return out


def quiet_quitting_section(scores: pd.DataFrame, *, pseudonyms: np.ndarray, min_group_size: int = 5,
                           top: int = 20, figure_uri=None) -> dict | None:
    """The template context of the quiet-quitting section, or None when the scores have no state.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores with ``quiet_quitting_state_probability`` (and, when a
        quiet-quitting model scored, ``quiet_quitting_risk`` and its drivers).
    pseudonyms : ndarray
        The report's pseudonym of each row (never the raw id).
    min_group_size : int, default 5
        Fewest people behind any figure: smaller teams are pooled; with fewer
        people in all, only the limits are shown.
    top : int, default 20
        People listed by risk of entering the state.
    figure_uri : callable, optional
        Turns a matplotlib figure into an embeddable data URI.
    """
    if "quiet_quitting_state_probability" not in scores.columns:
        return None
    p = pd.to_numeric(scores["quiet_quitting_state_probability"], errors="coerce")
    est = quiet_quitting_prevalence_interval(p.to_numpy())
    min_n = int(min_group_size)
    section = {"limits": list(QQ_LIMITS), "suppressed": est["n"] < min_n, "min_n": min_n}
    if section["suppressed"]:
        return section
    # Months with fewer estimates than the minimum group size are left out of the trend.
    trend = [r for r in (scores.attrs.get("quiet_quitting_prevalence_by_month") or [])
             if int(r.get("n", 0)) >= min_n]
    section.update({
        "people": est["n"],
        "share": _pct(est["prevalence"], 1),
        "low": _pct(est["low"], 1),
        "high": _pct(est["high"], 1),
        "expected": f"{est['prevalence'] * est['n']:.0f}",
        "not_assessed": int(p.isna().sum()),
        "trend": [{"as_of": r["as_of"], "share": _pct(r["prevalence"], 1),
                   "interval": f"{_pct(r['low'], 1)}–{_pct(r['high'], 1)}", "n": r["n"]} for r in trend],
        "figure": (figure_uri(prevalence_trend_figure(trend)) if figure_uri is not None and len(trend) > 1
                   else None),
        "teams": _teams(scores, min_n),
        "components": _components(scores),
        "entries": _entry_list(scores, pseudonyms, top, min_n),
        "has_risk": "quiet_quitting_risk" in scores.columns
                    and pd.to_numeric(scores["quiet_quitting_risk"], errors="coerce").notna().any(),
    })
    return section
