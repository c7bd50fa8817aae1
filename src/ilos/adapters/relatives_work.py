"""The RelativesWork port: relationships, identity records and links from the reader; DuckDB does the matching."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ilos.adapters.db.reader import PersonDataReader
from ilos.adapters.duck.relatives import link_relatives
from ilos.adapters.identity_work import DuckIdentityWork
from ilos.domain.feeds import FEEDS


class DuckRelativesWork:
    """Resolves the relatives named in `relationships` to the persons of the current links; the
    identity records and links come from the identity work, which keeps them between runs."""

    def __init__(
        self, reader: PersonDataReader, con: duckdb.DuckDBPyConnection, identity: DuckIdentityWork
    ) -> None:
        self.reader = reader
        self.con = con
        self.identity = identity

    def relatives(self) -> pa.Table:
        """One row per relationship in force: its subject's and its relative's person, and how."""
        return link_relatives(
            self.con,
            self.reader.records_in_force(FEEDS["relationships"]),
            self.identity.records(),
            self.identity.link_state(),
        )
