"""Run the `ilos` CLI in-process, as a person would type it."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from ilos.entrypoints.cli.main import app


@dataclass
class Result:
    """Exit code and outputs of one command."""

    code: int
    out: str
    err: str


def ilos(*args: str, db: str | None = None) -> Result:
    """Run `ilos ARGS [--db DB]` and return what it printed."""
    argv = [*args, *(["--db", db] if db else [])]
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)
