"""The events ILOS emits for its other parts to react to, with the fields each carries."""

from __future__ import annotations

from dataclasses import dataclass

DEPARTURE_VERIFIED = "departure:verified"
WORKLIST_PRODUCED = "worklist:produced"
CASE_STEP = "case:step"
PERSON_MERGED = "person:merged"
PERSON_SPLIT = "person:split"


@dataclass(frozen=True)
class EventKind:
    """One kind of event: when it is emitted and what it carries."""

    kind: str
    when: str
    fields: dict[str, str]


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind(
        DEPARTURE_VERIFIED,
        "A record arriving (`ilos stream` or `ilos ingest`) verifies the departure that ends an admission: "
        "a departure record verified on its own or corroborating a self-report, the arrival of an "
        "admission whose departure was already loaded, or a record of any feed by which identity "
        "resolution merges or splits persons so that a departure now ends an admission of its person, "
        "or a departure or arrival retracted or corrected so that another departure now ends an admission "
        "of the record's person; `ilos resolve` announces every departure not announced yet (after loads "
        "with `--no-resolve`). Once per admission and departure (day and evidence): a record that changes "
        "neither announces nothing again.",
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
    EventKind(
        WORKLIST_PRODUCED,
        "`ilos worklist` produced a worklist: what it was computed from, so that the same pack version, "
        "dates and records can be shown to give the same list.",
        {
            "person_id": "empty (the event is about a list)",
            "subject": "the policy pack's name",
            "version": "the pack's version",
            "pack_digest": "SHA-256 of the pack file",
            "as_of": "the date the list was judged as of",
            "known_at": "the records' known-at cut (empty: everything recorded)",
            "include_held": "whether held persons were listed (tier HELD)",
            "inputs_hash": "an order-independent hash of the facts and holds the list was ranked from",
            "list_hash": "SHA-256 of the listed rows, written as CSV with a header",
            "rows": "persons listed",
        },
    ),
    EventKind(
        CASE_STEP,
        "A user recorded something on a case (`ilos case open|move|assign`): a lead opened, an officer's step "
        "applied or refused, an assignment. Court, clock and departure steps are not events: they are derived "
        "from the immutable source records and replayed by `ilos case history` (with `--known-at`).",
        {
            "person_id": "the person the case is about (the first, by id, of a court case's persons)",
            "subject": "the case number",
            "step": "open, assign, or the officer's transition (docs/reference/case-states.md)",
            "day": "the day the step takes effect",
            "actor": "the user who acted",
            "reason": "why, as the user wrote it",
            "approved_by": "the approving supervisor, if any",
            "justification": "the supervisor's written justification, if any",
            "detail": "the step's detail: destination, travel document validity, charges, assignee, the "
            "worklist standing of a lead and whether it overrides the ranking",
            "applied": "whether the step was applied (false: refused)",
            "from": "the case's state before",
            "to": "the case's state after",
            "guard_results": "each guard of the step and whether it held on the day",
            "refusals": "the reasons a refused step was refused",
        },
    ),
    EventKind(
        PERSON_MERGED,
        "A resolution run (`ilos ingest`, `ilos stream`, `ilos resolve`) put the records of two persons in one: "
        "the oldest id survives (the contract's `ilos export links`).",
        {
            "person_id": "the surviving person",
            "subject": "the absorbed person's id, retired",
            "run_id": "the resolution run",
            "mode": "full or incremental",
            "before": "each person's record uids before the run, by person id",
            "after": "the surviving person's record uids after the run, by person id",
            "reason": "why, in words",
        },
    ),
    EventKind(
        PERSON_SPLIT,
        "A resolution run took records of one person apart (a correction, a retraction, a reviewer's "
        "`separate`): the part holding the oldest record keeps the id.",
        {
            "person_id": "the person who kept the id",
            "subject": "the id of the part that left",
            "run_id": "the resolution run",
            "mode": "full or incremental",
            "before": "the person's record uids before the run, by person id",
            "after": "the record uids of both parts after the run, by person id",
            "reason": "why, in words",
        },
    ),
)
