"""The AdmissionWork port: records from the reader, statuses and the overstay report from DuckDB."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck.admission_status import compute, export_query
from ilos.adapters.duck.overstay_report import overstay_rows
from ilos.adapters.duck.workspace import workspace
from ilos.domain.admission_rules import AdmissionRules, admission_rules

#: Working tables an explanation shows, with the columns it reads from each.
EXPLAIN_TABLES: dict[str, str] = {
    "status": "SELECT * FROM status WHERE admission_number = $n",
    "program_end": "SELECT * FROM program_end WHERE admission_number = $n",
    "filings": """SELECT f.receipt_number, f.benefit, f.filed, f.decision, f.decided, f.decision_valid_until,
                         f.sources, f.i, s.until, s.timely, f.no_change
                  FROM filing_seq f JOIN ledger_steps s USING (admission_number, i)
                  WHERE admission_number = $n ORDER BY f.i""",
    "departures": """SELECT v.day, v.evidence, v.number, v.sources FROM verified v
                     JOIN adm a ON (v.pkey = a.pkey AND v.day >= a.admitted_on
                                    AND (a.next_on IS NULL OR v.day < a.next_on)) OR v.number = a.admission_number
                     WHERE a.admission_number = $n ORDER BY v.day, v.sources""",
    "self_reports": """SELECT v.day, v.uid FROM alone v
                       JOIN adm a ON (v.pkey = a.pkey AND v.day >= a.admitted_on
                                      AND (a.next_on IS NULL OR v.day < a.next_on)) OR v.number = a.admission_number
                       WHERE a.admission_number = $n ORDER BY v.day, v.uid""",
    "admission": "SELECT admitted_on, next_on, uid, admit_until_text FROM adm WHERE admission_number = $n",
}


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
        with workspace(self.con, "ilos_status") as cur:
            compute(cur, inputs, as_of, self.rules)
            where = ""
            if numbers is not None:
                cur.register("wanted", pa.table({"n": pa.array(numbers, pa.string())}))
                where = "WHERE admission_number IN (SELECT n FROM wanted)"
            return cur.sql(export_query(as_of, where)).to_arrow_table()

    def explain(self, number: str, as_of: date, known_at_utc: str | None) -> dict[str, list[dict[str, Any]]]:
        """The working rows behind one admission's status (empty `status` when it is not held)."""
        inputs = self._inputs(known_at_utc, [number])
        with workspace(self.con, "ilos_status") as cur:
            compute(cur, inputs, as_of, self.rules)
            return {
                name: cur.sql(sql.replace("$n", "?"), params=[number] * sql.count("$n"))
                .to_arrow_table()
                .to_pylist()
                for name, sql in EXPLAIN_TABLES.items()
            }

    def overstay_report(self, fiscal_year: int, as_of: date, known_at_utc: str | None) -> pa.Table:
        """The DHS overstay report rows for one fiscal year."""
        inputs = self._inputs(known_at_utc, None)
        with workspace(self.con, "ilos_status") as cur:
            compute(cur, inputs, as_of, self.rules)
            return overstay_rows(cur, fiscal_year)
