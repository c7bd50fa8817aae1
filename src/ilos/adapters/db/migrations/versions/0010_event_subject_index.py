"""index domain events by kind and subject, so an announcement finds the events already kept about it

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_domain_event_kind_subject", "domain_event", ["kind", "subject"])


def downgrade() -> None:
    op.drop_index("ix_domain_event_kind_subject", table_name="domain_event")
