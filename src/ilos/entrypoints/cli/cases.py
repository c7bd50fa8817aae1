"""`ilos case history|show|due`."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import pyarrow as pa
import typer

from ilos.bootstrap import Ilos
from ilos.domain.cases import Role
from ilos.entrypoints.cli.admissions import AsOf, KnownAt, _moments
from ilos.entrypoints.cli.common import Db, app_for, failures_exit, write_csv
from ilos.services.admissions import parse_as_of
from ilos.services.cases import Approval, CaseHistory, case_history, move, open_lead, parse_within
from ilos.services.errors import IlosError
from ilos.services.priorities import explain_rank, pack_named

case_app = typer.Typer(help="Cases: where each stands, what happened, what is due.", no_args_is_help=True,
                       rich_markup_mode=None)  # fmt: skip
users_app = typer.Typer(help="Local users and their roles.", no_args_is_help=True, rich_markup_mode=None)
Case = Annotated[str, typer.Argument(metavar="CASE", help="The court case number, or L-n for a lead.")]
Actor = Annotated[str, typer.Option("--actor", help="Who acts (a user, see `ilos users list`).")]
Reason = Annotated[str, typer.Option("--reason", help="Why; kept with the step.")]


def _users(app: Ilos) -> dict[str, str]:
    return {u["name"]: u["role"] for u in app.reader.users().to_pylist()}


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    role: Annotated[str, typer.Option("--role", help="officer, supervisor, analyst, auditor or privacy.")],
    field_office: Annotated[
        str | None, typer.Option("--field-office", help="The user's field office.")
    ] = None,
    db: Db = None,
) -> None:
    """Add a local user with a role (or change an existing user's role)."""
    with failures_exit(), app_for(db) as app:
        if role not in {r.value for r in Role}:
            raise typer.BadParameter(
                f"--role must be one of {', '.join(r.value for r in Role)}, not {role!r}"
            )
        app.case_store.add_user(name, role, field_office)
        typer.echo(f"user {name}: {role}")


@users_app.command("list")
def users_list(db: Db = None) -> None:
    """Local users as CSV: name, role, field_office."""
    with failures_exit(), app_for(db) as app:
        write_csv(app.reader.users())


@case_app.command("open")
def case_open(
    person: Annotated[str, typer.Option("--person", help="The person the lead is about.")],
    actor: Actor,
    reason: Reason,
    source: Annotated[str, typer.Option("--source", help="Where the lead comes from, e.g. worklist:guidelines-2021 "
                                                         "or referral.")] = "referral",
    on: Annotated[str | None, typer.Option("--on", help="The date the lead opens. Default: today.")] = None,
    db: Db = None,
) -> None:  # fmt: skip
    """Open a lead on a person; prints its case number (L-n)."""
    with failures_exit(), app_for(db) as app:
        day = parse_as_of(on, app.settings.today(), "--on")
        if source.startswith("worklist:"):
            pack = pack_named(source.removeprefix("worklist:"))
            if not explain_rank(app.priority_work, pack, person, day, None).listed:
                raise IlosError(
                    f"{person} is not on the {pack.name} worklist on {day}; open it as a referral"
                )
        typer.echo(open_lead(app.case_store, _users(app), person, actor, reason, day, source))


@case_app.command("move")
def case_move(
    case: Case,
    step: Annotated[str, typer.Argument(metavar="STEP", help="An officer's step (docs/reference/case-states.md).")],
    actor: Actor,
    reason: Reason,
    approved_by: Annotated[str | None, typer.Option("--approved-by", help="The approving supervisor.")] = None,
    justification: Annotated[str, typer.Option("--justification", help="The supervisor's written reason.")] = "",
    country: Annotated[str | None, typer.Option("--country", help="Destination of a removal (alpha-3).")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="A travel document's last valid day.")] = None,
    charge: Annotated[list[str] | None, typer.Option("--charge", help="A notice to appear's charge (repeat): "
                                                     "OVERSTAY, STATUS_VIOLATION, ENTRY_WITHOUT_INSPECTION, CRIMINAL, "
                                                     "FRAUD, PRIOR_REMOVAL.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="The date the step takes effect. Default: today.")] = None,
    db: Db = None,
) -> None:  # fmt: skip
    """Take an officer's step on a case. It is refused, with every reason, unless the transition table
    allows it from the case's state and every guard holds on the day; either way it is recorded."""
    with failures_exit(), app_for(db) as app:
        day = parse_as_of(on, app.settings.today(), "--on")
        destination = country.strip().upper() if country else None
        if destination is not None and not re.fullmatch(r"[A-Z]{3}", destination):
            raise IlosError(f"--country is an alpha-3 code such as MEX, not {country!r}")
        until = parse_as_of(valid_until, day, "--valid-until").isoformat() if valid_until else None
        charges = sorted({c.strip().upper() for c in charge or []})
        detail: dict[str, Any] = {
            k: v for k, v in (("country", destination), ("valid_until", until), ("charges", charges)) if v
        }
        done = move(app.case_work, app.case_work, app.case_store, _users(app), case, step, actor, reason,
                    Approval(approved_by, justification), detail, day)  # fmt: skip
        if not done.applied:
            raise IlosError(f"refused: {step} on {case}: " + "; ".join(done.reasons))
        typer.echo(f"case {case}: {done.before.value} -> {done.after.value} ({step})")


def _history_table(h: CaseHistory) -> pa.Table:
    return pa.table({
        "date": [str(s.day) for s in h.steps], "trigger": [s.trigger.value for s in h.steps],
        "step": [s.name for s in h.steps], "from": [s.before.value for s in h.steps],
        "to": [s.after.value for s in h.steps], "applied": [str(s.applied).lower() for s in h.steps],
        "actor": [s.actor for s in h.steps],
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
        typer.echo(f"case {case} as of {day}: {h.state.value}")
        typer.echo(f"  persons: {', '.join(h.persons)}")
        typer.echo(f"  suspended by: {', '.join(h.suspended_by) or 'nothing'}")
        if h.steps:
            last = h.steps[-1]
            typer.echo(
                f"  last step: {last.day} {last.name} ({last.trigger.value}{', ' + last.actor if last.actor else ''})"
            )


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
