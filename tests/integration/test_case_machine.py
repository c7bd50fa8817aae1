"""Hypothesis drives one case through the real store with random sequences of actions: court events, filings and
departures ingested, and officers' steps taken with random approvals, destinations and documents.

After every officer step it checks, from other commands than the one that decided: a removal is
carried out only under a final order reached in the case's history, with a travel document valid on
the day and no blocking hold in force (`ilos holds`); a referral or scheduled removal is applied only
with another supervisor's written approval; no notice to appear is issued while a citizenship claim
is open. A quarter of the cases start as an officer's lead, the rest in court.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.cli import ilos
from tests.feedfiles import write_csv

WHO = {"family_name": "MAQUINA", "given_names": "LUZ", "date_of_birth": "1979-04-04", "a_number": "A400000001",
       "citizenship": "HND", "sex": "F"}  # fmt: skip
COURT = ["IN_ABSENTIA_ORDER", "IN_ABSENTIA_ORDER", "NTA_FILED", "HEARING_SCHEDULED", "REMOVAL_ORDERED", "APPEAL_WAIVED", "APPEAL_FILED",
         "APPEAL_DISMISSED", "APPEAL_SUSTAINED", "STAY_GRANTED", "STAY_LIFTED", "VOLUNTARY_DEPARTURE_GRANTED",
         "RELIEF_GRANTED", "VD_BOND_POSTED", "MOTION_TO_REOPEN_FILED"]  # fmt: skip
FILINGS = [("ASYLUM", "FILED", ""), ("ASYLUM", "DENIED", ""), ("TPS", "APPROVED", ""), ("WITHHOLDING", "APPROVED", "HND"),
           ("CITIZENSHIP", "CLAIMED", "")]  # fmt: skip
#: The next officer's step on the way to a removal (or a referral), from each state.
NEXT = {"FINAL_ORDER": "request_travel_document", "TRAVEL_DOCUMENT_REQUESTED": "issue_travel_document",
        "TRAVEL_DOCUMENT_ISSUED": "schedule_removal", "REMOVAL_SCHEDULED": "execute_removal", "LEAD": "vet",
        "VETTING": "refer", "REFERRED": "issue_nta"}  # fmt: skip
STEPS = ["request_travel_document", "issue_travel_document", "schedule_removal", "execute_removal", "close", "vet",
         "refer", "issue_nta"]  # fmt: skip
BLOCKING = {"no enforcement", "no removal"}
LAST_DAY = date(2026, 11, 20)


class CaseDriver:
    """One person, one court case, a clock that only moves forward."""

    def __init__(self, start: str, folder: Path) -> None:
        self.folder, self.url, self.n = folder, f"sqlite:///{folder / 'ilos.db'}", 0
        self.day = date(2024, 1, 8)
        self.documents: list[tuple[date, date]] = []  # (issued on, valid until) of applied issues
        for name, role in (("ana", "officer"), ("bo", "supervisor")):
            assert ilos("users", "add", name, "--role", role, db=self.url).code == 0
        self.case = "C1"
        if start == "lead":  # an overstay an officer opens a lead on: vetting, referral, notice to appear
            self._ingest("arrivals", {"admission_number": "77700000A01", "class_of_admission": "B2", "mode": "AIR",
                                      "port_of_entry": "MIA", "admitted_on": "2023-01-03", "admit_until": "2023-07-02"})  # fmt: skip
            person = next(csv.DictReader(io.StringIO(ilos("export", "links", db=self.url).out)))["person_id"]
            opened = ilos("case", "open", "--person", person, "--actor", "ana", "--reason", "machine", "--on",
                          str(self.day), db=self.url)  # fmt: skip
            assert opened.code == 0, opened.err
            self.case = opened.out.strip()
            return
        self._ingest("court_events", {"case_number": "C1", "event": "NTA_FILED", "event_date": str(self.day)})
        if start == "ordered":  # cases under an in-absentia order, so that removals are attempted often
            self._ingest(
                "court_events",
                {"case_number": "C1", "event": "IN_ABSENTIA_ORDER", "event_date": str(self.day)},
            )

    def _ingest(self, feed: str, row: dict[str, str]) -> None:
        self.n += 1
        record = {"source_system": "SYS", "source_record_id": f"R{self.n}", "recorded_at": f"{self.day}T12:00:00Z",
                  **WHO, **row}  # fmt: skip
        done = ilos(
            "ingest", feed, str(write_csv(self.folder / f"{feed}{self.n}.csv", [record])), db=self.url
        )
        assert done.code == 0, done.err

    def wait(self, days: int) -> None:
        self.day = min(self.day + timedelta(days=days), LAST_DAY)

    def court_event(self, event: str) -> None:
        deadline = {"deadline": str(self.day + timedelta(days=60))} if event in ("HEARING_SCHEDULED",
                                                                               "VOLUNTARY_DEPARTURE_GRANTED") else {}  # fmt: skip
        self._ingest(
            "court_events", {"case_number": "C1", "event": event, "event_date": str(self.day), **deadline}
        )

    def status_event(self, filing: tuple[str, str, str]) -> None:
        benefit, event, country = filing
        extra = {"valid_until": str(self.day + timedelta(days=365))} if benefit == "TPS" else {}
        self._ingest("status_events", {"receipt_number": f"RC-{benefit}", "benefit": benefit, "event": event,
                                       "event_date": str(self.day), "country": country, **extra})  # fmt: skip

    def departure(self) -> None:
        self._ingest("departures", {"departure_date": str(self.day), "mode": "AIR", "evidence": "MANIFEST"})

    def officer_step(self, pick: str, approved: bool, country: str, valid_days: int) -> bool:
        """One officer's step; whether it was applied."""
        name = pick
        if pick == "next":  # mostly the next step of the removal path, so that the guards are reached
            shown = ilos("case", "show", self.case, "--as-of", str(self.day), db=self.url).out
            state = shown.splitlines()[0].rsplit(": ", 1)[1]
            event(f"officer at {state}")
            if state not in NEXT:
                return False
            name = NEXT[state]
        args = [
            "case",
            "move",
            self.case,
            name,
            "--actor",
            "ana",
            "--reason",
            "machine",
            "--on",
            str(self.day),
        ]
        if approved:
            args += ["--approved-by", "bo", "--justification", "checked the file"]
        if country:
            args += ["--country", country]
        valid_until = self.day + timedelta(days=valid_days)
        if name == "issue_travel_document":
            args += ["--valid-until", str(valid_until)]
        if name == "issue_nta":
            args += ["--charge", "OVERSTAY"]
        done = ilos(*args, db=self.url)
        if done.code != 0:
            assert "refused" in done.err or "not an officer's step" in done.err, done.err
            return False
        if name == "issue_travel_document":
            self.documents.append((self.day, valid_until))
        if name in ("refer", "schedule_removal"):
            assert approved, f"{name} applied without a supervisor's approval"
        if name in ("schedule_removal", "execute_removal"):
            event(f"applied {name}")
            self._check_removal_allowed(country)
        if name == "issue_nta":
            event("applied issue_nta")
            held = self._holds_in_force()
            assert "CITIZENSHIP_CLAIM" not in held, "a notice to appear during a citizenship claim"
            assert not {"PROTECTION_PENDING", "TPS"} & held, (
                "an overstay charge while a protecting filing is pending"
            )
        return True

    def _holds_in_force(self) -> set[str]:
        person = next(csv.DictReader(io.StringIO(ilos("export", "links", db=self.url).out)))["person_id"]
        holds = json.loads(ilos("holds", person, "--as-of", str(self.day), "--json", db=self.url).out)
        return {h["code"] for h in holds if h["in_force"]}

    def _check_removal_allowed(self, country: str) -> None:
        assert country, "a removal step applied without a destination"
        assert self.documents, "no travel document issued"
        assert self.documents[-1][1] >= self.day, "the travel document expired"
        person = next(csv.DictReader(io.StringIO(ilos("export", "links", db=self.url).out)))["person_id"]
        holds = json.loads(ilos("holds", person, "--as-of", str(self.day), "--json", db=self.url).out)
        blocking = [h["code"] for h in holds if h["in_force"] and h["scope"] in BLOCKING]
        barred = [h["code"] for h in holds if h["in_force"] and h["code"] == f"COUNTRY_BAR:{country}"]
        assert not blocking, f"removal step during {blocking}"
        assert not barred, f"removal to a barred country {barred}"
        out = ilos("case", "history", self.case, "--as-of", str(self.day), db=self.url).out
        states = [r["to"] for r in csv.DictReader(io.StringIO(out)) if r["applied"] == "true"]
        assert "FINAL_ORDER" in states, "a removal step without a final order in the case's history"

    def history_is_consistent(self) -> None:
        out = ilos("case", "history", self.case, "--as-of", str(self.day), db=self.url)
        assert out.code == 0, out.err
        rows = list(csv.DictReader(io.StringIO(out.out)))
        for before, after in pairwise(rows):  # each step starts where the last one ended
            assert after["from"] == before["to"]


