"""A policy pack applied to one person's facts and holds, in plain Python: the rules of
`ilos.adapters.duck.ranking` (the reference), the same conditions, score, tier and reasons."""

from __future__ import annotations

from datetime import date

from ilos.domain.evaluation.common import Row
from ilos.domain.facts import CONVICTION_CATEGORIES, REMOVABLE_FLAGS
from ilos.domain.holds import BLOCKING_SCOPES, HOLD_KINDS
from ilos.domain.policy import Condition, Pack

BLOCKING = frozenset(h.code for h in HOLD_KINDS if h.scope in BLOCKING_SCOPES)
CONVICTED = tuple(f"convictions_{c.lower()}" for c in CONVICTION_CATEGORIES if c != "INFRACTION")


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February becomes the 28th), as SQL's `day - INTERVAL n YEAR`."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def meets(c: Condition, facts: Row, as_of: date) -> bool:
    """Whether the facts meet one condition (a missing value meets none but `present = false`)."""
    value, fact = c.value, facts.get(c.fact)
    if c.op == "present":
        return (fact is not None) is bool(value)
    if fact is None:
        return False
    if c.op == "is":
        return bool(fact == value)
    if c.op in ("at_least", "at_most"):
        return bool(fact >= value if c.op == "at_least" else fact <= value)
    if c.op in ("within_years", "older_than_years"):
        since = years_before(as_of, int(value))  # type: ignore[arg-type]  # a years operator has a whole number
        return bool(fact >= since if c.op == "within_years" else fact < since)
    return bool(fact >= value if c.op == "on_or_after" else fact < value)


def fired(pack: Pack, facts: Row, as_of: date) -> list[Row]:
    """The rules whose every condition the facts meet, in pack order, with the records they rest on."""
    return [
        {
            "rule_order": order,
            "rule": rule.id,
            "kind": rule.kind,
            "tier": rule.tier,
            "weight": rule.weight,
            "sources": ";".join(facts.get(f"src_{c.fact}") or "" for c in rule.when),
        }
        for order, rule in enumerate(pack.rules)
        if all(meets(c, facts, as_of) for c in rule.when)
    ]


def removable(facts: Row) -> bool:
    """Whether the facts make a person removable (a lead counts: it still needs a tier rule)."""
    return (
        any(facts[f] for f in REMOVABLE_FLAGS)
        or facts["unlawful_entry_on"] is not None
        or (facts["suspected_overstay_days"] or 0) > 0
        or sum(facts[c] for c in CONVICTED) > 0
    )


def in_force(hold: Row, as_of: date) -> bool:
    """Whether a hold is in force on the as-of date."""
    return bool(hold["start"] <= as_of and (hold["last_day"] is None or hold["last_day"] >= as_of))


def _meets_minimum(score: int, minimum: int | None) -> bool:
    """Whether a score reaches a tier's minimum (a tier without one is reached at any score)."""
    return minimum is None or score >= minimum


def ranked(pack: Pack, facts: Row, holds: list[Row], rules: list[Row], as_of: date) -> Row:
    """The person's rank row: removable, score, tier and its order, held, the holds in force and the
    reasons (each rule that counted with the records it rests on)."""
    score = sum(
        r["weight"] if r["kind"] == "aggravating" else -r["weight"]
        for r in rules
        if r["kind"] in ("aggravating", "mitigating")
    )
    orders = {t.name: i for i, t in enumerate(pack.tiers, start=1)}
    minimum = {t.name: t.min_score for t in pack.tiers}
    reached = [
        r["tier"]
        for r in rules
        if r["kind"] == "tier" and r["tier"] in orders and _meets_minimum(score, minimum[r["tier"]])
    ]
    tier = min(reached, key=lambda t: orders[t]) if reached else None
    live = [h["code"] for h in holds if in_force(h, as_of)]
    reasons = sorted(
        (r["rule_order"], u, f"{r['rule']}:{u[u.find('/') + 1 :]}")
        for r in rules
        if r["kind"] != "review" and (r["kind"] != "tier" or r["tier"] == tier)
        for u in r["sources"].split(";")
        if u
    )
    return {
        "person_id": facts["person_id"],
        "removable": removable(facts),
        "score": score,
        "tier": tier,
        "tier_order": orders[tier] if tier else None,
        "held": any(c.split(":")[0] in BLOCKING or c in pack.excludes for c in live),
        "holds": ";".join(sorted(set(live))),
        "reasons": ";".join(r for _, _, r in reasons) or None,
    }
