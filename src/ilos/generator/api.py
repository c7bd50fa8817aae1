"""``generate``: simulate a world, write its feeds with noise and defects, and the ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from . import households, phantoms
from .context import Context, Ids, stream
from .defects import Defects
from .documents import SecondaryDocuments
from .emit import FeedCounts, FeedEmitter, Ledger
from .rows import RowFactory
from .schema import FEEDS, columns
from .truth_files import write_truth
from .world import World
from .writer import sink

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class GenerationSummary:
    """What ``generate`` wrote."""

    path: Path
    persons: int
    rows: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    start: date = date.min
    end: date = date.min
    fmt: str = "csv"

    @property
    def total_rows(self) -> int:
        """Rows over all feeds."""
        return sum(self.rows.values())

    def __str__(self) -> str:
        feeds = ", ".join(f"{feed} {n}" for feed, n in self.rows.items())
        return (
            f"{self.persons} persons, {self.total_rows} rows ({feeds}) "
            f"from {self.start} to {self.end} in {self.path}"
        )


def _minus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def resolve_window(start: date | None, end: date | None, now: datetime | None) -> tuple[date, date, datetime]:
    """Defaults: end = yesterday (UTC), start = end minus 4 years, now = the end of the end day.

    Yesterday is the last whole day: with today as the end, rows recorded later today would lie in
    the future of a reader ingesting them now, and be quarantined as RECORDED_IN_FUTURE.
    """
    end = end or datetime.now(UTC).date() - timedelta(days=1)
    start = start or _minus_years(end, 4)
    if now is None:
        now = datetime.combine(end, time(23, 59, 59), UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if start >= end:
        raise ValueError(f"start {start} must be before end {end}")
    if now < datetime.combine(end, time(23, 59, 59), UTC):
        raise ValueError("now must not be before the end of the window (end 23:59:59 UTC)")
    return start, end, now


def simulate(persons: int, seed: int, start: date, end: date) -> Context:
    """The noise-free world (with records issued in error and retracted)."""
    ctx = Context(stream(seed, "world"), Ids(stream(seed, "ids")), World(start, end))
    households.build(ctx, persons)
    phantoms.add(ctx)
    return ctx


def write_feeds(
    ctx: Context, out: Path, fmt: str, now: datetime, seed: int
) -> tuple[dict[str, FeedCounts], Ledger]:
    """Write every feed file; returns the counts per feed and the ledger of keys and noise."""
    world = ctx.world
    rng = stream(seed, "rows")
    factory = RowFactory(rng, world.persons, world.end, SecondaryDocuments(rng), ctx.ids)
    ledger = Ledger()
    emitter = FeedEmitter(
        rng, factory, Defects(stream(seed, "defects"), now), world.persons, ctx.end_eod, ledger
    )
    counts: dict[str, FeedCounts] = {}
    for feed, records in world.feeds().items():
        with sink(out / f"{feed}.{fmt}", columns(feed), fmt) as target:
            counts[feed] = emitter.run(feed, records, target.write)
    return counts, ledger


def generate(
    persons: int,
    seed: int,
    out: Path,
    start: date | None = None,
    end: date | None = None,
    fmt: str = "csv",
    now: datetime | None = None,
) -> GenerationSummary:
    """Generate synthetic feeds for ``persons`` persons and their ground truth under ``out``."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    start, end, now = resolve_window(start, end, now)
    out = Path(out)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    ctx = simulate(persons, seed, start, end)
    counts, ledger = write_feeds(ctx, out, fmt, now, seed)
    write_truth(ctx, out / "truth", ledger, counts, seed=seed, now=now)
    assert set(counts) == set(FEEDS)
    return GenerationSummary(
        path=out,
        persons=persons,
        rows={f: c.rows for f, c in counts.items()},
        seed=seed,
        start=start,
        end=end,
        fmt=fmt,
    )
