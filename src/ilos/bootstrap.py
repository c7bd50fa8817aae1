"""The one place that wires adapters into use cases. Nothing connects at import time."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb

from ilos.adapters.admission_work import DuckAdmissionWork
from ilos.adapters.case_work import DuckCaseWork
from ilos.adapters.db.case_store import CaseStore
from ilos.adapters.db.event_store import EventStore
from ilos.adapters.db.identity_store import IdentityStore
from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.db.record_store import SqlRecordStore
from ilos.adapters.db.relative_store import RelativeStore
from ilos.adapters.duck.checking import connect
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.adapters.link_on_storing import LinkOnStoring
from ilos.adapters.loader import FeedLoader
from ilos.adapters.priority_work import DuckPriorityWork
from ilos.adapters.relatives_work import DuckRelativesWork
from ilos.config import Settings
from ilos.services.relatives import resolve_relatives
from ilos.services.stream import StreamPipeline


@dataclass
class Ilos:
    """The wired application for one process: store, reader and stager, opened on first use."""

    settings: Settings
    db: str | None = None
    actor: str = "cli"

    @cached_property
    def url(self) -> str:
        """The store URL after --db, ILOS_DATABASE_URL and the data dir are considered."""
        return self.settings.resolved_url(self.db)

    @cached_property
    def store(self) -> SqlRecordStore:
        """The record store (schema created or upgraded on first use)."""
        return SqlRecordStore(self.url, self.settings.busy_timeout_s)

    @cached_property
    def reader(self) -> PersonDataReader:
        """The door for reading person data."""
        return PersonDataReader(self.store, self.actor)

    def _engine(self) -> duckdb.DuckDBPyConnection:
        """A new in-process analytical engine, bounded by the settings' memory limit."""
        return connect(self.settings.duckdb_memory_limit, Path(tempfile.gettempdir()) / "ilos-duckdb")

    @cached_property
    def duck(self) -> duckdb.DuckDBPyConnection:
        """The in-process analytical engine for staging and bulk work."""
        return self._engine()

    @cached_property
    def loader(self) -> FeedLoader:
        """Reads, checks and stores feed input."""
        return FeedLoader(self.store, self.duck, self.settings.now_utc)

    @cached_property
    def accepting_duck(self) -> duckdb.DuckDBPyConnection:
        """A second analytical engine, for the thread that stores stream batches while another links."""
        return self._engine()

    @cached_property
    def accepting_loader(self) -> FeedLoader:
        """`loader` on `accepting_duck`: stores while the other engine links."""
        return FeedLoader(self.store, self.accepting_duck, self.settings.now_utc)

    @cached_property
    def announcing_duck(self) -> duckdb.DuckDBPyConnection:
        """A third analytical engine, for the thread that announces while another links."""
        return self._engine()

    @cached_property
    def announcing_admissions(self) -> DuckAdmissionWork:
        """`admission_work` on an engine of its own, for the thread that announces verified departures
        while another links."""
        return DuckAdmissionWork(self.reader, self.announcing_duck)

    @cached_property
    def stream_pipeline(self) -> StreamPipeline:
        """What `ilos stream` passes each micro-batch through: stored by `accepting_loader`, linked,
        relatives resolved again, verified departures announced (`announcing_admissions`)."""
        deciding = self.settings.decide_on_storing
        on_storing = LinkOnStoring(self.reader, self.identity_work, self.identity_store, deciding)
        return StreamPipeline(
            self.accepting_loader, self.identity_work, self.identity_store, self.announcing_admissions,
            self.event_store, lambda: resolve_relatives(self.relatives_work, self.relative_store),
            self.reader.close, on_storing,
            *([on_storing.decide] if deciding else []),
        )  # fmt: skip

    @cached_property
    def identity_store(self) -> IdentityStore:
        """Persons, links, events, models and reviews."""
        return IdentityStore(self.store)

    @cached_property
    def identity_work(self) -> DuckIdentityWork:
        """Set-at-a-time steps of identity resolution."""
        return DuckIdentityWork(self.reader, self.duck)

    @cached_property
    def relatives_work(self) -> DuckRelativesWork:
        """Relatives named in `relationships`, resolved to persons."""
        return DuckRelativesWork(self.reader, self.duck, self.identity_work)

    @cached_property
    def admission_work(self) -> DuckAdmissionWork:
        """Admission statuses and the overstay report."""
        return DuckAdmissionWork(self.reader, self.duck)

    @cached_property
    def priority_work(self) -> DuckPriorityWork:
        """Holds, facts and worklists under policy packs."""
        return DuckPriorityWork(self.reader, self.duck)

    @cached_property
    def case_work(self) -> DuckCaseWork:
        """Case timelines and deadlines."""
        return DuckCaseWork(self.reader, self.duck)

    @cached_property
    def case_store(self) -> CaseStore:
        """Users and officers' case steps."""
        return CaseStore(self.store)

    @cached_property
    def event_store(self) -> EventStore:
        """Domain events (departure:verified, ...)."""
        return EventStore(self.store, self.reader)

    @cached_property
    def relative_store(self) -> RelativeStore:
        """Where resolved relatives are kept."""
        return RelativeStore(self.store)

    def close(self) -> None:
        """Release whatever was opened."""
        if "reader" in self.__dict__:
            self.reader.close()
        if "store" in self.__dict__:
            self.store.close()
        for engine in ("duck", "accepting_duck", "announcing_duck"):
            if engine in self.__dict__:
                self.__dict__[engine].close()

    def __enter__(self) -> Ilos:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
