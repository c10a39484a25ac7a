"""The Bolt app: built by a factory from the services; nothing is made at import time.

Every listener acknowledges within Slack's 3 seconds (the ack does no I/O) and does its work in
a lazy listener on the bot's thread pool; answers go through response_url or chat.update.
`process_before_response` keeps acks in the request thread, so busy workers never delay one.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from bot.actions import ActionId
from bot.core import Bot
from bot.errors import explain
from bot.handling import Press
from bot.replies import Caller
from bot.services import BotServices
from bot.slack import SlackDelivery, make_client
from planner.config import SlackSettings
from planner.domain.errors import ConfigError, PlannerError

log = logging.getLogger("planner.bot")

COMMAND = "/planner"
# Answers are built under one GIL: more threads for them only slow the acks down. Work that
# waits on the review sheet or Amazon (approve, sync, save to Amazon) has workers of its own.
QUICK_WORKERS = 2
SLOW_WORKERS = 4


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def build_app(
    services: BotServices,
    settings: SlackSettings,
    *,
    client: WebClient | None = None,
    token_verification: bool = True,
    command: str = COMMAND,
) -> App:
    """The Bolt app for planner: `/planner` and its buttons, one error handler."""
    signing_secret = _secret(settings.signing_secret)
    if settings.mode == "http" and not signing_secret:
        raise ConfigError(
            f"[slack] mode = 'http' needs the signing secret in {settings.signing_secret_env}"
        )
    if client is None:
        base = str(settings.api_base_url) if settings.api_base_url else None
        client = make_client(_secret(settings.bot_token), base_url=base)
    token = client.token
    if token_verification:
        check_token(client, settings.bot_token_env)

    def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        # One workspace, one bot token: no auth.test per request (nor a stand-in that lacks it).
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token
        )

    app = App(
        name="planner",
        # Bolt copies this client (base URL, timeout, retry handlers) for every request and
        # gives the copy the token `authorize` returns.
        client=make_client(None, base_url=client.base_url),
        authorize=authorize,
        signing_secret=signing_secret or "",
        request_verification_enabled=settings.mode != "socket",
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(QUICK_WORKERS, thread_name_prefix="planner-bot"),
    )
    bot = Bot(services, command=command)
    slow = ThreadPoolExecutor(SLOW_WORKERS, thread_name_prefix="planner-bot-slow")
    register(app, bot, command, slow=slow)
    return app


# auth.test errors that mean the token itself is wrong (others: Slack or a stand-in is unusual).
BAD_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


def check_token(client: WebClient, variable: str) -> None:
    """Fail fast on a token Slack refuses; only warn when auth.test itself cannot answer."""
    try:
        client.auth_test()
    except SlackApiError as exc:
        code = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
        if code in BAD_TOKEN:
            raise ConfigError(
                f"Slack did not accept the bot token (auth.test: {code})",
                hint=f"check {variable} (xoxb-…) and that the app is installed",
            ) from None
        log.warning("auth.test answered %s; going on without checking the token", code)
    except OSError as exc:
        raise PlannerError(
            f"cannot reach Slack at {client.base_url} ({exc})",
            hint="check the network, or [slack] api_base_url",
        ) from None


def register(app: App, bot: Bot, slash: str, *, slow: Executor) -> None:
    """Attach the listeners and the error handler to a Bolt app."""

    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        answer = bot.ack(command.get("text", ""))
        if answer.reply is None:
            ack()
        else:
            ack(
                text=answer.reply.text,
                blocks=answer.reply.blocks or None,
                response_type="ephemeral",
            )

    def run_command(command: dict[str, Any], client: WebClient) -> None:
        caller = Caller(command["user_id"], command.get("user_name", ""), command.get("channel_id"))
        out = SlackDelivery(
            client,
            response_url=command.get("response_url"),
            channel_id=caller.channel_id,
            user_id=caller.user_id,
        )
        text = command.get("text", "")
        if bot.slow_command(text):
            slow.submit(bot.run_command, caller, text, out)
        else:
            bot.run_command(caller, text, out)

    def ack_action(ack: Ack) -> None:
        ack()

    def run_action(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        value = action.get("value") or (action.get("selected_option") or {}).get("value")
        blocks = (body.get("message") or {}).get("blocks") or []
        caller = Caller(user.get("id", ""), user.get("username") or user.get("name", ""), channel)
        out = SlackDelivery(
            client,
            response_url=body.get("response_url"),
            channel_id=channel,
            user_id=caller.user_id,
            interactive=True,
        )
        press = Press(action.get("action_id", ""), value, blocks)
        if bot.slow_action(press.action_id):
            slow.submit(bot.run_action, caller, press, out)
        else:
            bot.run_action(caller, press, out)

    def on_error(error: Exception) -> BoltResponse:
        # The one error handler: the same translation the lazy work uses (bot.errors.explain).
        reply = explain(error)
        body = {"response_type": "ephemeral", "text": reply.text, "blocks": reply.blocks}
        return BoltResponse(
            status=200, body=json.dumps(body), headers={"content-type": "application/json"}
        )

    app.command(slash)(ack=ack_command, lazy=[run_command])
    app.action(ActionId.pattern())(ack=ack_action, lazy=[run_action])
    app.error(on_error)
