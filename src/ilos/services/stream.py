"""Use case: events arriving one by one (JSON objects), applied at once — the CLI's `ilos stream` and,
later, the HTTP API use this same path.

A micro-batch of lines is **accepted** in one atomic load (valid rows stored, invalid rows quarantined
with their reason): from then on it is durable and every reader sees it, so a departure carrying the
admission number it ends changes that admission's status at once (statuses are derived on read, and a
departure ends the admission whose number it carries whoever it is linked to). It is then **linked**:
identity resolution links the new records (incrementally), and every admission whose ending verified
departure rests on a new departure record, or whose arrival is new, or whose person the run regrouped
with a departed one (a record of any feed can merge or split persons), or whose person a new record (a
retraction or correction too) is or was last linked to, is announced as a `departure:verified` event
(once: `announce_departures`), kept in the store for worklists and cases.

`process` does both for one batch before it returns. `stream_batches` accepts batch after batch while
a second thread links behind them (`LinkBehind`): each linking run takes every batch accepted since
the last one, so accepting never waits for linking, and linking takes larger runs when lines come
faster than one run a batch. Once a run has saved its links every status shows them; the run's
announcements are made by a thread of their own behind it (`Behind`), so the next run need not wait
for them.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

import pyarrow as pa

from ilos.domain.events import DEPARTURE_VERIFIED
from ilos.domain.feeds import feed as feed_named
from ilos.domain.outcomes import BatchResult
from ilos.services.ports import Loader
from ilos.services.resolve import IdentityState, IdentityWork, ResolutionSummary, resolve_incremental
from ilos.services.resolve import warm as warm_identity

#: Put on a queue of lines after the last one (`next_batch`)
END_OF_INPUT = object()

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
class Accepted:
    """One micro-batch as it was stored: its totals and the keys of its records."""

    result: BatchResult
    lines: int  # lines as they came (a JSON array is one line)
    uids: list[str]  # record uids of the feed's lines (of an announcing feed; else none)
    numbers: list[str]  # admission numbers they carry
    seconds: float = 0.0
    stored_at: float = 0.0  # time.perf_counter() when its transaction had committed
    #: record uids linked as they were stored (repeats of an identity already linked: ADR 13), and when
    linked_on_storing: list[str] = field(default_factory=list)
    linked_on_storing_at: float = 0.0
    #: record uids of new identities linked after that, the next run's person being certain (ADR 11), and when
    decided_on_storing: list[str] = field(default_factory=list)
    decided_on_storing_at: float = 0.0


@dataclass
class Linked:
    """One linking run over the batches accepted since the last one."""

    batches: list[Accepted]
    resolution: ResolutionSummary | None
    events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    #: time.perf_counter() when its links and relatives were saved: from then on every admission's
    #: status (derived on read) shows what it linked
    saved_at: float = 0.0
    linked_at: float = 0.0  # time.perf_counter() when its `departure:verified` events were kept too


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
    #: called by a thread that linked (`LinkBehind`) as it ends: closes what it opened to read
    release_thread: Callable[[], object] = lambda: None
    #: links a batch's stored records that repeat an identity already linked; their uids (ADR 13)
    link_on_storing: Callable[[BatchResult], list[str]] = lambda result: []
    #: links stored batches' records of new identities whose person is certain; their uids by batch (ADR 11)
    decide_on_storing: Callable[[list[BatchResult]], list[list[str]]] = lambda results: [[] for _ in results]

    def warm(self) -> bool:
        """Read and build, before the first line is accepted, what the pipeline keeps between batches
        (`resolve.warm`); whether it could (no record pending since the last resolution run)."""
        return warm_identity(self.identity_work, self.identity_state)

    def process(self, feed_name: str, lines: list[str], name: str, today: date) -> StreamBatch:
        """Validate, store, link and announce one micro-batch of JSON lines (a line may hold a JSON
        array of objects, the streaming API's body: each of its items is a row)."""
        started = time.perf_counter()
        accepted = self.accept(feed_name, lines, name)
        batch = StreamBatch(accepted.result, None)
        if accepted.result.stored:
            linked = self.link([accepted], today)
            batch.resolution, batch.events = linked.resolution, linked.events
        batch.seconds = time.perf_counter() - started
        return batch

    def accept(self, feed_name: str, lines: list[str], name: str, repeats: bool = True) -> Accepted:
        """Validate and store one micro-batch in one transaction (`process` without linking): durable
        and visible to every reader when this returns. Then link those of its records that repeat an
        identity the last run linked (`link_on_storing`, its own transaction; `repeats=False` leaves that
        to the caller: `link_repeats`). Uses only the loader and that, so it may run while another
        thread links (`link`)."""
        started, given = time.perf_counter(), len(lines)
        lines = expand_arrays(lines)
        feed = feed_named(feed_name)
        rows = pa.table({"_row": pa.array(range(1, len(lines) + 1), pa.int64()), "line": pa.array(lines)})
        result = self.loader.load(self.loader.open_json_rows(feed, rows, name), origin="stream")
        uids, numbers = _keys(feed_name, lines) if feed_name in ANNOUNCING_FEEDS else ([], [])
        stored_at = time.perf_counter()
        accepted = Accepted(result, given, uids, numbers, stored_at - started, stored_at)
        if repeats:
            self.link_repeats([accepted])
            accepted.seconds = accepted.linked_on_storing_at - started
            self.link_decided([accepted])
        return accepted

    def link_repeats(self, batches: list[Accepted]) -> Linked:
        """Link the records of stored batches that repeat an identity the last run linked (ADR 13), noting
        them and when on each batch."""
        for batch in batches:
            batch.linked_on_storing = self.link_on_storing(batch.result)
            batch.linked_on_storing_at = time.perf_counter()
        return Linked(batches, None)

    def link_decided(self, batches: list[Accepted]) -> Linked:
        """After their repeats (`link_repeats`), link the records of stored batches of new identities whose
        person the next run will certainly give (ADR 11), the batches at once; noting them and when."""
        decided = self.decide_on_storing([batch.result for batch in batches])
        decided_at = time.perf_counter()
        for batch, uids in zip(batches, decided, strict=True):
            batch.decided_on_storing, batch.decided_on_storing_at = uids, decided_at
        return Linked(batches, None)

    def link(self, batches: list[Accepted], today: date) -> Linked:
        """Link what `batches` stored (and anything else stored since the last run), resolve relatives
        and announce the departures they verify: one incremental run however many batches."""
        return self.announce([self.save_links(batches)], today)[-1]

    def save_links(self, batches: list[Accepted]) -> Linked:
        """`link` without the announcements: the run's links and relatives saved (`saved_at`)."""
        started = time.perf_counter()
        resolution = resolve_incremental(self.identity_work, self.identity_state)
        self.after_resolution()
        saved_at = time.perf_counter()
        return Linked(batches, resolution, seconds=saved_at - started, saved_at=saved_at)

    def announce(self, runs: list[Linked], today: date) -> list[Linked]:
        """Announce the departures that saved `runs` verify, in one look at the store as it is now (an
        admission whose ending departure changed between two of them is announced as it ends now); the
        events are given to the last run, `linked_at` to each."""
        events = announce_departures(
            self.admissions,
            self.events,
            [uid for run in runs for b in run.batches for uid in b.uids],
            [number for run in runs for b in run.batches for number in b.numbers],
            today,
            regrouped_in=[run_id for run in runs if (run_id := regrouping_run(run.resolution)) is not None],
        )
        linked_at = time.perf_counter()
        for run in runs:
            run.linked_at = linked_at
            run.seconds += linked_at - run.saved_at
        runs[-1].events = events
        return runs


class Linker(Protocol):
    """What `LinkBehind` runs: `StreamPipeline.link`, and what its thread releases when it ends."""

    def link(self, batches: list[Accepted], today: date) -> Linked: ...

    def release_thread(self) -> object: ...


Item = TypeVar("Item")
Done = TypeVar("Done")


class Behind(Generic[Item, Done]):
    """A thread doing `work` on everything submitted since it last began, while more is submitted.

    `submit` hands it an item; `close` waits until every submitted item is worked and stops it. A failed
    `work` stops it: the failure is raised by the next `submit` or by `close`."""

    def __init__(
        self,
        work: Callable[[list[Item]], Done],
        on_done: Callable[[Done], None],
        release: Callable[[], object],
        name: str,
    ) -> None:
        self._work, self._on_done, self._release = work, on_done, release
        self._pending: list[Item] = []
        self._closing = False
        self._failure: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Item) -> None:
        """Queue an item for the next `work`."""
        self._raise_failure()
        with self._changed:
            self._pending.append(item)
            self._changed.notify()

    def close(self) -> None:
        """Work everything submitted, then stop; raise the failure that stopped it, if any."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        try:
            while items := self._next():
                self._on_done(self._work(items))
        except BaseException as failure:  # handed to the submitting thread, which raises it
            self._failure = failure
        finally:
            self._release()

    def _next(self) -> list[Item]:
        """Every item submitted since the last `work` (waiting for one); none when closing with none left."""
        with self._changed:
            while not self._pending and not self._closing:
                self._changed.wait()
            items, self._pending = self._pending, []
            return items


class LinkBehind(Behind[Accepted, Linked]):
    """A thread linking the batches accepted so far, in one run each time, while more are accepted.

    `submit` hands it a stored batch; `close` waits until every submitted batch is linked and stops it.
    A failed run stops it: the failure is raised by the next `submit` or by `close`, and what it had not
    linked is stored all the same (the next run, of this process or another, links it)."""

    def __init__(
        self, pipeline: Linker, today: Callable[[], date], on_linked: Callable[[Linked], None]
    ) -> None:
        super().__init__(
            lambda batches: pipeline.link(batches, today()),
            on_linked,
            pipeline.release_thread,
            "ilos-link-behind",
        )

    def submit(self, batch: Accepted) -> None:
        """Queue a stored batch for the next run (one that stored nothing needs none)."""
        self._raise_failure()
        if batch.result.stored:
            super().submit(batch)


def stream_batches(
    pipeline: StreamPipeline,
    feed_name: str,
    batches: Iterable[list[str]],
    today: Callable[[], date],
    on_accepted: Callable[[Accepted], None],
    on_linked: Callable[[Linked], None],
    name: str = "stream batch",
) -> None:
    """Accept each batch of lines as it comes (`on_accepted` once it is stored) while `LinkBehind` links
    behind them and a thread behind it announces what each run verified (`on_linked` after each run's
    announcement, from that thread); returns when the last one is linked and announced. A third thread
    links each stored batch's repeats of identities already linked (ADR 13), so that storing the next
    batch does not wait for it, and a fourth, after it, the new identities whose person is certain (ADR 11),
    so that the repeats do not wait for those."""

    def each_linked(runs: list[Linked]) -> None:
        for run in runs:
            on_linked(run)

    decided = LinkBehind(_LinkingBy(pipeline.link_decided, pipeline.release_thread), today, lambda run: None)

    def decide_next(linked: Linked) -> None:
        for batch in linked.batches:
            decided.submit(batch)

    repeats = LinkBehind(_LinkingBy(pipeline.link_repeats, pipeline.release_thread), today, decide_next)
    announcer: Behind[Linked, list[Linked]] = Behind(
        lambda runs: pipeline.announce(runs, today()),
        each_linked,
        pipeline.release_thread,
        "ilos-announce-behind",
    )
    linker = LinkBehind(_LinkingBy(pipeline.save_links, pipeline.release_thread), today, announcer.submit)
    try:
        for n, lines in enumerate(batches, 1):
            accepted = pipeline.accept(feed_name, lines, f"{name} {n}", repeats=False)
            on_accepted(accepted)
            repeats.submit(accepted)
            linker.submit(accepted)
    finally:
        try:
            repeats.close()
        finally:
            try:
                decided.close()
            finally:
                try:
                    linker.close()
                finally:
                    announcer.close()


@dataclass
class _LinkingBy:
    """`LinkBehind`'s view of a pipeline step that links stored batches whatever the day: the repeats
    (`link_repeats`, linked as stored) or a run that leaves announcing to another thread (`save_links`)."""

    step: Callable[[list[Accepted]], Linked]
    release: Callable[[], object]

    def link(self, batches: list[Accepted], today: date) -> Linked:
        return self.step(batches)

    def release_thread(self) -> object:
        return self.release()


def next_batch(items: queue.Queue[Any], size: int, wait_s: float) -> list[Any]:
    """The next micro-batch from `items` (lines, or anything standing for them, then `END_OF_INPUT`):
    blocks for the first, then takes what arrives within `wait_s` of it, at most `size` in all; empty
    at the end of input."""
    first = items.get()
    if first is END_OF_INPUT:
        return []
    batch = [first]
    deadline = time.monotonic() + wait_s
    while len(batch) < size:
        try:
            item = items.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if item is END_OF_INPUT:
            items.put(END_OF_INPUT)  # end after this batch
            break
        batch.append(item)
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
    regrouped_in: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """Emit (and keep) a `departure:verified` event for every admission whose verified ending departure
    rests on one of a batch's new records `uids` or on a departure of a person a resolution run of
    `regrouped_in` merged or split, or whose number the batch's records carry (`numbers`: an arrival
    loaded after its departure), or of a person one of `uids` is or was last linked to (a retraction or
    correction can change the departure that ends an admission without being it), unless an event
    already kept announced the same departure of it (day and evidence): whatever order the records come
    in, each is announced once, and again only when the departure that ends the admission changes."""
    records = list(uids)
    for run_id in regrouped_in:
        records += admissions.regrouped_departures(run_id)
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
