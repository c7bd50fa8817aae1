"""The feeds of the interchange contract as data: columns, code lists and row rules.

This module is the single statement of `shared/spec/feeds.md` "Feeds" in code. Validation,
storage schema, documentation and the generator tests all read it; nothing else restates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ilos.domain.countries import COUNTRY_CODES
from ilos.domain.reasons import Reason


class Kind(StrEnum):
    """How a column's value is checked."""

    TEXT = "text"
    CODE = "code"
    DATE = "date"
    BIRTH_DATE = "birth_date"  # YYYY-MM-DD, YYYY-MM or YYYY
    STAY_END = "stay_end"  # a date or the literal D/S
    TIMESTAMP = "timestamp"  # ISO 8601 with offset
    BOOLEAN = "boolean"
    INTEGER = "integer"
    PATTERN = "pattern"


@dataclass(frozen=True)
class Column:
    """One contract column."""

    name: str
    required: bool = False
    kind: Kind = Kind.TEXT
    codes: frozenset[str] = frozenset()
    pattern: str = ""
    shape: str = ""  # what a valid value looks like, for messages
    event_date: bool = False  # checked against date_of_birth and recorded_at

    @property
    def reason(self) -> Reason:
        """The reason a malformed value of this column is quarantined under."""
        return _KIND_REASON[self.kind]


_KIND_REASON = {
    Kind.TEXT: Reason.INVALID_FORMAT,
    Kind.CODE: Reason.INVALID_CODE,
    Kind.DATE: Reason.INVALID_DATE,
    Kind.BIRTH_DATE: Reason.INVALID_DATE,
    Kind.STAY_END: Reason.INVALID_DATE,
    Kind.TIMESTAMP: Reason.INVALID_TIMESTAMP,
    Kind.BOOLEAN: Reason.INVALID_FORMAT,
    Kind.INTEGER: Reason.INVALID_FORMAT,
    Kind.PATTERN: Reason.INVALID_FORMAT,
}


@dataclass(frozen=True)
class DateOrder:
    """`later` may not be before `earlier` (both dates; skipped when `later` is not a date)."""

    earlier: str
    later: str
    reason: Reason


@dataclass(frozen=True)
class MaxStay:
    """For these classes, `until` is at most `days` after `since`."""

    classes: frozenset[str]
    since: str
    until: str
    days: int
    reason: Reason


@dataclass(frozen=True)
class LiteralOnlyFor:
    """`column` may hold `literal` only when `class_column` is one of `classes`."""

    column: str
    literal: str
    class_column: str
    classes: frozenset[str]
    reason: Reason


RowRule = DateOrder | MaxStay | LiteralOnlyFor


