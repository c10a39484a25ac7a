"""`planner sync`, `planner amazon check|set-source|status` and `planner sandbox serve`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from planner.cli import State, cli, emit_json, err, out, pass_state, table
from planner.commands.order import set_source_cmd
from planner.demo.defaults import DEMO_SEED, DEMO_VARIANTS
from planner.domain.errors import PlannerError
from planner.domain.warehouses import Connection
from planner.services.sync import STEPS

if TYPE_CHECKING:  # the application and the sync are imported when a command runs
    from planner.bootstrap import App
    from planner.services.sync import ConnectionSync


class RichProgress:
    """SyncProgress on stderr: one bar per long step, gone when the step is done."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: Any = None

    def start(self, description: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


@contextmanager
def progress_bar() -> Iterator[RichProgress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        yield RichProgress(bar)


def _connections(app: App, name: str | None) -> list[Connection]:
    every = app.amazon_connections()
    if name is None:
        return every
    found = [c for c in every if c.name.casefold() == name.casefold()]
    if not found:
        known = ", ".join(c.name for c in every)
        raise PlannerError(f"no Amazon connection named {name!r}", hint=f"configured: {known}")
    return found


def run_sync(
    app: App,
    connections: Sequence[Connection],
    *,
    full: bool = False,
    steps: Sequence[str] = STEPS,
    now: datetime | None = None,
    actor: str = "sync",
) -> list[tuple[ConnectionSync, dict[str, int]]]:
    """Sync each connection through its gateway, with a progress bar; returns what happened."""
    from planner.services.sync import sync_all

    with progress_bar() as progress:
        return sync_all(
            connections, app.amazon, app.uow, app.sync_lease(),
            progress=progress, actor=actor, now=now, full=full, steps=steps,
        )  # fmt: skip


def sync_rows(results: list[tuple[ConnectionSync, dict[str, int]]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for result, _requests in results:
        for step in result.steps:
            detail = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in step.counts.items())
            rows.append(
                [
                    result.connection,
                    step.step,
                    "ok" if step.ok else "FAILED",
                    f"{step.seconds:.1f} s",
                    detail if step.ok else step.error,
                ]
            )
    return rows


@cli.command("sync")
@click.option("--connection", "connection_name", help="Only this connection (default: all).")
@click.option("--full", is_flag=True, help="Ignore watermarks: backfill two years of orders again.")
@click.option(
    "--step",
    "steps",
    multiple=True,
    type=click.Choice(STEPS),
    help="Only these steps (repeatable; default: all, in order).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def sync_cmd(
    state: State, connection_name: str | None, full: bool, steps: tuple[str, ...], as_json: bool
) -> None:
    """Sync listings, FBA stock, sales and FBA shipments from Amazon into the store."""
    app = state.app
    results = run_sync(app, _connections(app, connection_name), full=full, steps=steps or STEPS)
    if as_json:
        emit_json(
            [
                {
                    "connection": r.connection,
                    "ok": r.ok,
                    "steps": [asdict(s) for s in r.steps],
                    "requests": requests,
                }
                for r, requests in results
            ]
        )
    else:
        out.print(
            table(
                "Amazon sync", ["connection", "step", "result", "time", "rows"], sync_rows(results)
            )
        )
        for r, requests in results:
            total = sum(v for k, v in requests.items() if not k.startswith("lwa"))
            out.print(f"{r.connection}: {total:,} SP-API requests")
    failed = [f for r, _ in results for f in r.failures]
    if failed:
        raise PlannerError(
            "; ".join(f.error or f.step for f in failed),
            hint="the other steps ran and kept what they fetched; the failed steps left their "
            "data as it was; run `planner sync` again",
        )


@cli.group("amazon")
def amazon_group() -> None:
    """Amazon connections: check credentials, see sync state, set sources of FBA shipments."""


@amazon_group.command("check")
@click.option("--connection", "connection_name", help="Only this connection (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@pass_state
def check_cmd(state: State, connection_name: str | None, as_json: bool) -> None:
    """Verify each connection's credentials and list its marketplaces and warehouses."""
    from planner.services.amazon_check import check_account

    app = state.app
    report = []
    for connection in _connections(app, connection_name):
        gateway = app.amazon(connection.name)
        try:
            check = check_account(gateway, connection)
        finally:
            gateway.close()
        report.append(check)
    if as_json:
        emit_json(
            [
                {
                    "connection": c.connection,
                    "marketplaces": [
                        {**asdict(r.access), "configured": r.configured, "in_region": r.in_region}
                        for r in c.marketplaces
                    ],
                    "warehouses": [
                        {
                            "code": w.code,
                            "name": w.name,
                            "kind": w.kind.value,
                            "pool": c.pool_of.get(w.code),
                        }
                        for w in c.warehouses
                    ],
                    "pools": c.pools,
                    "missing": c.missing,
                }
                for c in report
            ]
        )
        return
    for c in report:
        rows = [
            [
                r.access.country_code,
                r.access.marketplace_id,
                r.access.name,
                "yes" if r.access.participating else "no",
                "yes" if r.configured else ("other region" if not r.in_region else "no"),
            ]
            for r in c.marketplaces
        ]
        out.print(
            table(
                f"{c.connection}: credentials OK, {len(rows)} marketplace(s)",
                ["country", "marketplace id", "name", "selling", "configured"],
                rows,
            )
        )
        out.print(
            table(
                f"{c.connection}: warehouses enabling them creates",
                ["code", "name", "kind", "pool"],
                [[w.code, w.name, w.kind.value, c.pool_of.get(w.code) or ""] for w in c.warehouses],
            )
        )
        for pool, codes in c.pools.items():
            out.print(
                f"{c.connection}: pool {pool}: Amazon answers one FBA stock for "
                f"{', '.join(codes)}; the sync counts it once"
            )
        if not c.pools:
            out.print(f"{c.connection}: no pooled FBA stock (each marketplace its own)")
        if c.missing:
            out.print(f"[yellow]configured but not sold in: {', '.join(c.missing)}[/]")


@amazon_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def status_cmd(state: State, as_json: bool) -> None:
    """When each connection's data was last synced, and the last failure."""
    with state.app.uow() as uow:
        states = uow.sync_state.list()
    if as_json:
        emit_json([asdict(s) for s in states])
        return
    rows = [
        [s.connection, s.kind, _when(s.synced_at), _when(s.failed_at), s.error or ""]
        for s in states
    ]
    out.print(
        table(
            "Amazon sync state",
            ["connection", "data", "last synced", "last failed", "last error"],
            rows,
        )
    )


# One set-source: the Amazon group's is `planner order set-source` itself (same options, same
# output), listed here too as it names the sources of shipments found in Amazon.
amazon_group.add_command(set_source_cmd, "set-source")


def _fault_specs(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """Every --fault checked before the seller is generated: a bad one names what is valid."""
    from planner.bootstrap import check_sandbox_fault

    try:
        return tuple(check_sandbox_fault(spec) for spec in value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@cli.group("sandbox")
def sandbox_group() -> None:
    """The built-in Amazon sandbox (SP-API and Login with Amazon on a local port)."""


@sandbox_group.command("serve")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", default=DEMO_SEED, show_default=True, help="Demo seller's random seed.")
@click.option(
    "--variants", default=DEMO_VARIANTS, show_default=True, type=click.IntRange(20, 100_000)
)
@click.option(
    "--speed",
    default=100.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Sandbox time runs this much faster: rate limits ×, report processing ÷ (1 = Amazon's).",
)
@click.option("--strict", is_flag=True, help="Accept only the sandbox's own credentials.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="OPERATION:KIND[:TIMES[:SECONDS]]",
    callback=_fault_specs,
    help=(
        "Make Amazon misbehave: OPERATION an SP-API operation (or * for all, lwa, document), "
        "KIND one of throttle, error500, error503, slow, drop, expire_token, fatal, truncate, "
        "malformed, long_report, repeat_token, listed_late; TIMES calls (default 1) or 'always'; "
        "SECONDS for slow. Repeatable."
    ),
)
def serve_cmd(
    port: int,
    host: str,
    seed: int,
    variants: int,
    speed: float,
    strict: bool,
    faults: tuple[str, ...],
) -> None:
    """Serve the demo seller as SP-API until stopped (Ctrl-C)."""
    from planner.bootstrap import serving_sandbox

    sandbox = serving_sandbox(
        seed=seed,
        variants=variants,
        speed=speed,
        strict=strict,
        host=host,
        port=port,
        faults=faults,
    )
    accounts = sandbox.seller.accounts
    out.print(f"Amazon sandbox: {sandbox.url} (token URL {sandbox.token_url})")
    out.print(f"  seller: {variants} variants, seed {seed}; accounts:")
    for account in accounts:
        markets = ", ".join(account.marketplace_ids)
        out.print(f"    {account.name} ({markets}): refresh token {account.refresh_token}")
    out.print("  to sync from it as from Amazon, in planner.toml:")
    out.print("    [amazon]")
    out.print('    mode = "sp-api"')
    out.print(f'    endpoint = "{sandbox.url}"')
    out.print(f'    lwa_endpoint = "{sandbox.token_url}"')
    if strict:
        creds = sandbox.credentials(accounts[0].name)
        out.print(f"  client id {creds.client_id}, secret {creds.client_secret}")
    else:
        out.print("  any client id and secret log in; an unknown refresh token sees every account")
    for fault in sandbox.faults:
        times = "every time" if fault.times is None else f"{fault.times} time(s)"
        out.print(f"  fault: {fault.operation} answers {fault.kind}, {times}")
    out.print("Ctrl-C stops it.")
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        out.print("stopped")
    finally:
        sandbox.stop()
        stats = sandbox.stats
        out.print(
            json.dumps(
                {
                    "requests": dict(stats.requests),
                    "rejections": len(stats.rejections),
                    "throttled": dict(stats.throttled),
                }
            )
        )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
