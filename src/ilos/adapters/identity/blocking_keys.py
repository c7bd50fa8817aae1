"""An in-memory blocking index: for each blocking rule, the hashed join keys of every indexed signature.

`scoring.block_new` joins a batch's new signatures to every signature, once per rule: twenty scans of
the index a batch, which grow with the store. With a `BlockingKeys` of the index it first asks it for
the *candidates*: every indexed signature whose keys equal a new signature's on some rule's equality
conjuncts. The rules are then joined over the new signatures and these candidates only, with the same
SQL, so the pairs are exactly those of the full join:

- a pair a rule joins satisfies the rule's top-level conjuncts `l.x = r.y`, so both sides are non-null
  and hash alike on them, and the indexed side is among the candidates;
- the rows joined are a subset of the index, so no pair is found that the full join would not find.

Hash collisions and stale entries (a signature since renamed, corrected or gone) only add candidates,
which the exact join drops. The index must therefore hold every indexed signature under its current
keys: it is built from an index's signatures, and each later version of the index `add`s the
signatures it changed or added (`IdentityResolver.score_between`, `incremental._index_without`).
Entries are only ever added; the index is rebuilt when stale entries outnumber live ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ilos.adapters.identity.comparisons import blocking_rules

#: Entries added since the last merge (per rule) above which, and above a tenth of the merged ones, they
#: are merged into the large sorted part.
_MERGE_AT = 20_000

_EQUALITY = re.compile(r"^l\.([a-z0-9_]+) = r\.([a-z0-9_]+)$")


@dataclass(frozen=True)
class RuleKeys:
    """A rule's top-level equality conjuncts: the new side's columns and the indexed side's, in order,
    and the list columns the rule explodes."""

    left: tuple[str, ...]
    right: tuple[str, ...]
    explode: tuple[str, ...]


def conjuncts(sql: str) -> list[str]:
    """The conjuncts of `sql` joined by AND outside any parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(sql):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and sql.startswith(" AND ", i):
            parts.append(sql[start:i].strip())
            start = i + len(" AND ")
    parts.append(sql[start:].strip())
    return parts


def rule_keys(rule: dict[str, Any]) -> RuleKeys:
    """The equality keys of a blocking rule (ValueError for a rule without one: it cannot be indexed)."""
    pairs = [m.groups() for part in conjuncts(rule["blocking_rule"]) if (m := _EQUALITY.match(part))]
    if not pairs:
        raise ValueError(f"blocking rule without an equality conjunct: {rule['blocking_rule']}")
    return RuleKeys(
        tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), tuple(rule.get("arrays_to_explode") or ())
    )


def _hashed(source: str, keys: RuleKeys, columns: tuple[str, ...], number: int) -> str:
    """SELECT rule number, record_uid and hashed key of each row of `source` whose key columns are set."""
    if keys.explode:
        unnest = ", ".join(f"unnest({c}) AS {c}" for c in keys.explode)
        source = f"(SELECT * REPLACE ({unnest}) FROM {source})"
    set_ = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    # as text: one value hashes alike whatever integer width a view gives its column
    key = ", ".join(f"CAST({c} AS VARCHAR)" for c in columns)
    return f"SELECT {number} AS rule, record_uid, hash({key}) AS h FROM {source} WHERE {set_}"


