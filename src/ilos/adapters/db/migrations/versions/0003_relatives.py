"""relatives named in relationships, resolved to persons

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relative_link",
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("relationship_id", sa.Text(), nullable=False),
        sa.Column("subject_person_id", sa.Text(), nullable=True),
        sa.Column("relationship", sa.Text(), nullable=False),
        sa.Column("relative_person_id", sa.Text(), nullable=True),
        sa.Column("relative_us_citizen", sa.Text(), nullable=True),
        sa.Column("match", sa.Text(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_record_id", name=op.f("pk_relative_link")),
    )
    with op.batch_alter_table("relative_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relative_link_relative_person_id"), ["relative_person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_relative_link_subject_person_id"), ["subject_person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("relative_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relative_link_subject_person_id"))
        batch_op.drop_index(batch_op.f("ix_relative_link_relative_person_id"))

    op.drop_table("relative_link")
