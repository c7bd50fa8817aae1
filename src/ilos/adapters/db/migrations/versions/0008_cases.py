"""app_user and case_action: local users with roles, and every officer step on a case (append only)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("field_office", sa.Text()),
        sa.Column("added_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_user")),
    )
    op.create_table(
        "case_action",
        sa.Column("action_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_number", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text()),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Text()),
        sa.Column("justification", sa.Text()),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=False),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("guard_results", sa.Text(), nullable=False),
        sa.Column("refusals", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_case_action")),
    )
    op.create_index("ix_case_action_case_number_action_id", "case_action", ["case_number", "action_id"])


def downgrade() -> None:
    op.drop_index("ix_case_action_case_number_action_id", table_name="case_action")
    op.drop_table("case_action")
    op.drop_table("app_user")
