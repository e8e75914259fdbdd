"""``attrition whatif``: re-score employees, or a whole team, with changed inputs."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from attrition.analysis._explain import WHAT_IF_NOTE, parse_changes, what_if
from attrition.exceptions import ConfigError, RosterError
from attrition.jobs._workflows import check_snapshot_model
from attrition.tracking._mlflow import load_model

__all__ = ["what_if_job"]


def what_if_job(
    config,
    as_of,
    changes,
    *,
    employees: Sequence[str] | None = None,
    team: str | None = None,
    model_uri: str | None = None,
    tables=None,
    model=None,
) -> tuple[pd.DataFrame, dict | None]:
    """``attrition whatif``: re-score employees, or a whole team, with changed inputs.

    Parameters
    ----------
    config : Config
    as_of : date
        The scoring date.
    changes : list of str
        See :func:`parse_changes`.
    employees : list of str, optional
        Employee ids to re-score.
    team : str, optional
        A team to re-score as a whole; only its totals are returned, and
        only when it has at least ``config.min_group_size`` people.

    Returns
    -------
    rows : pandas.DataFrame
        :func:`what_if` per employee (empty for a team).
    team_summary : dict or None
        ``headcount``, ``expected_leavers_before/after``,
        ``mean_risk_before/after`` for a team.
    """
    if (employees is None) == (team is None):
        raise ConfigError("Name either employees (--employee ID, repeatable) or one team (--team ID).")
    parsed = parse_changes(changes)
    if not parsed:
        raise ConfigError("Give at least one change, e.g. --set sched_late_changes=0.")
    if model is None:
        model, _ = load_model(model_uri or f"models:/{config.model_name()}@champion",
                              config.resolved_tracking_uri())
    check_snapshot_model(model, model_uri)
    if tables is None:
        tables = config.load_tables(columns=model.spec_.columns, declare=model.spec_.declared)
    snaps = model.snapshots(tables, [pd.Timestamp(as_of)])
    labels = model.feature_labels()
    if team is not None:
        rows = snaps[snaps["team_id"].astype(str) == str(team)]
        if len(rows) < config.min_group_size:
            raise RosterError(
                f"Team {team!r} has {len(rows)} people employed on {pd.Timestamp(as_of):%Y-%m-%d}; team "
                f"results are shown only for at least {config.min_group_size} (min_group_size) so no "
                "individual can be singled out. Re-score named employees instead.")
        res = what_if(model, rows.reset_index(drop=True), parsed, labels=labels)
        summary = {
            "team_id": str(team),
            "headcount": len(res),
            "expected_leavers_before": round(float(res["risk_before"].sum()), 2),
            "expected_leavers_after": round(float(res["risk_after"].sum()), 2),
            "mean_risk_before": round(float(res["risk_before"].mean()), 4),
            "mean_risk_after": round(float(res["risk_after"].mean()), 4),
        }
        empty = res.iloc[0:0].drop(columns=["employee_id"])
        empty.attrs["note"] = WHAT_IF_NOTE
        return empty, summary
    ids = [str(e) for e in employees]
    present = set(snaps["employee_id"].astype(str))
    unknown = [e for e in ids if e not in present]
    if unknown:
        raise RosterError(
            f"{len(unknown)} employee id(s) are not employed on {pd.Timestamp(as_of):%Y-%m-%d}: "
            f"{', '.join(unknown[:20])}. Check the ids and the as-of date.")
    rows = snaps.set_index(snaps["employee_id"].astype(str)).loc[ids].reset_index(drop=True)
    return what_if(model, rows, parsed, labels=labels), None
