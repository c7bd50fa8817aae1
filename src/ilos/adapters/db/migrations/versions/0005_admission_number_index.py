"""index the admission number of arrivals, departures and status events, for one admission's status

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("records_arrivals", "records_departures", "records_status_events")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_admission_number", table, ["admission_number"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_admission_number", table_name=table)
