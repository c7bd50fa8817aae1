"""`ilos`: the command-line interface of the interchange contract."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer

# typer vendors click: its exception classes live in this module only
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from ilos.entrypoints.cli import (
    admissions,
    cases,
    data,
    generate,
    identity,
    priorities,
    quarantine,
    relatives,
    stream,
)


class OneLineErrors(TyperGroup):
    """The root command: a usage error (unknown option, missing value, invalid choice) is reported on one
    line, `error: REASON (see 'COMMAND --help')`, with click's exit status 2, as the contract asks of
    every failure; everything else is click's own behaviour."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:  # fmt: skip
        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:  # `ilos` alone: the help text
            exc.show()
            rv = exc.exit_code
        except ClickException as exc:
            path = exc.ctx.command_path if isinstance(exc, UsageError) and exc.ctx else "ilos"
            typer.echo(f"error: {exc.format_message()} (see '{path} --help')", err=True)
            rv = exc.exit_code
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            rv = 1
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="ilos",
    help="ILOS, the open Immigration Lifecycle Operating System.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help text: the same on a terminal, in a pipe and in docs/reference
)
app.command("generate")(generate.generate)
app.command("ingest")(data.ingest)
app.command("summary")(data.summary)
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(data.export_app, name="export")
app.command("resolve")(identity.resolve)
app.add_typer(identity.review_app, name="review")
app.add_typer(identity.explain_app, name="explain")
data.export_app.command("links")(identity.export_links)
data.export_app.command("unlinked")(identity.export_unlinked)
app.command("relatives")(relatives.relatives)
data.export_app.command("admissions")(admissions.export_admissions)
identity.explain_app.command("admission")(admissions.explain_admission_command)
app.add_typer(admissions.report_app, name="report")
app.command("stream")(stream.stream)
app.command("events")(stream.events)
app.command("worklist")(priorities.worklist)
app.command("holds")(priorities.holds)
app.add_typer(priorities.policy_app, name="policy")
app.add_typer(cases.case_app, name="case")
app.add_typer(cases.users_app, name="users")
identity.explain_app.command("rank")(priorities.explain_rank_command)

if __name__ == "__main__":  # pragma: no cover
    app()
