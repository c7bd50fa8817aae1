"""Facts per person, set-at-a-time: table `facts(person_id, <fact>..., src_<fact>...)`.

One row per linked person; each fact of the allow-list (`ilos.domain.facts`) is a column, and
`src_<fact>` the `;`-joined uids of the records it rests on. Needs the admission workspace (`adm`,
`dep`, `status`), the priority inputs, the business-day calendar and `holds`.
"""

from __future__ import annotations

from datetime import date

import duckdb

from ilos.adapters.duck.holds import APPEALABLE
from ilos.domain.facts import CONVICTION_CATEGORIES, DISPOSING_STAGES, FACTS
from ilos.domain.holds import APPEAL_WINDOW_DAYS, FINAL_AT_ONCE_ORDERS, UNDOING_EVENTS

#: Orders final at once; every other order is final when its appeal window closes (`APPEALABLE`).
FINAL_AT_ONCE = ", ".join(f"'{o}'" for o in FINAL_AT_ONCE_ORDERS)
ORDERS = f"{APPEALABLE}, {FINAL_AT_ONCE}"
UNDOING = ", ".join(f"'{e}'" for e in UNDOING_EVENTS)
DISPOSING = ", ".join(f"'{s}'" for s in DISPOSING_STAGES)


def _convictions(cur: duckdb.DuckDBPyConnection) -> None:
    """`matter`: one row per criminal matter (incident) with whether a conviction is in force (until it is
    vacated), its expungement, or whether it is still pending (no disposition); `matter_count`: one row per
    category the matter's convictions carry (a violent felony and a misdemeanor in one matter are two), with
    its gang finding."""
    cur.execute(
        f"""
        CREATE TABLE matter AS
        WITH m AS (
            SELECT pkey, incident_id,
                   max(day) FILTER (WHERE stage = 'CONVICTION') AS convicted,
                   first(category ORDER BY day DESC, uid DESC) FILTER (WHERE stage = 'CONVICTION') AS category,
                   first(gang ORDER BY day DESC, uid DESC) FILTER (WHERE stage = 'CONVICTION') AS gang,
                   first(uid ORDER BY day DESC, uid DESC) FILTER (WHERE stage = 'CONVICTION') AS conviction_uid,
                   max(day) FILTER (WHERE stage = 'VACATED') AS vacated,
                   max(day) FILTER (WHERE stage = 'EXPUNGED') AS expunged,
                   first(uid ORDER BY day DESC, uid DESC) FILTER (WHERE stage = 'EXPUNGED') AS expunged_uid,
                   bool_or(stage IN ({DISPOSING})) AS disposed,
                   string_agg(uid, ';' ORDER BY uid) FILTER (WHERE stage IN ('ARREST', 'CHARGE')) AS charge_uids
            FROM crim GROUP BY ALL)
        SELECT *, convicted IS NOT NULL AND (vacated IS NULL OR vacated < convicted) AS in_force
        FROM m;
        CREATE TABLE matter_count AS  -- the conviction of each category in a matter (one per category)
        SELECT c.pkey, c.incident_id, c.category, max(c.day) AS convicted, bool_or(c.gang) AS gang,
               first(c.uid ORDER BY c.day DESC, c.uid DESC) AS conviction_uid, any_value(m.in_force) AS in_force
        FROM crim c JOIN matter m USING (pkey, incident_id) WHERE c.stage = 'CONVICTION' GROUP BY ALL
        """
    )


