"""The `planner` command line: one entry point, typed errors turned into one-line messages."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from planner.bootstrap import App, build_app
from planner.domain.errors import PlannerError

log = logging.getLogger("planner.cli")
# Piped output is not squeezed to 80 columns: tables stay one line per row for grep and less.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """Lazily built application, so `--help` works even with a broken config."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = build_app(self.config_path)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_state = click.make_pass_decorator(State)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Configuration file (default: ./planner.toml if present, else embedded defaults).",
)
@click.version_option(package_name="planner")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """planner: inventory planning for Amazon sellers, reviewed in Sheets and approved in Slack."""
    state = State(config_path)
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
    from planner import commands  # noqa: F401  (registers the sub-commands on `cli`)

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
        log.exception("internal error")
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "  this is a bug in planner; the log file has the details (planner-data/planner.log)",
            markup=True,
            soft_wrap=True,
        )
        return 1
    return 0


def run() -> None:
    sys.exit(main())
