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
from ilos.services.cases import (
    Approval,
    CaseHistory,
    Users,
    assign,
    assignments,
    case_history,
    move,
    open_from_worklist,
    open_lead,
    overrides,
    parse_within,
)
from ilos.services.errors import IlosError
from ilos.services.priorities import pack_named

case_app = typer.Typer(help="Cases: where each stands, what happened, what is due.", no_args_is_help=True,
                       rich_markup_mode=None)  # fmt: skip
users_app = typer.Typer(help="Local users and their roles.", no_args_is_help=True, rich_markup_mode=None)
Case = Annotated[str, typer.Argument(metavar="CASE", help="The court case number, or L-n for a lead.")]
Actor = Annotated[str, typer.Option("--actor", help="Who acts (a user, see `ilos users list`).")]
Reason = Annotated[str, typer.Option("--reason", help="Why; kept with the step.")]


def _users(app: Ilos) -> dict[str, str]:
    return _people(app).roles


def _people(app: Ilos) -> Users:
    rows = app.reader.users().to_pylist()
    return Users({u["name"]: u["role"] for u in rows}, {u["name"]: u["field_office"] for u in rows})


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
    override: Annotated[bool, typer.Option("--override", help="Open a worklist lead on a person the policy does not "
                                                              "list (an override of its ranking, counted).")] = False,
    db: Db = None,
) -> None:  # fmt: skip
    """Open a lead on a person; prints its case number (L-n). From a worklist, the person must be listed
    on the day, unless the ranking is overridden with --override and a reason; a legal hold is never
    overridden."""
    with failures_exit(), app_for(db) as app:
        day = parse_as_of(on, app.settings.today(), "--on")
        if source.startswith("worklist:"):
            pack = pack_named(source.removeprefix("worklist:"))
            case = open_from_worklist(app.priority_work, app.case_store, _users(app), pack, person, actor, reason,
                                      day, app.settings.today(), override)  # fmt: skip
        elif override:
            raise IlosError("--override applies to a lead from a worklist (--source worklist:NAME)")
        else:
            case = open_lead(
                app.case_store, _users(app), person, actor, reason, day, app.settings.today(), source
            )
        typer.echo(case)


@case_app.command("assign")
def case_assign(
    case: Case,
    to: Annotated[str, typer.Option("--to", help="The officer (or supervisor) taking the case.")],
    actor: Actor,
    reason: Reason,
    field_office: Annotated[str | None, typer.Option("--field-office", help="Default: the assignee's.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="The date it takes effect. Default: today.")] = None,
    db: Db = None,
) -> None:  # fmt: skip
    """Assign a case to an officer and field office: a supervisor assigns anyone, an officer only themselves."""
    with failures_exit(), app_for(db) as app:
        day = parse_as_of(on, app.settings.today(), "--on")
        detail = assign(
            app.case_work,
            app.case_store,
            _people(app),
            case,
            to,
            actor,
            reason,
            day,
            app.settings.today(),
            field_office,
        )
        typer.echo(f"case {case}: assigned to {to} ({detail['field_office'] or 'no field office'})")


@case_app.command("assigned")
def case_assigned(
    officer: Annotated[str | None, typer.Option("--officer", help="Only this officer's cases.")] = None,
    field_office: Annotated[str | None, typer.Option("--field-office", help="Only this office's cases.")] = None,
    db: Db = None,
) -> None:  # fmt: skip
    """Who holds each assigned case, as CSV: case, officer, field_office, since, by, reason."""
    with failures_exit(), app_for(db) as app:
        rows = [r for r in assignments(app.reader.case_actions().to_pylist())
                if officer in (None, r["officer"]) and field_office in (None, r["field_office"])]  # fmt: skip
        write_csv(_table(rows, ["case", "officer", "field_office", "since", "by", "reason"]))


@case_app.command("overrides")
def case_overrides(
    policy: Annotated[str | None, typer.Option("--policy", help="Only overrides of this pack.")] = None,
    db: Db = None,
) -> None:  # fmt: skip
    """Leads opened against a policy's ranking, as CSV (policy, version, case, person_id, day, actor, tier,
    reason); the count per policy goes to standard error."""
    with failures_exit(), app_for(db) as app:
        rows = overrides(app.reader.case_actions().to_pylist(), policy)
        write_csv(_table(rows, ["policy", "version", "case", "person_id", "day", "actor", "tier", "reason"]))
        for name in sorted({r["policy"] for r in rows}):
            count = sum(r["policy"] == name for r in rows)
            typer.echo(f"{name}: {count} override{'' if count == 1 else 's'}", err=True)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    return pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in columns})


def _holder(a: dict[str, Any]) -> str:
    return f"{a['officer']} ({a['field_office'] or 'no field office'}) since {a['since']}"


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
    document: Annotated[str | None, typer.Option("--document", help="A document's reference, e.g. the signed "
                                                             "stipulation of a stipulated order.")] = None,
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
            k: v
            for k, v in (
                ("country", destination),
                ("valid_until", until),
                ("charges", charges),
                ("document", document),
            )
            if v
        }
        done = move(app.case_work, app.case_work, app.case_store, _users(app), case, step, actor, reason,
                    Approval(approved_by, justification), detail, day, app.settings.today())  # fmt: skip
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
        actions = [a for a in app.reader.case_actions(case).to_pylist() if a["day"] <= day.isoformat()]
        held = assignments(actions)
        typer.echo(f"  assigned to: {_holder(held[-1]) if held else 'nobody'}")
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
