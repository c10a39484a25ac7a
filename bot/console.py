"""Messages in the terminal: `[slack] mode = "console"` and `planner chat` render blocks here."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from bot.blocks.digest import digest_blocks, digest_thread
from bot.digest_chart import cover_chart_file
from bot.replies import Block, Chart, Document, Reply
from planner.ports import DigestSummary

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9]+)>")


def plain_text(mrkdwn: str) -> str:
    """mrkdwn as a terminal shows it: links and mentions spelled out, markers dropped."""
    text = _LINK.sub(r"\2 (\1)", mrkdwn)
    text = _MENTION.sub(r"@\1", text)
    text = text.replace("```", "")
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _element(element: dict[str, Any]) -> list[str]:
    kind = element.get("type")
    if kind == "button":
        label = element.get("text", {}).get("text", "")
        if element.get("url"):
            return [f"[{label}] {element['url']}"]
        value = element.get("value", "")
        return [f"[{label}]  planner chat --press {element['action_id']} --value '{value}'"]
    if kind == "static_select":
        lines = [f"[{element.get('placeholder', {}).get('text', 'choose')}]"]
        for option in element.get("options", []):
            lines.append(
                f"    {option['text']['text']}:  planner chat --press {element['action_id']} "
                f"--value '{option['value']}'"
            )
        return lines
    return [f"[{kind}]"]


def render_blocks(blocks: Sequence[Block]) -> list[str]:
    """Each block as terminal lines (pure: testable without a console)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * min(len(title), 80)]
        elif kind == "section":
            if block.get("text", {}).get("text"):
                lines += plain_text(block["text"]["text"]).splitlines()
            for f in block.get("fields", []):
                lines.append("  " + plain_text(f["text"]).replace("\n", ": ", 1))
            if "accessory" in block:
                lines += ["    " + x for x in _element(block["accessory"])]
        elif kind == "context":
            lines.append("  " + " ".join(plain_text(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines += ["  " + x for e in block["elements"] for x in _element(e)]
    return lines


class ConsoleDelivery:
    """Answers printed to the terminal; charts saved as files."""

    def __init__(self, console: Console, chart_dir: Path, document_dir: Path | None = None) -> None:
        self.console = console
        self.chart_dir = chart_dir
        # Beside the charts: planner-data/documents/ when the charts go to planner-data/charts/.
        self.document_dir = document_dir or chart_dir.parent / "documents"
        self._handles = itertools.count(1)
        self.replies: list[Reply] = []

    def show(self, reply: Reply, tag: str) -> None:
        """Print a message under a tag saying who sees it."""
        self.replies.append(reply)
        self.console.print(Text(f"── {tag} ", style="dim"))
        for line in render_blocks(reply.blocks) if reply.blocks else [reply.text]:
            self.console.print(Text(line), soft_wrap=True)

    def reply(self, reply: Reply) -> None:
        self.show(reply, "in the channel" if reply.public else "only you")

    def post(self, reply: Reply) -> str | None:
        handle = f"console|{next(self._handles)}"
        self.show(reply, "in the channel")
        return handle

    def update(self, handle: str, reply: Reply) -> bool:
        self.show(reply, "message updated")
        return True

    def upload(self, chart: Chart, *, comment: str) -> str | None:
        self.chart_dir.mkdir(parents=True, exist_ok=True)
        path = self.chart_dir / chart.filename
        path.write_bytes(chart.png)
        self.console.print(Text(f"── chart: {chart.title}: {path}", style="dim"))
        return str(path)

    def upload_document(self, document: Document, *, comment: str) -> str | None:
        self.document_dir.mkdir(parents=True, exist_ok=True)
        path = self.document_dir / Path(document.filename).name
        path.write_bytes(document.content)
        self.console.print(Text(f"── document: {document.title}: {path}", style="dim"))
        return str(path)


class ConsoleNotifier:
    """The digest printed instead of posted (`[slack] mode = "console"`)."""

    def __init__(self, console: Console, chart_dir: Path = Path("charts")) -> None:
        self.console = console
        self.chart_dir = chart_dir

    def send_digest(self, summary: DigestSummary) -> str:
        delivery = ConsoleDelivery(self.console, self.chart_dir)
        delivery.post(Reply("digest", digest_blocks(summary)))
        for blocks in digest_thread(summary):
            delivery.show(Reply("thread", blocks), "in the thread")
        chart = cover_chart_file(summary)
        if chart is not None:
            delivery.upload(chart, comment="")
        return "console"
