"""A departure that carries only a name joins the one person in the country under that name."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from ilos.adapters.identity import IdentityResolver
from ilos.adapters.identity.trips import DAY

from .conftest import SCHEMA, clusters_of, pair, record

WITH_DAY = SCHEMA.append(pa.field(DAY, pa.string()))


def _arrival(uid: str, day: str, **values: Any) -> dict[str, Any]:
    return {**record(f"arrivals/I94/{uid}", **values), DAY: day}


def _departure(uid: str, day: str, **values: Any) -> dict[str, Any]:
    fields = {"feed": "departures", "source_system": "APIS", **values}
    return {**record(f"departures/APIS/{uid}", **fields), DAY: day}


def _name_only(uid: str, day: str, **values: Any) -> dict[str, Any]:
    """A departure with the base person's names and citizenship, nothing else to link it by."""
    fields = {"date_of_birth": None, "document_number": None, "birth_country": None, **values}
    return _departure(uid, day, **fields)


def _scored(resolver: IdentityResolver, *rows: dict[str, Any]) -> tuple[pa.Table, dict[str, int]]:
    """The scored pairs of `rows` and each record's cluster."""
    records = pa.Table.from_pylist(list(rows), schema=WITH_DAY)
    pairs = resolver.score(records)
    return pairs, clusters_of(resolver.cluster(records, pairs))


def _resolve(resolver: IdentityResolver, *rows: dict[str, Any]) -> dict[str, int]:
    return _scored(resolver, *rows)[1]


def _other_person(uid: str, day: str) -> dict[str, Any]:
    """Another Bartosz Kowalczyk of Poland: other birth date, other passport."""
    return _arrival(uid, day, date_of_birth="1990-11-02", document_number="EK9999999")


def test_a_name_only_departure_joins_the_one_traveller_in_the_country(resolver: IdentityResolver) -> None:
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), _name_only("d1", "2024-03-20"))
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def test_names_in_either_order_and_script_variants_still_match(resolver: IdentityResolver) -> None:
    swapped = _name_only("d1", "2024-03-20", family_name="Bartosz", given_names="KOWALCZYK")
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), swapped)
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def _placed_on_arrival(
    resolver: IdentityResolver,
    arrived_as: tuple[str, str],
    left_as: tuple[str, str],
    citizenship: str = "POL",
) -> bool:
    """Whether a name-only departure under `left_as` (family, given) joins an arrival under `arrived_as`."""
    arrival = _arrival("a1", "2024-03-01", family_name=arrived_as[0], given_names=arrived_as[1],
                       citizenship=citizenship)  # fmt: skip
    departure = _name_only("d1", "2024-03-20", family_name=left_as[0], given_names=left_as[1],
                           citizenship=citizenship)  # fmt: skip
    got = _resolve(resolver, arrival, departure)
    return got["departures/APIS/d1"] == got["arrivals/I94/a1"]


@pytest.mark.parametrize(
    ("arrived_as", "left_as"),
    [(("Kowalczyk Nowak", "Bartosz"), ("Kowalczyk", "Bartosz")),
     (("Kowalczyk", "Bartosz"), ("Kowalczyk Nowak", "Bartosz")),
     (("Kowalczyk Nowak", "Bartosz"), ("Bartosz", "Kowalczyk")),
     (("Moller", "Bartosz"), ("Møller-Hansen", "Bartosz"))],
    ids=["second surname dropped on leaving", "second surname added on leaving", "dropped and swapped",
         "cut as transliterated"],
)  # fmt: skip
def test_a_second_surname_one_record_leaves_out_still_matches(
    resolver: IdentityResolver, arrived_as: tuple[str, str], left_as: tuple[str, str]
) -> None:
    assert _placed_on_arrival(resolver, arrived_as, left_as)


@pytest.mark.parametrize(
    ("arrived_as", "left_as"),
    [(("Kowalczyk Nowak", "Bartosz"), ("Kowalczyk Wójcik", "Bartosz")),
     (("Kowalczyk", "Bartosz"), ("Kowalczyk", "Bartosz Jan")),
     (("Kim", "Ji-yeon"), ("Jin-woo", "Kim")),
     (("Hassan", "Mohamed"), ("Mohamed", "Mohamed"))],
    ids=["two second surnames", "a second given name", "a given name cut in the surname's place",
         "a one-word surname, never cut"],
)  # fmt: skip
def test_only_a_missing_second_surname_is_forgiven(
    resolver: IdentityResolver, arrived_as: tuple[str, str], left_as: tuple[str, str]
) -> None:
    # Two different second surnames are two families; a given name is not cut. A swapped record's
    # given name stands where the surname does and is cut: JIN of JIN-WOO, whose skeleton is JI-YEON's,
    # is compared by its spelling.
    assert not _placed_on_arrival(resolver, arrived_as, left_as, citizenship="KOR")


