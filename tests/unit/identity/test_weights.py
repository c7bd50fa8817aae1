"""ILOS's bulk scorer gives the same pairs and weights as Splink's own predict with the same model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from benchmarks.identity.data import load_records
from splink import DuckDBAPI, Linker

from ilos.adapters.identity import LOWER, IdentityResolver, frequencies, scoring
from ilos.adapters.identity.model import with_blocking
from ilos.adapters.identity.workspace import register_records, workspace
from ilos.generator import generate


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("weights")
    generate(persons=200, seed=9, out=folder, start=date(2023, 1, 1), end=date(2024, 6, 30))
    return load_records(folder)


def test_weights_match_splink_predict(records) -> None:  # type: ignore[no-untyped-def]
    con = duckdb.connect()
    resolver = IdentityResolver(con)
    with workspace(con) as cur:  # freeze this population's term frequencies into the model
        register_records(cur, "records", records, new=False)
        resolver.model[frequencies.MODEL_KEY] = frequencies.snapshot(cur, scoring.prepare(cur, "records"))
    assert resolver.model[frequencies.MODEL_KEY]["counts"]["name_key"]
    ours = {
        (p["record_uid_l"], p["record_uid_r"]): p["match_weight"] for p in resolver.score(records).to_pylist()
    }
    with workspace(con) as cur:
        register_records(cur, "records", records, new=False)
        feat = scoring.prepare(cur, "records")
        db_api = DuckDBAPI(cur)
        linker = Linker(db_api.register(feat), with_blocking(resolver.model), log_level=40)
        frequencies.register(linker, db_api, frequencies.lookups(cur, feat, resolver.model))
        predicted = linker.inference.predict(warning_mode="never").as_pyarrow_table()
    theirs = {
        (p["record_uid_l"], p["record_uid_r"]): p["match_weight"]
        for p in predicted.select(["record_uid_l", "record_uid_r", "match_weight"]).to_pylist()
        if p["match_weight"] >= LOWER
    }
    assert len(theirs) > 1000
    ours_above = {k: w for k, w in ours.items() if w >= LOWER}
    # ILOS also scores pairs two links apart that blocking missed (`completion`): a few more.
    assert theirs.keys() <= ours_above.keys()
    assert len(ours_above) - len(theirs) < 0.05 * len(theirs)
    assert max(abs(ours_above[k] - theirs[k]) for k in theirs) < 1e-6
