"""Slack's side of delivery: the Web API client (retries bounded), response_url, the digest.

Slack behaviours relied on here are cited in docs/slack-behaviour.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from bot.blocks.digest import digest_blocks, digest_text, digest_thread
from bot.digest_chart import cover_chart_file
from bot.replies import Chart, Document, Reply
from planner.domain.errors import PlannerError
from planner.ports import DigestSummary

log = logging.getLogger("planner.bot.slack")

SLACK_API = "https://slack.com/api/"
TIMEOUT_SECONDS = 15
RETRIES = 2  # per call, after the first try: 429s wait Retry-After, 5xx and resets retry once more
# A response_url takes 5 answers within 30 minutes of the request; the rest go by the Web API.
# The minute kept back covers the time between Slack's request and this delivery's start.
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60 - 60


def retry_handlers() -> list[RetryHandler]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        ServerErrorRetryHandler(max_retry_count=RETRIES),
    ]


def make_client(token: str | None, *, base_url: str | None = None) -> WebClient:
    """A Web API client for planner's bot token, pointed at Slack or a stand-in."""
    url = base_url or SLACK_API
    if not url.endswith("/"):
        url += "/"
    client = WebClient(token=token, base_url=url, timeout=TIMEOUT_SECONDS)
    client.retry_handlers = retry_handlers()
    return client


def _message(reply: Reply) -> dict[str, Any]:
    body: dict[str, Any] = {"text": reply.text}
    if reply.blocks:
        body["blocks"] = reply.blocks
    return body


def _replacement(reply: Reply) -> dict[str, Any]:
    """chat.update's arguments: blocks always sent, since Slack keeps those left out."""
    return {"text": reply.text, "blocks": list(reply.blocks)}


class SlackDelivery:
    """Answers for one request: response_url for the person, the Web API for the channel.

    The response_url is used at most 5 times and for under 30 minutes (Slack's limits); later
    answers, and any the response_url refuses, go by chat.postMessage (public) or
    chat.postEphemeral (private, to the person) in the request's channel.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        response_url: str | None,
        channel_id: str | None,
        user_id: str,
        interactive: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.response_url = response_url
        self.channel_id = channel_id
        self.user_id = user_id
        self.interactive = interactive
        self.clock = clock
        self.started = clock()
        self.response_url_uses = 0

    def reply(self, reply: Reply) -> None:
        if self.response_url_usable() and self._respond(reply):
            return
        if self.channel_id is None:
            log.warning("no response_url and no channel: an answer to %s was dropped", self.user_id)
            return
        if reply.public:
            self.client.chat_postMessage(channel=self.channel_id, **_message(reply))
        else:
            self.client.chat_postEphemeral(
                channel=self.channel_id, user=self.user_id, **_message(reply)
            )

    def response_url_usable(self) -> bool:
        """Whether Slack still takes an answer at the response_url (uses and age)."""
        if not self.response_url or self.response_url_uses >= RESPONSE_URL_USES:
            return False
        return self.clock() - self.started < RESPONSE_URL_SECONDS

    def _respond(self, reply: Reply) -> bool:
        """Answer at the response_url; False when Slack refused the URL (use the Web API)."""
        assert self.response_url is not None
        body = _message(reply)
        body["response_type"] = "in_channel" if reply.public else "ephemeral"
        if self.interactive or reply.replace:
            # Slack's default for a button's response_url is to answer in the channel and
            # keep the original; say both explicitly.
            body["replace_original"] = reply.replace
        webhook = WebhookClient(
            self.response_url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers()
        )
        self.response_url_uses += 1
        try:
            response = webhook.send_dict(body)
        except OSError as exc:
            log.warning("response_url unreachable (%s); answering by the Web API", exc)
            return False
        if response.status_code == 200:
            return True
        log.warning("response_url answered %s: %s", response.status_code, response.body)
        # 400: the message itself is wrong, and the Web API would refuse it as well.
        return response.status_code == 400

    def post(self, reply: Reply) -> str | None:
        if self.channel_id is None:
            return None
        try:
            answer = self.client.chat_postMessage(channel=self.channel_id, **_message(reply))
        except SlackApiError as exc:
            log.warning("could not post in %s: %s", self.channel_id, exc.response.get("error"))
            return None
        return f"{answer['channel']}|{answer['ts']}"

    def update(self, handle: str, reply: Reply) -> bool:
        """Replace the message's text and blocks; a Slack error is logged and answers False."""
        channel, ts = handle.split("|", 1)
        try:
            self.client.chat_update(channel=channel, ts=ts, **_replacement(reply))
        except SlackApiError as exc:
            log.warning("could not update %s in %s: %s", ts, channel, exc.response.get("error"))
            return False
        except OSError as exc:
            log.warning("could not update %s in %s: %s", ts, channel, exc)
            return False
        return True

    def upload(self, chart: Chart, *, comment: str) -> str | None:
        return self._upload(chart.png, chart.filename, chart.title, comment)

    def upload_document(self, document: Document, *, comment: str) -> str | None:
        return self._upload(document.content, document.filename, document.title, comment)

    def _upload(self, content: bytes, filename: str, title: str, comment: str) -> str | None:
        """files_upload_v2 into the channel; a Slack error is logged and answered with None."""
        if self.channel_id is None:
            return None
        try:
            answer = self.client.files_upload_v2(
                channel=self.channel_id,
                content=content,
                filename=filename,
                title=title,
                initial_comment=comment,
            )
        except SlackApiError as exc:
            log.warning("could not upload %s: %s", filename, exc.response.get("error"))
            return None
        files = answer.get("files") or [{}]
        return str(files[0].get("id", "")) or "uploaded"


class SlackNotifier:
    """The digest in the configured channel, its details as replies in the thread."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self.client = client
        self.channel = channel

    def send_digest(self, summary: DigestSummary) -> str:
        try:
            head = self.client.chat_postMessage(
                channel=self.channel, text=digest_text(summary), blocks=digest_blocks(summary)
            )
            channel, ts = str(head["channel"]), str(head["ts"])
            for blocks in digest_thread(summary):
                self.client.chat_postMessage(
                    channel=channel, thread_ts=ts, text=digest_text(summary), blocks=blocks
                )
            self._upload_cover(summary, channel, ts)
        except SlackApiError as exc:
            code = exc.response.get("error", "unknown")
            raise PlannerError(
                f"Slack refused the digest for {self.channel} ({code})",
                hint="invite the planner app to the channel, or fix [slack] digest_channel"
                if code in ("not_in_channel", "channel_not_found")
                else "check the bot token and try again",
            ) from None
        return f"{channel}|{ts}"

    def _upload_cover(self, summary: DigestSummary, channel: str, ts: str) -> None:
        """The stock-cover chart in the digest's thread; the digest stands without it."""
        chart = cover_chart_file(summary)
        if chart is None:
            return
        try:
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                content=chart.png,
                filename=chart.filename,
                title=chart.title,
            )
        except SlackApiError as exc:
            log.warning("could not upload %s: %s", chart.filename, exc.response.get("error"))
