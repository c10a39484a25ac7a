"""The bot without Slack: `planner chat` runs any command here; console mode prints the digest."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from cli_support import fixture_console_config  # noqa: F401  (a fixture)
from cli_support import run_joined as run


def test_chat_runs_a_command_and_saves_the_chart(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner sku TEA-0008")
    assert code == 0, out
    assert "TEA-0008" in out and "Stock by warehouse" in out and "Forecast and cover" in out
    chart = config.parent / "charts" / "TEA-0008-forecast.png"
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_chat_approves_by_pressing_the_button_it_printed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    book = load_workbook(config.parent / "review.xlsx")
    ws = book["Purchases"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("Approve") + 1, value=True)
    book.save(config.parent / "review.xlsx")

    code, preview = run(capsys, config, "chat", "/planner approve")
    assert code == 0 and "Confirm creates 1 order(s)" in preview
    press = re.search(r"planner chat (--press planner\.approve\.confirm --value '[^']+')", preview)
    assert press is not None
    code, done = run(capsys, config, "chat", *shlex.split(press.group(1)))
    assert code == 0 and "created 1 order(s)" in done
    code, again = run(capsys, config, "chat", *shlex.split(press.group(1)))
    assert "already" in again  # a second press creates nothing


def test_chat_says_what_is_wrong_and_exits_non_zero(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner receive PO-9999")
    assert code == 1 and "PO-9999" in out and "Traceback" not in out
    code, out = run(capsys, config, "chat", "/planner dance")
    assert code == 1 and "unknown subcommand 'dance'" in out and "reorder" in out
    code, out = run(capsys, config, "chat", "/planner sku TEA-00088")  # no such SKU: suggestions
    assert code == 1 and "No SKU is exactly TEA-00088" in out and "TEA-0008" in out
    code, out = run(capsys, config, "chat", "/planner receive")  # bad input
    assert code == 1 and "Traceback" not in out
    code, out = run(capsys, config, "chat", "/planner help")  # answered
    assert code == 0 and "reorder" in out


def test_console_mode_prints_the_digest_instead_of_posting(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "digest")
    assert code == 0, out
    assert "Daily digest" in out and "in the thread" in out and "Stockout risks" in out
    code, out = run(capsys, config, "digest", "--json")
    data = json.loads(out)
    assert data["stockout_risks"] and data["plan_id"] == 1


def test_serve_in_console_mode_without_scheduler_explains_there_is_nothing_to_serve(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "serve", "--no-scheduler")
    assert code == 2 and "nothing to serve" in out and "planner chat" in out