@dataclass(frozen=True)
class Feed:
    """A feed: its name, its columns (identity columns first), its row rules and its key column."""

    name: str
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = field(default=())
    summary: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        """All contract column names, in contract order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


A_NUMBER_PATTERN = r"^A[0-9]{7,9}$"
PORT_PATTERN = r"^[A-Z]{3}$"
ADMISSION_NUMBER_PATTERN = r"^[A-Z0-9]{11}$"

CLASSES_OF_ADMISSION = _codes(
    """
    A1 A2 A3 B1 B2 BE C1 C1D C2 C3 C4 CP CW1 CW2 D1 D2 E1 E2 E2C E3 E3D E3R F1 F2 F3
    G1 G2 G3 G4 G5 GB GT H1B H1B1 H1C H2A H2B H2R H3 H4 I I1 J1 J2 K1 K2 K3 K4 L1 L1A L1B L2
    M1 M2 M3 N8 N9 NATO1 NATO2 NATO3 NATO4 NATO5 NATO6 NATO7 O1 O2 O3 P1 P2 P3 P4 Q1 R1 R2
    S5 S6 S7 T1 T2 T3 T4 T5 T6 TD TN U1 U2 U3 U4 U5 V1 V2 V3 WB WT
    """
)
VISA_WAIVER_CLASSES = _codes("WB WT")
DURATION_OF_STATUS_CLASSES = _codes("F1 F2 J1 J2")
DURATION_OF_STATUS = "D/S"


def _country(name: str, required: bool = False) -> Column:
    return Column(name, required, Kind.CODE, COUNTRY_CODES, shape="an ISO 3166-1 alpha-3 code")


IDENTITY_COLUMNS: tuple[Column, ...] = (
    Column("source_system", required=True),
    Column("source_record_id", required=True),
    Column("recorded_at", True, Kind.TIMESTAMP, shape="an ISO 8601 timestamp with offset"),
    Column("family_name", required=True),
    Column("given_names"),
    Column("date_of_birth", kind=Kind.BIRTH_DATE, shape="YYYY-MM-DD, YYYY-MM or YYYY"),
    Column("sex", kind=Kind.CODE, codes=_codes("M F X U")),
    _country("citizenship"),
    _country("birth_country"),
    Column("document_type", kind=Kind.CODE, codes=_codes("P V B N O")),
    Column("document_number"),
    _country("document_country"),
    Column("a_number", kind=Kind.PATTERN, pattern=A_NUMBER_PATTERN, shape="A followed by 7 to 9 digits"),
)

#: Optional columns every feed may carry beyond the identity columns.
RETRACTED = Column("retracted", kind=Kind.BOOLEAN, shape="true or false")
MODES = _codes("AIR SEA LAND")


def _date(name: str, required: bool = True, event: bool = False) -> Column:
    return Column(name, required, Kind.DATE, shape="YYYY-MM-DD", event_date=event)


def _admission_number(required: bool) -> Column:
    return Column(
        "admission_number",
        required,
        Kind.PATTERN,
        pattern=ADMISSION_NUMBER_PATTERN,
        shape="11 characters A-Z or 0-9",
    )


def _feed(name: str, summary: str, columns: tuple[Column, ...], rules: tuple[RowRule, ...] = ()) -> Feed:
    return Feed(name, IDENTITY_COLUMNS + columns + (RETRACTED,), rules, summary)


ARRIVALS = _feed(
    "arrivals",
    "admissions of nonimmigrants (I-94 records)",
    (
        _admission_number(required=True),
        Column("class_of_admission", True, Kind.CODE, CLASSES_OF_ADMISSION),
        Column("port_of_entry", True, Kind.PATTERN, pattern=PORT_PATTERN, shape="a 3-letter port code"),
        Column("mode", True, Kind.CODE, MODES),
        _date("admitted_on", event=True),
        Column("admit_until", True, Kind.STAY_END, shape="YYYY-MM-DD or D/S"),
    ),
    (
        DateOrder("admitted_on", "admit_until", Reason.ADMIT_UNTIL_BEFORE_ADMITTED),
        MaxStay(VISA_WAIVER_CLASSES, "admitted_on", "admit_until", 89, Reason.VISA_WAIVER_TOO_LONG),
        LiteralOnlyFor(
            "admit_until",
            DURATION_OF_STATUS,
            "class_of_admission",
            DURATION_OF_STATUS_CLASSES,
            Reason.DS_NOT_ALLOWED,
        ),
    ),
)

EVIDENCE_VERIFIED = _codes("MANIFEST BIOMETRIC_EXIT PARTNER_ENTRY CONSULAR_VERIFICATION REMOVAL_EXECUTED")
EVIDENCE_UNVERIFIED = _codes("SELF_REPORTED")

DEPARTURES = _feed(
    "departures",
    "evidence that a person left the United States",
    (
        _date("departure_date", event=True),
        Column("port", kind=Kind.PATTERN, pattern=PORT_PATTERN, shape="a 3-letter port code"),
        Column("mode", True, Kind.CODE, MODES),
        Column("carrier"),
        Column("evidence", True, Kind.CODE, EVIDENCE_VERIFIED | EVIDENCE_UNVERIFIED),
        _admission_number(required=False),
    ),
)

BENEFITS = _codes(
    """EXTENSION_OF_STAY CHANGE_OF_STATUS ADJUSTMENT_OF_STATUS ASYLUM WITHHOLDING CAT TPS DACA
    U_VISA T_VISA STUDENT_PROGRAM CITIZENSHIP"""
)
STATUS_EVENTS_CODES = _codes(
    "FILED APPROVED DENIED WITHDRAWN REVOKED EXPIRED COMPLETED TERMINATED CLAIMED CONFIRMED REJECTED"
)

STATUS_EVENTS = _feed(
    "status_events",
    "filings and decisions that change authorized stay or protection",
    (
        Column("receipt_number", required=True),
        Column("benefit", True, Kind.CODE, BENEFITS),
        Column("event", True, Kind.CODE, STATUS_EVENTS_CODES),
        _date("event_date", event=True),
        _date("valid_from", required=False),
        _date("valid_until", required=False),
        Column("new_class", kind=Kind.CODE, codes=CLASSES_OF_ADMISSION),
        _country("country"),
        _admission_number(required=False),
    ),
)

COURT_EVENT_CODES = _codes(
    """NTA_FILED HEARING_SCHEDULED REMOVAL_ORDERED IN_ABSENTIA_ORDER VOLUNTARY_DEPARTURE_GRANTED
    VD_BOND_POSTED RELIEF_GRANTED TERMINATED APPEAL_WAIVED APPEAL_FILED APPEAL_DISMISSED
    APPEAL_SUSTAINED MOTION_TO_REOPEN_FILED MOTION_TO_REOPEN_DECIDED STAY_GRANTED STAY_LIFTED
    EXPEDITED_REMOVAL_ORDER REINSTATEMENT_ORDER ADMINISTRATIVE_REMOVAL_ORDER"""
)

COURT_EVENTS = _feed(
    "court_events",
    "immigration court and appeal events",
    (
        Column("case_number", required=True),
        Column("event", True, Kind.CODE, COURT_EVENT_CODES),
        _date("event_date", event=True),
        _date("deadline", required=False),
        _country("country"),
    ),
)

CRIMINAL_DISPOSITIONS = _feed(
    "criminal_dispositions",
    "criminal history from courts and records systems",
    (
        Column("incident_id", required=True),
        Column(
            "stage", True, Kind.CODE, _codes("ARREST CHARGE CONVICTION ACQUITTAL DISMISSAL EXPUNGED VACATED")
        ),
        _date("event_date", event=True),
        Column(
            "category",
            True,
            Kind.CODE,
            _codes("AGGRAVATED_FELONY VIOLENT_FELONY FELONY SIGNIFICANT_MISDEMEANOR MISDEMEANOR INFRACTION"),
        ),
        Column("offense_code"),
        Column("offense_description"),
        Column("gang_related", kind=Kind.BOOLEAN, shape="true or false"),
        Column("jurisdiction"),
        Column("sentence_days", kind=Kind.INTEGER, shape="a whole number of days"),
    ),
)

ENCOUNTERS = _feed(
    "encounters",
    "enforcement and border encounters",
    (
        Column("encounter_id", required=True),
        _date("event_date", event=True),
        Column("agency", True, Kind.CODE, _codes("CBP_BORDER CBP_PORT ICE")),
        Column(
            "encounter_type", True, Kind.CODE, _codes("APPREHENSION INADMISSIBLE INTERIOR_ARREST CHECK_IN")
        ),
        Column(
            "outcome",
            True,
            Kind.CODE,
            _codes("RELEASED_NTA EXPEDITED_REMOVAL DETAINED PAROLED RETURNED RELEASED_ATD"),
        ),
        Column("field_office"),
    ),
)

DESIGNATIONS = _feed(
    "designations",
    "national-security designations from the authorized screening source",
    (
        Column("designation_id", required=True),
        Column("event", True, Kind.CODE, _codes("ADDED REMOVED")),
        _date("event_date", event=True),
        Column("authority", required=True),
    ),
)

RELATIONSHIPS = _feed(
    "relationships",
    "family ties reported in filings",
    (
        Column("relationship_id", required=True),
        Column("relationship", True, Kind.CODE, _codes("SPOUSE CHILD PARENT")),
        Column("relative_family_name", required=True),
        Column("relative_given_names"),
        Column("relative_date_of_birth", kind=Kind.BIRTH_DATE, shape="YYYY-MM-DD, YYYY-MM or YYYY"),
        Column("relative_us_citizen", kind=Kind.BOOLEAN, shape="true or false"),
        Column(
            "relative_a_number",
            kind=Kind.PATTERN,
            pattern=A_NUMBER_PATTERN,
            shape="A followed by 7 to 9 digits",
        ),
    ),
)

FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        ARRIVALS,
        DEPARTURES,
        STATUS_EVENTS,
        COURT_EVENTS,
        CRIMINAL_DISPOSITIONS,
        ENCOUNTERS,
        DESIGNATIONS,
        RELATIONSHIPS,
    )
}


def feed(name: str) -> Feed:
    """The feed called `name`, or a ValueError naming the feeds that exist."""
    try:
        return FEEDS[name]
    except KeyError:
        raise ValueError(f"unknown feed {name!r}; feeds are: {', '.join(FEEDS)}") from None
