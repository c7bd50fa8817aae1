"""Values (persons, components) counted from the links a run replaces are those of the links it leaves."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.link_counts import LinkCounts

VALUES = st.one_of(st.none(), st.sampled_from(["p1", "p2", "p3", "p4", "p5"]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(VALUES, max_size=12),
    st.lists(st.tuples(st.integers(0, 15), VALUES), max_size=10),
)
def test_values_after_a_change_are_those_of_the_links_left(
    before: list[str | None], changes: list[tuple[int, str | None]]
) -> None:
    """Links are record -> value; a change gives some records (old or new) a new value, or none."""
    links = dict(enumerate(before))
    after = dict(links)
    for record, value in changes:
        after[record] = value
    replaced = sorted({record for record, _ in changes})
    removed = [links[r] for r in replaced if r in links]
    added = [after[r] for r in replaced]
    counts = LinkCounts(pa.array(list(links.values()), pa.string()))
    delta = counts.change(pa.array(removed, pa.string()), pa.array(added, pa.string()))
    expected = Counter(v for v in after.values() if v is not None)
    assert counts.count_after(delta) == len(expected)
    assert counts.count == len({v for v in before if v is not None})  # left as it was
    counts.apply(delta)
    assert counts.count == len(expected)
    assert counts._counts == expected
    assert counts.singles.to_pylist() == sorted(v for v, n in expected.items() if n == 1)
