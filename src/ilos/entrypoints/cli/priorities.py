"""`ilos worklist`, `ilos holds`, `ilos policy list|diff|rules` and `ilos explain rank`."""

from __future__ import annotations

import json
from typing import Annotated

import pyarrow as pa
import typer

from ilos.domain.policy import scan_packs
from ilos.entrypoints.cli.admissions import AsOf, KnownAt, _moments
from ilos.entrypoints.cli.common import Db, app_for, failures_exit, print_steps, write_csv
from ilos.entrypoints.render.policies import rule_catalogue
from ilos.services.priorities import explain_rank, pack_named, person_holds, policy_diff, produce_worklist

policy_app = typer.Typer(help="Policy packs: what is installed and how they differ.", no_args_is_help=True,
                         rich_markup_mode=None)  # fmt: skip
Policy = Annotated[str, typer.Option("--policy", help="The policy pack's name (see `ilos policy list`).")]


def worklist(
    policy: Policy,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    include_held: Annotated[
        bool, typer.Option("--include-held", help="Also list held persons, with tier HELD, after the others.")
    ] = False,
    review: Annotated[
        bool, typer.Option("--review", help="Instead: the persons a review rule names (leads, allegations).")
    ] = False,
    db: Db = None,
) -> None:
    """Removable persons who reach a tier of the pack, rank 1 first (ties by person id), as CSV."""
    with failures_exit(), app_for(db) as app:
        pack = pack_named(policy)
        day, cutoff = _moments(app, as_of, known_at)
        if not pack.effective_from <= day <= (pack.effective_until or day):
            typer.echo(f"note: {pack.name} is in force {pack.effective_from} to "
                       f"{pack.effective_until or 'today'}, not on {day}", err=True)  # fmt: skip
        if review:
            write_csv(app.priority_work.review_list(pack, day, cutoff))
            return
        write_csv(produce_worklist(app.priority_work, app.event_store, pack, day, cutoff, include_held))


def holds(
    person: Annotated[str, typer.Argument(metavar="PERSON", help="Person id (see `ilos export links`).")],
    as_of: AsOf = None,
    known_at: KnownAt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of CSV.")] = False,
    db: Db = None,
) -> None:
    """The person's legal holds (ended ones too) with their scope and sources, as CSV."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        rows = person_holds(app.priority_work, person, day, cutoff)
        if as_json:
            typer.echo(json.dumps(rows, indent=2, default=str))
            return
        columns = ["code", "scope", "start", "end", "in_force", "sources"]
        write_csv(pa.table({
            "code": [r["code"] for r in rows], "scope": [r["scope"] for r in rows],
            "start": [str(r["start"]) for r in rows], "end": [str(r["last_day"] or "") for r in rows],
            "in_force": [str(r["in_force"]).lower() for r in rows],
            "sources": [";".join(sorted(set((r["sources"] or "").split(";")))) for r in rows],
        }).select(columns))  # fmt: skip


def explain_rank_command(
    person: Annotated[str, typer.Argument(metavar="PERSON", help="Person id.")],
    policy: Policy,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    db: Db = None,
) -> None:
    """Why a person stands where they stand under a pack: holds, rules, facts, sources, score, tier."""
    with failures_exit(), app_for(db) as app:
        pack = pack_named(policy)
        day, cutoff = _moments(app, as_of, known_at)
        out = explain_rank(app.priority_work, pack, person, day, cutoff)
        if as_json:
            typer.echo(json.dumps(out.as_dict(), indent=2, default=str))
            return
        typer.echo(
            f"person {person} under {pack.name} {pack.version}, as of {day}, known at {cutoff or 'now'}"
        )
        print_steps(out.lines, "kind")


@policy_app.command("list")
def policy_list() -> None:
    """The packs installed: name, version, in force from/until, title, as CSV (an invalid pack is left
    out, with its reason on stderr)."""
    with failures_exit():
        packs, invalid = scan_packs()
        for name, problem in invalid.items():
            typer.echo(f"warning: policy pack {name!r} is invalid and left out: {problem}", err=True)
        write_csv(pa.table({
            "name": [p.name for p in packs.values()], "version": [p.version for p in packs.values()],
            "effective_from": [str(p.effective_from) for p in packs.values()],
            "effective_until": [str(p.effective_until or "") for p in packs.values()],
            "title": [p.title for p in packs.values()],
        }))  # fmt: skip


@policy_app.command("rules")
def policy_rules(name: Annotated[str, typer.Argument(metavar="NAME", help="The pack's name.")]) -> None:
    """A pack's tiers and rules, with the evidence each requires (Markdown)."""
    with failures_exit():
        typer.echo(rule_catalogue(pack_named(name)), nl=False)


@policy_app.command("diff")
def policy_diff_command(
    a: Annotated[str, typer.Argument(metavar="A", help="The first pack.")],
    b: Annotated[str, typer.Argument(metavar="B", help="The second pack.")],
    as_of: AsOf = None,
    known_at: KnownAt = None,
    db: Db = None,
) -> None:
    """How many persons move between tiers from pack A to pack B, then who, with the tier rules behind it."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        diff = policy_diff(app.priority_work, pack_named(a), pack_named(b), day, cutoff)
        typer.echo(f"# from {diff.a} to {diff.b}, as of {day}")
        typer.echo("from,to,persons")
        for move in diff.moves:
            typer.echo(f"{move['from']},{move['to']},{move['persons']}")
        typer.echo("")
        typer.echo("person_id,tier_a,tier_b,rules_a,rules_b")
        for p in diff.persons:
            typer.echo(",".join(p[k] or "" for k in ("person_id", "tier_a", "tier_b", "rules_a", "rules_b")))
