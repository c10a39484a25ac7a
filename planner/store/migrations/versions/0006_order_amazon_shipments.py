"""Each stock order's Amazon shipments, so split inbound plans are received per shipment.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_amazon_shipments",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=False),
        sa.Column("marketplace_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["stock_orders.id"],
            name=op.f("fk_order_amazon_shipments_order_id_stock_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "shipment_id", name=op.f("pk_order_amazon_shipments")),
    )


def downgrade() -> None:
    op.drop_table("order_amazon_shipments")
