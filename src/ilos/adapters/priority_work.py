"""The PriorityWork port: holds, facts and a pack's ranking, set-at-a-time in DuckDB.

Like statuses, everything is derived on read from the records in force (cut at `known_at`) and the
current identity links, as of a date: the admission workspace runs first (verified departures and
overstays feed holds and facts), then holds, facts and the compiled pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.admission_work import persons_sharing
from ilos.adapters.db.reader import ADMISSION_INPUTS, PersonDataReader
from ilos.adapters.duck.admission_status import judged
from ilos.adapters.duck.facts import compute_facts
from ilos.adapters.duck.holds import compute_holds, in_force
from ilos.adapters.duck.priority_inputs import PRIORITY_COLUMNS, business_calendar, load_priority_inputs
from ilos.adapters.duck.ranking import rank, worklist_query
from ilos.domain.admission_rules import AdmissionRules, admission_rules
from ilos.domain.evaluation.person import place
from ilos.domain.holds import hold_kind
from ilos.domain.policy import Pack

FIRST_CALENDAR_YEAR = 1950


def _columns() -> dict[str, tuple[str, ...]]:
    """Every feed's columns that statuses, holds and facts read."""
    merged = {name: tuple(cols) for name, cols in ADMISSION_INPUTS.items()}
    for name, cols in PRIORITY_COLUMNS.items():
        merged[name] = tuple(dict.fromkeys((*merged.get(name, ()), *cols)))
    return merged


