"""Property test of the as-of rule: perturbing any row dated after t changes no feature at t."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from attrition import build_snapshots
from attrition.data._tables import DATE_COLUMNS

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