def test_two_people_of_that_name_in_the_country_leave_it_alone(resolver: IdentityResolver) -> None:
    got = _resolve(
        resolver,
        _arrival("a1", "2024-03-01"),
        _other_person("b1", "2024-03-10"),
        _name_only("d1", "2024-03-20"),
    )
    assert got["arrivals/I94/a1"] != got["arrivals/I94/b1"]
    assert got["departures/APIS/d1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def _namesakes_and_returns(resolver: IdentityResolver, *later: dict[str, Any]) -> dict[str, int]:
    """Bartosz arrives (a1), a namesake arrives (b1), a name-only departure (d1) follows, then `later`."""
    return _resolve(
        resolver,
        _arrival("a1", "2024-03-01"),
        _other_person("b1", "2024-03-10"),
        _name_only("d1", "2024-03-20"),
        *later,
    )


def test_of_namesakes_in_the_country_the_one_who_arrives_again_took_it(resolver: IdentityResolver) -> None:
    # Bartosz arrives again with no departure of his in between: he left, and this departure is the
    # only one that says when. The namesake stays.
    got = _namesakes_and_returns(resolver, _arrival("a2", "2024-04-15"))
    assert got["arrivals/I94/a1"] == got["arrivals/I94/a2"] != got["arrivals/I94/b1"]
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


@pytest.mark.parametrize(
    "later",
    [[_arrival("a2", "2024-04-15"), _other_person("b2", "2024-04-20")],
     [_departure("a2", "2024-04-01"), _arrival("a3", "2024-04-15")]],
    ids=["both arrive again", "his own departure before his return"],
)  # fmt: skip
def test_a_return_decides_only_when_it_is_one_namesakes_and_nothing_else_ended_the_stay(
    resolver: IdentityResolver, later: list[dict[str, Any]]
) -> None:
    # Both namesakes left and came back; or Bartosz's own departure record (full identity) ended his
    # stay after this one's day: the return says nothing of this departure.
    got = _namesakes_and_returns(resolver, *later)
    for row in later:  # each later record is his (a...) or the namesake's (b...)
        assert got[row["record_uid"]] == got[f"arrivals/I94/{row['source_record_id'][0]}1"]
    assert got["arrivals/I94/a1"] != got["arrivals/I94/b1"]
    assert got["departures/APIS/d1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def test_an_encounter_before_his_return_shows_he_left_later(resolver: IdentityResolver) -> None:
    # An encounter shows Bartosz still in the country after this departure's day: he left later, by
    # a record ILOS does not hold.
    got = _namesakes_and_returns(resolver, _encounter("e1", "2024-04-01"), _arrival("a2", "2024-04-15"))
    assert got["arrivals/I94/a1"] == got["arrivals/I94/a2"] == got["encounters/ICE-EID/e1"]
    assert got["departures/APIS/d1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def test_two_departures_in_the_gap_of_one_return_leave_both_alone(resolver: IdentityResolver) -> None:
    # Bartosz's return says he left once between his arrivals; two departures of his name fall there
    # (the namesake may have left on one of them): the return cannot say which is his.
    got = _namesakes_and_returns(resolver, _name_only("d2", "2024-03-25"), _arrival("a2", "2024-04-15"))
    assert got["arrivals/I94/a1"] == got["arrivals/I94/a2"]
    for departure in ("departures/APIS/d1", "departures/APIS/d2"):
        assert got[departure] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def test_a_return_and_a_spelling_that_disagree_leave_it_alone(resolver: IdentityResolver) -> None:
    # Only Bartosz's arrival is spelled as the departure is; only the namesake arrives again. Two
    # pieces of evidence point at two people: neither decides.
    kowalczek = {"family_name": "Kowalczek", "date_of_birth": "1990-11-02", "document_number": "EK9999999"}
    got = _resolve(
        resolver, _arrival("a1", "2024-03-01"), _arrival("b1", "2024-03-10", **kowalczek),
        _name_only("d1", "2024-03-20"), _arrival("b2", "2024-04-15", **kowalczek),
    )  # fmt: skip
    assert got["arrivals/I94/b1"] == got["arrivals/I94/b2"] != got["arrivals/I94/a1"]
    assert got["departures/APIS/d1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def test_of_namesakes_in_the_country_the_one_spelled_alike_takes_it(resolver: IdentityResolver) -> None:
    # KOWALCZYK and KOWALCZEK share a skeleton (one name key), but only one arrival is spelled as the
    # departure is; spelled alike twice (above), it stays alone.
    kowalczek = _arrival("b1", "2024-03-10", family_name="Kowalczek", date_of_birth="1990-11-02",
                         document_number="EK9999999")  # fmt: skip
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), kowalczek, _name_only("d1", "2024-03-20"))
    assert got["arrivals/I94/a1"] != got["arrivals/I94/b1"]
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def test_a_person_only_in_review_with_it_keeps_the_spelling_from_deciding(resolver: IdentityResolver) -> None:
    # A departure with a passport no other record carries. Its traveller arrived under a compound
    # surname (another name key, in review with the departure); a namesake spelled alike is in the
    # country too. Either may be its traveller.
    compound = _arrival("a1", "2024-03-01", family_name="Kowalczyk Nowak")
    namesake = _other_person("b1", "2024-03-10")
    departure = _name_only("d1", "2024-03-20", document_number="EK5555555")
    pairs, got = _scored(resolver, compound, namesake, departure)
    assert pair(pairs, "arrivals/I94/a1", "departures/APIS/d1")["decision"] == "review"
    assert got["departures/APIS/d1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def test_a_departure_under_both_surnames_joins_the_one_who_arrived_under_both(
    resolver: IdentityResolver,
) -> None:
    # A namesake under the first surname alone is in the country too; the departure carries the whole
    # name, as only one of them does. (Named the other way round, the departure under the first
    # surname alone, neither spelling decides: see the test above.)
    both = _arrival("a1", "2024-03-01", family_name="Kowalczyk Nowak")
    first_only = _other_person("b1", "2024-03-10")
    got = _resolve(resolver, both, first_only, _name_only("d1", "2024-03-20", family_name="Kowalczyk Nowak"))
    assert got["arrivals/I94/a1"] != got["arrivals/I94/b1"]
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def test_a_namesake_who_already_left_is_no_candidate(resolver: IdentityResolver) -> None:
    got = _resolve(
        resolver,
        _arrival("a1", "2024-03-01"),
        _other_person("b1", "2024-02-01"),
        _departure("b2", "2024-02-15", date_of_birth="1990-11-02", document_number="EK9999999"),
        _name_only("d1", "2024-03-20"),
    )
    assert got["arrivals/I94/b1"] == got["departures/APIS/b2"] != got["arrivals/I94/a1"]
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def test_no_arrival_before_the_day_or_another_citizenship_places_nothing(resolver: IdentityResolver) -> None:
    later = _resolve(resolver, _arrival("a1", "2024-04-01"), _name_only("d1", "2024-03-20"))
    assert later["departures/APIS/d1"] != later["arrivals/I94/a1"]
    czech = {"citizenship": "CZE", "document_country": "CZE"}
    other = _resolve(resolver, _arrival("a1", "2024-03-01"), _name_only("d1", "2024-03-20", **czech))
    assert other["departures/APIS/d1"] != other["arrivals/I94/a1"]


def test_the_passports_country_stands_for_a_misrecorded_citizenship(resolver: IdentityResolver) -> None:
    # The departure's citizenship is misrecorded; its passport's country is the arrival's.
    misrecorded = _name_only("d1", "2024-03-20", citizenship="CHN")
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), misrecorded)
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]
    # The arrival's citizenship is misrecorded instead; its passport's country is the departure's.
    arrival = _arrival("a1", "2024-03-01", citizenship="NLD")
    got = _resolve(resolver, arrival, _name_only("d1", "2024-03-20"))
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]
    # A document the United States issued (a visa, a border crossing card) says nothing of it.
    visa = {"citizenship": "CHN", "document_type": "V", "document_country": "USA"}
    arrival = _arrival("a1", "2024-03-01", document_number="V67666091", **visa)
    got = _resolve(resolver, arrival, _name_only("d1", "2024-03-20", **visa))
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]
    got = _resolve(
        resolver, arrival, _name_only("d1", "2024-03-20", citizenship="MEX", document_country="USA")
    )
    assert got["departures/APIS/d1"] != got["arrivals/I94/a1"]


