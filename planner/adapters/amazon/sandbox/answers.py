"""What every sandbox operation shares: its answer, errors, SP-API timestamps and page tokens."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Protocol

from planner.adapters.amazon.sandbox.seller import Account, SandboxSeller
from planner.adapters.amazon.sandbox.settings import Fault, SandboxSettings, SandboxStats

Answer = tuple[int, Any]


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"errors": [{"code": code, "message": message, "details": ""}]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(repr(sorted(data.items())).encode()).decode()


class SandboxHost(Protocol):
    """What the operations use of the sandbox serving them (server.AmazonSandbox): its seller,
    settings, counts, injected faults and address."""

    seller: SandboxSeller
    settings: SandboxSettings
    stats: SandboxStats

    @property
    def url(self) -> str: ...

    def fault_for(self, operation: str, kinds: tuple[str, ...]) -> Fault | None: ...


class OperationsBase:
    """Mixed into the sandbox's Operations, which sets these up; the mixins answer by feature."""

    sandbox: SandboxHost
    seller: SandboxSeller
    pages: dict[str, dict[str, Any]]

    def _allowed(self, account: Account, marketplace_ids: list[str]) -> Answer | None:
        outside = [m for m in marketplace_ids if m not in account.marketplace_ids]
        if outside:
            return _error(400, "InvalidInput", f"Invalid marketplaceIds: {', '.join(outside)}.")
        return None
