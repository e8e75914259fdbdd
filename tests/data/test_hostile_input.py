"""Hostile and broken input not covered by test_loading.py: each case, its exact error.

Cases already tested in ``test_loading.py`` (missing and misspelled columns,
unparseable and impossible dates, termination before hire, duplicate keys,
out-of-range values, empty and 0-byte files, BOM and semicolon CSVs) are not
repeated here; this file adds dates after the export date, other delimiters,
close-match suggestions, schema drift between training and scoring, new
categories and unknown roster ids at scoring, the command line's exit codes,
and property-based fuzzing of the loader and the snapshot builder.
"""

from __future__ import annotations

import copy
import string
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attrition import Config, build_snapshots, load_tables
from attrition.cli import cli
from attrition.data._drift import check_schema, schema_diff, table_schema
from attrition.exceptions import AttritionError, DataQualityWarning, RosterError, SchemaError
from attrition.jobs import score as score_job
from conftest import MINIMAL_TABLES, write_tables


def load_error(folder: Path, **kwargs) -> SchemaError:
    with pytest.raises(SchemaError) as info:
        load_tables(folder, **kwargs)
    return info.value


def tables_dict() -> dict:
    return copy.deepcopy(MINIMAL_TABLES)


# ---------------------------------------------------- dates after the export
def test_survey_dated_after_the_export_date(tmp_path):
    t = tables_dict()
    t["surveys"]["survey_date"][0] = "2024-06-01"
    folder = write_tables(tmp_path / "data", t)
    err = load_error(folder, export_date="2024-01-31")
    msg = str(err)
    assert err.file.endswith("surveys.csv") and err.column == "survey_date" and err.n_rows == 1
    assert "answers cannot be dated after the export date 2024-01-31 — 1 row" in msg
    assert "2024-06-01" in msg and "How to fix:" in msg and "export_date" in msg
    assert err.examples["employee_id"].tolist() == ["E1"]


def test_worked_shift_after_the_export_date_but_not_a_published_one(tmp_path):
    t = tables_dict()
    t["schedule"]["date"][1] = "2024-03-01"  # E1's missed shift (worked 0): a published future shift
    folder = write_tables(tmp_path / "data", t)
    assert load_tables(folder, export_date="2024-01-31").export_date == pd.Timestamp("2024-01-31")
    t["schedule"]["date"][0] = "2024-03-02"  # worked 480 minutes in the future: impossible
    folder = write_tables(tmp_path / "data2", t)
    err = load_error(folder, export_date="2024-01-31")
    assert err.file.endswith("schedule.csv") and err.column == "date" and err.n_rows == 1
    assert "worked shifts cannot be dated after the export date 2024-01-31" in str(err)


def test_workload_after_the_export_date(tmp_path):
    t = tables_dict()
    t["workload"]["date"] = ["2024-02-01", "2024-02-02", "2024-01-02"]
    folder = write_tables(tmp_path / "data", t)
    err = load_error(folder, export_date="2024-01-31")
    assert err.column == "date" and err.n_rows == 2 and "worked days cannot be dated" in str(err)
    assert err.examples["date"].tolist() == ["2024-02-01", "2024-02-02"]


# --------------------------------------------------------- delimiters, names
def test_tab_delimited_csv_loads_like_the_comma_one(tmp_path, data_dir):
    plain = load_tables(data_dir)
    text = (data_dir / "employees.csv").read_text()
    (data_dir / "employees.csv").write_text(text.replace(",", "\t"))
    pd.testing.assert_frame_equal(load_tables(data_dir).employees, plain.employees)


def test_close_misspelling_suggests_the_column(tmp_path):
    t = tables_dict()
    t["employees"]["hire_dat"] = t["employees"].pop("hire_date")
    err = load_error(write_tables(tmp_path / "data", t))
    assert err.column == "hire_date" and err.n_rows == 3
    assert "the required column is missing" in str(err)
    assert "The file has a column 'hire_dat': if that is hire_date, map it" in str(err)


def test_decimal_comma_is_refused_not_guessed(tmp_path):
    t = tables_dict()
    t["employees"]["hourly_wage"] = ["18,5", "21", "17.25"]  # decimal comma
    err = load_error(write_tables(tmp_path / "data", t))
    assert err.column == "hourly_wage" and err.n_rows == 1 and "must be a number" in str(err)
    assert "18,5" in str(err)


# ------------------------------------------------ training vs scoring drift
def test_table_missing_at_scoring_is_a_readable_diff(medium, medium_model, tmp_path):
    model = medium_model  # its spec records the tables it was trained on
    assert set(model.spec_.tables) == set(table_schema(medium.tables))
    tables = medium.tables.copy(surveys=None)
    out = tmp_path / "scores.csv"
    with pytest.raises(SchemaError) as info:
        score_job(Config(), medium.tables.infer_export_date(), model=model, tables=tables, out=out)
    msg = str(info.value)
    assert "tables missing now (present at training): surveys" in msg
    assert "Export surveys.csv again" in msg and info.value.file == "surveys"
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_schema_diff_lists_tables_and_columns():
    diff = schema_diff({"employees": ["a", "b"], "schedule": ["a"]},
                       {"employees": ["a", "c"], "absences": ["a"]})
    assert diff.splitlines() == [
        "  tables missing now (present at training): schedule",
        "  tables new now (absent at training, ignored): absences",
        "  employees: columns missing now: b",
        "  employees: new columns (ignored): c",
    ]
    check_schema(None, None)  # models saved before schemas were recorded: nothing to compare


