"""Convictions of several categories in one matter, and when an order is final beside an appeal and a
voluntary-departure period (issue 5's finality rules), through the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

from tests.cli import ilos
from tests.feedfiles import write_csv
from tests.integration.test_priorities import listed, person_of, rec


def _person(name: str, a_number: str) -> dict[str, str]:
    return {"family_name": name, "given_names": "LUIS", "citizenship": "GTM", "sex": "M",
            "date_of_birth": "1985-03-04", "a_number": a_number}  # fmt: skip


def _load(tmp_path: Path, feed: str, rows: list[dict[str, str]]) -> str:
    url = f"sqlite:///{tmp_path / 'ilos.db'}"
    result = ilos("ingest", feed, str(write_csv(tmp_path / f"{feed}.csv", rows)), db=url)
    assert f"new {len(rows)}," in result.out, result.out
    return url


def _fired(url: str, person: str, policy: str, as_of: str) -> dict[str, list[str]]:
    """The rules that fire for `person` (explain rank), with their sources."""
    out = ilos("explain", "rank", person, "--policy", policy, "--as-of", as_of, "--json", db=url)
    assert out.code == 0, out.err
    return {line["rule"]: line["sources"] for line in json.loads(out.out)["lines"] if "rule" in line}


def test_every_category_of_convictions_in_one_matter_counts_whatever_the_record_ids(tmp_path: Path) -> None:
    """A violent felony and a misdemeanor in one matter are two convictions; before, the one with the
    larger record id stood for the matter, so the felony vanished when the misdemeanor's id sorted last."""
    for violent_id, minor_id in (("C1", "C2"), ("C2", "C1")):
        folder = tmp_path / violent_id
        who = _person("MULTA", "A300000001")
        rows = [
            rec("CJIS-TX", violent_id, who, incident_id="I1", stage="CONVICTION", event_date="2024-06-01",
                category="VIOLENT_FELONY"),
            rec("CJIS-TX", minor_id, who, incident_id="I1", stage="CONVICTION", event_date="2024-06-01",
                category="MISDEMEANOR"),
        ]  # fmt: skip
        url = _load(folder, "criminal_dispositions", rows)
        person = person_of(url, "C1")
        fired = _fired(url, person, "guidelines-2021", "2026-06-01")
        assert fired["PS_VIOLENT_FELONY"] == [f"criminal_dispositions/CJIS-TX/{violent_id}"]
        assert listed(url, "guidelines-2021", "2026-06-01")[person]["tier"] == "PUBLIC_SAFETY"


def test_an_order_appealed_in_time_is_final_when_the_appeal_is_dismissed_not_when_voluntary_departure_ends(
    tmp_path: Path,
) -> None:
    who = _person("APELADO", "A300000002")
    steps = [("NTA_FILED", "2025-01-05", {}), ("REMOVAL_ORDERED", "2026-01-05", {}),
             ("VOLUNTARY_DEPARTURE_GRANTED", "2026-01-05", {"deadline": "2026-03-05"}),
             ("VD_BOND_POSTED", "2026-01-07", {}), ("APPEAL_FILED", "2026-01-20", {}),
             ("APPEAL_DISMISSED", "2026-10-01", {})]  # fmt: skip
    rows = [
        rec("EOIR", f"W{i}", who, "2026-11-01T00:00:00Z", case_number="C-W", event=e, event_date=d, **kw)
        for i, (e, d, kw) in enumerate(steps)
    ]
    url = _load(tmp_path, "court_events", rows)
    person = person_of(url, "W0")
    assert "P3_FINAL_ORDER" not in _fired(url, person, "priorities-2014", "2026-09-01")
    assert _fired(url, person, "priorities-2014", "2026-10-02")["P3_FINAL_ORDER"] == [
        "court_events/EOIR/W1",
        "court_events/EOIR/W5",
    ]


