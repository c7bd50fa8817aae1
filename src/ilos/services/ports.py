"""What the use cases need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ilos.domain.feeds import Feed
from ilos.domain.outcomes import BatchResult

Progress = Callable[[int], None]


class StagedBatch(Protocol):
    """A feed file or batch of rows, parsed and checked, not yet stored."""

    feed: Feed
    source: str

    def count(self, where: str) -> int: ...

    def drop(self) -> None: ...


class Stager(Protocol):
    """Reads and checks feed input set-at-a-time."""

    def preflight(self, feed: Feed, path: Path) -> None:
        """Raise FileUnreadableError now if `path` could never load (format, required columns)."""

    def stage_file(self, feed: Feed, path: Path) -> StagedBatch: ...

    def stage_json(self, feed: Feed, rows: Any, source: str) -> StagedBatch:
        """Stage rows given as JSON objects (columns `_row`, `line`)."""


class RecordStore(Protocol):
    """Stores staged batches atomically."""

    def commit(
        self, staged: Any, origin: str, resolves: Any = None, progress: Progress | None = None
    ) -> BatchResult: ...
