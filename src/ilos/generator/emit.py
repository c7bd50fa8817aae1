"""From world records to the rows of one feed file: versions, re-deliveries and defects."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .defects import Defects
from .reference import DS_CLASSES, VISA_WAIVER
from .rows import Row, RowFactory
from .schema import columns, reasons
from .stamps import stamp
from .versions import erroneous
from .world import Admission, Person, Record

DUPLICATE_RATE = 0.005
CORRECTION_RATE = 0.005
DEFECT_RATE = 0.01
SortKey = tuple[datetime, str, str, int]
Values = tuple[str, ...]


@dataclass
class FeedCounts:
    """What a feed file holds, as the manifest reports it."""

    rows: int = 0
    valid_new: int = 0
    duplicates: int = 0
    corrections: int = 0
    retractions: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        """The manifest entry."""
        return {
            "rows": self.rows,
            "valid_new": self.valid_new,
            "duplicates": self.duplicates,
            "corrections": self.corrections,
            "retractions": self.retractions,
            "quarantined": dict(sorted(self.quarantined.items())),
        }


@dataclass
class Ledger:
    """Truth about rows across feeds: who each key is, and which noise each row carries."""

    keys: list[tuple[str, str, str]] = field(default_factory=list)
    noise: list[tuple[str, str, str, str]] = field(default_factory=list)


_VWP_OR_DS = VISA_WAIVER | DS_CLASSES


def _any(rec: Record) -> bool:
    return True


_TEMPLATE_OK: dict[str, Callable[[Record], bool]] = {
    "VISA_WAIVER_TOO_LONG": lambda r: isinstance(r, Admission) and r.klass in VISA_WAIVER,
    "DS_NOT_ALLOWED": lambda r: isinstance(r, Admission) and r.klass not in _VWP_OR_DS,
}


class FeedEmitter:
    """Emits the rows of one feed in order of transaction time."""

    def __init__(
        self,
        rng: random.Random,
        factory: RowFactory,
        defects: Defects,
        persons: list[Person],
        end_eod: datetime,
        ledger: Ledger,
    ) -> None:
        self.rng = rng
        self.factory = factory
        self.defects = defects
        self.persons = persons
        self.end_eod = end_eod
        self.ledger = ledger

    def run(self, feed: str, records: Iterable[Record], write: Callable[[Values], None]) -> FeedCounts:
        """Write every row of the feed (sorted) through ``write``; return the counts."""
        self._feed, self._columns, self._counts = feed, columns(feed), FeedCounts()
        ordered = sorted(records, key=lambda r: (r.recorded, r.system, r.key))
        written = 0

        def emit(values: Values) -> None:
            nonlocal written
            written += 1
            write(values)

        heap = self._defect_rows(ordered)
        heapq.heapify(heap)
        for rec in ordered:
            row, codes = self.factory.build(feed, rec)
            self._key(rec, rec.key)
            main = (rec.recorded, rec.system, rec.key, 0)
            for sort_key, values in self._versions(rec, row, codes):
                if sort_key == main:
                    while heap and heap[0][0] < main:
                        emit(heapq.heappop(heap)[1])
                    emit(values)
                else:
                    heapq.heappush(heap, (sort_key, values))
        while heap:
            emit(heapq.heappop(heap)[1])
        self._counts.rows = written
        return self._counts

    def _key(self, rec: Record, key: str) -> None:
        self.ledger.keys.append((rec.system, key, self.persons[rec.person].pid))

    def _values(self, row: Row, codes: list[str]) -> Values:
        if codes:
            self.ledger.noise.append(
                (row["source_system"], row["source_record_id"], row["recorded_at"], ";".join(codes))
            )
        return tuple(row[c] for c in self._columns)

    def _stamp(self, rec: Record, instant: datetime) -> str:
        return stamp(
            self.rng, instant, rec.event_day(), self.end_eod.date(), rec.system, getattr(rec, "port", "")
        )

    def _versions(self, rec: Record, row: Row, codes: list[str]) -> list[tuple[SortKey, Values]]:
        """The row plus its retraction, correction or re-delivery."""
        counts = self._counts
        counts.valid_new += 1
        main = (rec.recorded, rec.system, rec.key, 0)
        if rec.retracted is not None:
            counts.corrections += 1
            counts.retractions += 1
            withdrawn = dict(row, retracted="true", recorded_at=self._stamp(rec, rec.retracted))
            return [
                (main, self._values(row, codes)),
                ((rec.retracted, rec.system, rec.key, 1), self._values(withdrawn, codes)),
            ]
        later = rec.recorded + timedelta(days=self.rng.randint(1, 20), seconds=self.rng.randint(0, 9999))
        if self.rng.random() < CORRECTION_RATE and later <= self.end_eod:
            counts.corrections += 1
            wrong = erroneous(self.rng, self._feed, row)
            fixed = dict(row, recorded_at=self._stamp(rec, later))
            return [
                (main, self._values(wrong, [*codes, "corrected_later"])),
                ((later, rec.system, rec.key, 1), self._values(fixed, codes)),
            ]
        values = self._values(row, codes)
        if self.rng.random() < DUPLICATE_RATE:
            counts.duplicates += 1
            return [(main, values), ((rec.recorded, rec.system, rec.key, 1), values)]
        return [(main, values)]

    def _defect_rows(self, records: list[Record]) -> list[tuple[SortKey, Values]]:
        """Defective rows under fresh keys, every applicable reason at least once."""
        pool = [r for r in records if r.retracted is None]
        if not pool:
            return []
        plan = list(reasons(self._feed))
        self.rng.shuffle(plan)
        wanted = max(round(DEFECT_RATE * len(pool)), len(plan) if len(pool) >= 100 else 1)
        out: list[tuple[SortKey, Values]] = []
        for i in range(wanted):
            made = self._defect(pool, plan[i % len(plan)])
            if made is not None:
                out.append(made)
        return out

    def _defect(self, pool: list[Record], reason: str) -> tuple[SortKey, Values] | None:
        accept = _TEMPLATE_OK.get(reason, _any)
        for _ in range(200):
            rec = self.rng.choice(pool)
            if not accept(rec):
                continue
            key = self.factory.fresh_key(rec)
            row, codes = self.factory.build(self._feed, rec, key=key)
            if self._feed == "arrivals":
                row["admission_number"] = self.factory.ids.admission_number()
            if self.defects.apply(reason, self._feed, row, rec.recorded):
                self._counts.quarantined[reason] += 1
                self._key(rec, key)
                return (rec.recorded, rec.system, key, 0), self._values(row, codes)
        return None
