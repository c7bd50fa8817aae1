"""Clusters: connected components over linked pairs, with chains cut where evidence or rules forbid.

Components are found over the linked pairs' integer ids (SciPy's sparse-graph components). A component is
kept whole when it is dense (most of its record pairs support each other) and holds no conflict (two
different A-numbers, both records of a `twins` pair, or two records a reviewer separated: a
reviewer's `separate` is a cannot-link, so no chain of other links may join them). Other components
are rebuilt greedily: links are replayed strongest first (same admission number and a reviewer's
link before any score, and always kept unless forbidden) and two groups merge only when
no hard rule forbids it and at least DENSITY of their cross pairs are supporting pairs (weight at or
above SUPPORT), so one ambiguous record cannot chain two people together. A pair of records that both
state a full birth date no known error reconciles supports nothing, whatever its weight: namesakes
of one country born in one year score in the review band, and counted as support they let a record
stating only the year merge the two people.

A record the density test leaves alone though every link it has goes to one group (a departure
without a birth date whose passport matches a few of the person's many arrivals, say) cannot chain
two people: it joins that group when its links are several or one is strong (ATTACH_LINKS,
ATTACH_WEIGHT) and no hard rule forbids it.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ilos.adapters.identity.features import a_number_sql, birth_date_sql
from ilos.adapters.identity.rules import (
    REVIEW_RULES,
    SHARED_NUMBER_RULES,
    birth_dates_apart_sql,
    columns_read,
    paired_columns,
    sql_list,
)
from ilos.adapters.identity.workspace import fetch

CLUSTER_SCHEMA = pa.schema([("record_uid", pa.string()), ("cluster", pa.int64()), ("component", pa.string())])
#: Pairs at or above this match weight support a merge (they need not be links), unless both state a
#: full birth date and no known error explains the difference (`rules.birth_dates_apart_sql`).
SUPPORT = 0.0
#: Birth-date columns of the nodes that `rules.birth_dates_apart_sql` reads, per side.
DOB_COLUMNS = tuple(columns_read(birth_dates_apart_sql()))
#: Share of cross pairs that must be supporting pairs for two groups to merge.
DENSITY = 0.5
#: Components at least this dense (and without conflicts) are kept without rebuilding.
CLEAN_DENSITY = 0.9
#: A record left alone joins the one group all its links go to with at least this many links...
ATTACH_LINKS = 2
#: ...or with one link of at least this weight.
ATTACH_WEIGHT = 9.0


#: A pair that depends on more than its own two records: twins (their doubt reads other records' links),
#: held as ambiguous (a record pulled towards both twins), or a reviewer's decision.
_UNSETTLED = "rule IN ('twins', 'ambiguous', 'reviewer')"
#: What `component_facts` gives of each linked component.
FACTS_SCHEMA = pa.schema(
    [("component", pa.string()), ("signatures", pa.int64()), ("pairs", pa.int64()), ("support", pa.int64()),
     ("apart", pa.bool_()), ("a_numbers", pa.int64()), ("a_number", pa.string()), ("settled", pa.bool_()),
     ("whole", pa.bool_())]
)  # fmt: skip


def apart_sql() -> str:
    """A pair (its rule and decision) no chain of links may join: twins, two A-numbers, or a reviewer's
    `separate`."""
    return "(rule IN ('twins', 'different_a_number') OR (rule = 'reviewer' AND decision = 'separate'))"


def support_sql() -> str:
    """A pair (its rule, decision, weight and `DOB_COLUMNS` of each side) that supports merging its two
    records' groups: no hard rule against it, and a weight of at least SUPPORT with birth dates not
    irreconcilably apart, a shared number, or a reviewer's link."""
    return f"""(rule NOT IN {sql_list(("twins", "different_a_number", *REVIEW_RULES))}
                AND NOT (rule = 'reviewer' AND decision = 'separate')
                AND ((match_weight >= {SUPPORT} AND NOT {birth_dates_apart_sql()})
                     OR rule IN {SHARED_NUMBER_RULES} OR rule = 'reviewer'))"""


