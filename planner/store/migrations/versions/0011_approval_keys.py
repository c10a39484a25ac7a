"""Approvals keyed by the recommendation row, across plans: a row is ordered once, and a second
order of the same row (`planner approve --reorder`) is its next `seq`.

The old rule (one order per plan and row) let a re-published sheet order a row again under the
next plan; `(row_key, seq)` is unique instead, so two approvals racing for a row cannot both land.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Number the approvals each row already has, oldest first (rows ordered twice by the old rule
# get 1, 2, …). Plain SQL that SQLite and PostgreSQL both run.
NUMBER_EXISTING = """
UPDATE review_approvals SET seq = (
    SELECT COUNT(*) FROM review_approvals AS earlier
    WHERE earlier.row_key = review_approvals.row_key AND earlier.id <= review_approvals.id
)
"""


def upgrade() -> None:
    op.add_column("review_approvals", sa.Column("seq", sa.Integer(), nullable=True))
    op.execute(NUMBER_EXISTING)
    with op.batch_alter_table("review_approvals") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_review_approvals_plan_row", type_="unique")
        batch.create_unique_constraint("uq_review_approvals_row_seq", ["row_key", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("review_approvals") as batch:
        batch.drop_constraint("uq_review_approvals_row_seq", type_="unique")
        batch.drop_column("seq")
    # Second orders of a row within one plan cannot be kept under the old rule: keep the first.
    op.execute(
        "DELETE FROM review_approvals WHERE id NOT IN ("
        "SELECT MIN(id) FROM review_approvals GROUP BY plan_id, row_key)"
    )
    with op.batch_alter_table("review_approvals") as batch:
        batch.create_unique_constraint("uq_review_approvals_plan_row", ["plan_id", "row_key"])