def test_an_appeal_filed_after_the_window_leaves_the_order_final_and_holds_removal(tmp_path: Path) -> None:
    who = _person("TARDIO", "A300000003")
    rows = [
        rec("EOIR", "L1", who, case_number="C-L", event="REMOVAL_ORDERED", event_date="2025-01-06"),
        rec("EOIR", "L2", who, case_number="C-L", event="APPEAL_FILED", event_date="2026-06-01"),
    ]
    url = _load(tmp_path, "court_events", rows)
    person = person_of(url, "L1")
    assert listed(url, "priorities-2014", "2026-05-31")[person]["tier"] == "PRIORITY_3"
    assert _fired(url, person, "priorities-2014", "2026-06-02")["P3_FINAL_ORDER"] == ["court_events/EOIR/L1"]
    held = listed(url, "priorities-2014", "2026-06-02", "--include-held")[person]
    assert (held["tier"], held["holds"]) == ("HELD", "APPEAL")


def test_a_departed_person_is_no_longer_held_on_the_day_of_re_entry(tmp_path: Path) -> None:
    """`DEPARTED`: a verified departure after the person's last admission or entry; on the day they are
    admitted again, the departure is before their last entry."""
    who = _person("VUELTA", "A300000004")
    url = _load(tmp_path, "arrivals", [
        rec("I94", "R1", who, "2026-01-02T00:00:00Z", admission_number="00000000011", class_of_admission="B2",
            port_of_entry="JFK", mode="AIR", admitted_on="2026-01-01", admit_until="2026-06-30"),
        rec("I94", "R2", who, "2026-11-16T00:00:00Z", admission_number="00000000012", class_of_admission="B2",
            port_of_entry="JFK", mode="AIR", admitted_on="2026-11-15", admit_until="2027-05-14"),
    ])  # fmt: skip
    departure = rec("APIS", "M1", who, "2026-10-02T00:00:00Z", departure_date="2026-10-01", mode="AIR",
                    evidence="MANIFEST")  # fmt: skip
    _convicted_and_back(tmp_path, url, who, ("departures", departure), "2026-11-15")


def test_a_departed_person_arrested_inside_the_country_is_no_longer_held(tmp_path: Path) -> None:
    """An interior arrest after a departure shows the person back: `DEPARTED` ends the day before."""
    who = _person("REGRESO", "A300000005")
    url = _load(tmp_path, "departures", [
        rec("APIS", "M1", who, "2026-03-02T00:00:00Z", departure_date="2026-03-01", mode="AIR", evidence="MANIFEST"),
    ])  # fmt: skip
    arrest = rec("ICE-EID", "N1", who, "2026-06-02T00:00:00Z", encounter_id="N1", event_date="2026-06-01",
                 agency="ICE", encounter_type="INTERIOR_ARREST", outcome="DETAINED")  # fmt: skip
    _convicted_and_back(tmp_path, url, who, ("encounters", arrest), "2026-06-01")


def _convicted_and_back(
    tmp_path: Path, url: str, who: dict[str, str], last: tuple[str, dict[str, str]], back: str
) -> None:
    """Load `last` (feed, row) and a violent-felony conviction of the departed person `who`, recorded
    when they are back; `DEPARTED` holds them off the list the day before `back`, and no more on it."""
    conviction = rec("CJIS-TX", "K1", who, f"{back}T12:00:00Z", incident_id="I9", stage="CONVICTION",
                     event_date="2024-05-01", category="VIOLENT_FELONY")  # fmt: skip
    for feed, row in (last, ("criminal_dispositions", conviction)):
        assert ilos("ingest", feed, str(write_csv(tmp_path / f"{feed}.csv", [row])), db=url).code == 0
    person = person_of(url, last[1]["source_record_id"])
    day_before = (date.fromisoformat(back) - timedelta(days=1)).isoformat()
    assert listed(url, "guidelines-2021", day_before, "--include-held")[person]["holds"] == "DEPARTED"
    assert listed(url, "guidelines-2021", back)[person]["tier"] == "PUBLIC_SAFETY"


def _inputs_hash(url: str) -> str:
    assert (
        ilos(
            "worklist", "--policy", "priorities-2014", "--as-of", "2026-06-15", "--include-held", db=url
        ).code
        == 0
    )
    return json.loads(ilos("events", "--kind", "worklist:produced", db=url).out.splitlines()[-1])[
        "inputs_hash"
    ]


