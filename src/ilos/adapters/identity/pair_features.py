"""The feature row one record gives the scoring of new signatures (`new_signatures`), as the SQL features
give it (`features.features_sql`): the record's signature (`signature.signature_of`) with the name keys'
skeletons, the birth date's parts, the numbers it carries and its blocking keys, built in Python so that
a few records stored need no feature statement planned (ADR 11). `tests/unit/identity/test_pair_features.py`
holds it to the SQL on drawn records and on every record of a generated population.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ilos.adapters.identity.features import abjad_skeleton, skeleton
from ilos.adapters.identity.signature import signature_of

#: The columns of a signature row that scoring reads (weights, hard rules, blocking; `new_signatures`).
SCORED = ("record_uid", "fam_key", "giv_key", "name_key", "fam_skel", "giv_skel", "fam_first_skel",
          "giv_first_skel", "giv_abjad", "giv_abjad_skel", "dob_text", "dob", "dob_date", "dob_y", "dob_m", "dob_d",
          "dob_year", "doc_num", "doc_country", "doc_type", "a9", "cit", "bcountry", "sex_code",
          "thin_incident", "first_lo", "first_hi", "doc_keys", "adms")  # fmt: skip


def scoring_row(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record's feature row as a signature of its own (`adms`: its admission number or matter and its
    filing's receipt, sorted), or None where `signature_of` gives none or the birth date is in year 0
    (a DuckDB date Python's cannot hold)."""
    signature = signature_of(record)
    if signature is None:
        return None
    dob_text = signature["dob_text"]
    if dob_text is not None and dob_text.startswith("0000"):
        return None
    born = date.fromisoformat(dob_text) if dob_text is not None and len(dob_text) == 10 else None
    fam_key, giv_key = signature["fam_key"], signature["giv_key"]
    firsts = [s for s in (signature["fam_first_skel"], signature["giv_first_skel"]) if s is not None]
    doc_num, doc_country = signature["doc_num"], signature["doc_country"]
    return {
        **signature,
        "record_uid": record["record_uid"],
        "name_key": None if fam_key is None else f"{fam_key}|{giv_key or ''}",
        "fam_skel": None if fam_key is None else skeleton(fam_key) or fam_key,
        "giv_skel": None if giv_key is None else skeleton(giv_key) or giv_key,
        "giv_abjad_skel": None if giv_key is None else abjad_skeleton(giv_key) or None,
        "dob": None if born is None else dob_text,
        "dob_date": born,
        "dob_y": None if born is None else born.year,
        "dob_m": None if born is None else born.month,
        "dob_d": None if born is None else born.day,
        "dob_year": None if dob_text is None else dob_text[:4],
        "adms": sorted({n for n in (signature["adm"], signature["receipt"]) if n is not None}),
        "first_lo": min(firsts, default=None),
        "first_hi": max(firsts, default=None),
        "doc_keys": [] if doc_num is None or doc_country is None else _masked(doc_country, doc_num),
    }


def _masked(country: str, number: str) -> list[str]:
    """`features.doc_keys_sql`: the number with each character masked in turn, behind its country."""
    return [f"{country}:{number[:i]}?{number[i + 1 :]}" for i in range(len(number))]
