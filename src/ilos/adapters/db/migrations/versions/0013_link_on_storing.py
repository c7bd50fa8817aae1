"""identity_link.anchor_uid: a link made as its record was stored, resting on another record's link

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WHERE = sa.text("anchor_uid IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("identity_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anchor_uid", sa.Text(), nullable=True))
    op.create_index(
        "ix_identity_link_anchor_uid",
        "identity_link",
        ["anchor_uid"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_identity_link_anchor_uid", table_name="identity_link")
    with op.batch_alter_table("identity_link", schema=None) as batch_op:
        batch_op.drop_column("anchor_uid")
