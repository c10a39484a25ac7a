"""What a seller sets up in the settings tabs or by CSV: vendor e-mail, notes and pack rounding;
a variant's vendor SKU, MOQ, discontinued flag and forecast method; an IP warehouse's address;
the reporting currency a plan's totals are in.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("pack_rounding", sa.String(16), nullable=False, server_default="up")
        )
    with op.batch_alter_table("variants") as batch:
        batch.add_column(sa.Column("vendor_sku", sa.String(128), nullable=True))
        batch.add_column(sa.Column("moq", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("discontinued", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("forecast_method", sa.String(32), nullable=False, server_default="auto")
        )
    with op.batch_alter_table("warehouses") as batch:
        batch.add_column(sa.Column("address", sa.JSON(), nullable=True))
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("currency", sa.String(3), nullable=False, server_default="USD"))


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("currency")
    with op.batch_alter_table("warehouses") as batch:
        batch.drop_column("address")
    with op.batch_alter_table("variants") as batch:
        for name in ("forecast_method", "discontinued", "moq", "vendor_sku"):
            batch.drop_column(name)
    with op.batch_alter_table("vendors") as batch:
        for name in ("pack_rounding", "notes", "email"):
            batch.drop_column(name)
