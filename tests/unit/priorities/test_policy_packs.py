"""Policy packs: the schema, the allow-list of facts, and the attributes no rule may see."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ilos.domain.facts import FACTS, PROTECTED_ATTRIBUTES, protected_attribute
from ilos.domain.policy import PACKS_DIR, PolicyError, installed_packs, load_pack, parse_pack, scan_packs

GOOD: dict[str, Any] = tomllib.loads(
    """
name = "test-pack"
version = "0.1"
effective_from = 2020-01-01
title = "A test pack"
source = "nobody"
excludes = ["DACA"]
[[tiers]]
name = "TOP"
meaning = "the top"
[[rules]]
id = "R1"
kind = "tier"
tier = "TOP"
meaning = "a felony"
evidence = "a conviction"
when = [{ fact = "convictions_felony", at_least = 1 }]
[[rules]]
id = "R2"
kind = "review"
meaning = "charges"
evidence = "a charge"
when = [{ fact = "pending_criminal_matters", at_least = 1 }]
"""
)


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data.update(changes)
    return data


def with_rule(**rule: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data["rules"][0].update(rule)
    return data


def test_the_good_pack_parses() -> None:
    pack = parse_pack(GOOD)
    assert [r.id for r in pack.of_kind("tier")] == ["R1"]
    assert pack.tier_order("TOP") == 1
    assert pack.rules[0].when[0].text() == "convictions_felony is at least 1"


@pytest.mark.parametrize(
    "fact", ["citizenship", "race", "ethnicity", "religion", "national_origin", "language", "sex", "gender",
             "political_activity", "nationality"],
)  # fmt: skip
def test_a_pack_naming_a_protected_attribute_is_rejected(fact: str) -> None:
    with pytest.raises(PolicyError, match="protected attribute"):
        parse_pack(with_rule(when=[{"fact": fact, "is": True}]))


def test_a_protected_attribute_as_a_key_anywhere_is_rejected() -> None:
    with pytest.raises(PolicyError, match=r"`citizenship` names a protected attribute \(national origin"):
        parse_pack(variant(citizenship=["MEX"]))
    data = with_rule()
    data["rules"][0]["religion"] = "x"
    with pytest.raises(PolicyError, match="protected attribute"):
        parse_pack(data)


def test_a_rule_id_is_a_label_not_an_input() -> None:
    """What a rule may see is checked on its facts and keys; its id is a label (a sex-offense conviction
    is a category of crime, not the person's sex)."""
    assert parse_pack(with_rule(id="SEX_OFFENSE_CONVICTION")).rules[0].id == "SEX_OFFENSE_CONVICTION"


def test_a_rule_error_names_the_pack_and_the_rule() -> None:
    with pytest.raises(PolicyError, match=r"^packs/x\.toml: rule R1, condition 1: fact `race`"):
        parse_pack(with_rule(when=[{"fact": "race", "is": True}]), "packs/x.toml")


def test_an_invalid_pack_leaves_the_others_installed(tmp_path: Path) -> None:
    for name in ("guidelines-2021", "priorities-2014"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pack.toml").write_text((PACKS_DIR / name / "pack.toml").read_text())
    broken = (tmp_path / "priorities-2014" / "pack.toml").read_text().replace('fact = "', 'fact = "race_', 1)
    (tmp_path / "priorities-2014" / "pack.toml").write_text(broken)

    packs, invalid = scan_packs(tmp_path)

    assert list(packs) == ["guidelines-2021"]
    assert list(invalid) == ["priorities-2014"]
    assert "protected attribute" in str(invalid["priorities-2014"])
    with pytest.raises(PolicyError, match="protected attribute"):
        installed_packs(tmp_path)


def test_no_allowed_fact_is_a_protected_attribute() -> None:
    assert [f for f in FACTS if protected_attribute(f)] == []
    assert set(PROTECTED_ATTRIBUTES) == {"race", "ethnicity", "religion", "national origin or citizenship",
                                         "language", "sex", "political activity"}  # fmt: skip


def test_an_allegation_or_lead_cannot_raise_a_tier() -> None:
    for fact in ("pending_criminal_matters", "suspected_overstay_days"):
        with pytest.raises(PolicyError, match="only `review` rules may use it"):
            parse_pack(with_rule(when=[{"fact": fact, "at_least": 1}]))
    data = variant()
    data["rules"][0] = {**data["rules"][0], "kind": "aggravating", "weight": 5}
    del data["rules"][0]["tier"]
    data["rules"][0]["when"] = [{"fact": "pending_criminal_matters", "at_least": 1}]
    with pytest.raises(PolicyError, match="only `review` rules"):
        parse_pack(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"when": [{"fact": "shoe_size", "at_least": 1}]}, "not a fact rules may see"),
        ({"when": [{"fact": "convictions_felony", "is": True}]}, "does not apply"),
        ({"when": [{"fact": "convictions_felony", "at_least": 1, "at_most": 3}]}, "exactly one operator"),
        ({"when": [{"fact": "final_order_on", "on_or_after": "2014-01-01"}]}, "takes a date"),
        ({"when": []}, "at least one condition"),
        ({"tier": "NOWHERE"}, "not one of the pack's tiers"),
        ({"kind": "verdict"}, "kind must be one of"),
        ({"colour": "red"}, "unknown key `colour`"),
        ({"id": "R1'; DROP TABLE x; --"}, "is not a name"),
    ],
)
def test_schema_errors_name_what_is_wrong(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_pack(with_rule(**change))


def test_pack_level_errors() -> None:
    with pytest.raises(PolicyError, match="only discretionary holds"):
        parse_pack(variant(excludes=["DEPARTED"]))
    with pytest.raises(PolicyError, match="`version` is required"):
        parse_pack({k: v for k, v in GOOD.items() if k != "version"})
    with pytest.raises(PolicyError, match="`min_score` is a whole number"):
        parse_pack(variant(tiers=[{"name": "TOP", "meaning": "x", "min_score": "1"}]))
    with pytest.raises(PolicyError, match="HELD is reserved"):
        parse_pack(variant(tiers=[{"name": "HELD", "meaning": "x"}]))


def test_a_pack_file_must_match_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "other-name"
    folder.mkdir()
    (folder / "pack.toml").write_text((PACKS_DIR / "guidelines-2021" / "pack.toml").read_text())
    with pytest.raises(PolicyError, match="differs from its folder"):
        load_pack(folder / "pack.toml")


def test_shipped_packs_are_valid_cite_their_document_and_are_distinct_versions() -> None:
    packs = installed_packs()
    assert {"priorities-2014", "guidelines-2021"} <= set(packs)
    for pack in packs.values():
        readme = (PACKS_DIR / pack.name / "README.md").read_text()
        assert pack.title.split(" (")[0] in readme, f"{pack.name}'s README does not cite its document"
        assert len(pack.digest) == 64
        assert pack.of_kind("tier")
