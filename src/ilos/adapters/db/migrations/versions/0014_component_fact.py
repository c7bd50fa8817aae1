"""component_fact: what the last runs' clustering read of each linked component, kept with the links

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "component_fact",
        sa.Column("component", sa.Text(), nullable=False),
        sa.Column("signatures", sa.BigInteger(), nullable=False),
        sa.Column("pairs", sa.BigInteger(), nullable=False),
        sa.Column("support", sa.BigInteger(), nullable=False),
        sa.Column("apart", sa.Boolean(), nullable=False),
        sa.Column("a_numbers", sa.BigInteger(), nullable=False),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("whole", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("component", name=op.f("pk_component_fact")),
    )


def downgrade() -> None:
    op.drop_table("component_fact")
