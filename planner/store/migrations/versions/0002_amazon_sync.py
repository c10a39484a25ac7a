"""Amazon sync: watermarks per connection and data kind, raw order lines, FBA inventory detail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["connection_id"],
        ["connections.id"],
        name=op.f(f"fk_{table}_connection_id_connections"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _connection_fk("sync_state"),
        sa.PrimaryKeyConstraint("connection_id", "kind", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "amazon_order_lines",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=False),
        sa.Column("marketplace_id", sa.String(length=20), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("purchased_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        _connection_fk("amazon_order_lines"),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_amazon_order_lines_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "order_id", "seller_sku", name=op.f("pk_amazon_order_lines")
        ),
    )
    with op.batch_alter_table("amazon_order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_amazon_order_lines_day", ["connection_id", "day"], unique=False)
    op.create_table(
        "amazon_inventory",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("marketplace_id", sa.String(length=20), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=False),
        sa.Column("fnsku", sa.String(length=16), nullable=True),
        sa.Column("asin", sa.String(length=16), nullable=True),
        sa.Column("fulfillable", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("inbound_working", sa.Integer(), nullable=False),
        sa.Column("inbound_shipped", sa.Integer(), nullable=False),
        sa.Column("inbound_receiving", sa.Integer(), nullable=False),
        sa.Column("unfulfillable", sa.Integer(), nullable=False),
        sa.Column("researching", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        _connection_fk("amazon_inventory"),
        sa.PrimaryKeyConstraint(
            "connection_id", "marketplace_id", "seller_sku", name=op.f("pk_amazon_inventory")
        ),
    )


def downgrade() -> None:
    op.drop_table("amazon_inventory")
    with op.batch_alter_table("amazon_order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_amazon_order_lines_day")
    op.drop_table("amazon_order_lines")
    op.drop_table("sync_state")