def test_a_departure_with_a_birth_date_is_linked_by_identity_not_by_trip(resolver: IdentityResolver) -> None:
    # A departure the weights decide keeps their decision: another birth date keeps it apart.
    departure = _departure("d1", "2024-03-20", date_of_birth="1961-01-30", document_number=None)
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), departure)
    assert got["departures/APIS/d1"] != got["arrivals/I94/a1"]


def test_a_departure_whose_document_links_it_to_nothing_is_placed_by_its_trip(
    resolver: IdentityResolver,
) -> None:
    # A renewed passport and no birth date: the names alone leave the pair in review, so the trip decides.
    departure = _name_only("d1", "2024-03-20", document_number="EK7777777")
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), departure)
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def test_a_departure_its_document_links_stays_with_that_person(resolver: IdentityResolver) -> None:
    # The namesake who left in 2023 carried this passport: the weights link it to him, and the trip
    # of the one Bartosz Kowalczyk in the country does not take it.
    got = _resolve(
        resolver,
        _arrival("a1", "2024-03-01"),
        _other_person("b1", "2023-01-01"),
        _departure("b2", "2023-02-01", date_of_birth="1990-11-02", document_number="EK9999999"),
        _name_only("d1", "2024-03-20", document_number="EK9999999"),
    )
    assert got["departures/APIS/d1"] == got["arrivals/I94/b1"] != got["arrivals/I94/a1"]


