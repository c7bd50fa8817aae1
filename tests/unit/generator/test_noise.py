"""Identity noise occurs at no less than the required per-record rates, and is what it claims."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from itertools import pairwise

from ilos.generator.noise import TARGETS
from ilos.generator.reference import COUNTRY_BY_CODE, UNKNOWN_DOB_COUNTRIES

from .conftest import Run
from .contract_check import violations

Row = dict[str, str]


def _at_least(hits: int, total: int, target: float, name: str) -> None:
    """The observed rate is not below the target beyond three standard errors."""
    assert total > 200, name
    rate = hits / total
    se = math.sqrt(target * (1 - target) / total)
    assert rate >= target - 3 * se, f"{name}: {rate:.4f} < {target}"


def _true(run: Run, row: Row) -> dict[str, str]:
    return run.identity[run.person_of[(row["source_system"], row["source_record_id"])]]


def _rate(run: Run, code: str, applies: object = None) -> tuple[int, int]:
    hits = total = 0
    for _, row in run.all_rows():
        if applies is not None and not applies(row):  # type: ignore[operator]
            continue
        total += 1
        hits += code in run.codes(row)
    return hits, total


def test_name_noise_rates(big_run: Run) -> None:
    for code in ("typo", "swap", "no_given"):
        _at_least(*_rate(big_run, code), TARGETS[code], code)


def test_transliteration_variants_for_cyrillic_and_arabic_script_countries(big_run: Run) -> None:
    def applies(row: Row) -> bool:
        return COUNTRY_BY_CODE[_true(big_run, row)["citizenship"]].script != "latin"

    _at_least(*_rate(big_run, "translit", applies), TARGETS["translit"], "translit")
    assert _rate(big_run, "native_script", applies)[0] > 0


def test_compound_surnames_split_or_joined(big_run: Run) -> None:
    _at_least(
        *_rate(big_run, "compound", lambda r: _true(big_run, r)["compound_surname"] == "true"),
        TARGETS["compound"],
        "compound",
    )


def test_birth_date_noise_rates(big_run: Run) -> None:
    def swappable(row: Row) -> bool:
        dob = date.fromisoformat(_true(big_run, row)["date_of_birth"])
        return bool(row["date_of_birth"]) and dob.day <= 12 and dob.day != dob.month

    _at_least(*_rate(big_run, "dob_swap", swappable), TARGETS["dob_swap"], "dob_swap")
    _at_least(*_rate(big_run, "dob_off", lambda r: bool(r["date_of_birth"])), TARGETS["dob_off"], "dob_off")
    placeholder = _rate(
        big_run,
        "dob_placeholder",
        lambda r: bool(r["date_of_birth"]) and _true(big_run, r)["citizenship"] in UNKNOWN_DOB_COUNTRIES,
    )
    _at_least(*placeholder, TARGETS["dob_placeholder"], "dob_placeholder")
    assert _rate(big_run, "dob_partial")[0] > 0
    unreported = [
        (feed, code in big_run.codes(row)) for feed, row in big_run.all_rows() for code in ["no_birth_date"]
    ]
    assert not any(logged for feed, logged in unreported if feed == "arrivals")
    _at_least(sum(logged for _, logged in unreported), len(unreported) - len(big_run.feed("arrivals")), 0.025,
              "no_birth_date")  # fmt: skip


def test_document_and_citizenship_noise_rates(big_run: Run) -> None:
    _at_least(
        *_rate(big_run, "no_document", lambda r: bool(r["document_type"])),
        TARGETS["no_document"],
        "no_document",
    )
    _at_least(
        *_rate(big_run, "doc_misread", lambda r: bool(r["document_number"])),
        TARGETS["doc_misread"],
        "doc_misread",
    )
    _at_least(
        *_rate(big_run, "citizenship", lambda r: bool(r["citizenship"])),
        TARGETS["citizenship"],
        "citizenship",
    )


def test_noise_log_tells_the_truth(big_run: Run) -> None:
    """Spot checks: each logged noise is visible when the row is compared with the true identity."""
    now = datetime.fromisoformat(str(big_run.manifest["now"]))
    checked: dict[str, int] = defaultdict(int)
    for feed, row in big_run.all_rows():
        codes = big_run.codes(row)
        if not codes or "corrected_later" in codes or violations(feed, row, now):
            continue
        true = _true(big_run, row)
        if codes == {"swap"}:
            assert (row["family_name"], row["given_names"]) == (true["given_names"], true["family_name"])
        elif codes == {"no_given"}:
            assert (row["given_names"], row["family_name"]) == ("", true["family_name"])
        elif codes == {"dob_swap"}:
            yy, mm, dd = true["date_of_birth"].split("-")
            assert row["date_of_birth"] == f"{yy}-{dd}-{mm}"
        elif codes == {"dob_placeholder"}:
            assert row["date_of_birth"] == true["date_of_birth"][:4] + "-01-01"
        elif codes == {"citizenship"}:
            assert row["citizenship"] != true["citizenship"]
        elif codes == {"typo"}:
            assert (row["family_name"], row["given_names"]) != (true["family_name"], true["given_names"])
        else:
            continue
        checked[next(iter(codes))] += 1
    assert len(checked) == 6
    assert min(checked.values()) > 20


def test_rows_without_logged_noise_match_the_true_identity(big_run: Run) -> None:
    now = datetime.fromisoformat(str(big_run.manifest["now"]))
    checked = 0
    for feed, row in big_run.all_rows():
        if big_run.codes(row) or violations(feed, row, now):
            continue
        true = _true(big_run, row)
        assert (row["family_name"], row["given_names"]) == (true["family_name"], true["given_names"])
        assert row["date_of_birth"] == true["date_of_birth"]
        assert row["citizenship"] == true["citizenship"]
        checked += 1
    assert checked > 20_000


def test_passports_renewed_between_trips(big_run: Run) -> None:
    trips: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in big_run.feed("arrivals"):
        if (
            row["document_type"] == "P"
            and row["document_number"]
            and not big_run.codes(row) & {"doc_misread", "corrected_later"}
        ):
            trips[_true(big_run, row)["true_person_id"]].append((row["admitted_on"], row["document_number"]))
    pairs = changed = 0
    for visits in trips.values():
        ordered = [number for _, number in sorted(set(visits))]
        for before, after in pairwise(ordered):
            pairs += 1
            changed += before != after
    _at_least(changed, pairs, 0.30, "passport_renewed")


def test_twins_and_shared_common_names(big_run: Run) -> None:
    people = list(big_run.identity.values())
    twins = [p for p in people if p["twin_of"]]
    assert len(twins) / len(people) >= 0.005
    for twin in twins:
        other = big_run.identity[twin["twin_of"]]
        assert (other["family_name"], other["date_of_birth"]) == (twin["family_name"], twin["date_of_birth"])
        assert other["given_names"] != twin["given_names"]
    same: dict[tuple[str, str, str], int] = defaultdict(int)
    for p in people:
        same[(p["family_name"], p["given_names"], p["date_of_birth"][:4])] += 1
    assert sum(1 for n in same.values() if n > 1) >= 10


def test_a_numbers_sometimes_unpadded_and_mostly_absent_on_arrivals(big_run: Run) -> None:
    court = [r["a_number"] for r in big_run.feed("court_events") if r["a_number"]]
    assert any(len(a) < 10 for a in court)
    assert any(len(a) == 10 for a in court)
    arrivals = big_run.feed("arrivals")
    assert sum(bool(r["a_number"]) for r in arrivals) < 0.05 * len(arrivals)
