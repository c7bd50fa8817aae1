"""`ilos case history|show|due`."""

from __future__ import annotations

import json
from typing import Annotated

import pyarrow as pa
import typer

from ilos.entrypoints.cli.admissions import AsOf, KnownAt, _moments
from ilos.entrypoints.cli.common import Db, app_for, failures_exit, write_csv
from ilos.services.cases import CaseHistory, case_history, parse_within

case_app = typer.Typer(help="Cases: where each stands, what happened, what is due.", no_args_is_help=True,
                       rich_markup_mode=None)  # fmt: skip
Case = Annotated[str, typer.Argument(metavar="CASE", help="The court case number.")]


def _history_table(h: CaseHistory) -> pa.Table:
    return pa.table({
        "date": [str(s.day) for s in h.steps], "trigger": [s.trigger.value for s in h.steps],
        "step": [s.name for s in h.steps], "from": [s.before.value for s in h.steps],
        "to": [s.after.value for s in h.steps], "applied": [str(s.applied).lower() for s in h.steps],
        "reasons": ["; ".join(s.reasons) for s in h.steps], "sources": [";".join(s.sources) for s in h.steps],
    })  # fmt: skip


@case_app.command("history")
def history(
    case: Case,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of CSV.")] = False,
    db: Db = None,
) -> None:
    """Every step of the case in order (court events, the clock, holds, departures), as CSV."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        table = _history_table(case_history(app.case_work, case, day, cutoff))
        if as_json:
            typer.echo(json.dumps(table.to_pylist(), indent=2))
            return
        write_csv(table)


@case_app.command("show")
def show(case: Case, as_of: AsOf = None, known_at: KnownAt = None, db: Db = None) -> None:
    """Where the case stands: state, persons, holds suspending it, last step."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        h = case_history(app.case_work, case, day, cutoff)
        last = h.steps[-1]
        typer.echo(f"case {case} as of {day}: {h.state.value}")
        typer.echo(f"  persons: {', '.join(h.persons)}")
        typer.echo(f"  suspended by: {', '.join(h.suspended_by) or 'nothing'}")
        typer.echo(f"  last step: {last.day} {last.name} ({last.trigger.value})")


@case_app.command("due")
def due(
    within: Annotated[str, typer.Option("--within", help="How far ahead: 7d, 2w.")] = "7d",
    as_of: AsOf = None,
    known_at: KnownAt = None,
    db: Db = None,
) -> None:
    """Deadlines of open cases from the as-of date to the end of the period (appeal windows, voluntary
    departure bonds and periods, hearings), counted in business days where the rules say so, as CSV."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        write_csv(app.case_work.due(day, day + parse_within(within), cutoff))
