"""The contract's legal holds, set-at-a-time: table `holds(pkey, code, start, last_day, sources)`.

`last_day` is the last day the hold is in force (inclusive; NULL while open-ended). A hold that an
event ends (a decision, a lifted stay, a rejection, a re-entry) is taken to last through that
event's day: on the day itself the person stays protected. Windows (appeal, voluntary departure,
validity) end on their own last day. Needs the admission workspace (`adm`, `verified`), the priority
inputs and the business-day calendar.
"""

from __future__ import annotations

import duckdb

from ilos.domain.admission_rules import DECISIONS
from ilos.domain.holds import (
    ADMITTING_OUTCOMES_AT_PORT,
    APPEAL_WINDOW_DAYS,
    APPEALABLE_ORDERS,
    PRESENCE_ENCOUNTERS,
    PROTECTION_BENEFITS,
    VD_BOND_BUSINESS_DAYS,
    VD_MAX_DAYS_AT_END,
    VD_MAX_DAYS_BEFORE_END,
)
from ilos.domain.holds import ENDS_VALIDITY as ENDS_VALIDITY_EVENTS

PROTECTION = ", ".join(f"'{b}'" for b in PROTECTION_BENEFITS)
ENDS_VALIDITY = ", ".join(f"'{e}'" for e in ENDS_VALIDITY_EVENTS)
_DECIDED = ", ".join(f"'{d}'" for d in sorted(DECISIONS))
#: The orders that open the appeal window, as an SQL list (facts and cases read it too).
APPEALABLE = ", ".join(f"'{o}'" for o in APPEALABLE_ORDERS)


def _receipt_holds(cur: duckdb.DuckDBPyConnection) -> None:
    """Holds from filings, per receipt: pending applications, validity of approvals, country bars,
    citizenship claims and DACA."""
    cur.execute(
        f"""
        CREATE TABLE receipt AS
        SELECT pkey, benefit, receipt_number,
               min(day) FILTER (WHERE event = 'FILED') AS filed,
               arg_min(uid, (day, uid)) FILTER (WHERE event = 'FILED') AS filed_uid,
               min(day) FILTER (WHERE event IN ('CLAIMED', 'CONFIRMED')) AS claimed,
               arg_min(uid, (day, uid)) FILTER (WHERE event IN ('CLAIMED', 'CONFIRMED')) AS claimed_uid,
               min(day) FILTER (WHERE event = 'CONFIRMED') AS confirmed,
               min(day) FILTER (WHERE event IN ('FILED', 'APPROVED')) AS daca_start,
               arg_min(uid, (day, uid)) FILTER (WHERE event IN ('FILED', 'APPROVED')) AS daca_uid
        FROM sev GROUP BY ALL;
        CREATE TABLE receipt_end AS
        SELECT r.*,
               (SELECT min(e.day) FROM sev e WHERE e.pkey = r.pkey AND e.receipt_number = r.receipt_number
                  AND e.benefit = r.benefit AND e.event IN ({_DECIDED}) AND e.day >= r.filed) AS decided,
               (SELECT min(e.day) FROM sev e WHERE e.pkey = r.pkey AND e.receipt_number = r.receipt_number
                  AND e.benefit = r.benefit AND e.event = 'REJECTED' AND e.day >= r.claimed) AS rejected
        FROM receipt r;
        CREATE TABLE approval AS
        SELECT a.pkey, a.benefit, a.day, a.valid_from, a.valid_until, a.country, a.uid,
               (SELECT min(e.day) FROM sev e WHERE e.pkey = a.pkey AND e.receipt_number = a.receipt_number
                  AND e.benefit = a.benefit AND e.event IN ({ENDS_VALIDITY}) AND e.day >= a.day) AS cut
        FROM sev a WHERE a.event = 'APPROVED';
        CREATE TABLE holds (pkey VARCHAR, code VARCHAR, start DATE, last_day DATE, sources VARCHAR);
        INSERT INTO holds
        SELECT pkey, CASE WHEN benefit IN ({PROTECTION}) THEN 'PROTECTION_PENDING' WHEN benefit = 'TPS' THEN 'TPS'
                          ELSE benefit || '_PENDING' END, filed, decided, filed_uid
        FROM receipt_end WHERE filed IS NOT NULL AND benefit IN ({PROTECTION}, 'TPS', 'U_VISA', 'T_VISA');
        INSERT INTO holds
        SELECT pkey, 'TPS', greatest(day, coalesce(valid_from, day)),
               CASE WHEN cut IS NOT NULL AND (valid_until IS NULL OR cut < valid_until) THEN cut ELSE valid_until END,
               uid
        FROM approval WHERE benefit = 'TPS';
        INSERT INTO holds
        SELECT pkey, 'COUNTRY_BAR:' || country, day, cut, uid
        FROM approval WHERE benefit IN ('WITHHOLDING', 'CAT') AND country IS NOT NULL;
        INSERT INTO holds
        SELECT pkey, 'CITIZENSHIP_CLAIM', claimed,
               CASE WHEN confirmed IS NULL OR rejected < confirmed THEN rejected END, claimed_uid
        FROM receipt_end WHERE benefit = 'CITIZENSHIP' AND claimed IS NOT NULL;
        INSERT INTO holds  -- a confirmation after a rejection holds again, for good
        SELECT pkey, 'CITIZENSHIP_CLAIM', confirmed, NULL,
               (SELECT arg_min(e.uid, (e.day, e.uid)) FROM sev e WHERE e.pkey = r.pkey AND e.receipt_number = r.receipt_number
                  AND e.benefit = 'CITIZENSHIP' AND e.event = 'CONFIRMED')
        FROM receipt_end r WHERE benefit = 'CITIZENSHIP' AND confirmed IS NOT NULL AND rejected < confirmed;
        """
    )
    _daca(cur)


