"""`ilos ingest`, `ilos summary` and `ilos export records`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from ilos.adapters.db.schema import identity_link, quarantine, record_tables, review_pair
from ilos.bootstrap import Ilos
from ilos.domain.feeds import FEEDS, feed
from ilos.domain.moments import normalise_known_at
from ilos.domain.outcomes import BatchResult
from ilos.entrypoints.cli.common import (
    Db,
    app_for,
    failures_exit,
    print_resolution,
    print_results,
    progress_factory,
    write_csv,
)
from ilos.entrypoints.cli.relatives import after_resolution
from ilos.services.errors import IlosError
from ilos.services.ingest import ingest_files
from ilos.services.resolve import resolve_incremental
from ilos.services.stream import (
    ANNOUNCING_FEEDS,
    announce_departures,
    announce_every_departure,
    regrouping_run,
)

FEED_HELP = f"One of: {', '.join(FEEDS)}."


def ingest(
    feed_name: Annotated[str, typer.Argument(metavar="FEED", help=FEED_HELP)],
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="CSV, Parquet or JSON Lines files (a .json file may hold one JSON array of objects).",
        ),
    ],
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve/--no-resolve",
            help="Resolve identities afterwards, so that every export reflects the new rows. "
            "--no-resolve when loading many files, then run `ilos resolve` once.",
        ),
    ] = True,
    db: Db = None,
) -> None:
    """Load files of one feed: valid rows become source records, invalid rows go to the quarantine."""
    with failures_exit(), app_for(db) as app:
        check_feed(feed_name)
        on_file, done = progress_factory()
        try:
            results = ingest_files(feed_name, paths, app.loader, on_file)
        finally:
            done()
        print_results(results)
        if resolve:
            link_stored(app, results)


def link_stored(app: Ilos, results: list[BatchResult]) -> None:
    """After rows were stored (an ingest, a quarantine replay): resolve identities incrementally, then
    relatives, and announce the departures verified, so that every export reflects the new rows."""
    if not any(r.stored for r in results):
        return
    summary = resolve_incremental(app.identity_work, app.identity_store)
    print_resolution(summary)
    after_resolution(app)
    announce(app, [r for r in results if r.stored and r.feed in ANNOUNCING_FEEDS], regrouping_run(summary))


def announce(app: Ilos, results: list[BatchResult], regrouped_in: int | None) -> None:
    """`departure:verified` events for the departures, and the admissions of arrivals, just loaded
    (`results`), and for the departures of the persons resolution run `regrouped_in` merged or split;
    the count is printed when there was anything to look at."""
    if not results and regrouped_in is None:
        return
    uids: list[str] = []
    numbers: list[str] = []
    for r in results:
        keys = app.reader.batch_keys(feed(r.feed), r.batch_id or 0)
        uids += keys.column("uid").to_pylist()
        numbers += [n for n in keys.column("admission_number").to_pylist() if n]
    today = app.settings.today()
    regrouped = [] if regrouped_in is None else [regrouped_in]
    events = announce_departures(app.admission_work, app.event_store, uids, numbers, today, regrouped)
    typer.echo(f"departure:verified events: {len(events)}")


def announce_every(app: Ilos) -> None:
    """`departure:verified` events for every verified departure not announced yet (after `ilos resolve`,
    which follows loads made with `--no-resolve`), and their count."""
    events = announce_every_departure(app.admission_work, app.event_store, app.settings.today())
    typer.echo(f"departure:verified events: {len(events)}")


def summary(db: Db = None) -> None:
    """What the store holds: records and versions per feed, open quarantine rows, persons, open reviews."""
    with failures_exit(), app_for(db) as app, app.store.engine.connect() as conn:
        typer.echo(f"store: {app.store.engine.url.render_as_string(hide_password=True)}")
        for name, table in record_tables.items():
            keys = select(func.count()).select_from(
                select(table.c.source_system, table.c.source_record_id).distinct().subquery()
            )
            versions = conn.scalar(select(func.count()).select_from(table))
            typer.echo(f"{name:22} records {conn.scalar(keys):>9}  versions {versions:>9}")
        open_rows = conn.scalar(
            select(func.count()).select_from(quarantine).where(quarantine.c.resolved_batch_id.is_(None))
        )
        typer.echo(f"{'quarantine (open)':22} rows    {open_rows:>9}")
        persons = conn.scalar(select(func.count(func.distinct(identity_link.c.person_id))))
        reviews = conn.scalar(
            select(func.count()).select_from(review_pair).where(review_pair.c.decision.is_(None))
        )
        typer.echo(f"{'persons':22} persons {persons:>9}  open reviews {reviews:>9}")


export_app = typer.Typer(
    help="CSV exports, sorted by their first columns.", no_args_is_help=True, rich_markup_mode=None
)


@export_app.command("records")
def export_records(
    feed_name: Annotated[str, typer.Argument(metavar="FEED", help=FEED_HELP)],
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Only what was recorded by this ISO 8601 timestamp.")
    ] = None,
    db: Db = None,
) -> None:
    """Source records of a feed in force (latest version, retractions left out), as CSV."""
    with failures_exit(), app_for(db) as app:
        check_feed(feed_name)
        cutoff = known_at_option(known_at)
        write_csv(app.reader.records_in_force(feed(feed_name), cutoff))


def check_feed(name: str) -> None:
    """A clear error for an unknown feed name."""
    try:
        feed(name)
    except ValueError as exc:
        raise IlosError(str(exc)) from None


def known_at_option(text: str | None) -> str | None:
    """`--known-at` as stored UTC text, or a clear error."""
    if text is None:
        return None
    try:
        return normalise_known_at(text)
    except ValueError as exc:
        raise IlosError(str(exc)) from None
