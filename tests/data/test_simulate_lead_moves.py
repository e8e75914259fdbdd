"""Team leads as people (``simulate(..., lead_moves=True)``): ids, quality and mobility."""

import numpy as np
import pandas as pd
import pytest

from attrition import simulate
from attrition.data._simulate import VOLUNTARY_HAZARD
from attrition.features import hr_attributes


@pytest.fixture(scope="module")
def moving():
    return simulate(n_employees=400, months=24, seed=11, lead_moves=True)


def _lead_at_month_ends(centre) -> pd.DataFrame:
    """Each truth row with the manager and team in force on its month end."""
    truth = centre.truth.rename(columns={"month_end": "as_of"})
    now = hr_attributes(centre.tables, truth, ["manager_id", "team_id"])
    return truth.assign(manager_id=now["manager_id"].to_numpy(), team_id=now["team_id"].to_numpy())


def _stints(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (manager, team) stint: its first day in the history."""
    first = history.groupby(["manager_id", "team_id"])["effective_date"].min().reset_index()
    return first.sort_values(["manager_id", "effective_date"])


def test_a_lead_keeps_their_id_and_quality_across_teams(moving):
    rows = _lead_at_month_ends(moving)
    assert rows["manager_id"].notna().all()
    assert rows["manager_id"].str.fullmatch(r"L\d{4}").all()
    teams = rows.groupby("manager_id")["team_id"].nunique()
    assert (teams >= 2).sum() >= 2, "some leads are reassigned to another team"
    # The lead's quality is theirs: one value of the direct term per lead, whatever the team.
    quality = rows.groupby("manager_id")["lead_logit"].agg(lambda s: s.round(12).nunique())
    assert (quality == 1).all()
    movers = teams.index[teams >= 2]
    assert rows.loc[rows["manager_id"].isin(movers)].groupby("manager_id")["team_id"].nunique().min() >= 2


def test_one_lead_per_team_and_one_team_per_lead_at_a_time(moving):
    rows = _lead_at_month_ends(moving)
    per_team = rows.groupby(["as_of", "team_id"])["manager_id"].nunique()
    per_lead = rows.groupby(["as_of", "manager_id"])["team_id"].nunique()
    assert per_team.max() == 1 and per_lead.max() == 1


def test_lead_mobility_is_in_the_documented_range(moving):
    """Leads leave and are reassigned at the documented rates (16 % of team-years each over seeds 0-5)."""
    rows = _lead_at_month_ends(moving)
    by_month = rows.groupby(["as_of", "team_id"])["manager_id"].first().unstack()
    seen: set = set(by_month.iloc[0].dropna())
    new = reassigned = team_months = 0
    for i in range(1, len(by_month)):
        prev, cur = by_month.iloc[i - 1], by_month.iloc[i]
        for team in by_month.columns:
            if pd.isna(prev[team]) or pd.isna(cur[team]):
                continue
            team_months += 1
            if cur[team] != prev[team]:
                reassigned += cur[team] in seen
                new += cur[team] not in seen
        seen |= set(cur.dropna())
    years = team_months / 12
    assert 0.08 < new / years < 0.30
    assert 0.02 < reassigned / years < 0.35


def test_the_true_hazard_follows_the_lead(moving):
    rows = _lead_at_month_ends(moving)
    assert np.allclose(rows["lead_logit"] / VOLUNTARY_HAZARD["team_lead_quality"],
                       rows.groupby("manager_id")["lead_logit"].transform("first")
                       / VOLUNTARY_HAZARD["team_lead_quality"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_by_default_a_lead_stays_with_their_team(seed):
    centre = simulate(n_employees=120, months=12, seed=seed)
    rows = _lead_at_month_ends(centre)
    assert rows["manager_id"].str.fullmatch(r"L\d{3}-\d+").all()
    assert rows.groupby("manager_id")["team_id"].nunique().max() == 1
    # Known lag of the default mode (kept so its output stays as it was): an agent hired in the
    # days after their team's lead changed is recorded under the lead who left, so their rows carry
    # the new lead's quality under the old id. Seeds 0 and 1 have 16 and 15 such rows of ~1,400;
    # with lead_moves the hire row names the lead in force (test above: one quality per lead).
    modal = rows.groupby("manager_id")["lead_logit"].transform(lambda s: s.round(12).mode().iloc[0])
    assert (rows["lead_logit"].round(12) != modal).mean() < 0.02
    assert not simulate(n_employees=120, months=12, seed=2, history=False).truth["lead_logit"].eq(0).all()


def test_lead_moves_needs_the_history():
    with pytest.raises(ValueError, match="needs history=True"):
        simulate(n_employees=50, months=6, seed=0, history=False, lead_moves=True)
