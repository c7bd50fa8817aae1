"""Reference documents generated from the code: the CLI and the feed rules. `make docs` writes them;
a test fails when a committed copy is out of date."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ilos.domain.admission_rules import STATUS_MEANINGS, AdmissionStatus, admission_rules
from ilos.domain.cases import GUARDS, TRANSITIONS, mermaid
from ilos.domain.events import EVENT_KINDS
from ilos.domain.feeds import FEEDS, Column, DateOrder, Kind, LiteralOnlyFor, MaxStay, RowRule
from ilos.domain.policy import installed_packs
from ilos.domain.reasons import REASON_DESCRIPTIONS, Reason
from ilos.entrypoints.cli.main import app
from ilos.entrypoints.render.policies import facts_and_holds, rule_catalogue

DOCS = Path(__file__).resolve().parents[3] / "docs" / "reference"


def cli_reference() -> str:
    """Every command with its usage, help and options, from the Typer application itself."""
    root = typer.main.get_command(app)
    lines = ["# CLI reference", "", "Generated from the code by `make docs`; do not edit by hand.", ""]
    for path, command in _walk(root, ["ilos"]):
        ctx = command.context_class(
            command, info_name=" ".join(path), terminal_width=100, max_content_width=100
        )
        lines += [f"## `{' '.join(path)}`", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(lines)


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    for name in sorted(getattr(command, "commands", {})):  # a group (Typer bundles its own click)
        found += _walk(command.commands[name], [*path, name])
    return found


def feeds_reference() -> str:
    """Every feed's columns and rules, and every quarantine reason, from ilos.domain."""
    lines = [
        "# Feeds and quarantine reasons",
        "",
        "Generated from `ilos.domain.feeds` and `ilos.domain.reasons` by `make docs`; do not edit by hand.",
        "The contract is `shared/spec/feeds.md`; this page is how ILOS reads it.",
        "",
        "## Quarantine reasons",
        "",
        "A row is quarantined under the first reason it breaks, in this order.",
        "",
        "| reason | meaning |",
        "|---|---|",
        *(f"| `{r.value}` | {REASON_DESCRIPTIONS[r]} |" for r in Reason),
        "",
    ]
    for feed in FEEDS.values():
        lines += [
            f"## `{feed.name}` — {feed.summary}",
            "",
            "| column | required | check | reason |",
            "|---|---|---|---|",
        ]
        lines += [_column_row(c) for c in feed.columns]
        lines += ["", *(f"- {_rule(r)}" for r in feed.rules), ""]
    return "\n".join(lines)


def _column_row(col: Column) -> str:
    if col.kind is Kind.CODE:
        codes = sorted(col.codes)
        check = "one of " + (
            ", ".join(f"`{c}`" for c in codes) if len(codes) <= 40 else f"{len(codes)} codes"
        )
    elif col.kind is Kind.TEXT:
        check = "any text"
    else:
        check = col.shape or col.kind.value
    if col.event_date:
        check += "; not before date_of_birth, not after the date of recorded_at"
    reason = "" if col.kind is Kind.TEXT else f"`{col.reason.value}`"
    return f"| `{col.name}` | {'yes' if col.required else ''} | {check} | {reason} |"


def _rule(rule: RowRule) -> str:
    match rule:
        case DateOrder(earlier, later, reason):
            return f"`{later}` is not before `{earlier}` — else `{reason.value}`"
        case MaxStay(classes, since, until, days, reason):
            return f"classes {', '.join(sorted(classes))}: `{until}` at most {days} days after `{since}` — else `{reason.value}`"
        case LiteralOnlyFor(column, literal, class_column, classes, reason):
            return f"`{column}` = `{literal}` only for `{class_column}` {', '.join(sorted(classes))} — else `{reason.value}`"
    raise AssertionError(rule)