def _orders(cur: duckdb.DuckDBPyConnection) -> None:
    """`case_order`: per court case the latest removal order not undone, the day it is (or becomes) final,
    and whether the case is open (a notice to appear with no order, relief or termination)."""
    first = (
        "(SELECT {what} FROM court x WHERE x.pkey = o.pkey AND x.case_number = o.case_number "
        "AND x.event IN ({events}) AND x.day >= {since})"
    )
    day, uid = "min(x.day)", "arg_min(x.uid, (x.day, x.uid))"
    # an appeal filed within the window holds finality until it is dismissed (a voluntary-departure period
    # too); one filed after the window closed leaves the order final (its APPEAL hold still stops removal)
    timely = "(s.appealed IS NOT NULL AND (s.day IS NULL OR s.appealed <= w.next_business))"
    vd = "(s.vd_day IS NOT NULL AND (s.day IS NULL OR s.vd_day >= s.day))"
    cur.execute(
        f"""
        CREATE TABLE case_last AS
        SELECT pkey, case_number,
               max(day) FILTER (WHERE event IN ({ORDERS})) AS day,
               first(event ORDER BY day DESC, uid DESC) FILTER (WHERE event IN ({ORDERS})) AS event,
               first(uid ORDER BY day DESC, uid DESC) FILTER (WHERE event IN ({ORDERS})) AS uid,
               max(day) FILTER (WHERE event = 'VOLUNTARY_DEPARTURE_GRANTED') AS vd_day,
               arg_max(uid, (day, uid)) FILTER (WHERE event = 'VOLUNTARY_DEPARTURE_GRANTED') AS vd_uid,
               bool_or(event = 'NTA_FILED') AS nta, arg_min(uid, (day, uid)) FILTER (WHERE event = 'NTA_FILED') AS nta_uid,
               bool_or(event IN ('RELIEF_GRANTED', 'TERMINATED')) AS closed
        FROM court GROUP BY ALL;
        CREATE TABLE case_steps AS
        SELECT o.*,
               {first.format(what=day, events="'APPEAL_WAIVED'", since="o.day")} AS waived,
               {first.format(what=uid, events="'APPEAL_WAIVED'", since="o.day")} AS waived_uid,
               {first.format(what=day, events="'APPEAL_FILED'", since="o.day")} AS appealed,
               {first.format(what=day, events=UNDOING, since="greatest(o.day, o.vd_day)")} AS undone
        FROM case_last o;
        CREATE TABLE case_dismissal AS
        SELECT o.pkey, o.case_number, min(x.day) AS day, arg_min(x.uid, (x.day, x.uid)) AS uid FROM case_steps o
        JOIN court x ON x.pkey = o.pkey AND x.case_number = o.case_number AND x.event = 'APPEAL_DISMISSED'
             AND x.day >= o.appealed GROUP BY ALL;
        CREATE TABLE case_order AS
        SELECT s.pkey, s.case_number, s.nta, s.nta_uid, s.closed,
               s.day IS NOT NULL OR s.vd_day IS NOT NULL AS ordered,
               CASE WHEN {timely} AND d.uid IS NOT NULL THEN s.uid || ';' || d.uid
                    WHEN {vd} THEN concat_ws(';', s.vd_uid, v.ended_uid)
                    WHEN s.waived IS NOT NULL THEN s.uid || ';' || s.waived_uid
                    ELSE s.uid END AS order_uid,
               CASE WHEN s.undone IS NOT NULL THEN NULL
                    WHEN s.event IN ({FINAL_AT_ONCE}) THEN s.day
                    WHEN {timely} THEN d.day
                    WHEN {vd} THEN v.last_day + 1
                    WHEN s.waived IS NOT NULL THEN s.waived
                    ELSE w.next_business + 1 END AS final_on,
               s.undone IS NOT NULL AS undone
        FROM case_steps s LEFT JOIN case_dismissal d USING (pkey, case_number)
        LEFT JOIN calendar w ON w.day = s.day + {APPEAL_WINDOW_DAYS}
        LEFT JOIN vd_period v ON v.pkey = s.pkey AND v.uid = s.vd_uid
        """
    )


def _years(later: str, earlier: str) -> str:
    """Whole years from `earlier` to `later`."""
    return (
        f"(year({later}) - year({earlier}) - CASE WHEN strftime({later}, '%m-%d') < strftime({earlier}, '%m-%d') "
        "THEN 1 ELSE 0 END)"
    )


