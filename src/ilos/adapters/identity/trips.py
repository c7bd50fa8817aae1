"""Departures that carry only a name, placed by the trip they end.

A departure record with a family and a given name but no birth date, document, A-number or
admission number (a *name-only departure*) is too thin to link on its identity alone: many people
share a name. It still ends a trip. When exactly one person with that name (the skeletons of its
two parts, in either order; or, spelled alike, one record's family name the other's cut to its first
word: ORTIZ SUAREZ and ORTIZ) and country (a record's names are keyed under its citizenship and under
its passport's country: `_countries_sql`) was in the country on its day by ILOS's own records —
a record of theirs that shows them in the country (an arrival, an encounter or a court event:
*presence* records) on or before that day carries the name, and no departure of theirs ended the
stay since — the departure joins that person. Otherwise it stays alone and is listed with the other
records that have too little identity to link. A person who entered without inspection has no
arrival: their encounter and their court case show them in the country, and the removal that ends
their stay is often recorded with a name and a passport alone. An arrival or an encounter begins or
shows a stay even after a departure; a court event does only while no departure is known, since a
case goes on (an appeal decided, an order in absentia) after its person has left.

A departure with a name and a document but no birth date, A-number or admission number (a passport
renewed since the arrival, a partner's entry record) is scored like any other; when nothing links it
(it is alone in its cluster: names and citizenship alone stay in the review band) its trip places it
the same way, under the same conditions.

Any departure left alone is also placed by its trip among the persons the weights left it in review
with (no hard rule, a surname no known error sets apart, birth dates not irreconcilably apart): a
departure whose given name is missing and birth date one day off, say. The candidates of both kinds
are pooled, and the departure joins a person only when exactly one of them was in the country on its day,
or, of several in the country that all carry its whole name, exactly one has a presence record that spells
both names and the country as the departure does (the name key's skeletons make DENG and DONG,
MITCHELL and MICHELLE one key; a person under its first surname alone carries less than its name and
does not stop this). A person only in review with it, or under a longer family name than the
departure's, may be the traveller, whose arrival misspelt the name or whose departure left a surname
out, and leaves it alone. Of several in the country, the one who *arrives again* after the day with no
departure of theirs, nor an encounter that shows them still here, in between (their return says they
left, and this departure is the only record of when) takes it, when only one does and no departure of
another day falls in the same gap: namesakes who stay make no such claim. When the spelling points at
one person and the return at another, neither decides.

A status event with only a name, of a filing made from inside the country or of a student's program
(`PLACED_FEEDS`), is placed the same way, by its name key, on the one person of that name *ever* in
the country by its day: a school records a program's end, an office a filing, after its person may
have left while a namesake stays.

Records carry the day of their trip event in `DAY` (admitted_on for arrivals, departure_date for
departures, event_date for encounters, court events and those status events; none for self-reported
departures, for encounters that ended in a return and for other status events: `reader.TRIP_DAYS`);
records without it take no part.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity.features import (
    ADMISSION_NUMBER_SQL,
    INPUT_COLUMNS,
    a_number_sql,
    build_features,
)
from ilos.adapters.identity.rules import (
    birth_dates_apart_sql,
    columns_read,
    paired_columns,
    sql_list,
    surname_conflict_sql,
)
from ilos.adapters.identity.scoring import usable_sql
from ilos.adapters.identity.workspace import fetch

#: The column holding the day a record's trip event happened (ISO date text, or NULL).
DAY = "event_day"
ARRIVALS, DEPARTURES, STATUS_EVENTS, ENCOUNTERS = "arrivals", "departures", "status_events", "encounters"
#: Feeds whose records with only a name are placed by the stay they fall in: departures, and status
#: events of filings made from inside the country and of students' programs (`reader.TRIP_DAYS`).
PLACED_FEEDS = (DEPARTURES, STATUS_EVENTS)
#: Feeds whose records show their person in the country on their day (arrivals begin a stay).
PRESENCE_FEEDS = (ARRIVALS, ENCOUNTERS, "court_events")
#: Presence feeds whose records show a stay even after a departure (a court case outlives its stay).
ENTRY_FEEDS = (ARRIVALS, ENCOUNTERS)
_PRESENCE, _ENTRIES, _PLACED_FEEDS = sql_list(PRESENCE_FEEDS), sql_list(ENTRY_FEEDS), sql_list(PLACED_FEEDS)
KEYS_SCHEMA = pa.schema(
    [("record_uid", pa.string()), ("kind", pa.string()), ("key", pa.string()), ("day", pa.date32()),
     ("spelling", pa.string()), ("whole", pa.bool_())]
)  # fmt: skip


def _maybe_name_only() -> str:
    """A cheap superset of name-only and document-only departures and status events, on the raw
    columns (the exact test needs features)."""
    doc = "length(regexp_replace(upper(coalesce(document_number, '')), '[^A-Z0-9]', '', 'g')) < 5"
    no_dob = "coalesce(trim(date_of_birth), '') = ''"
    adm = f"NOT coalesce(regexp_full_match(upper(trim(admission_number)), '{ADMISSION_NUMBER_SQL}'), false)"
    return (
        f"(feed IN {_PLACED_FEEDS} AND {a_number_sql('a_number')} IS NULL AND {adm} AND ({doc} OR {no_dob}))"
    )


def _placeable(f: str) -> str:
    """A departure or status event feature row of alias `f` that a trip may place: no birth date,
    A-number or admission number — a name alone, or with a document or a filing's receipt that links it
    to nothing (alone after clustering)."""
    return f"({f}.dob_text IS NULL AND {f}.a9 IS NULL AND {f}.adm IS NULL)"


def _countries_sql(f: str) -> str:
    """`FROM` item giving a feature row of table alias `f` one row per country its names are keyed
    under (`{f}_country.country`): the citizenship ('' when unknown), and the document's issuing country
    when it differs (a passport of the country, the citizenship misrecorded; a document the United
    States issued, a visa or a border crossing card, says nothing of it)."""
    cit = f"coalesce({f}.cit, '')"
    other = f"{f}.doc_country <> {cit} AND {f}.doc_country <> 'USA'"  # NULL (no document) is no other
    return f"unnest(CASE WHEN {other} THEN [{cit}, {f}.doc_country] ELSE [{cit}] END) AS {f}_country(country)"


def _names_sql(f: str, form: str) -> str:
    """Both names of a feature row of table alias `f` in either order (their `form` columns: `skel` or
    `key`), and a country of the row (`_countries_sql`)."""
    fam, giv = f"{f}.fam_{form}", f"{f}.giv_{form}"
    return f"least({fam}, {giv}) || '|' || greatest({fam}, {giv}) || '|' || {f}_country.country"


def _key_sql(f: str) -> str:
    """The name key of a feature row of table alias `f`: both skeletons in either order, and a country."""
    return _names_sql(f, "skel")


def _cut_key_sql(f: str) -> str:
    """The names of a feature row of table alias `f` as spelled, with a family name of more than one
    word cut to its first (`fam_cut`), in either order, and a country; NULL for a one-word family
    name. ORTIZ SUAREZ FERNANDO cut is spelled as FERNANDO ORTIZ is (the second surname dropped, the
    names swapped). It is compared with spellings, not with skeletons: a cut name is already one error,
    and the skeleton of a cut word meets too many names (JIN, cut from a swapped JIN-WOO, and JIYEON).
    A cut at the first word misses surnames that begin with a particle (DE LA CRUZ GARCIA)."""
    cut, giv = f"{f}.fam_cut", f"{f}.giv_key"
    return f"CASE WHEN {cut} IS NOT NULL THEN least({cut}, {giv}) || '|' || greatest({cut}, {giv}) || '|' || {f}_country.country END"


def _with_cut(keyed: str) -> str:
    """Rows of the SELECT `keyed` (with columns `key` and `cut`) once with their name key (`whole`) and,
    for a family name of more than one word, once more with the cut spelling as `key` (`whole` false)."""
    return f"""WITH k AS ({keyed})
        SELECT * EXCLUDE (cut), TRUE AS whole FROM k
        UNION ALL SELECT * EXCLUDE (cut) REPLACE (cut AS key), FALSE AS whole FROM k WHERE cut IS NOT NULL"""


def key_nodes(keys: pa.Table) -> pa.Table:
    """`keys` (of `trip_keys` or `presence_keys`) with one more row per name key row whose `key` is its
    spelling (`spelled_keys`): every pair of rows placement matches (name keys equal, or a cut spelling
    equal to a spelling) then shares a `key`, so joining on it finds them all (and a few more)."""
    return pa.concat_tables([keys, spelled_keys(keys)])


def spelled_keys(keys: pa.Table) -> pa.Table:
    """The rows `key_nodes` adds to `keys`: each name key row (`whole`) with its spelling as its `key`, in
    the order of `keys`."""
    whole = keys.filter(pc.field("whole"))
    return whole.set_column(whole.schema.get_field_index("key"), "key", whole.column("spelling"))


def _spelling_sql(f: str) -> str:
    """The names of a feature row of table alias `f` as spelled (their keys, in either order), and a
    country: finer than the name key, whose skeletons make DENG and DONG, MITCHELL and MICHELLE one."""
    return _names_sql(f, "key")


def presence_keys(cur: duckdb.DuckDBPyConnection, feat: str, members: str) -> pa.Table:
    """record_uid, name key, spelling and `whole` of every presence record among the signature `members`
    (record_uid -> rep) of the signature table `feat` (see `trip_keys`): the keys scoring has already
    built, kept for `attach`."""
    keyed = f"""SELECT m.record_uid, {_key_sql("f")} AS key, {_spelling_sql("f")} AS spelling, {_cut_key_sql("f")} AS cut
                FROM {members} m JOIN {feat} f ON f.record_uid = m.rep, {_countries_sql("f")}
                WHERE split_part(m.record_uid, '/', 1) IN {_PRESENCE} AND f.fam_skel IS NOT NULL
                  AND f.giv_skel IS NOT NULL"""
    return fetch(cur, _with_cut(keyed))


def trip_keys(cur: duckdb.DuckDBPyConnection, records: pa.Table, present: pa.Table | None = None) -> pa.Table:
    """record_uid, kind ('presence' or 'name_only'), key, day, spelling and whole of every presence record
    with both names (and enough identity to link) and every name-only departure with a day; the key is
    the name skeletons in either order and a country of the record (`whole`; one row per country), and for a surname of more than
    one word also the names as spelled with the surname cut to its first word (a second row, `whole`
    false, matched against spellings: the second surname one record leaves out); the spelling is the
    names as spelled and the country.
    `present` (from `presence_keys`) spares building the presence records' features again."""
    if DAY not in records.column_names:
        return KEYS_SCHEMA.empty_table()
    wanted = (
        f"feed IN {_PLACED_FEEDS}"
        if present is not None
        else f"feed IN {sql_list((*PRESENCE_FEEDS, *PLACED_FEEDS))}"
    )
    cur.register("trip_in", records.select([*INPUT_COLUMNS, DAY]))
    try:
        cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in INPUT_COLUMNS)
        cur.execute(
            f"""CREATE OR REPLACE TABLE trip_src AS SELECT {cols}, FALSE AS is_new FROM trip_in
                WHERE {DAY} IS NOT NULL AND {wanted} AND (feed IN {_PRESENCE} OR {_maybe_name_only()})"""
        )
        build_features(cur, "trip_src", "trip_feat")
        built = _with_cut(
            f"""SELECT f.record_uid, CASE WHEN f.feed IN {_PLACED_FEEDS} THEN 'name_only' ELSE 'presence' END AS kind,
                       {_key_sql("f")} AS key, CAST(i.{DAY} AS DATE) AS day, {_spelling_sql("f")} AS spelling,
                       {_cut_key_sql("f")} AS cut
                FROM trip_feat f JOIN trip_in i USING (record_uid), {_countries_sql("f")}
                WHERE f.fam_skel IS NOT NULL AND f.giv_skel IS NOT NULL
                  AND CASE WHEN f.feed IN {_PLACED_FEEDS} THEN {_placeable("f")} ELSE {usable_sql("f")} END"""
        )
        if present is not None:
            cur.register("trip_present", present)
            built += f""" UNION ALL SELECT a.record_uid, 'presence', a.key, CAST(i.{DAY} AS DATE), a.spelling, a.whole
                         FROM trip_present a JOIN trip_in i USING (record_uid) WHERE i.{DAY} IS NOT NULL"""
        keys = fetch(cur, f"SELECT * FROM ({built}) ORDER BY record_uid")
    finally:
        cur.unregister("trip_in")
        if present is not None:
            cur.unregister("trip_present")
        cur.execute("DROP TABLE IF EXISTS trip_src; DROP TABLE IF EXISTS trip_feat")
    return keys.cast(KEYS_SCHEMA)


