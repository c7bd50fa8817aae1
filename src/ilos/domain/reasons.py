"""Why a feed row is quarantined: machine-readable codes, in the order they are checked."""

from enum import StrEnum


class Reason(StrEnum):
    """Quarantine reason codes. A row is reported under the first reason it breaks, in this order."""

    MALFORMED_ROW = "MALFORMED_ROW"
    MISSING_REQUIRED = "MISSING_REQUIRED"
    INVALID_CODE = "INVALID_CODE"
    INVALID_DATE = "INVALID_DATE"
    INVALID_TIMESTAMP = "INVALID_TIMESTAMP"
    INVALID_FORMAT = "INVALID_FORMAT"
    RECORDED_IN_FUTURE = "RECORDED_IN_FUTURE"
    EVENT_BEFORE_BIRTH = "EVENT_BEFORE_BIRTH"
    EVENT_AFTER_RECORDED = "EVENT_AFTER_RECORDED"
    ADMIT_UNTIL_BEFORE_ADMITTED = "ADMIT_UNTIL_BEFORE_ADMITTED"
    VISA_WAIVER_TOO_LONG = "VISA_WAIVER_TOO_LONG"
    DS_NOT_ALLOWED = "DS_NOT_ALLOWED"


#: One sentence per reason, for people reading `ilos quarantine list` and the docs.
REASON_DESCRIPTIONS: dict[Reason, str] = {
    Reason.MALFORMED_ROW: "The row could not be parsed (wrong number of fields, or not a JSON object).",
    Reason.MISSING_REQUIRED: "A required column is empty or missing.",
    Reason.INVALID_CODE: "A value is not one of the codes the contract allows for its column.",
    Reason.INVALID_DATE: "A date is not a real calendar date written YYYY-MM-DD.",
    Reason.INVALID_TIMESTAMP: "recorded_at is not an ISO 8601 timestamp with a UTC offset.",
    Reason.INVALID_FORMAT: "A value does not have the shape its column requires.",
    Reason.RECORDED_IN_FUTURE: "recorded_at lies in the future.",
    Reason.EVENT_BEFORE_BIRTH: "The event date is before the person's date of birth.",
    Reason.EVENT_AFTER_RECORDED: "The event date is later than the date it was recorded.",
    Reason.ADMIT_UNTIL_BEFORE_ADMITTED: "admit_until is before admitted_on.",
    Reason.VISA_WAIVER_TOO_LONG: "A visa-waiver admission (WB/WT) runs more than 89 days after admission.",
    Reason.DS_NOT_ALLOWED: "Duration of status (D/S) is only for F1, F2, J1 and J2.",
}