@contextmanager
def evaluated(
    reader: PersonDataReader,
    con: duckdb.DuckDBPyConnection,
    rules: AdmissionRules,
    as_of: date,
    known_at_utc: str | None,
    persons: list[str] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A workspace holding `status`, `holds`, `facts` and the court tables (`court`, `case_steps`,
    `case_order`), of every person or of `persons` with their relatives and the persons sharing their
    admission numbers (`sharing_numbers`)."""
    links = reader.relative_links(persons)
    if persons is None:
        inputs = reader.feed_inputs(_columns(), known_at_utc, None)
    else:
        relatives = [p for p in links.column("relative_person_id").to_pylist() if p]
        read = sorted({*persons, *relatives})
        inputs = reader.feed_inputs(_columns(), known_at_utc, read)
        sharing = sharing_numbers(reader, persons, read, inputs["arrivals"].to_pylist())
        if sharing:
            more = reader.feed_inputs(_columns(), known_at_utc, sharing)
            inputs = {feed: pa.concat_tables([table, more[feed]]) for feed, table in inputs.items()}
    with judged(con, {k: inputs[k] for k in ADMISSION_INPUTS}, as_of, rules) as cur:
        business_calendar(cur, FIRST_CALENDAR_YEAR, as_of.year + 2)
        load_priority_inputs(cur, inputs, links, as_of)
        compute_holds(cur)
        compute_facts(cur, as_of)
        yield cur


def sharing_numbers(
    reader: PersonDataReader, wanted: list[str], read: Iterable[str], arrivals: list[dict[str, Any]]
) -> list[str]:
    """`persons_sharing` the admission numbers of the `wanted` persons' arrivals (not of the relatives
    read beside them)."""
    mine = set(wanted)
    return persons_sharing(reader, [r["admission_number"] for r in arrivals if r["person_id"] in mine], read)


class DuckPriorityWork:
    """Holds, facts and worklists of persons as of a date with the records known at a time."""

    def __init__(
        self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection, rules: AdmissionRules | None = None
    ) -> None:
        self.reader = reader
        self.con = con
        self.rules = rules or admission_rules()

    @contextmanager
    def _evaluated(
        self, as_of: date, known_at_utc: str | None, persons: list[str] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        with evaluated(self.reader, self.con, self.rules, as_of, known_at_utc, persons) as cur:
            yield cur

    def worklist(
        self, pack: Pack, as_of: date, known_at_utc: str | None, include_held: bool
    ) -> tuple[pa.Table, str]:
        """The contract's worklist rows, and a hash of what they were computed from (facts, holds, pack)."""
        with self._evaluated(as_of, known_at_utc) as cur:
            rank(cur, pack, as_of)
            table = cur.sql(worklist_query(include_held)).to_arrow_table()
            return table, _inputs_hash(cur, pack)

    def facts_and_holds(self, as_of: date, known_at_utc: str | None) -> tuple[pa.Table, pa.Table]:
        """Every person's facts and every hold (the tables a pack is ranked from)."""
        with self._evaluated(as_of, known_at_utc) as cur:
            return cur.sql("SELECT * FROM facts").to_arrow_table(), cur.sql(
                "SELECT * FROM holds"
            ).to_arrow_table()

    def review_list(self, pack: Pack, as_of: date, known_at_utc: str | None) -> pa.Table:
        """Persons a `review` rule puts before a person (not held): person_id, rules, sources."""
        with self._evaluated(as_of, known_at_utc) as cur:
            rank(cur, pack, as_of)
            return cur.sql("SELECT * FROM review ORDER BY person_id").to_arrow_table()

    def knows(self, person_id: str) -> bool:
        """Whether any record is, or (retracted since) was last, linked to the person."""
        return self.reader.person_known(person_id)

    def holds(self, person_id: str, as_of: date, known_at_utc: str | None) -> list[dict[str, Any]]:
        """Every hold of one person (ended ones too), with whether it is in force on `as_of`."""
        day = f"DATE '{as_of.isoformat()}'"
        with self._evaluated(as_of, known_at_utc, [person_id]) as cur:
            rows = cur.sql(
                f"""SELECT code, start, last_day, {in_force(day)} AS in_force, sources FROM holds
                    WHERE pkey = ? ORDER BY start, code, last_day NULLS LAST, sources""",
                params=[person_id],
            ).to_arrow_table()
        return [{**r, "scope": hold_kind(r["code"]).scope.value} for r in rows.to_pylist()]

    def person(self, pack: Pack, person_id: str, as_of: date, known_at_utc: str | None) -> dict[str, Any]:
        """Everything behind one person's place under `pack`: facts, rules fired, holds in force, rank row
        (empty dicts when the person has no records). Evaluated in plain Python from the person's records
        and their relatives' (`ilos.domain.evaluation`), which agrees with the set-at-a-time SQL of the
        worklist and answers in milliseconds (ADR 11)."""
        links = self.reader.relative_links([person_id])
        persons = {person_id, *(p for p in links.column("relative_person_id").to_pylist() if p)}
        rows = self.reader.person_rows(_columns(), known_at_utc, sorted(persons))
        sharing = sharing_numbers(self.reader, [person_id], persons, rows["arrivals"])
        if sharing:
            more = self.reader.person_rows(_columns(), known_at_utc, sharing)
            rows = {feed: feed_rows + more[feed] for feed, feed_rows in rows.items()}
        return place(person_id, pack, rows, links.to_pylist(), as_of, self.rules)

    def places_by_sql(
        self, pack: Pack, as_of: date, known_at_utc: str | None, persons: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """What `person` returns, for every person (or `persons` and their relatives), computed by the
        set-at-a-time SQL: the reference the evaluator is held to. A person absent has no records."""
        with self._evaluated(as_of, known_at_utc, persons) as cur:
            return places(cur, pack, as_of)

    def compare(self, a: Pack, b: Pack, as_of: date, known_at_utc: str | None) -> pa.Table:
        """Each listed person's tier under `a` and under `b` (NULL when not listed), with the rules that
        fired under each: the facts and holds are computed once."""
        with self._evaluated(as_of, known_at_utc) as cur:
            placed = []
            for name, pack in (("a", a), ("b", b)):
                rank(cur, pack, as_of)
                cur.execute(
                    f"""CREATE TABLE placed_{name} AS
                        SELECT r.person_id, r.tier, (SELECT string_agg(DISTINCT x.rule, ';' ORDER BY x.rule) FROM fired x
                                                    WHERE x.person_id = r.person_id AND x.kind = 'tier') AS rules
                        FROM ranked r WHERE r.removable AND r.tier IS NOT NULL AND NOT r.held;
                        DROP TABLE fired; DROP TABLE held; DROP TABLE scored; DROP TABLE ranked; DROP TABLE review;
                        DROP TABLE pack_tiers"""
                )
                placed.append(name)
            return cur.sql(
                """SELECT person_id, a.tier AS tier_a, b.tier AS tier_b, a.rules AS rules_a, b.rules AS rules_b
                   FROM placed_a a FULL JOIN placed_b b USING (person_id) ORDER BY person_id"""
            ).to_arrow_table()


def places(cur: duckdb.DuckDBPyConnection, pack: Pack, as_of: date) -> dict[str, dict[str, Any]]:
    """Each person's facts, rank row, rules fired and holds in force, from an evaluated workspace (ranked
    here under `pack`), shaped as `DuckPriorityWork.person` returns one."""
    rank(cur, pack, as_of)
    out: dict[str, dict[str, Any]] = {}

    def of(person: str) -> dict[str, Any]:
        return out.setdefault(person, {"facts": {}, "ranked": {}, "fired": [], "holds": []})

    for row in cur.sql("SELECT * FROM facts").to_arrow_table().to_pylist():
        of(row["person_id"])["facts"] = row
    for row in cur.sql("SELECT * FROM ranked").to_arrow_table().to_pylist():
        of(row["person_id"])["ranked"] = row
    fired = "SELECT person_id, rule, kind, tier, weight, sources FROM fired ORDER BY person_id, rule_order"
    for row in cur.sql(fired).to_arrow_table().to_pylist():
        of(row.pop("person_id"))["fired"].append(row)
    day = f"DATE '{as_of.isoformat()}'"
    holds = f"""SELECT pkey, code, start, last_day, sources FROM holds WHERE {in_force(day)}
                ORDER BY pkey, code, start, sources, last_day"""
    for row in cur.sql(holds).to_arrow_table().to_pylist():
        of(row.pop("pkey"))["holds"].append(row)
    return out


def _inputs_hash(cur: duckdb.DuckDBPyConnection, pack: Pack) -> str:
    """A hash of the facts (with their sources) and holds (with theirs) a worklist was ranked from, with
    the pack's digest: every row's digest, sorted, so the order rows were computed in does not matter,
    and a row repeated counts again (a bit-xor of rows let two equal holds cancel out)."""
    rows = "SELECT md5(coalesce(string_agg(d, ',' ORDER BY d), '')) FROM (SELECT md5(CAST(t AS VARCHAR)) AS d FROM {} t)"
    value = cur.sql(f"SELECT ({rows.format('facts')}) || '-' || ({rows.format('holds')})").fetchall()[0][0]
    return f"{pack.digest[:16]}-{value}"
