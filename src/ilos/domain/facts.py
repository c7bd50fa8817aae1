"""The facts policy rules may see about a person, and the attributes they may never see.

Facts are derived from source records (criminal dispositions, court events, filings, encounters,
designations, admissions and departures, relationships) and each carries the records it rests on.
This allow-list is the whole vocabulary of a policy pack: a rule naming anything else is rejected,
and a rule naming a protected attribute is rejected with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FactType(StrEnum):
    """How a fact's value is compared."""

    FLAG = "flag"  # true / false
    COUNT = "count"  # a whole number >= 0
    DAYS = "days"  # a whole number of days
    YEARS = "years"  # a whole number of years
    DATE = "date"  # a day, or absent


@dataclass(frozen=True)
class Fact:
    """One fact a rule may name."""

    name: str
    type: FactType
    meaning: str
    lead: bool = False  # an allegation or a lead to verify: only `review` rules may use it


def _f(name: str, kind: FactType, meaning: str, lead: bool = False) -> Fact:
    return Fact(name, kind, meaning, lead)


CONVICTION_CATEGORIES = (
    "AGGRAVATED_FELONY",
    "VIOLENT_FELONY",
    "FELONY",
    "SIGNIFICANT_MISDEMEANOR",
    "MISDEMEANOR",
    "INFRACTION",
)

#: Stages that dispose of a criminal matter: a matter with none of them is pending (an allegation).
DISPOSING_STAGES = ("CONVICTION", "ACQUITTAL", "DISMISSAL", "VACATED", "EXPUNGED")
#: Flags that alone make a person removable (with an unlawful entry, a suspected overstay or a conviction
#: of any category but an infraction).
REMOVABLE_FLAGS = ("final_order", "removal_order_pending", "in_proceedings", "prior_removal",
                   "national_security_designation")  # fmt: skip

_FACTS = (
    *(
        _f(
            f"convictions_{c.lower()}",
            FactType.COUNT,
            f"convictions in force of category {c} (an EXPUNGED conviction still counts; a VACATED one does not)",
        )
        for c in CONVICTION_CATEGORIES
    ),
    _f("convictions_expunged", FactType.COUNT,
       "convictions in force that were later EXPUNGED (rehabilitative relief: they still count as convictions)"),
    _f("last_conviction_on", FactType.DATE, "date of the most recent conviction in force (any category but INFRACTION)"),
    _f("gang_conviction", FactType.FLAG, "a conviction in force that itself carries a gang finding or enhancement"),
    _f("pending_criminal_matters", FactType.COUNT,
       "arrests or charges with no conviction, acquittal or dismissal yet: allegations, never convictions", lead=True),
    _f("national_security_designation", FactType.FLAG,
       "a national-security designation in force (ADDED and not REMOVED) from the authorized screening source"),
    _f("final_order", FactType.FLAG, "a removal order that is final on the as-of date"),
    _f("final_order_on", FactType.DATE, "the date the most recent final removal order became final"),
    _f("removal_order_pending", FactType.FLAG, "a removal order that is not final yet (appeal window or appeal open)"),
    _f("in_proceedings", FactType.FLAG, "a notice to appear filed with no order in force (none yet, or one an appeal undid), termination or relief"),
    _f("prior_removal", FactType.FLAG, "a removal carried out before (REMOVAL_EXECUTED departure)"),
    _f("unlawful_entry_on", FactType.DATE, "date of the latest apprehension after an unlawful entry (CBP_BORDER)"),
    _f("suspected_overstay_days", FactType.DAYS,
       "days past authorized stay of a suspected in-country overstay or unverified departure: a lead to verify",
       lead=True),
    _f("age", FactType.YEARS, "age on the as-of date, from the date of birth the person's records agree on"),
    _f("years_in_us", FactType.YEARS, "years from the person's first admission or entry on record to the as-of date"),
    _f("us_citizen_spouse_or_child", FactType.FLAG,
       "a spouse or child who is a U.S. citizen, as filed in relationships or confirmed for the resolved relative"),
    _f("victim_witness_filing", FactType.FLAG, "a U or T visa filed or approved (victim or witness of a crime)"),
)  # fmt: skip

#: Every fact a rule may name, by name.
FACTS: dict[str, Fact] = {f.name: f for f in _FACTS}

#: Attributes no rule may see, with the words a pack might use for them.
PROTECTED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "race": ("race", "racial"),
    "ethnicity": ("ethnicity", "ethnic"),
    "religion": ("religion", "religious", "faith"),
    "national origin or citizenship": ("national_origin", "nationality", "citizenship", "citizen_of",
                                       "birth_country", "country_of_birth", "document_country"),
    "language": ("language", "spoken_language", "native_language"),
    "sex": ("sex", "gender"),
    "political activity": ("political", "politics", "party", "protest"),
}  # fmt: skip


def protected_attribute(name: str) -> str | None:
    """The protected attribute a name refers to, or None."""
    lowered = name.lower()
    for attribute, words in PROTECTED_ATTRIBUTES.items():
        if any(lowered == w or lowered.startswith(w + "_") or lowered.endswith("_" + w) for w in words):
            return attribute
    return None
