"""Options and output helpers shared by the CLI commands."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TextIO, TypeVar

import pyarrow as pa
import typer
from pydantic import ValidationError
from typer.exceptions import TyperException

from ilos.bootstrap import Ilos
from ilos.config import Settings
from ilos.domain.outcomes import BatchResult, Outcome, combine
from ilos.services.errors import IlosError
from ilos.services.resolve import ResolutionSummary

Db = Annotated[
    str | None,
    typer.Option(
        "--db", help="Store URL (postgresql+psycopg://...) or path of an embedded store.", show_default=False
    ),
]
T = TypeVar("T")


def app_for(db: str | None) -> Ilos:
    """The wired application for this command; use it in a `with` block so it is closed."""
    return Ilos(Settings(), db)


@contextmanager
def failures_exit() -> Iterator[None]:
    """Turn any failure into a one-line reason on stderr and exit status 1 (the contract's promise):
    ILOS's own errors, a setting that does not parse, a file system refusal, and anything unforeseen,
    whose traceback ILOS_DEBUG=1 shows."""
    try:
        yield
    except (TyperException, typer.Exit, typer.Abort):
        raise  # usage errors and deliberate exits keep click's own message and status
    except IlosError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        problems = "; ".join(f"ILOS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        _fail(f"invalid setting: {problems}")
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    except Exception as exc:  # the contract asks for a one-line reason on every failure
        if os.environ.get("ILOS_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        _fail(f"unexpected {type(exc).__name__}: {first} (ILOS_DEBUG=1 shows the traceback)")


def _fail(reason: str) -> NoReturn:
    typer.echo(f"error: {reason}", err=True)
    raise typer.Exit(1) from None


def write_csv(table: pa.Table, out: TextIO | None = None) -> None:
    """Write a table as RFC 4180 CSV (header, quotes only where needed, empty for missing)."""
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(table.column_names)
    for batch in table.to_batches(max_chunksize=50_000):
        columns = [col.to_pylist() for col in batch.columns]
        writer.writerows(["" if v is None else v for v in row] for row in zip(*columns, strict=True))


def print_steps(steps: list[dict[str, Any]], label: str) -> None:
    """An explanation's steps: `[label] text`, then each source record on a line of its own."""
    for step in steps:
        typer.echo(f"  [{step[label]}] {step['text']}")
        for source in step["sources"]:
            typer.echo(f"      source: {source}")


def print_results(results: list[BatchResult]) -> None:
    """Counts by outcome for each batch and in total, then quarantined rows by reason."""
    for r in results:
        counts = ", ".join(f"{o.value} {r.outcomes.get(o, 0)}" for o in Outcome)
        typer.echo(f"{r.feed} {r.source}: {r.rows} rows: {counts}")
    outcomes, reasons = combine(results)
    if len(results) > 1:
        typer.echo("total: " + ", ".join(f"{o.value} {n}" for o, n in outcomes.items()))
    for reason, n in reasons.items():
        typer.echo(f"  quarantined {reason}: {n}")


def print_resolution(s: ResolutionSummary) -> None:
    """One line about a resolution run."""
    model = f"model {s.model_id} (trained now)" if s.trained else f"model {s.model_id or 'default'}"
    typer.echo(
        f"resolution run {s.run_id}: {s.records} records, {s.persons} persons, {s.merges} merges, "
        f"{s.splits} splits, {s.review_pairs} pairs to review; {s.resolved} records re-resolved; {model}"
    )


def progress_factory() -> tuple[Callable[..., Callable[[int], None] | None], Callable[[], None]]:
    """A progress bar on a terminal (stderr); nothing when output is redirected."""
    if not sys.stderr.isatty():
        return (lambda *_: None), (lambda: None)
    from rich.progress import Progress

    bar = Progress(transient=True)
    bar.start()

    def on_file(path: object) -> Callable[[int], None]:
        task = bar.add_task(f"loading {path}", total=None)
        return lambda n: bar.advance(task, n)

    return on_file, bar.stop
