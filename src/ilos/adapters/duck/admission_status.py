"""The contract's admission status rules, set-at-a-time in DuckDB.

Input: arrivals, departures and status events in force (already cut at the known-at time), each row
with its record `uid` and the `person_id` identity resolution linked it to. Every step is one SQL
statement over all admissions at once; the only iteration is a recursive query over filings in filing
order (an admission rarely has more than two), because a filing's timeliness depends on the
authorized-until left by the filings before it.

Steps, each a table in a private workspace (kept for `ilos explain admission`):
`adm` admissions with an integer id, and `adm_window`, the admission whose window (up to the person's
next admission) holds a given date, found by an as-of join rather than by pairing every departure
with every admission of its person; `dep`, `corroborated`, `verified`, `alone` departures and
self-reports; `adm_departure`, `adm_unverified` the departure that ends each admission;
`program_end` D/S program ends with their grace period; `filing`, `filing_seq` stay filings matched to
admissions in filing order; `ledger_steps` the authorized-until after each filing; `status` the verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import duckdb
import pyarrow as pa

from ilos.adapters.duck.workspace import workspace
from ilos.domain.admission_rules import (
    ADJUSTMENT,
    DECISIONS,
    EXTENSION,
    PROGRAM_ENDS,
    PROTECTION_ENDING,
    SELF_REPORTED,
    STAY_FILINGS,
    STUDENT_PROGRAM,
    AdmissionRules,
)

FAR_FUTURE = "DATE '9999-12-31'"
#: Authorized-until before any filing (rule 1): the admit-until date, or a D/S program end plus its grace.
UNTIL0 = "coalesce(a.admit_until, pe.day + CAST(pe.grace_days AS INTEGER))"


def _codes(values: frozenset[str] | set[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


def _register_rules(cur: duckdb.DuckDBPyConnection, rules: AdmissionRules) -> None:
    grace = pa.table(
        {
            "class_letter": [g.class_letter for g in rules.grace_periods],
            "program_end": [g.program_end for g in rules.grace_periods],
            "days": pa.array([g.days for g in rules.grace_periods], pa.int32()),
            "effective_from": pa.array([g.effective_from for g in rules.grace_periods], pa.date32()),
            "effective_until": pa.array([g.effective_until for g in rules.grace_periods], pa.date32()),
        }
    )
    no_ext = [
        (c, r.effective_from, r.effective_until) for r in rules.no_extension_or_change for c in r.classes
    ]
    no_change = pa.table(
        {
            "klass": [c for c, _, _ in no_ext],
            "effective_from": pa.array([f for _, f, _ in no_ext], pa.date32()),
            "effective_until": pa.array([u for _, _, u in no_ext], pa.date32()),
        }
    )
    window = pa.table(
        {
            "days": pa.array([r.days for r in rules.self_report_corroboration], pa.int32()),
            "effective_from": pa.array(
                [r.effective_from for r in rules.self_report_corroboration], pa.date32()
            ),
            "effective_until": pa.array(
                [r.effective_until for r in rules.self_report_corroboration], pa.date32()
            ),
        }
    )
    for name, table in (("grace_rule", grace), ("no_change_rule", no_change), ("window_rule", window)):
        cur.register(f"{name}_arrow", table)
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
        cur.unregister(f"{name}_arrow")


def _in_force(alias: str, day: str) -> str:
    return f"{day} BETWEEN {alias}.effective_from AND coalesce({alias}.effective_until, {FAR_FUTURE})"


def load_inputs(cur: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Table], as_of: date) -> None:
    """Typed input tables `adm_in`, `dep`, `ev`: only events dated on or before `as_of`."""
    day = f"DATE '{as_of.isoformat()}'"
    for name, table in inputs.items():
        cur.register(f"{name}_arrow", table)
    cur.execute(
        f"""
        CREATE TABLE adm_in AS
        SELECT admission_number, person_id, coalesce(person_id, uid) AS pkey, class_of_admission AS klass,
               citizenship, mode, CAST(admitted_on AS DATE) AS admitted_on, admit_until AS admit_until_text,
               TRY_CAST(admit_until AS DATE) AS admit_until, uid
        FROM arrivals_arrow WHERE CAST(admitted_on AS DATE) <= {day};
        CREATE TABLE dep AS
        SELECT coalesce(person_id, uid) AS pkey, CAST(departure_date AS DATE) AS day, evidence, source_system,
               nullif(admission_number, '') AS number, uid
        FROM departures_arrow WHERE CAST(departure_date AS DATE) <= {day};
        CREATE TABLE ev AS
        SELECT coalesce(person_id, uid) AS pkey, receipt_number, benefit, event, CAST(event_date AS DATE) AS day,
               TRY_CAST(valid_until AS DATE) AS valid_until, nullif(admission_number, '') AS number,
               source_record_id AS key, uid
        FROM status_events_arrow
        WHERE CAST(event_date AS DATE) <= {day}
          AND (benefit IN ({_codes(STAY_FILINGS)})
               OR (benefit = '{STUDENT_PROGRAM}' AND event IN ({_codes(PROGRAM_ENDS)})));
        """
    )
    for name in inputs:
        cur.unregister(f"{name}_arrow")


def _admissions(cur: duckdb.DuckDBPyConnection) -> None:
    """`adm`, one admission per number (the smallest record uid when several carry it), with an internal
    integer id `aid`, and `adm_window`: per person and admission date the admission whose window (from
    its admission to the person's next admission, by date then number) is not empty — the last of that
    day — which an as-of join finds for any later date.

    Admission numbers carried by several records are found by their hash first (grouping 8-byte integers
    is cheaper than grouping text), then checked on the numbers themselves, and their other records are
    deleted from the private input table, which `adm` views with its row ids (no copy of every admission);
    `adm_window` keeps the hash of its person key because an as-of join partitions faster with it as a
    leading key."""
    cur.execute(
        """
        CREATE TABLE shared_number AS
        WITH maybe AS (SELECT hash(admission_number) AS h FROM adm_in GROUP BY h HAVING count(*) > 1)
        SELECT admission_number, min(uid) AS kept FROM adm_in
        WHERE hash(admission_number) IN (SELECT h FROM maybe) GROUP BY admission_number HAVING count(*) > 1;
        DELETE FROM adm_in USING shared_number s
        WHERE s.admission_number = adm_in.admission_number AND s.kept <> adm_in.uid;
        CREATE VIEW adm AS SELECT rowid AS aid, * FROM adm_in;
        CREATE TABLE adm_window AS
        SELECT pkey, hash(pkey) AS h, admitted_on, arg_max(aid, admission_number) AS aid
        FROM adm GROUP BY pkey, admitted_on
        """
    )


def _departures(cur: duckdb.DuckDBPyConnection) -> None:
    """Verified departures (a self-report counts once corroborated), and self-reports left alone; then
    the departure ending each admission (`adm_departure`) and its lone self-report (`adm_unverified`)."""
    cur.execute(
        f"""
        CREATE TABLE corroborated AS
        SELECT r.uid, min(p.day) AS partner_day,
               first(p.number ORDER BY p.day, p.uid) FILTER (WHERE p.number IS NOT NULL) AS partner_number,
               string_agg(p.uid, ';' ORDER BY p.uid) AS partners
        FROM dep r JOIN window_rule w ON {_in_force("w", "r.day")}
        JOIN dep p ON p.pkey = r.pkey AND p.source_system <> r.source_system AND abs(p.day - r.day) <= w.days
        WHERE r.evidence = '{SELF_REPORTED}' GROUP BY r.uid;
        CREATE TABLE verified AS
        SELECT d.rowid AS vid, d.pkey, least(d.day, c.partner_day) AS day,
               coalesce(d.number, c.partner_number) AS number, d.evidence, d.uid,
               CASE WHEN c.uid IS NULL THEN d.uid ELSE d.uid || ';' || c.partners END AS sources
        FROM dep d LEFT JOIN corroborated c USING (uid)
        WHERE d.evidence <> '{SELF_REPORTED}' OR c.uid IS NOT NULL;
        CREATE TABLE alone AS
        SELECT d.rowid AS vid, d.*, d.uid AS sources
        FROM dep d ANTI JOIN corroborated c USING (uid) WHERE d.evidence = '{SELF_REPORTED}';
        """
    )
    _ending(cur, "verified", "adm_departure", "adm_window")
    _ending(cur, "alone", "adm_unverified", _windows_of("alone"))


def _windows_of(table: str) -> str:
    """`adm_window` cut to the persons of a small `table`: an as-of join partitions and sorts its whole
    right side, so a few thousand self-reports or filings would otherwise pay for every admission."""
    return f"(SELECT * FROM adm_window WHERE pkey IN (SELECT pkey FROM {table}))"


def _ending(cur: duckdb.DuckDBPyConnection, table: str, target: str, windows: str) -> None:
    """Per admission, the earliest departure of `table` in its window or carrying its number and dated on
    or after its admission (a record of its own before a corroborated self-report on the same day, then
    by source uid).

    Integers first: each candidate's rank is one integer (day, then self-report last); an admission whose
    two best candidates share it (departures of one day from several sources) is settled by source uid;
    the text of the winning rows is joined only at the end."""
    rank = "epoch(c.day)::BIGINT * 2 + c.self::INTEGER"
    cur.execute(
        f"""
        CREATE TABLE {target}_cand AS
        SELECT w.aid, v.vid, v.day, v.evidence = '{SELF_REPORTED}' AS self, v.number FROM {table} v
            ASOF LEFT JOIN {windows} w ON hash(v.pkey) = w.h AND v.pkey = w.pkey AND v.day >= w.admitted_on;
        INSERT INTO {target}_cand
        SELECT a.aid, c.vid, c.day, c.self, NULL FROM {target}_cand c JOIN adm a ON a.admission_number = c.number
        WHERE c.aid IS DISTINCT FROM a.aid AND c.day >= a.admitted_on;
        CREATE TABLE {target}_best AS
        SELECT c.aid, arg_min(c.vid, {rank}) AS vid, min({rank}, 2) AS ranks
        FROM {target}_cand c WHERE c.aid IS NOT NULL GROUP BY c.aid;
        UPDATE {target}_best SET vid = tie.vid FROM (
            SELECT c.aid, arg_min(c.vid, v.uid) AS vid FROM {target}_cand c JOIN {target}_best b USING (aid)
            JOIN {table} v ON v.vid = c.vid
            WHERE len(b.ranks) = 2 AND b.ranks[1] = b.ranks[2] AND {rank} = b.ranks[1] GROUP BY c.aid) tie
        WHERE {target}_best.aid = tie.aid;
        CREATE TABLE {target} AS
        SELECT b.aid, v.day, v.evidence, v.sources FROM {target}_best b JOIN {table} v USING (vid)
        """
    )


def _program_ends(cur: duckdb.DuckDBPyConnection) -> None:
    """The latest program end after each D/S admission, and the grace period in force on its date."""
    cur.execute(
        f"""
        CREATE TABLE program_end AS
        WITH ds AS (SELECT aid, admission_number, pkey, klass, admitted_on FROM adm WHERE admit_until_text = 'D/S'),
        ends AS (SELECT pkey, day, event, uid, key FROM ev WHERE benefit = '{STUDENT_PROGRAM}'),
        latest AS (
            SELECT a.aid, a.admission_number, a.klass, first(v.day ORDER BY v.day DESC, v.key DESC, v.uid DESC) AS day,
                   first(v.event ORDER BY v.day DESC, v.key DESC, v.uid DESC) AS event,
                   first(v.uid ORDER BY v.day DESC, v.key DESC, v.uid DESC) AS uid
            FROM ds a JOIN ends v ON v.pkey = a.pkey AND v.day >= a.admitted_on
            GROUP BY a.aid, a.admission_number, a.klass)
        SELECT e.aid, e.admission_number, e.day, e.event, e.uid,
               coalesce(max_by(g.days, g.effective_from), 0) AS grace_days
        FROM latest e LEFT JOIN grace_rule g ON g.class_letter = left(e.klass, 1) AND g.program_end = e.event
             AND {_in_force("g", "e.day")}
        GROUP BY e.aid, e.admission_number, e.day, e.event, e.uid
        """
    )


def _filings(cur: duckdb.DuckDBPyConnection) -> None:
    """Stay filings (events grouped by receipt), matched to an admission, numbered in filing order."""
    order = "day, event <> 'FILED', key, uid"
    decided = f"event IN ({_codes(DECISIONS)})"
    cur.execute(
        f"""
        CREATE TABLE filing AS
        SELECT pkey, receipt_number,
               first(benefit ORDER BY {order}) AS benefit,
               min(day) FILTER (WHERE event = 'FILED') AS filed,
               first(event ORDER BY day, key, uid) FILTER (WHERE {decided}) AS decision,
               first(day ORDER BY day, key, uid) FILTER (WHERE {decided}) AS decided,
               first(valid_until ORDER BY day, key, uid) FILTER (WHERE {decided}) AS decision_valid_until,
               first(number ORDER BY {order}) FILTER (WHERE number IS NOT NULL) AS number,
               min(day) AS first_day, first(event <> 'FILED' ORDER BY {order}) AS first_not_filed,
               first(key ORDER BY {order}) AS first_key,
               string_agg(uid, ';' ORDER BY {order}) AS sources
        FROM ev WHERE benefit IN ({_codes(STAY_FILINGS)}) GROUP BY pkey, receipt_number;
        CREATE TABLE filing_adm AS
        SELECT f.*, a.aid, a.admission_number, a.klass FROM filing f JOIN adm a ON a.admission_number = f.number
        UNION ALL
        SELECT f.*, a.aid, a.admission_number, a.klass
        FROM (SELECT * FROM filing WHERE number IS NULL) f
        ASOF JOIN {_windows_of("filing")} w ON w.pkey = f.pkey AND f.first_day >= w.admitted_on
        JOIN adm a ON a.aid = w.aid;
        CREATE TABLE filing_seq AS
        SELECT f.*, EXISTS (SELECT 1 FROM no_change_rule r WHERE r.klass = f.klass
                            AND {_in_force("r", "coalesce(f.filed, f.first_day)")}) AS no_change,
               row_number() OVER (PARTITION BY aid
                                  ORDER BY coalesce(filed, decided, {FAR_FUTURE}), first_day, first_not_filed,
                                           first_key, receipt_number) AS i
        FROM filing_adm f
        """
    )


def _ledger(cur: duckdb.DuckDBPyConnection) -> None:
    """Authorized-until after each filing in order (rule 2), and whether each filing protects."""
    timely = (
        f"(f.filed IS NOT NULL AND (f.benefit = '{ADJUSTMENT}' "
        "OR (NOT f.no_change AND (s.until IS NULL OR f.filed <= s.until))))"
    )
    cur.execute(
        f"""
        CREATE TABLE ledger_steps AS
        WITH RECURSIVE s(aid, admission_number, i, until, changed, timely) AS (
            SELECT a.aid, a.admission_number, CAST(0 AS BIGINT), {UNTIL0}, CAST(NULL AS DATE), CAST(NULL AS BOOLEAN)
            FROM adm a LEFT JOIN program_end pe USING (aid)
            WHERE a.aid IN (SELECT aid FROM filing_seq)
            UNION ALL
            SELECT f.aid, f.admission_number, f.i,
                   CASE WHEN f.decision = 'APPROVED' AND f.benefit = '{EXTENSION}' AND f.decision_valid_until IS NOT NULL
                            THEN f.decision_valid_until
                        WHEN f.decision IN ({_codes(PROTECTION_ENDING)}) AND {timely} AND s.until IS NOT NULL
                            THEN greatest(s.until, f.decided)
                        ELSE s.until END,
                   CASE WHEN f.decision = 'APPROVED' AND f.benefit <> '{EXTENSION}'
                            THEN least(coalesce(s.changed, f.decided), f.decided)
                        ELSE s.changed END,
                   {timely}
            FROM s JOIN filing_seq f ON f.aid = s.aid AND f.i = s.i + 1
        )
        SELECT * FROM s;
        CREATE TABLE ledger AS
        SELECT aid, arg_max_null(until, i) AS until, arg_max_null(changed, i) AS changed FROM ledger_steps GROUP BY aid;
        CREATE TABLE protecting AS
        SELECT f.aid, f.filed, f.decided
        FROM ledger_steps s JOIN filing_seq f USING (aid, i) WHERE s.timely
        """
    )


def _verdict(cur: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Rules 4 and 5: the first matching status, and overstay days. A filing decided on the day of the
    departure was still pending when the person left (a denial that day leaves it timely too)."""
    day = f"DATE '{as_of.isoformat()}'"
    cur.execute(
        f"""
        CREATE TABLE pending AS
        SELECT p.aid,
               bool_or(p.filed <= d.day AND (p.decided IS NULL OR p.decided >= d.day)) AS at_departure,
               bool_or(p.filed <= {day} AND (p.decided IS NULL OR p.decided > {day})) AS at_as_of
        FROM protecting p LEFT JOIN adm_departure d USING (aid)
        GROUP BY p.aid;
        CREATE VIEW status AS
        SELECT *, CASE
                 WHEN changed IS NOT NULL AND (dep_day IS NULL OR changed < dep_day) THEN 'STATUS_CHANGED'
                 WHEN dep_day IS NOT NULL AND (until IS NULL OR dep_day <= until OR pending_at_departure)
                     THEN 'DEPARTED_TIMELY'
                 WHEN dep_day IS NOT NULL THEN 'DEPARTED_OVERSTAY'
                 WHEN until IS NULL OR {day} <= until THEN 'IN_STATUS'
                 WHEN pending_at_as_of THEN 'PENDING_BENEFIT'
                 WHEN unverified_day IS NOT NULL THEN 'DEPARTURE_UNVERIFIED'
                 ELSE 'SUSPECTED_IN_COUNTRY_OVERSTAY' END AS status
        FROM (
        SELECT a.admission_number, a.person_id, a.klass, a.citizenship, a.mode, a.admitted_on, a.admit_until_text,
               CASE WHEN l.aid IS NULL THEN {UNTIL0} ELSE l.until END AS until, l.changed,
               d.day AS dep_day, d.evidence AS dep_evidence, d.sources AS dep_sources,
               u.day AS unverified_day, u.sources AS unverified_sources, a.uid,
               coalesce(p.at_departure, false) AS pending_at_departure, coalesce(p.at_as_of, false) AS pending_at_as_of
        FROM adm a LEFT JOIN program_end pe USING (aid) LEFT JOIN ledger l USING (aid)
        LEFT JOIN adm_departure d USING (aid) LEFT JOIN adm_unverified u USING (aid)
        LEFT JOIN pending p USING (aid))
        """
    )


def compute(
    cur: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Table], as_of: date, rules: AdmissionRules
) -> None:
    """Run every step into the workspace `cur`; the result is table `status`."""
    # no step relies on the order rows are stored in (the export sorts); freeing large intermediate
    # results in background threads keeps it off the next statement's time
    cur.execute("SET preserve_insertion_order = false; SET allocator_background_threads = true")
    _register_rules(cur, rules)
    load_inputs(cur, inputs, as_of)
    _admissions(cur)
    _departures(cur)
    _program_ends(cur)
    _filings(cur)
    _ledger(cur)
    _verdict(cur, as_of)