def admission_rules_reference() -> str:
    """Statuses in the order they are tried, and the dated rule data, from ilos.domain."""
    rules = admission_rules()
    lines = [
        "# Admission status rules",
        "",
        "Generated from `ilos.domain.admission_rules` and `src/ilos/domain/rules/admission.toml` by",
        "`make docs`; do not edit by hand. The rules themselves are the contract's (`shared/spec/feeds.md`).",
        "",
        "## Statuses, first match wins",
        "",
        "| status | when |",
        "|---|---|",
        *(f"| `{s.value}` | {STATUS_MEANINGS[s]} |" for s in AdmissionStatus),
        "",
        "## Dated rule data",
        "",
        "Each entry applies from `from` (inclusive) to `until` (inclusive, open when empty), judged on the",
        "date of the event it concerns: the program end for a grace period, the filing date for a class",
        "that cannot extend or change status, the self-report's date for the corroboration window.",
        "",
        "### Grace period after a D/S program ends",
        "",
        "| class letter | program end | days | from | until | source |",
        "|---|---|---|---|---|---|",
        *(
            f"| {g.class_letter} | {g.program_end} | {g.days} | {g.effective_from} | {g.effective_until or ''} | {g.source} |"
            for g in rules.grace_periods
        ),
        "",
        "### Classes that cannot extend or change status",
        "",
        "| classes | from | until | source |",
        "|---|---|---|---|",
        *(
            f"| {', '.join(sorted(r.classes))} | {r.effective_from} | {r.effective_until or ''} | {r.source} |"
            for r in rules.no_extension_or_change
        ),
        "",
        "### Self-report corroboration window",
        "",
        "| days | from | until | source |",
        "|---|---|---|---|",
        *(
            f"| {r.days} | {r.effective_from} | {r.effective_until or ''} | {r.source} |"
            for r in rules.self_report_corroboration
        ),
    ]
    return "\n".join(lines)


def events_reference() -> str:
    """Every event kind ILOS emits and its fields, from ilos.domain.events."""
    lines = ["# Events", "", "Generated from `ilos.domain.events` by `make docs`; do not edit by hand.",
             "Events are kept in the store (`ilos events`) and printed by `ilos stream`.", ""]  # fmt: skip
    for kind in EVENT_KINDS:
        lines += [f"## `{kind.kind}`", "", kind.when, "", "| field | meaning |", "|---|---|"]
        lines += [f"| `{name}` | {meaning} |" for name, meaning in kind.fields.items()]
        lines.append("")
    return "\n".join(lines)


def policies_reference() -> str:
    """Every installed policy pack's rule catalogue, the facts rules may see and the legal holds."""
    packs = installed_packs()
    parts = [
        "# Policy packs, facts and holds", "",
        "Generated from `src/ilos/policies/*/pack.toml`, `ilos.domain.facts` and `ilos.domain.holds` by "
        "`make docs`; do not edit by hand. Each pack's README cites the public document it follows.", "",
        facts_and_holds(),
        *(rule_catalogue(p, level=2) for p in packs.values()),
    ]  # fmt: skip
    return "\n".join(parts).rstrip("\n")


def case_states_reference() -> str:
    """The case state machine: the diagram, every transition with its guards, every guard's source."""
    rows = [
        f"| `{t.name}` | {t.trigger.value} | {', '.join(sorted(f'`{x.value}`' for x in t.sources))} | "
        f"`{t.target.value}` | {', '.join(f'`{g}`' for g in t.guards)} | {t.meaning} |"
        for t in TRANSITIONS
    ]
    return "\n".join([
        "# Case states", "",
        "Generated from `ilos.domain.cases` by `make docs`; do not edit by hand. Court events, the clock and "
        "verified departures move a case as recorded; an officer's step is refused with its reasons unless "
        "every guard holds. Holds suspend a case and their end resumes it.", "",
        "```mermaid", mermaid(), "```", "",
        "## Transitions", "", "| step | trigger | from | to | guards | meaning |", "|---|---|---|---|---|---|", *rows, "",
        "## Guards", "", "| guard | holds when | source |", "|---|---|---|",
        *(f"| `{g.name}` | {g.meaning} | {g.source} |" for g in GUARDS.values()),
    ])  # fmt: skip


REFERENCES = {
    "cli.md": cli_reference,
    "feeds.md": feeds_reference,
    "admission-rules.md": admission_rules_reference,
    "events.md": events_reference,
    "policies.md": policies_reference,
    "case-states.md": case_states_reference,
}


def write() -> None:
    """Write every reference document under docs/reference/."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, render in REFERENCES.items():
        (DOCS / name).write_text(render() + "\n")


if __name__ == "__main__":
    write()
