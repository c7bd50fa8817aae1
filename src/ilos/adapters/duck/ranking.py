"""A policy pack compiled to set-at-a-time SQL over `facts` and `holds`.

Each rule becomes one SELECT of the persons whose facts meet all its conditions (`fired`); a
person's score is the sum of aggravating weights minus mitigating ones; the tier is the first tier
in pack order that a tier rule reaches and whose `min_score` the score meets. Holds in force with a
blocking scope, or a discretionary hold the pack excludes, mark the person held.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from ilos.adapters.duck.holds import in_force
from ilos.domain.facts import CONVICTION_CATEGORIES, REMOVABLE_FLAGS
from ilos.domain.holds import BLOCKING_SCOPES, HOLD_KINDS
from ilos.domain.policy import Condition, Pack

#: Facts that make a person removable (a lead counts: it still needs a tier rule, which leads cannot feed).
REMOVABILITY = (
    " OR ".join(REMOVABLE_FLAGS)
    + " OR unlawful_entry_on IS NOT NULL OR coalesce(suspected_overstay_days, 0) > 0 OR "
    + " + ".join(f"convictions_{c.lower()}" for c in CONVICTION_CATEGORIES if c != "INFRACTION")
    + " > 0"
)


def condition_sql(c: Condition, day: str) -> str:
    """One condition as SQL over `facts` (a missing value meets no condition but `present = false`)."""
    value = c.value
    if isinstance(value, bool) or not isinstance(value, int):
        return _flag_or_date_sql(c, day)
    if c.op in ("at_least", "at_most"):
        return f"{c.fact} {'>=' if c.op == 'at_least' else '<='} {value}"
    years = f"CAST({day} - INTERVAL {value} YEAR AS DATE)"
    return f"{c.fact} {'>=' if c.op == 'within_years' else '<'} {years}"


def _flag_or_date_sql(c: Condition, day: str) -> str:
    value = c.value
    if c.op == "is":
        return f"{c.fact} = {str(value).lower()}"
    if c.op == "present":
        return f"{c.fact} IS {'NOT ' if value else ''}NULL"
    return f"{c.fact} {'>=' if c.op == 'on_or_after' else '<'} DATE '{value}'"


def _fired_sql(pack: Pack, day: str) -> str:
    parts = []
    for order, rule in enumerate(pack.rules):
        where = " AND ".join(f"coalesce({condition_sql(c, day)}, false)" for c in rule.when)
        sources = " || ';' || ".join(f"coalesce(src_{c.fact}, '')" for c in rule.when)
        tier = f"'{rule.tier}'" if rule.tier else "NULL"
        parts.append(
            f"SELECT person_id, {order} AS rule_order, '{rule.id}' AS rule, '{rule.kind}' AS kind, {tier} AS tier, "
            f"{rule.weight} AS weight, {sources} AS sources FROM facts WHERE {where}"
        )
    return " UNION ALL ".join(parts)


def _tiers_table(pack: Pack) -> pa.Table:
    return pa.table(
        {
            "tier": [t.name for t in pack.tiers],
            "tier_order": pa.array(range(1, len(pack.tiers) + 1), pa.int32()),
            "min_score": pa.array([t.min_score for t in pack.tiers], pa.int64()),
        }
    )


def rank(cur: duckdb.DuckDBPyConnection, pack: Pack, as_of: date) -> None:
    """Tables `fired`, `held`, `ranked(person_id, tier, tier_order, score, removable, held, holds, reasons)`
    and `review(person_id, rules, sources)`."""
    day = f"DATE '{as_of.isoformat()}'"
    cur.register("pack_tiers_arrow", _tiers_table(pack))
    blocking = ", ".join(f"'{h.code}'" for h in HOLD_KINDS if h.scope in BLOCKING_SCOPES)
    excluded = ", ".join(f"'{c}'" for c in sorted(pack.excludes)) or "NULL"
    cur.execute(
        f"""
        CREATE TABLE pack_tiers AS SELECT * FROM pack_tiers_arrow;
        CREATE TABLE fired AS {_fired_sql(pack, day)};
        CREATE TABLE held AS
        SELECT pkey AS person_id,
               string_agg(DISTINCT code, ';' ORDER BY code) AS holds,
               bool_or(split_part(code, ':', 1) IN ({blocking}) OR code IN ({excluded})) AS blocked
        FROM holds WHERE {in_force(day)} GROUP BY pkey;
        CREATE TABLE scored AS
        SELECT f.person_id, {REMOVABILITY} AS removable,
               coalesce((SELECT sum(CASE WHEN kind = 'aggravating' THEN weight ELSE -weight END) FROM fired x
                         WHERE x.person_id = f.person_id AND kind IN ('aggravating', 'mitigating')), 0) AS score
        FROM facts f;
        CREATE TABLE ranked AS
        SELECT s.person_id, s.removable, s.score, t.tier, t.tier_order, coalesce(h.blocked, false) AS held,
               coalesce(h.holds, '') AS holds,
               (SELECT string_agg(x.rule || ':' || substr(u, strpos(u, '/') + 1), ';'
                                  ORDER BY x.rule_order, u)
                FROM fired x, unnest(string_split(x.sources, ';')) AS v(u)
                WHERE x.person_id = s.person_id AND x.kind <> 'review' AND u <> ''
                  AND (x.kind <> 'tier' OR x.tier = t.tier)) AS reasons
        FROM scored s
        LEFT JOIN (SELECT x.person_id, arg_min(p.tier, p.tier_order) AS tier, min(p.tier_order) AS tier_order
                   FROM fired x JOIN pack_tiers p ON p.tier = x.tier JOIN scored s USING (person_id)
                   WHERE x.kind = 'tier' AND (p.min_score IS NULL OR s.score >= p.min_score)
                   GROUP BY x.person_id) t USING (person_id)
        LEFT JOIN held h USING (person_id);
        CREATE TABLE review AS
        SELECT x.person_id, string_agg(DISTINCT x.rule, ';' ORDER BY x.rule) AS rules,
               string_agg(DISTINCT substr(u, strpos(u, '/') + 1), ';' ORDER BY substr(u, strpos(u, '/') + 1)) AS sources
        FROM fired x, unnest(string_split(x.sources, ';')) AS v(u)
        WHERE x.kind = 'review' AND u <> '' AND x.person_id NOT IN (SELECT person_id FROM held WHERE blocked)
        GROUP BY x.person_id
        """
    )
    cur.unregister("pack_tiers_arrow")


def worklist_query(include_held: bool) -> str:
    """The contract's worklist columns from `ranked`: listed persons, rank 1 first, ties by person id."""
    held = "" if include_held else "AND NOT held"
    return f"""
        SELECT row_number() OVER (ORDER BY held, tier_order, score DESC, person_id) AS rank, person_id,
               CASE WHEN held THEN 'HELD' ELSE tier END AS tier, score, holds, coalesce(reasons, '') AS reasons
        FROM ranked WHERE removable AND tier IS NOT NULL {held}
        ORDER BY rank
    """
