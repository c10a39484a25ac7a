"""Every interactive element's action id, and the values buttons carry, parsed into dataclasses.

Slack wants action ids unique within a message, so a row's button appends ":<n>" to its id;
`ActionId.of` strips it. Values are short query strings (`p=12&k=...`): a button's value may be
2,000 characters, a select option's 150.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import ClassVar, Self
from urllib.parse import parse_qs, urlencode

from planner.domain.errors import InvalidInput

STALE = "this button is out of date; run the command again"


class ActionId(enum.StrEnum):
    APPROVE_START = "planner.approve.start"
    APPROVE_CONFIRM = "planner.approve.confirm"
    APPROVE_CANCEL = "planner.approve.cancel"
    PUSH_SPLIT = "planner.push.split"
    PUSH_NO_SPLIT = "planner.push.no_split"
    SET_SOURCE = "planner.orders.set_source"
    CREATE_TRANSFER = "planner.transfers.create"
    SHOW_SKU = "planner.sku.show"
    OPEN_SHEET = "planner.sheet.open"  # a link button: Slack opens the URL, we only ack

    def for_row(self, n: int) -> str:
        """The id of this action on row n of a message (ids must be unique in a message)."""
        return f"{self.value}:{n}"

    @classmethod
    def of(cls, action_id: str) -> ActionId:
        """The action an element id stands for (row suffix removed)."""
        try:
            return cls(action_id.split(":", 1)[0])
        except ValueError:
            raise InvalidInput(f"unknown action {action_id!r}", hint=STALE) from None

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """Matches every action id planner sends, with or without a row suffix."""
        names = "|".join(re.escape(a.value) for a in cls)
        return re.compile(rf"^(?:{names})(?::\d+)?$")


class Value:
    """Base of button values: encoded as a query string, parsed back with checks."""

    fields: ClassVar[tuple[str, ...]] = ()

    def encode(self) -> str:
        return urlencode([(name, str(getattr(self, name))) for name in self.fields])

    @classmethod
    def parse(cls, raw: str | None) -> Self:
        try:
            data = {k: v[0] for k, v in parse_qs(raw or "", strict_parsing=True).items()}
            return cls._build(data)
        except (KeyError, ValueError, TypeError):
            raise InvalidInput("this button's value is not one planner made", hint=STALE) from None

    @classmethod
    def _build(cls, data: dict[str, str]) -> Self:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ApproveTicket(Value):
    """A previewed approval: the plan, a fingerprint of the preview, and a one-time nonce."""

    plan_id: int
    fingerprint: str
    nonce: str
    reorder: bool = False  # Order again: rows already ordered get a second order
    fields: ClassVar[tuple[str, ...]] = ("plan_id", "fingerprint", "nonce")

    def encode(self) -> str:
        extra = "&reorder=1" if self.reorder else ""
        return Value.encode(self) + extra

    @classmethod
    def _build(cls, data: dict[str, str]) -> Self:
        if data.get("reorder", "0") not in ("0", "1"):
            raise ValueError("reorder")
        return cls(
            int(data["plan_id"]), _token(data["fingerprint"]), _token(data["nonce"]),
            data.get("reorder") == "1",
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PushRequest(Value):
    order: str
    split: bool
    fields: ClassVar[tuple[str, ...]] = ("order", "split")

    def encode(self) -> str:
        return urlencode({"order": self.order, "split": "1" if self.split else "0"})

    @classmethod
    def _build(cls, data: dict[str, str]) -> Self:
        if data["split"] not in ("0", "1"):
            raise ValueError("split")
        return cls(_order(data["order"]), data["split"] == "1")


@dataclass(frozen=True, slots=True)
class SourceChoice(Value):
    """A select option: this source (vendor or warehouse) for this order."""

    order: str
    source: str
    fields: ClassVar[tuple[str, ...]] = ("order", "source")

    @classmethod
    def _build(cls, data: dict[str, str]) -> Self:
        source = data["source"].strip()
        if not source:
            raise ValueError("source")
        return cls(_order(data["order"]), source)


@dataclass(frozen=True, slots=True)
class TransferPick(Value):
    plan_id: int
    key: str
    fields: ClassVar[tuple[str, ...]] = ("plan_id", "key")

    @classmethod
    def _build(cls, data: dict[str, str]) -> Self:
        if not data["key"].startswith("TO:"):
            raise ValueError("key")
        return cls(int(data["plan_id"]), data["key"])


@dataclass(frozen=True, slots=True)
class SkuPick(Value):
    sku: str
    fields: ClassVar[tuple[str, ...]] = ("sku",)

    @classmethod
    def _build(cls, data: dict[str, str]) -> Self:
        if not data["sku"].strip():
            raise ValueError("sku")
        return cls(data["sku"].strip())


def _token(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{4,64}", text):
        raise ValueError("token")
    return text


def _order(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", text):
        raise ValueError("order")
    return text
