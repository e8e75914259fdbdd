"""Pandera schemas of the data contract, and the documentation generated from them.

One :class:`pandera.api.pandas.container.DataFrameSchema` per contract table
(:data:`SCHEMAS`) states every column's in-memory dtype, whether the column
must be present (``required``), whether it may be empty (``nullable``), its
value rules, and each table's key (:data:`KEYS`) and cross-column rules.

The schemas validate frames that are already in the in-memory conventions of
:mod:`attrition.tables` (strings, ``datetime64[ns]`` dates, ``float64``
numbers). :func:`attrition.loading.load_tables` converts files to those
conventions and then validates with these schemas; users never see a pandera
error, only :class:`attrition.exceptions.SchemaError`.

Every column's ``metadata`` holds:

``kind``
    How the value is written in a file: ``"string"``, ``"date"``
    (``YYYY-MM-DD``), ``"number"``, ``"integer"`` (a whole number, stored as
    ``float64``) or ``"time"`` (``HH:MM``). The loader converts by kind.
``protected``
    ``True`` for ``birth_year`` and ``gender``: never a model feature, used
    only in fairness audits (see :data:`PROTECTED_COLUMNS`).
``default`` (optional)
    What an absent or empty value means.

The user documentation of the input tables, ``docs/tables.md``, is generated
from these objects by :func:`table_docs_markdown` (run
``python -m attrition.data > docs/tables.md``), so docs and schemas cannot
drift apart.

Examples
--------
>>> sorted(SCHEMAS)
['absences', 'employee_history', 'employees', 'roster', 'schedule', 'surveys', 'workload']
>>> KEYS["schedule"]
['employee_id', 'date']
>>> SCHEMAS["employees"].columns["gender"].metadata["protected"]
True
>>> describe_check(SCHEMAS["schedule"].columns["adherence"].checks[0])
'0 ≤ x ≤ 1'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

__all__ = [
    "SCHEMAS",
    "KEYS",
    "PROTECTED_COLUMNS",
    "SURVEY_ITEMS",
    "TERMINATION_REASONS",
    "EMPLOYMENT_TYPES",
    "CHANGE_REASONS",
    "HISTORY_ATTRIBUTES",
    "ABSENCE_TYPES",
    "HHMM_PATTERN",
    "DEFAULT_SCALE_MAX",
    "ENPS_SCALE_MAX",
    "effective_scale_max",
    "column_kind",
    "describe_check",
    "check_columns",
    "check_fix",
    "table_docs_markdown",
]

#: Columns that are never model features; used only in fairness audits.
PROTECTED_COLUMNS: tuple[str, ...] = ("birth_year", "gender")

#: The survey items the data contract names (others are allowed and kept).
SURVEY_ITEMS: tuple[str, ...] = (
    "engagement",
    "enps",
    "intent_to_stay",
    "manager_support",
    "workload",
    "autonomy",
    "involvement",
    "education_relevance",
    "recognition",
)
#: Allowed ``employees.termination_reason`` values.
TERMINATION_REASONS: tuple[str, ...] = (
    "voluntary", "involuntary", "internal_transfer", "retirement", "other",
)
#: Allowed ``employees.employment_type`` values.
EMPLOYMENT_TYPES: tuple[str, ...] = ("full_time", "part_time", "temporary")
#: Allowed ``employee_history.change_reason`` values.
CHANGE_REASONS: tuple[str, ...] = (
    "hire", "promotion", "demotion", "transfer", "pay_change", "hours_change", "manager_change",
    "reorganisation", "other",
)
#: The HR attributes ``employee_history`` carries point-in-time (also columns of ``employees``).
HISTORY_ATTRIBUTES: tuple[str, ...] = (
    "team_id", "site", "role", "employment_type", "contracted_hours", "hourly_wage",
)
#: Allowed ``absences.absence_type`` values.
ABSENCE_TYPES: tuple[str, ...] = ("sick", "vacation", "parental", "unpaid", "other")
#: A local time of day, ``00:00`` to ``23:59``.
HHMM_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
#: ``surveys.scale_max`` when absent or empty, for every item except ``enps``.
DEFAULT_SCALE_MAX = 6
#: ``surveys.scale_max`` when absent or empty, for the ``enps`` item.
ENPS_SCALE_MAX = 10

#: Key columns of each table: no two rows share the same values in all of them.
KEYS: dict[str, list[str]] = {
    "employees": ["employee_id"],
    "schedule": ["employee_id", "date"],
    "workload": ["employee_id", "date"],
    "absences": [],
    "surveys": ["employee_id", "survey_date", "item"],
    "roster": ["employee_id"],
    "employee_history": ["employee_id", "effective_date"],
}

_DTYPES: dict[str, Any] = {
    "string": str,
    "time": str,
    "date": "datetime64[ns]",
    "number": "float64",
    "integer": "float64",
}

_KIND_WORDS: dict[str, str] = {
    "string": "text",
    "time": "time `HH:MM`",
    "date": "date `YYYY-MM-DD`",
    "number": "number",
    "integer": "whole number",
}


# ----------------------------------------------------------------- building
def _whole_number() -> pa.Check:
    return pa.Check(
        lambda s: s % 1 == 0,
        name="whole_number",
        description="a whole number",
        statistics={"fix": "Write a whole number without decimals (e.g. 42, not 42.5)."},
    )


def _col(
    kind: str,
    title: str,
    description: str,
    checks: Sequence[pa.Check] = (),
    *,
    required: bool = True,
    nullable: bool = False,
    protected: bool = False,
    default: str | None = None,
) -> pa.Column:
    """A contract column: dtype from ``kind``, ``whole_number`` for integers."""
    checks = list(checks)
    if kind == "integer":
        checks.insert(0, _whole_number())
    if kind == "time":
        checks.append(
            pa.Check.str_matches(HHMM_PATTERN, description="a time HH:MM from 00:00 to 23:59"))
    metadata: dict[str, Any] = {"kind": kind, "protected": protected}
    if default is not None:
        metadata["default"] = default
    return pa.Column(
        _DTYPES[kind],
        checks=checks or None,
        nullable=nullable,
        required=required,
        title=title,
        description=description,
        metadata=metadata,
    )


def _rule(fn: Any, name: str, words: str, columns: Sequence[str], fix: str,
          column: str | None = None) -> pa.Check:
    """A row-wise rule across columns (True = row is fine).

    ``statistics`` carries the columns involved (shown in error examples),
    the column a breach is reported on (default: the last involved) and how
    to fix a breach; :func:`check_columns` and :func:`check_fix` read them.
    """
    return pa.Check(
        fn,
        name=name,
        description=words,
        statistics={"columns": list(columns), "column": column or columns[-1], "fix": fix},
    )


def _get(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]``, or an all-missing column when it is absent."""
    if column in frame.columns:
        return frame[column]
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def effective_scale_max(frame: pd.DataFrame) -> pd.Series:
    """``surveys.scale_max`` with the contract's defaults filled in.

    An absent column or an empty cell means :data:`DEFAULT_SCALE_MAX` (6),
    or :data:`ENPS_SCALE_MAX` (10) for the ``enps`` item.

    Examples
    --------
    >>> frame = pd.DataFrame({"item": ["enps", "workload", "engagement"],
    ...                       "scale_max": [np.nan, np.nan, 5.0]})
    >>> effective_scale_max(frame).tolist()
    [10.0, 6.0, 5.0]
    """
    given = pd.to_numeric(_get(frame, "scale_max"), errors="coerce").astype("float64")
    item = _get(frame, "item")
    default = np.where((item == "enps").to_numpy(dtype=bool, na_value=False),
                       float(ENPS_SCALE_MAX), float(DEFAULT_SCALE_MAX))
    return given.fillna(pd.Series(default, index=frame.index))