def _components(cur: duckdb.DuckDBPyConnection) -> None:
    """Table comp(id, label): the connected component (its smallest node id) of every node over the links.

    SciPy's union of sparse-graph components runs in C over the edge arrays in a second or two at
    3M records, where label propagation in SQL needed a join per round and tens of rounds.
    """
    nodes = int(cur.sql("SELECT count(*) FROM nodes").fetchall()[0][0])
    edges = cur.sql("SELECT a, b FROM scored WHERE link").to_arrow_table()
    left = edges.column("a").to_numpy().astype(np.int64)
    right = edges.column("b").to_numpy().astype(np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(nodes, nodes))
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max() + 1 if nodes else 0, nodes, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(nodes, dtype=np.int64))
    table = pa.table({"id": np.arange(nodes, dtype=np.int64), "label": smallest[labels]})
    cur.register("component_labels", table)
    cur.execute("CREATE TABLE comp AS SELECT id, label FROM component_labels")
    cur.unregister("component_labels")


def _load(
    cur: duckdb.DuckDBPyConnection, records: pa.Table, pairs: pa.Table, members: pa.Table | None
) -> None:
    """Nodes are signatures (their representative records); every record not in `members` is its own."""
    cur.register("in_records", records.select(["record_uid", "a_number", "date_of_birth"]))
    if members is None:
        members = pa.table({"record_uid": pa.array([], pa.string()), "rep": pa.array([], pa.string())})
    cur.register("in_members", members.select(["record_uid", "rep"]))
    cur.register(
        "in_pairs", pairs.select(["record_uid_l", "record_uid_r", "match_weight", "rule", "decision"])
    )
    cur.execute(
        """CREATE TABLE membership AS SELECT r.record_uid, coalesce(m.rep, r.record_uid) AS rep
           FROM in_records r LEFT JOIN in_members m USING (record_uid)"""
    )
    cur.execute(
        f"""CREATE TABLE nodes AS SELECT row_number() OVER (ORDER BY record_uid) - 1 AS id, record_uid, a9,
                   dob_text, dob, dob_date, year(dob_date) AS dob_y, month(dob_date) AS dob_m, day(dob_date) AS dob_d
            FROM (SELECT record_uid, {a_number_sql("a_number")} AS a9, {birth_date_sql()}
                  FROM in_records SEMI JOIN membership ON membership.rep = in_records.record_uid)"""
    )
    dobs = paired_columns(DOB_COLUMNS, "nl", "nr")
    cur.execute(
        f"""CREATE TABLE scored AS
            WITH p AS (SELECT nl.id AS a, nr.id AS b, p.match_weight, p.rule, p.decision, {dobs}
                       FROM in_pairs p JOIN nodes nl ON nl.record_uid = p.record_uid_l
                       JOIN nodes nr ON nr.record_uid = p.record_uid_r)
            SELECT a, b, decision = 'link' AS link,
                   CASE WHEN rule IN {SHARED_NUMBER_RULES} OR (rule = 'reviewer' AND decision = 'link')
                        THEN 1e9 ELSE match_weight END AS w,
                   {apart_sql()} AS apart, {support_sql()} AS support, {_UNSETTLED} AS unsettled
            FROM p"""
    )
    cur.unregister("in_records")
    cur.unregister("in_members")
    cur.unregister("in_pairs")


def _component_sizes(cur: duckdb.DuckDBPyConnection) -> None:
    """Table sizes(label, n, a9s, a9, pairs, sup, conflict): per component, its nodes, their A-numbers
    (how many, the smallest), and its inside pairs (how many, supporting, any kept apart)."""
    cur.execute(
        """CREATE TABLE sizes AS
           WITH size AS (SELECT label, count(*) AS n, count(DISTINCT a9) AS a9s, min(a9) AS a9
                         FROM comp JOIN nodes USING (id) GROUP BY label),
           inside AS (SELECT ca.label, count(*) AS pairs, count(*) FILTER (WHERE s.support) AS sup,
                             bool_or(s.apart) AS conflict
                      FROM scored s JOIN comp ca ON ca.id = s.a JOIN comp cb ON cb.id = s.b
                      WHERE ca.label = cb.label GROUP BY ca.label)
           SELECT label, n, a9s, a9, coalesce(pairs, 0) AS pairs, coalesce(sup, 0) AS sup,
                  coalesce(conflict, false) AS conflict
           FROM size LEFT JOIN inside USING (label)"""
    )


