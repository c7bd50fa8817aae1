"""index identity events by run, so announcing after a run finds the persons it merged or split

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_identity_event_run_id", "identity_event", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_identity_event_run_id", table_name="identity_event")
