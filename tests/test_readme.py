"""The README's command table matches the command line: every command and sub-command it names
exists, every option it names belongs to one of the row's commands, and every command the CLI
offers has a row.  (The table is what a new user reads first; it must not promise a flag that
is gone, nor hide a command that was added.)"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from qualcode.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
CODE_SPAN = re.compile(r"`(qualcode [^`]*)`")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def _table_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1]
    return [line for line in section.splitlines() if line.startswith("| `qualcode ")]


def _commands_of(span: str) -> list[tuple[str, ...]]:
    """The command paths a span names: ``qualcode codebook check\\|add`` → (codebook, check), (codebook, add)."""
    words = span.split()[1:]
    paths: list[tuple[str, ...]] = [()]
    group: click.Command = cli
    for word in words:
        if not isinstance(group, click.Group):
            break
        names = word.replace("\\|", "|").split("|")
        if not all(n in group.commands for n in names):
            break
        paths = [p + (n,) for p in paths for n in names]
        group = group.commands[names[0]]
    return [p for p in paths if p]


def _command(path: tuple[str, ...]) -> click.Command:
    node: click.Command = cli
    for name in path:
        assert isinstance(node, click.Group), path
        node = node.commands[name]
    return node


def _options(command: click.Command) -> set[str]:
    found = {opt for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("--")}
    if isinstance(command, click.Group):  # a group row may name its sub-commands' options
        for sub in command.commands.values():
            found |= _options(sub)
    return found


ROWS = _table_rows()


def test_the_table_has_rows() -> None:
    assert len(ROWS) >= 20


@pytest.mark.parametrize("row", ROWS, ids=[r.split("`")[1][:40] for r in ROWS])
def test_each_row_names_real_commands_and_their_options(row: str) -> None:
    spans = CODE_SPAN.findall(row.split(" | ")[0] + " |")
    paths = [p for span in spans for p in _commands_of(span)]
    assert paths, f"no qualcode command recognised in: {row[:80]}"
    known = _options(cli)
    for path in paths:
        known |= _options(_command(path))
    named = {opt for span in CODE_SPAN.findall(row) for opt in OPTION.findall(span)}
    named |= set(OPTION.findall(row.split(" | ")[1] if " | " in row else ""))
    missing = sorted(named - known)
    assert not missing, f"{paths}: the README names {missing}, which no such command takes"


def _all_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        if command.hidden:
            continue
        out.append(prefix + (name,))
        if isinstance(command, click.Group):
            out += _all_paths(command, prefix + (name,))
    return out


def test_every_command_has_a_row() -> None:
    documented = {p for row in ROWS for span in CODE_SPAN.findall(row) for p in _commands_of(span)}
    # A group's row that lists its sub-commands documents the group too.
    documented |= {p[:-1] for p in documented if len(p) > 1}
    missing = [" ".join(p) for p in _all_paths(cli) if p not in documented]
    assert not missing, f"commands without a row in README's command table: {missing}"
