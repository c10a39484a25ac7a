"""`planner --help` and `--version` start fast: they import none of the heavy libraries, and the
command table that lets them (planner.command_table.COMMANDS) says what the commands themselves say.
Not timed (shared machines vary); bench/startup.py measures the time."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from planner.cli import cli
from planner.command_table import COMMANDS, load_all

HEAVY = ("sqlalchemy", "numpy", "sklearn", "scipy", "slack_bolt", "slack_sdk", "gspread",
         "openpyxl", "matplotlib", "sp_api", "fpdf", "alembic")  # fmt: skip

PROBE = """
import json, sys
from planner.cli import main
code = main(sys.argv[1:])
sys.stderr.write("\\nLOADED " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def planner_in_a_fresh_process(*args: str) -> tuple[str, set[str]]:
    """Run `planner ARGS` in a new interpreter: its stdout, and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stderr.rsplit("LOADED ", 1)[1]
    return done.stdout, set(json.loads(loaded))


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".", 1)[0] for name in modules}


@pytest.mark.parametrize(
    "args", [("--version",), ("--help",), ("plan", "--help"), ("chat", "--help")]
)
def test_help_and_version_import_no_heavy_library(args: tuple[str, ...]) -> None:
    out, loaded = planner_in_a_fresh_process(*args)

    assert out.strip()
    assert sorted(top_level(loaded) & set(HEAVY)) == []


def test_help_imports_no_command_module() -> None:
    _, loaded = planner_in_a_fresh_process("--help")

    assert {m for m in loaded if m.startswith("planner.commands.")} == set()
    assert "planner.bootstrap" not in loaded


def test_help_lists_every_command_with_its_own_short_help() -> None:
    out, _ = planner_in_a_fresh_process("--help")
    listed = dict(
        line.split(None, 1) for line in out.split("Commands:", 1)[1].splitlines() if line.strip()
    )

    assert sorted(listed) == sorted(COMMANDS)
    for name, (_, summary) in COMMANDS.items():
        assert listed[name].startswith(" ".join(summary.split()[:3])), name


def test_the_command_table_matches_the_commands() -> None:
    """A new command, a renamed one or a changed docstring must be in the table too."""
    load_all()

    assert set(cli.commands) == set(COMMANDS)
    for name, (module, summary) in COMMANDS.items():
        command = cli.commands[name]
        assert command.callback is not None and command.callback.__module__ == module, name
        first_paragraph = (command.help or "").split("\n\n")[0]
        assert " ".join(first_paragraph.split()) == summary, name


def test_the_lazy_group_finds_a_command_by_name() -> None:
    context = click.Context(cli)
    command = cli.get_command(context, "supply")

    assert command is not None and command.name == "supply"
    assert cli.get_command(context, "no-such-command") is None
