"""Scoring inside a workspace: features, signatures, blocking, match weights, hard rules and decisions."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity import completion, weights
from ilos.adapters.identity.blocking_keys import BlockingKeys, rule_keys
from ilos.adapters.identity.comparisons import blocking_rules
from ilos.adapters.identity.features import build_features
from ilos.adapters.identity.rules import LOWER, decision_sql, given_slip_sql, paired_columns, rule_sql
from ilos.adapters.identity.workspace import fetch

#: Feature columns the hard rules read, per side.
RULE_COLUMNS = (
    "a9",
    "adms",
    "doc_num",
    "doc_country",
    "dob_text",
    "dob",
    "dob_y",
    "dob_m",
    "dob_d",
    "dob_date",
    "fam_key",
    "giv_key",
    "fam_skel",
    "giv_skel",
    "fam_first_skel",
    "giv_first_skel",
    "sex_code",
    "giv_abjad",
    "giv_abjad_skel",
)
#: Match weight (bits) by which a signature's link to one of two twins must outweigh its link to the
#: other for the signature to go with the first without review.
CLEAR_MARGIN = 8.0
PAIR_SCHEMA = pa.schema(
    [
        ("record_uid_l", pa.string()),
        ("record_uid_r", pa.string()),
        ("match_weight", pa.float64()),
        ("match_probability", pa.float64()),
        ("rule", pa.string()),
        ("decision", pa.string()),
    ]
)


def usable_sql(alias: str = "") -> str:
    """Condition on a feature row (of table `alias`, if given): enough identity to link (a number,
    or a name with a birth date)."""
    a = f"{alias}." if alias else ""
    return (
        f"({a}a9 IS NOT NULL OR {a}adm IS NOT NULL OR {a}receipt IS NOT NULL OR {a}doc_num IS NOT NULL"
        f" OR ({a}fam_key IS NOT NULL AND {a}dob_text IS NOT NULL))"
    )


def unusable_reason_sql() -> str:
    """CASE naming why a feature row cannot be linked on its own identity (NULL when it can); a
    record only its criminal matter or filing identifies (`thin_incident`) is named too: it links to
    its matter's or filing's records alone."""
    return f"""CASE WHEN {usable_sql()} AND thin_incident IS NULL THEN NULL
        WHEN fam_key IS NULL AND giv_key IS NULL AND dob_text IS NULL THEN 'no_identity'
        WHEN fam_key IS NULL THEN 'no_family_name'
        WHEN giv_key IS NULL THEN 'family_name_only'
        ELSE 'name_without_birth_date_or_number' END"""


#: Feature columns that decide every comparison, rule and blocking key but the shared numbers
#: (`adm`, `receipt`): records equal on all of them are one *identity signature*, scored once. A record
#: only its criminal matter or filing identifies keeps a signature of its own (`thin_incident`): two
#: people's convictions under one name would otherwise be one signature carrying both matters. `fam_cut`
#: decides no pair, but a trip's name keys read it (`trips`), so every member shares it.
SIGNATURE = (
    "fam_key",
    "giv_key",
    "giv_abjad",
    "fam_first_skel",
    "giv_first_skel",
    "fam_cut",
    "dob_text",
    "doc_num",
    "doc_country",
    "doc_type",
    "a9",
    "cit",
    "bcountry",
    "sex_code",
    "thin_incident",
)


#: The column of a signature row holding its key (`signature_key_sql`), set where the row is made.
SIGNATURE_KEY = "sig_key"


def signature_key_sql(alias: str = "") -> str:
    """SQL for the key of a signature row (of table `alias`, if given): the first 64 bits of the md5 of
    its SIGNATURE values (DuckDB's `md5_number_upper`), an unsigned number. For finding a signature by
    its values (`identity.repeats`); what a key finds is compared value by value."""
    a = f"{alias}." if alias else ""
    parts = ", ".join(f"coalesce(CAST({a}{c} AS VARCHAR), chr(0))" for c in SIGNATURE)
    return f"md5_number_upper(concat_ws(chr(31), {parts}))"


def prepare(cur: duckdb.DuckDBPyConnection, source: str) -> str:
    """Build features of `source`; return the name of the table of identity signatures.

    Usable records equal on every SIGNATURE column collapse into one row, represented by the
    smallest record uid, carrying the list of their admission numbers (`adms`), `is_new` when
    any of them is new, and its key (`SIGNATURE_KEY`). Table `members` maps each usable record to its representative. A person's
    records mostly repeat one identity, so this divides the pairs to score several times over.
    """
    build_features(cur, source, "feat_all")
    sig = ", ".join(SIGNATURE)
    cur.execute(
        f"""CREATE TABLE members AS SELECT record_uid, min(record_uid) OVER (PARTITION BY {sig}) AS rep,
                   adm, receipt, is_new
            FROM feat_all WHERE {usable_sql()}"""
    )
    cur.execute(
        f"""CREATE TABLE feat AS
            WITH reps AS (SELECT rep, list_sort(list_distinct(list_concat(
                                          coalesce(list(adm) FILTER (WHERE adm IS NOT NULL), []),
                                          coalesce(list(receipt) FILTER (WHERE receipt IS NOT NULL), []))))
                                      AS adms, bool_or(is_new) AS new
                          FROM members GROUP BY rep)
            SELECT f.* EXCLUDE (adm, receipt, is_new), reps.adms, reps.new AS is_new,
                   {signature_key_sql("f")} AS {SIGNATURE_KEY}
            FROM feat_all f JOIN reps ON reps.rep = f.record_uid"""
    )
    cur.execute("DROP TABLE feat_all")
    return "feat"


def restore(cur: duckdb.DuckDBPyConnection, feat: pa.Table, members: pa.Table) -> str:
    """Views `feat` and `members` over what `prepare` built earlier (fetched as Arrow, not copied)."""
    cur.register("feat", feat)
    cur.register("members", members)
    return "feat"


def tf_columns(tf: dict[str, pa.Table]) -> list[str]:
    """The term-frequency columns `_with_ids` adds."""
    return [f"tf_{column}" for column in tf]


def _with_ids(cur: duckdb.DuckDBPyConnection, feat: str, tf: dict[str, pa.Table], columns: list[str]) -> str:
    """Table `nfeat`: `columns` of `feat` with an integer id in record-uid order and term frequencies."""
    joins, cols = [], []
    for column, table in tf.items():
        cur.register(f"tf_lookup_{column}", table)
        joins.append(f"LEFT JOIN tf_lookup_{column} t_{column} ON t_{column}.{column} = f.{column}")
        cols.append(f"t_{column}.tf_{column}::DOUBLE AS tf_{column}")
    extra = "".join(f", {c}" for c in cols)
    cur.execute(
        f"""CREATE TABLE nfeat AS SELECT row_number() OVER (ORDER BY f.record_uid) AS nid,
                   {", ".join(f"f.{c}" for c in columns)}{extra}
            FROM {feat} f {" ".join(joins)}"""
    )
    for column in tf:
        cur.unregister(f"tf_lookup_{column}")
    return "nfeat"


def exploded(feat: str, rule: dict[str, Any]) -> str:
    """`feat`, with the rule's list columns exploded to one row per element."""
    lists = rule.get("arrays_to_explode") or []
    if not lists:
        return feat
    return f"(SELECT * REPLACE ({', '.join(f'unnest({c}) AS {c}' for c in lists)}) FROM {feat})"


#: Signature ids below this fit one half of a signed 64-bit pair key (`block`).
PACKABLE_IDS = 2**31


def block(cur: duckdb.DuckDBPyConnection, feat: str, rules: list[dict[str, Any]]) -> str:
    """Table `blocked(a, b)` of distinct id pairs (a < b) that any blocking rule joins.

    The rules' pairs are written first, as one 64-bit key each, and de-duplicated after: a pair
    matches several rules (a person's records share names, birth date and citizenship), and one
    DISTINCT over the stored keys took a quarter less time than a UNION of the joins (measured on
    3M records: 23 s against 31 s, 52M pairs out of about five times as many, same peak memory).
    """
    packed = int(cur.sql(f"SELECT coalesce(max(nid), 0) FROM {feat}").fetchall()[0][0]) < PACKABLE_IDS
    key = "(l.nid::BIGINT << 32) | r.nid AS k" if packed else "l.nid AS a, r.nid AS b"
    parts = []
    for rule in rules:
        side = exploded(feat, rule)
        on = f"{rule['blocking_rule']} AND l.nid < r.nid"
        parts.append(f"SELECT {key} FROM {side} l JOIN {side} r ON {on}")
    cur.execute(f"CREATE TABLE blocked_raw AS {' UNION ALL '.join(parts)}")
    pair = "k >> 32 AS a, k & 4294967295 AS b" if packed else "a, b"
    cur.execute(f"CREATE TABLE blocked AS SELECT DISTINCT {pair} FROM blocked_raw")
    cur.execute("DROP TABLE blocked_raw")
    return "blocked"


def blocked_side(cur: duckdb.DuckDBPyConnection, feat: str, keys: BlockingKeys, rows: pa.Table) -> str:
    """Table `block_side`: the `is_new` rows of `feat`, and the rows of the others that share a blocking
    key with one of them (`keys`: the blocking index of the rows not new); `block_new` over it finds the
    pairs it finds over `feat` (`blocking_keys`). `rows`: every row of `feat` as a table (an index's
    signature rows after the batch), which the candidates' rows are taken from instead of scanning
    `feat` (0.1 s a batch at 563,631 records)."""
    if [rule_keys(rule) for rule in blocking_rules(True)] != keys.rules:
        raise ValueError("the blocking index was built for other blocking rules")
    cur.execute(f"CREATE TABLE block_side AS SELECT * FROM {feat} WHERE is_new")
    candidates = rows.filter(pc.is_in(rows.column("record_uid"), keys.candidates(cur, "block_side")))
    cur.register("block_candidates", candidates)
    cur.execute(
        """INSERT INTO block_side BY NAME SELECT * REPLACE (false AS is_new) FROM block_candidates
           WHERE record_uid NOT IN (SELECT record_uid FROM block_side WHERE is_new)"""
    )
    cur.unregister("block_candidates")
    return "block_side"


def block_new(
    cur: duckdb.DuckDBPyConnection,
    feat: str,
    rules: list[dict[str, Any]],
    tf: dict[str, pa.Table],
    columns: list[str],
) -> tuple[str, str]:
    """Tables `nfeat` and `blocked(a, b)` for the pairs touching an `is_new` row of `feat`.

    Each rule is joined once, from the new rows on its left to every row on its right, so the cost
    follows the batch, not the population; only the rows of these pairs get ids and features.
    That finds every pair `block` finds because the rule set is closed under swapping its sides
    (`comparisons.blocking_rules`): a pair that a rule joins with the new row on the right, the
    mirrored rule joins with it on the left.
    """
    parts = []
    for rule in rules:
        side = exploded(feat, rule)
        new = f"(SELECT * FROM {side} WHERE is_new)"
        on = f"{rule['blocking_rule']} AND l.record_uid <> r.record_uid"
        parts.append(
            f"SELECT least(l.record_uid, r.record_uid) AS a, greatest(l.record_uid, r.record_uid) AS b"
            f" FROM {new} l JOIN {side} r ON {on}"
        )
    cur.execute(f"CREATE TABLE uid_pairs AS {' UNION '.join(parts)}")
    cur.execute(
        f"""CREATE TABLE partners AS SELECT {", ".join(columns)} FROM {feat}
            WHERE is_new OR record_uid IN (SELECT a FROM uid_pairs UNION SELECT b FROM uid_pairs)"""
    )
    nfeat = _with_ids(cur, "partners", tf, columns)
    cur.execute(
        f"""CREATE TABLE blocked AS SELECT l.nid AS a, r.nid AS b FROM uid_pairs p
            JOIN {nfeat} l ON l.record_uid = p.a JOIN {nfeat} r ON r.record_uid = p.b"""
    )
    return nfeat, "blocked"


def decided_sql(blocked: str, nfeat: str, used: list[str], model: dict[str, Any]) -> str:
    """SELECT of the scored pairs of `blocked` kept (a hard rule, or weight at least LOWER), decided.

    The weight is computed in a query of its own below the rules that read it: in one SELECT list,
    DuckDB copies an alias's expression into each later use, and the hard rules read the weight
    twice, which cost a third of this query's time.
    """
    sides = paired_columns(used)
    return f"""
        WITH paired AS (SELECT p.a, p.b, {sides} FROM {blocked} p
                        JOIN {nfeat} l ON l.nid = p.a JOIN {nfeat} r ON r.nid = p.b),
        weighted AS (SELECT *, ({weights.match_weight_sql(model)})::DOUBLE AS match_weight FROM paired),
        ruled AS (SELECT a, b, match_weight, {rule_sql()} AS rule FROM weighted),
        kept AS (SELECT a, b, match_weight,
                        (pow(2, match_weight) / (1 + pow(2, match_weight)))::DOUBLE AS match_probability, rule
                 FROM ruled WHERE rule <> '' OR match_weight >= {LOWER})
        SELECT *, {decision_sql()} AS decision FROM kept"""


def compare(
    cur: duckdb.DuckDBPyConnection,
    feat: str,
    model: dict[str, Any],
    tf: dict[str, pa.Table],
    only_new: bool,
    keep_compared: bool = False,
) -> str:
    """Tables `nfeat` (returned) and `decided`: the blocked pairs of `feat` (touching `is_new` rows when
    `only_new`), scored and decided; on every row, then, the pairs two links apart that blocking
    missed (`completion`). With `keep_compared`, table `compared(a, b)` keeps every pair scored (to
    measure blocking recall)."""
    rules = blocking_rules(only_new)
    used = sorted(weights.columns_used(model) | set(RULE_COLUMNS))
    keys = {c for rule in rules for c in re.findall(r"\b[lr]\.([a-z0-9_]+)", rule["blocking_rule"])}
    columns = sorted((keys | set(used) | {"record_uid", "is_new"}) - set(tf_columns(tf)))
    if only_new:
        nfeat, blocked = block_new(cur, feat, rules, tf, columns)
    else:
        nfeat = _with_ids(cur, feat, tf, columns)
        blocked = block(cur, nfeat, rules)
    cur.execute(f"CREATE TABLE decided AS {decided_sql(blocked, nfeat, used, model)}")
    if keep_compared:
        cur.execute(f"CREATE TABLE compared AS SELECT a, b FROM {blocked}")
    cur.execute(f"DROP TABLE {blocked}")  # the largest table: free it before fetching the result
    if not only_new:
        pairs = completion.group_pairs(cur, "decided", nfeat)
        cur.execute(f"INSERT INTO decided {decided_sql(pairs, nfeat, used, model)}")
        if keep_compared:
            cur.execute(f"INSERT INTO compared SELECT a, b FROM {pairs}")
        cur.execute(f"DROP TABLE {pairs}")
    return nfeat


def predict(
    cur: duckdb.DuckDBPyConnection,
    feat: str,
    model: dict[str, Any],
    tf: dict[str, pa.Table],
    only_new: bool,
) -> pa.Table:
    """The pairs of `feat` that `compare` scores (blocked, and completed through the links unless
    `only_new`), decided.

    Pairs that weight alone separates (below LOWER, no hard rule) are dropped as they are scored:
    they are most blocked pairs and decide nothing. Every other pair is returned.
    """
    nfeat = compare(cur, feat, model, tf, only_new)
    _doubt_twins(cur, nfeat)
    _find_ambiguous(cur)
    held = """decision = 'link' AND rule = ''
               AND (a IN (SELECT x FROM ambiguous) OR b IN (SELECT x FROM ambiguous)
                    OR (a, b) IN (SELECT a, b FROM outweighed))"""
    sql = f"""SELECT l.record_uid AS record_uid_l, r.record_uid AS record_uid_r, match_weight, match_probability,
                     CASE WHEN {held} THEN 'ambiguous' ELSE rule END AS rule,
                     CASE WHEN {held} THEN 'review' ELSE decision END AS decision
              FROM decided d JOIN {nfeat} l ON l.nid = d.a JOIN {nfeat} r ON r.nid = d.b"""
    return fetch(cur, sql).cast(PAIR_SCHEMA)


#: Records (distinct identity signatures) with a given name that must link to both "twins", spelled at
#: most one recording from each, for the two given names to count as one name.
SPELLERS = 2


def _doubt_twins(cur: duckdb.DuckDBPyConnection, nfeat: str) -> None:
    """Undo the `twins` rule of a pair that other records show to be one person's, misspelt.

    - Documents: a record carrying one twin's document links to a record carrying the other's.
      Twins' records carry each twin's own name, so a record of one twin's passport never links to a
      record of the other's (those pairs are twins too). One person's renewed passports do link,
      through records that spell the name alike.
    - Spellings: at least SPELLERS records link to both twins with a given name at most one recording
      from each (`rules.given_slip_sql`): LAYLA, one slip from LAYLS and LEILA written with other
      vowels. A twin's record carries that twin's name, which is further than that from the other's
      (twins' names are not `given_variant_sql` of each other); a record without given names counts
      for neither. Twins of stated different sexes are kept apart whatever the spellings: LUZ and
      LUIS share a skeleton, and so do the records of either that state no sex.

    The two "twins" are then that person's records with misspelt given names (FAIMA typed, فاطمہ in
    Arabic script, both FATIMA), and kept apart they would make every other record of the person
    ambiguous and split it. The pair is weighed like any other."""
    link = "decision = 'link' AND rule = ''"
    given = paired_columns(("giv_key", "giv_skel"), "fx", "ft")
    cur.execute(
        f"""CREATE TABLE doubted AS
            WITH apart AS (SELECT a AS y, b AS z FROM decided WHERE rule = 'twins'),
            twin AS (SELECT y AS t FROM apart UNION SELECT z FROM apart),
            linked AS (SELECT a AS x, b AS y FROM decided WHERE {link}
                       UNION ALL SELECT b, a FROM decided WHERE {link}),
            to_twin AS (SELECT a AS x, b AS y FROM decided WHERE {link} AND b IN (SELECT t FROM twin)
                        UNION ALL SELECT b, a FROM decided WHERE {link} AND a IN (SELECT t FROM twin)),
            near AS (SELECT l.y AS t, l.x, fx.doc_num = ft.doc_num AND fx.doc_country = ft.doc_country AS mate, {given}
                     FROM to_twin l JOIN {nfeat} fx ON fx.nid = l.x JOIN {nfeat} ft ON ft.nid = l.y),
            mates AS (SELECT t, x FROM near WHERE mate),
            spellers AS (SELECT t, x FROM near WHERE giv_key_l IS NOT NULL AND {given_slip_sql()})
            SELECT DISTINCT p.y AS a, p.z AS b FROM apart p JOIN mates my ON my.t = p.y JOIN mates mz ON mz.t = p.z
            JOIN linked l ON l.x = my.x AND l.y = mz.x
            UNION
            SELECT p.y, p.z FROM apart p JOIN spellers sy ON sy.t = p.y JOIN spellers sz ON sz.t = p.z AND sz.x = sy.x
            JOIN {nfeat} fy ON fy.nid = p.y JOIN {nfeat} fz ON fz.nid = p.z
            WHERE NOT coalesce(fy.sex_code <> fz.sex_code, false)
            GROUP BY ALL HAVING count(DISTINCT sy.x) >= {SPELLERS}"""
    )
    cur.execute(
        f"""UPDATE decided SET rule = '', decision = {decision_sql("''")}
            WHERE rule = 'twins' AND (a, b) IN (SELECT a, b FROM doubted)"""
    )


def _find_ambiguous(cur: duckdb.DuckDBPyConnection) -> None:
    """Tables `ambiguous(x)` and `outweighed(a, b)` for signatures the model would link to both
    signatures of a `twins` pair.

    Such a signature goes with whatever evidence clearly decides, by CLEAR_MARGIN bits: when its
    strongest link (a shared passport, say) outweighs both links of a pair,
    only those two go to review (`outweighed`) and the strongest link places it; when one twin link
    outweighs the other, only the weaker goes to review. A link to a signature pulled both ways
    itself (one without given names, as ambiguous as this one) places nothing. Otherwise it could
    belong to either person: all its weight-based links go to review (`ambiguous`), so that it
    joins neither until a reviewer decides.
    """
    link = "decision = 'link' AND rule = ''"
    cur.execute(
        f"""CREATE TABLE pulled AS
            WITH apart AS (SELECT a AS y, b AS z FROM decided WHERE rule = 'twins'),
            twin AS (SELECT y AS t FROM apart UNION SELECT z FROM apart),
            linked AS (SELECT a AS x, b AS y, match_weight AS w FROM decided WHERE {link} AND b IN (SELECT t FROM twin)
                       UNION ALL
                       SELECT b, a, match_weight FROM decided WHERE {link} AND a IN (SELECT t FROM twin))
            SELECT l.x, l.y, l.w AS wy, m.y AS z, m.w AS wz
            FROM apart t JOIN linked l ON l.y = t.y JOIN linked m ON m.y = t.z AND m.x = l.x"""
    )
    cur.execute(
        f"""CREATE TABLE torn AS
            WITH px AS (SELECT DISTINCT x FROM pulled),
            linked AS (SELECT a AS x, b AS y, match_weight AS w FROM decided WHERE {link} AND a IN (SELECT x FROM px)
                       UNION ALL
                       SELECT b, a, match_weight FROM decided WHERE {link} AND b IN (SELECT x FROM px)),
            best AS (SELECT x, max(w) AS best FROM linked WHERE y NOT IN (SELECT x FROM px) GROUP BY x)
            SELECT p.*, coalesce(best.best, -1e9) AS best FROM pulled p LEFT JOIN best USING (x)"""
    )
    placed = f"best - greatest(wy, wz) >= {CLEAR_MARGIN}"
    lopsided = f"abs(wy - wz) >= {CLEAR_MARGIN}"
    cur.execute(
        f"CREATE TABLE ambiguous AS SELECT DISTINCT x FROM torn WHERE NOT ({placed}) AND NOT ({lopsided})"
    )
    cur.execute(
        f"""CREATE TABLE outweighed AS
            SELECT DISTINCT least(x, other) AS a, greatest(x, other) AS b FROM (
                SELECT x, unnest(CASE WHEN {placed} THEN [y, z] WHEN wy < wz THEN [y] ELSE [z] END) AS other
                FROM torn)"""
    )