def _termination_after_hire(df: pd.DataFrame) -> pd.Series:
    hire, end = _get(df, "hire_date"), _get(df, "termination_date")
    return hire.isna() | end.isna() | (end >= hire)


def _reason_iff_terminated(df: pd.DataFrame) -> pd.Series:
    return _get(df, "termination_date").notna() == _get(df, "termination_reason").notna()


def _absence_end_after_start(df: pd.DataFrame) -> pd.Series:
    start, end = _get(df, "start_date"), _get(df, "end_date")
    return start.isna() | end.isna() | (end >= start)


def _score_within_scale(df: pd.DataFrame) -> pd.Series:
    score = pd.to_numeric(_get(df, "score"), errors="coerce")
    top = effective_scale_max(df)
    bottom = pd.Series(np.where(top == 10, 0.0, 1.0), index=df.index)
    return score.isna() | ((score >= bottom) & (score <= top))


# ------------------------------------------------------------------ schemas
_EMPLOYEES = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id",
                            "unique key; the same id is used in every table"),
        "hire_date": _col("date", "Hire date", "first day of employment"),
        "termination_date": _col("date", "Termination date",
                                 "last day of employment; empty while employed",
                                 required=False, nullable=True),
        "termination_reason": _col(
            "string", "Termination reason", "why the employment ended; required when terminated",
            [pa.Check.isin(list(TERMINATION_REASONS))], required=False, nullable=True),
        "team_id": _col("string", "Team", "current team"),
        "site": _col("string", "Site", "location or remote hub", required=False, nullable=True),
        "role": _col("string", "Role", "e.g. `agent`, `senior_agent`, `team_lead`",
                     required=False, nullable=True),
        "employment_type": _col("string", "Employment type", "contract form",
                                [pa.Check.isin(list(EMPLOYMENT_TYPES))],
                                required=False, nullable=True),
        "contracted_hours": _col("number", "Contracted hours", "contracted hours per week",
                                 [pa.Check.in_range(0, 60)], required=False, nullable=True),
        "hourly_wage": _col("number", "Hourly wage", "current base pay",
                            [pa.Check.gt(0)], required=False, nullable=True),
        "birth_year": _col("integer", "Birth year",
                           "protected: never a model feature; used only in fairness audits",
                           [pa.Check.in_range(1900, 2100)],
                           required=False, nullable=True, protected=True),
        "gender": _col("string", "Gender",
                       "protected: never a model feature; used only in fairness audits",
                       required=False, nullable=True, protected=True),
    },
    checks=[
        _rule(_termination_after_hire, "termination_after_hire",
              "termination_date ≥ hire_date", ["hire_date", "termination_date"],
              "The last day of employment cannot be before the first; check the two "
              "dates (a rehired employee needs the dates of the current employment)."),
        _rule(_reason_iff_terminated, "reason_iff_terminated",
              "termination_reason is filled in exactly when termination_date is",
              ["termination_date", "termination_reason"],
              "Give a termination_reason for every employee with a termination_date, "
              "and leave both empty for employees still employed."),
    ],
    unique=KEYS["employees"],
    report_duplicates="all",
    strict=False,
    name="employees",
    title="employees (required) — one row per employee",
    description="The HR master: who was employed, when, and why they left.",
)

