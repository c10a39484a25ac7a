"""When a push finished saving an order to Amazon (every workflow step done, transport confirmed).

A plan id and shipment ids are no proof of that: the daily sync copies a half-done push's
shipment ids onto its order, so only the push writes this, as its last act. Orders pushed before
this revision get it from their `orders.push` audit entry (written by a push that finished).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stock_orders") as batch:
        batch.add_column(sa.Column("amazon_pushed_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    audit = sa.table(
        "audit_log", sa.column("at", sa.DateTime(timezone=True)), sa.column("action"),
        sa.column("objects"),
    )  # fmt: skip
    orders = sa.table(
        "stock_orders", sa.column("number"), sa.column("amazon_plan_id"),
        sa.column("amazon_pushed_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    rows = conn.execute(
        sa.select(audit.c.at, audit.c.objects).where(audit.c.action == "orders.push")
    )
    for at, objects in rows.all():
        numbers = json.loads(objects) if isinstance(objects, str) else objects
        for number in numbers or ():
            conn.execute(
                sa.update(orders)
                .where(orders.c.number == number, orders.c.amazon_plan_id.is_not(None))
                .where(~orders.c.amazon_plan_id.like("push:%"))
                .values(amazon_pushed_at=at)
            )


def downgrade() -> None:
    with op.batch_alter_table("stock_orders") as batch:
        batch.drop_column("amazon_pushed_at")