def _thin(uid: str, day: str, **values: Any) -> dict[str, Any]:
    """A departure of the base person with no given name and a birth date one day off: the weights
    leave it in review with her (surname, birth date near, citizenship)."""
    fields = {"given_names": None, "date_of_birth": "1984-03-18", "document_number": None, "birth_country": None,
              **values}  # fmt: skip
    return _departure(uid, day, **fields)


def test_a_departure_in_review_with_the_one_traveller_in_the_country_joins_him(
    resolver: IdentityResolver,
) -> None:
    pairs, got = _scored(resolver, _arrival("a1", "2024-03-01"), _thin("d1", "2024-03-20"))
    assert pair(pairs, "arrivals/I94/a1", "departures/APIS/d1")["decision"] == "review"
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]


def test_a_departure_in_review_with_two_travellers_in_the_country_stays_alone(
    resolver: IdentityResolver,
) -> None:
    # Another Kowalczyk born a day on the other side, in the country too: either may have left.
    rival = _arrival(
        "b1", "2024-03-05", given_names="Wojciech", date_of_birth="1984-03-19", document_number="EK1"
    )
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), rival, _thin("d1", "2024-03-20"))
    assert got["departures/APIS/d1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/b1"])


def test_a_departure_in_review_is_not_placed_across_a_surname(resolver: IdentityResolver) -> None:
    # Same given name and birth date, but a surname no known error explains: in review, never placed.
    other_surname = _departure(
        "d1", "2024-03-20", family_name="Nowak", document_number=None, birth_country=None
    )
    pairs, got = _scored(resolver, _arrival("a1", "2024-03-01"), other_surname)
    found = pair(pairs, "arrivals/I94/a1", "departures/APIS/d1")
    assert (found["rule"], found["decision"]) == ("", "review")
    assert got["departures/APIS/d1"] != got["arrivals/I94/a1"]


def test_a_departure_in_review_is_not_placed_with_one_who_had_left(resolver: IdentityResolver) -> None:
    left = _departure("a2", "2024-03-10")
    got = _resolve(resolver, _arrival("a1", "2024-03-01"), left, _thin("d1", "2024-03-20"))
    assert got["departures/APIS/d1"] != got["arrivals/I94/a1"]


def test_a_departure_is_not_placed_with_a_person_born_on_another_day(resolver: IdentityResolver) -> None:
    # In review with his record that states no birth date, but that person's passport record says he
    # was born in 1990, not 1984: another Bartosz Kowalczyk.
    namesake = _other_person("b1", "2024-03-01")
    undated = _arrival("b2", "2024-03-02", date_of_birth=None, document_number="EK9999999")
    departure = _departure("d1", "2024-03-20", document_number=None)
    pairs, got = _scored(resolver, namesake, undated, departure)
    found = pair(pairs, "arrivals/I94/b2", "departures/APIS/d1")
    assert (found["rule"], found["decision"]) == ("", "review")
    assert got["arrivals/I94/b1"] == got["arrivals/I94/b2"] != got["departures/APIS/d1"]