OFFICER = st.tuples(
    st.just("officer"),
    st.tuples(
        st.sampled_from(["push", "push", *STEPS]),
        st.booleans(),
        st.sampled_from(["HND", "MEX", "MEX", ""]),
        st.integers(-10, 90),
    ),
)
ACTIONS = st.one_of(
    OFFICER, st.tuples(st.just("court"), st.sampled_from(COURT)), OFFICER,
    st.tuples(st.just("wait"), st.integers(0, 45)), OFFICER, st.tuples(st.just("filing"), st.sampled_from(FILINGS)),
    OFFICER, st.tuples(st.just("court"), st.sampled_from(COURT)),
    st.tuples(st.just("departure"), st.sampled_from([True, False, False, False])),
)  # fmt: skip


def apply(driver: CaseDriver, kind: str, arg: Any) -> None:
    """One action of the sequence."""
    if kind == "wait":
        driver.wait(arg)
    elif kind == "court":
        driver.court_event(arg)
    elif kind == "filing":
        driver.status_event(arg)
    elif kind == "departure":
        if arg:  # a departure ends the case: rarer than the rest
            driver.departure()
    elif arg[0] == "push":  # the next steps of the removal path, until one is refused
        for _ in range(4):
            if not driver.officer_step("next", *arg[1:]):
                break
    else:
        driver.officer_step(*arg)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    start=st.sampled_from(["lead", "nta", "ordered", "ordered"]),
    actions=st.lists(ACTIONS, min_size=12, max_size=16),
)
def test_random_cases_never_reach_a_step_the_law_does_not_allow(
    start: str, actions: list[tuple[str, Any]]
) -> None:
    with TemporaryDirectory(prefix="ilos-case-machine-") as folder:  # one store an example, removed after it
        driver = CaseDriver(start, Path(folder))
        for kind, arg in actions:
            apply(driver, kind, arg)
            driver.history_is_consistent()
