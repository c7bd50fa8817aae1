"""Relational schema of the record store, shared by the embedded store (SQLite) and PostgreSQL.

Source records are append-only: one row per version of `(source_system, source_record_id)`.
A correction is a new version; a record version is identified by (source_system,
source_record_id, version) within its feed's table. Nothing is updated in place, except the
quarantine's `resolved_batch_id` (a replay later loaded the row) and, within the transaction that
loads a batch, the batch's totals and the row numbers after an unparseable CSV row.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)

from ilos.domain.feeds import FEEDS, Feed

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Columns every record table has before the contract columns.
PROVENANCE_COLUMNS = ("batch_id", "file_row", "version", "content_hash", "recorded_at_utc")

ingest_batch = Table(
    "ingest_batch",
    metadata,
    Column("batch_id", Integer, primary_key=True, autoincrement=True),
    Column("feed", Text, nullable=False),
    Column("origin", Text, nullable=False),  # file | stream | replay
    Column("source", Text, nullable=False),  # file path, or a description of the origin
    Column("source_sha256", Text),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("outcome_counts", Text, nullable=False),  # JSON: outcome and reason -> count
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("quarantine_id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", BigInteger, nullable=False),
    Column("feed", Text, nullable=False),
    Column("source_system", Text),
    Column("source_record_id", Text),
    Column("file", Text, nullable=False),
    Column("file_row", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("raw", Text, nullable=False),  # the row as delivered, JSON object (or the raw line)
    Column("raw_hash", Text, nullable=False),
    Column("resolved_batch_id", BigInteger),
    Index(None, "feed", "raw_hash"),
)


def record_table_name(feed: Feed) -> str:
    """Name of the table holding `feed`'s source records."""
    return f"records_{feed.name}"


def _record_table(feed: Feed) -> Table:
    name = record_table_name(feed)
    return Table(
        name,
        metadata,
        Column("batch_id", BigInteger, nullable=False),
        Column("file_row", BigInteger, nullable=False),
        Column("version", Integer, nullable=False),
        Column("content_hash", Text, nullable=False),
        Column("recorded_at_utc", Text, nullable=False),
        *(Column(c.name, Text, nullable=not c.required) for c in feed.columns),
        Column("extra", Text),  # unknown extra columns as a JSON object
        PrimaryKeyConstraint("source_system", "source_record_id", "version"),
        # a long-lived process (the stream) reads only the versions later batches stored
        Index(None, "batch_id"),
        # one admission's status reads the records carrying its number
        *([Index(None, "admission_number")] if "admission_number" in feed.column_names else []),
    )


record_tables: dict[str, Table] = {name: _record_table(f) for name, f in FEEDS.items()}

# --- identity resolution (issue 3): derived state that must persist between runs -------------------

resolution_run = Table(
    "resolution_run",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("mode", Text, nullable=False),  # full | incremental
    Column("model_id", BigInteger),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text, nullable=False),
    Column("counts", Text, nullable=False),  # JSON: records, persons, merges, splits, review
)

identity_model = Table(
    "identity_model",
    metadata,
    Column("model_id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Text, nullable=False),
    Column("trained_on_records", BigInteger, nullable=False),
    Column("model_json", Text, nullable=False),
)

person = Table(
    "person",
    metadata,
    Column("person_id", Text, primary_key=True),
    Column("created_run", BigInteger, nullable=False),
    Column("retired_run", BigInteger),  # set when merged into another person
)

_ANCHORED = text("anchor_uid IS NOT NULL")

identity_link = Table(
    "identity_link",
    metadata,
    Column("record_uid", Text, primary_key=True),  # feed/source_system/source_record_id
    Column("feed", Text, nullable=False),
    Column("source_system", Text, nullable=False),
    Column("source_record_id", Text, nullable=False),
    Column("person_id", Text, nullable=False),
    Column("run_id", BigInteger, nullable=False),
    # The record's linked component (its smallest record uid) and a hash of its identity columns:
    # what incremental linking needs to know which persons a new or changed record can touch.
    Column("component", Text, nullable=True),
    Column("identity_hash", Text, nullable=True),
    # Set on a link made as its record was stored (ADR 13): the record repeats the identity signature of
    # this one, whose link it follows until a run links it (the run removes it first when it replaces the
    # anchor's link). Such a link has no identity hash: every run sees its record as new.
    Column("anchor_uid", Text, nullable=True),
    Index(None, "person_id"),
    Index(None, "anchor_uid", sqlite_where=_ANCHORED, postgresql_where=_ANCHORED),
)

component_fact = Table(  # what the last runs' clustering read of each linked component (ADR 11)
    "component_fact",
    metadata,
    # kept with the links, in the run's transaction, so that a process warming up from the store can decide
    # new signatures as they are stored (`identity.new_links`); a component's row goes when a run
    # re-resolves it or replaces a link of its records, and comes back when a run clusters it
    Column("component", Text, primary_key=True),
    Column("signatures", BigInteger, nullable=False),
    Column("pairs", BigInteger, nullable=False),
    Column("support", BigInteger, nullable=False),
    Column("apart", Boolean, nullable=False),
    Column("a_numbers", BigInteger, nullable=False),
    Column("a_number", Text),
    Column("settled", Boolean, nullable=False),
    Column("whole", Boolean, nullable=False),
    Column("run_id", BigInteger, nullable=False),  # the run that clustered it
)

retired_link = Table(  # the last person of each record no longer in force (retracted since)
    "retired_link",
    metadata,
    # what `--known-at` before the retraction needs: the record was in force then, linked to this person
    # (kept current through later merges); removed when the record is in force again
    Column("record_uid", Text, primary_key=True),
    Column("feed", Text, nullable=False),
    Column("source_system", Text, nullable=False),
    Column("source_record_id", Text, nullable=False),
    Column("person_id", Text, nullable=False),
    Column("run_id", BigInteger, nullable=False),  # the run that took the record out of force
)

identity_event = Table(
    "identity_event",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),  # merge | split
    Column("person_id", Text, nullable=False),  # merge: the survivor; split: the id that was kept
    Column("other_person_id", Text, nullable=False),  # merge: the absorbed id; split: the new id
    Column("reason", Text, nullable=False),
    Column("at", Text, nullable=False),
    Index(None, "run_id"),  # what a run merged or split, for its announcements
)