class _Sorted:
    """Hashed keys sorted, with the position of each entry's record uid."""

    def __init__(self) -> None:
        self.keys = np.empty(0, np.uint64)
        self.positions = np.empty(0, np.int64)

    def extend(self, keys: np.ndarray, positions: np.ndarray) -> None:
        keys = np.concatenate([self.keys, keys])
        positions = np.concatenate([self.positions, positions])
        order = np.argsort(keys, kind="stable")
        self.keys, self.positions = keys[order], positions[order]

    def find(self, wanted: np.ndarray) -> np.ndarray:
        """Positions of every entry whose key is one of `wanted`."""
        return self.find_each(wanted)[1]

    def find_each(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`find`, with the index in `wanted` of the key each position was found under."""
        low = np.searchsorted(self.keys, wanted, side="left")
        counts = np.searchsorted(self.keys, wanted, side="right") - low
        total = int(counts.sum())
        if not total:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        starts = np.repeat(low, counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        found: np.ndarray = self.positions[starts + offsets]
        return np.repeat(np.arange(len(wanted)), counts), found


def _copied(part: _Sorted) -> _Sorted:
    """A `_Sorted` holding the same arrays (`extend` replaces them, so the two part ways after it)."""
    other = _Sorted()
    other.keys, other.positions = part.keys, part.positions
    return other


class BlockingKeys:
    """Hashed right-side keys of every indexed signature, per rule of `blocking_rules(only_new=True)`:
    a large sorted part, and the entries added since, sorted apart until they are many."""

    def __init__(self) -> None:
        self.rules = [rule_keys(rule) for rule in blocking_rules(only_new=True)]
        self._uids: list[str] = []
        self._main = [_Sorted() for _ in self.rules]
        self._recent = [_Sorted() for _ in self.rules]
        self._live = 0

    @classmethod
    def build(cls, cur: duckdb.DuckDBPyConnection, source: str) -> BlockingKeys:
        """The keys of every row of `source` (a table or view of signatures, as `scoring.prepare` builds)."""
        keys = cls()
        keys.add(cur, source)
        return keys

    def copy(self) -> BlockingKeys:
        """Keys that `add` extends without changing these (the sorted arrays are shared, never written in
        place; the uid list is copied)."""
        other = BlockingKeys.__new__(BlockingKeys)
        other.rules, other._uids, other._live = self.rules, list(self._uids), self._live
        other._main = [_copied(part) for part in self._main]
        other._recent = [_copied(part) for part in self._recent]
        return other

    @property
    def stale(self) -> bool:
        """Whether signatures renamed, changed or gone since the build outnumber those indexed now."""
        return len(self._uids) > 2 * max(self._live, 1)

    def add(self, cur: duckdb.DuckDBPyConnection, source: str, live: int | None = None) -> None:
        """Index the rows of `source` (signatures new or changed in a new version of the index; `live`
        is the number of signatures that version holds, to tell when stale entries dominate)."""
        # Each signature's position comes with its uid in one result, and its keys are joined to it by
        # the uid (a signature's representative, unique in `source`): two scans need not agree on order.
        uids_read = cur.sql(f"SELECT record_uid FROM {source}").to_arrow_table().column(0)
        numbered = pa.table(
            {"record_uid": uids_read, "n": pa.array(np.arange(len(uids_read), dtype=np.int64))}
        )
        cur.register("ilos_block_added", numbered)
        try:
            sql = " UNION ALL ".join(_hashed(source, k, k.right, i) for i, k in enumerate(self.rules))
            rows = cur.sql(
                f"SELECT h.rule, h.h, a.n FROM ({sql}) h JOIN ilos_block_added a USING (record_uid)"
            ).to_arrow_table()
        finally:
            cur.unregister("ilos_block_added")
        base = len(self._uids)
        uids = numbered.column("record_uid").to_pylist()
        self._uids.extend(uids)
        self._live = live if live is not None else len(uids)
        rule = rows.column("rule").to_numpy()
        hashes = rows.column("h").to_numpy().astype(np.uint64)
        positions = rows.column("n").to_numpy().astype(np.int64) + base
        for number in range(len(self.rules)):
            mine = rule == number
            recent = self._recent[number]
            recent.extend(hashes[mine], positions[mine])
            if len(recent.keys) > max(_MERGE_AT, len(self._main[number].keys) // 10):
                self._main[number].extend(recent.keys, recent.positions)
                self._recent[number] = _Sorted()

    def add_rows(self, cur: duckdb.DuckDBPyConnection, rows: pa.Table, live: int) -> None:
        """`add` for signature rows held in memory (`rows`, as `source` would hold them)."""
        cur.register("ilos_block_rows", rows)
        try:
            self.add(cur, "ilos_block_rows", live=live)
        finally:
            cur.unregister("ilos_block_rows")

    def keyed_sql(self, table: str) -> str:
        """SELECT rule, row and hashed key of every key of the rows of `table` (an integer column `row`,
        and the rules' left columns), for `candidates_of_keyed`: DuckDB hashes them, since Python cannot
        compute its `hash()`."""
        rows = f"(SELECT * REPLACE (row AS record_uid) FROM {table})"
        keyed = " UNION ALL ".join(_hashed(rows, k, k.left, i) for i, k in enumerate(self.rules))
        return f"SELECT DISTINCT rule, CAST(record_uid AS BIGINT) AS row, h FROM ({keyed})"

    def candidates_of_keyed(self, keyed: dict[str, np.ndarray], rows: int) -> list[list[str]]:
        """For each of `rows` signature rows whose keys `keyed_sql` gave (`keyed`, fetched as NumPy
        arrays), the record uids of the indexed signatures whose keys equal its own on some rule
        (`candidates`, row by row)."""
        rule, row, hashes = keyed["rule"], keyed["row"], keyed["h"].astype(np.uint64)
        found: list[set[int]] = [set() for _ in range(rows)]
        for number in np.unique(rule).tolist():
            mine = rule == number
            for part in (self._main[number], self._recent[number]):
                at, positions = part.find_each(hashes[mine])
                for i, position in zip(row[mine][at].tolist(), positions.tolist(), strict=True):
                    found[i].add(position)
        return [sorted({self._uids[p] for p in positions}) for positions in found]

    def candidates(self, cur: duckdb.DuckDBPyConnection, new: str) -> pa.Array:
        """Record uids of the indexed signatures whose keys equal, on some rule, those of a row of `new`."""
        sql = " UNION ALL ".join(_hashed(new, k, k.left, i) for i, k in enumerate(self.rules))
        rows = cur.sql(f"SELECT DISTINCT rule, h FROM ({sql})").to_arrow_table()
        rule = rows.column("rule").to_numpy()
        hashes = rows.column("h").to_numpy().astype(np.uint64)
        found = [np.empty(0, np.int64)]
        for number in np.unique(rule).tolist():
            wanted = hashes[rule == number]
            found += [self._main[number].find(wanted), self._recent[number].find(wanted)]
        picked = np.unique(np.concatenate(found))
        return pa.array(sorted({self._uids[i] for i in picked.tolist()}), pa.string())