@contextmanager
def judged(
    con: duckdb.DuckDBPyConnection, inputs: dict[str, pa.Table], as_of: date, rules: AdmissionRules
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private workspace on `con` holding every step's table for these inputs, `status` last."""
    with workspace(con, "ilos_status") as cur:
        compute(cur, inputs, as_of, rules)
        yield cur


def export_query(as_of: date, where: str = "") -> str:
    """The contract's export columns from table `status`, sorted by admission number."""
    day = f"DATE '{as_of.isoformat()}'"
    return f"""
        SELECT admission_number, person_id, klass AS class_of_admission, citizenship,
               strftime(admitted_on, '%Y-%m-%d') AS admitted_on, admit_until_text AS admit_until,
               strftime(until, '%Y-%m-%d') AS authorized_until, status,
               strftime(CASE WHEN status = 'DEPARTURE_UNVERIFIED' THEN unverified_day ELSE dep_day END, '%Y-%m-%d')
                   AS departure_date,
               CASE WHEN status = 'DEPARTURE_UNVERIFIED' THEN 'SELF_REPORTED' ELSE dep_evidence END
                   AS departure_evidence,
               CASE WHEN status = 'DEPARTED_OVERSTAY' THEN dep_day - until
                    WHEN status IN ('SUSPECTED_IN_COUNTRY_OVERSTAY', 'DEPARTURE_UNVERIFIED') THEN {day} - until
               END AS overstay_days
        FROM status {where} ORDER BY admission_number
    """
