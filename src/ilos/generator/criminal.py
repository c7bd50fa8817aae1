"""Criminal histories (criminal_dispositions) and screening designations."""

from __future__ import annotations

from datetime import date, timedelta

from . import court
from .context import Context
from .reference import CJIS_COURTS, CJIS_SYSTEMS, CJIS_WEIGHTS, OFFENSE_WEIGHTS, OFFENSES
from .world import CriminalEvent, Designation, Person

LADDER = (
    "INFRACTION",
    "MISDEMEANOR",
    "SIGNIFICANT_MISDEMEANOR",
    "FELONY",
    "VIOLENT_FELONY",
    "AGGRAVATED_FELONY",
)
SENTENCE = {
    "INFRACTION": (0, 0),
    "MISDEMEANOR": (0, 365),
    "SIGNIFICANT_MISDEMEANOR": (1, 365),
    "FELONY": (365, 3650),
    "VIOLENT_FELONY": (730, 7300),
    "AGGRAVATED_FELONY": (365, 9000),
}


class Matter:
    """One criminal matter in one records system."""

    def __init__(self, ctx: Context, person: Person) -> None:
        self.ctx = ctx
        self.person = person
        self.system = ctx.rng.choices(CJIS_SYSTEMS, weights=CJIS_WEIGHTS)[0]
        self.code, self.description, self.category = ctx.rng.choices(OFFENSES, weights=OFFENSE_WEIGHTS)[0]
        self.incident = ctx.ids.digits(self.system[-2:] + "-", 9)
        self.court = ctx.rng.choice(CJIS_COURTS[self.system])

    def stage(
        self, name: str, day: date, category: str = "", gang: str = "", sentence: int | None = None
    ) -> bool:
        """Add one stage if it happens within the window."""
        ctx = self.ctx
        if day > ctx.end:
            return False
        when = ctx.when(day, "criminal")
        if when is not None:
            ctx.world.criminal.append(
                CriminalEvent(
                    person=self.person.idx,
                    system=self.system,
                    key=ctx.ids.alnum("CJ", 12),
                    recorded=when,
                    incident=self.incident,
                    stage=name,
                    day=day,
                    category=category or self.category,
                    offense_code=self.code,
                    offense_description=self.description,
                    gang_related=gang,
                    jurisdiction=self.court,
                    sentence_days=sentence,
                )
            )
        return True


def _convict(matter: Matter, day: date) -> None:
    ctx = matter.ctx
    category = matter.category
    if ctx.chance(0.2) and LADDER.index(category) > 0:
        category = LADDER[LADDER.index(category) - 1]  # plea to a lesser offense
    lo, hi = SENTENCE[category]
    sentence = ctx.rng.randint(lo, hi) if ctx.chance(0.7) else None
    gang_share = 0.12 if category in ("VIOLENT_FELONY", "AGGRAVATED_FELONY", "FELONY") else 0.02
    gang = "true" if ctx.chance(gang_share) else ("false" if ctx.chance(0.25) else "")
    if not matter.stage("CONVICTION", day, category, gang, sentence):
        return
    later = day + timedelta(days=ctx.rng.randint(60, 700))
    roll = ctx.rng.random()
    if roll < 0.14:
        matter.stage("EXPUNGED", later, category)  # still counts for immigration purposes
    elif roll < 0.24:
        matter.stage("VACATED", later, category)
        return
    if category == "AGGRAVATED_FELONY":
        court.summary_order(ctx, matter.person, "ADMINISTRATIVE_REMOVAL_ORDER", later, None)


def incident(ctx: Context, person: Person, day: date) -> None:
    """Arrest, charge and disposition of one matter."""
    matter = Matter(ctx, person)
    if not matter.stage("ARREST", day):
        return
    if ctx.chance(0.85):
        matter.stage("CHARGE", day + timedelta(days=ctx.rng.randint(0, 10)))
    decided = day + timedelta(days=ctx.rng.randint(30, 400))
    roll = ctx.rng.random()
    if roll < 0.55:
        _convict(matter, decided)
    elif roll < 0.85:
        matter.stage("DISMISSAL", decided)
    elif roll < 0.9:
        matter.stage("ACQUITTAL", decided)


def history(ctx: Context, person: Person) -> None:
    """One to three matters while the person was in the United States."""
    spans = [(max(a, ctx.start), min(b or ctx.end, ctx.end)) for a, b in ctx.presence.get(person.idx, ())]
    spans = [(a, b) for a, b in spans if a <= b]
    if not spans:
        return
    for _ in range(ctx.rng.choices((1, 2, 3), weights=(70, 20, 10))[0]):
        lo, hi = ctx.rng.choice(spans)
        incident(ctx, person, ctx.between(lo, hi))


def designation(ctx: Context, person: Person) -> None:
    """A screening designation, sometimes removed later."""
    did = ctx.ids.digits("TS", 10)
    day = ctx.between(ctx.start, ctx.end)
    for name in ("ADDED", "REMOVED"):
        when = ctx.when(day, "designation") if day <= ctx.end else None
        if when is None:
            return
        ctx.world.designations.append(
            Designation(
                person=person.idx,
                system="TSC",
                key=ctx.ids.alnum("TS", 12),
                recorded=when,
                designation_id=did,
                event=name,
                day=day,
                authority="TSC",
            )
        )
        if not ctx.chance(0.3):
            return
        day += timedelta(days=ctx.rng.randint(30, 700))
