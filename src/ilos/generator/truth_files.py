"""The ground-truth files under ``truth/`` (never read by ILOS)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from .context import Context
from .emit import FeedCounts, Ledger
from .truth_holds import holds_truth
from .truth_status import admission_truth
from .world import World
from .writer import write_csv, write_json


def _d(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _n(value: int | None) -> str:
    return "" if value is None else str(value)


def write_admissions(ctx: Context, path: Path) -> None:
    """One row per admission in force: status, authorized-until and overstay days as of end."""
    world = ctx.world
    truths = admission_truth(world.admissions, world.departures, world.status_events, world.end, ctx.end_eod)
    rows = ((t.number, t.status, _d(t.authorized_until), _n(t.overstay_days)) for t in truths)
    write_csv(path, ("admission_number", "true_status", "true_authorized_until", "true_overstay_days"), rows)


def write_holds(ctx: Context, path: Path) -> None:
    """Every hold of every person, ended ones included."""
    world = ctx.world
    pids = [p.pid for p in world.persons]
    holds = holds_truth(
        pids,
        world.admissions,
        world.departures,
        world.status_events,
        world.court_events,
        world.encounters,
        world.end,
        ctx.end_eod,
    )
    rows = ((h.person, h.code, _d(h.start), _d(h.end)) for h in holds)
    write_csv(path, ("true_person_id", "hold", "start", "end"), rows)


def write_identities(world: World, path: Path) -> None:
    """The true identity of every person (what noise-free sources would write)."""
    pids = [p.pid for p in world.persons]
    header = (
        "true_person_id",
        "family_name",
        "given_names",
        "date_of_birth",
        "sex",
        "citizenship",
        "birth_country",
        "a_number",
        "twin_of",
        "compound_surname",
    )
    rows = (
        (
            p.pid,
            p.family_name,
            p.given_names,
            p.dob.isoformat(),
            p.sex,
            p.citizenship,
            p.birth_country,
            p.a_number,
            pids[p.twin_of] if p.twin_of >= 0 else "",
            "true" if len(p.family) > 1 else "false",
        )
        for p in world.persons
    )
    write_csv(path, header, rows)


def write_truth(
    ctx: Context, folder: Path, ledger: Ledger, counts: dict[str, FeedCounts], seed: int, now: datetime
) -> None:
    """persons, admissions, holds, identities, noise and the manifest."""
    world = ctx.world
    write_csv(
        folder / "persons.csv",
        ("source_system", "source_record_id", "true_person_id"),
        sorted(set(ledger.keys)),
    )
    write_admissions(ctx, folder / "admissions.csv")
    write_holds(ctx, folder / "holds.csv")
    write_identities(world, folder / "identities.csv")
    write_csv(
        folder / "noise.csv",
        ("source_system", "source_record_id", "recorded_at", "noise"),
        sorted(set(ledger.noise)),
    )
    write_json(
        folder / "manifest.json",
        {
            "seed": seed,
            "persons": len(world.persons),
            "start": world.start.isoformat(),
            "end": world.end.isoformat(),
            "now": now.isoformat(),
            "feeds": {feed: c.as_dict() for feed, c in counts.items()},
        },
    )
