"""Purchase order documents for the vendor: an xlsx workbook (openpyxl) or a PDF (fpdf2).

The PDF embeds DejaVu Sans (shipped in matplotlib's package data), so vendor names and
addresses in Latin, Greek or Cyrillic letters print as typed (it has no CJK glyphs).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from planner.services.po_document import ADDRESS_NOT_SET, Party, PurchaseOrderDocument

FONT = "DejaVu"
MONEY = "#,##0.00"


@cache
def _font_files() -> tuple[str, str]:
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(fonts / "DejaVuSans.ttf"), str(fonts / "DejaVuSans-Bold.ttf")


def party_lines(party: Party) -> list[str]:
    """The name, then the address (or why there is none), then the e-mail."""
    lines = [party.name]
    if party.address:
        lines += party.address
    else:
        lines.append(party.note or ADDRESS_NOT_SET)
    if party.email:
        lines.append(party.email)
    return lines


def line_columns(doc: PurchaseOrderDocument) -> list[str]:
    """The lines' column headings; the vendor's SKU only when some line has one."""
    vendor_sku = ["Vendor SKU"] if doc.has_vendor_skus else []
    return [
        "SKU",
        *vendor_sku,
        "Description",
        "Quantity",
        f"Unit cost ({doc.currency})",
        f"Line total ({doc.currency})",
    ]


def _line_cells(doc: PurchaseOrderDocument) -> list[list[Any]]:
    return [
        [
            x.sku,
            *([x.vendor_sku or ""] if doc.has_vendor_skus else []),
            x.description,
            x.quantity,
            x.unit_cost,
            x.total,
        ]
        for x in doc.lines
    ]


def _day(value: date | None) -> str:
    return value.isoformat() if value else "not set"


def _facts(doc: PurchaseOrderDocument) -> list[tuple[str, str]]:
    return [
        ("Order number", doc.number),
        ("Order date", _day(doc.ordered_on)),
        ("Expected delivery", _day(doc.expected_on)),
        ("Status", doc.status),
        ("Currency", doc.currency),
    ]


# -- xlsx ------------------------------------------------------------------------------------


def _put(ws: Any, row: int, column: int, value: Any, *, bold: bool = False) -> Any:
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: a SKU starting with = is no formula
    if bold:
        cell.font = Font(bold=True)
    return cell


def po_xlsx(doc: PurchaseOrderDocument) -> bytes:
    """The purchase order as a one-sheet workbook."""
    book = Workbook()
    ws = book.active
    ws.title = "Purchase order"
    _put(ws, 1, 1, f"Purchase order {doc.number}", bold=True).font = Font(bold=True, size=14)
    row = 3
    for label, value in _facts(doc):
        _put(ws, row, 1, label, bold=True)
        _put(ws, row, 2, value)
        row += 1
    row += 1
    for label, party in (("Vendor", doc.vendor), ("Ship to", doc.ship_to)):
        _put(ws, row, 1, label, bold=True)
        for text in party_lines(party):
            _put(ws, row, 2, text)
            row += 1
        row += 1
    _xlsx_lines(ws, doc, row)
    widths = {"SKU": 20, "Vendor SKU": 16, "Description": 44, "Quantity": 11}
    for i, heading in enumerate(line_columns(doc)):
        ws.column_dimensions["ABCDEF"[i]].width = widths.get(heading, 18)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_lines(ws: Any, doc: PurchaseOrderDocument, row: int) -> None:
    columns = line_columns(doc)
    for i, heading in enumerate(columns, start=1):
        _put(ws, row, i, heading, bold=True)
    for cells in _line_cells(doc):
        row += 1
        for i, value in enumerate(cells, start=1):
            cell = _put(ws, row, i, value)
            if i >= len(columns) - 1:
                cell.number_format = MONEY
    row += 1
    n = len(columns)
    _put(ws, row, n - 3, "Total", bold=True)
    _put(ws, row, n - 2, doc.units, bold=True)
    _put(ws, row, n, doc.total, bold=True).number_format = MONEY
    ws.cell(row=row, column=n).alignment = Alignment(horizontal="right")


# -- PDF -------------------------------------------------------------------------------------


def po_pdf(doc: PurchaseOrderDocument) -> bytes:
    """The purchase order as an A4 PDF, its lines over as many pages as they take."""
    pdf = FPDF(format="A4")
    regular, bold = _font_files()
    pdf.add_font(FONT, "", regular)
    pdf.add_font(FONT, "B", bold)
    pdf.set_title(f"Purchase order {doc.number}")
    pdf.set_creator("planner")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 10, f"Purchase order {doc.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, "", 10)
    for label, value in _facts(doc):
        pdf.set_font(FONT, "B", 10)
        pdf.cell(40, 6, label)
        pdf.set_font(FONT, "", 10)
        pdf.cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _pdf_parties(pdf, doc)
    pdf.ln(6)
    _pdf_lines(pdf, doc)
    return bytes(pdf.output())


def _pdf_parties(pdf: FPDF, doc: PurchaseOrderDocument) -> None:
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    bottoms = []
    for i, (label, party) in enumerate((("Vendor", doc.vendor), ("Ship to", doc.ship_to))):
        x = pdf.l_margin + i * half
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(half - 4, 6, label, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(half - 4, 5, "\n".join(party_lines(party)), new_x=XPos.LEFT)
        bottoms.append(pdf.get_y())
    pdf.set_xy(pdf.l_margin, max(bottoms))


def _pdf_lines(pdf: FPDF, doc: PurchaseOrderDocument) -> None:
    columns = line_columns(doc)
    widths = (30, 28, 62, 20, 25, 25) if doc.has_vendor_skus else (34, 86, 20, 25, 25)
    right = len(columns) - 3  # quantity, unit cost and line total align right
    align = tuple([Align.L] * right + [Align.R] * 3)
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=widths,
        text_align=align,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=5.5,
    ) as table:
        _row(table, columns)
        for cells in _line_cells(doc):
            _row(table, [_text(v) for v in cells])
        blanks = [""] * (len(columns) - 3)
        blanks[-1] = "Total"
        _row(table, [*blanks, f"{doc.units:,}", "", _money(doc.total)])


def _row(table: Any, cells: Sequence[str]) -> None:
    row = table.row()
    for text in cells:
        row.cell(text)


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _text(value: object) -> str:
    if isinstance(value, float):
        return _money(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
