"""Policy packs, the facts rules may see and the legal holds, rendered as Markdown from the code."""

from __future__ import annotations

from ilos.domain.facts import FACTS, PROTECTED_ATTRIBUTES
from ilos.domain.holds import HOLD_KINDS
from ilos.domain.policy import OPERATORS, Pack


def rule_catalogue(pack: Pack, level: int = 1) -> str:
    """One pack's tiers and rules, with what each requires as evidence."""
    h = "#" * level
    lines = [
        f"{h} `{pack.name}` {pack.version}", "",
        f"*{pack.title}* — {pack.source}. In force from {pack.effective_from}"
        + (f" to {pack.effective_until}." if pack.effective_until else "."),
        "", f"Excludes the discretionary holds: {', '.join(f'`{c}`' for c in sorted(pack.excludes)) or 'none'}.", "",
        f"{h}# Tiers, highest first", "", "| tier | meaning | reached only with a score of at least |", "|---|---|---|",
        *(f"| `{t.name}` | {t.meaning} | {'' if t.min_score is None else t.min_score} |" for t in pack.tiers), "",
        f"{h}# Rules", "", "| rule | kind | effect | when | evidence required | meaning |", "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in pack.rules:
        effect = {"tier": f"`{r.tier}`", "aggravating": f"+{r.weight}", "mitigating": f"−{r.weight}",
                  "review": "review list"}[r.kind]  # fmt: skip
        when = " and ".join(c.text() for c in r.when)
        lines.append(f"| `{r.id}` | {r.kind} | {effect} | {when} | {r.evidence} | {r.meaning} |")
    return "\n".join(lines) + "\n"


def facts_and_holds() -> str:
    """The allow-list of facts, the protected attributes, the condition operators and the holds."""
    lines = [
        "## Facts rules may see", "",
        "A rule naming anything else is rejected; facts marked *lead* (allegations and leads to verify) may be "
        "used only by `review` rules, which never raise a tier.", "",
        "| fact | type | meaning |", "|---|---|---|",
        *(f"| `{f.name}` | {f.type.value}{' (lead)' if f.lead else ''} | {f.meaning} |" for f in FACTS.values()), "",
        "## Attributes no rule may see", "",
        "A pack naming one of these (or these words) is rejected with the reason.", "",
        *(f"- {a}: {', '.join(f'`{w}`' for w in words)}" for a, words in PROTECTED_ATTRIBUTES.items()), "",
        "## Condition operators", "",
        *(f"- `{op}`: for {', '.join(sorted(t.value for t in types))} facts" for op, types in OPERATORS.items()), "",
        "## Legal holds", "",
        "| code | scope | from |", "|---|---|---|",
        *(f"| `{h.code}` | {h.scope.value} | {h.source} |" for h in HOLD_KINDS),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
