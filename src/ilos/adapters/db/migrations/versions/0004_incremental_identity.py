"""identity_link keeps each record's link component and identity hash, for incremental linking

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("component", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("identity_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_link", schema=None) as batch_op:
        batch_op.drop_column("identity_hash")
        batch_op.drop_column("component")
