"""The identity signature of one record, in plain Python: the `SIGNATURE` columns, `adm` and `receipt`
that `features.features_sql` gives it, for records stored one micro-batch at a time (ADR 13), where
DuckDB's planning of the features statement (some 80 ms, whatever the rows) would cost more than the
batch. The SQL stays the reference: `tests/unit/identity/test_signature.py` holds this to it on drawn
records and on every record of a generated world, and a record outside what this is written for
(non-ASCII characters in a field other than a name) has no signature here (`None`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from unidecode import unidecode

from ilos.adapters.identity.features import (
    ABJAD,
    ADMISSION_NUMBER_SQL,
    INCIDENT_PREFIX,
    RECEIPT_PREFIX,
    RECEIPT_SQL,
    skeleton,
)
from ilos.adapters.identity.scoring import SIGNATURE

#: `features.ABJAD` in Python's notation (RE2 writes a code point `\x{0590}`, Python `\u0590`)
_ABJAD = re.compile(re.sub(r"\\x\{([0-9A-Fa-f]{4})\}", r"\\u\1", ABJAD))
_APOSTROPHES = re.compile("['`’‘]")
_NOT_LETTERS = re.compile("[^A-Z]+")
_DOB = re.compile("[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")
_A_NUMBER = re.compile("A?0*([0-9]{1,9})")
_SEPARATOR = "\x1f"
_NULL = "\x00"


def signature_key(features: Mapping[str, Any]) -> int:
    """A key of a record's SIGNATURE values, equal to `scoring.signature_key_sql` on the same values (the
    md5 digest's first 8 bytes, little-endian, as DuckDB's `md5_number_upper`)."""
    text = _SEPARATOR.join(_text(features[c]) for c in SIGNATURE)
    # a key for lookup, not security: it must be DuckDB's md5 (S324 guards against md5 for security)
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "little")  # noqa: S324


def _text(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signature_of(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The SIGNATURE columns, `adm` and `receipt` of a resolver input record (`features.INPUT_COLUMNS`,
    text or None), as `features_sql` computes them; None when a field other than a name holds a
    character outside ASCII (this is not written for those)."""
    plain = {c: record.get(c) for c in _PLAIN}
    if any(v is not None and not v.isascii() for v in plain.values()):
        return None
    family, given = _name(record.get("family_name")), _name(record.get("given_names"))
    dob_text = _dob_text(plain["date_of_birth"])
    doc_num = _doc_num(plain["document_number"])
    a9 = _a9(plain["a_number"])
    adm = _adm(plain["admission_number"], plain["incident_id"], plain["source_system"])
    receipt = _receipt(plain["receipt_number"])
    identified = a9 is not None or doc_num is not None or (family[0] is not None and dob_text is not None)
    if identified:
        thin = None
    elif adm is None:
        thin = receipt
    else:
        thin = adm if adm.startswith(INCIDENT_PREFIX) else None
    given_names = record.get("given_names")
    return {
        "fam_key": family[0],
        "giv_key": given[0],
        "giv_abjad": given_names is not None and _ABJAD.search(given_names) is not None,
        "fam_first_skel": family[1],
        "giv_first_skel": given[1],
        "fam_cut": family[2],
        "dob_text": dob_text,
        "doc_num": doc_num,
        "doc_country": _code(plain["document_country"]),
        "doc_type": _code(plain["document_type"]),
        "a9": a9,
        "cit": _code(plain["citizenship"]),
        "bcountry": _code(plain["birth_country"]),
        "sex_code": sex if (sex := (plain["sex"] or "").upper()) in ("M", "F") else None,
        "thin_incident": thin,
        "adm": adm,
        "receipt": receipt,
    }


_PLAIN = (
    "date_of_birth", "document_number", "document_country", "document_type", "a_number", "admission_number",
    "incident_id", "receipt_number", "source_system", "citizenship", "birth_country", "sex",
)  # fmt: skip


@lru_cache(maxsize=1 << 16)  # spellings repeat from record to record
def _name(raw: str | None) -> tuple[str | None, str | None, str | None]:
    """key, skeleton of the first word, and `cut` (the first word of a name of several) of a name."""
    if raw is None:
        return None, None, None
    folded = raw if raw.isascii() else unidecode(raw)
    words = _NOT_LETTERS.sub(" ", _APOSTROPHES.sub("", folded.upper())).strip(" ") or None
    if words is None:
        return None, None, None
    first = words.split(" ", 1)[0]
    return words.replace(" ", ""), skeleton(first) or first, first if " " in words else None


def _dob_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    d = raw.strip(" ")
    if _DOB.fullmatch(d) is None:
        return None
    return d if len(d) < 10 or _is_date(int(d[:4]), int(d[5:7]), int(d[8:])) else None


def _is_date(year: int, month: int, day: int) -> bool:
    """A day of the proleptic Gregorian calendar, year 0 included (as DuckDB's DATE)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= month <= 12 and 1 <= day <= days[month - 1]


def _doc_num(raw: str | None) -> str | None:
    num = re.sub("[^A-Z0-9]", "", raw.upper()) if raw is not None else ""
    return num if len(num) >= 5 else None


def _a9(raw: str | None) -> str | None:
    found = _A_NUMBER.fullmatch(raw.upper()) if raw is not None else None
    return found.group(1).rjust(9, "0") if found else None


def _adm(number: str | None, incident: str | None, system: str | None) -> str | None:
    if number is not None and re.fullmatch(ADMISSION_NUMBER_SQL, number.strip(" ").upper()):
        return number.strip(" ").upper()
    if incident is not None and incident.strip(" ") and system is not None:
        return f"{INCIDENT_PREFIX}{system} {incident.strip(' ').upper()}"
    return None


def _receipt(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip(" ").upper()
    if re.fullmatch(RECEIPT_SQL, value) and not re.fullmatch("[A-Z]*0+", value):
        return RECEIPT_PREFIX + value
    return None


def _code(raw: str | None) -> str | None:
    return (raw.strip(" ").upper() or None) if raw is not None else None