def _to_rebuild(cur: duckdb.DuckDBPyConnection) -> None:
    """Table redo(id): nodes of components that are sparse or hold a conflict."""
    cur.execute(
        f"""CREATE TABLE redo AS
            WITH bad AS (SELECT label FROM sizes
                         WHERE n > 2 AND (a9s > 1 OR conflict OR sup < {CLEAN_DENSITY} * n * (n - 1) / 2)
                            OR (n = 2 AND (a9s > 1 OR conflict)))
            SELECT id FROM comp SEMI JOIN bad USING (label)"""
    )


def _facts(cur: duckdb.DuckDBPyConnection) -> None:
    """Table `facts` (`FACTS_SCHEMA`): per linked component, its signatures, the pairs inside it, how
    many support a merge, whether one keeps its two apart, its A-numbers (how many, and the one when
    there is one), whether no unsettled pair (`_UNSETTLED`) touches it, and whether the clustering
    keeps it whole (it is not rebuilt): what deciding a new signature as it is stored reads of it
    (`new_links`)."""
    cur.execute(
        """CREATE TABLE facts AS
           WITH ends AS (SELECT a AS id FROM scored WHERE unsettled UNION SELECT b FROM scored WHERE unsettled),
           touched AS (SELECT DISTINCT label FROM comp SEMI JOIN ends USING (id)),
           rebuilt AS (SELECT DISTINCT label FROM comp SEMI JOIN redo USING (id))
           SELECT k.component, s.n AS signatures, s.pairs, s.sup AS support, s.conflict AS apart,
                  s.a9s AS a_numbers, CASE WHEN s.a9s = 1 THEN s.a9 END AS a_number,
                  s.label NOT IN (SELECT label FROM touched) AS settled,
                  s.label NOT IN (SELECT label FROM rebuilt) AS whole
           FROM sizes s JOIN component_of k ON k.id = s.label"""
    )


