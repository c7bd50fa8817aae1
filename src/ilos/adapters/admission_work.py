"""The AdmissionWork port: records from the reader, statuses and the overstay report from DuckDB."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import ADMISSION_INPUTS, PersonDataReader
from ilos.adapters.duck.admission_status import export_query, judged
from ilos.adapters.duck.overstay_report import overstay_rows
from ilos.domain.admission_rules import AdmissionRules, admission_rules
from ilos.domain.evaluation.statuses import judge

#: Admissions with the person's next admission (by date, then number), which closes each one's window.
_ADM_NEXT = (
    "(SELECT *, lead(admitted_on) OVER (PARTITION BY pkey ORDER BY admitted_on, admission_number) AS next_on "
    "FROM adm)"
)
#: Working tables an explanation shows, with the columns it reads from each.
EXPLAIN_TABLES: dict[str, str] = {
    "status": "SELECT * FROM status WHERE admission_number = $n",
    "program_end": "SELECT * FROM program_end WHERE admission_number = $n",
    "filings": """SELECT f.receipt_number, f.benefit, f.filed, f.decision, f.decided, f.decision_valid_until,
                         f.sources, f.i, s.until, s.timely, f.no_change
                  FROM filing_seq f JOIN ledger_steps s USING (admission_number, i)
                  WHERE admission_number = $n ORDER BY f.i""",
    "departures": f"""SELECT v.day, v.evidence, v.number, v.sources FROM verified v
                     JOIN {_ADM_NEXT} a ON (v.pkey = a.pkey AND v.day >= a.admitted_on
                                    AND (a.next_on IS NULL OR v.day < a.next_on)) OR v.number = a.admission_number
                     WHERE a.admission_number = $n ORDER BY v.day, v.sources""",
    "self_reports": f"""SELECT v.day, v.uid FROM alone v
                       JOIN {_ADM_NEXT} a ON (v.pkey = a.pkey AND v.day >= a.admitted_on
                                      AND (a.next_on IS NULL OR v.day < a.next_on)) OR v.number = a.admission_number
                       WHERE a.admission_number = $n ORDER BY v.day, v.uid""",
    "admission": f"SELECT admitted_on, next_on, uid, admit_until_text FROM {_ADM_NEXT} WHERE admission_number = $n",
}


#: Above this many records, a batch's verified departures are found by the set-at-a-time SQL rather than
#: by the per-person evaluator.
PERSON_SCOPED_MAX = 2_000
#: The SQL reads only the persons concerned (and those sharing their admission numbers) when they are at
#: most this share of the store's persons, else everyone. A person costs several times more read by
#: person (looked up by person, then the version in force of each record, then those sharing a number
#: looked up by number) than read with everyone. Measured on runs of about 9,000 held-back departures:
#: 20,024 persons, 5,207 concerned (26 %): 4.1 s by person, 2.3 to 2.8 s everyone; 100,229 persons,
#: 7,537 concerned (7.5 %): 8.7 s by person, 11.4 s everyone (at 1,000,000, everyone would be some 110 s).
SCOPED_SHARE = 0.1
#: Admissions with a verified ending departure (of those `{scope}` keeps), as an event announces them.
VERIFIED = """
    SELECT admission_number, person_id, strftime(dep_day, '%Y-%m-%d') AS departure_date,
           dep_evidence AS evidence, status, dep_sources AS sources
    FROM status {scope}
    WHERE dep_day IS NOT NULL
    ORDER BY admission_number
"""
#: Those whose departure rests on one of the batch's departure records `new_uids`, or whose number
#: one of the batch's records carries (an arrival, loaded after the departure that ends it), or which
#: are admissions of a person one of the batch's records is or was last linked to (`new_persons`: a
#: retraction or correction can change the departure that ends an admission without being it): joined,
#: not matched row by row against the batch.
VERIFIED_BY = """
    WITH resting AS (SELECT admission_number, unnest(string_split(dep_sources, ';')) AS uid
                     FROM status WHERE dep_day IS NOT NULL),
    hit AS (SELECT admission_number FROM resting SEMI JOIN new_uids USING (uid)
            UNION SELECT n FROM new_numbers
            UNION SELECT admission_number FROM status SEMI JOIN new_persons USING (person_id))
