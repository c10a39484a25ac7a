"""Small Block Kit pieces, and Slack's limits (3,000 characters a text, 50 blocks a message)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.replies import Block

MAX_TEXT = 3000
MAX_BLOCKS = 50
MAX_OPTIONS = 100
MAX_OPTION_VALUE = 150
# A confirmation dialog's limits (Block Kit's confirmation dialog object).
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
_ENTITY_START = re.compile(r"&[a-z]{0,3}$")


def esc(text: object) -> str:
    """Text safe inside mrkdwn: Slack's three control characters escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn within `limit` characters, never cutting an entity (`&amp;`) in half."""
    if len(text) <= limit:
        return text
    return _ENTITY_START.sub("", text[: limit - 1]) + "…"


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text)}


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def section(text: str, *, accessory: Block | None = None, fields: Sequence[str] = ()) -> Block:
    block: Block = {"type": "section"}
    if text or not fields:  # Slack refuses an empty text; fields alone are fine
        block["text"] = md(text or " ")
    if fields:
        block["fields"] = [md(clip(f, 2000)) for f in fields[:10]]
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [md(t) for t in texts[:10] if t]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    url: str | None = None,
    confirm: Block | None = None,
) -> Block:
    element: Block = {"type": "button", "text": plain(text), "action_id": action_id}
    if value is not None:
        element["value"] = value[:2000]
    if style in ("primary", "danger"):
        element["style"] = style
    if url:
        element["url"] = url
    if confirm:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, *, yes: str = "Yes", no: str = "Cancel") -> Block:
    """A button's "are you sure?" within Slack's limits: long names are cut with an ellipsis."""
    return {
        "title": plain(title, CONFIRM_TITLE),
        "text": {"type": "mrkdwn", "text": clip_mrkdwn(text, CONFIRM_TEXT)},
        "confirm": plain(yes, CONFIRM_BUTTON),
        "deny": plain(no, CONFIRM_BUTTON),
    }


def static_select(placeholder: str, action_id: str, options: Sequence[tuple[str, str]]) -> Block:
    """A select; options are (label, value), at most 100, values at most 150 characters."""
    return {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, 150),
        "options": [
            {"text": plain(label), "value": value}
            for label, value in options[:MAX_OPTIONS]
            if len(value) <= MAX_OPTION_VALUE
        ],
    }


def num(value: float) -> str:
    return f"{value:,.0f}"


def money(value: float) -> str:
    return f"{value:,.2f}"


def day(value: date | None) -> str:
    return value.isoformat() if value else "–"


def cover(days: float | None) -> str:
    if days is None:
        return "∞"
    return f"{days:.0f}d"


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Monospace lines of a table, columns padded (for a ``` block)."""
    cells = [[str(c) for c in columns], *[["" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]


def code_sections(lines: Sequence[str]) -> list[Block]:
    """Lines in ``` sections, split so no section passes Slack's text limit."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = esc(clip(line, 300))
        if chunk and size + len(line) + 1 > MAX_TEXT - 10:
            blocks.append(section("```" + "\n".join(chunk) + "```"))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("```" + "\n".join(chunk) + "```"))
    return blocks


def cap(blocks: list[Block], *, note: str = "more in the review sheet") -> list[Block]:
    """At most 50 blocks: the tail becomes one line saying what was left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context(f"…{len(blocks) - len(kept)} more block(s) left out; {note}")]


def sheet_url(location: str | None) -> str | None:
    """A link people can open for the review sheet, when it is a Google Sheet."""
    if location and location.startswith("google-sheet:"):
        key = location.split(":", 1)[1]
        return f"https://docs.google.com/spreadsheets/d/{key}/edit"
    if location and location.startswith(("https://", "http://")):
        return location
    return None
