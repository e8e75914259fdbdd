"""Shared pytest fixtures.

Keep fixtures generic and small: tiny hand-written tables that any module's
tests can build on.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attrition.data import _loading

# Caches (input fingerprints, downloaded models) go to a folder of the test
# session's own, never to the user's ~/.cache/attrition.
os.environ.setdefault("ATTRITION_CACHE_DIR", tempfile.mkdtemp(prefix="attrition-test-cache-"))

#: A minimal valid data folder: three employees (one voluntary leaver) and a
#: few rows of every optional table. Values are written as they would be in
#: the CSV exports (all text; empty string = empty cell).
MINIMAL_TABLES: dict[str, dict[str, list[str]]] = {
    "employees": {
        "employee_id": ["E1", "E2", "E3"],
        "hire_date": ["2022-01-10", "2022-06-01", "2023-03-15"],
        "termination_date": ["", "2024-02-29", ""],
        "termination_reason": ["", "voluntary", ""],
        "team_id": ["T1", "T1", "T2"],
        "site": ["north", "north", "remote"],
        "role": ["agent", "senior_agent", "agent"],
        "employment_type": ["full_time", "part_time", "full_time"],
        "contracted_hours": ["40", "24.5", "40"],
        "hourly_wage": ["18.5", "21", "17.25"],
        "birth_year": ["1990", "1985", "1999"],
        "gender": ["f", "m", "x"],
    },
    "schedule": {
        "employee_id": ["E1", "E1", "E2", "E3"],
        "date": ["2024-01-02", "2024-01-03", "2024-01-02", "2024-01-02"],
        "shift_start": ["08:00", "22:00", "09:30", "12:00"],
        "shift_end": ["16:30", "06:00", "14:00", "20:30"],
        "scheduled_minutes": ["480", "450", "240", "480"],
        "worked_minutes": ["480", "0", "250", "470"],
        "overtime_minutes": ["0", "0", "10", "0"],
        "adherence": ["0.93", "", "0.88", "1"],
        "notice_days": ["14", "2", "21", "14"],
    },
    "workload": {
        "employee_id": ["E1", "E2", "E3"],
        "date": ["2024-01-02", "2024-01-02", "2024-01-02"],
        "contacts_handled": ["52", "20", "0"],
        "handle_seconds": ["15600.5", "6100", "0"],
        "after_contact_seconds": ["2100", "800", "0"],
        "occupancy": ["0.81", "0.74", "0"],
        "escalations": ["2", "0", "0"],
        "csat": ["4.4", "", ""],
        "qa_score": ["", "87.5", ""],
    },
    "absences": {
        "employee_id": ["E1", "E3"],
        "start_date": ["2023-11-06", "2024-01-08"],
        "end_date": ["2023-11-08", "2024-01-08"],
        "absence_type": ["sick", "vacation"],
    },
    "surveys": {
        "employee_id": ["E1", "E1", "E2", "E3"],
        "survey_date": ["2023-12-01", "2023-12-01", "2023-12-01", "2023-12-02"],
        "item": ["engagement", "enps", "enps", "workload"],
        "score": ["5", "0", "9", ""],
        "scale_max": ["6", "", "10", "5"],
    },
}


def write_tables(
    folder: Path,
    tables: dict[str, dict[str, list[str]] | pd.DataFrame],
    fmt: str = "csv",
) -> Path:
    """Write ``{name: columns-or-frame}`` as ``<name>.<fmt>`` files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table, dtype=object)
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def minimal_tables() -> dict[str, dict[str, list[str]]]:
    """A fresh, editable copy of :data:`MINIMAL_TABLES`."""
    return {name: {col: list(values) for col, values in cols.items()}
            for name, cols in MINIMAL_TABLES.items()}


@pytest.fixture
def data_dir(tmp_path: Path, minimal_tables: dict) -> Path:
    """A folder holding a minimal valid CSV export of all five tables."""
    return write_tables(tmp_path / "data", minimal_tables)


# ---------------------------------------------------------------- simulated centres
# Session-scoped: each pytest-xdist worker builds them once.
import pytest as _pytest  # noqa: E402


@_pytest.fixture(scope="session")
def small_centre():
    """A small simulated centre (60 agents, 12 months): fast feature tests."""
    from attrition import simulate

    return simulate(n_employees=60, months=12, seed=7)


@_pytest.fixture(scope="session")
def medium():
    """A realistic simulated centre (300 agents, 24 months) for model tests."""
    from attrition import simulate

    return simulate(n_employees=300, months=24, seed=11)


@_pytest.fixture(scope="session")
def medium_snapshots(medium):
    from attrition import build_snapshots

    return build_snapshots(medium.tables, horizon_days=90)


@_pytest.fixture(scope="session")
def medium_model(medium_snapshots):
    from attrition import AttritionModel

    model = AttritionModel().fit(medium_snapshots)
    return model


# ---------------------------------------------------------------- PySpark and pandas 3
# pandera's pandas checks module tries `import pyspark.pandas` when PySpark has been imported
# (tests/test_spark.py; mlflow may import it too). Under pandas 3 that import warns
# (FutureWarning) and fails, once per process, inside whichever test first validates a table
# — breaking tests that assert "no warnings at all". Import pandera's module here, quietly,
# so the attempt (if any) happens once, before any test.
def _import_pandera_checks_quietly() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandera.backends.pandas.builtin_checks  # noqa: F401


_import_pandera_checks_quietly()


def _positions_by_pandas(ids, known):
    """pandas' look-up of each id's first row in ``known`` (the loader's slow path), -1 where absent."""
    uniq = pd.Index(known).drop_duplicates()
    pos = pd.Index(known).get_indexer_for(uniq)  # first position of each distinct id
    got = uniq.get_indexer(ids)
    if not len(pos):
        return np.full(len(ids), -1)
    return np.where(ids.notna().to_numpy() & (got >= 0), pos[np.maximum(got, 0)], -1)


def all_slow_paths(m) -> None:
    """Turn every fast path of the loader off, on a ``monkeypatch`` (context): the typed read,
    Arrow's reader and dates, the sorted-code key check and hashed id look-ups — the full
    pandas/pandera path that every fast path must match."""
    m.setattr(_loading, "read_clean_csv", lambda *a, **k: None)
    m.setattr(_loading, "_read_csv_arrow", lambda *a, **k: None)
    m.setattr(_loading, "_arrow_dates", lambda *a, **k: None)
    m.setattr(_loading, "_without_unique", lambda schema: schema)
    m.setattr(_loading, "_duplicate_rows", lambda *a, **k: np.zeros(0, dtype=np.int64))
    m.setattr(_loading, "_positions_in", _positions_by_pandas)