""" + VERIFIED.format(scope="SEMI JOIN hit USING (admission_number)")


#: The evidence a departure is counted under when its records carry several: a removal is never a
#: departure on one's own, and a verified self-report is what self-departure tracking counts.
SERIES_EVIDENCE = (
    "REMOVAL_EXECUTED",
    "SELF_REPORTED",
    "BIOMETRIC_EXIT",
    "MANIFEST",
    "PARTNER_ENTRY",
    "CONSULAR_VERIFICATION",
)
_TYPED = " ".join(f"WHEN list_contains(evidences, '{e}') THEN '{e}'" for e in SERIES_EVIDENCE)
#: Verified departures, one per person and day: a corroborated self-report stands for the records that
#: corroborate it (on its own, earliest, day). Past authorized stay: it ends an admission as
#: `DEPARTED_OVERSTAY`; on their own: none of its records is a removal.
DEPARTURE_SERIES = f"""
    WITH partner AS (SELECT DISTINCT unnest(string_split(partners, ';')) AS uid FROM corroborated),
    departure AS (
        SELECT pkey, day, unnest(list_distinct(flatten(list(string_split(sources, ';'))))) AS uid
        FROM verified
        WHERE day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)
          AND (evidence = 'SELF_REPORTED' OR uid NOT IN (SELECT uid FROM partner))
        GROUP BY pkey, day),
    overstayed AS (
        SELECT DISTINCT unnest(string_split(dep_sources, ';')) AS uid FROM status WHERE status = 'DEPARTED_OVERSTAY'),
    typed AS (
        SELECT d.pkey, d.day, list(DISTINCT r.evidence) AS evidences,
               bool_or(d.uid IN (SELECT uid FROM overstayed)) AS past_stay
        FROM departure d JOIN dep r USING (uid) GROUP BY d.pkey, d.day)
    SELECT strftime(day, '%Y-%m-%d') AS date, CASE {_TYPED} END AS evidence, count(*) AS verified_departures,
           count(*) FILTER (WHERE past_stay AND NOT list_contains(evidences, 'REMOVAL_EXECUTED'))
               AS past_authorized_stay_left_on_own
    FROM typed GROUP BY ALL ORDER BY 1, 2
"""


VERIFIED_SCHEMA = pa.schema(
    [
        (c, pa.string())
        for c in ("admission_number", "person_id", "departure_date", "evidence", "status", "sources")
    ]
)


def verified_rows(
    statuses: list[dict[str, Any]], uids: list[str], numbers: list[str], owners: list[str]
) -> pa.Table:
    """`VERIFIED_BY` over the evaluator's status rows: those with a verified ending departure resting on
    one of the records `uids`, or whose admission number is one of `numbers`, or whose person is one of
    `owners` (the persons of `uids`), by admission number."""
    resting, named, owned = set(uids), set(numbers), set(owners)
    rows = [
        {"admission_number": s["admission_number"], "person_id": s["person_id"],
         "departure_date": s["dep_day"].isoformat(), "evidence": s["dep_evidence"], "status": s["status"],
         "sources": s["dep_sources"]}
        for s in statuses
        if s["dep_day"] is not None
        and (s["admission_number"] in named or s["person_id"] in owned
             or not resting.isdisjoint(s["dep_sources"].split(";")))
    ]  # fmt: skip
    return pa.Table.from_pylist(sorted(rows, key=lambda r: r["admission_number"]), schema=VERIFIED_SCHEMA)


def persons_sharing(
    reader: PersonDataReader, numbers: Iterable[str | None], read: Iterable[str]
) -> list[str]:
    """Persons not yet `read` with a record carrying one of `numbers` (those of the read persons'
    arrivals): the SQL lets such a departure end, or such a filing extend, the admission, and such an
    arrival replace it, so a few persons' statuses need them to be the whole store's. One level is
    enough: nothing of a third person reaches the read persons' statuses."""
    wanted = sorted({n for n in numbers if n is not None})
    return sorted(set(reader.persons_of_admissions(wanted)) - set(read))


