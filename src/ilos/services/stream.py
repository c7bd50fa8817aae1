"""Use case: events arriving one by one (JSON objects), applied at once — the CLI's `ilos stream` and,
later, the HTTP API use this same path.

A micro-batch of lines is one atomic load (valid rows stored, invalid rows quarantined with their
reason), then identity resolution links the new records (incrementally), and every admission whose
ending verified departure rests on a new departure record, or whose arrival is new, or whose person
the run regrouped with a departed one (a record of any feed can merge or split persons), or whose
person a new record (a retraction or correction too) is or was last linked to, is
announced as a `departure:verified` event (once: `announce_departures`), kept in the store for
worklists and cases. Statuses are derived on read, so when `process` returns every export already
reflects the batch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import pyarrow as pa

from ilos.domain.events import DEPARTURE_VERIFIED
from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult
from ilos.services.ports import Loader
from ilos.services.resolve import IdentityState, IdentityWork, ResolutionSummary, resolve_incremental
from ilos.services.resolve import warm as warm_identity

#: Feeds whose records can verify the departure that ends an admission: a departure, or the arrival of
#: the admission a departure already loaded ends.
ANNOUNCING_FEEDS = ("departures", "arrivals")


class VerifiedDepartures(Protocol):
    """Which admissions a batch's new records verify the end of."""

    def verified_by(self, uids: list[str], numbers: list[str], as_of: date) -> Any: ...

    def verified(self, as_of: date) -> Any: ...

    def regrouped_departures(self, run_id: int) -> list[str]: ...


class EventSink(Protocol):
    """Where events are kept."""

    def append_new(
        self, kind: str, events: list[dict[str, Any]], key: Callable[[dict[str, Any]], Hashable]
    ) -> list[dict[str, Any]]: ...


@dataclass
class StreamBatch:
    """What one micro-batch did."""

    result: BatchResult
    resolution: ResolutionSummary | None
    events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class StreamPipeline:
    """Everything a micro-batch passes through."""

    loader: Loader
    identity_work: IdentityWork
    identity_state: IdentityState
    admissions: VerifiedDepartures
    events: EventSink
    after_resolution: Callable[[], object] = lambda: None  # e.g. resolve relatives to the new persons

    def warm(self) -> bool:
        """Read and build, before the first line is accepted, what the pipeline keeps between batches
        (`resolve.warm`); whether it could (no record pending since the last resolution run)."""
        return warm_identity(self.identity_work, self.identity_state)

    def process(self, feed_name: str, lines: list[str], name: str, today: date) -> StreamBatch:
        """Validate, store, link and announce one micro-batch of JSON lines (a line may hold a JSON
        array of objects, the streaming API's body: each of its items is a row)."""
        started = time.perf_counter()
        lines = expand_arrays(lines)
        feed = feed_named(feed_name)
        rows = pa.table({"_row": pa.array(range(1, len(lines) + 1), pa.int64()), "line": pa.array(lines)})
        result = self.loader.load(self.loader.open_json_rows(feed, rows, name), origin="stream")
        batch = StreamBatch(result, None)
        if result.stored:
            batch.resolution = resolve_incremental(self.identity_work, self.identity_state)
            self.after_resolution()
            uids, numbers = _keys(feed_name, lines) if feed_name in ANNOUNCING_FEEDS else ([], [])
            batch.events = announce_departures(
                self.admissions,
                self.events,
                uids,
                numbers,
                today,
                regrouped_in=regrouping_run(batch.resolution),
            )
        batch.seconds = time.perf_counter() - started
        return batch


def regrouping_run(summary: ResolutionSummary | None) -> int | None:
    """The resolution run, when it merged or split persons (whose departures `announce_departures`
    looks at)."""
    return summary.run_id if summary is not None and (summary.merges or summary.splits) else None


def announce_departures(
    admissions: VerifiedDepartures,
    sink: EventSink,
    uids: list[str],
    numbers: list[str],
    today: date,
    regrouped_in: int | None = None,
) -> list[dict[str, Any]]:
    """Emit (and keep) a `departure:verified` event for every admission whose verified ending departure
    rests on one of a batch's new records `uids` or on a departure of a person resolution run
    `regrouped_in` merged or split, or whose number the batch's records carry (`numbers`: an arrival
    loaded after its departure), or of a person one of `uids` is or was last linked to (a retraction or
    correction can change the departure that ends an admission without being it), unless an event
    already kept announced the same departure of it (day and evidence): whatever order the records come
    in, each is announced once, and again only when the departure that ends the admission changes."""
    records = list(uids)
    if regrouped_in is not None:
        records += admissions.regrouped_departures(regrouped_in)
    if not records and not numbers:
        return []
    return _announce_new(sink, admissions.verified_by(records, numbers, today).to_pylist())


def announce_every_departure(
    admissions: VerifiedDepartures, sink: EventSink, today: date
) -> list[dict[str, Any]]:
    """`announce_departures` for every admission with a verified ending departure: what loads made
    without resolving identities (`ilos ingest --no-resolve`) leave to the `ilos resolve` after them."""
    return _announce_new(sink, admissions.verified(today).to_pylist())


def _announce_new(sink: EventSink, verified: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Emit (and keep) an event for each of the `verified` departures no kept event announced (checked
    and kept in one transaction: announcers running at once announce a departure once)."""
    events = [
        {"event": DEPARTURE_VERIFIED, "person_id": v["person_id"], "subject": v["admission_number"],
         "admission_number": v["admission_number"], "departure_date": v["departure_date"],
         "evidence": v["evidence"], "status": v["status"], "sources": v["sources"].split(";")}
        for v in verified
    ]  # fmt: skip
    return sink.append_new(DEPARTURE_VERIFIED, events, _announced)


def _announced(event: dict[str, Any]) -> tuple[str, str, str]:
    """What makes two announcements the same: the admission, and the day and evidence of its departure."""
    return event["admission_number"], event["departure_date"], event["evidence"]


def expand_arrays(lines: list[str]) -> list[str]:
    """The lines with each one holding a JSON array replaced by its items, one line each, in order;
    other lines (objects, and anything unparseable, which the load quarantines) are kept as they are."""
    out: list[str] = []
    for line in lines:
        items = _array(line)
        out.extend([line] if items is None else [json.dumps(item, ensure_ascii=False) for item in items])
    return out


def _array(line: str) -> list[Any] | None:
    if not line.lstrip().startswith("["):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def _keys(feed_name: str, lines: list[str]) -> tuple[list[str], list[str]]:
    """Record uids and admission numbers of a feed's lines (unparseable lines were quarantined)."""
    uids, numbers = [], []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict) or not (row.get("source_system") and row.get("source_record_id")):
            continue
        uids.append(f"{feed_name}/{row['source_system']}/{row['source_record_id']}")
        if row.get("admission_number"):
            numbers.append(str(row["admission_number"]))
    return uids, numbers
