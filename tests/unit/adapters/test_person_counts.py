"""Persons counted from the links a run replaces are those of the links it leaves."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ilos.adapters.person_counts import PersonCounts

PERSONS = st.one_of(st.none(), st.sampled_from(["p1", "p2", "p3", "p4", "p5"]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(PERSONS, max_size=12),
    st.lists(st.tuples(st.integers(0, 15), PERSONS), max_size=10),
)
def test_persons_after_a_change_are_the_distinct_persons_of_the_links_left(
    before: list[str | None], changes: list[tuple[int, str | None]]
) -> None:
    """Links are record -> person; a change gives some records (old or new) a new person, or none."""
    links = dict(enumerate(before))
    after = dict(links)
    for record, person in changes:
        after[record] = person
    replaced = sorted({record for record, _ in changes})
    removed = [links[r] for r in replaced if r in links]
    added = [after[r] for r in replaced]
    counts = PersonCounts(pa.array(list(links.values()), pa.string()))
    delta = counts.change(pa.array(removed, pa.string()), pa.array(added, pa.string()))
    expected = {p for p in after.values() if p is not None}
    assert counts.persons_after(delta) == len(expected)
    assert counts.persons == len({p for p in before if p is not None})  # left as it was
    counts.apply(delta)
    assert counts.persons == len(expected)
    assert counts._counts == Counter(p for p in after.values() if p is not None)