class DuckAdmissionWork:
    """Statuses of admissions as of a date with the records known at a time."""

    def __init__(
        self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection, rules: AdmissionRules | None = None
    ) -> None:
        self.reader = reader
        self.con = con
        self.rules = rules or admission_rules()

    def _inputs(self, known_at_utc: str | None, numbers: list[str] | None) -> dict[str, pa.Table]:
        """Every admission's records, or only those of the persons the admission numbers concern."""
        persons = None if numbers is None else self.reader.persons_of_admissions(numbers)
        return self.reader.admission_inputs(known_at_utc, persons)

    def statuses(self, as_of: date, known_at_utc: str | None, numbers: list[str] | None = None) -> pa.Table:
        """The contract's `ilos export admissions` rows, sorted by admission number."""
        inputs = self._inputs(known_at_utc, numbers)
        with judged(self.con, inputs, as_of, self.rules) as cur:
            where = ""
            if numbers is not None:
                cur.register("wanted", pa.table({"n": pa.array(numbers, pa.string())}))
                where = "WHERE admission_number IN (SELECT n FROM wanted)"
            return cur.sql(export_query(as_of, where)).to_arrow_table()

    def explain(self, number: str, as_of: date, known_at_utc: str | None) -> dict[str, list[dict[str, Any]]]:
        """The working rows behind one admission's status (empty `status` when it is not held)."""
        inputs = self._inputs(known_at_utc, [number])
        with judged(self.con, inputs, as_of, self.rules) as cur:
            return {
                name: cur.sql(sql.replace("$n", "?"), params=[number] * sql.count("$n"))
                .to_arrow_table()
                .to_pylist()
                for name, sql in EXPLAIN_TABLES.items()
            }

    def verified_by(self, uids: list[str], numbers: list[str], as_of: date) -> pa.Table:
        """Admissions with a verified ending departure that rests on one of the records `uids` (a batch's
        new records, carrying admission `numbers`), or whose number is one of `numbers` (its arrival came
        after its departure), or which are admissions of a person one of `uids` is (or, retracted since,
        was last) linked to: what a `departure:verified` event announces. That last part finds an
        admission whose ending departure a batch changed without being it (a retraction of the departure
        that ended it, an arrival retracted or corrected in front of it); an admission whose ending
        departure is unchanged is found too, and the event sink, which keeps what it announced, drops it.

        The persons concerned (those of the records and of the numbers) are judged by the per-person
        evaluator (`ilos.domain.evaluation`, held equal to the SQL: ADR 11), read in one query, with the
        persons sharing their admission numbers (`persons_sharing`) in another: 140 to 190 ms a stream
        batch at 100,000 persons by the SQL, 30 to 40 ms so (most of it the reads; before the sharing
        persons were read). A large batch's persons are judged by the SQL, set-at-a-time, over their
        records only when they are few among the store's (`SCOPED_SHARE`), else over everyone's: what it
        costs grows with the batch, and with the store only up to what reading everyone costs."""
        owners = self.reader.last_persons_of_records(uids)
        persons = sorted(set(owners) | set(self.reader.persons_of_admissions(numbers)))
        if len(uids) + len(numbers) > PERSON_SCOPED_MAX:
            few = len(persons) <= SCOPED_SHARE * self.reader.person_count()
            return self.verified_by_sql(uids, numbers, as_of, persons if few else None, owners)
        rows = self.reader.person_rows(ADMISSION_INPUTS, None, persons)
        sharing = persons_sharing(self.reader, [r["admission_number"] for r in rows["arrivals"]], persons)
        if sharing:
            more = self.reader.person_rows(ADMISSION_INPUTS, None, sharing)
            rows = {feed: feed_rows + more[feed] for feed, feed_rows in rows.items()}
        return verified_rows(judge(rows, as_of, self.rules).statuses, uids, numbers, owners)

    def persons_concerned(self, uids: list[str], numbers: list[str]) -> list[str]:
        """The persons of the records `uids` (now or last) and of the records carrying one of `numbers`,
        sorted: those whose admissions `verified_by` judges."""
        return sorted(
            set(self.reader.last_persons_of_records(uids)) | set(self.reader.persons_of_admissions(numbers))
        )

    def verified_by_sql(
        self,
        uids: list[str],
        numbers: list[str],
        as_of: date,
        persons: list[str] | None,
        owners: list[str] | None = None,
    ) -> pa.Table:
        """`verified_by` by the set-at-a-time SQL, over the records of `persons` and of the persons sharing
        their admission numbers (None: everyone); `owners`, the persons of `uids`, are read when not given."""
        if owners is None:
            owners = self.reader.last_persons_of_records(uids)
        inputs = self._inputs_of(persons)
        with judged(self.con, inputs, as_of, self.rules) as cur:
            cur.register("new_uids", pa.table({"uid": pa.array(uids, pa.string())}))
            cur.register("new_numbers", pa.table({"n": pa.array(numbers, pa.string())}))
            cur.register("new_persons", pa.table({"person_id": pa.array(owners, pa.string())}))
            return cur.sql(VERIFIED_BY).to_arrow_table()

    def _inputs_of(self, persons: list[str] | None) -> dict[str, pa.Table]:
        """The admission inputs (as known now) of everyone, or of `persons` and the persons sharing their
        admission numbers (`persons_sharing`)."""
        inputs = self.reader.admission_inputs(None, persons)
        if persons is None:
            return inputs
        sharing = persons_sharing(
            self.reader, inputs["arrivals"].column("admission_number").to_pylist(), persons
        )
        if not sharing:
            return inputs
        more = self.reader.admission_inputs(None, sharing)
        return {feed: pa.concat_tables([table, more[feed]]) for feed, table in inputs.items()}

    def verified(self, as_of: date) -> pa.Table:
        """Every admission with a verified ending departure, as `verified_by` gives them."""
        with judged(self.con, self.reader.admission_inputs(None, None), as_of, self.rules) as cur:
            return cur.sql(VERIFIED.format(scope="")).to_arrow_table()

    def regrouped_departures(self, run_id: int) -> list[str]:
        """Departure records of the persons whose records identity run `run_id` merged or split."""
        return self.reader.regrouped_departures(run_id)

    def departure_series(self, first: date, last: date, as_of: date, known_at_utc: str | None) -> pa.Table:
        """Verified departures dated `first`..`last` (one per person and day), by day and evidence type."""
        inputs = self._inputs(known_at_utc, None)
        with judged(self.con, inputs, as_of, self.rules) as cur:
            return cur.sql(DEPARTURE_SERIES, params=[first, last]).to_arrow_table()

    def overstay_report(self, fiscal_year: int, as_of: date, known_at_utc: str | None) -> pa.Table:
        """The DHS overstay report rows for one fiscal year."""
        inputs = self._inputs(known_at_utc, None)
        with judged(self.con, inputs, as_of, self.rules) as cur:
            return overstay_rows(cur, fiscal_year)
