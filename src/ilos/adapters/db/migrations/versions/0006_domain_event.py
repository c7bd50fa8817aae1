"""domain_event: events such as departure:verified, for worklists and cases to consume

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domain_event",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text()),
        sa.Column("subject", sa.Text()),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_domain_event")),
    )
    op.create_index("ix_domain_event_kind_event_id", "domain_event", ["kind", "event_id"])
    op.create_index("ix_domain_event_person_id", "domain_event", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_domain_event_person_id", table_name="domain_event")
    op.drop_index("ix_domain_event_kind_event_id", table_name="domain_event")
    op.drop_table("domain_event")
