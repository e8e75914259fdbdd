"""README's Commands table is checked against `attrition --help`, so it cannot drift."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from attrition.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands_table() -> list[str]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("## Commands")
    table: list[str] = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break  # the table ended: one table, no blank line inside
    rest = lines[start + 1 + lines[start + 1:].index(table[-1]) + 1:]
    section = rest[:next((i for i, x in enumerate(rest) if x.startswith("## ")), len(rest))]
    assert not [x for x in section if x.startswith("|") and "`attrition " in x], \
        "the Commands section has a second table (or a blank line inside the table)"
    return table[2:]  # header and separator


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in _commands_table():
        first = line.split("|")[1]
        match = re.search(r"`attrition ([a-z-]+)", first)
        assert match, f"README Commands row without `attrition COMMAND`: {line}"
        rows.setdefault(match.group(1), []).append(line)
    return rows


def _help(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_in_the_table_exactly_once():
    commands = sorted(cli.commands)
    rows = _rows()
    assert sorted(rows) == commands, f"in --help: {commands}, in README: {sorted(rows)}"
    assert all(len(v) == 1 for v in rows.values()), {k: len(v) for k, v in rows.items() if len(v) > 1}
    for name in commands:
        assert name in _help()


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_options_in_the_table_exist(command):
    (row,) = _rows()[command]
    written = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", row))
    known = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", _help(command)))
    assert written <= known, f"`attrition {command}` has no {sorted(written - known)}"


def test_readme_tables_are_unbroken():
    """Every README table is one block: rows after a blank line, without a header of their own, render as
    plain text on GitHub. The Scoring-output table lists every column of a scores file once."""
    lines = README.read_text(encoding="utf-8").splitlines() + [""]
    separator = re.compile(r"\|(\s*:?-+:?\s*\|)+")
    for i in range(1, len(lines) - 2):
        if lines[i].strip() == "" and lines[i - 1].startswith("|") and lines[i + 1].startswith("|"):
            assert separator.fullmatch(lines[i + 2].strip()), f"README line {i + 1}: a blank line splits a table"
    start = lines.index("### Scoring output")
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("|"))
    end = next(i for i in range(first, len(lines)) if not lines[i].startswith("|"))
    table = lines[first:end]
    assert separator.fullmatch(table[1]) and lines[end].strip() == "", table[:2]
    columns = [c for row in table[2:] for c in re.findall(r"`([a-z_0-9]+)`", row.split("|")[1])]
    assert len(columns) == len(set(columns)) and {"employee_pseudonym", "attrition_risk"} <= set(columns)
