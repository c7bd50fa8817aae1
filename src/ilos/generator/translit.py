"""Transliteration of Cyrillic names and spelling variants of transliterated names."""

from __future__ import annotations

_COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "ie",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
    "і": "i",
    "ї": "i",
    "є": "ie",
    "ґ": "g",
}
#: ICAO 9303 (Russian passports since 2014).
ICAO = dict(_COMMON)
#: BGN/PCGN, with iotated vowels written with y.
BGN = dict(_COMMON, й="y", ю="yu", я="ya", ё="yo", ъ="", є="ye", ї="yi")
#: German (Duden) style.
GERMAN = dict(
    _COMMON,
    в="w",
    ж="sch",
    з="s",
    й="j",
    х="ch",
    ц="z",
    ч="tsch",
    ш="sch",
    щ="schtsch",
    ю="ju",
    я="ja",
    ё="jo",
    ы="y",
    ъ="",
)
#: French style.
FRENCH = dict(_COMMON, ж="j", у="ou", ч="tch", ш="ch", щ="chtch", ю="iou", я="ia", й="ï", ъ="")
#: Ukrainian national system (passports of Ukraine).
UKRAINIAN = dict(_COMMON, г="h", и="y", й="i", ю="iu", я="ia", є="ie", ї="i", ь="", ъ="")
_INITIAL_UKR = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_INITIAL_BGN = {"е": "ye", "ё": "yo"}
_VOWELS = set("аеёиоуыэюяіїє")

#: Cross-language equivalents of common Slavic given names (keyed by ICAO form).
EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "Aleksandr": ("Alexander", "Oleksandr", "Alexandr"),
    "Oleksandr": ("Aleksandr", "Alexander"),
    "Sergei": ("Sergey", "Serhii", "Serguei"),
    "Serhii": ("Sergei", "Serhiy", "Sergey"),
    "Dmitrii": ("Dmitry", "Dmytro", "Dimitri"),
    "Dmytro": ("Dmitry", "Dmitrii"),
    "Iurii": ("Yuri", "Yuriy", "Yury"),
    "Andrei": ("Andrey", "Andrii", "Andrej"),
    "Andrii": ("Andriy", "Andrei", "Andrey"),
    "Aleksei": ("Alexey", "Alexei", "Oleksii"),
    "Oleksii": ("Oleksiy", "Aleksei", "Alexey"),
    "Mikhail": ("Mykhailo", "Michael", "Michail"),
    "Mykhailo": ("Mikhail", "Mykhaylo"),
    "Nikolai": ("Nikolay", "Mykola", "Nicolai"),
    "Mykola": ("Nikolai", "Nikolay"),
    "Evgenii": ("Yevgeny", "Evgeny", "Yevhen"),
    "Ievgen": ("Yevhen", "Evgeny"),
    "Natalia": ("Natalya", "Nataliya"),
    "Olga": ("Olha",),
    "Olha": ("Olga",),
    "Tatiana": ("Tatyana", "Tetiana"),
    "Tetiana": ("Tatiana", "Tetyana"),
    "Iuliia": ("Yulia", "Julia", "Yuliya"),
    "Elena": ("Yelena", "Olena", "Jelena"),
    "Olena": ("Elena", "Yelena"),
    "Ekaterina": ("Yekaterina", "Kateryna", "Katerina"),
    "Kateryna": ("Ekaterina", "Katerina"),
    "Ivan": ("Iwan", "Yvan"),
    "Anna": ("Ganna", "Hanna"),
    "Mariia": ("Maria", "Mariya"),
    "Vladimir": ("Volodymyr", "Wladimir"),
    "Volodymyr": ("Vladimir", "Wolodymyr"),
    "Pavel": ("Pavlo", "Pawel", "Paul"),
    "Petr": ("Pyotr", "Petro", "Peter"),
    "Iakov": ("Yakov", "Jakow"),
    "Iulii": ("Yuliy", "Julius"),
    "Egor": ("Yegor", "Jegor"),
    "Ilia": ("Ilya", "Illia", "Ilja"),
    "Daria": ("Darya", "Dariia"),
}


def _apply(text: str, table: dict[str, str], initial: dict[str, str]) -> str:
    """Transliterate lower-case Cyrillic text with a table and word-initial forms."""
    out: list[str] = []
    prev = " "
    for ch in text:
        low = ch.lower()
        at_start = not prev.isalpha() or prev in _VOWELS
        out.append(initial[low] if at_start and low in initial else table.get(low, ch))
        prev = low
    return _title("".join(out))


def _title(text: str) -> str:
    """Capitalize each word and each hyphen-joined part."""
    return "-".join(" ".join(w[:1].upper() + w[1:] for w in part.split(" ")) for part in text.split("-"))


def cyrillic_forms(native: str, lang: str) -> tuple[str, tuple[str, ...]]:
    """Return the canonical Latin form of a Cyrillic name and its spelling variants."""
    if lang == "uk":
        canonical = _apply(native, UKRAINIAN, _INITIAL_UKR)
        others = [_apply(native, ICAO, {}), _apply(native, BGN, _INITIAL_BGN)]
    else:
        canonical = _apply(native, ICAO, {})
        others = [_apply(native, BGN, _INITIAL_BGN), _apply(native, UKRAINIAN, _INITIAL_UKR)]
    others += [_apply(native, GERMAN, {"е": "je"}), _apply(native, FRENCH, {})]
    others += list(EQUIVALENTS.get(canonical, ()))
    return canonical, _unique_variants(canonical, others)


def latin_variants(canonical: str, listed: tuple[str, ...]) -> tuple[str, ...]:
    """Spelling variants of a Latin transliteration: listed ones plus article forms."""
    extra: list[str] = list(listed)
    for art in ("Al-", "El-"):
        if canonical.startswith(art):
            rest = canonical[len(art) :]
            extra += [f"{'El' if art == 'Al-' else 'Al'}-{rest}", f"{art[:-1]} {rest}", art[:-1] + rest]
    return _unique_variants(canonical, extra)


def _unique_variants(canonical: str, candidates: list[str]) -> tuple[str, ...]:
    """Distinct candidates that differ from the canonical form, in first-seen order."""
    seen: list[str] = []
    for cand in candidates:
        if cand and cand != canonical and cand not in seen:
            seen.append(cand)
    return tuple(seen)


def parse_curated(entry: str) -> tuple[str, tuple[str, ...], str]:
    """Split ``Canonical|Variant=native`` into canonical, variants and native script."""
    spelled, _, native = entry.partition("=")
    canonical, *variants = spelled.split("|")
    return canonical, latin_variants(canonical, tuple(variants)), native
