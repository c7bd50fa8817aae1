"""Policy packs: published enforcement priorities as versioned, validated data.

A pack (`pack.toml` in a folder of its own, beside a README citing the public document it follows)
names tiers in priority order and rules. A rule is a conjunction of conditions on facts of the
allow-list (`ilos.domain.facts`); its kind says what it does when every condition holds:

* `tier` — the person reaches the rule's tier (the best tier reached counts), provided the tier's
  `min_score` is met by the person's aggravating minus mitigating weights;
* `aggravating` / `mitigating` — adds / subtracts its weight in the score;
* `review` — puts the person on the "needs human review" list; never raises a tier. Facts that are
  allegations or leads (a charge without conviction, a suspected overstay) may be used only here.

A pack naming a fact outside the allow-list, or a protected attribute, is rejected with the reason.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ilos.domain.facts import FACTS, FactType, protected_attribute
from ilos.domain.holds import DISCRETIONARY_HOLDS

PACKS_DIR = Path(__file__).parent.parent / "policies"
RULE_KINDS = ("tier", "aggravating", "mitigating", "review")
#: Condition operators and the fact types each applies to.
OPERATORS: dict[str, frozenset[FactType]] = {
    "is": frozenset({FactType.FLAG}),
    "at_least": frozenset({FactType.COUNT, FactType.DAYS, FactType.YEARS}),
    "at_most": frozenset({FactType.COUNT, FactType.DAYS, FactType.YEARS}),
    "on_or_after": frozenset({FactType.DATE}),
    "before": frozenset({FactType.DATE}),
    "within_years": frozenset({FactType.DATE}),
    "older_than_years": frozenset({FactType.DATE}),
    "present": frozenset({FactType.DATE}),
}

_WORDS = {"is": "is", "at_least": "is at least", "at_most": "is at most", "on_or_after": "is on or after",
          "before": "is before"}  # fmt: skip


class PolicyError(ValueError):
    """A pack breaks the schema or names what rules may not see."""


@dataclass(frozen=True)
class Condition:
    """`fact` compared by `op` with `value`."""

    fact: str
    op: str
    value: bool | int | date

    def text(self) -> str:
        """The condition in words, e.g. `convictions_felony is at least 1`."""
        if self.op == "within_years":
            return f"{self.fact} within the last {self.value} years"
        if self.op == "older_than_years":
            return f"{self.fact} more than {self.value} years ago"
        if self.op == "present":
            return f"{self.fact} {'is' if self.value else 'is not'} on record"
        value = str(self.value).lower() if isinstance(self.value, bool) else self.value
        return f"{self.fact} {_WORDS[self.op]} {value}"


@dataclass(frozen=True)
class Rule:
    """One rule of a pack."""

    id: str
    kind: str
    meaning: str
    evidence: str
    when: tuple[Condition, ...]
    tier: str | None = None
    weight: int = 0


@dataclass(frozen=True)
class Tier:
    """A tier, in priority order (the first is the highest)."""

    name: str
    meaning: str
    min_score: int | None = None


@dataclass(frozen=True)
class Pack:
    """A validated policy pack."""

    name: str
    version: str
    effective_from: date
    effective_until: date | None
    title: str
    source: str
    tiers: tuple[Tier, ...]
    rules: tuple[Rule, ...]
    excludes: frozenset[str] = frozenset()
    digest: str = field(default="", compare=False)

    def tier_order(self, name: str) -> int:
        """1 for the first tier."""
        return next(i for i, t in enumerate(self.tiers, start=1) if t.name == name)

    def of_kind(self, kind: str) -> list[Rule]:
        """The rules of one kind, in pack order."""
        return [r for r in self.rules if r.kind == kind]


def _need(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise PolicyError(f"{where}: `{key}` is required")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise PolicyError(f"{where}: `{key}` must be {getattr(kind, '__name__', kind)}, not {value!r}")
    return value


def _name(value: str, where: str) -> str:
    """A rule id or tier name: letters, digits and underscores (they name reasons and columns)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", value):
        raise PolicyError(f"{where}: {value!r} is not a name (letters, digits and underscores)")
    return value


def _check_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        attribute = protected_attribute(key)
        if attribute:
            raise PolicyError(
                f"{where}: `{key}` names a protected attribute ({attribute}); rules may not see it"
            )
        if key not in allowed:
            raise PolicyError(f"{where}: unknown key `{key}` (allowed: {', '.join(sorted(allowed))})")


def _condition(data: Any, rule_kind: str, where: str) -> Condition:
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: a condition is a table like {{fact = ..., at_least = 1}}")
    name = _need(data, "fact", str, where)
    attribute = protected_attribute(name)
    if attribute:
        raise PolicyError(
            f"{where}: fact `{name}` is a protected attribute ({attribute}); rules may not see it"
        )
    if name not in FACTS:
        raise PolicyError(f"{where}: `{name}` is not a fact rules may see (see docs/reference/facts.md)")
    fact = FACTS[name]
    if fact.lead and rule_kind != "review":
        raise PolicyError(
            f"{where}: `{name}` is an allegation or a lead to verify; only `review` rules may use it"
        )
    ops = [k for k in data if k != "fact"]
    _check_keys({k: data[k] for k in ops}, set(OPERATORS), where)
    if len(ops) != 1:
        raise PolicyError(f"{where}: a condition has exactly one operator ({', '.join(OPERATORS)})")
    op = ops[0]
    if fact.type not in OPERATORS[op]:
        raise PolicyError(f"{where}: `{op}` does not apply to `{name}` ({fact.type.value})")
    return Condition(name, op, _value(op, data[op], where))


