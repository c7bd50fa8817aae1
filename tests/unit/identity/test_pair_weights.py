"""The plain-Python match weight of a signature pair (`identity.pair_weights`) is the SQL's, bit for bit, on
every blocked pair of a generated population, with the shipped model and with frequencies frozen into
it; its Jaro-Winkler similarity is DuckDB's on names and on strings made to tie."""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from benchmarks.identity.data import load_records

from ilos.adapters.identity import frequencies, scoring, weights
from ilos.adapters.identity.comparisons import blocking_rules, comparisons
from ilos.adapters.identity.features import INPUT_COLUMNS
from ilos.adapters.identity.model import default_model
from ilos.adapters.identity.pair_weights import CONDITIONS, PairWeights, jaro_winkler
from ilos.adapters.identity.rules import paired_columns
from ilos.adapters.identity.workspace import register_records, workspace
from ilos.generator import generate


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pairs")
    generate(persons=400, seed=13, out=folder)
    return folder


def sql_weights(
    folder: Path, model: dict[str, Any] | None
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], dict[str, Any], float]]]:
    """The model (`model`, or when None the shipped one with frequencies frozen from the population's
    signatures) and every blocked pair of the population's signatures: both rows and the SQL's weight."""
    con = duckdb.connect()
    records = load_records(folder, con).select(list(INPUT_COLUMNS))
    with workspace(con) as cur:
        register_records(cur, "records", records, new=False)
        feat = scoring.prepare(cur, "records")
        if model is None:
            model = copy.deepcopy(default_model())
            model[frequencies.MODEL_KEY] = frequencies.snapshot(cur, feat)
        tf = frequencies.lookups(cur, feat, model)
        used = sorted(weights.columns_used(model))
        keys = {
            c for rule in blocking_rules() for c in re.findall(r"\b[lr]\.([a-z0-9_]+)", rule["blocking_rule"])
        }
        columns = sorted({c for c in used if not c.startswith("tf_")} | keys | {"record_uid", "is_new"})
        nfeat = scoring._with_ids(cur, feat, tf, columns)
        blocked = scoring.block(cur, nfeat, blocking_rules())
        rows = {
            right["nid"]: right for right in cur.sql(f"SELECT * FROM {nfeat}").to_arrow_table().to_pylist()
        }
        scored = cur.sql(
            f"""SELECT a, b, ({weights.match_weight_sql(model)})::DOUBLE AS w FROM (
                    SELECT p.a, p.b, {paired_columns(used)} FROM {blocked} p
                    JOIN {nfeat} l ON l.nid = p.a JOIN {nfeat} r ON r.nid = p.b)"""
        ).fetchall()
    con.close()
    return model, [(rows[a], rows[b], w) for a, b, w in scored]


@pytest.mark.parametrize("frozen", [False, True], ids=["shipped model", "frequencies frozen"])
def test_every_blocked_pair_weighs_what_the_sql_weighs(population: Path, frozen: bool) -> None:
    model, pairs = sql_weights(population, None if frozen else default_model())
    assert len(pairs) > 20_000
    python = PairWeights(model)
    apart = [(left["record_uid"], right["record_uid"], w, python.weight(left, right)) for left, right, w in pairs
             if python.weight(left, right) != w]  # fmt: skip
    assert apart == []
    # the levels met are many: the weights are not a few values repeated
    assert len({w for _, _, w in pairs}) > 200


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
