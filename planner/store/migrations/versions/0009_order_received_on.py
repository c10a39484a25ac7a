"""The day a stock order became fully received, so planning can measure vendors' lead times.

Orders received in planner before this revision get it from their `order.receive` audit entry
(the one that left the order received); orders closed by the Amazon sync keep none, as the
day the sync saw them closed was not recorded.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("stock_orders") as batch:
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))
    conn = op.get_bind()
    audit = sa.table(
        "audit_log", sa.column("at", sa.DateTime(timezone=True)), sa.column("action"),
        sa.column("objects"), sa.column("details"),
    )  # fmt: skip
    orders = sa.table(
        "stock_orders", sa.column("number"), sa.column("status"),
        sa.column("received_on", sa.Date()),
    )  # fmt: skip
    rows = conn.execute(
        sa.select(audit.c.at, audit.c.objects, audit.c.details)
        .where(audit.c.action == "order.receive")
        .order_by(audit.c.at)
    )
    for at, objects, details in rows.all():
        numbers, info = _json(objects) or [], _json(details) or {}
        if not numbers or info.get("status") != "received":
            continue
        day = (at if isinstance(at, datetime) else datetime.fromisoformat(str(at))).date()
        conn.execute(
            sa.update(orders)
            .where(orders.c.number == numbers[0], orders.c.status == "received")
            .where(orders.c.received_on.is_(None))
            .values(received_on=day)
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_orders") as batch:
        batch.drop_column("received_on")