@dataclass(frozen=True)
class KeptClusters:
    """Records an incremental run places among without scoring or clustering them again (components a
    batch reaches only through a name key: `incremental._unscored`), with the clusters they had: one per
    component (each holds one person; a record that cannot be scored is alone in its component, and
    placed again by `attach`)."""

    records: pa.Table  # their rows, as the run's other records
    components: pa.Table  # record_uid, component
    presence: pa.Table | None = None  # their presence records' name keys (`presence_keys`); None: built

    def joined(self, records: pa.Table) -> pa.Table:
        """`records` (the run's re-resolved records) and these, sorted by record uid."""
        return pa.concat_tables([records, self.records.cast(records.schema)]).sort_by("record_uid")

    def added(
        self, records: pa.Table, clusters: pa.Table, present: pa.Table | None
    ) -> tuple[pa.Table, pa.Table, pa.Table | None]:
        """`records`, `clusters` (of `clustering.cluster`) and `present` with these records: each
        component a cluster numbered after the largest of `clusters`."""
        start = pc.max(clusters.column("cluster")).as_py() if clusters.num_rows else None
        codes = pc.dictionary_encode(self.components.column("component")).combine_chunks().indices
        numbers = pc.add(codes.cast(pa.int64()), (start if start is not None else -1) + 1)
        kept = pa.table(
            {"record_uid": self.components.column("record_uid"), "cluster": numbers,
             "component": self.components.column("component")}
        ).cast(clusters.schema)  # fmt: skip
        both = (
            None
            if present is None or self.presence is None
            else pa.concat_tables([present, self.presence.cast(present.schema)])
        )
        return self.joined(records), pa.concat_tables([clusters, kept]), both


