"""Loading and validating the contract tables, and the errors users see."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attrition.data._loading import Problem, load_tables, read_roster, validate_tables
from attrition.data._tables import Tables
from attrition.exceptions import DataQualityWarning, SchemaError
from attrition.jobs._config import Config
from conftest import write_tables

# --------------------------------------------------------------------- helpers


def load_error(folder: Path, **kwargs) -> SchemaError:
    with pytest.raises(SchemaError) as info:
        load_tables(folder, **kwargs)
    return info.value


def problem(err: SchemaError, column: str) -> Problem:
    found = [p for p in err.problems if p.column == column]
    assert found, f"no problem on column {column!r} in:\n{err}"
    return found[0]


def assert_reported(err: SchemaError, file: str, column: str, n_rows: int, example: str) -> None:
    """The message names the file, the column, the count and shows an example value."""
    msg = str(err)
    p = problem(err, column)
    assert p.file.endswith(file)
    assert p.n_rows == n_rows
    assert file in msg
    assert f"column '{column}'" in msg
    assert f"— {n_rows} row" in msg
    assert example in msg
    assert "How to fix:" in msg
    assert p.examples is not None and example in p.examples.to_string()


def write(tmp_path: Path, tables: dict, fmt: str = "csv") -> Path:
    return write_tables(tmp_path / "data", tables, fmt)


# ------------------------------------------------------------------ valid data


def test_valid_folder_loads_with_the_conventions(data_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tables = load_tables(data_dir, export_date="2024-03-31")
    assert tables.present == ["employees", "schedule", "workload", "absences", "surveys"]
    emp = tables.employees
    assert pd.api.types.is_string_dtype(emp["employee_id"].dtype)
    assert emp["employee_id"].tolist() == ["E1", "E2", "E3"]
    assert emp["hire_date"].dtype == "datetime64[ns]"
    assert emp["termination_date"].isna().tolist() == [True, False, True]
    assert emp["contracted_hours"].dtype == "float64"
    assert emp["contracted_hours"].tolist() == [40.0, 24.5, 40.0]
    assert emp["termination_reason"].isna().tolist() == [True, False, True]
    sched = tables.schedule
    assert sched["date"].dtype == "datetime64[ns]"
    assert sched["worked_minutes"].dtype == "float64"
    assert sched["shift_start"].tolist() == ["08:00", "22:00", "09:30", "12:00"]
    assert np.isnan(sched["adherence"].iloc[1])
    assert tables.workload["csat"].isna().sum() == 2
    assert tables.surveys["scale_max"].tolist() == [6.0, 10.0, 10.0, 5.0]  # defaults filled
    assert np.isnan(tables.surveys["score"].iloc[3])  # a skipped item is kept
    assert tables.sources["employees"] == str(data_dir / "employees.csv")
    assert tables.export_date == pd.Timestamp("2024-03-31")
    for _, frame in tables:
        assert isinstance(frame.index, pd.RangeIndex)


def test_only_employees_is_required_and_optional_columns_are_added(tmp_path, minimal_tables):
    emp = {c: minimal_tables["employees"][c] for c in ("employee_id", "hire_date", "team_id")}
    emp["note"] = ["a", "", "c"]
    tables = load_tables(write(tmp_path, {"employees": emp}))
    assert tables.present == ["employees"]
    frame = tables.employees
    assert frame["termination_date"].isna().all()
    assert frame["termination_date"].dtype == "datetime64[ns]"
    assert frame["hourly_wage"].isna().all() and frame["hourly_wage"].dtype == "float64"
    assert list(frame.columns)[-1] == "note"  # unknown extra columns are kept, last
    assert frame["note"].isna().tolist() == [False, True, False]


def test_export_date_from_config(data_dir):
    tables = Config(export_date="2024-02-29").load_tables(data_dir)
    assert tables.export_date == pd.Timestamp("2024-02-29")
    assert load_tables(data_dir).export_date is None


def test_bad_export_date_is_refused(data_dir):
    with pytest.raises(SchemaError, match="export_date"):
        load_tables(data_dir, export_date="31/03/2024")


def test_column_renaming_from_config(tmp_path, minimal_tables):
    minimal_tables["schedule"]["shift_date"] = minimal_tables["schedule"].pop("date")
    minimal_tables["employees"]["EmpID"] = minimal_tables["employees"].pop("employee_id")
    folder = write(tmp_path, minimal_tables)
    config = Config.from_dict({"columns": {"schedule": {"shift_date": "date"},
                                           "employees": {"EmpID": "employee_id"}}})
    tables = config.load_tables(folder)
    assert tables.schedule["date"].dtype == "datetime64[ns]"
    assert "shift_date" not in tables.schedule.columns
    assert tables.employees["employee_id"].tolist() == ["E1", "E2", "E3"]


def test_renaming_a_column_that_is_not_in_the_file(data_dir):
    config = Config.from_dict({"columns": {"schedule": {"shift_dt": "date"}}})
    err = load_error(data_dir, columns=config.columns)
    assert err.column == "shift_dt"
    assert "schedule.csv" in str(err) and "'shift_dt'" in str(err)


def test_bom_and_semicolon_csv_load_like_the_plain_one(tmp_path, data_dir):
    plain = load_tables(data_dir)
    other = tmp_path / "other"
    other.mkdir()
    for name in plain.present:
        text = (data_dir / f"{name}.csv").read_text(encoding="utf-8")
        if name == "employees":  # Excel's "CSV UTF-8": a BOM
            (other / f"{name}.csv").write_bytes("\ufeff".encode() + text.encode())
        elif name == "schedule":  # European Excel: semicolons, and a BOM too
            (other / f"{name}.csv").write_text(
                "\ufeff" + text.replace(",", ";"), encoding="utf-8")
        else:
            (other / f"{name}.csv").write_text(text, encoding="utf-8")
    loaded = load_tables(other)
    for name, frame in plain:
        pd.testing.assert_frame_equal(getattr(loaded, name), frame)


def _typed(tables: Tables) -> dict[str, pd.DataFrame]:
    """The tables with native Parquet types: date32/timestamps, ints, floats."""
    out = {}
    for name, frame in tables:
        frame = frame.copy()
        for col in frame.columns:
            s = frame[col]
            if s.dtype == "datetime64[ns]" and name == "employees":
                frame[col] = pd.Series([v.date() if pd.notna(v) else None for v in s], dtype=object)
            elif s.dtype == "float64" and s.notna().all() and (s % 1 == 0).all():
                frame[col] = s.astype("int64")
            elif s.dtype == "float64" and (s.dropna() % 1 == 0).all():
                frame[col] = s.astype("Int64")
        out[name] = frame
    return out


def test_parquet_with_native_types_loads_like_the_csv(tmp_path, data_dir):
    from_csv = load_tables(data_dir)
    typed = _typed(from_csv)
    assert typed["schedule"]["worked_minutes"].dtype == "int64"
    folder = write_tables(tmp_path / "pq", typed, fmt="parquet")
    from_parquet = load_tables(folder)
    assert from_parquet.sources["employees"].endswith("employees.parquet")
    for name, frame in from_csv:
        pd.testing.assert_frame_equal(getattr(from_parquet, name), frame)


def test_parquet_with_iso_strings_and_numeric_strings(tmp_path, minimal_tables):
    folder = write(tmp_path, {"employees": minimal_tables["employees"]}, fmt="parquet")
    tables = load_tables(folder)
    assert tables.employees["hire_date"].dtype == "datetime64[ns]"
    assert tables.employees["contracted_hours"].tolist() == [40.0, 24.5, 40.0]


def test_parquet_timestamp_with_time_of_day_is_refused(tmp_path, minimal_tables):
    frame = pd.DataFrame(minimal_tables["employees"])
    frame["hire_date"] = pd.to_datetime(["2022-01-10 08:30", "2022-06-01", "2023-03-15"],
                                       format="ISO8601")
    folder = write(tmp_path, {"employees": frame}, fmt="parquet")
    err = load_error(folder)
    assert problem(err, "hire_date").n_rows == 1
    assert "08:30" in str(err)


def test_schedule_rows_outside_employment_warn(tmp_path, minimal_tables):
    minimal_tables["schedule"]["date"][2] = "2024-03-05"  # E2 left on 2024-02-29
    minimal_tables["schedule"]["date"][3] = "2023-01-02"  # E3 hired 2023-03-15
    with pytest.warns(DataQualityWarning, match=r"2 rows \(1 before hire_date, 1 after") as rec:
        tables = load_tables(write(tmp_path, minimal_tables))
    assert "2024-03-05" in str(rec[0].message)
    assert len(tables.schedule) == 4  # kept, not dropped


# ---------------------------------------------------------- missing/misnamed


def test_missing_folder(tmp_path):
    err = load_error(tmp_path / "nope")
    assert "does not exist" in str(err) and "employees.csv" in str(err)


def test_missing_employees_file_says_what_was_found(tmp_path, minimal_tables):
    folder = write(tmp_path, {"schedule": minimal_tables["schedule"]})
    (folder / "employes.csv").write_text("x\n1\n")
    err = load_error(folder)
    msg = str(err)
    assert "schedule.csv" in msg and "employes.csv" in msg
    assert "employees.csv or employees.parquet" in msg


def test_missing_required_column(tmp_path, minimal_tables):
    del minimal_tables["employees"]["team_id"]
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "team_id", 3, "E1")
    assert "the required column is missing" in str(err)


def test_misspelled_column_suggests_a_mapping(tmp_path, minimal_tables):
    minimal_tables["employees"]["hire_dat"] = minimal_tables["employees"].pop("hire_date")
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "hire_date", 3, "2022-01-10")
    assert "{employees: {'hire_dat': hire_date}}" in str(err)


# -------------------------------------------------------------- bad values


@pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "yesterday", "2024-1-5"])
def test_unparseable_date(tmp_path, minimal_tables, value):
    minimal_tables["employees"]["hire_date"][1] = value
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "hire_date", 1, value)
    assert "YYYY-MM-DD" in str(err)
    # reported once, not again as "must not be empty"
    assert [p.column for p in err.problems] == ["hire_date"]


def test_non_iso_date_is_refused_not_guessed(tmp_path, minimal_tables):
    minimal_tables["schedule"]["date"] = ["05/01/2024", "06/01/2024", "2024-01-02", "2024-01-02"]
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "schedule.csv", "date", 2, "05/01/2024")
    assert "never guessed" in str(err)


def test_termination_before_hire(tmp_path, minimal_tables):
    minimal_tables["employees"]["termination_date"][1] = "2021-12-31"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "termination_date", 1, "2021-12-31")
    assert "termination_date ≥ hire_date" in str(err)


def test_reason_without_date(tmp_path, minimal_tables):
    minimal_tables["employees"]["termination_reason"][0] = "involuntary"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "termination_reason", 1, "involuntary")


def test_date_without_reason(tmp_path, minimal_tables):
    minimal_tables["employees"]["termination_reason"][1] = ""
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "termination_reason", 1, "2024-02-29")


def test_unknown_termination_reason(tmp_path, minimal_tables):
    minimal_tables["employees"]["termination_reason"][1] = "Resigned"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "termination_reason", 1, "Resigned")
    assert "one of: voluntary, involuntary" in str(err)


@pytest.mark.parametrize(
    ("table", "column", "value", "words"),
    [
        ("schedule", "adherence", "93", "0 ≤ x ≤ 1"),
        ("workload", "occupancy", "1.2", "0 ≤ x ≤ 1"),
        ("workload", "csat", "0", "1 ≤ x ≤ 5"),
        ("workload", "qa_score", "101", "0 ≤ x ≤ 100"),
        ("employees", "contracted_hours", "61", "0 ≤ x ≤ 60"),
        ("employees", "hourly_wage", "0", "x > 0"),
        ("schedule", "worked_minutes", "-30", "x ≥ 0"),
        ("schedule", "overtime_minutes", "-1", "x ≥ 0"),
        ("workload", "contacts_handled", "2.5", "a whole number"),
    ],
)
def test_out_of_range_values(tmp_path, minimal_tables, table, column, value, words):
    minimal_tables[table][column][0] = value
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, f"{table}.csv", column, 1, value)
    assert words in str(err)


@pytest.mark.parametrize("value", ["abc", "1,5", "NA", "12 min", "inf"])
def test_non_numeric_number_is_refused_not_coerced(tmp_path, minimal_tables, value):
    minimal_tables["workload"]["handle_seconds"][1] = value
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "workload.csv", "handle_seconds", 1, value)
    assert "must be a number" in str(err)


def test_empty_required_cell(tmp_path, minimal_tables):
    minimal_tables["employees"]["team_id"][2] = ""
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "employees.csv", "team_id", 1, "E3")
    assert "must not be empty" in str(err) and "<empty>" in str(err)


@pytest.mark.parametrize("value", ["8:00", "24:00", "08:60", "0800"])
def test_bad_hhmm(tmp_path, minimal_tables, value):
    minimal_tables["schedule"]["shift_end"][2] = value
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "schedule.csv", "shift_end", 1, value)
    assert "HH:MM" in str(err)


def test_absence_end_before_start(tmp_path, minimal_tables):
    minimal_tables["absences"]["end_date"][0] = "2023-11-01"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "absences.csv", "end_date", 1, "2023-11-01")


def test_survey_score_outside_its_scale(tmp_path, minimal_tables):
    minimal_tables["surveys"]["score"][0] = "7"  # engagement on 1-6
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "surveys.csv", "score", 1, "7")


# --------------------------------------------------------------- duplicates


def test_duplicate_employee(tmp_path, minimal_tables):
    minimal_tables["employees"]["employee_id"][2] = "E1"
    err = load_error(write(tmp_path, minimal_tables))
    p = problem(err, "employee_id")
    assert p.n_rows == 2 and p.examples.index.tolist() == [0, 2]
    assert "employees.csv" in str(err) and "must be unique" in str(err)
    assert "— 2 rows" in str(err) and "E1" in str(err)


def test_duplicate_schedule_day(tmp_path, minimal_tables):
    minimal_tables["schedule"]["date"][1] = "2024-01-02"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "schedule.csv", "employee_id, date", 2, "2024-01-02")


def test_duplicate_survey_answer(tmp_path, minimal_tables):
    minimal_tables["surveys"]["item"][1] = "engagement"
    minimal_tables["surveys"]["scale_max"][1] = "6"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "surveys.csv", "employee_id, survey_date, item", 2, "engagement")


# -------------------------------------------------------------- cross-table


def test_unknown_employee_in_another_table(tmp_path, minimal_tables):
    minimal_tables["workload"]["employee_id"][1] = "E99"
    err = load_error(write(tmp_path, minimal_tables))
    assert_reported(err, "workload.csv", "employee_id", 1, "E99")
    assert "employees.csv" in str(err)


def test_ids_are_compared_exactly(tmp_path, minimal_tables):
    minimal_tables["absences"]["employee_id"][0] = "E1 "
    err = load_error(write(tmp_path, minimal_tables))
    p = problem(err, "employee_id")
    assert p.n_rows == 1 and p.examples["employee_id"].tolist() == ["E1 "]
    assert "absences.csv" in str(err) and "('E1 ')" in str(err)


# ------------------------------------------------------------ file problems


def test_empty_file(tmp_path, minimal_tables):
    folder = write(tmp_path, minimal_tables)
    (folder / "absences.csv").write_bytes(b"")
    err = load_error(folder)
    assert "absences.csv" in str(err) and "file is empty" in str(err)
    assert err.file.endswith("absences.csv")


def test_empty_employees_file(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "employees.csv").write_bytes(b"")
    err = load_error(folder)
    assert "employees.csv" in str(err) and "file is empty" in str(err)


def test_header_only_employees_file(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "employees.csv").write_text("employee_id,hire_date,team_id\n")
    err = load_error(folder)
    assert "no employees" in str(err) and "employees.csv" in str(err)
    assert err.n_rows == 0


def test_header_only_optional_table_is_fine(tmp_path, minimal_tables):
    folder = write(tmp_path, minimal_tables)
    (folder / "absences.csv").write_text("employee_id,start_date,end_date,absence_type\n")
    tables = load_tables(folder)
    assert len(tables.absences) == 0
    assert tables.absences["start_date"].dtype == "datetime64[ns]"


def test_csv_and_parquet_for_one_table(tmp_path, minimal_tables):
    folder = write(tmp_path, minimal_tables)
    pd.DataFrame(minimal_tables["schedule"]).to_parquet(folder / "schedule.parquet")
    err = load_error(folder)
    msg = str(err)
    assert "schedule.csv" in msg and "schedule.parquet" in msg and "Remove" in msg


def test_not_utf8(tmp_path, minimal_tables):
    folder = write(tmp_path, minimal_tables)
    (folder / "employees.csv").write_bytes(
        "employee_id,hire_date,team_id\nE1,2022-01-01,Täm\n".encode("latin-1"))
    err = load_error(folder)
    assert "UTF-8" in str(err)


def test_ragged_csv(tmp_path, minimal_tables):
    folder = write(tmp_path, minimal_tables)
    (folder / "employees.csv").write_text("employee_id,hire_date,team_id\nE1,2022-01-01,T1,x\n")
    err = load_error(folder)
    assert "cannot be read as CSV" in str(err)


def test_all_problems_are_reported_at_once(tmp_path, minimal_tables):
    minimal_tables["employees"]["hire_date"][0] = "01.01.2022"
    minimal_tables["schedule"]["adherence"][0] = "2"
    folder = write(tmp_path, minimal_tables)
    (folder / "absences.csv").write_bytes(b"")
    err = load_error(folder)
    assert len(err.problems) == 3
    assert "(3 problems)" in str(err)
    assert (err.file, err.column, err.n_rows) == (str(folder / "employees.csv"), "hire_date", 1)
    assert err.examples is not None and "01.01.2022" in err.examples.to_string()


def test_each_file_is_read_when_its_table_is_converted(tmp_path, minimal_tables, monkeypatch):
    # One file's text at a time: a file is read only after the previous table is converted.
    from attrition.data import _loading

    events = []
    read, validate = _loading._read_file, _loading._Table.validate
    monkeypatch.setattr(_loading, "_read_file", lambda path, name: events.append(("read", name)) or read(path, name))
    monkeypatch.setattr(_loading._Table, "validate",
                        lambda self: events.append(("convert", self.name)) or validate(self))
    tables = load_tables(write(tmp_path, minimal_tables))
    names = [name for kind, name in events if kind == "read"]
    assert names[0] == "employees" and set(names) == set(minimal_tables) and len(names) > 2
    assert events == [(kind, name) for name in names for kind in ("read", "convert")]
    assert len(tables.employees) == len(minimal_tables["employees"]["employee_id"])


def test_failed_load_writes_nothing(tmp_path, minimal_tables, monkeypatch):
    minimal_tables["employees"]["hire_date"][0] = "not a date"
    folder = write(tmp_path, minimal_tables)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    load_error(folder)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert after == before
    assert os.listdir(workdir) == []


# --------------------------------------------------------- validate_tables


def test_validate_tables_accepts_in_memory_frames(data_dir):
    loaded = load_tables(data_dir)
    # object-dtype strings and int columns, as a simulator might produce
    emp = loaded.employees.astype({"employee_id": object, "team_id": object})
    sched = loaded.schedule.astype({"worked_minutes": "int64"})
    tables = Tables(employees=emp, schedule=sched, sources={})
    out = validate_tables(tables)
    pd.testing.assert_frame_equal(out.employees, loaded.employees)
    pd.testing.assert_frame_equal(out.schedule, loaded.schedule)


def test_validate_tables_names_the_source(data_dir):
    loaded = load_tables(data_dir)
    emp = loaded.employees.copy()
    emp.loc[0, "contracted_hours"] = 99.0
    err = None
    with pytest.raises(SchemaError) as info:
        validate_tables(Tables(employees=emp))
    err = info.value
    assert_reported(err, "<employees table>", "contracted_hours", 1, "99")
    with pytest.raises(SchemaError, match="simulated/employees"):
        validate_tables(Tables(employees=emp, sources={"employees": "simulated/employees"}))


def test_validate_tables_checks_cross_table_ids(data_dir):
    loaded = load_tables(data_dir)
    workload = loaded.workload.copy()
    workload.loc[0, "employee_id"] = "ghost"
    with pytest.raises(SchemaError, match="ghost"):
        validate_tables(loaded.copy(workload=workload))


def test_validate_tables_accepts_python_dates(data_dir):
    loaded = load_tables(data_dir)
    emp = loaded.employees.copy()
    emp["hire_date"] = [dt.date(2022, 1, 10), dt.date(2022, 6, 1), dt.date(2023, 3, 15)]
    out = validate_tables(Tables(employees=emp))
    pd.testing.assert_frame_equal(out.employees, loaded.employees)


# -------------------------------------------------------------- read_roster


def test_read_roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("employee_id,manager\nE1,M1\nE3,\n")
    roster = read_roster(path)
    assert roster["employee_id"].tolist() == ["E1", "E3"]
    assert roster["manager"].isna().tolist() == [False, True]


def test_read_roster_parquet_with_numeric_ids(tmp_path):
    path = tmp_path / "roster.parquet"
    pd.DataFrame({"employee_id": [101, 102]}).to_parquet(path)
    assert read_roster(path)["employee_id"].tolist() == ["101", "102"]


def test_read_roster_duplicates(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("employee_id\nE1\nE2\nE1\n")
    with pytest.raises(SchemaError) as info:
        read_roster(path)
    assert_reported(info.value, "roster.csv", "employee_id", 2, "E1")


def test_read_roster_without_employee_id(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("emp\nE1\n")
    with pytest.raises(SchemaError, match="employee_id"):
        read_roster(path)


def test_read_roster_missing_file(tmp_path):
    with pytest.raises(SchemaError, match="does not exist"):
        read_roster(tmp_path / "nope.csv")


def test_surveys_without_scale_max_use_the_defaults(tmp_path, minimal_tables):
    del minimal_tables["surveys"]["scale_max"]
    minimal_tables["surveys"]["score"] = ["5", "0", "10", "6"]
    tables = load_tables(write(tmp_path, minimal_tables))
    assert tables.surveys["scale_max"].tolist() == [6.0, 10.0, 10.0, 6.0]


def test_repeated_header_name(tmp_path, minimal_tables):
    folder = write(tmp_path, minimal_tables)
    (folder / "employees.csv").write_text(
        "employee_id,hire_date,team_id,team_id\nE1,2022-01-01,T1,T2\n")
    err = load_error(folder)
    assert "repeats column name(s) 'team_id'" in str(err)