def _daca(cur: duckdb.DuckDBPyConnection) -> None:
    """DACA from its filing (or approval) until a denial, or through the approval's validity."""
    cur.execute(
        f"""
        INSERT INTO holds
        WITH d AS (
            SELECT r.pkey, r.daca_start, r.daca_uid,
                   arg_min(e.event, (e.day, e.event)) AS decision, min(e.day) AS decided,
                   arg_min(e.valid_until, (e.day, e.valid_until)) AS valid_until,
                   arg_min(e.receipt_number, (e.day, e.receipt_number)) AS receipt_number
            FROM receipt r LEFT JOIN sev e ON e.pkey = r.pkey AND e.receipt_number = r.receipt_number
                 AND e.benefit = 'DACA' AND e.event IN ({_DECIDED}) AND e.day >= r.daca_start
            WHERE r.benefit = 'DACA' AND r.daca_start IS NOT NULL GROUP BY ALL)
        SELECT d.pkey, 'DACA', d.daca_start,
               CASE WHEN d.decision IS NULL THEN NULL WHEN d.decision <> 'APPROVED' THEN d.decided
                    ELSE least(d.valid_until, (SELECT min(e.day) FROM sev e WHERE e.pkey = d.pkey
                               AND e.receipt_number = d.receipt_number AND e.benefit = 'DACA'
                               AND e.event IN ({ENDS_VALIDITY}) AND e.day >= d.decided)) END,
               d.daca_uid
        FROM d
        """
    )


def _first_after(events: str, what: str = "min(x.day)") -> str:
    """A subquery: `what` (the day) of the first of `events` in court case row `c`'s case on or after its day."""
    return (
        f"(SELECT {what} FROM court x WHERE x.pkey = c.pkey AND x.case_number = c.case_number "
        f"AND x.event IN ({events}) AND x.day >= c.day)"
    )


def _court_holds(cur: duckdb.DuckDBPyConnection) -> None:
    """Stays (and the automatic stay of a motion to reopen an in-absentia order), appeal windows and
    pending appeals, voluntary-departure periods (`vd_period`)."""
    cur.execute(
        f"""
        INSERT INTO holds
        SELECT c.pkey, 'STAY', c.day, {_first_after("'STAY_LIFTED'")}, c.uid
        FROM court c WHERE c.event = 'STAY_GRANTED';
        INSERT INTO holds
        SELECT c.pkey, 'STAY', c.day, {_first_after("'MOTION_TO_REOPEN_DECIDED'")}, c.uid
        FROM court c WHERE c.event = 'MOTION_TO_REOPEN_FILED' AND EXISTS (
            SELECT 1 FROM court o WHERE o.pkey = c.pkey AND o.case_number = c.case_number
              AND o.event = 'IN_ABSENTIA_ORDER' AND o.day <= c.day);
        INSERT INTO holds
        WITH o AS (SELECT c.*, {_first_after("'APPEAL_WAIVED'")} AS waived
                   FROM court c WHERE c.event IN ({APPEALABLE}))
        SELECT o.pkey, 'APPEAL', o.day, least(k.next_business, o.waived), o.uid
        FROM o JOIN calendar k ON k.day = o.day + {APPEAL_WINDOW_DAYS}
        WHERE o.waived IS DISTINCT FROM o.day;
        INSERT INTO holds
        SELECT c.pkey, 'APPEAL', c.day, {_first_after("'APPEAL_DISMISSED', 'APPEAL_SUSTAINED'")}, c.uid
        FROM court c WHERE c.event = 'APPEAL_FILED';
        INSERT INTO holds SELECT pkey, 'VOLUNTARY_DEPARTURE', day, last_day, uid FROM vd_period
        """
    )


