"""The prioritization section of docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

from benchmarks.report_stream import yes


def prioritization(data: dict[str, Any]) -> str:
    """Worklists against the true holds, re-ranking one person, and ranking at scale."""
    t = data["targets"]
    lines = [
        "## Prioritization (issue 5)",
        "",
        f"Measured {data['measured_at']} on {data['machine']['cpus']} CPUs.",
        "",
    ]
    lines += _world(data.get("world", {}), t)
    lines += _rank(data.get("rank", {}), t)
    return "\n".join(lines)


def _world(step: dict[str, Any], t: dict[str, Any]) -> list[str]:
    if "result" not in step:
        return [f"World: not measured ({step.get('error', 'no result')}).", ""]
    r = step["result"]
    rows = [
        f"| `{name}` | {p['listed']:,} | {p['seconds']:.2f} | {p['held_listed']} | {p['departed_listed']} "
        f"| {yes(p['held_listed'] <= t['held_listed'])} |"
        for name, p in r["packs"].items()
    ]
    holds = [
        f"| `{h['code']}` | {h['both']:,} | {h['only_ilos']:,} | {h['only_truth']:,} |" for h in r["holds"]
    ]
    rr = r["rerank"]
    return [
        "### Worklists against the generator's true holds",
        "",
        f"The generated world of the admission benchmark ({r['persons']:,} persons after identity resolution; "
        f"loaded and resolved in {r['load_resolve_s']} s), every feed, judged as of {r['as_of']}. A listed person "
        'counts as held when any of its records belongs to a true person with a hold of scope "no enforcement" '
        'or "no removal" in force (`truth/holds.csv`). Seconds: the whole worklist from the store (records '
        "read, statuses, holds, facts, the pack).",
        "",
        "| pack | listed | seconds | listed but truly held (target 0) | of them departed | met |",
        "|---|---:|---:|---:|---:|---|",
        *rows,
        "",
        _held_sentence(sum(p["held_listed"] for p in r["packs"].values())),
        "",
        "Holds in force, ILOS against the truth (true persons; an ILOS person stands for the true person most "
        "of its records belong to; a departure linked to the wrong person, or a person split in two, shows as "
        "a `DEPARTED` on one side only):",
        "",
        "| hold | both | only ILOS | only truth |",
        "|---|---:|---:|---:|",
        *holds,
        "",
        f"Re-ranking one person from the store (the records of the person, their relatives and any person sharing "
        f"their admission numbers, as after a new record is "
        f"stored and linked), {rr['persons']} persons of the list: median {rr['median_s'] * 1000:.1f} ms, "
        f"p95 {rr['p95_s'] * 1000:.1f} ms (target ≤ {t['rerank_s'] * 1000:.0f} ms: "
        f"{yes(rr['p95_s'] <= t['rerank_s'])}).{_baseline(rr)}",
        "",
    ]


def _held_sentence(held: int) -> str:
    if held == 0:
        return "No pack lists a person with a true hold in force."
    return (
        f"{held} listings of persons with a true hold in force, each an error of the list: in earlier runs "
        "the record carrying the hold (an executed removal with a name alone) was not linked to the "
        "person's other records, so ILOS saw no departure for that person."
    )


def _baseline(rr: dict[str, Any]) -> str:
    """The evaluator beside the SQL on the same persons, and its agreement with the worklist's SQL (absent
    from runs before the evaluator)."""
    if "sql_median_s" not in rr:
        return ""
    agreed = rr["checked"] - rr["differ"]
    return (
        " The place is computed by the per-person evaluator (ADR 11), in a running process (each person placed "
        f"once before, untimed); the set-at-a-time SQL on the records of the same persons takes a median {rr['sql_median_s'] * 1000:.0f} ms "
        f"({rr['sql_median_s'] / max(rr['median_s'], 1e-9):.0f}× the evaluator). Every person of the world was "
        f"placed by both: the evaluator's answer (facts, rank row, rules fired, holds in force) equals the "
        f"whole worklist's SQL for {agreed:,} of {rr['checked']:,} persons"
        + (
            f"; it differs for {rr['differ']:,} ({', '.join(rr['differ_first'])}...)."
            if rr["differ"]
            else "."
        )
    )


def _rank(step: dict[str, Any], t: dict[str, Any]) -> list[str]:
    if "result" not in step:
        return [f"Ranking at scale: not measured ({step.get('error', 'no result')}).", ""]
    r = step["result"]
    packs = [k for k in r if isinstance(r[k], dict)]
    rows = [
        f"| `{name}` | {r[name]['listed']:,} | {r['floor_s']:.3f} | {r[name]['seconds']:.2f} (≤ {t['rank_s']}) "
        f"| {r[name]['seconds'] / max(r['floor_s'], 1e-9):.0f}× | {yes(r[name]['seconds'] <= t['rank_s'])} |"
        for name in packs
    ]
    return [
        "### Ranking 1,000,000 persons",
        "",
        f"The world's facts and holds copied to {r['persons']:,} persons ({r['holds']:,} holds); each pack compiled "
        "to SQL and ranked into the contract's worklist (rules fired with their sources, scores, tiers, holds, "
        "order); the floor scores the same facts by one fixed expression and sorts them, in the same process. "
        f"Peak memory of the step: {step['peak_mib']:,.0f} MiB.",
        "",
        "| pack | listed | floor s | ILOS s (target) | ratio | met |",
        "|---|---:|---:|---:|---:|---|",
        *rows,
        "",
    ]
