"""The demo's simulated buyer: opens the review workbook and ticks Approve like a person would.

Composition-root code for `planner demo --story` only. It edits the .xlsx file itself (openpyxl,
the way Excel would save it) rather than calling a use case, so the approval that follows reads
the workbook exactly as it reads one a person edited.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from planner.domain.errors import PlannerError
from planner.domain.orders import OrderKind
from sheets import layout

# How many rows the buyer approves on each tab: enough to make a few orders of every kind,
# few enough that the story stays readable.
SAMPLE: Mapping[OrderKind, int] = {
    OrderKind.PURCHASE: 5,
    OrderKind.TRANSFER: 3,
    OrderKind.ASSEMBLY: 1,
}
FBA_PREFIX = "FBA-"


@dataclass(frozen=True, slots=True)
class Tick:
    """One row the simulated buyer approved."""

    tab: str
    line: int
    sku: str
    warehouse: str
    order_qty: object


def tick_sample(workbook: Path, sample: Mapping[OrderKind, int] = SAMPLE) -> list[Tick]:
    """Tick Approve on the most urgent rows of each tab (FBA-bound first) and save the file."""
    if not workbook.exists():
        raise PlannerError(f"the review workbook {workbook} is missing; nothing to approve")
    book = load_workbook(workbook)
    ticks: list[Tick] = []
    for kind, wanted in sample.items():
        tab = layout.REVIEW_TABS[kind]
        if tab in book.sheetnames and wanted > 0:
            ticks += _tick_tab(book[tab], tab, wanted)
    _save(book, workbook)
    return ticks


def _tick_tab(ws: Any, tab: str, wanted: int) -> list[Tick]:
    header = [c.value for c in ws[1]]
    at = layout.column_index(
        header, tab, [layout.SKU, layout.WAREHOUSE, layout.ORDER_QTY, layout.APPROVE]
    )
    rows = [r for r in ws.iter_rows(min_row=2) if r[at[layout.SKU]].value]
    # A buyer starts with what keeps Amazon in stock: FBA-bound rows, most urgent first (the
    # tab's order), then the rest; at least one non-FBA row shows that side too.
    fba = [r for r in rows if str(r[at[layout.WAREHOUSE]].value).startswith(FBA_PREFIX)]
    other = [r for r in rows if r not in fba]
    chosen = fba[: max(wanted - 1, 1)] + other[:1]
    chosen += [r for r in fba + other if r not in chosen][: wanted - len(chosen)]
    ticks = []
    for row in chosen[:wanted]:
        row[at[layout.APPROVE]].value = True
        ticks.append(
            Tick(
                tab=tab,
                line=row[0].row,
                sku=str(row[at[layout.SKU]].value),
                warehouse=str(row[at[layout.WAREHOUSE]].value),
                order_qty=row[at[layout.ORDER_QTY]].value,
            )
        )
    return ticks


def _save(book: Any, path: Path) -> None:
    # Replaced in one step, as the sheet adapter does: never a half-written workbook.
    fd, tmp = tempfile.mkstemp(prefix=".review-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
