"""The pandera schemas of the data contract and the docs generated from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaErrors

from attrition.data._schemas import (
    KEYS,
    PROTECTED_COLUMNS,
    SCHEMAS,
    describe_check,
    effective_scale_max,
    table_docs_markdown,
)
from attrition.data._tables import TABLE_NAMES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tables.md"


def test_one_schema_per_contract_table():
    assert list(SCHEMAS) == [*TABLE_NAMES, "roster"]
    assert set(KEYS) == set(SCHEMAS)
    for name, schema in SCHEMAS.items():
        assert schema.strict is False, name
        assert set(KEYS[name]) <= set(schema.columns), name


def test_every_column_is_documented():
    for name, schema in SCHEMAS.items():
        for col_name, column in schema.columns.items():
            assert column.title, (name, col_name)
            assert column.description, (name, col_name)
            assert column.metadata["kind"] in {"string", "date", "number", "integer", "time"}


def test_protected_columns_are_marked():
    assert PROTECTED_COLUMNS == ("birth_year", "gender")
    marked = [c for c, col in SCHEMAS["employees"].columns.items() if col.metadata["protected"]]
    assert marked == list(PROTECTED_COLUMNS)


def test_required_and_optional_columns_follow_the_contract():
    emp = SCHEMAS["employees"].columns
    required = [c for c, col in emp.items() if col.required]
    assert required == ["employee_id", "hire_date", "team_id"]
    assert emp["termination_date"].nullable and not emp["hire_date"].nullable


def test_keys():
    assert KEYS["employees"] == ["employee_id"]
    assert KEYS["schedule"] == KEYS["workload"] == ["employee_id", "date"]
    assert KEYS["surveys"] == ["employee_id", "survey_date", "item"]
    assert KEYS["absences"] == []


@pytest.mark.parametrize(
    ("check", "words"),
    [
        (pa.Check.in_range(0, 1), "0 ≤ x ≤ 1"),
        (pa.Check.in_range(0, 1, include_min=False), "0 < x ≤ 1"),
        (pa.Check.ge(0), "x ≥ 0"),
        (pa.Check.gt(0), "x > 0"),
        (pa.Check.isin(["a", "b"]), "one of: a, b"),
    ],
)
def test_describe_check(check, words):
    assert describe_check(check) == words


def test_effective_scale_max_defaults():
    frame = pd.DataFrame({"item": ["enps", "workload", "enps"], "scale_max": [np.nan, np.nan, 5.0]})
    assert effective_scale_max(frame).tolist() == [10.0, 6.0, 5.0]
    assert effective_scale_max(frame.drop(columns="scale_max")).tolist() == [10.0, 6.0, 10.0]


def _employees(**changes):
    frame = pd.DataFrame({
        "employee_id": ["E1", "E2"],
        "hire_date": pd.to_datetime(["2022-01-01", "2022-02-01"]).astype("datetime64[ns]"),
        "termination_date": pd.to_datetime([None, "2023-01-01"]).astype("datetime64[ns]"),
        "termination_reason": [np.nan, "voluntary"],
        "team_id": ["T1", "T1"],
        "extra": ["kept", "kept"],
    })
    for col, values in changes.items():
        frame[col] = values
    return frame


def test_schema_accepts_valid_frame_and_keeps_extra_columns():
    out = SCHEMAS["employees"].validate(_employees(), lazy=True)
    assert "extra" in out.columns


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"termination_date": pd.to_datetime([None, "2021-01-01"]).astype("datetime64[ns]")},
         "termination_after_hire"),
        ({"termination_reason": ["voluntary", "voluntary"]}, "reason_iff_terminated"),
        ({"termination_reason": [np.nan, "quit"]}, "isin"),
        ({"employee_id": ["E1", "E1"]}, "multiple_fields_uniqueness"),
    ],
)
def test_schema_rules(changes, check):
    with pytest.raises(SchemaErrors) as info:
        SCHEMAS["employees"].validate(_employees(**changes), lazy=True)
    assert check in set(info.value.failure_cases["check"].astype(str).str.split("(").str[0])


def test_survey_score_must_lie_on_its_scale():
    frame = pd.DataFrame({
        "employee_id": ["E1", "E1", "E1", "E1"],
        "survey_date": pd.to_datetime(["2024-01-01"] * 4).astype("datetime64[ns]"),
        "item": ["enps", "engagement", "workload", "autonomy"],
        "score": [0.0, 0.0, 7.0, 7.0],
        "scale_max": [np.nan, np.nan, np.nan, 7.0],
    })
    with pytest.raises(SchemaErrors) as info:
        SCHEMAS["surveys"].validate(frame, lazy=True)
    cases = info.value.failure_cases
    bad_rows = set(cases.loc[cases["check"] == "score_within_scale", "index"])
    assert bad_rows == {1, 2}  # 0 on a 1-6 scale; 7 on the default 6 scale


def test_docs_are_generated_from_the_schemas():
    text = table_docs_markdown()
    for name, schema in SCHEMAS.items():
        assert f"## {name}" in text
        for col in schema.columns:
            assert f"`{col}`" in text
    assert "0 ≤ x ≤ 1" in text and "one of: sick, vacation" in text


def test_committed_docs_match_the_schemas():
    assert DOCS.read_text(encoding="utf-8") == table_docs_markdown(), (
        "docs/tables.md is out of date with src/attrition/data/_schemas.py; regenerate it with "
        "`python -m attrition.data > docs/tables.md`"
    )
