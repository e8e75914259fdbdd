"""Property test of the as-of rule: perturbing any row dated after t changes no feature at t, no
quiet-quitting state probability at t and nobody's being at risk of entering the state at t."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition import build_snapshots
from attrition.data._tables import DATE_COLUMNS
from attrition.snapshots import (
    default_as_of_dates,
    fit_state_model,
    quiet_quitting_index,
    quiet_quitting_snapshots,
)

AS_OF = [pd.Timestamp("2024-05-31"), pd.Timestamp("2024-08-31")]
NUMERIC = {
    "schedule": ["scheduled_minutes", "worked_minutes", "overtime_minutes", "adherence", "notice_days"],
    "workload": ["contacts_handled", "handle_seconds", "after_contact_seconds", "occupancy",
                 "escalations", "csat", "qa_score"],
    "absences": [],
    "surveys": ["score"],
}


def _perturb(tables, t, seed, table, mode):
    rng = np.random.default_rng(seed)
    frame = getattr(tables, table).copy()
    after = frame[DATE_COLUMNS[table]] > t
    idx = frame.index[after]
    if mode == "drop":
        frame = frame.drop(idx[rng.random(len(idx)) < 0.5])
    elif mode == "values":
        for col in NUMERIC[table]:
            vals = frame.loc[idx, col].to_numpy(dtype="float64")
            frame.loc[idx, col] = np.where(np.isnan(vals), vals, vals * rng.uniform(0, 1, len(idx)))
    elif mode == "shift_dates":
        col = DATE_COLUMNS[table]
        frame.loc[idx, col] = frame.loc[idx, col] + pd.to_timedelta(rng.integers(0, 30, len(idx)), "D")
        if table == "absences":
            frame.loc[idx, "end_date"] = frame.loc[idx, "end_date"] + pd.Timedelta(days=30)
        frame = frame.drop_duplicates([c for c in ("employee_id", col, "item") if c in frame.columns])
    out = tables.copy(**{table: frame.reset_index(drop=True)})
    # Exits after t: move them later or reclassify them; neither is knowable at t.
    emp = tables.employees.copy()
    late = emp["termination_date"] > t
    emp.loc[late, "termination_date"] = emp.loc[late, "termination_date"] + pd.Timedelta(days=int(seed % 20))
    emp.loc[late, "termination_reason"] = "voluntary"
    return out.copy(employees=emp, export_date=tables.export_date + pd.Timedelta(days=20))


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    t=st.sampled_from(AS_OF),
    table=st.sampled_from(["schedule", "workload", "absences", "surveys"]),
    mode=st.sampled_from(["drop", "values", "shift_dates"]),
    privacy=st.sampled_from(["team", "identified"]),
)
def test_perturbing_rows_after_as_of_changes_no_feature(small_centre, seed, t, table, mode, privacy):
    tables = small_centre.tables
    base = build_snapshots(tables, as_of=[t], labels=False, survey_privacy=privacy)
    perturbed = build_snapshots(_perturb(tables, t, seed, table, mode), as_of=[t], labels=False,
                                survey_privacy=privacy)
    assert_frame_equal(base, perturbed)


# ------------------------------------------------- the quiet-quitting state and at-risk mask
@pytest.fixture(scope="module")
def qq_definition(small_centre):
    """A state model fitted once (scoring reads a model's saved parameters: they are fixed)."""
    definition = fit_state_model(build_snapshots(small_centre.tables, labels=False))
    assert definition.state_model["present"]  # else every probability is 0 and nothing is tested
    return definition


def _qq_rows_at(tables, t, definition, *, later: bool):
    """Snapshots of the state window up to t (and, with ``later``, every month end after it): the
    index, the filtered state probability and the label of the rows at t."""
    dates = default_as_of_dates(tables)
    dates = dates if later else dates[dates <= t]
    snaps = build_snapshots(tables, as_of=dates, labels=False)
    index = quiet_quitting_index(snaps, definition)
    labels = quiet_quitting_snapshots(snaps, tables, 90, definition)
    at_t = (snaps["as_of"] == t).to_numpy()
    out = pd.concat([snaps[["employee_id"]], index, labels[["label_status"]]], axis=1).loc[at_t]
    return out.set_index("employee_id").sort_index()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    t=st.sampled_from(AS_OF),
    table=st.sampled_from(["schedule", "workload", "surveys"]),
    mode=st.sampled_from(["drop", "values", "shift_dates"]),
)
def test_perturbing_rows_after_as_of_changes_no_state_probability_or_at_risk_row(
        small_centre, qq_definition, seed, t, table, mode):
    # The state probability at t and who is at risk of entering the state at t (not already in
    # it) read nothing after t: not the rows of the tables, nor the snapshot rows of later month
    # ends that the label's outcome (the smoothed state over (t, t + h]) does read.
    tables = small_centre.tables
    base = _qq_rows_at(tables, t, qq_definition, later=False)
    other = _qq_rows_at(_perturb(tables, t, seed, table, mode), t, qq_definition, later=True)
    assert_frame_equal(base.drop(columns="label_status"), other.drop(columns="label_status"))
    p = other["quiet_quitting_state_probability"].dropna()
    assert len(p) and ((p >= 0) & (p <= 1)).all()
    # The at-risk mask: 'censored_in_state' wherever neither frame censors the row for a later
    # reason (an exit or the export date, which the perturbation moves on purpose).
    later_reasons = {"censored_exit", "censored_horizon"}
    comparable = ~base["label_status"].isin(later_reasons) & ~other["label_status"].isin(later_reasons)
    assert comparable.sum() > 20
    np.testing.assert_array_equal((base["label_status"] == "censored_in_state")[comparable].to_numpy(),
                                  (other["label_status"] == "censored_in_state")[comparable].to_numpy())
    np.testing.assert_array_equal((other["label_status"] == "censored_in_state")[comparable].to_numpy(),
                                  other["quiet_quitting_state"][comparable].to_numpy())
