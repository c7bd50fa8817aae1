"""The events ILOS emits for its other parts to react to, with the fields each carries."""

from __future__ import annotations

from dataclasses import dataclass

DEPARTURE_VERIFIED = "departure:verified"


@dataclass(frozen=True)
class EventKind:
    """One kind of event: when it is emitted and what it carries."""

    kind: str
    when: str
    fields: dict[str, str]


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind(
        DEPARTURE_VERIFIED,
        "A departure record arriving (`ilos stream departures` or `ilos ingest departures`) verifies the "
        "departure that ends an admission: a verified record of its own, or a self-report it corroborates.",
        {
            "person_id": "the person who left",
            "subject": "the admission number (what the event is about)",
            "admission_number": "the admission the departure ends",
            "departure_date": "the verified departure date (the earliest of a corroborated self-report's records)",
            "evidence": "the evidence type of the departure",
            "status": "the admission's status after the departure: DEPARTED_TIMELY, DEPARTED_OVERSTAY or "
            "STATUS_CHANGED",
            "sources": "record uids (feed/source_system/source_record_id) the verified departure rests on",
        },
    ),
)
