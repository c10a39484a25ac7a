"""Review sheet: publications and approved rows (plan row → order).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=512), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_publications")),
    )
    op.create_index("ix_review_publications_target", "review_publications", ["target"])
    op.create_table(
        "review_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_approvals")),
        sa.UniqueConstraint("plan_id", "row_key", name="uq_review_approvals_plan_row"),
    )
    op.create_index("ix_review_approvals_row_key", "review_approvals", ["row_key"])


def downgrade() -> None:
    op.drop_index("ix_review_approvals_row_key", table_name="review_approvals")
    op.drop_table("review_approvals")
    op.drop_index("ix_review_publications_target", table_name="review_publications")
    op.drop_table("review_publications")
