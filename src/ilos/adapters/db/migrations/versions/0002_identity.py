"""identity resolution: persons, links, events, models, review

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_event",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("other_person_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_identity_event")),
    )
    op.create_table(
        "identity_link",
        sa.Column("record_uid", sa.Text(), nullable=False),
        sa.Column("feed", sa.Text(), nullable=False),
        sa.Column("source_system", sa.Text(), nullable=False),
        sa.Column("source_record_id", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("record_uid", name=op.f("pk_identity_link")),
    )
    with op.batch_alter_table("identity_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_link_person_id"), ["person_id"], unique=False)

    op.create_table(
        "identity_model",
        sa.Column("model_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("trained_on_records", sa.BigInteger(), nullable=False),
        sa.Column("model_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_identity_model")),
    )
    op.create_table(
        "person",
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("created_run", sa.BigInteger(), nullable=False),
        sa.Column("retired_run", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person")),
    )
    op.create_table(
        "resolution_run",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.Text(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_resolution_run")),
    )
    op.create_table(
        "review_pair",
        sa.Column("record_uid_l", sa.Text(), nullable=False),
        sa.Column("record_uid_r", sa.Text(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("first_seen_run", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("record_uid_l", "record_uid_r", name=op.f("pk_review_pair")),
    )


def downgrade() -> None:
    op.drop_table("review_pair")
    op.drop_table("resolution_run")
    op.drop_table("person")
    op.drop_table("identity_model")
    with op.batch_alter_table("identity_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_link_person_id"))

    op.drop_table("identity_link")
    op.drop_table("identity_event")
