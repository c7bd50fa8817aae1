"""ilos.domain.feeds states shared/spec/feeds.md exactly: the same feeds, columns, required flags and codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ilos.domain.countries import COUNTRY_CODES
from ilos.domain.feeds import FEEDS, IDENTITY_COLUMNS, Kind
from ilos.domain.reasons import REASON_DESCRIPTIONS, Reason

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "spec" / "feeds.md"


def contract_tables() -> dict[str, list[tuple[str, str, str]]]:
    """Section name -> rows (column, required, meaning) of the contract's column tables."""
    if not CONTRACT.exists():
        pytest.fail(f"the contract {CONTRACT} is missing (shared/ must sit beside the repository)")
    tables: dict[str, list[tuple[str, str, str]]] = {}
    section = ""
    for line in CONTRACT.read_text().splitlines():
        if heading := re.match(r"^###+ (?:`(\w+)`|(Identity columns))", line):
            section = heading.group(1) or "identity"
        elif line.startswith("#"):
            section = ""
        elif line.startswith("| ") and section and not line.startswith(("| column", "|---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            tables.setdefault(section, []).append((cells[0], cells[1], cells[2]))
    return tables


def test_every_contract_feed_exists_and_no_other() -> None:
    assert set(contract_tables()) - {"identity"} == set(FEEDS)


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_feed_columns_and_required_flags_match_the_contract(name: str) -> None:
    tables = contract_tables()
    expected = [(c, r) for c, r, _ in tables["identity"]]
    for column, required, _ in tables[name]:
        names = [n.strip() for n in re.split(r"[,/]", column)]
        flags = [f.strip() for f in required.split(",")] if "," in required else [required] * len(names)
        names = [n.strip("` ") for n in names]
        expected += list(zip(names, flags, strict=True))
    stated = [(c.name, "yes" if c.required else "no") for c in FEEDS[name].columns if c.name != "retracted"]
    assert stated == [(c, "yes" if r.startswith("yes") else "no") for c, r in expected]


def test_listed_codes_match_the_contract() -> None:
    for name, rows in contract_tables().items():
        for column, _, meaning in rows:
            codes = re.findall(r"`([A-Z][A-Z0-9_]*)`", meaning)
            if name == "identity" or "..." in meaning or "e.g." in meaning or len(codes) < 2 or "," in column:
                continue
            if FEEDS[name].column(column).codes == COUNTRY_CODES:
                continue  # prose naming codes of another column, not a code list
            assert FEEDS[name].column(column).codes == frozenset(codes), (name, column)


def test_identity_columns_open_every_feed() -> None:
    for feed in FEEDS.values():
        assert feed.columns[: len(IDENTITY_COLUMNS)] == IDENTITY_COLUMNS


def test_country_codes_are_iso_alpha3_plus_icao_extras() -> None:
    assert len(COUNTRY_CODES) == 253
    assert {"MEX", "IND", "DEU", "XXA", "XXB", "XXC", "XXX"} <= COUNTRY_CODES
    assert all(re.fullmatch(r"[A-Z]{3}", c) for c in COUNTRY_CODES)


def test_recorded_at_is_the_only_timestamp() -> None:
    """The checks normalise recorded_at once per row and reuse it; another timestamp column would need more."""
    timestamps = {c.name for f in FEEDS.values() for c in f.columns if c.kind is Kind.TIMESTAMP}
    assert timestamps == {"recorded_at"}


def test_every_reason_is_described() -> None:
    assert set(REASON_DESCRIPTIONS) == set(Reason)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("A1234567", True),
        ("A012345678", True),
        ("A123456", False),
        ("1234567", False),
        ("A1234567890", False),
    ],
)
def test_a_number_shape(value: str, ok: bool) -> None:
    pattern = FEEDS["arrivals"].column("a_number").pattern
    assert bool(re.fullmatch(pattern, value)) is ok
