"""The export-time leak on a small centre, and job histories or declared tables that would leak or clash."""

import warnings

import numpy as np
import pandas as pd
import pytest

from attrition import SnapshotSpec, build_snapshots
from attrition.data import TableDeclaration
from attrition.exceptions import ConfigError, DataQualityWarning, SchemaError
from attrition.features import TeamFeatures, hr_attributes

T = pd.Timestamp("2024-03-31")
ATTRS = ["team_id", "site", "role", "employment_type", "contracted_hours", "hourly_wage"]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


def _at(tables, day):
    """The employees export with every HR attribute as it stood on ``day`` (from the history)."""
    emp = tables.employees.copy()
    now = hr_attributes(tables, pd.DataFrame({"employee_id": emp["employee_id"], "as_of": day}), ATTRS)
    for col in ATTRS:
        emp[col] = np.where(now[col].notna(), now[col].to_numpy(dtype=object), emp[col].to_numpy(dtype=object))
    emp["contracted_hours"] = emp["contracted_hours"].astype("float64")
    emp["hourly_wage"] = emp["hourly_wage"].astype("float64")
    return tables.copy(employees=emp, employee_history=None)


def test_export_time_pay_differs_from_the_pay_on_the_as_of_date_without_history_only(small_centre):
    """The old behaviour: without a history, relative pay at t is the export's (after the April
    pay review); with it, it is what an export taken on t would have said."""
    tables = small_centre.tables
    without = _quiet(build_snapshots, tables.copy(employee_history=None), as_of=[T], labels=False)
    as_of_t = _quiet(build_snapshots, _at(tables, T), as_of=[T], labels=False)
    with_history = _quiet(build_snapshots, tables, as_of=[T], labels=False)
    assert (without["employee_id"].to_numpy() == as_of_t["employee_id"].to_numpy()).all()
    assert (with_history["employee_id"].to_numpy() == as_of_t["employee_id"].to_numpy()).all()
    hist = tables.employee_history
    raised = set(hist.loc[(hist["effective_date"] > T) & (hist["change_reason"] == "pay_change"), "employee_id"])
    changed = ~np.isclose(without["pay_vs_team"], as_of_t["pay_vs_team"], equal_nan=True)
    assert changed.sum() >= 5 and set(without.loc[changed, "employee_id"]) & raised
    np.testing.assert_allclose(with_history["pay_vs_team"], as_of_t["pay_vs_team"])
    np.testing.assert_allclose(with_history["pay_vs_site"], as_of_t["pay_vs_site"])


def _coverage_warnings(tables):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SnapshotSpec(horizon_days=90).build(tables, as_of=[T, T + pd.offsets.MonthEnd(1)])
    return [str(w.message) for w in caught
            if issubclass(w.category, DataQualityWarning) and "covers leavers and stayers" in str(w.message)]


def test_a_history_of_current_staff_only_warns(small_centre):
    tables = small_centre.tables
    emp = tables.employees
    left = set(emp.loc[emp["termination_date"].notna(), "employee_id"])
    hist = tables.employee_history
    current_only = hist.loc[~hist["employee_id"].isin(left)].reset_index(drop=True)
    said = _coverage_warnings(tables.copy(employee_history=current_only,
                                          sources={**tables.sources, "employee_history": "hist.csv"}))
    assert len(said) == 1
    assert said[0].startswith("hist.csv covers leavers and stayers unequally")
    assert "leavers (100%)" in said[0] and "employed (0%)" in said[0]
    assert not _coverage_warnings(tables)


def test_a_missing_history_for_a_few_employees_of_both_kinds_does_not_warn(small_centre):
    tables = small_centre.tables
    emp = tables.employees
    ids = list(emp.loc[emp["termination_date"].notna(), "employee_id"][:2]) + list(
        emp.loc[emp["termination_date"].isna(), "employee_id"][:6])
    hist = tables.employee_history
    assert not _coverage_warnings(tables.copy(employee_history=hist.loc[~hist["employee_id"].isin(ids)]))


def test_event_values_that_share_a_feature_name_are_refused(small_centre):
    tables = small_centre.tables
    rows = tables.declared["coaching"].copy()
    decl = tables.declarations["coaching"]
    first = rows.index[rows[decl.event] == "skills"][:3]
    rows.loc[first, decl.event] = "Skills"
    clash = tables.copy(declared={**tables.declared, "coaching": rows},
                        sources={**tables.sources, "coaching": "coaching.csv"})
    with pytest.raises(SchemaError, match="'Skills', 'skills' -> skills") as err:
        _quiet(SnapshotSpec(horizon_days=90).build, clash, as_of=[T], labels=False)
    assert err.value.file == "coaching.csv" and err.value.column == decl.event
    assert err.value.n_rows == int((rows[decl.event].str.lower() == "skills").sum())
    assert "coaching.csv, column" in str(err.value) and "values = [...]" in str(err.value)


def test_declared_event_values_that_share_a_feature_name_are_refused():
    with pytest.raises(ConfigError, match="'One-to-one', 'one to one' -> one_to_one"):
        TableDeclaration.from_config("coaching", {"kind": "events", "date": "session_date",
                                                  "event": "session_type",
                                                  "values": ["One-to-one", "one to one", "skills"]})


def test_team_features_name_a_history_without_team_id(small_centre):
    tables = small_centre.tables
    hist = tables.employee_history.drop(columns="team_id")
    broken = tables.copy(employee_history=hist)
    frame = pd.DataFrame({"employee_id": tables.employees["employee_id"][:3], "as_of": T, "team_id": np.nan})
    with pytest.raises(SchemaError, match="no team_id column") as err:
        TeamFeatures().build(broken, frame)
    assert err.value.column == "team_id"
    with pytest.raises(SchemaError, match="no team_id column"):
        _quiet(build_snapshots, broken, as_of=[T], labels=False)