def _value(op: str, value: Any, where: str) -> bool | int | date:
    if op in ("is", "present"):
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: `{op}` takes true or false, not {value!r}")
        return value
    if op in ("on_or_after", "before"):
        if isinstance(value, date):
            return value
        raise PolicyError(f"{where}: `{op}` takes a date (YYYY-MM-DD, unquoted), not {value!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyError(f"{where}: `{op}` takes a whole number >= 0, not {value!r}")
    return value


def _rule(data: Any, tiers: set[str], index: int) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: a rule is a table")
    _check_keys(data, {"id", "kind", "meaning", "evidence", "when", "tier", "weight"}, where)
    rid = _name(_need(data, "id", str, where), where)
    where = f"rule {rid}"
    kind = _need(data, "kind", str, where)
    if kind not in RULE_KINDS:
        raise PolicyError(f"{where}: kind must be one of {', '.join(RULE_KINDS)}, not {kind!r}")
    when = _need(data, "when", list, where)
    if not when:
        raise PolicyError(f"{where}: `when` needs at least one condition")
    tier = data.get("tier")
    if (kind == "tier") != (tier is not None):
        raise PolicyError(f"{where}: a `tier` rule names its tier; other kinds name none")
    if tier is not None and tier not in tiers:
        raise PolicyError(f"{where}: tier {tier!r} is not one of the pack's tiers")
    weight = data.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        raise PolicyError(f"{where}: `weight` is a whole number >= 0")
    if kind in ("aggravating", "mitigating") and weight == 0:
        raise PolicyError(f"{where}: an {kind} rule needs a weight > 0")
    return Rule(
        rid, kind, _need(data, "meaning", str, where), _need(data, "evidence", str, where),
        tuple(_condition(c, kind, f"{where}, condition {i + 1}") for i, c in enumerate(when)), tier, weight,
    )  # fmt: skip


def parse_pack(data: dict[str, Any], where: str = "pack") -> Pack:
    """A pack from its TOML data, or PolicyError naming what is wrong."""
    _check_keys(
        data,
        {
            "name",
            "version",
            "effective_from",
            "effective_until",
            "title",
            "source",
            "tiers",
            "rules",
            "excludes",
        },
        where,
    )
    tiers = []
    for i, t in enumerate(_need(data, "tiers", list, where)):
        if not isinstance(t, dict):
            raise PolicyError(f"{where}: tiers[{i}] is a table")
        _check_keys(t, {"name", "meaning", "min_score"}, f"{where}: tiers[{i}]")
        min_score = t.get("min_score")
        if min_score is not None and (isinstance(min_score, bool) or not isinstance(min_score, int)):
            raise PolicyError(f"{where}: tiers[{i}]: `min_score` is a whole number")
        name = _name(_need(t, "name", str, f"tiers[{i}]"), f"{where}: tiers[{i}]")
        tiers.append(Tier(name, _need(t, "meaning", str, f"tiers[{i}]"), min_score))
    names = {t.name for t in tiers}
    if not tiers or len(names) != len(tiers) or "HELD" in names:
        raise PolicyError(f"{where}: tiers need distinct names (HELD is reserved)")
    try:
        rules = tuple(_rule(r, names, i) for i, r in enumerate(_need(data, "rules", list, where)))
    except PolicyError as exc:  # a rule's error names the rule; this names the pack too
        raise PolicyError(f"{where}: {exc}") from None
    if len({r.id for r in rules}) != len(rules):
        raise PolicyError(f"{where}: rule ids must be distinct")
    excludes = frozenset(data.get("excludes", []))
    if not excludes <= DISCRETIONARY_HOLDS:
        raise PolicyError(
            f"{where}: `excludes` may name only discretionary holds ({', '.join(sorted(DISCRETIONARY_HOLDS))})"
        )
    start = _need(data, "effective_from", date, where)
    until = data.get("effective_until")
    if until is not None and (not isinstance(until, date) or until < start):
        raise PolicyError(f"{where}: `effective_until` is a date on or after effective_from")
    return Pack(
        _need(data, "name", str, where), _need(data, "version", str, where), start, until,
        _need(data, "title", str, where), _need(data, "source", str, where), tuple(tiers), rules, excludes,
    )  # fmt: skip


def load_pack(path: Path) -> Pack:
    """The pack in `path` (a `pack.toml`), validated, with the digest of its bytes."""
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from None
    pack = parse_pack(data, str(path))
    if pack.name != path.parent.name:
        raise PolicyError(f"{path}: pack name {pack.name!r} differs from its folder {path.parent.name!r}")
    return Pack(**{**pack.__dict__, "digest": hashlib.sha256(raw).hexdigest()})


def installed_packs(folder: Path = PACKS_DIR) -> dict[str, Pack]:
    """Every pack under `folder` (one sub-folder per pack), by name; PolicyError if one is invalid."""
    packs, invalid = scan_packs(folder)
    if invalid:
        raise next(iter(invalid.values()))
    return packs


def scan_packs(folder: Path = PACKS_DIR) -> tuple[dict[str, Pack], dict[str, PolicyError]]:
    """The valid packs under `folder` by name, and why each invalid one is, by its folder's name: one
    invalid pack does not take the others away."""
    packs: dict[str, Pack] = {}
    invalid: dict[str, PolicyError] = {}
    for path in sorted(folder.glob("*/pack.toml")):
        try:
            pack = load_pack(path)
        except PolicyError as exc:
            invalid[path.parent.name] = exc
        else:
            packs[pack.name] = pack
    return packs, invalid
