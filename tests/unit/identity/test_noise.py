"""Each kind of identity noise the sources make still links the two records of one person.

Every variant record carries one kind of noise and no document number (unless the noise is about
documents), so the link rests on the comparison that handles that noise, not on a shared passport.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from ilos.adapters.identity import IdentityResolver

from .conftest import pair, record, table

# (case, base record fields, variant record fields)
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("typo", {}, {"family_name": "Kowalcxyk", "document_number": None}),
    ("typo_given", {}, {"given_names": "Bartisz", "document_number": None}),
    (
        "typo_short_surname",  # one letter in four: too short for the similarity that catches a longer name
        {"family_name": "Arce", "given_names": "Hugo", "citizenship": "MEX", "birth_country": "MEX"},
        {
            "family_name": "Aece",
            "given_names": "Hugo",
            "citizenship": "MEX",
            "birth_country": None,
            "document_number": None,
        },
    ),
    (
        "transliteration_arabic",
        {"family_name": "Al-Rashid", "given_names": "Mohammed", "citizenship": "SYR", "birth_country": "SYR"},
        {
            "family_name": "Al-Rashid",
            "given_names": "Muhammad",
            "citizenship": "SYR",
            "birth_country": "SYR",
            "document_number": None,
        },
    ),
    (
        "transliteration_cyrillic",
        {
            "family_name": "Kovalenko",
            "given_names": "Oleksandr",
            "citizenship": "UKR",
            "birth_country": "UKR",
        },
        {
            "family_name": "Kovalenko",
            "given_names": "Aleksandr",
            "citizenship": "UKR",
            "birth_country": "UKR",
            "document_number": None,
        },
    ),
    (
        "original_script",
        {"family_name": "Petrov", "given_names": "Sergei", "citizenship": "RUS", "birth_country": "RUS"},
        {
            "family_name": "Петров",
            "given_names": "Сергей",
            "citizenship": "RUS",
            "birth_country": "RUS",
            "document_number": None,
        },
    ),
    ("diacritics_and_case", {"family_name": "Müller"}, {"family_name": "MULLER", "document_number": None}),
    ("name_swap", {}, {"family_name": "Bartosz", "given_names": "Kowalczyk", "document_number": None}),
    (
        "compound_split",
        {
            "family_name": "García Márquez",
            "given_names": "Lucía",
            "citizenship": "COL",
            "birth_country": "COL",
        },
        {
            "family_name": "García",
            "given_names": "Lucía",
            "citizenship": "COL",
            "birth_country": "COL",
            "document_number": None,
        },
    ),
    (
        "compound_joined",
        {
            "family_name": "García Márquez",
            "given_names": "Lucía",
            "citizenship": "COL",
            "birth_country": "COL",
        },
        {
            "family_name": "GarcíaMárquez",
            "given_names": "Lucía",
            "citizenship": "COL",
            "birth_country": "COL",
            "document_number": None,
        },
    ),
    (
        "compound_hyphen",
        {
            "family_name": "García Márquez",
            "given_names": "Lucía",
            "citizenship": "COL",
            "birth_country": "COL",
        },
        {
            "family_name": "García-Márquez",
            "given_names": "Lucía",
            "citizenship": "COL",
            "birth_country": "COL",
            "document_number": None,
        },
    ),
    ("missing_given_names", {}, {"given_names": None, "document_number": None}),
    (
        "dob_day_month_swap",
        {"date_of_birth": "1984-03-07"},
        {"date_of_birth": "1984-07-03", "document_number": None},
    ),
    ("dob_off_by_a_day", {}, {"date_of_birth": "1984-03-18", "document_number": None}),
    ("dob_off_by_a_year", {}, {"date_of_birth": "1985-03-17", "document_number": None}),
    (
        "dob_january_placeholder",
        {
            "citizenship": "AFG",
            "birth_country": "AFG",
            "family_name": "Ahmadzai",
            "given_names": "Rahmatullah",
        },
        {
            "citizenship": "AFG",
            "birth_country": "AFG",
            "family_name": "Ahmadzai",
            "given_names": "Rahmatullah",
            "date_of_birth": "1984-01-01",
            "document_number": None,
        },
    ),
    ("dob_partial_month", {}, {"date_of_birth": "1984-03", "document_number": None}),
    ("dob_partial_year", {}, {"date_of_birth": "1984", "document_number": None}),
    ("renewed_passport", {}, {"document_number": "FA9022815"}),
    ("misread_passport", {}, {"document_number": "EK4471982", "date_of_birth": "1984-03-18"}),
    (
        "misread_passport_typo_and_dob_off",  # three errors: only the misread document pairs the two
        {},
        {"document_number": "EK4I71932", "family_name": "Kowalczyr", "date_of_birth": "1984-03-18"},
    ),
    ("no_document", {}, {"document_number": None, "document_type": None, "document_country": None}),
    ("miscoded_citizenship", {}, {"citizenship": "DEU", "document_number": None}),
]


def _unique(i: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Give each case its own birth year and passport so that cases do not link to each other."""
    out = dict(fields)
    for key in ("date_of_birth",):
        value = out.get(key, "1984-03-17")
        if value:
            out[key] = str(1950 + i) + value[4:]
    if out.get("document_number", "EK4471932"):
        out["document_number"] = f"{out.get('document_number', 'EK4471932')[:-2]}{i:02d}"
    return out


@pytest.fixture(scope="module")
def scored(resolver: IdentityResolver) -> pa.Table:
    rows = []
    for i, (case, base, variant) in enumerate(CASES):
        rows.append(record(f"arrivals/I94/{case}-a", **_unique(i, base)))
        rows.append(record(f"departures/APIS/{case}-b", feed="departures", **_unique(i, {**base, **variant})))
    return resolver.score(table(*rows))


@pytest.mark.parametrize("case", [c[0] for c in CASES])
def test_noisy_record_links(scored: pa.Table, case: str) -> None:
    found = pair(scored, f"arrivals/I94/{case}-a", f"departures/APIS/{case}-b")
    assert found["decision"] == "link", found