_SCHEDULE = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id", "must exist in `employees`"),
        "date": _col("date", "Shift date", "the shift's date; key with employee_id"),
        "shift_start": _col("time", "Shift start", "scheduled start",
                            required=False, nullable=True),
        "shift_end": _col("time", "Shift end",
                          "scheduled end; earlier than start means it ends after midnight",
                          required=False, nullable=True),
        "scheduled_minutes": _col("integer", "Scheduled minutes", "paid minutes scheduled",
                                  [pa.Check.ge(0)]),
        "worked_minutes": _col("integer", "Worked minutes",
                               "minutes actually worked; 0 on a missed shift", [pa.Check.ge(0)]),
        "overtime_minutes": _col("integer", "Overtime minutes",
                                 "voluntary extra minutes beyond the schedule", [pa.Check.ge(0)],
                                 required=False, nullable=True),
        "adherence": _col("number", "Adherence",
                          "share of scheduled time spent in the scheduled activity",
                          [pa.Check.in_range(0, 1)], required=False, nullable=True),
        "notice_days": _col("integer", "Notice days",
                            "days between the shift's publication and its date "
                            "(a late change has few)", [pa.Check.ge(0)],
                            required=False, nullable=True),
    },
    unique=KEYS["schedule"],
    report_duplicates="all",
    strict=False,
    name="schedule",
    title="schedule (optional) — one row per employee per scheduled day",
    description="The WFM schedule and what was actually worked.",
)

