"""`planner publish` and `planner approve`: the review sheet round trip."""

from __future__ import annotations

import getpass
from collections.abc import Sequence

import click

from planner.cli import State, cli, emit_json, out, pass_state, table
from planner.cli import today as current_day
from planner.services.review import ApproveResult, PublishResult, approve, publish
from planner.services.setup.service import SheetSetupResult
from planner.services.setup.sheet import apply_settings


def _share_with(state: State) -> Sequence[str]:
    return state.app.config.sheets.share_with


@cli.command("publish")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def publish_cmd(state: State, as_json: bool) -> None:
    """Write the latest plan to the review sheet, keeping people's edits on standing rows."""
    app = state.app
    sheet = app.review_sheet()
    result = publish(
        app.uow,
        sheet,
        actor=getpass.getuser(),
        share_with=_share_with(state),
        setup=app.setup_options(),
    )
    if as_json:
        emit_json(_publish_json(result))
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in result.rows.items())
    out.print(f"published plan {result.plan_id} ({result.made_on}) to {result.location}: {counts}")
    out.print(f"kept people's edits on {result.kept} row(s); {len(result.changed)} changed")
    for key in result.changed:
        out.print(f"  recommendation changed: {key}")
    for key in result.dropped_ticked:
        out.print(f"  ticked but no longer recommended (dropped): {key}")
    for tab in result.missing_tabs:
        out.print(f"  tab {tab} was missing and has been written afresh")
    if result.shared:
        out.print(f"shared with {', '.join(result.shared)}")


def _publish_json(result: PublishResult) -> dict[str, object]:
    return {
        "plan_id": result.plan_id,
        "made_on": result.made_on,
        "location": result.location,
        "rows": result.rows,
        "kept": result.kept,
        "changed": list(result.changed),
        "dropped_ticked": list(result.dropped_ticked),
        "missing_tabs": list(result.missing_tabs),
        "shared": list(result.shared),
    }


@cli.command("approve")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option(
    "--reorder",
    is_flag=True,
    help="Place a second order for ticked rows already ordered whose Order qty was changed.",
)
@click.option("--as", "approver", default=None, help="Who approves (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@pass_state
def approve_cmd(
    state: State, dry_run: bool, reorder: bool, approver: str | None, as_json: bool
) -> None:
    """Turn ticked rows of the review sheet into orders; refused rows get a reason in Status.

    A row already ordered is never ordered again by its tick; change its Order qty and use
    --reorder to place a second order.
    """
    app = state.app
    sheet = app.review_sheet()
    who = approver or getpass.getuser()
    result = approve(
        app.uow, sheet, approver=who, dry_run=dry_run, reorder=reorder,
        setup=app.setup_options(),
    )  # fmt: skip
    if as_json:
        emit_json(_approve_json(result))
        return
    _print_approve(result)
    print_setup(result.setup, dry_run=dry_run)


def print_setup(result: SheetSetupResult, *, dry_run: bool) -> None:
    """What the settings tabs changed, and each refused row with its reason."""
    if not result.results and not result.problems:
        return
    verb = "would change" if dry_run else "changed"
    out.print(f"settings tabs: {result.changed} row(s) {verb}, {len(result.refused)} refused")
    for tab, outcome in result.refused:
        out.print(f"  {tab} row {outcome.row.line}: {outcome.message}", markup=False)
    for problem in result.problems:
        out.print(f"  {problem}", markup=False)


def _approve_json(result: ApproveResult) -> dict[str, object]:
    return {
        "dry_run": result.dry_run,
        "created": [
            {
                "number": o.number,
                "kind": o.kind.value,
                "source": o.source,
                "destination": o.destination,
                "units": o.units,
                "lines": o.lines,
                "row_keys": list(o.keys),
            }
            for o in result.created
        ],
        "already": [{"row_key": k, "number": n} for k, n in result.already],
        "refused": [
            {"tab": r.tab, "line": r.line, "row_key": r.key, "reason": why}
            for r, why in result.refused
        ],
        "forecast_edits_saved": result.edits_saved,
        "forecast_edits_refused": [
            {"line": e.line, "reason": why} for e, why in result.edits_refused
        ],
        "settings": setup_json(result.setup),
    }


def setup_json(result: SheetSetupResult) -> dict[str, object]:
    return {
        "changed": [
            {"tab": tab, "line": o.row.line, "key": o.ident, "change": o.message}
            for tab, r in result.results.items()
            for o in r.changed
        ],
        "refused": [
            {"tab": tab, "line": o.row.line, "key": o.ident, "reason": o.message}
            for tab, o in result.refused
        ],
        "problems": result.problems,
    }


def _print_approve(result: ApproveResult) -> None:
    verb = "would create" if result.dry_run else "created"
    rows = [
        (o.number, o.kind.value, o.source or "", o.destination, o.lines, o.units)
        for o in result.created
    ]
    if rows:
        out.print(
            table(
                f"{verb} {len(rows)} order(s)",
                ["order", "kind", "source", "destination", "lines", "units"],
                rows,
            )
        )
    else:
        out.print(_nothing_made(result), markup=False)
    if result.already and rows:
        out.print(_already(result) + " (nothing new for them)", markup=False)
    if result.refused:
        out.print(
            table(
                f"{len(result.refused)} row(s) refused (reason written in Status)",
                ["tab", "row", "row key", "reason"],
                [(r.tab, r.line, r.key, why) for r, why in result.refused],
            )
        )
    edits = f"forecast edits: {result.edits_saved} {'to save' if result.dry_run else 'saved'}"
    out.print(edits + (f", {len(result.edits_refused)} refused" if result.edits_refused else ""))
    for line, why in result.edits_refused:
        out.print(f"  line {line.line}: {why}")
    if result.dry_run:
        out.print("dry run: nothing was changed")


def _already(result: ApproveResult) -> str:
    numbers = sorted({number for _, number in result.already})
    return f"{len(result.already)} ticked row(s) already ordered ({', '.join(numbers)})"


def _nothing_made(result: ApproveResult) -> str:
    """The line said when no order is (or would be) made, and why."""
    made = "no order would be created" if result.dry_run else "no order created"
    head = made if result.refused else "nothing to approve"
    if result.already:
        return f"{head}: {_already(result)}"
    return head if result.refused else f"{head}: no row is ticked (tick Approve, then approve)"


@cli.group("settings")
def settings_group() -> None:
    """The seller's setup in the review sheet's settings tabs (Vendors, Products, …)."""


@settings_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--as", "actor", default=None, help="Who applies (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_state
def settings_apply_cmd(state: State, dry_run: bool, actor: str | None, as_json: bool) -> None:
    """Apply the settings tabs (without approving orders); refused rows get a reason."""
    app = state.app
    result = apply_settings(
        app.uow, app.review_sheet(), options=app.setup_options(),
        actor=actor or getpass.getuser(), today=current_day(), dry_run=dry_run,
    )  # fmt: skip
    if as_json:
        emit_json(setup_json(result))
        return
    print_setup(result, dry_run=dry_run)
    for tab, r in result.results.items():
        for o in r.changed:
            out.print(f"  {tab} row {o.row.line} {o.ident}: {o.message}", markup=False)
    if dry_run:
        out.print("dry run: nothing was changed")
