"""Scoring inside a workspace: features, Splink predictions, hard rules and decisions."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from ilos.adapters.identity import frequencies
from ilos.adapters.identity.features import build_features
from ilos.adapters.identity.model import with_blocking
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


def predict(
    cur: duckdb.DuckDBPyConnection, feat: str, model: dict[str, Any], tf: dict[str, pa.Table], only_new: bool
) -> pa.Table:
    """Blocked pairs of `feat` (touching `is_new` rows when `only_new`), scored and decided.

    Pairs that weight alone separates (below LOWER, no hard rule) are dropped as they are scored:
    they are most blocked pairs and decide nothing. Every other pair is returned.
    """
    db_api = DuckDBAPI(cur)
    settings = with_blocking(model, only_new)
    settings["retain_intermediate_calculation_columns"] = False
    feat = candidates(cur, feat, settings["blocking_rules_to_generate_predictions"]) if only_new else feat
    linker = Linker(db_api.register(feat), settings, log_level=40)
    frequencies.register(linker, db_api, tf)
    pred = linker.inference.predict(warning_mode="never")
    cur.execute(
        f"""CREATE TABLE decided AS
            WITH ruled AS (
                SELECT record_uid_l, record_uid_r, match_weight, match_probability, {rule_sql()} AS rule
                FROM (SELECT p.record_uid_l, p.record_uid_r, p.match_weight::DOUBLE AS match_weight,
                             p.match_probability::DOUBLE AS match_probability, {_side("fl")}, {_side("fr")}
                      FROM {pred.physical_name} p
                      JOIN {feat} fl ON fl.record_uid = p.record_uid_l
                      JOIN {feat} fr ON fr.record_uid = p.record_uid_r))
            SELECT *, {decision_sql()} AS decision FROM ruled WHERE rule <> '' OR match_weight >= {LOWER}"""
    )
    pred.drop_table_from_database_and_remove_from_cache()
    _hold_ambiguous(cur)
    return fetch(cur, "SELECT * FROM decided ORDER BY record_uid_l, record_uid_r").cast(PAIR_SCHEMA)


def _hold_ambiguous(cur: duckdb.DuckDBPyConnection) -> None:
    """A signature the model would link to two signatures that a hard rule keeps apart (twins, two
    A-numbers) could belong to either person: its weight-based links go to review instead
    (rule `ambiguous`), so that it joins neither until a reviewer decides."""
    cur.execute(
        """CREATE TABLE ambiguous AS
           WITH und AS (SELECT record_uid_l AS x, record_uid_r AS y, rule, decision FROM decided
                        UNION ALL SELECT record_uid_r, record_uid_l, rule, decision FROM decided),
           linked AS (SELECT x, y FROM und WHERE decision = 'link' AND rule = ''),
           apart AS (SELECT x, y FROM und WHERE rule = 'twins')
           SELECT DISTINCT a.x FROM linked a JOIN linked b ON b.x = a.x AND a.y < b.y
           SEMI JOIN apart ON apart.x = a.y AND apart.y = b.y"""
    )
    cur.execute(
        """UPDATE decided SET decision = 'review', rule = 'ambiguous'
           WHERE decision = 'link' AND rule = ''
             AND (record_uid_l IN (SELECT x FROM ambiguous) OR record_uid_r IN (SELECT x FROM ambiguous))"""
    )
