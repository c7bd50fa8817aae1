"""Scoring inside a workspace: features, signatures, blocking, match weights, hard rules and decisions."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.identity import weights
from ilos.adapters.identity.comparisons import blocking_rules
from ilos.adapters.identity.features import build_features
from ilos.adapters.identity.rules import LOWER, decision_sql, rule_sql
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
)
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


def usable_sql() -> str:
    """Condition on a feature row: enough identity to link (a number, or a name with a birth date)."""
    return "(a9 IS NOT NULL OR adm IS NOT NULL OR doc_num IS NOT NULL OR (fam_key IS NOT NULL AND dob_text IS NOT NULL))"


def unusable_reason_sql() -> str:
    """CASE naming why a feature row cannot be linked (NULL when it can)."""
    return f"""CASE WHEN {usable_sql()} THEN NULL
        WHEN fam_key IS NULL AND giv_key IS NULL AND dob_text IS NULL THEN 'no_identity'
        WHEN fam_key IS NULL THEN 'no_family_name'
        WHEN giv_key IS NULL THEN 'family_name_only'
        ELSE 'name_without_birth_date_or_number' END"""


#: Feature columns that decide every comparison, rule and blocking key but the admission number:
#: records equal on all of them are one *identity signature*, scored once.
SIGNATURE = (
    "fam_key",
    "giv_key",
    "fam_first_skel",
    "giv_first_skel",
    "dob_text",
    "doc_num",
    "doc_country",
    "doc_type",
    "a9",
    "cit",
    "bcountry",
    "sex_code",
)


def prepare(cur: duckdb.DuckDBPyConnection, source: str) -> str:
    """Build features of `source`; return the name of the table of identity signatures.

    Usable records equal on every SIGNATURE column collapse into one row, represented by the
    smallest record uid, carrying the list of their admission numbers (`adms`) and `is_new` when
    any of them is new. Table `members` maps each usable record to its representative. A person's
    records mostly repeat one identity, so this divides the pairs to score several times over.
    """
    build_features(cur, source, "feat_all")
    sig = ", ".join(SIGNATURE)
    cur.execute(
        f"""CREATE TABLE members AS SELECT record_uid, min(record_uid) OVER (PARTITION BY {sig}) AS rep,
                   adm, is_new
            FROM feat_all WHERE {usable_sql()}"""
    )
    cur.execute(
        """CREATE TABLE feat AS
            WITH reps AS (SELECT rep, coalesce(list(DISTINCT adm ORDER BY adm) FILTER (WHERE adm IS NOT NULL), [])
                                      AS adms, bool_or(is_new) AS new
                          FROM members GROUP BY rep)
            SELECT f.* EXCLUDE (adm, is_new), reps.adms, reps.new AS is_new
            FROM feat_all f JOIN reps ON reps.rep = f.record_uid"""
    )
    return "feat"


def _key_exprs(rule: dict[str, Any]) -> list[str]:
    """The join keys of a blocking rule: each `EXPR(l) = EXPR(r)` conjunct, as an expression of one row."""
    keys = []
    for conjunct in rule["blocking_rule"].split(" AND "):
        left, _, right = conjunct.strip().partition(" = ")
        if right and left.replace("l.", "r.") == right and "r." not in left:
            keys.append(left.replace("l.", ""))
    return keys


def candidates(cur: duckdb.DuckDBPyConnection, feat: str, rules: list[dict[str, Any]]) -> str:
    """Table of `feat` rows that are new, or share every join key of some blocking rule with a new row.

    Scoring new rows against this subset blocks exactly the pairs it would block against all rows
    (a blocked pair shares its rule's keys), at a fraction of the cost.
    """
    matches = []
    for rule in rules:
        keys = _key_exprs(rule)
        exploded = rule.get("arrays_to_explode") or []
        if not keys:
            return feat  # a rule without join keys: no shortcut
        cols = [f"unnest({k}) AS k{j}" if k in exploded else f"{k} AS k{j}" for j, k in enumerate(keys)]
        on = " AND ".join(f"n.k{j} = a.k{j}" for j in range(len(keys)))
        sel = ", ".join(cols)
        matches.append(
            f"SELECT a.record_uid FROM (SELECT record_uid, {sel} FROM {feat}) a "
            f"SEMI JOIN (SELECT DISTINCT {sel} FROM {feat} WHERE is_new) n ON {on}"
        )
    cur.execute(
        f"""CREATE TABLE candidates AS SELECT * FROM {feat}
            WHERE is_new OR record_uid IN ({" UNION ".join(matches)})"""
    )
    return "candidates"


def _side(side: str) -> str:
    return ", ".join(f"{side}.{c} AS {c}_{'l' if side == 'fl' else 'r'}" for c in RULE_COLUMNS)


def _with_ids(cur: duckdb.DuckDBPyConnection, feat: str, tf: dict[str, pa.Table]) -> str:
    """Table `nfeat`: `feat` with an integer id in record-uid order and its term frequencies."""
    joins, cols = [], []
    for column, table in tf.items():
        cur.register(f"tf_lookup_{column}", table)
        joins.append(f"LEFT JOIN tf_lookup_{column} t_{column} ON t_{column}.{column} = f.{column}")
        cols.append(f"t_{column}.tf_{column}::DOUBLE AS tf_{column}")
    extra = "".join(f", {c}" for c in cols)
    cur.execute(
        f"""CREATE TABLE nfeat AS SELECT row_number() OVER (ORDER BY f.record_uid) AS nid, f.*{extra}
            FROM {feat} f {" ".join(joins)}"""
    )
    for column in tf:
        cur.unregister(f"tf_lookup_{column}")
    return "nfeat"


def block(cur: duckdb.DuckDBPyConnection, feat: str, rules: list[dict[str, Any]]) -> str:
    """Table `blocked(a, b)` of distinct id pairs (a < b) that any blocking rule joins."""
    parts = []
    for rule in rules:
        exploded = rule.get("arrays_to_explode") or []
        side = feat
        if exploded:
            side = f"(SELECT * REPLACE ({', '.join(f'unnest({c}) AS {c}' for c in exploded)}) FROM {feat})"
        parts.append(
            f"SELECT l.nid AS a, r.nid AS b FROM {side} l JOIN {side} r ON {rule['blocking_rule']} AND l.nid < r.nid"
        )
    cur.execute(f"CREATE TABLE blocked AS {' UNION '.join(parts)}")
    return "blocked"


def predict(
    cur: duckdb.DuckDBPyConnection, feat: str, model: dict[str, Any], tf: dict[str, pa.Table], only_new: bool
) -> pa.Table:
    """Blocked pairs of `feat` (touching `is_new` rows when `only_new`), scored and decided.

    Pairs that weight alone separates (below LOWER, no hard rule) are dropped as they are scored:
    they are most blocked pairs and decide nothing. Every other pair is returned.
    """
    rules = blocking_rules(only_new)
    feat = candidates(cur, feat, rules) if only_new else feat
    nfeat = _with_ids(cur, feat, tf)
    blocked = block(cur, nfeat, rules)
    used = sorted(weights.columns_used(model) | set(RULE_COLUMNS) | {"record_uid"})
    sides = ", ".join(f"{s}.{c} AS {c}_{s}" for c in used for s in ("l", "r"))
    cur.execute(
        f"""CREATE TABLE decided AS
            WITH paired AS (SELECT {sides} FROM {blocked} p JOIN {nfeat} l ON l.nid = p.a JOIN {nfeat} r ON r.nid = p.b),
            weighed AS (SELECT record_uid_l, record_uid_r, ({weights.match_weight_sql(model)})::DOUBLE AS match_weight,
                               {rule_sql()} AS rule FROM paired),
            ruled AS (SELECT record_uid_l, record_uid_r, match_weight,
                             (pow(2, match_weight) / (1 + pow(2, match_weight)))::DOUBLE AS match_probability, rule
                      FROM weighed WHERE rule <> '' OR match_weight >= {LOWER})
            SELECT *, {decision_sql()} AS decision FROM ruled"""
    )
    _hold_ambiguous(cur)
    return fetch(cur, "SELECT * FROM decided").cast(PAIR_SCHEMA)


def _hold_ambiguous(cur: duckdb.DuckDBPyConnection) -> None:
    """A signature the model would link to both signatures of a `twins` pair could belong to either
    person: its weight-based links go to review instead
    (rule `ambiguous`), so that it joins neither until a reviewer decides."""
    cur.execute(
        """CREATE TABLE ambiguous AS
           WITH linked AS (SELECT record_uid_l AS x, record_uid_r AS y FROM decided WHERE decision = 'link' AND rule = ''
                           UNION ALL
                           SELECT record_uid_r, record_uid_l FROM decided WHERE decision = 'link' AND rule = ''),
           apart AS (SELECT record_uid_l AS y, record_uid_r AS z FROM decided WHERE rule = 'twins')
           SELECT DISTINCT a.x FROM apart t JOIN linked a ON a.y = t.y JOIN linked b ON b.y = t.z AND b.x = a.x"""
    )
    cur.execute(
        """UPDATE decided SET decision = 'review', rule = 'ambiguous'
           WHERE decision = 'link' AND rule = ''
             AND (record_uid_l IN (SELECT x FROM ambiguous) OR record_uid_r IN (SELECT x FROM ambiguous))"""
    )
