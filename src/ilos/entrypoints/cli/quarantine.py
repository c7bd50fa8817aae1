"""`ilos quarantine list|replay`."""

from __future__ import annotations

from typing import Annotated

import typer

from ilos.domain.feeds import FEEDS
from ilos.domain.reasons import Reason
from ilos.entrypoints.cli.common import Db, app_for, failures_exit, print_results, write_csv
from ilos.entrypoints.cli.data import link_stored
from ilos.services.errors import IlosError
from ilos.services.quarantine import replay_quarantine

app = typer.Typer(
    help="Rows that broke a rule, with the reason.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("list")
def list_rows(
    feed: Annotated[str | None, typer.Option("--feed", help="Only this feed.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Only this reason code.")] = None,
    include_resolved: Annotated[
        bool, typer.Option("--all", help="Also rows a replay has since loaded.")
    ] = False,
    db: Db = None,
) -> None:
    """Quarantined rows as CSV: feed,source_system,source_record_id,file,row,reason,message."""
    with failures_exit(), app_for(db) as app:
        if feed is not None and feed not in FEEDS:
            raise IlosError(f"unknown feed {feed!r}; feeds are: {', '.join(FEEDS)}")
        if reason is not None and reason not in Reason.__members__:
            raise IlosError(f"unknown reason {reason!r}; reasons are: {', '.join(Reason)}")
        write_csv(app.reader.quarantine(feed, reason, include_resolved))


@app.command("replay")
def replay(
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Only this feed (repeatable).")] = None,
    db: Db = None,
) -> None:
    """Re-check open quarantined rows (after a fix) and load those that now pass; identities are resolved
    afterwards, as after an ingest."""
    with failures_exit(), app_for(db) as app:
        unknown = [f for f in feed or [] if f not in FEEDS]
        if unknown:
            raise IlosError(f"unknown feed(s) {', '.join(unknown)}; feeds are: {', '.join(FEEDS)}")
        results = replay_quarantine(feed, app.reader, app.loader)
        if not results:
            typer.echo("nothing to replay")
        print_results(results)
        link_stored(app, results)
