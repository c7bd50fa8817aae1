"""Use cases of enforcement prioritization: worklists, holds, explanations and policy diffs.

Everything is derived on read under a named policy pack (`ilos.domain.policy`); a worklist records
what it was computed from as a `worklist:produced` event, so the same list can be shown again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ilos.domain.events import WORKLIST_PRODUCED
from ilos.domain.policy import Pack, scan_packs
from ilos.services.errors import IlosError


class PriorityWork(Protocol):
    """Set-at-a-time holds, facts and ranking over the store."""

    def worklist(
        self, pack: Pack, as_of: date, known_at_utc: str | None, include_held: bool
    ) -> tuple[Any, str]:
        """Worklist rows (an Arrow table) and the hash of their inputs."""

    def review_list(self, pack: Pack, as_of: date, known_at_utc: str | None) -> Any:
        """Persons a review rule names."""

    def knows(self, person_id: str) -> bool:
        """Whether ILOS holds (or held, before a retraction) any record of the person."""

    def holds(self, person_id: str, as_of: date, known_at_utc: str | None) -> list[dict[str, Any]]:
        """Every hold of one person."""

    def person(self, pack: Pack, person_id: str, as_of: date, known_at_utc: str | None) -> dict[str, Any]:
        """Facts, fired rules, holds in force and rank row of one person."""

    def compare(self, a: Pack, b: Pack, as_of: date, known_at_utc: str | None) -> Any:
        """Each listed person's tier under two packs."""


class EventSink(Protocol):
    """Where events are appended."""

    def append(self, kind: str, events: list[dict[str, Any]]) -> None:
        """Record events of one kind."""


def pack_named(name: str) -> Pack:
    """The installed pack called `name`, or a one-line error naming those installed."""
    packs, invalid = scan_packs()
    if name in invalid:
        raise IlosError(f"policy pack {name!r} is invalid: {invalid[name]}")
    if name not in packs:
        raise IlosError(f"no policy pack {name!r}; installed: {', '.join(sorted(packs)) or 'none'}")
    return packs[name]


def csv_text(table: Any) -> str:
    """An Arrow table as CSV text (what `ilos worklist` prints), for hashing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else v for v in row.values()])
    return out.getvalue()


def produce_worklist(
    work: PriorityWork,
    events: EventSink,
    pack: Pack,
    as_of: date,
    known_at_utc: str | None,
    include_held: bool,
) -> Any:
    """The worklist under `pack`, recorded as a `worklist:produced` event."""
    table, inputs_hash = work.worklist(pack, as_of, known_at_utc, include_held)
    events.append(
        WORKLIST_PRODUCED,
        [{"person_id": None, "subject": pack.name, "version": pack.version, "pack_digest": pack.digest,
          "as_of": as_of.isoformat(), "known_at": known_at_utc or "", "include_held": include_held,
          "inputs_hash": inputs_hash, "list_hash": hashlib.sha256(csv_text(table).encode()).hexdigest(),
          "rows": table.num_rows}],
    )  # fmt: skip
    return table


@dataclass
class RankExplanation:
    """Why a person stands where they stand under one pack, each statement with its sources."""

    person_id: str
    policy: str
    version: str
    as_of: date
    listed: bool = False
    tier: str | None = None
    score: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)  # codes of the holds in force

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"person_id": self.person_id, "policy": self.policy, "version": self.version,
                "as_of": self.as_of.isoformat(), "listed": self.listed, "tier": self.tier, "score": self.score,
                "lines": self.lines}  # fmt: skip


def _sources(text: str | None) -> list[str]:
    return sorted({s for s in (text or "").split(";") if s})


def person_holds(
    work: PriorityWork, person_id: str, as_of: date, known_at_utc: str | None
) -> list[dict[str, Any]]:
    """Every hold of one person (ended ones too); an error when ILOS holds no record of the person."""
    rows = work.holds(person_id, as_of, known_at_utc)
    if not rows and not work.knows(person_id):
        raise _unknown(person_id, as_of, known_at_utc)
    return rows


def _unknown(person_id: str, as_of: date, known_at_utc: str | None) -> IlosError:
    return IlosError(f"person {person_id} has no records (as of {as_of}, known at {known_at_utc or 'now'})")


def explain_rank(
    work: PriorityWork, pack: Pack, person_id: str, as_of: date, known_at_utc: str | None
) -> RankExplanation:
    """The full reasoning: holds, each rule that fired with its facts and sources, the score and tier."""
    data = work.person(pack, person_id, as_of, known_at_utc)
    if not data["facts"] and not work.knows(person_id):  # a person known by departures alone has no facts
        raise _unknown(person_id, as_of, known_at_utc)
    out = RankExplanation(person_id, pack.name, pack.version, as_of)
    ranked, facts = data["ranked"], data["facts"]
    rules = {r.id: r for r in pack.rules}
    for hold in data["holds"]:
        out.holds.append(hold["code"])
        out.lines.append({"kind": "hold", "text": f"hold {hold['code']} in force since {hold['start']}"
                          f" (until {hold['last_day'] or 'further notice'})", "sources": _sources(hold["sources"])})  # fmt: skip
    for fired in data["fired"]:
        rule = rules[fired["rule"]]
        values = "; ".join(f"{c.text()} (value: {_shown(facts.get(c.fact))})" for c in rule.when)
        effect = {"tier": f"reaches {rule.tier}", "aggravating": f"+{rule.weight}",
                  "mitigating": f"-{rule.weight}", "review": "needs human review"}[rule.kind]  # fmt: skip
        out.lines.append({"kind": rule.kind, "rule": rule.id, "effect": effect,
                          "text": f"{rule.id} ({effect}): {rule.meaning} — {values}",
                          "sources": _sources(fired["sources"])})  # fmt: skip
    out.score = int(ranked.get("score") or 0)
    out.tier = ranked.get("tier")
    out.listed = bool(ranked.get("removable")) and out.tier is not None and not ranked.get("held")
    out.lines.append({"kind": "verdict", "text": _verdict(pack, ranked, out), "sources": []})
    return out


def _shown(value: Any) -> str:
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _verdict(pack: Pack, ranked: dict[str, Any], out: RankExplanation) -> str:
    if not ranked.get("removable"):
        return "No removability fact on record: not listed."
    if ranked.get("held"):
        return f"Held ({ranked['holds']}): not listed (listed as HELD with --include-held)."
    if out.tier is None:
        return f"Score {out.score}; no tier of {pack.name} is reached: not listed."
    return f"Score {out.score} (aggravating minus mitigating); tier {out.tier}: listed."


@dataclass
class PolicyDiff:
    """How persons move between tiers from pack `a` to pack `b`."""

    a: str
    b: str
    moves: list[dict[str, Any]]
    persons: list[dict[str, Any]]


def policy_diff(work: PriorityWork, a: Pack, b: Pack, as_of: date, known_at_utc: str | None) -> PolicyDiff:
    """Counts of persons per (tier under a, tier under b) and who moved, with the tier rules behind each."""
    rows = work.compare(a, b, as_of, known_at_utc).to_pylist()
    moved = [r for r in rows if r["tier_a"] != r["tier_b"]]
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["tier_a"] or "not listed", r["tier_b"] or "not listed")
        counts[key] = counts.get(key, 0) + 1
    moves = [{"from": k[0], "to": k[1], "persons": n} for k, n in sorted(counts.items())]
    return PolicyDiff(f"{a.name} {a.version}", f"{b.name} {b.version}", moves, moved)
