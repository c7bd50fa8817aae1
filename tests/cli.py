"""Run the `ilos` CLI in-process, as a person would type it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import typer.main
import typer.testing
from typer.testing import CliRunner

from ilos.domain.feeds import FEEDS
from ilos.entrypoints.cli.main import app

# Typer's test runner builds the click command tree from the app's functions on every invocation (about
# 40 ms: every command's signature and type hints read again); a process's tests share one tree, as one
# `ilos` process does. Should a Typer release stop calling this module attribute, the tests only run slower.
typer.testing._get_command = functools.cache(typer.main.get_command)  # type: ignore[attr-defined]


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


def load_world(out: Path, db: str) -> None:
    """Ingest every feed file of a generated world without resolving, then resolve once."""
    for feed in FEEDS:
        assert ilos("ingest", "--no-resolve", feed, str(out / f"{feed}.csv"), db=db).code == 0
    resolved = ilos("resolve", db=db)
    assert resolved.code == 0, resolved.err
