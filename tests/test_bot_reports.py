"""`/planner digest`, `status`, `forecast`, `push`'s refusals and `help`, as `planner chat` runs
them on the demo seller (console mode: no Slack), and help checked against the commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_support import fixture_console_config  # noqa: F401  (a fixture)
from cli_support import run_joined as run

from bot.commands import COMMANDS, help_reply
from bot.roles import Role
from planner.bootstrap import build_app
from planner.services.digest import DIGEST_ACTION, last_snapshot


def actions(config: Path) -> list[str]:
    app = build_app(config)
    try:
        with app.uow() as uow:
            return [a.action for a in uow.audit.list(limit=1000)]
    finally:
        app.close()


# --- digest -------------------------------------------------------------------------------------


def test_digest_on_demand_shows_todays_digest_and_leaves_the_daily_one_unsent(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner digest")

    assert code == 0, out
    assert "Daily digest" in out and "Stockout risks" in out and "Running out soonest" in out
    assert "only you" in out and "in the channel" not in out, "a viewer gets it privately"
    done = actions(config)
    assert DIGEST_ACTION not in done and "slack.command.digest" in done
    app = build_app(config)
    try:
        with app.uow() as uow:
            assert last_snapshot(uow) is None, "the daily digest still has no baseline"
    finally:
        app.close()

    code, out = run(capsys, config, "digest")  # the daily digest, sent afterwards, is recorded
    assert code == 0 and actions(config).count(DIGEST_ACTION) == 1


# --- status -------------------------------------------------------------------------------------


def test_status_without_runs_says_how_to_start_one(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner status")
    assert code == 0, out
    assert "No runs yet" in out and "Next scheduled runs" in out and "planner serve" in out


def test_status_shows_the_run_planner_run_made_with_its_steps(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Steps left out on purpose hold nothing back: the plan is made on the data as it is.
    code, out = run(capsys, config, "run", "--skip", "sync", "--skip", "publish")
    assert code == 0, out

    code, out = run(capsys, config, "chat", "/planner status")

    assert code == 0, out
    assert re.search(r"Run 1 \(cli, started [\d-]+ [\d:]+ UTC.*\): ok", out), out
    assert re.search(r"plan\s+ok", out) and re.search(r"digest\s+ok", out)
    assert not re.search(r"^sync\s", out, re.MULTILINE)  # left out: not a step of the run
    code, out = run(capsys, config, "chat", "/planner status eleven")
    assert code == 1 and "not a number of runs" in out and "Traceback" not in out


# --- forecast -----------------------------------------------------------------------------------


def test_forecast_shows_months_per_warehouse_and_saves_the_chart(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner forecast TEA-0001")

    assert code == 0, out
    assert "TEA-0001: forecast per month" in out
    tables = re.findall(r"^(FBA-\w+|IP-\w+|FBM-\w+) \(", out, re.MULTILINE)
    assert len(tables) >= 2, "every warehouse with a forecast"
    assert len(re.findall(r"^\d{4}-\d{2}\s+[\d,.]+\s+[\d,.]+", out, re.MULTILINE)) >= 12 * 2
    chart = config.parent / "charts" / "TEA-0001-forecast.png"
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_forecast_takes_sku_and_warehouse_in_any_case(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner forecast tea-0001 fba-us")

    assert code == 0, out
    assert re.findall(r"^(\S+) \(\w+\)$", out, re.MULTILINE) == ["FBA-US"]


def test_forecast_of_an_unknown_sku_or_warehouse_says_what_exists(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner forecast TEA-008")
    assert code == 1 and "Did you mean" in out and "TEA-0008" in out  # not found: a refusal

    code, out = run(capsys, config, "chat", "/planner forecast TEA-0001 FBA-XX")
    assert code == 1 and "unknown warehouse 'FBA-XX'" in out and "FBA-US" in out
    assert "Traceback" not in out


# --- push: refusals that need no Amazon -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/planner push PO-9999", ["no order PO-9999", "/planner orders open"]),
        ("/planner push PO-1001", ["goes to IP-MAIN, not to an FBA warehouse"]),
        ("/planner push TO-1002 sideways", ["neither split nor no-split", "no-split"]),
        ("/planner push", ["name the order"]),
    ],
)
def test_push_refuses_what_cannot_go_to_amazon_and_says_why(
    config: Path, capsys: pytest.CaptureFixture[str], text: str, says: list[str]
) -> None:
    code, out = run(capsys, config, "chat", text)
    assert code == 1 and "Traceback" not in out
    for words in says:
        assert words in out, out


def test_push_of_a_cancelled_order_is_refused_and_changes_nothing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, config, "order", "edit", "TO-1002", "--cancel")[0] == 0

    code, out = run(capsys, config, "chat", "/planner push to-1002 no-split")

    assert code == 1 and "TO-1002 is cancelled" in out and "planner orders open" in out
    app = build_app(config)
    try:
        with app.uow() as uow:
            order = uow.orders.get("TO-1002")
            assert order.amazon is None and order.status.value == "cancelled"
    finally:
        app.close()


# --- help ---------------------------------------------------------------------------------------


def help_lines() -> dict[str, str]:
    """Each help line by the subcommand it names."""
    text = "\n".join(
        b["text"]["text"] for b in help_reply("/planner").blocks if b["type"] == "section"
    )
    return {m.group(1): m.group(0) for m in re.finditer(r"^`/planner ([\w-]+)[^\n]*", text, re.M)}


def test_help_names_every_command_and_nothing_else() -> None:
    lines = help_lines()
    assert set(lines) == set(COMMANDS)
    for name in ("digest", "status", "push", "forecast"):
        assert name in lines


def test_help_labels_only_the_commands_some_may_not_run() -> None:
    for name, line in help_lines().items():
        role = COMMANDS[name].role
        labels = re.findall(r"_\((\w+) only\)_", line)
        assert labels == ([f"{role.label}s"] if role > Role.VIEWER else []), line
        assert "none" not in " ".join(labels)
    assert "_(approvers only)_" in help_lines()["push"]
    assert "only to you" in help_lines()["digest"]
