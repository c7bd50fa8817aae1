"""The stream at an offered rate, as `docs/benchmarks.md` shows it (issue 4's stream target)."""

from __future__ import annotations

from typing import Any

#: The stream target holds only for a run this long, against a store of this many persons.
STREAM_SUSTAINED_S = 300
STREAM_PERSONS = 1_000_000


def offered_met(r: dict[str, Any], t: dict[str, Any]) -> bool:
    """The whole stream target, judged on the time until each event's effect on its admission shows
    (once stored, linked on storing or linked by a run), with the rate offered, stored and linked
    (a stream whose linking falls behind cannot be sustained), for 5 minutes against 1,000,000 persons."""
    return (
        r["offered_per_s"] >= t["stream_events_per_s"]
        and r["linked_per_s"] >= t["stream_events_per_s"]
        and r["visible_p99_s"] <= t["stream_p99_s"]
        and r["seconds"] >= STREAM_SUSTAINED_S
        and r["persons"] >= STREAM_PERSONS
    )


def offered_section(steps: list[dict[str, Any]], t: dict[str, Any]) -> list[str]:
    """The offered-rate runs: a table, and how to read it."""
    measured = [step["result"] for step in steps if "result" in step]
    failed = [step.get("error", "no result") for step in steps if "result" not in step]
    if not measured:
        return [f"Stream at an offered rate: not measured ({failed[0] if failed else 'no result'}).", ""]
    first = measured[0]
    rows = [
        f"| {r['store']} | {r['persons']:,} | {r['offered_per_s']:,} × {r['seconds']} s | {r['events']:,} "
        f"| {r['stored_per_s']:,.0f} | {r['store_p50_s']:.2f} | {r['store_p99_s']:.2f} "
        f"| {r['link_runs']} ({r['run_lines_p50']:,} / {r['run_lines_max']:,}) | {r['linked_per_s']:,.0f} "
        f"| {r['link_p50_s']:.2f} | {r['link_p99_s']:.2f} | {r['linked_on_storing']:.0%} ({r.get('decided_on_storing', 0):.0%}) "
        f"| {r['visible_p50_s']:.2f} | {r['visible_p99_s']:.2f} (≤ {t['stream_p99_s']}) | {r['visible_max_s']:.2f} "
        f"| {yes(offered_met(r, t))} |"
        for r in measured
    ]
    visible = f"{first['visible_on_storing']:.0%}"
    return [
        "### Stream: departures offered at a rate, stored at once, linked behind",
        "",
        "A producer thread offers a generated world's most recently recorded departures (held back from a "
        "resolved store of everything else; the persons it holds after the stream are in the table) at a "
        "fixed rate, and the process takes them as `ilos stream` does: micro-batches of what "
        "arrived within 50 ms of the first line, each stored in one transaction, while a second thread links "
        "behind, each run taking every batch stored since the last, and a third announces what each run "
        "verified. Latencies run from when an event was offered (not when it was taken) to the commit that "
        "stored it, to the end of the run that linked it (links and relatives saved, then its "
        "`departure:verified` events), and to its effect on its admission being visible; p50 and p99 by "
        "nearest rank over events. "
        f"Once stored, a departure carrying the number of the admission it ends, of evidence verified on its "
        f"own ({visible} of these), shows in that admission's status; one that repeats the identity of a record "
        "already linked (ADR 13), or, with `ILOS_DECIDE_ON_STORING=1` (off by default and in these runs), whose "
        "new identity's person the next run will certainly give (ADR 11), is "
        "linked as it is stored (the *on storing* column; in brackets, those decided) and shows then; the others "
        "show once their run has saved its links. The target is judged on the time to the effect, with the rate linked. Target: "
        "2,000 events/s sustained for 5 minutes against 1,000,000 persons with p99 ≤ 250 ms.",
        "",
        "| store | persons | offered/s × time | events | stored/s | stored p50 s | stored p99 s | link runs (lines p50 / "
        "max) | linked/s | linked p50 s | linked p99 s | on storing | visible p50 s | visible p99 s (target) "
        "| visible max s | target met |",
        "|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        *([f"Not measured: {', '.join(failed)}.", ""] if failed else []),
    ]


def yes(ok: bool) -> str:
    """A target's verdict as the tables show it."""
    return "yes" if ok else "**no**"
