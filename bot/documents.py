"""Purchase order documents in Slack: `/planner order ORDER` shows one order and shares its PO
as a PDF; approving in Slack shares the PDF of each purchase order it created."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.blocks.order import order_blocks
from bot.handling import Context, Outcome
from bot.replies import Caller, Delivery, Document, Reply
from planner.domain.errors import InvalidInput
from planner.domain.orders import OrderKind
from planner.services.order_view import OrderView, order_view
from planner.services.po_document import PurchaseOrderDocument, document_of

log = logging.getLogger("planner.bot.documents")


def pdf_document(doc: PurchaseOrderDocument) -> Document:
    """The PO's PDF as a file to share, named after the order."""
    from planner.adapters.documents import po_pdf  # fpdf2, openpyxl: only when drawing one

    title = f"Purchase order {doc.number} – {doc.vendor.name}"
    return Document(po_pdf(doc), f"{doc.number}.pdf", title)


def _has_document(view: OrderView) -> bool:
    return view.order.kind is OrderKind.PURCHASE and view.order.source is not None


def _note(view: OrderView) -> str:
    o = view.order
    if _has_document(view):
        return f"The purchase order document ({o.number}.pdf) is shared in the channel below."
    if o.kind is OrderKind.PURCHASE:
        return (
            f"No PO document yet: the order has no vendor; `/planner set-source {o.number} "
            "VENDOR` names it."
        )
    return f"{o.kind.value.capitalize()} orders have no PO document: no vendor receives them."


def order_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    """One order; a purchase order's document goes to the channel as a PDF."""
    if len(args) != 1:
        raise InvalidInput("name one order", hint="/planner order PO-1001")
    currency = ctx.services.options.currency
    with ctx.services.queries() as uow:
        view = order_view(uow, args[0], currency=currency)
    number = view.order.number
    out.reply(Reply(view.headline(), order_blocks(view, document=_note(view))))
    if not _has_document(view):
        return Outcome((number,), {"document": False})
    doc = document_of(view, currency=currency)
    where = out.upload_document(
        pdf_document(doc), comment=f"{caller.mention} asked for purchase order `{number}`"
    )
    if where is None:
        out.reply(
            Reply(
                f"The PO document could not be posted here; invite the planner app, or run "
                f"`planner order export {number} --pdf {number}.pdf`."
            )
        )
    return Outcome((number,), {"document": where is not None})


def share_created(ctx: Context, caller: Caller, numbers: Sequence[str], out: Delivery) -> list[str]:
    """Share the document of each purchase order among `numbers` (just created); the shared."""
    currency = ctx.services.options.currency
    with ctx.services.queries() as uow:
        views = [order_view(uow, n, currency=currency) for n in numbers]
    shared = []
    for view in filter(_has_document, views):
        doc = document_of(view, currency=currency)
        comment = (
            f"Purchase order {doc.number} for {doc.vendor.name}, created by {caller.mention}: "
            "the document to send to the vendor"
        )
        if out.upload_document(pdf_document(doc), comment=comment) is None:
            log.warning("could not share the document of %s", doc.number)
            continue
        shared.append(doc.number)
    return shared