def component_facts(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """The facts of the components `cluster` just clustered on `cur` (sorted by component)."""
    return fetch(cur, "SELECT * FROM facts ORDER BY component").cast(FACTS_SCHEMA)


class _Groups:
    """Union-find over one rebuild: groups with their members, A-numbers and forbidden partners."""

    def __init__(
        self, a9: dict[int, str | None], apart: dict[int, set[int]], support: dict[int, set[int]]
    ) -> None:
        self.parent = {n: n for n in a9}
        self.members = {n: {n} for n in a9}
        self.a9 = {n: ({v} if v else set()) for n, v in a9.items()}
        self.forbid = {n: set(apart.get(n, ())) for n in a9}
        self.support = support

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def try_union(self, a: int, b: int, forced: bool) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        if self._forbidden(small, big) or not (forced or self._dense(small, big)):
            return
        self.parent[small] = big
        self.members[big] |= self.members.pop(small)
        self.a9[big] |= self.a9.pop(small)
        self.forbid[big] |= self.forbid.pop(small)

    def attach_alone(self, links: list[tuple[int, int, float]]) -> None:
        """Each node alone after the replay joins the one larger group all its `links` (a, b, weight)
        go to, when they are ATTACH_LINKS or more, or one weighs ATTACH_WEIGHT, and nothing forbids
        it; decided on the groups as the replay left them, applied in node order."""
        alone = {n for n, group in self.members.items() if len(group) == 1}
        seen: dict[int, list[tuple[int, float]]] = {}
        for a, b, w in links:
            for node, other in ((a, b), (b, a)):
                if node in alone:
                    seen.setdefault(node, []).append((self.find(other), w))
        for node in sorted(seen):
            targets = {group for group, _ in seen[node]}
            strong = len(seen[node]) >= ATTACH_LINKS or max(w for _, w in seen[node]) >= ATTACH_WEIGHT
            target = next(iter(targets))
            if len(targets) == 1 and strong and len(self.members[target]) > 1:
                self.try_union(node, target, forced=True)

    def _forbidden(self, small: int, big: int) -> bool:
        if len(self.a9[small] | self.a9[big]) > 1:
            return True
        return not self.forbid[small].isdisjoint(self.members[big])

    def _dense(self, small: int, big: int) -> bool:
        inside = self.members[big]
        count = sum(len(self.support.get(n, set()) & inside) for n in self.members[small])
        return count >= DENSITY * len(self.members[small]) * len(inside)


def _pairs_of(cur: duckdb.DuckDBPyConnection, where: str) -> dict[int, set[int]]:
    """Node -> the nodes it is paired with by the scored pairs (of nodes to rebuild) meeting `where`.

    Grouped in NumPy (both ends, sorted by node): millions of pairs at 3M records, where a dict
    filled pair by pair took seconds."""
    sql = f"SELECT a, b FROM scored SEMI JOIN redo ON redo.id = scored.a WHERE {where}"
    pairs = cur.sql(sql).fetchnumpy()
    left, right = np.asarray(pairs["a"], dtype=np.int64), np.asarray(pairs["b"], dtype=np.int64)
    ends, others = np.concatenate([left, right]), np.concatenate([right, left])
    order = np.argsort(ends, kind="stable")
    ends, partners = ends[order], others[order].tolist()
    nodes, starts = np.unique(ends, return_index=True)
    stops = [*starts[1:].tolist(), len(partners)] if len(starts) else []
    return {n: set(partners[s:e]) for n, s, e in zip(nodes.tolist(), starts.tolist(), stops, strict=True)}


def _rebuild(cur: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """New labels (smallest member id) for the nodes in `redo`, links replayed strongest first."""
    nodes = cur.sql("SELECT id, a9 FROM nodes SEMI JOIN redo USING (id)").fetchall()
    groups = _Groups(dict(nodes), _pairs_of(cur, "apart"), _pairs_of(cur, "support"))
    links = cur.sql(
        "SELECT a, b, w FROM scored SEMI JOIN redo ON redo.id = scored.a WHERE link ORDER BY w DESC, a, b"
    ).fetchall()
    for a, b, w in links:
        groups.try_union(a, b, forced=w >= 1e9)
    groups.attach_alone(links)
    return {n: min(groups.members[groups.find(n)]) for n, _ in nodes}


def cluster(
    cur: duckdb.DuckDBPyConnection, records: pa.Table, pairs: pa.Table, members: pa.Table | None = None
) -> pa.Table:
    """record_uid -> cluster (the smallest node id of its cluster) and component (the smallest record
    uid of its linked component, before chains are cut) for every record; records of one signature
    (`members`: record_uid -> rep) share their representative's cluster."""
    _load(cur, records, pairs, members)
    _components(cur)
    cur.execute(
        """CREATE TABLE component_of AS SELECT c.id, n.record_uid AS component
           FROM comp c JOIN nodes n ON n.id = c.label"""
    )
    _component_sizes(cur)
    _to_rebuild(cur)
    _facts(cur)
    fixed = _rebuild(cur)
    if fixed:
        cur.register("fixed", pa.table({"id": list(fixed), "label": list(fixed.values())}))
        cur.execute("UPDATE comp SET label = fixed.label FROM fixed WHERE comp.id = fixed.id")
        cur.unregister("fixed")
    sql = """SELECT m.record_uid, c.label AS cluster, k.component FROM membership m
             JOIN nodes n ON n.record_uid = m.rep JOIN comp c USING (id) JOIN component_of k USING (id)
             ORDER BY m.record_uid"""
    return fetch(cur, sql).cast(CLUSTER_SCHEMA)