_WORKLOAD = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id", "must exist in `employees`"),
        "date": _col("date", "Date", "key with employee_id"),
        "contacts_handled": _col("integer", "Contacts handled",
                                 "calls, chats and e-mails closed", [pa.Check.ge(0)]),
        "handle_seconds": _col("number", "Handle seconds",
                               "total talk + hold + wrap time "
                               "(AHT = handle_seconds / contacts_handled)", [pa.Check.ge(0)]),
        "after_contact_seconds": _col("number", "After-contact seconds",
                                      "wrap-up time, part of handle_seconds", [pa.Check.ge(0)],
                                      required=False, nullable=True),
        "occupancy": _col("number", "Occupancy", "share of logged-in time spent on contacts",
                          [pa.Check.in_range(0, 1)], required=False, nullable=True),
        "escalations": _col("integer", "Escalations",
                            "contacts handed to a supervisor or second line", [pa.Check.ge(0)],
                            required=False, nullable=True),
        "csat": _col("number", "CSAT",
                     "mean customer satisfaction of that day's rated contacts; empty if none rated",
                     [pa.Check.in_range(1, 5)], required=False, nullable=True),
        "qa_score": _col("number", "QA score",
                         "quality-assurance score when an evaluation happened that day; else empty",
                         [pa.Check.in_range(0, 100)], required=False, nullable=True),
    },
    unique=KEYS["workload"],
    report_duplicates="all",
    strict=False,
    name="workload",
    title="workload (optional) — one row per employee per worked day",
    description="Daily contact-handling volume and quality from the contact platform.",
)

_ABSENCES = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id", "must exist in `employees`"),
        "start_date": _col("date", "Start date", "first day absent"),
        "end_date": _col("date", "End date", "last day absent, inclusive, ≥ start_date"),
        "absence_type": _col("string", "Absence type", "kind of absence",
                             [pa.Check.isin(list(ABSENCE_TYPES))],
                             required=False, nullable=True),
    },
    checks=[
        _rule(_absence_end_after_start, "end_after_start", "end_date ≥ start_date",
              ["start_date", "end_date"],
              "The last day absent cannot be before the first; check the two dates "
              "(a one-day absence has end_date = start_date)."),
    ],
    strict=False,
    name="absences",
    title="absences (optional) — one row per absence spell",
    description="Absence spells from the HR system. No key: an employee may have "
    "several spells starting the same day.",
)

