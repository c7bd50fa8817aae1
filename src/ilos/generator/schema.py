"""Columns and validation vocabulary of the feeds of the interchange contract."""

from __future__ import annotations

IDENTITY = (
    "source_system",
    "source_record_id",
    "recorded_at",
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "citizenship",
    "birth_country",
    "document_type",
    "document_number",
    "document_country",
    "a_number",
)

FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "arrivals": (
        "admission_number",
        "class_of_admission",
        "port_of_entry",
        "mode",
        "admitted_on",
        "admit_until",
    ),
    "departures": ("departure_date", "port", "mode", "carrier", "evidence", "admission_number"),
    "status_events": (
        "receipt_number",
        "benefit",
        "event",
        "event_date",
        "valid_from",
        "valid_until",
        "new_class",
        "country",
        "admission_number",
    ),
    "court_events": ("case_number", "event", "event_date", "deadline", "country"),
    "criminal_dispositions": (
        "incident_id",
        "stage",
        "event_date",
        "category",
        "offense_code",
        "offense_description",
        "gang_related",
        "jurisdiction",
        "sentence_days",
    ),
    "encounters": ("encounter_id", "event_date", "agency", "encounter_type", "outcome", "field_office"),
    "designations": ("designation_id", "event", "event_date", "authority"),
    "relationships": (
        "relationship_id",
        "relationship",
        "relative_family_name",
        "relative_given_names",
        "relative_date_of_birth",
        "relative_us_citizen",
        "relative_a_number",
    ),
}
FEEDS = tuple(FEED_COLUMNS)

REQUIRED: dict[str, tuple[str, ...]] = {
    "arrivals": (
        "admission_number",
        "class_of_admission",
        "port_of_entry",
        "mode",
        "admitted_on",
        "admit_until",
    ),
    "departures": ("departure_date", "mode", "evidence"),
    "status_events": ("receipt_number", "benefit", "event", "event_date"),
    "court_events": ("case_number", "event", "event_date"),
    "criminal_dispositions": ("incident_id", "stage", "event_date", "category"),
    "encounters": ("encounter_id", "event_date", "agency", "encounter_type", "outcome"),
    "designations": ("designation_id", "event", "event_date", "authority"),
    "relationships": ("relationship_id", "relationship", "relative_family_name"),
}

EVENT_DATE = {"arrivals": "admitted_on", "departures": "departure_date"}
for _feed in ("status_events", "court_events", "criminal_dispositions", "encounters", "designations"):
    EVENT_DATE[_feed] = "event_date"

#: Optional date columns per feed (besides the event date).
OTHER_DATES: dict[str, tuple[str, ...]] = {
    "arrivals": ("admit_until",),
    "status_events": ("valid_from", "valid_until"),
    "court_events": ("deadline",),
}

#: Code columns (beyond the identity ones) that a defect may corrupt, with an invalid value each.
BAD_CODES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "arrivals": (("class_of_admission", ("ZZ9", "XX1", "TOURIST")), ("mode", ("PLANE", "RAIL"))),
    "departures": (("evidence", ("PHOTO", "RUMOR")), ("mode", ("BUS", "FLIGHT"))),
    "status_events": (("benefit", ("GREEN_CARD", "PAROLE_X")), ("event", ("APPROVE", "PENDING"))),
    "court_events": (("event", ("HEARING", "DEPORTED")), ("country", ("MX", "GER"))),
    "criminal_dispositions": (("stage", ("SENTENCED", "PLEA")), ("category", ("FELONY_A", "MINOR"))),
    "encounters": (
        ("agency", ("BORDER_PATROL", "CBP")),
        ("encounter_type", ("ARREST",)),
        ("outcome", ("DEPORTED", "FREED")),
    ),
    "designations": (("event", ("ADD", "DELETED")),),
    "relationships": (("relationship", ("COUSIN", "SIBLING")),),
}
IDENTITY_BAD_CODES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sex", ("Q", "MALE")),
    ("citizenship", ("GER", "UK", "MX")),
    ("document_type", ("Z", "PP")),
)

#: Columns with a format rule, per feed, and malformed values for them.
BAD_FORMATS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "arrivals": (
        ("admission_number", ("1234567", "12345-678901", "123456789012")),
        ("port_of_entry", ("NY", "JFK1", "N1C")),
        ("a_number", ("A12345", "012345678")),
        ("retracted", ("yes", "1")),
    ),
    "departures": (
        ("port", ("N1C", "LA")),
        ("admission_number", ("98765", "ABC-DEF-GHIJ")),
        ("a_number", ("A1234567890",)),
    ),
    "status_events": (("admission_number", ("5551212", "A1B2C3")), ("a_number", ("A123", "B12345678"))),
    "court_events": (("a_number", ("A123", "A 12345678")), ("retracted", ("Y",))),
    "criminal_dispositions": (
        ("sentence_days", ("30 days", "1.5", "ten")),
        ("gang_related", ("Y", "yes", "1")),
    ),
    "encounters": (("a_number", ("A12", "12-345-678")), ("retracted", ("no",))),
    "designations": (("a_number", ("A1",)), ("retracted", ("T",))),
    "relationships": (
        ("relative_us_citizen", ("yes", "Y", "USC")),
        ("relative_a_number", ("A12", "X1234567")),
    ),
}

REASONS = (
    "MISSING_REQUIRED",
    "INVALID_CODE",
    "INVALID_DATE",
    "INVALID_TIMESTAMP",
    "INVALID_FORMAT",
    "RECORDED_IN_FUTURE",
    "EVENT_BEFORE_BIRTH",
    "EVENT_AFTER_RECORDED",
    "ADMIT_UNTIL_BEFORE_ADMITTED",
    "VISA_WAIVER_TOO_LONG",
    "DS_NOT_ALLOWED",
)
ARRIVAL_ONLY = frozenset({"ADMIT_UNTIL_BEFORE_ADMITTED", "VISA_WAIVER_TOO_LONG", "DS_NOT_ALLOWED"})


def columns(feed: str) -> tuple[str, ...]:
    """All columns of a feed file, in order."""
    return IDENTITY + FEED_COLUMNS[feed] + ("retracted",)


def reasons(feed: str) -> tuple[str, ...]:
    """Quarantine reasons that can occur in a feed."""
    out = [r for r in REASONS if r not in ARRIVAL_ONLY or feed == "arrivals"]
    if feed not in EVENT_DATE:
        out = [r for r in out if r not in ("EVENT_BEFORE_BIRTH", "EVENT_AFTER_RECORDED")]
    return tuple(out)
