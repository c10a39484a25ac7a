"""`planner settings apply`: the settings tabs of the review sheet, applied on their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from planner.domain.errors import NotFound, PlannerError
from planner.ports import ReviewSheet, SetupWork
from planner.services.setup.service import SetupOptions, SheetSetupResult, apply_sheet


def apply_settings(
    work: Callable[[], SetupWork],
    sheet: ReviewSheet,
    *,
    options: SetupOptions,
    actor: str,
    today: date,
    origin: str = "cli",
    dry_run: bool = False,
) -> SheetSetupResult:
    """Apply the good rows of every settings tab; each row's Status says what became of it."""
    contents = sheet.read()
    if contents is None:
        raise NotFound(
            f"nothing has been published to {sheet.location} yet",
            hint="run `planner publish`: it writes the settings tabs, prefilled",
        )
    if not contents.setup:
        raise NotFound(
            f"the review sheet {sheet.location} has no settings tabs yet",
            hint="run `planner publish` to add the Vendors, Products, Warehouses and "
            "Bills of materials tabs",
        )
    with work() as uow:
        result = apply_sheet(
            uow, contents.setup, contents.setup_headers, options=options, actor=actor,
            origin=origin, dry_run=dry_run,
        )  # fmt: skip
        if not dry_run:
            uow.commit()
    if not dry_run:
        try:
            sheet.write_status({}, edit_statuses={}, setup_statuses=result.statuses(today))
        except PlannerError as exc:
            raise PlannerError(
                f"saved ({result.changed} row(s) applied), but the Status column could not be "
                f"written: {exc.message}",
                hint="run `planner settings apply` again once the sheet is reachable",
            ) from exc
    return result