_SURVEYS = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id",
                            "may be a pseudonym, as long as it matches `employees`"),
        "survey_date": _col("date", "Survey date", "the day the answer was given"),
        "item": _col("string", "Item",
                     "e.g. `engagement`, `enps`, `intent_to_stay`, `manager_support`, "
                     "`workload`, `autonomy`, `involvement`, `education_relevance`, "
                     "`recognition`"),
        "score": _col("number", "Score", "the answer; empty if the item was skipped",
                      nullable=True),
        "scale_max": _col("integer", "Scale maximum",
                          "top of the item's scale; bottom is 1, or 0 when scale_max is 10",
                          [pa.Check.ge(2)], required=False, nullable=True,
                          default=f"{DEFAULT_SCALE_MAX} ({ENPS_SCALE_MAX} for item `enps`)"),
    },
    checks=[
        _rule(_score_within_scale, "score_within_scale",
              "1 ≤ score ≤ scale_max (0 ≤ score ≤ scale_max when scale_max is 10)",
              ["item", "score", "scale_max"],
              column="score",
              fix=f"Give each item's scale in scale_max (default {DEFAULT_SCALE_MAX}, "
              f"{ENPS_SCALE_MAX} for enps); a score must lie on its item's scale. A "
              "0-10 item needs scale_max 10; a 1-7 item scale_max 7."),
    ],
    unique=KEYS["surveys"],
    report_duplicates="all",
    strict=False,
    name="surveys",
    title="surveys (optional) — one row per answer to one item",
    description="Pulse-survey answers. Surveys are sparse and answered by part of "
    "the staff: a missing answer is information, not an error.",
)

_EMPLOYEE_HISTORY = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id", "must exist in `employees`"),
        "effective_date": _col("date", "Effective date",
                               "the record holds from this day until the next row's "
                               "effective_date; key with employee_id"),
        "team_id": _col("string", "Team", "team from that day"),
        "manager_id": _col("string", "Manager",
                           "the team lead or supervisor from that day (an employee_id or any "
                           "stable id)", required=False, nullable=True),
        "site": _col("string", "Site", "location or remote hub from that day",
                     required=False, nullable=True),
        "role": _col("string", "Role", "role from that day", required=False, nullable=True),
        "employment_type": _col("string", "Employment type", "contract form from that day",
                                [pa.Check.isin(list(EMPLOYMENT_TYPES))],
                                required=False, nullable=True),
        "contracted_hours": _col("number", "Contracted hours",
                                 "contracted hours per week from that day",
                                 [pa.Check.in_range(0, 60)], required=False, nullable=True),
        "hourly_wage": _col("number", "Hourly wage", "base pay from that day",
                            [pa.Check.gt(0)], required=False, nullable=True),
        "grade": _col("integer", "Grade", "pay grade or level; higher is more senior",
                      [pa.Check.ge(0)], required=False, nullable=True),
        "change_reason": _col("string", "Change reason", "why the record changed",
                              [pa.Check.isin(list(CHANGE_REASONS))],
                              required=False, nullable=True),
    },
    unique=KEYS["employee_history"],
    report_duplicates="all",
    strict=False,
    name="employee_history",
    title="employee_history (optional) — one row per change of an employee's job record",
    description="The effective-dated job history (Workday job history, SAP org assignment): "
    "every transfer, promotion, pay change or new team lead adds a row. When present, every "
    "HR attribute at an as-of date comes from the row in force on it, never from "
    "`employees` (whose values describe the export date). Before an employee's first row "
    "their attributes are unknown. Rows dated after the export date are refused.",
)

_ROSTER = pa.DataFrameSchema(
    {
        "employee_id": _col("string", "Employee id",
                            "must exist in `employees` and be employed on the as-of date"),
    },
    unique=KEYS["roster"],
    report_duplicates="all",
    strict=False,
    name="roster",
    title="roster (for scoring) — the employees to score this month",
    description="Other roster columns (team, manager) pass through to the output unchanged.",
)

#: One schema per contract table, in documentation order.
SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "employees": _EMPLOYEES,
    "schedule": _SCHEDULE,
    "workload": _WORKLOAD,
    "absences": _ABSENCES,
    "surveys": _SURVEYS,
    "employee_history": _EMPLOYEE_HISTORY,
    "roster": _ROSTER,
}


