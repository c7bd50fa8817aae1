"""The plain-Python weight, rule and decision of a signature pair (`identity.pair_weights`, `pair_rules`)
are the SQL's, bit for bit: on every blocked pair of a generated population, with the shipped model and
with frequencies frozen into it, and on every pair of drawn records; its Jaro-Winkler similarity is
DuckDB's, and its fused boost is rounded once."""

from __future__ import annotations

import copy
import random
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest
from benchmarks.identity.data import load_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilos.adapters.identity import frequencies, pair_rules, rules, scoring, weights
from ilos.adapters.identity.comparisons import blocking_rules, comparisons
from ilos.adapters.identity.features import INPUT_COLUMNS
from ilos.adapters.identity.model import default_model
from ilos.adapters.identity.pair_weights import CONDITIONS, PairWeights, _fused, jaro_winkler
from ilos.adapters.identity.workspace import register_records, workspace
from ilos.generator import generate

from .conftest import record, table


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pairs")
    generate(persons=400, seed=13, out=folder)
    return folder


def sql_weights(
    folder: Path, model: dict[str, Any] | None
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], dict[str, Any], float, str, str]]]:
    """The model (`model`, or when None the shipped one with frequencies frozen from the population's
    signatures) and every blocked pair of the population's signatures: both rows and the SQL's weight,
    rule and decision."""
    con = duckdb.connect()
    records = load_records(folder, con).select(list(INPUT_COLUMNS))
    with workspace(con) as cur:
        register_records(cur, "records", records, new=False)
        feat = scoring.prepare(cur, "records")
        if model is None:
            model = copy.deepcopy(default_model())
            model[frequencies.MODEL_KEY] = frequencies.snapshot(cur, feat)
        tf = frequencies.lookups(cur, feat, model)
        used = sorted(weights.columns_used(model) | set(scoring.RULE_COLUMNS))
        keys = {
            c for rule in blocking_rules() for c in re.findall(r"\b[lr]\.([a-z0-9_]+)", rule["blocking_rule"])
        }
        columns = sorted({c for c in used if not c.startswith("tf_")} | keys | {"record_uid", "is_new"})
        nfeat = scoring._with_ids(cur, feat, tf, columns)
        blocked = scoring.block(cur, nfeat, blocking_rules())
        rows = {row["nid"]: row for row in cur.sql(f"SELECT * FROM {nfeat}").to_arrow_table().to_pylist()}
        scored = _decided(cur, blocked, nfeat, used, model)
    con.close()
    return model, [(rows[a], rows[b], w, rule, decided) for a, b, w, rule, decided in scored]


def _decided(
    cur: duckdb.DuckDBPyConnection, pairs: str, nfeat: str, used: list[str], model: dict[str, Any]
) -> list[tuple[int, int, float, str, str]]:
    """Each pair of table `pairs(a, b)` of `nfeat` ids with its SQL weight, rule and decision (the chain of
    `scoring.decided_sql`, without leaving out the pairs it drops)."""
    weighted = f"""SELECT *, ({weights.match_weight_sql(model)})::DOUBLE AS match_weight FROM (
                   SELECT p.a, p.b, {rules.paired_columns(used)} FROM {pairs} p
                   JOIN {nfeat} l ON l.nid = p.a JOIN {nfeat} r ON r.nid = p.b)"""
    ruled = f"SELECT a, b, match_weight, {rules.rule_sql()} AS rule FROM ({weighted})"
    return cur.sql(
        f"SELECT a, b, match_weight, rule, {rules.decision_sql()} FROM ({ruled}) ORDER BY a, b"
    ).fetchall()


@pytest.mark.parametrize("frozen", [False, True], ids=["shipped model", "frequencies frozen"])
def test_every_blocked_pair_is_weighed_ruled_and_decided_as_the_sql_does(
    population: Path, frozen: bool
) -> None:
    model, pairs = sql_weights(population, None if frozen else default_model())
    assert len(pairs) > 20_000
    python = PairWeights(model)
    apart = []
    for left, right, weight, rule, decided in pairs:
        mine = python.weight(left, right)
        ruled = pair_rules.rule(left, right, weight)
        if (mine, ruled, pair_rules.decision(ruled, weight)) != (weight, rule, decided):
            apart.append((left["record_uid"], right["record_uid"], weight, mine, rule, ruled, decided))
    assert apart == []
    # the levels met and the rules fired are many: not a few values repeated
    assert len({w for _, _, w, _, _ in pairs}) > 200
    fired = {rule for *_, rule, _ in pairs}
    assert {"different_a_number", "twins", "same_admission_number", "surname_conflict"} <= fired, fired
    assert {decided for *_, decided in pairs} == {"link", "review", "separate"}


def test_jaro_winkler_is_duckdbs_to_the_last_bit() -> None:
    rng = random.Random(7)  # noqa: S311 - drawn test strings, not secrets
    names = ["MCEWENSARAH", "MCEWENDEBRA", "BLACKCLAIRE", "BACKCLAIRE", "KOWALCZYK", "KOWALCZIK", "LI", "LEE"]
    pairs = [(a, b) for a in names for b in names]
    pairs += [("".join(rng.choice("ABC") for _ in range(rng.randint(1, 9))),
               "".join(rng.choice("ABC") for _ in range(rng.randint(1, 9)))) for _ in range(5_000)]  # fmt: skip
    con = duckdb.connect()
    con.execute("CREATE TABLE p (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO p VALUES (?, ?)", pairs)
    expected = con.sql("SELECT a, b, jaro_winkler_similarity(a, b) FROM p").fetchall()
    assert [(a, b, s) for a, b, s in expected if jaro_winkler(a, b) != s] == []