def test_new_category_at_scoring_warns_and_scores_it_as_missing(medium, medium_model):
    emp = medium.tables.employees.copy()
    emp["site"] = emp["site"].astype(object)
    emp.loc[emp.index[:7], "site"] = "atlantis"
    tables = medium.tables.copy(employees=emp)
    if tables.employee_history is not None:  # with a job history, attributes come from it
        hist = tables.employee_history.copy()
        hist["site"] = hist["site"].astype(object)
        hist.loc[hist["employee_id"].isin(emp["employee_id"].iloc[:7]), "site"] = "atlantis"
        tables = tables.copy(employee_history=hist)
    with pytest.warns(DataQualityWarning) as record:
        scores = score_job(Config(), medium.tables.infer_export_date(), model=medium_model,
                           tables=tables)
    msg = " ".join(str(w.message) for w in record)
    assert "column 'site'" in msg and "'atlantis'" in msg and "never saw in training" in msg
    assert scores["attrition_risk"].between(0, 1).all()


def test_roster_with_unknown_ids(medium, medium_model, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id\nE000001\nNOBODY\nE999999\n")
    out = tmp_path / "scores.csv"
    with pytest.raises(RosterError) as info:
        score_job(Config(), medium.tables.infer_export_date(), model=medium_model,
                  tables=medium.tables, roster=roster, out=out)
    msg = str(info.value)
    assert "roster.csv: column 'employee_id': 2 roster id(s) are not in the employees table" in msg
    assert "NOBODY, E999999" in msg and "Fix the roster" in msg
    assert not out.exists()


# ------------------------------------------------------------ command line
@pytest.mark.parametrize(
    "case, words",
    [
        ("zero_byte", ["schedule.csv", "the file is empty (0 bytes)"]),
        ("misspelled", ["employees.csv", "column 'team_id'", "'teamid'"]),
        ("impossible_date", ["employees.csv", "column 'hire_date'", "2024-02-30"]),
        ("termination_before_hire", ["column 'termination_date'", "termination_date ≥ hire_date"]),
        ("duplicate", ["employee_id must be unique"]),
        ("out_of_range", ["workload.csv", "column 'occupancy'", "0 ≤ x ≤ 1", "1.7"]),
        ("survey_after_export", ["surveys.csv", "after the export date 2024-01-31"]),
        ("header_only_employees", ["employees.csv", "no employees"]),
    ],
)
def test_cli_exits_1_with_the_error_and_writes_nothing(tmp_path, case, words):
    t = tables_dict()
    args = []
    if case == "misspelled":
        t["employees"]["teamid"] = t["employees"].pop("team_id")
    elif case == "impossible_date":
        t["employees"]["hire_date"][0] = "2024-02-30"
    elif case == "termination_before_hire":
        t["employees"]["termination_date"][2] = "2023-01-01"
        t["employees"]["termination_reason"][2] = "voluntary"
    elif case == "duplicate":
        t["employees"]["employee_id"][2] = "E1"
    elif case == "out_of_range":
        t["workload"]["occupancy"][0] = "1.7"
    elif case == "survey_after_export":
        t["surveys"]["survey_date"][0] = "2024-06-01"
        args = ["--export-date", "2024-01-31"]
    folder = write_tables(tmp_path / "data", t)
    if case == "zero_byte":
        (folder / "schedule.csv").write_bytes(b"")
    if case == "header_only_employees":
        (folder / "employees.csv").write_text("employee_id,hire_date,team_id\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(cli, ["validate", "--data", str(folder), *args])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and result.output.startswith("Error: ")
    for w in words:
        assert w in result.output, w
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# --------------------------------------------------------------- fuzzing
CELLS = st.one_of(
    st.sampled_from(["", "E1", "E2", "E3", "T1", "2024-01-31", "2024-02-30", "1990", "-3", "0", "1",
                     "0.5", "99999", "nan", "NULL", "voluntary", "involuntary", "full_time", "f",
                     "2022-01-10", "31/12/2023", "08:00", "25:61", "1e309", " E1", "ä", "\"", ";"]),
    st.text(alphabet=string.printable, max_size=8),
)
EMP_COLS = list(MINIMAL_TABLES["employees"])
SURVEY_COLS = list(MINIMAL_TABLES["surveys"])


def fuzzed_table(draw, columns: list[str]) -> pd.DataFrame:
    cols = draw(st.lists(st.sampled_from([*columns, "extra", "Hire Date"]), min_size=0,
                         max_size=len(columns) + 1, unique=True))
    n = draw(st.integers(0, 6))
    return pd.DataFrame({c: [draw(CELLS) for _ in range(n)] for c in cols}, dtype=object)


@st.composite
def fuzzed_folder(draw):
    emp = draw(st.sampled_from(["valid", "fuzzed"]))
    tables = {"employees": (pd.DataFrame(MINIMAL_TABLES["employees"], dtype=object) if emp == "valid"
                            else fuzzed_table(draw, EMP_COLS))}
    if draw(st.booleans()):
        tables["surveys"] = fuzzed_table(draw, SURVEY_COLS)
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fuzzed_folder())
def test_fuzzed_exports_never_raise_anything_but_domain_errors(tables):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, frame in tables.items():
            frame.to_csv(folder / f"{name}.csv", index=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            try:
                loaded = load_tables(folder)
            except SchemaError as exc:
                assert str(exc).startswith("The input data breaks the data contract")
                return
            try:
                snaps = build_snapshots(loaded, horizon_days=30)
            except AttritionError:
                return
    assert {"employee_id", "as_of", "label"} <= set(snaps.columns)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_as_employees_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "employees.csv").write_bytes(data)
        try:
            load_tables(tmp)
        except SchemaError:
            pass
