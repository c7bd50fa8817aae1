"""index review pairs by the run that queued them, so a long-lived process reads only new runs' pairs

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_review_pair_first_seen_run", "review_pair", ["first_seen_run"])


def downgrade() -> None:
    op.drop_index("ix_review_pair_first_seen_run", table_name="review_pair")
