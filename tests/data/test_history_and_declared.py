"""employee_history and declared tables: read, validated and refused like the contract tables."""

import pandas as pd
import pytest

from attrition import load_tables
from attrition.data import TableDeclaration, validate_tables
from attrition.exceptions import ConfigError, SchemaError
from conftest import MINIMAL_TABLES, write_tables

HISTORY = {
    "employee_id": ["E1", "E1", "E2", "E3"],
    "effective_date": ["2022-01-10", "2023-06-01", "2022-06-01", "2023-03-15"],
    "team_id": ["T1", "T2", "T1", "T2"],
    "manager_id": ["M1", "M2", "M1", "M2"],
    "hourly_wage": ["17", "18.5", "21", "17.25"],
    "grade": ["1", "2", "3", "1"],
    "change_reason": ["hire", "transfer", "hire", "hire"],
}
PERFORMANCE = {"employee_id": ["E1", "E2", "E3"], "review_date": ["2023-12-31"] * 3,
               "rating": ["4", "2", "3.5"]}
COACHING = {"employee_id": ["E1", "E1", "E3"], "session_date": ["2023-12-05", "2024-01-02", "2023-12-20"],
            "session_type": ["skills", "recognition", "skills"]}
DECLARE = {"performance": {"kind": "measures", "date": "review_date", "columns": ["rating"]},
           "coaching": {"kind": "events", "date": "session_date", "event": "session_type"}}


def folder(tmp_path, **changes):
    tables = {**MINIMAL_TABLES, "employee_history": HISTORY, "performance": PERFORMANCE,
              "coaching": COACHING}
    for name, table in changes.items():
        if table is None:
            tables.pop(name)
        else:
            tables[name] = table
    return write_tables(tmp_path / "data", tables)


def test_history_and_declared_tables_load(tmp_path):
    tables = load_tables(folder(tmp_path), declare=DECLARE)
    assert tables.employee_history["grade"].tolist() == [1.0, 2.0, 3.0, 1.0]
    assert tables.employee_history["effective_date"].dtype == "datetime64[ns]"
    assert sorted(tables.declared) == ["coaching", "performance"]
    assert tables.declared["performance"]["rating"].tolist() == [4.0, 2.0, 3.5]
    assert tables.declarations["coaching"].event == "session_type"
    assert "performance" not in dict(tables)  # iterating yields the contract tables only


def test_declared_files_are_ignored_unless_declared(tmp_path):
    tables = load_tables(folder(tmp_path))
    assert tables.declared == {} and tables.employee_history is not None


def _problems(exc):
    return [(p.file.rsplit("/", 1)[-1], p.column, p.n_rows) for p in exc.value.problems]


def test_bad_history_rows_are_refused_with_file_column_count_and_examples(tmp_path):
    bad = {**HISTORY, "grade": ["1", "-2", "3", "x"], "change_reason": ["hire", "moved", "hire", "hire"],
           "effective_date": ["2022-01-10", "2023-06-01", "2022-06-01", "2022-06-01"],
           "employee_id": ["E1", "E1", "E2", "E2"]}
    with pytest.raises(SchemaError) as exc:
        load_tables(folder(tmp_path, employee_history=bad))
    found = _problems(exc)
    assert ("employee_history.csv", "grade", 1) in found  # text in a number column
    assert ("employee_history.csv", "change_reason", 1) in found
    assert any(col == "employee_id, effective_date" for _, col, _ in found)  # duplicate key
    assert "E2" in str(exc.value) and "How to fix" in str(exc.value)


def test_history_rows_after_the_export_date_are_refused(tmp_path):
    late = {**HISTORY, "effective_date": ["2022-01-10", "2024-06-01", "2022-06-01", "2023-03-15"]}
    with pytest.raises(SchemaError, match="after the export date 2024-01-31") as exc:
        load_tables(folder(tmp_path, employee_history=late), export_date="2024-01-31")
    assert _problems(exc) == [("employee_history.csv", "effective_date", 1)]


@pytest.mark.parametrize("table, change, column, n", [
    ("performance", {"rating": ["4", "good", "3"]}, "rating", 1),          # text in a measure
    ("performance", {"review_date": ["2023-12-31", "31/12/2023", ""]}, "review_date", 1),  # unparsable, empty
    ("coaching", {"employee_id": ["E1", "E9", "E3"]}, "employee_id", 1),   # unknown employee
])
def test_bad_declared_rows_are_refused(tmp_path, table, change, column, n):
    base = {"performance": PERFORMANCE, "coaching": COACHING}[table]
    with pytest.raises(SchemaError) as exc:
        load_tables(folder(tmp_path, **{table: {**base, **change}}), declare=DECLARE)
    assert (f"{table}.csv", column, n) in _problems(exc)


def test_a_declared_column_missing_from_the_file_is_refused(tmp_path):
    declare = {**DECLARE, "performance": {**DECLARE["performance"], "columns": ["rating", "value"]}}
    with pytest.raises(SchemaError, match="value") as exc:
        load_tables(folder(tmp_path), declare=declare)
    assert ("performance.csv", "value", 3) in _problems(exc)


def test_a_declared_table_without_its_file_is_refused(tmp_path):
    with pytest.raises(SchemaError, match=r"no coaching.csv"):
        load_tables(folder(tmp_path, coaching=None), declare=DECLARE)


def test_declared_rows_after_the_export_date_are_refused(tmp_path):
    with pytest.raises(SchemaError, match="after the export date") as exc:
        load_tables(folder(tmp_path), declare=DECLARE, export_date="2024-01-01")
    assert ("coaching.csv", "session_date", 1) in _problems(exc)


@pytest.mark.parametrize("values, match", [
    ({"kind": "ratings", "date": "d", "columns": ["x"]}, "kind must be"),
    ({"kind": "measures", "date": "d"}, "needs columns"),
    ({"kind": "events", "date": "d", "columns": ["x"]}, "leave out columns"),
    ({"kind": "events", "date": "d", "colour": "x"}, "unknown key"),
])
def test_impossible_declarations_are_config_errors(values, match):
    with pytest.raises(ConfigError, match=match):
        TableDeclaration.from_config("mine", values)
    with pytest.raises(ConfigError, match="contract table"):
        TableDeclaration.from_config("surveys", {"kind": "events", "date": "d"})


def test_validate_tables_checks_declared_frames(tmp_path):
    tables = load_tables(folder(tmp_path), declare=DECLARE)
    bad = tables.declared["performance"].assign(rating=["4", "oops", "1"])
    with pytest.raises(SchemaError, match="rating"):
        validate_tables(tables.copy(declared={**tables.declared, "performance": bad}))
    assert pd.api.types.is_float_dtype(validate_tables(tables).declared["performance"]["rating"])


@pytest.mark.parametrize("declaration", [
    {"kind": "measures", "date": "d", "columns": ["score", "birth_year"]},
    {"kind": "events", "date": "d", "event": "gender"},
])
def test_a_protected_attribute_cannot_be_declared(declaration):
    from attrition.data import declarations_of
    with pytest.raises(ConfigError, match="protected attribute"):
        declarations_of({"demo": declaration})
