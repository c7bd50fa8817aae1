"""Use cases: admission statuses, their explanation, and the DHS overstay report.

Statuses are derived on read from the source records in force (cut at `known_at`) and the current
identity links, judged as of a date; nothing is stored, so every export reflects the records the
moment they are ingested, and the answer for one admission is the same SQL run over its persons only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ilos.domain.admission_rules import STATUS_MEANINGS, AdmissionStatus
from ilos.domain.moments import iso_date
from ilos.services.errors import IlosError

FIRST_FISCAL_YEAR = 1901
#: The last fiscal year whose days are all dates (it ends on 30 September 9999).
LAST_FISCAL_YEAR = 9999


class AdmissionWork(Protocol):
    """Set-at-a-time status computation over the store."""

    def statuses(self, as_of: date, known_at_utc: str | None, numbers: list[str] | None = None) -> Any:
        """`ilos export admissions` rows (all admissions, or those numbered)."""

    def explain(self, number: str, as_of: date, known_at_utc: str | None) -> dict[str, list[dict[str, Any]]]:
        """The working rows behind one admission's status."""

    def overstay_report(self, fiscal_year: int, as_of: date, known_at_utc: str | None) -> Any:
        """The overstay report rows of one fiscal year."""


def parse_as_of(text: str | None, today: date, option: str = "--as-of") -> date:
    """A date option such as `--as-of DATE` (default: today)."""
    if text is None:
        return today
    try:
        return iso_date(text)
    except ValueError:
        raise IlosError(f"{option} must be a date YYYY-MM-DD, not {text!r}") from None


def check_fiscal_year(year: int) -> int:
    """A fiscal year the report can speak of: any whose days are dates (an admission may be authorized
    years ahead, so a future year has expected departures too)."""
    if not FIRST_FISCAL_YEAR <= year <= LAST_FISCAL_YEAR:
        raise IlosError(f"--fiscal-year {year} is outside {FIRST_FISCAL_YEAR}..{LAST_FISCAL_YEAR}")
    return year


@dataclass
class AdmissionExplanation:
    """Why an admission has its status, step by step, each step naming the records it rests on."""

    admission_number: str
    as_of: date
    known_at_utc: str | None
    status: str = ""
    meaning: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for `--json` and the API)."""
        return {
            "admission_number": self.admission_number,
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at_utc,
            "status": self.status,
            "meaning": self.meaning,
            "steps": self.steps,
        }


def explain_admission(
    work: AdmissionWork, number: str, as_of: date, known_at_utc: str | None
) -> AdmissionExplanation:
    """Rules 1 to 5 applied to one admission, in words, with the records behind each step."""
    rows = work.explain(number, as_of, known_at_utc)
    if not rows["status"]:
        raise IlosError(f"admission {number} is not held (as of {as_of}, known at {known_at_utc or 'now'})")
    s = rows["status"][0]
    out = AdmissionExplanation(number, as_of, known_at_utc, s["status"])
    out.meaning = STATUS_MEANINGS[AdmissionStatus(s["status"])]
    adm = rows["admission"][0]
    out.steps.append(_step("admission", _admission_text(s, adm), [adm["uid"]]))
    out.steps += _authorized_steps(s, rows)
    out.steps += _departure_steps(s, rows)
    out.steps.append(_step("status", _verdict_text(s, as_of), []))
    return out


def _step(rule: str, text: str, sources: list[str]) -> dict[str, Any]:
    return {"rule": rule, "text": text, "sources": sources}


def _d(day: Any) -> str:
    return "open" if day is None else str(day)


def _admission_text(s: dict[str, Any], adm: dict[str, Any]) -> str:
    nxt = f"; the person's next admission is on {adm['next_on']}" if adm["next_on"] else ""
    return (
        f"Admitted on {s['admitted_on']} as {s['klass']} until {s['admit_until_text']} "
        f"(person {s['person_id'] or 'not linked'}){nxt}."
    )


def _authorized_steps(s: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    steps = []
    for end in rows["program_end"]:
        steps.append(
            _step(
                "1 authorized until",
                f"D/S program ended {end['event']} on {end['day']}; grace period {end['grace_days']} days "
                f"(rule in force on that date).",
                [end["uid"]],
            )
        )
    if s["admit_until_text"] == "D/S" and not rows["program_end"]:
        steps.append(_step("1 authorized until", "Duration of status with no program end: open.", []))
    for f in rows["filings"]:
        timely = "timely, protects while pending" if f["timely"] else "not timely, protects nothing"
        decision = f"{f['decision']} on {f['decided']}" if f["decision"] else "pending"
        if f["filed"] is None:
            timely = "no filing date"
        steps.append(
            _step(
                "2 filings",
                f"{f['benefit']} receipt {f['receipt_number']} filed {_d(f['filed'])} ({timely}); {decision}; "
                f"authorized until afterwards: {_d(f['until'])}.",
                f["sources"].split(";"),
            )
        )
    return steps


def _departure_steps(s: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    steps = [
        _step(
            "3 departures",
            f"Verified departure {d['day']} ({d['evidence']}"
            + (f", carries admission {d['number']}" if d["number"] else "")
            + ").",
            d["sources"].split(";"),
        )
        for d in rows["departures"]
    ]
    steps += [
        _step(
            "3 departures",
            f"Self-reported departure {r['day']}, not corroborated by another source.",
            [r["uid"]],
        )
        for r in rows["self_reports"]
    ]
    if not steps:
        steps.append(_step("3 departures", "No departure on record for this admission.", []))
    return steps


def _verdict_text(s: dict[str, Any], as_of: date) -> str:
    text = f"Authorized until {_d(s['until'])}; as of {as_of}: {s['status']}."
    if s["status"] == AdmissionStatus.DEPARTED_OVERSTAY:
        text += f" Left {(s['dep_day'] - s['until']).days} days after authorized-until."
    elif s["status"] in (AdmissionStatus.SUSPECTED_IN_COUNTRY_OVERSTAY, AdmissionStatus.DEPARTURE_UNVERIFIED):
        text += f" {(as_of - s['until']).days} days past authorized-until: a lead to verify, not a finding."
    return text
