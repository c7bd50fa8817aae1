"""`ilos generate`: synthetic feeds with ground truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ilos.domain.moments import iso_date
from ilos.entrypoints.cli.common import failures_exit
from ilos.services.errors import IlosError


def generate(
    persons: Annotated[
        int, typer.Option("--persons", min=1, help="Number of persons in the synthetic world.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for <feed>.csv|parquet and truth/.")],
    start: Annotated[str | None, typer.Option("--start", help="First day of the simulated period.")] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Last day (default yesterday); nothing is recorded after it.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write synthetic feeds for every feed of the contract, and the ground truth ILOS never reads."""
    from ilos.generator import generate as run

    with failures_exit():
        if fmt not in ("csv", "parquet"):
            raise IlosError(f"unknown format {fmt!r}; use csv or parquet")
        summary = run(persons=persons, seed=seed, out=out, start=_day(start), end=_day(end), fmt=fmt)
        typer.echo(str(summary))


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return iso_date(text)
    except ValueError:
        raise IlosError(f"not a YYYY-MM-DD date: {text!r}") from None