def _voluntary_departure(cur: duckdb.DuckDBPyConnection) -> None:
    """`vd_period`: each voluntary-departure grant and the last day of its period. A grant whose appeal is
    waived (on its day or later in the case) is read as made before the end of proceedings: at most 120
    days, no bond required by the rule (8 CFR 1240.26(b)). Any other is made at the end: at most 60 days,
    and vacated when the bond is not posted within 5 business days (8 CFR 1240.26(c)(3)). A longer
    deadline is cut to the limit. A motion to reopen filed during the period ends it (8 CFR
    1240.26(b)(3)(iii), (e)(1)). The period lasts through the day of the event that ends it, like every
    hold, and the alternate order of removal is final the day after (`ended_by` says why)."""
    cur.execute(
        f"""
        CREATE TABLE vd_period AS
        WITH g AS (
            SELECT c.pkey, c.case_number, c.day, c.uid, c.deadline AS recorded,
                   {_first_after("'APPEAL_WAIVED'")} IS NOT NULL AS before_end,
                   {_first_after("'VD_BOND_POSTED'")} AS posted, b5.day AS bond_by,
                   {_first_after("'MOTION_TO_REOPEN_FILED'")} AS motion,
                   {_first_after("'MOTION_TO_REOPEN_FILED'", "arg_min(x.uid, (x.day, x.uid))")} AS motion_uid
            FROM court c JOIN calendar k ON k.day = c.day
            JOIN calendar b5 ON b5.business AND b5.business_index = k.business_index + {VD_BOND_BUSINESS_DAYS}
            WHERE c.event = 'VOLUNTARY_DEPARTURE_GRANTED'),
        p AS (
            SELECT *, CAST(c.day + CASE WHEN before_end THEN {VD_MAX_DAYS_BEFORE_END}
                                        ELSE {VD_MAX_DAYS_AT_END} END AS DATE) AS longest,
                   CASE WHEN NOT before_end AND (posted IS NULL OR posted > bond_by) THEN bond_by END AS unbonded
            FROM g c),
        e AS (SELECT *, least(recorded, longest) AS deadline FROM p)
        SELECT pkey, case_number, day, uid, before_end, recorded, deadline,
               bond_by, posted, motion, least(deadline, unbonded, motion) AS last_day,
               CASE WHEN motion <= least(deadline, unbonded) THEN 'MOTION_TO_REOPEN_FILED'
                    WHEN unbonded <= deadline THEN 'BOND_NOT_POSTED' ELSE 'PERIOD_ENDED' END AS ended_by,
               CASE WHEN motion <= least(deadline, unbonded) THEN motion_uid END AS ended_uid
        FROM e
        """
    )


def _departed(cur: duckdb.DuckDBPyConnection) -> None:
    """A verified departure after the last admission or entry, until the day before the next one: on the
    day of that entry, the departure is no longer after the person's last entry. An encounter inside the
    country counts as an entry (`PRESENCE_ENCOUNTERS`, `ADMITTING_OUTCOMES_AT_PORT`): the person is back."""
    present = ", ".join(f"'{t}'" for t in PRESENCE_ENCOUNTERS)
    admitted = ", ".join(f"'{o}'" for o in ADMITTING_OUTCOMES_AT_PORT)
    cur.execute(
        f"""
        CREATE TABLE entry AS
        SELECT pkey, admitted_on AS day FROM adm UNION SELECT pkey, day FROM enc
        WHERE encounter_type IN ({present}) OR (encounter_type = 'INADMISSIBLE' AND outcome IN ({admitted}));
        INSERT INTO holds
        WITH b AS (
            SELECT v.pkey, v.day, v.sources, lo.day AS lower, hi.day AS upper
            FROM verified v ASOF LEFT JOIN entry lo ON lo.pkey = v.pkey AND v.day >= lo.day
            ASOF LEFT JOIN (SELECT pkey, day FROM entry) hi ON hi.pkey = v.pkey AND hi.day > v.day)
        SELECT pkey, 'DEPARTED', min(day), upper - 1, arg_min(sources, (day, sources)) FROM b GROUP BY pkey, lower, upper
        """
    )


def compute_holds(cur: duckdb.DuckDBPyConnection) -> None:
    """Table `holds` (see the module docstring)."""
    _receipt_holds(cur)
    _voluntary_departure(cur)
    _court_holds(cur)
    _departed(cur)


def in_force(as_of_sql: str) -> str:
    """Condition on `holds` rows in force on the as-of date."""
    return f"start <= {as_of_sql} AND (last_day IS NULL OR last_day >= {as_of_sql})"