def test_the_placing_arrival_is_named_and_a_reviewer_can_undo_the_placement(
    resolver: IdentityResolver,
) -> None:
    records = pa.Table.from_pylist(
        [_arrival("a0", "2023-01-05"), _arrival("a1", "2024-03-01"), _name_only("d1", "2024-03-20")],
        schema=WITH_DAY,
    )
    pairs = resolver.score(records)
    placed = resolver.cluster(records, pairs).to_pylist()
    assert {r["record_uid"]: r["placed_by"] for r in placed if r["placed_by"]} == {
        "departures/APIS/d1": "arrivals/I94/a1"  # the trip's own arrival, not an earlier one
    }
    separated = {"record_uid_l": "arrivals/I94/a1", "record_uid_r": "departures/APIS/d1", "match_weight": 0.0,
                 "match_probability": 0.0, "rule": "reviewer", "decision": "separate"}  # fmt: skip
    undone = pa.concat_tables([pairs, pa.Table.from_pylist([separated], schema=pairs.schema)])
    got = clusters_of(resolver.cluster(records, undone))
    assert got["departures/APIS/d1"] != got["arrivals/I94/a1"]


def _seen(feed: str, system: str, uid: str, day: str) -> dict[str, Any]:
    """A record of Bartosz in `feed` (a court event, an encounter): his A-number, no document."""
    fields = {"feed": feed, "source_system": system, "document_number": None, "a_number": "A201234567"}
    return {**record(f"{feed}/{system}/{uid}", **fields), DAY: day}


def _court_event(uid: str, day: str) -> dict[str, Any]:
    return _seen("court_events", "EOIR", uid, day)


def _encounter(uid: str, day: str) -> dict[str, Any]:
    return _seen("encounters", "ICE-EID", uid, day)


def test_a_person_seen_only_by_a_court_or_an_encounter_is_in_the_country(resolver: IdentityResolver) -> None:
    for seen in (_court_event("c1", "2024-03-01"), _encounter("e1", "2024-03-01")):
        got = _resolve(resolver, seen, _name_only("d1", "2024-03-20"))
        assert got["departures/APIS/d1"] == got[seen["record_uid"]]


def test_a_court_event_after_a_departure_does_not_bring_the_person_back(resolver: IdentityResolver) -> None:
    # The case goes on after Bartosz has left (an appeal decided in May); only an arrival or an
    # encounter shows him back in the country.
    left = _departure("d0", "2024-04-01")
    for later, placed in ((_court_event("c1", "2024-05-01"), False), (_encounter("e1", "2024-05-01"), True)):
        got = _resolve(resolver, _arrival("a1", "2024-03-01"), left, later, _name_only("d1", "2024-06-01"))
        assert got["departures/APIS/d0"] == got["arrivals/I94/a1"] == got[later["record_uid"]]
        assert (got["departures/APIS/d1"] == got["arrivals/I94/a1"]) is placed


def _program_end(uid: str, day: str, **values: Any) -> dict[str, Any]:
    """A school's record of a student's program end, with the base person's names and citizenship only."""
    fields = {"feed": "status_events", "source_system": "SEVIS", "date_of_birth": None, "document_number": None,
              "birth_country": None, "receipt_number": f"N00{uid}", **values}  # fmt: skip
    return {**record(f"status_events/SEVIS/{uid}", **fields), DAY: day}


def test_a_status_event_with_only_a_name_joins_the_one_person_of_its_name(resolver: IdentityResolver) -> None:
    got = _resolve(resolver, _arrival("a1", "2024-01-10"), _program_end("s1", "2024-05-20"))
    assert got["status_events/SEVIS/s1"] == got["arrivals/I94/a1"]


def test_a_status_event_after_its_person_left_is_not_given_to_a_namesake(resolver: IdentityResolver) -> None:
    # The student left in May; the school recorded the program's end in July, when only a namesake,
    # arrived in March, was in the country. Both were in the country under the name by then: no one is chosen.
    left = _departure("d1", "2024-05-18", document_number="EK4471932")
    rows = (
        _arrival("a1", "2024-01-10"),
        left,
        _other_person("a2", "2024-03-01"),
        _program_end("s1", "2024-07-29"),
    )
    got = _resolve(resolver, *rows)
    assert got["departures/APIS/d1"] == got["arrivals/I94/a1"]
    assert got["status_events/SEVIS/s1"] not in (got["arrivals/I94/a1"], got["arrivals/I94/a2"])