def _person_facts_sql(day: str) -> str:
    counts = ",\n".join(
        f"count(*) FILTER (WHERE m.in_force AND m.category = '{c}') AS convictions_{c.lower()}"
        for c in CONVICTION_CATEGORIES
    )
    srcs = ",\n".join(
        f"string_agg(m.conviction_uid, ';' ORDER BY m.conviction_uid) FILTER (WHERE m.in_force AND m.category = '{c}') "
        f"AS src_convictions_{c.lower()}"
        for c in CONVICTION_CATEGORIES
    )
    return f"""
        CREATE TABLE f_count AS
        SELECT m.pkey, {counts}, {srcs},
               max(m.convicted) FILTER (WHERE m.in_force AND m.category <> 'INFRACTION') AS last_conviction_on,
               arg_max(m.conviction_uid, (m.convicted, m.conviction_uid)) FILTER (WHERE m.in_force AND m.category <> 'INFRACTION')
                   AS src_last_conviction_on,
               coalesce(bool_or(m.in_force AND m.gang), false) AS gang_conviction,
               string_agg(m.conviction_uid, ';' ORDER BY m.conviction_uid) FILTER (WHERE m.in_force AND m.gang)
                   AS src_gang_conviction
        FROM matter_count m GROUP BY m.pkey;
        CREATE TABLE f_matter AS
        SELECT m.pkey,
               count(*) FILTER (WHERE m.in_force AND m.expunged >= m.convicted) AS convictions_expunged,
               string_agg(m.expunged_uid, ';' ORDER BY m.expunged_uid) FILTER (WHERE m.in_force AND m.expunged >= m.convicted)
                   AS src_convictions_expunged,
               count(*) FILTER (WHERE NOT m.disposed) AS pending_criminal_matters,
               string_agg(m.charge_uids, ';' ORDER BY m.charge_uids) FILTER (WHERE NOT m.disposed) AS src_pending_criminal_matters
        FROM matter m GROUP BY m.pkey;
        CREATE TABLE f_crim AS SELECT * FROM f_matter LEFT JOIN f_count USING (pkey);
        CREATE TABLE f_court AS
        SELECT pkey,
               bool_or(final_on <= {day}) AS final_order,
               string_agg(order_uid, ';' ORDER BY order_uid) FILTER (WHERE final_on <= {day}) AS src_final_order,
               max(final_on) FILTER (WHERE final_on <= {day}) AS final_order_on,
               arg_max(order_uid, (final_on, order_uid)) FILTER (WHERE final_on <= {day}) AS src_final_order_on,
               bool_or(ordered AND NOT undone AND (final_on IS NULL OR final_on > {day})) AS removal_order_pending,
               string_agg(order_uid, ';' ORDER BY order_uid) FILTER (WHERE ordered AND NOT undone AND (final_on IS NULL OR final_on > {day}))
                   AS src_removal_order_pending,
               bool_or(nta AND (NOT ordered OR undone) AND NOT closed) AS in_proceedings,
               string_agg(nta_uid, ';' ORDER BY nta_uid) FILTER (WHERE nta AND (NOT ordered OR undone) AND NOT closed) AS src_in_proceedings
        FROM case_order GROUP BY pkey;
        CREATE TABLE f_other AS
        WITH d AS (SELECT pkey, designation_id, first(event ORDER BY day DESC, uid DESC) AS event,
                          first(uid ORDER BY day DESC, uid DESC) AS uid
                   FROM desig GROUP BY ALL)
        SELECT p.pkey,
               EXISTS (SELECT 1 FROM d WHERE d.pkey = p.pkey AND d.event = 'ADDED') AS national_security_designation,
               (SELECT string_agg(uid, ';' ORDER BY uid) FROM d WHERE d.pkey = p.pkey AND d.event = 'ADDED')
                   AS src_national_security_designation,
               EXISTS (SELECT 1 FROM dep x WHERE x.pkey = p.pkey AND x.evidence = 'REMOVAL_EXECUTED') AS prior_removal,
               (SELECT string_agg(uid, ';' ORDER BY uid) FROM dep x WHERE x.pkey = p.pkey AND x.evidence = 'REMOVAL_EXECUTED')
                   AS src_prior_removal,
               (SELECT max(day) FROM enc e WHERE e.pkey = p.pkey AND e.encounter_type = 'APPREHENSION'
                  AND e.agency = 'CBP_BORDER') AS unlawful_entry_on,
               (SELECT arg_max(uid, (day, uid)) FROM enc e WHERE e.pkey = p.pkey AND e.encounter_type = 'APPREHENSION'
                  AND e.agency = 'CBP_BORDER') AS src_unlawful_entry_on,
               (SELECT max({day} - until) FROM status s WHERE s.person_id = p.pkey
                  AND s.status IN ('SUSPECTED_IN_COUNTRY_OVERSTAY', 'DEPARTURE_UNVERIFIED')) AS suspected_overstay_days,
               (SELECT string_agg(uid, ';' ORDER BY uid) FROM status s WHERE s.person_id = p.pkey
                  AND s.status IN ('SUSPECTED_IN_COUNTRY_OVERSTAY', 'DEPARTURE_UNVERIFIED')) AS src_suspected_overstay_days,
               EXISTS (SELECT 1 FROM rel r WHERE r.pkey = p.pkey AND r.relationship IN ('SPOUSE', 'CHILD') AND (r.usc
                       OR r.relative_person_id IN (SELECT pkey FROM sev WHERE benefit = 'CITIZENSHIP'
                                                   AND event = 'CONFIRMED'))) AS us_citizen_spouse_or_child,
               (SELECT string_agg(uid, ';' ORDER BY uid) FROM rel r WHERE r.pkey = p.pkey
                  AND r.relationship IN ('SPOUSE', 'CHILD') AND (r.usc OR r.relative_person_id IN (
                      SELECT pkey FROM sev WHERE benefit = 'CITIZENSHIP' AND event = 'CONFIRMED')))
                   AS src_us_citizen_spouse_or_child,
               EXISTS (SELECT 1 FROM sev v WHERE v.pkey = p.pkey AND v.benefit IN ('U_VISA', 'T_VISA')
                       AND v.event IN ('FILED', 'APPROVED')) AS victim_witness_filing,
               (SELECT string_agg(uid, ';' ORDER BY uid) FROM sev v WHERE v.pkey = p.pkey
                  AND v.benefit IN ('U_VISA', 'T_VISA') AND v.event IN ('FILED', 'APPROVED')) AS src_victim_witness_filing
        FROM persons p;
        CREATE TABLE f_age AS
        WITH n AS (SELECT person_id, dob, count(*) AS n, min(uid) AS uid FROM dob GROUP BY ALL),
        e AS (SELECT pkey, min(day) AS first_day, arg_min(uid, (day, uid)) AS uid FROM (
                 SELECT pkey, admitted_on AS day, uid FROM adm
                 UNION ALL SELECT pkey, day, uid FROM enc WHERE encounter_type = 'APPREHENSION') GROUP BY pkey)
        SELECT p.pkey, {_years(day, "a.dob")} AS age, a.uid AS src_age,
               {_years(day, "e.first_day")} AS years_in_us, e.uid AS src_years_in_us
        FROM persons p
        LEFT JOIN (SELECT person_id, arg_max(dob, (n, -epoch(dob))) AS dob, arg_max(uid, (n, -epoch(dob))) AS uid
                   FROM n WHERE dob IS NOT NULL GROUP BY person_id) a
               ON a.person_id = p.pkey
        LEFT JOIN e ON e.pkey = p.pkey
    """


