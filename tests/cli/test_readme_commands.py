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
