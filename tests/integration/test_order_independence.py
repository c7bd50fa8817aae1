"""Property: the records in force do not depend on how rows are split into files or the order of ingestion."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli import ilos
from tests.feedfiles import arrival, write_csv

counter = itertools.count()

versions = st.lists(
    st.tuples(
        st.sampled_from(["1", "2", "3"]),  # record key
        st.integers(min_value=1, max_value=5),  # day of recorded_at
        st.sampled_from(["2024-08-31", "2024-09-30", "2024-07-15"]),  # admit_until
        st.booleans(),  # retracted
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=versions, split=st.integers(min_value=1, max_value=3), order=st.randoms(use_true_random=False))
def test_records_in_force_ignore_file_split_and_order(tmp_path: Path, rows: list, split: int, order) -> None:
    run = tmp_path / str(next(counter))
    delivered = [
        arrival(
            key, recorded_at=f"2024-03-0{day}T10:00:00Z", admit_until=until, retracted="true" if gone else ""
        )
        for key, day, until, gone in rows
    ]
    files = [write_csv(run / f"part{i}.csv", delivered[i::split]) for i in range(min(split, len(delivered)))]
    one_file = write_csv(run / "all.csv", delivered)
    shuffled = files[:]
    order.shuffle(shuffled)

    stores = {"split": f"sqlite:///{run / 'a.db'}", "single": f"sqlite:///{run / 'b.db'}"}
    for path in shuffled:
        assert ilos("ingest", "--no-resolve", "arrivals", str(path), db=stores["split"]).code == 0
    assert ilos("ingest", "--no-resolve", "arrivals", str(one_file), db=stores["single"]).code == 0

    def in_force(db: str) -> list[str]:
        lines = ilos("export", "records", "arrivals", db=db).out.splitlines()[1:]
        return [
            ",".join(line.split(",")[:2] + line.split(",")[3:]) for line in lines
        ]  # drop the version number

    assert in_force(stores["split"]) == in_force(stores["single"])