def test_the_inputs_hash_tells_apart_a_repeated_hold_and_another_source(tmp_path: Path) -> None:
    """Two equal stays are two holds, and one conviction recorded by another source is another input:
    each changes the hash (a bit-xor of rows let equal rows cancel, and the sources were left out)."""
    who = _person("HUELLA", "A300000005")
    order = rec("EOIR", "O1", who, case_number="C-H", event="REMOVAL_ORDERED", event_date="2025-01-02")
    stays = [rec("EOIR", f"S{i}", who, case_number="C-H", event="STAY_GRANTED", event_date="2026-06-01")
             for i in (1, 2)]  # fmt: skip
    convicted = {"incident_id": "I1", "stage": "CONVICTION", "event_date": "2024-01-01", "category": "FELONY"}
    stores = {
        "one stay": [("court_events", [order, stays[0]])],
        "two stays": [("court_events", [order, *stays])],
        "conviction by TX": [("court_events", [order]), ("criminal_dispositions", [rec("CJIS-TX", "X1", who, **convicted)])],
        "conviction by CA": [("court_events", [order]), ("criminal_dispositions", [rec("CJIS-CA", "X9", who, **convicted)])],
    }  # fmt: skip
    hashes = {}
    for name, feeds in stores.items():
        folder = tmp_path / name.replace(" ", "_")
        url = f"sqlite:///{folder / 'ilos.db'}"
        for feed, rows in feeds:
            assert ilos("ingest", feed, str(write_csv(folder / f"{feed}.csv", rows)), db=url).code == 0
        hashes[name] = _inputs_hash(url)
        assert _inputs_hash(url) == hashes[name]  # the same inputs, the same hash
    assert hashes["one stay"] != hashes["two stays"]
    assert hashes["conviction by TX"] != hashes["conviction by CA"]


def test_a_case_an_appeal_sent_back_is_in_proceedings_again(tmp_path: Path) -> None:
    who = _person("REABIERTO", "A300000006")
    steps = [("NTA_FILED", "2025-01-05"), ("REMOVAL_ORDERED", "2025-06-01"), ("APPEAL_FILED", "2025-06-20"),
             ("APPEAL_SUSTAINED", "2026-03-01"), ("HEARING_SCHEDULED", "2026-04-01")]  # fmt: skip
    rows = [
        rec("EOIR", f"Q{i}", who, case_number="C-Q", event=e, event_date=d) for i, (e, d) in enumerate(steps)
    ]
    url = _load(tmp_path, "court_events", rows)
    person = person_of(url, "Q0")
    out = ilos("explain", "rank", person, "--policy", "guidelines-2021", "--as-of", "2026-05-01", db=url).out
    assert "No removability fact" not in out
    before = ilos(
        "explain", "rank", person, "--policy", "guidelines-2021", "--as-of", "2026-02-01", db=url
    ).out
    assert "No removability fact" not in before  # the order pending its appeal is one too


def test_the_inputs_hash_of_a_store_without_holds_is_a_hash(tmp_path: Path) -> None:
    who = _person("SINRETEN", "A300000007")
    url = _load(tmp_path, "court_events", [rec("EOIR", "N1", who, case_number="C-N", event="NTA_FILED",
                                               event_date="2025-01-02")])  # fmt: skip
    digest = _inputs_hash(url)
    assert "None" not in digest
    assert len(digest.split("-")) == 3


def test_a_case_is_final_when_its_window_closes_though_an_appeal_comes_late(tmp_path: Path) -> None:
    """As the facts say: the order became final when the window closed; a later appeal holds removal
    (the case is suspended by it) but does not take the finality back."""
    who = _person("TARDE", "A300000008")
    rows = [
        rec("EOIR", "T1", who, case_number="C-T", event="NTA_FILED", event_date="2024-06-01"),
        rec("EOIR", "T2", who, case_number="C-T", event="REMOVAL_ORDERED", event_date="2025-01-06"),
        rec("EOIR", "T3", who, case_number="C-T", event="APPEAL_FILED", event_date="2026-06-01"),
    ]
    url = _load(tmp_path, "court_events", rows)
    for day in ("2026-05-01", "2026-07-01"):
        out = ilos("case", "history", "C-T", "--as-of", day, db=url)
        assert out.code == 0, out.err
        steps = [(r["step"], r["to"], r["applied"]) for r in csv.DictReader(io.StringIO(out.out))]
        assert ("appeal_window_closed", "FINAL_ORDER", "true") in steps, steps
