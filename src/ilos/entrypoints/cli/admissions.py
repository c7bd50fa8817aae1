"""`ilos export admissions`, `ilos explain admission` and `ilos report overstays`."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ilos.bootstrap import Ilos
from ilos.entrypoints.cli.common import Db, app_for, failures_exit, print_steps, write_csv
from ilos.entrypoints.cli.data import known_at_option
from ilos.entrypoints.render import overstays
from ilos.services.admissions import check_fiscal_year, explain_admission, parse_as_of

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Judge as of this date (YYYY-MM-DD): later events are ignored. Default: today."
    ),
]
KnownAt = Annotated[
    str | None,
    typer.Option("--known-at", help="Only records recorded by this ISO 8601 timestamp. Default: now."),
]

report_app = typer.Typer(help="Published figures.", no_args_is_help=True, rich_markup_mode=None)


def _moments(app: Ilos, as_of: str | None, known_at: str | None) -> tuple[date, str | None]:
    today = app.settings.today()
    return parse_as_of(as_of, today), known_at_option(known_at)


def export_admissions(
    as_of: AsOf = None,
    known_at: KnownAt = None,
    admission: Annotated[
        list[str] | None, typer.Option("--admission", help="Only this admission number (repeatable).")
    ] = None,
    db: Db = None,
) -> None:
    """Status of every admission by the contract's rules, as CSV sorted by admission number."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        write_csv(app.admission_work.statuses(day, cutoff, list(admission) if admission else None))


def explain_admission_command(
    number: Annotated[str, typer.Argument(metavar="N", help="Admission (I-94) number.")],
    as_of: AsOf = None,
    known_at: KnownAt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    db: Db = None,
) -> None:
    """Why an admission has its status: each rule applied, with the records it rests on."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        explanation = explain_admission(app.admission_work, number, day, cutoff)
        if as_json:
            typer.echo(json.dumps(explanation.as_dict(), indent=2, default=str))
            return
        typer.echo(f"admission {number}: {explanation.status} — {explanation.meaning}")
        typer.echo(f"as of {day}, known at {cutoff or 'now'}")
        print_steps(explanation.steps, "rule")


@report_app.command("overstays")
def report_overstays(
    fiscal_year: Annotated[
        int, typer.Option("--fiscal-year", help="YYYY: 1 October YYYY-1 to 30 September YYYY.")
    ],
    as_of: AsOf = None,
    known_at: KnownAt = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, md or html.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    db: Db = None,
) -> None:
    """The DHS Entry/Exit Overstay Report for one fiscal year, by group and country of citizenship."""
    with failures_exit(), app_for(db) as app:
        if fmt not in ("csv", "md", "html"):
            raise typer.BadParameter(f"--format must be csv, md or html, not {fmt!r}")
        day, cutoff = _moments(app, as_of, known_at)
        table = app.admission_work.overstay_report(check_fiscal_year(fiscal_year), day, cutoff)
        title = f"Entry/Exit Overstay Report, fiscal year {fiscal_year}"
        note = f"Statuses as of {day}, with the records known at {cutoff or 'the time of the report'}."
        buffer = io.StringIO()
        if fmt == "csv":
            write_csv(table, buffer)
        elif fmt == "md":
            buffer.write(overstays.markdown(table.to_pylist(), title) + f"\n{note}\n")
        else:
            buffer.write(overstays.html(table.to_pylist(), title, note))
        if out is None:
            typer.echo(buffer.getvalue(), nl=False)
        else:
            out.write_text(buffer.getvalue(), encoding="utf-8")


@report_app.command("departures")
def report_departures(
    first: Annotated[str, typer.Option("--from", help="First departure date, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last departure date, YYYY-MM-DD.")],
    as_of: AsOf = None,
    known_at: KnownAt = None,
    db: Db = None,
) -> None:
    """Daily verified departures by evidence type, and how many of them were people past their authorized
    stay who left on their own (not by a removal), as CSV."""
    with failures_exit(), app_for(db) as app:
        day, cutoff = _moments(app, as_of, known_at)
        start, end = parse_as_of(first, day, "--from"), parse_as_of(last, day, "--to")
        if end < start:
            raise typer.BadParameter(f"--to {end} is before --from {start}")
        write_csv(app.admission_work.departure_series(start, end, day, cutoff))
