"""`ilos relatives PERSON_ID`, and resolving relatives after each resolution run."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ilos.bootstrap import Ilos
from ilos.entrypoints.cli.common import Db, app_for, failures_exit
from ilos.services.relatives import RelativesSummary, resolve_relatives


def after_resolution(app: Ilos) -> None:
    """Resolve the relatives named in `relationships` to the persons just resolved, and say so."""
    print_relatives(resolve_relatives(app.relatives_work, app.relative_store))


def print_relatives(s: RelativesSummary | None) -> None:
    """One line about resolving relatives (none before any resolution run)."""
    if s is None:
        return
    counts = ", ".join(f"{match} {n}" for match, n in s.matches.items())
    typer.echo(f"relatives (run {s.run_id}): {s.relationships} relationships: {counts}")


def relatives(
    person_id: Annotated[str, typer.Argument(metavar="PERSON_ID", help="A person id, e.g. P0000000001.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    db: Db = None,
) -> None:
    """The person's relatives: relationships the person filed, and those naming the person as relative.

    Each line reads "RELATIVE is RELATIONSHIP of SUBJECT", with the relative's U.S. citizenship as
    filed, the relationships record and how the relative was resolved (a_number,
    name_and_birth_date; "not held" when ILOS holds no record of the relative, "ambiguous" when
    several persons fit). Relatives are resolved by `ilos resolve` and by `ilos ingest`.
    """
    with failures_exit(), app_for(db) as app:
        rows = [_entry(person_id, r) for r in app.reader.relatives(person_id).to_pylist()]
        rows.sort(key=lambda e: (e["direction"] != "filed", e["source"]))
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            typer.echo(f"no relationship filed by or naming {person_id}")
        for e in rows:
            typer.echo(
                f"{_relative_text(e)} is {e['relationship']} of {e['subject_person_id'] or 'unlinked'}; "
                f"U.S. citizen: {_citizen_text(e['relative_us_citizen'])}; {e['source']} ({e['match']})"
            )


def _entry(person_id: str, row: dict[str, Any]) -> dict[str, Any]:
    filed = row["subject_person_id"] == person_id
    citizen = row["relative_us_citizen"]
    return {
        "direction": "filed" if filed else "named_in",
        "relationship": row["relationship"],
        "subject_person_id": row["subject_person_id"],
        "relative_person_id": row["relative_person_id"],
        "other_person_id": row["relative_person_id"] if filed else row["subject_person_id"],
        "relative_us_citizen": None if citizen is None else citizen == "true",
        "match": row["match"],
        "relationship_id": row["relationship_id"],
        "source": row["source"],
        "relative_family_name": row["relative_family_name"],
        "relative_given_names": row["relative_given_names"],
        "relative_date_of_birth": row["relative_date_of_birth"],
    }


def _relative_text(e: dict[str, Any]) -> str:
    if e["relative_person_id"]:
        return str(e["relative_person_id"])
    described = ", ".join(x for x in (e["relative_family_name"], e["relative_given_names"]) if x)
    born = f", born {e['relative_date_of_birth']}" if e["relative_date_of_birth"] else ""
    label = "ambiguous" if e["match"] == "ambiguous" else "not held"
    return f"{label} ({described}{born})"


def _citizen_text(value: bool | None) -> str:
    return "not reported" if value is None else ("yes" if value else "no")