# ------------------------------------------------------------ introspection
def column_kind(column: pa.Column) -> str:
    """How a column is written in a file (``metadata["kind"]``)."""
    return (column.metadata or {}).get("kind", "string")


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def describe_check(check: pa.Check) -> str:
    """A check in words, e.g. ``"0 ≤ x ≤ 1"`` or ``"one of: a, b"``.

    Examples
    --------
    >>> describe_check(pa.Check.isin(["a", "b"]))
    'one of: a, b'
    >>> describe_check(pa.Check.gt(0))
    'x > 0'
    """
    stats = check.statistics or {}
    name = check.name
    if name == "in_range":
        low = "≤" if stats.get("include_min", True) else "<"
        high = "≤" if stats.get("include_max", True) else "<"
        return f"{_num(stats['min_value'])} {low} x {high} {_num(stats['max_value'])}"
    ops = {
        "greater_than": ">", "greater_than_or_equal_to": "≥",
        "less_than": "<", "less_than_or_equal_to": "≤",
        "equal_to": "=", "not_equal_to": "≠",
    }
    if name in ops:
        value = next(iter(v for k, v in stats.items() if k not in {"fix", "columns"}))
        return f"x {ops[name]} {_num(value)}"
    if name == "isin":
        return "one of: " + ", ".join(str(v) for v in stats["allowed_values"])
    if name == "notin":
        return "none of: " + ", ".join(str(v) for v in stats["forbidden_values"])
    if check.description:
        return check.description
    if name == "str_matches":
        return f"matches the pattern {stats['pattern']}"
    return check.error or name or "a custom rule"


def check_columns(check: pa.Check) -> list[str]:
    """Columns a cross-column rule involves (empty for column checks)."""
    return list((check.statistics or {}).get("columns", []))


def check_fix(check: pa.Check) -> str | None:
    """How to fix a breach of ``check``, when the schema says so."""
    return (check.statistics or {}).get("fix")


# -------------------------------------------------------------------- docs
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _dtype_words(column: pa.Column) -> str:
    """The column's pandas dtype as users see it (pandera's string types are ``str``)."""
    name = str(column.dtype)
    return "str" if name.startswith("str") else name


