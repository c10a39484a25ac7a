"""The `planner` command line: one entry point, typed errors turned into one-line messages."""

from __future__ import annotations

import errno
import importlib
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from planner.command_table import COMMANDS
from planner.domain.errors import PlannerError
from planner.logging_setup import log_file_in_use

if TYPE_CHECKING:  # the application (sqlalchemy, the adapters) is imported when a command runs
    from planner.bootstrap import App, Deployment

log = logging.getLogger("planner.cli")
# Piped output is not squeezed to 80 columns: tables stay one line per row for grep and less.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """Lazily built application, so `--help` works even with a broken config."""

    def __init__(self, config_path: Path | None, account: str | None = None) -> None:
        self.config_path = config_path
        self.account = account
        self._deployment: Deployment | None = None

    @property
    def deployment(self) -> Deployment:
        """Every account the config serves (one, "default", without [accounts])."""
        if self._deployment is None:
            from planner.bootstrap import Deployment

            self._deployment = Deployment.load(self.config_path)
        return self._deployment

    @property
    def app(self) -> App:
        """The App of the account the command is for (--account; the only one by default)."""
        return self.deployment.app(self.account)

    def close(self) -> None:
        if self._deployment is not None:
            self._deployment.close()


pass_state = click.make_pass_decorator(State)


class LazyGroup(click.Group):
    """A group whose sub-commands' modules are imported only when one of them is used.

    `lazy` maps a command's name to (module registering it on this group, its short help), so
    listing the commands in --help imports none of them (click's documented LazyGroup pattern).
    """

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name][0])
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with the table's short help for commands not imported yet."""
        shown = [
            name
            for name in self.list_commands(ctx)
            if name not in self.commands or not self.commands[name].hidden
        ]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name in shown)
        rows = [(name, self._short_help(name, limit)) for name in shown]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _short_help(self, name: str, limit: int) -> str:
        # A command not imported yet shortens its table entry as click shortens a docstring.
        command = self.commands.get(name) or click.Command(name, help=self.lazy[name][1])
        return command.get_short_help_str(limit)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Configuration file (default: ./planner.toml if present, else embedded defaults).",
)
@click.option(
    "--account",
    envvar="PLANNER_ACCOUNT",
    default=None,
    help="The account a command is for, when the config serves several ([accounts.NAME]).",
)
@click.version_option(package_name="planner")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, account: str | None) -> None:
    """planner: inventory planning for Amazon sellers, reviewed in Sheets and approved in Slack."""
    state = State(config_path, account)
    ctx.obj = state
    ctx.call_on_close(state.close)


def table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, header: bool = True
) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold", show_header=header)
    for c in columns:
        t.add_column(c)
    for r in rows:
        # Cells hold user data (SKUs, vendor names, error texts naming "[amazon]"): plain text.
        t.add_row(*(Text("" if v is None else str(v)) for v in r))
    return t


def order_numbers(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """An argument's order number(s) as stored (po-1001 is PO-1001), as the bot takes them."""
    if isinstance(value, tuple):
        return tuple(v.strip().upper() for v in value)
    return value.strip().upper() if isinstance(value, str) else value


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def today() -> date:
    return date.today()


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry: 0 success, 1 failure, 2 usage or configuration error."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        err.print("aborted")
        return 1
    except PlannerError as exc:
        # Messages name config tables ("[slack]"): printed as text, not as rich markup.
        err.print(f"[bold red]error:[/] {escape(exc.message)}", markup=True, soft_wrap=True)
        if exc.hint:
            err.print(f"  fix: {exc.hint}", markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:  # the last line of defence: no traceback at the user
        if _out_of_memory(exc):
            log.error("out of memory: %s", exc)  # the gist, for a log file: no traceback
            err.print(
                "[bold red]error:[/] out of memory: the data is more than this machine can "
                "hold at once",
                markup=True,
                soft_wrap=True,
            )
            err.print(
                "  fix: split a CSV by SKU; an account's forecast, into parts ([queue] "
                "series_per_task) run by workers; or free memory",
                markup=False,
                soft_wrap=True,
            )
            return 1
        log.exception("internal error")
        log_file = log_file_in_use()
        where = f"the log file has the details ({log_file})" if log_file else "details above"
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            f"  this is a bug in planner; {escape(where)}",
            markup=True,
            soft_wrap=True,
        )
        return 1
    return 0


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is the machine running out of memory: numpy's MemoryError, an OS call
    refused for memory (ENOMEM), or a library that could not be loaded into memory ("failed
    to map segment from shared object")."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    return isinstance(exc, ImportError) and "failed to map segment" in str(exc)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    # `python -m planner.cli` works like `python -m planner`. Run as a script, this file is
    # `__main__`, a second copy to which the command modules do not attach their commands.
    from planner.cli import run as run_registered

    run_registered()
