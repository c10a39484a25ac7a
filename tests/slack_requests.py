"""Slack's side of the bot's HTTP tests: requests as Slack sends them, signed with v0.

Payloads start from ../shared/slack/examples (Slack's own test data) when it is there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "slack" / "examples"

_SLASH_FALLBACK = {
    "token": "verification_token", "team_id": "T111", "team_domain": "test-domain",
    "channel_id": "C111", "channel_name": "random", "user_id": "W111",
    "user_name": "primary-owner", "command": "/hello-world", "text": "Hi",
    "response_url": "https://hooks.slack.com/commands/T111/111/xxxxx", "trigger_id": "111.111.xxx",
}  # fmt: skip


def example(name: str) -> Any:
    """A payload from ../shared/slack/examples (Slack's own test data), if it is there."""
    path = EXAMPLES / name
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`, hex, prefixed `v0=`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_fields(
    text: str, *, user: str, response_url: str, channel: str = "C111"
) -> dict[str, str]:
    """A `/planner` slash command's fields (Socket Mode sends them as an envelope's payload)."""
    fields = dict(example("slash_command.request-body.decoded.json") or _SLASH_FALLBACK)
    fields.update(
        command="/planner", text=text, user_id=user, user_name=user.lower(),
        channel_id=channel, response_url=response_url,
    )  # fmt: skip
    return fields


def slash_body(text: str, *, user: str, response_url: str, channel: str = "C111") -> bytes:
    """A slash command's HTTP body, form-encoded as Slack posts it."""
    fields = slash_fields(text, user=user, response_url=response_url, channel=channel)
    return urlencode(fields).encode()


def action_body(
    action_id: str,
    value: str,
    *,
    user: str,
    response_url: str,
    channel: str = "C111",
    blocks: list[dict[str, Any]] | None = None,
    select: bool = False,
) -> bytes:
    """A block_actions HTTP body (`payload=<JSON>`), as Slack posts a button press."""
    payload = action_payload(
        action_id, value, user=user, response_url=response_url, channel=channel,
        blocks=blocks, select=select,
    )  # fmt: skip
    return ("payload=" + quote(json.dumps(payload))).encode()


def action_payload(
    action_id: str,
    value: str,
    *,
    user: str,
    response_url: str,
    channel: str = "C111",
    blocks: list[dict[str, Any]] | None = None,
    select: bool = False,
) -> dict[str, Any]:
    """A block_actions payload (button, or a static_select choice when select=True)."""
    payload = example("block_actions.button-in-bot-message.payload.json") or {
        "type": "block_actions", "team": {"id": "T111"}, "api_app_id": "A111",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": channel},
        "message": {"ts": "1.2", "blocks": []}, "state": {"values": {}},
    }  # fmt: skip
    payload = json.loads(json.dumps(payload))
    payload["user"] = {"id": user, "username": user.lower(), "team_id": "T111"}
    payload["channel"] = {"id": channel}
    payload["container"]["channel_id"] = channel
    payload["response_url"] = response_url
    payload["message"]["blocks"] = blocks or []
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "action_ts": "1.3"}
    if select:
        action.update(type="static_select", selected_option={"text": {}, "value": value})
    else:
        action.update(type="button", value=value, text={"type": "plain_text", "text": "x"})
    payload["actions"] = [action]
    return dict(payload)


@dataclass
class SlackSide:
    """Sends signed requests to the bot's /slack/events, as Slack does."""

    url: str
    secret: str

    def post(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[int, str, float]:
        """(status, body, seconds until the answer came)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        request = Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sign(secret or self.secret, ts, body),
            },
        )
        started = time.monotonic()
        try:
            with urlopen(request, timeout=10) as response:
                return response.status, response.read().decode(), time.monotonic() - started
        except HTTPError as exc:
            return exc.code, exc.read().decode(), time.monotonic() - started