def attach(
    cur: duckdb.DuckDBPyConnection,
    records: pa.Table,
    clusters: pa.Table,
    pairs: pa.Table,
    present: pa.Table | None = None,
) -> pa.Table:
    """`clusters` with each departure alone in its cluster moved into the one cluster whose person, by
    the other records of `records`, was in the country on the departure's day under its name key
    (name-only and undated departures) or with a pair in review with it — and each name-only status
    event alone, of `PLACED_FEEDS`, into the one of its name ever in the country by its day — and a column `placed_by`:
    the presence record of the trip that placed it (NULL for every other record).

    Reviewers' decisions in `pairs` (rule `reviewer`) hold: a departure a reviewer linked to someone
    is already placed, and a cluster holding a record a reviewer separated from it is no candidate.
    `present` are the presence records' name keys when scoring built them (`presence_keys`).
    """
    keys = trip_keys(cur, records, present)
    unsure = pc.any(pc.equal(pairs.column("decision"), "review")).as_py() and DAY in records.column_names
    if not unsure and not keys.filter(pc.equal(keys.column("kind"), "name_only")).num_rows:
        return clusters.append_column("placed_by", pa.nulls(clusters.num_rows, pa.string()))
    views = {"trip_keys": keys, "trip_days": records.select(["record_uid", "feed", DAY]),
             "trip_clusters": clusters.select(["record_uid", "cluster", "component"]),
             "trip_pairs": _review_and_reviewed(pairs)}  # fmt: skip
    for name, table in views.items():
        cur.register(name, table)
    try:
        cur.execute(
            """CREATE OR REPLACE TABLE trip_alone AS
               SELECT record_uid FROM trip_clusters QUALIFY count(*) OVER (PARTITION BY cluster) = 1"""
        )
        _unsure(cur, records)
        return fetch(
            cur,
            f"""WITH placed AS ({_PLACED})
                SELECT c.record_uid, coalesce(p.cluster, c.cluster) AS cluster, c.component, p.arrival AS placed_by
                FROM trip_clusters c LEFT JOIN placed p USING (record_uid) ORDER BY c.record_uid""",
        ).cast(clusters.schema.append(pa.field("placed_by", pa.string())))
    finally:
        for name in views:
            cur.unregister(name)
        for table in ("trip_alone", "trip_unsure", "trip_pair_src", "trip_pair_feat"):
            cur.execute(f"DROP TABLE IF EXISTS {table}")


