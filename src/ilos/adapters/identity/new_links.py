"""The persons a run would certainly link new signatures to, decided as they are stored (ADR 11).

A new signature's node S, scored against its candidates (`new_signatures`), is decided only when the run
that re-resolves it could not decide otherwise. The run re-clusters every component S reaches; the
clustering of a component depends only on the pairs inside it (components are closed under links, and
the twins' doubt and ambiguity holds need a twins pair that S or the component takes part in). So S is
decided when:

1. S has no `twins` pair, no pair with another new node of its batch, and links to signatures of one
   component K only, which the last run linked to one person, and none of whose records is in an open
   `ambiguous` pair or a reviewer's decision (`unsettled`);
2. every pair of K and S is blocked and kept (a weight of at least LOWER, or a hard rule): then the
   run's completion finds no pair it has not scored, and these are all the pairs its clustering reads;
3. K and S form a component the clustering keeps whole (`clustering._to_rebuild`): at most one A-number,
   no pair kept apart, and, past two signatures, at least CLEAN_DENSITY of the pairs supporting.

Then the run keeps K and S one cluster, and the person's id stays (the stable ids' rule: a cluster keeps
the id whose oldest record it holds). Everything else is left to the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity.clustering import CLEAN_DENSITY
from ilos.adapters.identity.new_signatures import NewSignatureScorer, Scored

#: A record's link as the last run left it: (person_id, component), or None when it left none.
Link = tuple[str, str] | None


def decide(
    scorer: NewSignatureScorer,
    scored: Scored,
    feat: pa.Table,
    links: Callable[[list[str]], Mapping[str, Link]],
    signatures_of: Callable[[str], list[str]],
    unsettled: Callable[[list[str]], bool],
) -> dict[str, str]:
    """Node uid -> the person the run would certainly link it to, for the nodes of `scored` it decides.

    `feat`: the index's signature rows; `links`: the last run's link of each of some records (a
    signature's representative stands for its members); `signatures_of`: a component's signatures
    (their representatives); `unsettled`: whether any of some representatives' records is held by an
    open `ambiguous` pair or a reviewer's decision."""
    joined = _joined(scored, links)
    components = {component for component, _ in joined.values()}
    members = {component: signatures_of(component) for component in components}
    wanted = pa.array(sorted({rep for reps in members.values() for rep in reps}), pa.string())
    rows = feat.filter(pc.is_in(feat.column("record_uid"), wanted))
    nodes = {node["record_uid"]: node for node in scored.nodes}
    decided = {}
    persons = links(sorted(wanted.to_pylist()))
    for uid, (component, person) in joined.items():
        reps = members[component]
        if unsettled(reps) or any(persons.get(rep) != (person, component) for rep in reps):
            continue
        inside = rows.filter(pc.is_in(rows.column("record_uid"), pa.array(reps, pa.string())))
        if inside.num_rows == len(reps) and _kept_whole(
            scorer.score_among([nodes[uid]], inside), nodes[uid], inside
        ):
            decided[uid] = person
    return decided


def _joined(scored: Scored, links: Callable[[list[str]], Mapping[str, Link]]) -> dict[str, tuple[str, str]]:
    """Node uid -> (component, person) of the one component its links go to, for the nodes that meet
    condition 1 but for `unsettled`."""
    new = {node["record_uid"] for node in scored.nodes}
    pairs = scored.pairs.to_pylist()
    partners: dict[str, list[dict[str, Any]]] = {uid: [] for uid in new}
    for pair in pairs:
        for one, other in (("record_uid_l", "record_uid_r"), ("record_uid_r", "record_uid_l")):
            if pair[one] in new:
                partners[pair[one]].append({**pair, "other": pair[other]})
    linked = links(sorted({pair["other"] for found in partners.values() for pair in found}))
    joined = {}
    for uid, found in partners.items():
        if uid in scored.undecided or any(pair["other"] in new for pair in found):
            continue
        targets = {linked.get(pair["other"]) for pair in found if pair["decision"] == "link"}
        if len(targets) == 1 and None not in targets:
            ((person, component),) = targets  # type: ignore[misc]
            joined[uid] = (component, person)
    return joined


def _kept_whole(pairs: pa.Table, node: Mapping[str, Any], inside: pa.Table) -> bool:
    """Conditions 2 and 3 for `node` and the signatures `inside` its component, whose pairs are `pairs`."""
    size = inside.num_rows + 1
    if pairs.num_rows != size * (size - 1) // 2 or any(pairs.column("apart").to_pylist()):
        return False
    numbers = {node["a9"], *inside.column("a9").to_pylist()} - {None}
    if len(numbers) > 1:
        return False
    return size == 2 or bool(
        sum(pairs.column("support").to_pylist()) >= CLEAN_DENSITY * size * (size - 1) / 2
    )
