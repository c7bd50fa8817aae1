"""source records, ingest batches and quarantine

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_batch",
        sa.Column("batch_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feed", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.Text(), nullable=True),
        sa.Column("started_at", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.Text(), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("outcome_counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_ingest_batch")),
    )
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("feed", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=True),
        sa.Column("source_record_id", sa.Text(), nullable=True),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("raw_hash", sa.Text(), nullable=False),
        sa.Column("resolved_batch_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_feed_raw_hash"), ["feed", "raw_hash"], unique=False)

    op.create_table(
        "records_arrivals",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("admission_number", sa.Text(), nullable=False),
        sa.Column("class_of_admission", sa.Text(), nullable=False),
        sa.Column("port_of_entry", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("admitted_on", sa.Text(), nullable=False),
        sa.Column("admit_until", sa.Text(), nullable=False),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_arrivals")
        ),
    )
    op.create_table(
        "records_court_events",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("case_number", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_court_events")
        ),
    )
    op.create_table(
        "records_criminal_dispositions",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("incident_id", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("offense_code", sa.Text(), nullable=True),
        sa.Column("offense_description", sa.Text(), nullable=True),
        sa.Column("gang_related", sa.Text(), nullable=True),
        sa.Column("jurisdiction", sa.Text(), nullable=True),
        sa.Column("sentence_days", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_criminal_dispositions")
        ),
    )
    op.create_table(
        "records_departures",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("departure_date", sa.Text(), nullable=False),
        sa.Column("port", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("admission_number", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_departures")
        ),
    )
    op.create_table(
        "records_designations",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("designation_id", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_designations")
        ),
    )
    op.create_table(
        "records_encounters",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("encounter_id", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("encounter_type", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("field_office", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_encounters")
        ),
    )
    op.create_table(
        "records_relationships",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("relationship_id", sa.Text(), nullable=False),
        sa.Column("relationship", sa.Text(), nullable=False),
        sa.Column("relative_family_name", sa.Text(), nullable=False),
        sa.Column("relative_given_names", sa.Text(), nullable=True),
        sa.Column("relative_date_of_birth", sa.Text(), nullable=True),
        sa.Column("relative_us_citizen", sa.Text(), nullable=True),
        sa.Column("relative_a_number", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_relationships")
        ),
    )
    op.create_table(
        "records_status_events",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_utc", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("citizenship", sa.Text(), nullable=True),
        sa.Column("birth_country", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("document_country", sa.Text(), nullable=True),
        sa.Column("a_number", sa.Text(), nullable=True),
        sa.Column("receipt_number", sa.Text(), nullable=False),
        sa.Column("benefit", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("event_date", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.Text(), nullable=True),
        sa.Column("new_class", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("admission_number", sa.Text(), nullable=True),
        sa.Column("retracted", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", "version", name=op.f("pk_records_status_events")
        ),
    )


def downgrade() -> None:
    op.drop_table("records_status_events")
    op.drop_table("records_relationships")
    op.drop_table("records_encounters")
    op.drop_table("records_designations")
    op.drop_table("records_departures")
    op.drop_table("records_criminal_dispositions")
    op.drop_table("records_court_events")
    op.drop_table("records_arrivals")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_feed_raw_hash"))

    op.drop_table("quarantine")
    op.drop_table("ingest_batch")
