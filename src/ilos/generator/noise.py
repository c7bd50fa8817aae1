"""Identity noise: how sources mis-record names, birth dates, documents and codes.

Every function takes the random stream and a list of noise codes to append to, so that the
ground truth can say which noise each row carries (``truth/noise.csv``).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from unidecode import unidecode

from .names import NameEntry
from .reference import COUNTRIES, MISCODES, UNKNOWN_DOB_COUNTRIES

#: Probabilities used (each a little above the rate the contract asks for).
RATES: dict[str, float] = {
    "translit": 0.32,
    "native_script": 0.03,
    "compound": 0.24,
    "ascii": 0.4,
    "no_given": 0.025,
    "typo": 0.06,
    "swap": 0.036,
    "dob_placeholder": 0.19,
    "dob_swap": 0.037,
    "dob_off": 0.026,
    "dob_partial": 0.01,
    "doc_misread": 0.046,
    "no_document": 0.11,
    "citizenship": 0.036,
    "a_number_unpadded": 0.25,
    "no_birth_date": 0.03,  # rows of feeds other than arrivals (an I-94 always carries one)
}
#: Minimum rates required by the brief (per record, among records where the noise applies).
TARGETS: dict[str, float] = {
    "typo": 0.05,
    "translit": 0.25,
    "swap": 0.03,
    "compound": 0.20,
    "no_given": 0.02,
    "dob_swap": 0.03,
    "dob_off": 0.02,
    "dob_placeholder": 0.15,
    "doc_misread": 0.04,
    "no_document": 0.10,
    "citizenship": 0.03,
}
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    c: (row[i - 1] if i else "") + (row[i + 1] if i + 1 < len(row) else "")
    for row in _ROWS
    for i, c in enumerate(row)
}
_CONFUSE = {
    "0": "O",
    "O": "0",
    "1": "I",
    "I": "1",
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
    "6": "G",
    "G": "6",
}
_ALL_CODES = tuple(c.code for c in COUNTRIES)


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: substitution, deletion, doubling or transposition of a letter."""
    spots = [i for i, ch in enumerate(text) if ch.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    op = rng.randrange(4)
    ch = text[i]
    if op == 0 and len(spots) > 2:
        out = text[:i] + text[i + 1 :]
    elif op == 1:
        out = text[:i] + ch + text[i:]
    elif op == 2 and i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != ch:
        out = text[:i] + text[i + 1] + ch + text[i + 2 :]
    else:
        near = _NEIGHBOURS.get(ch.lower()) or "e"
        sub = rng.choice(near)
        out = text[:i] + (sub.upper() if ch.isupper() else sub) + text[i + 1 :]
    return out if out != text else text[:i] + ("x" if ch.lower() != "x" else "z") + text[i + 1 :]


def _spell(entries: tuple[NameEntry, ...], swap_at: int, variant: str) -> str:
    return " ".join(variant if i == swap_at else e.latin for i, e in enumerate(entries))


def names(
    rng: random.Random,
    given: tuple[NameEntry, ...],
    family: tuple[NameEntry, ...],
    script: str,
    codes: list[str],
) -> tuple[str, str]:
    """Family and given names as one source writes them."""
    given_s = " ".join(e.latin for e in given)
    family_s = " ".join(e.latin for e in family)
    if script != "latin":
        given_s, family_s = _script_noise(rng, given, family, given_s, family_s, codes)
    if len(family) == 2 and rng.random() < RATES["compound"]:
        a, b = family_s.split(" ", 1) if " " in family_s else (family_s, "")
        family_s = rng.choice((a, f"{a}-{b}", f"{a}{b}")) if b else family_s
        codes.append("compound")
    if not (given_s + family_s).isascii() and rng.random() < RATES["ascii"] and script == "latin":
        given_s, family_s = unidecode(given_s), unidecode(family_s)
        codes.append("ascii")
    return _slips(rng, given_s, family_s, codes)


def _script_noise(
    rng: random.Random,
    given: tuple[NameEntry, ...],
    family: tuple[NameEntry, ...],
    given_s: str,
    family_s: str,
    codes: list[str],
) -> tuple[str, str]:
    """Transliteration variants, or the name in its original script."""
    if rng.random() < RATES["translit"]:
        parts = [(0, i) for i, e in enumerate(given) if e.variants]
        parts += [(1, i) for i, e in enumerate(family) if e.variants]
        if parts:
            side, i = rng.choice(parts)
            entries = given if side == 0 else family
            spelled = _spell(entries, i, rng.choice(entries[i].variants))
            given_s, family_s = (spelled, family_s) if side == 0 else (given_s, spelled)
            codes.append("translit")
            return given_s, family_s
    if rng.random() < RATES["native_script"] and all(e.native for e in (*given, *family)):
        codes.append("native_script")
        return " ".join(e.native for e in given), " ".join(e.native for e in family)
    return given_s, family_s


def _slips(rng: random.Random, given_s: str, family_s: str, codes: list[str]) -> tuple[str, str]:
    """Typos, dropped given names and swapped name fields."""
    if rng.random() < RATES["typo"]:
        if given_s and rng.random() < 0.5:
            given_s = typo(rng, given_s)
        else:
            family_s = typo(rng, family_s)
        codes.append("typo")
    if given_s and rng.random() < RATES["no_given"]:
        codes.append("no_given")
        return "", family_s
    if given_s and rng.random() < RATES["swap"]:
        codes.append("swap")
        return family_s, given_s
    return given_s, family_s


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def birth_date(rng: random.Random, dob: date, citizenship: str, codes: list[str]) -> str:
    """The birth date as one source writes it (at most one kind of error)."""
    if citizenship in UNKNOWN_DOB_COUNTRIES and rng.random() < RATES["dob_placeholder"]:
        if (dob.month, dob.day) != (1, 1):
            codes.append("dob_placeholder")
        return f"{dob.year:04d}-01-01"
    if dob.day <= 12 and dob.day != dob.month and rng.random() < RATES["dob_swap"]:
        codes.append("dob_swap")
        return date(dob.year, dob.day, dob.month).isoformat()
    if rng.random() < RATES["dob_off"]:
        codes.append("dob_off")
        if rng.random() < 0.5:
            return (dob + timedelta(days=rng.choice((-1, 1)))).isoformat()
        return _shift_year(dob, rng.choice((-1, 1))).isoformat()
    if rng.random() < RATES["dob_partial"]:
        codes.append("dob_partial")
        return f"{dob.year:04d}-{dob.month:02d}" if rng.random() < 0.6 else f"{dob.year:04d}"
    return dob.isoformat()


def document(rng: random.Random, number: str, codes: list[str]) -> str:
    """A document number as read: missing, misread by one character, or right."""
    if rng.random() < RATES["no_document"]:
        codes.append("no_document")
        return ""
    if rng.random() < RATES["doc_misread"]:
        codes.append("doc_misread")
        i = rng.randrange(len(number))
        ch = number[i]
        sub = _CONFUSE.get(ch) or (str((int(ch) + rng.choice((1, 9))) % 10) if ch.isdigit() else "X")
        if sub == ch:
            sub = "Y"
        return number[:i] + sub + number[i + 1 :]
    return number


def citizenship(rng: random.Random, code: str, codes: list[str]) -> str:
    """The citizenship as coded, sometimes a confusable or wrong code."""
    if rng.random() >= RATES["citizenship"]:
        return code
    codes.append("citizenship")
    options = MISCODES.get(code) or _ALL_CODES
    wrong = rng.choice(options)
    return wrong if wrong != code else ("USA" if code != "USA" else "CAN")


def a_number(rng: random.Random, value: str, codes: list[str]) -> str:
    """An A-number, sometimes written without its zero padding."""
    digits = value[1:]
    if digits.startswith("0") and rng.random() < RATES["a_number_unpadded"]:
        codes.append("a_number_unpadded")
        return "A" + digits.lstrip("0").zfill(7)
    return value
