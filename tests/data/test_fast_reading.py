"""The fast paths of loading (Arrow CSV reader, Arrow dates, sorted-code uniqueness, hashed id
look-ups) give exactly what the slow paths give: the same frames, the same features, the same
errors; and the fingerprint of loaded tables is the hash of their files' bytes."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from attrition.data import _loading, data_fingerprint, load_tables
from attrition.exceptions import SchemaError
from attrition.snapshots import SnapshotSpec
from conftest import all_slow_paths


@pytest.fixture(scope="module")
def centre_dir(small_centre, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fast-read")
    small_centre.write(folder, format="csv")
    return folder


def test_fast_and_slow_loading_give_identical_tables_and_features(centre_dir, monkeypatch):
    fast = load_tables(centre_dir)
    with monkeypatch.context() as m:
        all_slow_paths(m)
        slow = load_tables(centre_dir)
    for name, frame in fast:
        pd.testing.assert_frame_equal(frame, getattr(slow, name), check_exact=True)
    spec = SnapshotSpec(horizon_days=90)
    pd.testing.assert_frame_equal(spec.build(fast), spec.build(slow), check_exact=True)


def test_duplicate_keys_reported_as_pandera_reports_them(centre_dir, tmp_path, monkeypatch):
    folder = tmp_path / "dupes"
    shutil.copytree(centre_dir, folder)
    work = pd.read_csv(folder / "workload.csv", dtype=str, keep_default_na=False)
    work = pd.concat([work, work.iloc[[3, 3, 10]]], ignore_index=True)  # one key thrice, one twice
    work.to_csv(folder / "workload.csv", index=False)
    emp = pd.read_csv(folder / "employees.csv", dtype=str, keep_default_na=False)
    pd.concat([emp, emp.iloc[[0]]], ignore_index=True).to_csv(folder / "employees.csv", index=False)
    with pytest.raises(SchemaError) as fast:
        load_tables(folder)
    with monkeypatch.context() as m:
        all_slow_paths(m)
        with pytest.raises(SchemaError) as slow:
            load_tables(folder)
    assert str(fast.value) == str(slow.value)
    assert "(employee_id, date) must be unique, but 2 values repeat" in str(fast.value)
    assert "— 5 rows" in str(fast.value)


@pytest.mark.parametrize("bad", ["2024-02-30", " 2024-01-05", "2024-1-05", "05/01/2024", "2300-01-01"])
def test_dates_the_fast_parser_cannot_vouch_for_get_the_slow_paths_message(centre_dir, tmp_path, bad):
    folder = tmp_path / "dates"
    shutil.copytree(centre_dir, folder)
    work = pd.read_csv(folder / "workload.csv", dtype=str, keep_default_na=False)
    work.loc[7, "date"] = bad
    work.to_csv(folder / "workload.csv", index=False)
    with pytest.raises(SchemaError) as err:
        load_tables(folder)
    text = str(err.value)
    assert "workload.csv, column 'date': must be a date written YYYY-MM-DD — 1 row." in text
    assert bad.strip() in text


def test_rows_arrow_refuses_fall_back_to_the_pandas_reader(centre_dir, tmp_path):
    folder = tmp_path / "ragged"
    shutil.copytree(centre_dir, folder)
    lines = (folder / "absences.csv").read_text().splitlines()
    lines[2] += ",extra"
    (folder / "absences.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SchemaError, match=r"cannot be read as CSV \(Expected 4 fields in line 3, saw 5\)"):
        load_tables(folder)


def test_fingerprint_of_loaded_tables_is_their_rows_hash_cached_by_file(centre_dir, tmp_path, monkeypatch):
    from attrition.data import _fingerprint

    monkeypatch.setenv("ATTRITION_CACHE_DIR", str(tmp_path / "cache"))
    tables = load_tables(centre_dir)
    first = data_fingerprint(tables)
    # the same rows in memory (not file-backed): the same fingerprint, hashed from the rows
    in_memory = tables.copy(**{name: frame.copy() for name, frame in tables})
    assert data_fingerprint(in_memory) == first
    assert list((tmp_path / "cache" / "fingerprints").glob("*.json"))
    # unchanged files: read from the cache, the rows are not hashed again
    with monkeypatch.context() as m:
        m.setattr(_fingerprint, "_row_fingerprint", lambda t: pytest.fail("rows hashed again"))
        assert data_fingerprint(load_tables(centre_dir)) == first
    # a changed value in a file changes it (the file's identity moved: hashed again)
    folder = tmp_path / "copy"
    shutil.copytree(centre_dir, folder)
    assert data_fingerprint(load_tables(folder)) == first  # a copy: same rows, same fingerprint
    work = pd.read_csv(folder / "workload.csv", dtype=str, keep_default_na=False)
    work.loc[0, "contacts_handled"] = str(int(work.loc[0, "contacts_handled"]) + 1)
    work.to_csv(folder / "workload.csv", index=False)
    assert data_fingerprint(load_tables(folder)) != first
    # a loaded frame replaced in memory is hashed by its rows
    changed = tables.workload.copy()
    changed.loc[0, "contacts_handled"] += 1
    assert data_fingerprint(tables.copy(workload=changed)) != first


def test_one_column_files_and_empty_header_names_read_as_pandas_reads_them(tmp_path):
    """A roster with a whitespace-only line, and a header with an empty name: the pandas reader's
    result, not Arrow's (which would keep ' ' as an id, and name the column '')."""
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id\nE1\n \nE2\n")
    assert _loading.read_roster(roster)["employee_id"].tolist() == ["E1", "E2"]
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,\n1,2,3\n")
    assert _loading._read_csv_arrow(odd, ",", ["a", "b", ""]) is None
