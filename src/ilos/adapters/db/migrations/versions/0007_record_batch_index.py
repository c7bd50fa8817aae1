"""index the batch of every record version, so a long-lived process reads only what later batches stored

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FEEDS = ("arrivals", "departures", "status_events", "court_events", "criminal_dispositions", "encounters",
         "designations", "relationships")  # fmt: skip
TABLES = tuple(f"records_{name}" for name in FEEDS)


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_batch_id", table, ["batch_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_batch_id", table_name=table)
