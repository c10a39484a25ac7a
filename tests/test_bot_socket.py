"""The bot over Socket Mode (`[slack] mode = "socket"`): `planner serve`'s wiring, slack_sdk's
built-in Socket Mode client, and a local Socket Mode server that the Web API stand-in's
apps.connections.open hands out. Slack sends envelopes; the bot must ack each within 3 s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bot_support import ADMIN, VIEWER, texts
from slack_requests import action_payload, slash_fields
from slack_standin import (
    APP_TOKEN_ENV,
    SECRET_ENV,
    TOKEN_ENV,
    Standin,
    demo_store,
    free_port,
    write_config,
)
from socket_standin import SocketStandin

from bot.actions import ActionId, SkuPick
from planner.bootstrap import App, build_app
from planner.commands.bot import start_serving
from planner.domain.errors import ConfigError

ACK_WITHIN = 3.0  # Slack retries an envelope that is not acknowledged in 3 seconds


@dataclass
class SocketBot:
    app: App
    standin: Standin
    socket: SocketStandin
    description: str


@pytest.fixture(name="socket_bot", scope="module")
def fixture_socket_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketBot]:
    """`planner serve` in socket mode: no signing secret, an app-level token, no port used.

    One connection for the module: closing slack_sdk's client waits out its receive timeout
    (about 3 s), and every test names its own response_url, so they do not see each other.
    """
    directory = tmp_path_factory.mktemp("socket")
    standin = Standin().start()
    socket = SocketStandin().start()
    standin.socket_url = socket.url
    demo_store(directory)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_ENV, standin.token)
        env.setenv(APP_TOKEN_ENV, standin.app_token)
        env.delenv(SECRET_ENV, raising=False)  # Socket Mode needs no signing secret
        app = build_app(write_config(directory, standin.api_url, port=free_port(), mode="socket"))
    serving = start_serving(app, scheduler=False)
    try:
        yield SocketBot(app, standin, socket, serving.description)
    finally:
        serving.stop()
        socket.stop()
        standin.stop()
        app.close()


def test_serve_connects_with_the_app_token_to_the_url_slack_hands_out(
    socket_bot: SocketBot,
) -> None:
    socket_bot.socket.wait_connected()
    assert "Socket Mode" in socket_bot.description
    (opened,) = socket_bot.standin.called("apps.connections.open")
    assert opened.token == socket_bot.standin.app_token  # never the bot token
    assert socket_bot.socket.connections == 1


def test_a_slash_command_is_acked_in_time_and_answered_at_its_response_url(
    socket_bot: SocketBot,
) -> None:
    standin, socket = socket_bot.standin, socket_bot.socket
    fields = slash_fields("orders open", user=VIEWER, response_url=standin.response_url("c1"))

    acked = socket.ack(socket.send("slash_commands", fields))

    assert acked.seconds < ACK_WITHIN
    (answer,) = standin.wait_for(lambda: standin.answers("c1"))
    assert "Open stock orders" in texts(answer) and answer["response_type"] == "ephemeral"
    assert not socket.unexpected


def test_help_comes_back_in_the_ack_itself(socket_bot: SocketBot) -> None:
    standin, socket = socket_bot.standin, socket_bot.socket
    fields = slash_fields("help", user=VIEWER, response_url=standin.response_url("h1"))

    acked = socket.ack(socket.send("slash_commands", fields))

    assert acked.seconds < ACK_WITHIN and acked.payload is not None
    for word in ("reorder", "sku", "approve", "sync"):
        assert word in texts(acked.payload)
    assert not standin.answers("h1")


def test_sync_by_an_admin_posts_one_channel_message_it_updates(socket_bot: SocketBot) -> None:
    standin, socket = socket_bot.standin, socket_bot.socket
    fields = slash_fields("sync", user=ADMIN, response_url=standin.response_url("s1"))
    before = len(standin.called("chat.postMessage"))

    assert socket.ack(socket.send("slash_commands", fields)).seconds < ACK_WITHIN

    posted = standin.wait_for(lambda: standin.called("chat.postMessage")[before:])
    assert posted[0].params["channel"] == "C111" and "sync started by" in str(posted[0].params)
    standin.wait_for(
        lambda: any(": done in" in texts(m) for m in standin.messages.values()), timeout=60
    )
    assert len(standin.called("chat.postMessage")) == before + 1  # one message, updated
    updates = standin.called("chat.update")
    assert updates and len({u.params["ts"] for u in updates}) == 1


def test_a_button_press_is_acked_and_answered(socket_bot: SocketBot) -> None:
    standin, socket = socket_bot.standin, socket_bot.socket
    payload = action_payload(
        ActionId.SHOW_SKU.for_row(0), SkuPick("TEA-0008").encode(), user=VIEWER,
        response_url=standin.response_url("b1"),
    )  # fmt: skip

    assert socket.ack(socket.send("interactive", payload)).seconds < ACK_WITHIN

    (shown,) = standin.wait_for(lambda: standin.answers("b1"))
    assert "TEA-0008" in shown["blocks"][0]["text"]["text"]


def test_serve_refuses_an_app_token_slack_does_not_accept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin, socket = Standin().start(), SocketStandin().start()
    standin.socket_url = socket.url
    demo_store(tmp_path)
    monkeypatch.setenv(TOKEN_ENV, standin.token)
    monkeypatch.setenv(APP_TOKEN_ENV, "xapp-revoked")
    app = build_app(write_config(tmp_path, standin.api_url, port=free_port(), mode="socket"))
    try:
        with pytest.raises(ConfigError, match="did not accept the app-level token") as caught:
            start_serving(app, scheduler=False)
        assert "xapp-revoked" not in str(caught.value)
        assert socket.connections == 0
    finally:
        socket.stop()
        standin.stop()
        app.close()
