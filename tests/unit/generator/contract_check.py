"""An independent reading of the contract's row rules, used to check the generated files.

``violations`` returns every rule a row breaks (not just the first), so that tests can assert that
valid rows break none and defective rows break exactly the one the manifest predicts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a table."""
    return frozenset(text.split())


ISO3 = _words(
    """
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR
BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG
COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH
FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM
KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL
MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR
NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU
SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA
TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB
VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE XXA XXB XXC XXX
"""
)
CLASSES = _words(
    """
A1 A2 A3 B1 B2 C1 C2 C3 CW1 CW2 D1 D2 E1 E2 E3 F1 F2 F3 G1 G2 G3 G4 G5 H1B H1B1 H1C H2A H2B H2R
H3 H4 I J1 J2 K1 K2 K3 K4 L1 L1A L1B L2 M1 M2 M3 N8 N9 O1 O2 O3 P1 P2 P3 P4 Q1 R1 R2 S5 S6 T1
T2 TD TN U1 U2 V1 V2 WB WT
"""
)
CODES: dict[str, frozenset[str]] = {
    "sex": frozenset("MFXU"),
    "document_type": frozenset("PVBNO"),
    "mode": frozenset({"AIR", "SEA", "LAND"}),
    "evidence": frozenset(
        {
            "MANIFEST",
            "BIOMETRIC_EXIT",
            "PARTNER_ENTRY",
            "CONSULAR_VERIFICATION",
            "REMOVAL_EXECUTED",
            "SELF_REPORTED",
        }
    ),
    "benefit": frozenset(
        {
            "EXTENSION_OF_STAY",
            "CHANGE_OF_STATUS",
            "ADJUSTMENT_OF_STATUS",
            "ASYLUM",
            "WITHHOLDING",
            "CAT",
            "TPS",
            "DACA",
            "U_VISA",
            "T_VISA",
            "STUDENT_PROGRAM",
            "CITIZENSHIP",
        }
    ),
    "stage": frozenset({"ARREST", "CHARGE", "CONVICTION", "ACQUITTAL", "DISMISSAL", "EXPUNGED", "VACATED"}),
    "category": frozenset(
        {
            "AGGRAVATED_FELONY",
            "VIOLENT_FELONY",
            "FELONY",
            "SIGNIFICANT_MISDEMEANOR",
            "MISDEMEANOR",
            "INFRACTION",
        }
    ),
    "agency": frozenset({"CBP_BORDER", "CBP_PORT", "ICE"}),
    "encounter_type": frozenset({"APPREHENSION", "INADMISSIBLE", "INTERIOR_ARREST", "CHECK_IN"}),
    "outcome": frozenset(
        {"RELEASED_NTA", "EXPEDITED_REMOVAL", "DETAINED", "PAROLED", "RETURNED", "RELEASED_ATD"}
    ),
    "relationship": frozenset({"SPOUSE", "CHILD", "PARENT"}),
}
EVENTS = {
    "status_events": frozenset(
        {
            "FILED",
            "APPROVED",
            "DENIED",
            "WITHDRAWN",
            "REVOKED",
            "EXPIRED",
            "COMPLETED",
            "TERMINATED",
            "CLAIMED",
            "CONFIRMED",
            "REJECTED",
        }
    ),
    "court_events": frozenset(
        {
            "NTA_FILED",
            "HEARING_SCHEDULED",
            "REMOVAL_ORDERED",
            "IN_ABSENTIA_ORDER",
            "VOLUNTARY_DEPARTURE_GRANTED",
            "VD_BOND_POSTED",
            "RELIEF_GRANTED",
            "TERMINATED",
            "APPEAL_WAIVED",
            "APPEAL_FILED",
            "APPEAL_DISMISSED",
            "APPEAL_SUSTAINED",
            "MOTION_TO_REOPEN_FILED",
            "MOTION_TO_REOPEN_DECIDED",
            "STAY_GRANTED",
            "STAY_LIFTED",
            "EXPEDITED_REMOVAL_ORDER",
            "REINSTATEMENT_ORDER",
            "ADMINISTRATIVE_REMOVAL_ORDER",
        }
    ),
    "designations": frozenset({"ADDED", "REMOVED"}),
}
COUNTRY_COLUMNS = ("citizenship", "birth_country", "document_country", "country")
REQUIRED = {
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
EVENT_DATE = {"arrivals": "admitted_on", "departures": "departure_date", "relationships": ""}
DATES = ("admit_until", "valid_from", "valid_until", "deadline", "relative_date_of_birth")
FORMATS = {
    "admission_number": re.compile(r"[A-Z0-9]{11}"),
    "a_number": re.compile(r"A\d{7,9}"),
    "relative_a_number": re.compile(r"A\d{7,9}"),
    "port_of_entry": re.compile(r"[A-Z]{3}"),
    "port": re.compile(r"[A-Z]{3}"),
    "sentence_days": re.compile(r"\d+"),
    "retracted": re.compile(r"true|false"),
    "gang_related": re.compile(r"true|false"),
    "relative_us_citizen": re.compile(r"true|false"),
}
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_date(text: str) -> date | None:
    """A strict YYYY-MM-DD date, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_dob(text: str) -> date | None:
    """Earliest day of a full or partial (YYYY-MM, YYYY) birth date, or None."""
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1)
    if re.fullmatch(r"\d{4}-\d{2}", text) and 1 <= int(text[5:]) <= 12:
        return date(int(text[:4]), int(text[5:]), 1)
    return parse_date(text)


def parse_stamp(text: str) -> datetime | None:
    """An ISO 8601 timestamp with offset, or None."""
    if not STAMP.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _codes(feed: str, row: dict[str, str]) -> bool:
    """True when every code column holds a listed code (or is empty)."""
    for column, allowed in CODES.items():
        if row.get(column) and row[column] not in allowed:
            return False
    if any(row.get(c) and row[c] not in ISO3 for c in COUNTRY_COLUMNS):
        return False
    if any(row.get(c) and row[c] not in CLASSES for c in ("class_of_admission", "new_class")):
        return False
    return not (feed in EVENTS and row.get("event") and row["event"] not in EVENTS[feed])


def _dates_ok(feed: str, row: dict[str, str]) -> bool:
    columns = [EVENT_DATE.get(feed, "event_date"), *DATES]
    for column in columns:
        value = row.get(column, "") if column else ""
        if value and not (column == "admit_until" and value == "D/S") and parse_date(value) is None:
            return False
    return not (row["date_of_birth"] and parse_dob(row["date_of_birth"]) is None)


def violations(feed: str, row: dict[str, str], now: datetime) -> list[str]:
    """Every rule the row breaks."""
    found: list[str] = []
    required = ("source_system", "source_record_id", "recorded_at", "family_name", *REQUIRED[feed])
    if any(not row[c] for c in required):
        found.append("MISSING_REQUIRED")
    if not _codes(feed, row):
        found.append("INVALID_CODE")
    if not _dates_ok(feed, row):
        found.append("INVALID_DATE")
    stamp = parse_stamp(row["recorded_at"]) if row["recorded_at"] else None
    if row["recorded_at"] and stamp is None:
        found.append("INVALID_TIMESTAMP")
    if any(row.get(c) and not rx.fullmatch(row[c]) for c, rx in FORMATS.items()):
        found.append("INVALID_FORMAT")
    if stamp is not None and stamp > now:
        found.append("RECORDED_IN_FUTURE")
    found += _event_rules(feed, row, stamp)
    if feed == "arrivals":
        found += _arrival_rules(row)
    return found


def recorded_days(stamp: datetime) -> tuple[date, date]:
    """The date of a timestamp in its own offset and in UTC."""
    utc = stamp - (stamp.utcoffset() or timedelta(0))
    return stamp.date(), utc.date()


def _event_rules(feed: str, row: dict[str, str], stamp: datetime | None) -> list[str]:
    column = EVENT_DATE.get(feed, "event_date")
    event = parse_date(row.get(column, "")) if column else None
    if event is None:
        return []
    out = []
    dob = parse_dob(row["date_of_birth"]) if row["date_of_birth"] else None
    if dob is not None and event < dob:
        out.append("EVENT_BEFORE_BIRTH")
    if stamp is not None and any(event > day for day in recorded_days(stamp)):
        out.append("EVENT_AFTER_RECORDED")
    return out


def _arrival_rules(row: dict[str, str]) -> list[str]:
    admitted = parse_date(row["admitted_on"])
    until_text = row["admit_until"]
    out = []
    if until_text == "D/S":
        if row["class_of_admission"] and row["class_of_admission"] not in ("F1", "F2", "J1", "J2"):
            out.append("DS_NOT_ALLOWED")
        return out
    until = parse_date(until_text)
    if admitted is None or until is None:
        return out
    if until < admitted:
        out.append("ADMIT_UNTIL_BEFORE_ADMITTED")
    if row["class_of_admission"] in ("WB", "WT") and (until - admitted).days > 89:
        out.append("VISA_WAIVER_TOO_LONG")
    return out