def test_every_level_of_the_comparisons_has_its_python_condition() -> None:
    designed = {
        c["output_column_name"]: [lv["label_for_charts"] for lv in c["comparison_levels"]]
        for c in comparisons()
    }
    assert designed == {name: list(levels) for name, levels in CONDITIONS.items()}


_FAMILY = st.sampled_from([None, "Kowalczyk", "Kowalczik", "Kowalski", "Nowak", "Nowak Kowalczyk", "Li", "Lee",
                           "Hassan", "Hasan", "Ortiz Suárez", "Ortiz", "Freij", "Frei"])  # fmt: skip
_GIVEN = st.sampled_from([None, "Bartosz", "Bartek", "Bartosz Jan", "Fatima", "Faima", "فاطمة", "Hassan", "حسن",
                          "Seoyeon", "Subin", "Luz", "Luis", "Anna", "Kowalczyk", "Reza", "رضا", "Khadiga",
                          "خديجة"])  # fmt: skip
_FIELDS = {
    "family_name": _FAMILY,
    "given_names": _GIVEN,
    "date_of_birth": st.sampled_from([None, "1984-03-17", "1984-17-03", "1984-03-18", "1985-03-17", "1984-01-01",
                                      "1984-03", "1984", "1984-03-71", "1948-03-17", "1984-02-17"]),
    "sex": st.sampled_from([None, "M", "F"]),
    "citizenship": st.sampled_from([None, "POL", "EGY"]),
    "birth_country": st.sampled_from([None, "POL", "EGY"]),
    "document_type": st.sampled_from([None, "P", "V"]),
    "document_number": st.sampled_from([None, "EK4471932", "EK4471933", "EK447193", "EK1111111", "XK4471932"]),
    "document_country": st.sampled_from([None, "POL", "EGY"]),
    "a_number": st.sampled_from([None, "A123456789", "A987654321"]),
    "admission_number": st.sampled_from([None, "12345678901", "98765432109"]),
    "incident_id": st.sampled_from([None, "77"]),
    "receipt_number": st.sampled_from([None, "WAC1088859284"]),
}  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(_FIELDS), min_size=2, max_size=8))
def test_drawn_pairs_are_weighed_ruled_and_decided_as_the_sql_does(drawn: list[dict[str, Any]]) -> None:
    """Every pair of drawn signatures, blocked or not: names alike, swapped, compound, folded from Arabic
    script, missing; birth dates swapped, partial, a digit off; documents misread; shared numbers."""
    _assert_every_pair_as_the_sql(drawn)


_NAMESAKES = {
    **_FIELDS,
    "family_name": st.sampled_from(["Kowalczyk", "Kowalczik", "Bartosz", "Hassan"]),
    "date_of_birth": st.just("1984-03-17"),
    "document_country": st.sampled_from([None, "POL"]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(_NAMESAKES), min_size=2, max_size=8))
def test_drawn_namesakes_born_the_same_day_are_ruled_as_the_sql_rules_them(
    drawn: list[dict[str, Any]],
) -> None:
    """One birth date and surnames alike: the twins rule, its given-name variants (swapped with the
    surname, folded from Arabic script) and documents with and without their country."""
    _assert_every_pair_as_the_sql(drawn)


def _assert_every_pair_as_the_sql(drawn: list[dict[str, Any]]) -> None:
    """Python's weight, rule and decision of every pair of the drawn records' signatures are the SQL's."""
    records = table(
        *(record(f"departures/X/{i}", feed="departures", **values) for i, values in enumerate(drawn))
    )
    model = copy.deepcopy(default_model())
    con = duckdb.connect()
    with workspace(con) as cur:
        register_records(cur, "records", records, new=False)
        feat = scoring.prepare(cur, "records")
        used = sorted(weights.columns_used(model) | set(scoring.RULE_COLUMNS))
        columns = sorted({c for c in used if not c.startswith("tf_")} | {"record_uid"})
        nfeat = scoring._with_ids(cur, feat, frequencies.lookups(cur, feat, model), columns)
        rows = {r["nid"]: r for r in cur.sql(f"SELECT * FROM {nfeat}").to_arrow_table().to_pylist()}
        cur.execute(
            f"CREATE TABLE every AS SELECT l.nid AS a, r.nid AS b FROM {nfeat} l JOIN {nfeat} r ON l.nid < r.nid"
        )
        scored = _decided(cur, "every", nfeat, used, model)
    con.close()
    python = PairWeights(model)
    for a, b, weight, rule, decided in scored:
        left, right = rows[a], rows[b]
        ruled = pair_rules.rule(left, right, weight)
        assert (python.weight(left, right), ruled, pair_rules.decision(ruled, weight)) == (
            weight,
            rule,
            decided,
        ), (left, right)


@given(st.integers(0, 4), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_the_fused_boost_is_rounded_once(prefix: int, x: float, y: float) -> None:
    exact = Fraction(prefix * 0.1) * Fraction(x) + Fraction(y)
    assert _fused(prefix * 0.1, x, y) == float(exact)
