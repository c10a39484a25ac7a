"""The example systemd unit (deploy/planner.service) is one systemd can run as documented."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from bot.server import HttpLimits
from planner.commands.bot import serve_cmd

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "planner.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys keep case
    parser.read_string(UNIT.read_text("utf-8"))
    return parser


def test_the_unit_runs_planner_serve_and_restarts_it_on_failure() -> None:
    service = _unit()["Service"]
    assert service["Type"] in {"simple", "notify"}
    assert service["Restart"] == "on-failure"
    assert service["User"] and service["WorkingDirectory"].startswith("/")
    assert service["EnvironmentFile"].startswith("/")  # secrets from a file, not the unit
    command = shlex.split(service["ExecStart"])
    assert command[0].startswith("/") and Path(command[0]).name == "planner"
    serve_at = command.index("serve")
    options = {o for p in serve_cmd.params for o in p.opts}
    assert all(a in options for a in command[serve_at + 1 :] if a.startswith("-"))
    assert command[command.index("--host") + 1] == "127.0.0.1"  # only the proxy reaches it


def test_the_unit_stops_with_sigterm_after_requests_in_flight_can_finish() -> None:
    service = _unit()["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > HttpLimits().graceful_seconds
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"