review_pair = Table(
    "review_pair",
    metadata,
    Column("record_uid_l", Text, primary_key=True),
    Column("record_uid_r", Text, primary_key=True),
    Column("match_weight", Float, nullable=False),
    Column("match_probability", Float, nullable=False),
    Column("rule", Text, nullable=False),  # the hard rule that sent it to review, or ''
    Column("first_seen_run", BigInteger, nullable=False),
    Column("decision", Text),  # NULL while open; link | separate (kept as a constraint for every later run)
    Column("reason", Text),
    Column("actor", Text),
    Column("decided_at", Text),
    Index(None, "first_seen_run"),  # the pairs a run queued, which a long-lived process reads alone
)

# --- relatives (issue 3, item 7): the relatives named in `relationships`, resolved to persons --------

relative_link = Table(
    "relative_link",
    metadata,
    Column("source_system", Text, primary_key=True),  # the relationships row
    Column("source_record_id", Text, primary_key=True),
    Column("relationship_id", Text, nullable=False),
    Column("subject_person_id", Text),  # NULL only when the row itself is not linked to a person
    Column("relationship", Text, nullable=False),  # SPOUSE | CHILD | PARENT (what the relative is)
    Column("relative_person_id", Text),  # NULL when ILOS holds no record of the relative, or several fit
    Column("relative_us_citizen", Text),  # true | false | NULL (not reported)
    Column("match", Text, nullable=False),  # a_number | name_and_birth_date | ambiguous | not_held
    Column("run_id", BigInteger, nullable=False),  # the resolution run whose persons these are
    Index(None, "subject_person_id"),
    Index(None, "relative_person_id"),
)

# --- events (issue 4): what happened, for the parts of ILOS that react to it ---------------------------

app_user = Table(
    "app_user",
    metadata,
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),  # officer, supervisor, analyst, auditor, privacy
    Column("field_office", Text),
    Column("added_at", Text, nullable=False),
)

case_action = Table(  # append only: every officer step on a case, applied or refused, with its guards
    "case_action",
    metadata,
    Column("action_id", Integer, primary_key=True, autoincrement=True),
    Column("case_number", Text, nullable=False),  # a court case number, or L-n for a lead
    Column("person_id", Text),
    Column("step", Text, nullable=False),
    Column("day", Text, nullable=False),  # the date the step takes effect
    Column("at", Text, nullable=False),  # when it was recorded (UTC)
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("approved_by", Text),
    Column("justification", Text),
    Column("detail", Text, nullable=False),  # JSON: travel document validity, destination country, ...
    Column("applied", Boolean, nullable=False),
    Column("from_state", Text, nullable=False),
    Column("to_state", Text, nullable=False),
    Column("guard_results", Text, nullable=False),  # JSON object: guard -> held
    Column("refusals", Text, nullable=False),  # JSON list of reasons
    Index(None, "case_number", "action_id"),
)

domain_event = Table(
    "domain_event",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", Text, nullable=False),  # e.g. departure:verified
    Column("at", Text, nullable=False),  # when ILOS recorded the event (UTC)
    Column("person_id", Text),
    Column("subject", Text),  # what the event is about, e.g. the admission number
    Column("payload", Text, nullable=False),  # JSON object
    Index(None, "kind", "event_id"),
    Index(None, "kind", "subject"),
    Index(None, "person_id"),
)