def _review_and_reviewed(pairs: pa.Table) -> pa.Table:
    """The pairs placement reads: reviewers' decisions, and pairs the weights left in review."""
    rule, decision = pairs.column("rule"), pairs.column("decision")
    kept = pc.or_(pc.equal(rule, "reviewer"), pc.and_(pc.equal(rule, ""), pc.equal(decision, "review")))
    return pairs.select(["record_uid_l", "record_uid_r", "rule", "decision"]).filter(kept)


#: Feature columns the pair tests of `_unsure` read, per side.
_PAIR_COLUMNS = columns_read(surname_conflict_sql() + birth_dates_apart_sql())


def _unsure(cur: duckdb.DuckDBPyConnection, records: pa.Table) -> None:
    """Table `trip_unsure(a, b)`: each departure `a` alone in its cluster, with every record `b` the
    weights left in review with it (no hard rule) whose surname no known error sets apart, in a
    cluster no record of which states a birth date irreconcilably apart from the departure's: a
    person the departure may be, for its trip to decide."""
    cur.execute(
        f"""CREATE OR REPLACE TABLE trip_unsure AS
            WITH unsure AS (SELECT record_uid_l AS a, record_uid_r AS b FROM trip_pairs WHERE rule = '' AND decision = 'review'
                       UNION ALL SELECT record_uid_r, record_uid_l FROM trip_pairs WHERE rule = '' AND decision = 'review')
            SELECT u.a, u.b, c.cluster FROM unsure u JOIN trip_days d ON d.record_uid = u.a
            JOIN trip_clusters c ON c.record_uid = u.b SEMI JOIN trip_alone t ON t.record_uid = u.a
            WHERE d.feed = '{DEPARTURES}' AND d.{DAY} IS NOT NULL"""
    )
    cur.register("trip_in", records.select(INPUT_COLUMNS))
    try:
        cols = ", ".join(f"CAST(i.{c} AS VARCHAR) AS {c}" for c in INPUT_COLUMNS)
        cur.execute(
            f"""CREATE OR REPLACE TABLE trip_pair_src AS SELECT {cols}, FALSE AS is_new FROM trip_in i
                WHERE i.record_uid IN (SELECT a FROM trip_unsure UNION SELECT c.record_uid FROM trip_clusters c
                                       SEMI JOIN trip_unsure u ON u.cluster = c.cluster)"""
        )
    finally:
        cur.unregister("trip_in")
    build_features(cur, "trip_pair_src", "trip_pair_feat")
    cur.execute(
        f"""CREATE OR REPLACE TABLE trip_unsure AS
            WITH paired AS (SELECT u.a, u.b, u.cluster, c.record_uid AS member, {paired_columns(_PAIR_COLUMNS)}
                            FROM trip_unsure u JOIN trip_clusters c ON c.cluster = u.cluster
                            JOIN trip_pair_feat l ON l.record_uid = u.a JOIN trip_pair_feat r ON r.record_uid = c.record_uid),
            apart AS (SELECT DISTINCT a, cluster FROM paired WHERE {birth_dates_apart_sql()})
            SELECT p.a, p.b FROM paired p ANTI JOIN apart x ON x.a = p.a AND x.cluster = p.cluster
            WHERE p.member = p.b AND NOT coalesce({surname_conflict_sql()}, false)"""
    )


