"""The persons a run would certainly link new signatures to, decided as they are stored (ADR 11).

A new signature's node S, scored against its candidates (`new_signatures`), is decided only when the run
that re-resolves it could not decide otherwise. The run re-clusters every component S reaches; the
clustering of a component depends only on the pairs inside it (components are closed under links, and
the twins' doubt and ambiguity holds need a twins pair that S or the component takes part in). What
the clustering read of each component the last run left is its facts (`clustering.component_facts`).
S is decided when:

1. S has no `twins` pair and no pair with another new node of its batch, and links to signatures of
   one component K only, with which no other node of its batch has a pair (two new nodes that share
   nothing but their links to K, each alone dense enough with it, may together make it sparse; a
   twins pair of another new node with a signature of K may make the run hold K's links ambiguous);
2. the last run kept K whole (one cluster: one person) and no unsettled pair touches it (a twins pair,
   one held as ambiguous, a reviewer's decision);
3. every pair of K and S is kept (a weight of at least LOWER, or a hard rule): K's pairs inside were
   all kept by the run, and S has a kept pair with each of K's signatures. Then the run's completion
   finds no pair it has not scored, and these are all the pairs its clustering reads;
4. K and S form a component the clustering keeps whole (`clustering._to_rebuild`): at most one A-number,
   no pair kept apart, and, past two signatures, at least CLEAN_DENSITY of the pairs supporting.

Then the run keeps K and S one cluster, and the person's id stays (the stable ids' rule: a cluster keeps
the id whose oldest record it holds). Everything else is left to the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ilos.adapters.identity.clustering import CLEAN_DENSITY
from ilos.adapters.identity.new_signatures import Scored

#: A record's link as the last run left it: (person_id, component), or None when it left none.
Link = tuple[str, str] | None
#: A component's facts (`clustering.FACTS_SCHEMA`), by name.
Facts = Mapping[str, Any]


@dataclass
class _Joined:
    """The component and person a node's links go to, and its pairs with that component's signatures."""

    component: str
    person: str
    pairs: int = 0
    support: int = 0
    apart: bool = False


def decide(
    scored: Scored,
    links: Callable[[list[str]], Mapping[str, Link]],
    facts: Callable[[list[str]], Mapping[str, Facts]],
    decidable: set[str],
) -> dict[str, str]:
    """Node uid -> the person the run would certainly link it to, for the nodes of `scored` named in
    `decidable` that it decides.

    `scored` must hold every usable record of the batch that does not repeat an indexed signature (a
    record carrying an admission number, or bringing one to a signature the index holds, pairs with
    components as much as a new signature); `decidable` names the nodes whose signature the index does
    not hold. `links`: the last run's link of each of some signatures' representatives; `facts`: the
    facts of each of some components, as the last run left them."""
    joined, touching = _joined(scored, links)
    joined = {uid: found for uid, found in joined.items() if uid in decidable}
    joined = {uid: found for uid, found in joined.items() if touching[found.component] == 1}
    known = facts(sorted({found.component for found in joined.values()}))
    nodes = {node["record_uid"]: node for node in scored.nodes}
    return {
        uid: found.person
        for uid, found in joined.items()
        if found.component in known and _kept_whole(nodes[uid], found, known[found.component])
    }


def _joined(
    scored: Scored, links: Callable[[list[str]], Mapping[str, Link]]
) -> tuple[dict[str, _Joined], Counter[str]]:
    """The nodes that meet condition 1 but for the batch's other nodes, with their component, person and
    pairs into it; and how many of the batch's nodes have a pair into each component."""
    new = {node["record_uid"] for node in scored.nodes}
    partners: dict[str, list[dict[str, Any]]] = {uid: [] for uid in new}
    for pair in scored.pairs.to_pylist():
        for one, other in (("record_uid_l", "record_uid_r"), ("record_uid_r", "record_uid_l")):
            if pair[one] in new:
                partners[pair[one]].append({**pair, "other": pair[other]})
    linked = links(sorted({pair["other"] for found in partners.values() for pair in found} - new))
    touching: Counter[str] = Counter()
    for found in partners.values():
        touching.update({link[1] for pair in found if (link := linked.get(pair["other"])) is not None})
    joined = {}
    for uid, found in partners.items():
        if uid in scored.undecided or any(pair["other"] in new for pair in found):
            continue
        targets = {linked.get(pair["other"]) for pair in found if pair["decision"] == "link"}
        if len(targets) != 1 or None in targets:
            continue
        person, component = next(iter(targets))  # type: ignore[misc]
        mine = _Joined(component, person)
        for pair in found:
            if (linked.get(pair["other"]) or ("", ""))[1] == component:
                mine.pairs, mine.support = mine.pairs + 1, mine.support + pair["support"]
                mine.apart = mine.apart or pair["apart"]
        joined[uid] = mine
    return joined, touching


def _kept_whole(node: Mapping[str, Any], found: _Joined, facts: Facts) -> bool:
    """Conditions 2 to 4 for a node, its pairs into its component (`found`) and the component's `facts`."""
    size = facts["signatures"] + 1
    if not (facts["whole"] and facts["settled"]) or facts["apart"] or found.apart:
        return False
    if facts["pairs"] + found.pairs != size * (size - 1) // 2 or found.pairs != facts["signatures"]:
        return False
    if facts["a_numbers"] > 1 or (node["a9"] is not None and facts["a_number"] not in (None, node["a9"])):
        return False
    return size == 2 or bool(facts["support"] + found.support >= CLEAN_DENSITY * size * (size - 1) / 2)
