"""Name pools per country: Faker draws and curated lists, sampled with a common-name skew."""

from __future__ import annotations

import bisect
import random
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from faker import Faker

from .names_data import CURATED, FAKER_MIX, PHL_FAMILY, ROMANIZED
from .translit import cyrillic_forms, parse_curated

POOL_DRAWS = 1500
ZIPF_EXPONENT = 1.0
CYRILLIC_LOCALES = {"ru_RU": "ru", "uk_UA": "uk"}


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One name: canonical Latin spelling, transliteration variants, original script."""

    latin: str
    variants: tuple[str, ...] = ()
    native: str = ""


@dataclass(frozen=True, slots=True)
class Weighted:
    """Entries with cumulative weights for fast sampling."""

    entries: tuple[NameEntry, ...]
    cum: tuple[float, ...]

    def pick(self, rng: random.Random) -> NameEntry:
        """Draw one entry."""
        return self.entries[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass(frozen=True, slots=True)
class Pool:
    """Given and family names of one naming tradition, by sex."""

    male: Weighted
    female: Weighted
    family_male: Weighted
    family_female: Weighted

    def given(self, rng: random.Random, sex: str) -> NameEntry:
        """Draw a given name for the sex."""
        return (self.female if sex == "F" else self.male).pick(rng)

    def family(self, rng: random.Random, sex: str) -> NameEntry:
        """Draw a family name (gendered forms where the tradition has them)."""
        return (self.family_female if sex == "F" else self.family_male).pick(rng)


def _zipf(entries: list[NameEntry]) -> Weighted:
    """Weight entries (most common first) by a Zipf law over their rank."""
    weights = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(entries))]
    return Weighted(tuple(entries), tuple(accumulate(weights)))


def _ranked(values: list[str]) -> list[str]:
    """Distinct values, most frequent first (ties alphabetical)."""
    counts = Counter(values)
    return sorted(counts, key=lambda v: (-counts[v], v))


def _faker_values(locale: str, method: str) -> list[str]:
    """Draw POOL_DRAWS values from one Faker method with a fixed per-locale seed."""
    fake = Faker(locale)
    fake.seed_instance(zlib.crc32(f"{locale}:{method}".encode()))
    fn = getattr(fake, method, None) or getattr(fake, method.rsplit("_", 1)[0])
    return [str(fn()) for _ in range(POOL_DRAWS)]


def _entry(locale: str, value: str) -> NameEntry:
    """Build a NameEntry, transliterating Cyrillic names."""
    lang = CYRILLIC_LOCALES.get(locale)
    if lang is None:
        return NameEntry(value)
    latin, variants = cyrillic_forms(value, lang)
    return NameEntry(latin, variants, value)


def _faker_weighted(locale: str, method: str) -> Weighted:
    """A weighted pool from Faker draws."""
    return _zipf([_entry(locale, v) for v in _ranked(_faker_values(locale, method))])


def _faker_pool(locale: str) -> Pool:
    """Pool for one Faker locale."""
    if locale in ROMANIZED:
        given_m, given_f, fam = (
            "first_romanized_name_male",
            "first_romanized_name_female",
            "last_romanized_name",
        )
        return Pool(
            _faker_weighted(locale, given_m),
            _faker_weighted(locale, given_f),
            _faker_weighted(locale, fam),
            _faker_weighted(locale, fam),
        )
    return Pool(
        _faker_weighted(locale, "first_name_male"),
        _faker_weighted(locale, "first_name_female"),
        _faker_weighted(locale, "last_name_male"),
        _faker_weighted(locale, "last_name_female"),
    )


def _curated(entries: tuple[str, ...]) -> Weighted:
    """A weighted pool from a curated list."""
    return _zipf([NameEntry(*parse_curated(e)) for e in entries])


def _mixed(parts: tuple[tuple[str, float], ...], attr: str) -> Weighted:
    """Merge several locale pools, scaling each by its share."""
    entries: list[NameEntry] = []
    weights: list[float] = []
    for locale, share in parts:
        sub: Weighted = getattr(pool(locale), attr)
        prev = 0.0
        for entry, cum in zip(sub.entries, sub.cum, strict=True):
            entries.append(entry)
            weights.append(share * (cum - prev) / sub.cum[-1])
            prev = cum
    return Weighted(tuple(entries), tuple(accumulate(weights)))


@cache
def pool(key: str) -> Pool:
    """The name pool for a key of reference.Country.names (cached across runs)."""
    if key in CURATED:
        male, female, family = (_curated(t) for t in CURATED[key])
        return Pool(male, female, family, family)
    if key == "phl":
        family = _curated(PHL_FAMILY)
        base = pool("en_US")
        return Pool(base.male, base.female, family, family)
    if key in FAKER_MIX:
        mix = FAKER_MIX[key]
        return Pool(*(_mixed(mix, a) for a in ("male", "female", "family_male", "family_female")))
    return _faker_pool(key)