#: record_uid, cluster and the presence record that placed it, for each departure alone in its cluster
#: with exactly one candidate person in the country (for a status event, the one person of its name ever in
#: the country by its day: a school records a program's end, an office its decision, after the person may
#: have left, while a namesake stays): a person with a presence record of its name key (name-only
#: and undated departures), or spelled as its names with one side's family name cut (never both: ORTIZ
#: SUAREZ and ORTIZ LOPEZ are two families), or a person the model left it in review with (any departure).
#: Of several in the country, all carrying its name (`keyed`: of its name key, or under its first surname
#: alone), the one with a presence record spelling the names and country as the departure does, when
#: only one does: a person only in review with it, or under a longer family name, may be its traveller.
#: Of several in the country (any departure), the one whose next trip event after the day is an arrival
#: (no departure of theirs, nor an encounter that shows them still here, before it: `by_gap`), when only
#: one is and no departure of another day falls in that gap (`by_return`: a return says when one trip
#: ended); a spelling and a return that point at two people leave it alone.
_PLACED = f"""
    WITH name_only AS (SELECT record_uid, key, day, spelling, whole FROM trip_keys SEMI JOIN trip_alone USING (record_uid)
                  WHERE kind = 'name_only'),
    lone AS (SELECT record_uid, CAST({DAY} AS DATE) AS day FROM trip_days SEMI JOIN trip_alone USING (record_uid)
             WHERE feed = '{DEPARTURES}' AND {DAY} IS NOT NULL),
    separated AS (SELECT record_uid_l AS a, record_uid_r AS b FROM trip_pairs
                  WHERE rule = 'reviewer' AND decision = 'separate'
                  UNION ALL SELECT record_uid_r, record_uid_l FROM trip_pairs
                  WHERE rule = 'reviewer' AND decision = 'separate'),
    barred AS (SELECT DISTINCT s.a AS record_uid, c.cluster FROM separated s
               JOIN trip_clusters c ON c.record_uid = s.b),
    events AS (SELECT c.cluster, d.feed, d.record_uid, CAST(d.{DAY} AS DATE) AS day
               FROM trip_days d JOIN trip_clusters c USING (record_uid)
               WHERE d.{DAY} IS NOT NULL AND d.record_uid NOT IN (SELECT record_uid FROM lone)),
    presence AS (SELECT * FROM trip_keys WHERE kind = 'presence'),
    matched AS (SELECT n.record_uid, n.day, a.record_uid AS seen, a.spelling = n.spelling AS spelled, TRUE AS keyed
                FROM name_only n JOIN presence a ON a.key = n.key AND a.day <= n.day WHERE a.whole AND n.whole
                UNION ALL SELECT n.record_uid, n.day, a.record_uid, FALSE, TRUE
                FROM name_only n JOIN presence a ON a.spelling = n.key AND a.day <= n.day WHERE a.whole AND NOT n.whole
                UNION ALL SELECT n.record_uid, n.day, a.record_uid, FALSE, FALSE
                FROM name_only n JOIN presence a ON a.key = n.spelling AND a.day <= n.day WHERE n.whole AND NOT a.whole),
    named AS (SELECT m.record_uid, m.day, c.cluster, m.spelled, m.keyed
              FROM matched m JOIN trip_clusters c ON c.record_uid = m.seen),
    reviewed AS (SELECT n.record_uid, n.day, c.cluster, FALSE AS spelled, FALSE AS keyed FROM lone n JOIN trip_unsure u ON u.a = n.record_uid
                 JOIN trip_clusters c ON c.record_uid = u.b),
    candidate AS (SELECT k.record_uid, k.day, k.cluster, bool_or(k.spelled) AS spelled, bool_or(k.keyed) AS keyed
                  FROM (SELECT * FROM named UNION ALL SELECT * FROM reviewed) k
                  ANTI JOIN barred b ON b.record_uid = k.record_uid AND b.cluster = k.cluster GROUP BY ALL),
    last AS (SELECT n.record_uid, n.day, n.cluster, n.spelled, n.keyed,
                    arg_max(e.record_uid, strftime(e.day, '%Y-%m-%d') || e.record_uid)
                        FILTER (WHERE e.feed IN {_PRESENCE} AND e.day <= n.day) AS arrival,
                    max(e.day) FILTER (WHERE e.feed IN {_ENTRIES} AND e.day <= n.day) AS last_in,
                    max(e.day) FILTER (WHERE e.feed IN {_PRESENCE} AND e.day <= n.day) AS last_seen,
                    max(e.day) FILTER (WHERE e.feed = '{DEPARTURES}' AND e.day < n.day) AS last_out,
                    min(e.day) FILTER (WHERE e.feed = '{ARRIVALS}' AND e.day > n.day) AS next_in,
                    min(e.day) FILTER (WHERE e.feed = '{DEPARTURES}' AND e.day > n.day) AS next_out,
                    min(e.day) FILTER (WHERE e.feed = '{ENCOUNTERS}' AND e.day > n.day) AS next_seen
             FROM candidate n JOIN events e ON e.cluster = n.cluster
             GROUP BY ALL),
    inside AS (SELECT *, count(*) OVER w AS n, spelled AND bool_and(keyed) OVER w AS by_spelling,
                      NOT starts_with(record_uid, '{STATUS_EVENTS}/') AND next_in IS NOT NULL
                      AND coalesce(next_out > next_in, TRUE) AND coalesce(next_seen >= next_in, TRUE) AS by_gap
               FROM last WHERE CASE WHEN starts_with(record_uid, '{STATUS_EVENTS}/') THEN last_seen IS NOT NULL
                     ELSE last_in > coalesce(last_out, DATE '0001-01-01') OR (last_out IS NULL AND last_seen IS NOT NULL) END
               WINDOW w AS (PARTITION BY record_uid)),
    claimed AS (SELECT *, by_gap AND min(CASE WHEN by_gap THEN day END) OVER g = max(CASE WHEN by_gap THEN day END) OVER g
                          AS by_return
                FROM inside WINDOW g AS (PARTITION BY cluster, next_in)),
    tallied AS (SELECT *, sum(by_spelling::INTEGER) OVER w AS spelled_alike, sum(by_return::INTEGER) OVER w AS returned
                FROM claimed WINDOW w AS (PARTITION BY record_uid)),
    chosen AS (SELECT record_uid, cluster, arrival FROM tallied
               WHERE n = 1 OR (by_spelling AND spelled_alike = 1 AND (returned <> 1 OR by_return))
                  OR (by_return AND returned = 1 AND (spelled_alike <> 1 OR by_spelling)))
    SELECT record_uid, min(cluster) AS cluster, min(arrival) AS arrival FROM chosen
    GROUP BY record_uid HAVING count(*) = 1
"""