def compute_facts(cur: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Table `facts` (see the module docstring) for every linked person of the inputs."""
    day = f"DATE '{as_of.isoformat()}'"
    cur.execute(
        """
        CREATE TABLE persons AS
        SELECT DISTINCT person_id AS pkey FROM (
            SELECT person_id FROM adm UNION ALL SELECT person_id FROM sev UNION ALL SELECT person_id FROM court
            UNION ALL SELECT person_id FROM crim UNION ALL SELECT person_id FROM enc
            UNION ALL SELECT person_id FROM desig UNION ALL SELECT person_id FROM rel) WHERE person_id IS NOT NULL
        """
    )
    _convictions(cur)
    _orders(cur)
    cur.execute(_person_facts_sql(day))
    columns = ", ".join(f"{name}, src_{name}" for name in FACTS)
    flags = [n for n, f in FACTS.items() if f.type.value == "flag"]
    counts = [n for n, f in FACTS.items() if f.type.value == "count"]
    fill = (
        ", ".join(f"coalesce({n}, false) AS {n}" for n in flags)
        + ", "
        + ", ".join(f"coalesce({n}, 0) AS {n}" for n in counts)
    )
    cur.execute(
        f"""
        CREATE TABLE facts AS
        SELECT p.pkey AS person_id, * EXCLUDE (pkey, {", ".join(flags + counts)}), {fill}
        FROM (SELECT p.pkey, {columns}
              FROM persons p LEFT JOIN f_crim USING (pkey) LEFT JOIN f_court USING (pkey)
              LEFT JOIN f_other USING (pkey) LEFT JOIN f_age USING (pkey)) p
        """
    )