def _table_markdown(name: str, schema: pa.DataFrameSchema) -> list[str]:
    lines = [f"## {schema.title or name}", ""]
    if schema.description:
        lines += [schema.description, ""]
    if name == "roster":
        where = "Any `.csv` or `.parquet` file, passed when scoring."
    else:
        where = f"File: `{name}.csv` or `{name}.parquet`."
    lines += [
        where,
        "",
        "| column | type | in memory | required | may be empty | rule | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for col_name, column in schema.columns.items():
        meta = column.metadata or {}
        rules = [describe_check(c) for c in column.checks
                 if c.name not in {"whole_number", "str_matches"}]
        meaning = column.description or ""
        if meta.get("default") is not None:
            meaning += f". Default when absent or empty: {meta['default']}"
        lines.append(
            "| " + " | ".join(_cell(x) for x in [
                f"`{col_name}`",
                _KIND_WORDS[column_kind(column)],
                f"`{_dtype_words(column)}`",
                "yes" if column.required else "no",
                "yes" if column.nullable else "no",
                "; ".join(rules) or "—",
                meaning,
            ]) + " |"
        )
    lines.append("")
    key = KEYS.get(name) or []
    if key:
        lines.append(f"Key: ({', '.join(key)}) — no two rows may share it.")
    else:
        lines.append("Key: none — rows may repeat.")
    protected = [c for c, col in schema.columns.items() if (col.metadata or {}).get("protected")]
    if protected:
        lines += ["", "Protected columns (never model features; used only in fairness "
                  f"audits): {', '.join(f'`{c}`' for c in protected)}."]
    rules = list(schema.checks)
    if rules:
        lines += ["", "Rules across columns:", ""]
        lines += [f"* {_cell(describe_check(c))}" for c in rules]
    lines.append("")
    return lines


def table_docs_markdown() -> str:
    """The user documentation of the input tables, generated from :data:`SCHEMAS`.

    ``docs/tables.md`` holds its output; regenerate it with
    ``python -m attrition.data > docs/tables.md``.
    """
    lines = [
        "# Input tables",
        "",
        "<!-- Generated by `python -m attrition.data > docs/tables.md` from the",
        "     pandera schemas in src/attrition/data/_schemas.py. Do not edit by hand. -->",
        "",
        "Put one file per table in one folder, named `<table>.csv` or `<table>.parquet`",
        "(never both). Only `employees` is required. Column names are the defaults; map",
        "other names in the configuration (`columns: {schedule: {shift_date: date}}`).",
        "Unknown extra columns are kept and ignored.",
        "",
        "How values are read:",
        "",
        "* CSV files are UTF-8 (a byte-order mark is fine), comma-separated, or",
        "  semicolon-separated when the header has semicolons and no comma.",
        "* An empty cell is a missing value. Nothing else is: `NA`, `null` or `-` in a",
        "  number or date column is refused, not read as missing.",
        "* Dates are ISO `YYYY-MM-DD` exactly; other formats (`05/01/2024`, `2024-1-5`)",
        "  are refused, never guessed. Parquet date and timestamp columns are accepted",
        "  when they hold whole days.",
        "* Numbers use a `.` decimal point, no thousands separator; non-numeric and",
        "  infinite values are refused. A *whole number* may be written `42` or `42.0`.",
        "* Times are `HH:MM`, 24-hour, `00:00` to `23:59`.",
        "* Text, including ids, is kept exactly as written: `E1` and `E1 ` are different",
        "  ids. Category values (`voluntary`, `sick`, ...) are lower case.",
        "* Every `employee_id` of another table must exist in `employees`. Schedule and",
        "  workload rows dated before `hire_date` or after `termination_date` only",
        "  raise a warning.",
        "",
        "Column headings: *required* says whether the column must be in the file (an",
        "absent optional column is added, all empty); *may be empty* whether a cell may",
        "be empty; *in memory* is the pandas dtype after loading.",
        "",
    ]
    for name, schema in SCHEMAS.items():
        lines += _table_markdown(name, schema)
    lines += _DECLARED_DOCS
    return "\n".join(lines).rstrip("\n") + "\n"


_DECLARED_DOCS = [
    "## Your own tables (optional) — declared in the configuration",
    "",
    "Any further file `NAME.csv` or `NAME.parquet` in the folder is read when the",
    "configuration declares it under `[tables.NAME]`:",
    "",
    "```toml",
    "[tables.performance]          # performance.csv or performance.parquet",
    'kind = "measures"             # numbers observed on a date',
    'date = "review_date"          # the file\'s date column',
    'columns = ["rating", "business_value"]',
    "",
    "[tables.coaching]",
    'kind = "events"               # things that happened on a date',
    'date = "session_date"',
    'event = "session_type"        # optional: one feature family per value',
    "```",
    "",
    "| column | type | in memory | required | may be empty | rule | meaning |",
    "|---|---|---|---|---|---|---|",
    "| `employee_id` | text | `str` | yes | no | — | must exist in `employees` |",
    "| the `date` column | date `YYYY-MM-DD` | `datetime64[ns]` | yes | no | — | the day the row "
    "is dated; the as-of rule filters on it; no row after the export date |",
    "| each of `columns` (measures) | number | `float64` | yes | yes | — | a measure; empty when "
    "not observed |",
    "| the `event` column (events) | text | `str` | yes | no | — | the kind of event |",
    "",
    "Key: none. `measures` give, per column and window, the trailing mean, the last value, the change",
    "against the employee's own earlier level and the mean against the team median; `events` give",
    "counts per window and days since the last one (per event value when `event` is set). A model",
    "records the tables it was trained with and needs them again to score.",
    "",
]
