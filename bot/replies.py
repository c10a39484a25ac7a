"""What a command or a button answers, apart from how it is delivered (Slack or the terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chart:
    """An image to upload next to an answer (files_upload_v2 in Slack, a file in the console)."""

    png: bytes
    filename: str
    title: str


@dataclass(frozen=True, slots=True)
class Document:
    """A file to share next to an answer, such as a purchase order's PDF (files_upload_v2 in
    Slack, a file under planner-data/documents/ in the console)."""

    content: bytes
    filename: str
    title: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A message: fallback text, Block Kit blocks, who sees it and whether it replaces the last."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    public: bool = False  # in the channel for everyone; else only the person who asked
    replace: bool = False  # replace the message whose button was pressed


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asked, and where."""

    user_id: str
    user_name: str = ""
    channel_id: str | None = None
    origin: str = "slack"

    @property
    def actor(self) -> str:
        """How the audit log and created orders name the person."""
        return f"{self.origin}:{self.user_id}" if self.origin == "slack" else self.user_id

    @property
    def mention(self) -> str:
        return f"<@{self.user_id}>" if self.origin == "slack" else self.user_id


class Delivery(Protocol):
    """Where answers go: Slack (response_url, Web API) or the terminal."""

    def reply(self, reply: Reply) -> None:
        """Answer the person (ephemeral unless public; replacing the pressed message if asked)."""
        ...

    def post(self, reply: Reply) -> str | None:
        """A new message in the channel; a handle to update it, or None if it cannot be posted."""
        ...

    def update(self, handle: str, reply: Reply) -> bool:
        """Replace a message posted with `post` (its blocks too); False if it could not be."""
        ...

    def upload(self, chart: Chart, *, comment: str) -> str | None:
        """Share an image in the channel; where it went, or None if it could not be shared."""
        ...

    def upload_document(self, document: Document, *, comment: str) -> str | None:
        """Share a document in the channel; where it went, or None if it could not be shared."""
        ...
