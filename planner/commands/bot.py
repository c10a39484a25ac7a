"""`planner serve`, `planner chat` and `planner digest`: the Slack bot, here or in Slack."""

from __future__ import annotations

import getpass
import signal
import threading
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from planner.cli import State, cli, emit_json, err, out, pass_state, today
from planner.domain.errors import ConfigError

if TYPE_CHECKING:  # the application is built (and imported) when a command runs
    from planner.bootstrap import App


class Answered(click.ClickException):
    """Exit 1 after the bot's answer (already printed) explained the failure."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        return None


@dataclass
class Serving:
    """What `planner serve` runs; stop() ends all of it."""

    description: str
    stops: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self.stops):
            stop()


def start_serving(
    app: App, *, host: str = "127.0.0.1", config_path: str | None = None, scheduler: bool = True
) -> Serving:
    """Start everything `planner serve` runs: the scheduler and the Slack bot.

    The one place serve's parts are wired. In [slack] mode "console" only the scheduler runs
    (the digest is printed to the log/terminal).
    """
    from planner.scheduler import describe

    slack = app.config.slack
    app.migrate()
    serving = Serving("", [])
    parts: list[str] = []
    try:
        if slack.mode == "http":
            from bot.server import HttpLimits, serve_http

            bolt = app.bolt_app()  # refuses http mode without a signing secret
            assert slack.signing_secret is not None
            server = serve_http(
                bolt, slack.signing_secret.get_secret_value(), host=host,
                port=slack.port, limits=HttpLimits(read_timeout=slack.read_timeout_seconds),
            )  # fmt: skip
            serving.stops.append(server.stop)
            parts.append(f"Slack bot answering at {server.url}")
        elif slack.mode == "socket":
            from bot.server import serve_socket

            assert slack.app_token is not None  # the config requires it in socket mode
            handler = serve_socket(app.bolt_app(), slack.app_token.get_secret_value())
            serving.stops.append(handler.close)
            parts.append("Slack bot connected over Socket Mode")
        if scheduler:
            sched = app.scheduler(config_path)
            sched.start()
            serving.stops.append(lambda: sched.shutdown(wait=True))
            parts.append("scheduler (" + "; ".join(describe(sched)) + ")")
    except BaseException:
        serving.stop()  # nothing half-started stays running
        raise
    if not parts:
        raise ConfigError(
            "[slack] mode = 'console' and no scheduler: there is nothing to serve",
            hint="set mode = 'http' (with port) or 'socket' in [slack]; "
            '`planner chat "/planner help"` works without Slack',
        )
    serving.description = "; ".join(parts)
    return serving


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (http).")
@click.option("--no-scheduler", is_flag=True, help="Only the Slack bot; no daily jobs.")
@pass_state
def serve_cmd(state: State, host: str, no_scheduler: bool) -> None:
    """Run the daily scheduler and the Slack bot (http: POST /slack/events on [slack] port)."""
    config_path = str(state.config_path) if state.config_path else None
    # Handlers first: a stop signal that arrives while the parts start still stops cleanly.
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    serving = start_serving(
        state.app, host=host, config_path=config_path, scheduler=not no_scheduler
    )
    out.print(serving.description + " (Ctrl-C to stop)")
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        serving.stop()
    out.print("stopped")


def _strip_command(text: str) -> str:
    words = text.strip()
    return (
        words.split(None, 1)[1]
        if words.startswith("/") and " " in words
        else ("" if words.startswith("/") else words)
    )


@cli.command("chat")
@click.argument("text", required=False, default="/planner help")
@click.option(
    "--press", "action_id", help="Press a button instead: its action id (shown in answers)."
)
@click.option("--value", default="", help="The pressed button's value (shown in answers).")
@click.option("--as", "user", default=None, help="Who you are in the audit log (default: you).")
@pass_state
def chat_cmd(state: State, text: str, action_id: str | None, value: str, user: str | None) -> None:
    """Run a bot command here and show the answer: planner chat "/planner sku ABC-1"."""
    from bot.console import ConsoleDelivery
    from bot.core import Bot
    from bot.handling import Press
    from bot.replies import Caller

    app = state.app
    bot = Bot(app.bot_services())
    caller = Caller(user or getpass.getuser(), origin="console")
    delivery = ConsoleDelivery(out, app.data_dir / "charts")
    if action_id:
        outcome = bot.run_action(caller, Press(action_id, value), delivery)
    else:
        words = _strip_command(text)
        ack = bot.ack(words)
        if ack.reply is not None:
            delivery.reply(ack.reply)
        if ack.refused:
            raise Answered("the answer above lists the subcommands")
        outcome = bot.run_command(caller, words, delivery)
    if outcome is not None and outcome.refused:  # scripts can tell an answer from a refusal
        raise Answered("the answer above says what went wrong")


@cli.command("digest")
@click.option("--print", "to_console", is_flag=True, help="Print here even when Slack is set up.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the digest's data as JSON; send nothing."
)
@click.option("--today", "day", type=click.DateTime(["%Y-%m-%d"]), help="As of this day.")
@pass_state
def digest_cmd(state: State, to_console: bool, as_json: bool, day: Any) -> None:
    """Send the daily digest to [slack] digest_channel (or print it in console mode)."""
    from planner.services.digest import build_digest, last_snapshot, send_digest

    app = state.app
    when: date = day.date() if day else today()
    if as_json:
        with app.uow() as uow:
            summary = build_digest(
                uow, today=when, options=app.planning_options(),
                review_sheet=app.review_sheet_location(), previous=last_snapshot(uow),
            )  # fmt: skip
        emit_json(asdict(summary))
        return
    result = send_digest(
        app.uow, app.notifier(console=to_console), today=when,
        options=app.planning_options(), review_sheet=app.review_sheet_location(),
        actor=getpass.getuser(), origin="cli",
    )  # fmt: skip
    if result.where != "console":
        err.print(f"digest posted ({result.where})")
