"""`ilos resolve`, `ilos review list|decide`, `ilos explain link`, `ilos export links`."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import pyarrow as pa
import typer

from ilos.entrypoints.cli.common import Db, app_for, failures_exit, print_resolution, write_csv
from ilos.entrypoints.cli.data import announce_every
from ilos.entrypoints.cli.relatives import after_resolution
from ilos.services.errors import IlosError
from ilos.services.resolve import resolve_all, resolve_incremental

review_app = typer.Typer(help="Pairs the model could not decide, for a person to decide.", no_args_is_help=True,
                         rich_markup_mode=None)  # fmt: skip
explain_app = typer.Typer(help="Why ILOS said what it said.", no_args_is_help=True, rich_markup_mode=None)


def resolve(
    retrain: Annotated[bool, typer.Option("--retrain", help="Train a new model on the data first.")] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full/--incremental",
            help="Re-resolve every record (default), or only the records changed since the last run "
            "and the persons they touch (what `ilos ingest` does); both give the same persons.",
        ),
    ] = True,
    db: Db = None,
) -> None:
    """Resolve every record in force to a person; person ids stay stable between runs."""
    with failures_exit(), app_for(db) as app:
        if full or retrain:
            summary = resolve_all(app.identity_work, app.identity_store, retrain=retrain)
        else:
            summary = resolve_incremental(app.identity_work, app.identity_store)
        print_resolution(summary)
        after_resolution(app)
        announce_every(app)


def export_links(db: Db = None) -> None:
    """CSV feed,source_system,source_record_id,person_id: one line per record in force."""
    with failures_exit(), app_for(db) as app:
        write_csv(app.reader.links().select(["feed", "source_system", "source_record_id", "person_id"]))


def export_unlinked(db: Db = None) -> None:
    """CSV feed,source_system,source_record_id,reason: records too poor in identity to link to anyone."""
    with failures_exit(), app_for(db) as app:
        write_csv(app.identity_work.unusable())


def pair_id(left: str, right: str) -> str:
    """A short, stable name for a pair of records."""
    return hashlib.sha1(f"{left}\n{right}".encode()).hexdigest()[:12]  # noqa: S324 (a label, not security)


@review_app.command("list")
def review_list(db: Db = None) -> None:
    """Open pairs as CSV: pair,record_a,record_b,match_weight,match_probability,rule."""
    with failures_exit(), app_for(db) as app:
        queue = app.reader.review_queue()
        ids = [pair_id(a, b) for a, b in zip(queue["record_uid_l"].to_pylist(), queue["record_uid_r"].to_pylist(),
                                             strict=True)]  # fmt: skip
        table = pa.table(
            {"pair": ids, "record_a": queue["record_uid_l"], "record_b": queue["record_uid_r"],
             "match_weight": queue["match_weight"], "match_probability": queue["match_probability"],
             "rule": queue["rule"]}
        )  # fmt: skip
        write_csv(table)


@review_app.command("decide")
def review_decide(
    pair: Annotated[str, typer.Argument(help="The pair id from `ilos review list`.")],
    decision: Annotated[str, typer.Argument(metavar="link|separate")],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept with the decision.")],
    actor: Annotated[str, typer.Option("--actor", help="Who decides.")] = "cli",
    db: Db = None,
) -> None:
    """Decide a pair. The decision holds for every later run and retraining."""
    with failures_exit(), app_for(db) as app:
        if decision not in ("link", "separate"):
            raise IlosError("decision must be link or separate")
        if not reason.strip():
            raise IlosError("a decision needs a reason")
        queue = app.reader.review_queue().to_pylist()
        match = [q for q in queue if pair_id(q["record_uid_l"], q["record_uid_r"]) == pair]
        if not match:
            raise IlosError(f"no open pair {pair!r}; see `ilos review list`")
        app.identity_store.decide(match[0]["record_uid_l"], match[0]["record_uid_r"], decision, reason, actor)
        typer.echo(f"pair {pair}: {decision} ({reason}); run `ilos resolve` to apply")


@explain_app.command("link")
def explain_link(
    record_a: Annotated[str, typer.Argument(help="FEED/SOURCE_SYSTEM/SOURCE_RECORD_ID")],
    record_b: Annotated[str, typer.Argument(help="FEED/SOURCE_SYSTEM/SOURCE_RECORD_ID")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    db: Db = None,
) -> None:
    """How much each comparison of two records counts for or against their being one person."""
    import json

    with failures_exit(), app_for(db) as app:
        found = {r["record_uid"]: r for r in app.reader.records_by_uid([record_a, record_b]).to_pylist()}
        missing = [u for u in (record_a, record_b) if u not in found]
        if missing:
            raise IlosError(f"no record in force: {', '.join(missing)}")
        saved = app.identity_store.latest_model()
        steps = app.identity_work.resolver(saved[1] if saved else None).explain(
            found[record_a], found[record_b]
        )
        if as_json:
            typer.echo(json.dumps(steps, indent=2, default=str))
            return
        for step in steps:
            weight = step.get("match_weight", 0.0)
            typer.echo(
                f"{weight:+7.2f}  {step.get('comparison', '')}: {step.get('level', '')}"
                f"  [{step.get('value_a', '')} | {step.get('value_b', '')}]"
            )
        total = next((s["match_weight"] for s in steps if s.get("comparison") == "total"), 0.0)
        typer.echo(_linked_now(app, [found[record_a], found[record_b]], total))


def _linked_now(app: Any, rows: list[dict[str, Any]], weight: float) -> str:
    """Whether the last run linked the two records, and what else may have: a name-only departure
    carries too little identity to link on its own, and is placed by the trip it ends, as is any
    departure nothing else links (`weight` is the pair's total)."""
    from ilos.adapters.identity import UPPER, input_table, unusable

    persons = [app.reader.persons_of_records([r["record_uid"]]) for r in rows]
    if any(not found for found in persons):
        return "linked now: no (not yet resolved)"
    if persons[0] != persons[1]:
        return "linked now: no (different persons)"
    if unusable(input_table(rows)).num_rows:
        return (
            "linked now: yes, though one record has too little identity to link on its own: a departure "
            "with only a name joins the one person of that name and country in the country on its day (a "
            "filing or a student's program event the one person of its name ever in the country by then), "
            "a criminal disposition the person its matter's other records name, a decision the person its "
            "filing's receipt names"
        )
    departures = [r for r in rows if r.get("feed") == "departures"]
    numbered = any(str(r.get("admission_number") or "").strip() for r in departures)  # that number links
    if weight < UPPER and departures and not numbered:
        return (
            "linked now: yes, though the weights alone would not link them: through other records of the "
            "person, or, for a departure nothing else links, by the trip it ends (the one person in the "
            "country on its day under its name or in review with it)"
        )
    return "linked now: yes"
