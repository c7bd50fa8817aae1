"""The resolver's interface: output shapes, the incremental path, explanations, unusable records."""

from __future__ import annotations

import copy
import math

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ilos.adapters.identity import IdentityResolver, unusable
from ilos.adapters.identity.frequencies import MODEL_KEY
from ilos.adapters.identity.model import default_model
from ilos.adapters.identity.scoring import PAIR_SCHEMA, SIGNATURE, SIGNATURE_KEY

from .conftest import record, table


def _population() -> pa.Table:
    return table(
        record("arrivals/I94/1"),
        record("departures/APIS/2", feed="departures", given_names="Bartek", document_number=None),
        record(
            "arrivals/I94/3",
            family_name="Lindqvist",
            given_names="Astrid",
            sex="F",
            date_of_birth="1990-06-02",
            citizenship="SWE",
            birth_country="SWE",
            document_number="99812734",
            document_country="SWE",
        ),
        record(
            "arrivals/I94/4",
            family_name="Lindqvist",
            given_names="Astrid Maria",
            sex="F",
            date_of_birth="1990-02-06",
            citizenship="SWE",
            birth_country="SWE",
            document_number="99812734",
            document_country="SWE",
        ),
        record("court_events/EOIR/5", feed="court_events", a_number="A012345678", document_number=None),
        record(
            "encounters/ICE-EID/6",
            feed="encounters",
            family_name="Kowalczyk",
            given_names="Bartosz",
            a_number="A12345678",
            document_number=None,
            date_of_birth="1984-03",
        ),
        record(
            "arrivals/I94/7",
            family_name="Haddad",
            given_names="Rami",
            date_of_birth="1979-01-01",
            citizenship="LBN",
            birth_country="LBN",
            document_number="RL0099812",
            document_country="LBN",
        ),
    )


def test_score_returns_the_contract_columns(resolver: IdentityResolver) -> None:
    pairs = resolver.score(_population())
    assert pairs.schema == PAIR_SCHEMA
    assert pairs.num_rows > 0
    assert pc.all(pc.less(pairs["record_uid_l"], pairs["record_uid_r"])).as_py()
    assert set(pairs["decision"].to_pylist()) <= {"link", "separate", "review"}


def test_score_between_equals_score_on_pairs_touching_new(resolver: IdentityResolver) -> None:
    everything = _population()
    new_ids = {"departures/APIS/2", "arrivals/I94/4", "encounters/ICE-EID/6"}
    is_new = pc.is_in(everything["record_uid"], pa.array(sorted(new_ids)))
    existing, new = everything.filter(pc.invert(is_new)), everything.filter(is_new)
    full = {(p["record_uid_l"], p["record_uid_r"]): p for p in resolver.score(everything).to_pylist()}
    expected = {k: v for k, v in full.items() if new_ids & set(k)}
    got = {
        (p["record_uid_l"], p["record_uid_r"]): p for p in resolver.score_between(existing, new).to_pylist()
    }
    assert set(got) == set(expected)
    for key, row in got.items():
        assert math.isclose(row["match_weight"], expected[key]["match_weight"], abs_tol=1e-9), key
        assert (row["rule"], row["decision"]) == (expected[key]["rule"], expected[key]["decision"]), key


def _by_pair(pairs: pa.Table) -> dict[tuple[str, str], dict[str, object]]:
    return {(p["record_uid_l"], p["record_uid_r"]): p for p in pairs.to_pylist()}


def test_score_between_an_index_equals_score_between_the_records(resolver: IdentityResolver) -> None:
    """New records that repeat an indexed identity join its signature, whichever uid is smaller."""
    existing = _population()
    new = table(
        record("arrivals/I94/0", family_name="Haddad", given_names="Rami", date_of_birth="1979-01-01",
               citizenship="LBN", birth_country="LBN", document_number="RL0099812", document_country="LBN",
               admission_number="32191837A11"),
        record("departures/APIS/8", feed="departures", given_names="Bartek", document_number=None),
        record("encounters/ICE-EID/9", feed="encounters", family_name="Lindqvist", given_names="Astrid",
               sex="F", date_of_birth="1990-02-06", citizenship="SWE", document_number=None),
    )  # fmt: skip
    expected_pairs = resolver.score_between(existing, new)
    expected, expected_members = _by_pair(expected_pairs), resolver.members
    got_pairs = resolver.score_between(resolver.index(existing), new)
    got = _by_pair(got_pairs)
    assert got == expected
    assert got_pairs.num_rows == expected_pairs.num_rows  # each pair once
    assert resolver.members is not None
    assert expected_members is not None
    assert resolver.members.sort_by("record_uid").equals(expected_members.sort_by("record_uid"))
    reps = dict(
        zip(resolver.members["record_uid"].to_pylist(), resolver.members["rep"].to_pylist(), strict=True)
    )
    assert reps["arrivals/I94/7"] == reps["arrivals/I94/0"] == "arrivals/I94/0"
    assert reps["departures/APIS/8"] == reps["departures/APIS/2"] == "departures/APIS/2"


def test_records_scored_after_an_index_take_the_signatures_they_hold_whole_from_it(
    resolver: IdentityResolver,
) -> None:
    """After `score_between` on an index (whose `index_after` then indexes every record), `score` of some
    of the records takes the rows of the signatures they hold whole from the index and builds the others'
    (`prepare_from`): the same pairs and members as building every feature. Left out here: one member of a
    signature of two (its representative, so the other represents it alone), and whole signatures."""
    existing = table(
        *_population().to_pylist(),
        record("arrivals/I94/11", admission_number="32191837B22"),  # the identity of arrivals/I94/1
    )
    new = table(
        record("arrivals/I94/12", family_name="Lindqvist", given_names="Astrid", sex="F",
               date_of_birth="1990-06-02", citizenship="SWE", birth_country="SWE", document_number="99812734",
               document_country="SWE"),  # repeats arrivals/I94/3: a signature the batch touched
        record("departures/APIS/13", feed="departures", given_names="Bartosz", family_name="Kowalczyk",
               document_number=None),
    )  # fmt: skip
    resolver.score_between(resolver.index(existing), new)
    assert resolver.index_after is not None
    left_out = {"arrivals/I94/1", "arrivals/I94/7"}
    everything = pa.concat_tables([existing, new])
    some = everything.filter(pc.invert(pc.is_in(everything["record_uid"], pa.array(sorted(left_out)))))
    try:
        restored, restored_members = _by_pair(resolver.score(some)), resolver.members
        resolver.index_after = None
        built, built_members = _by_pair(resolver.score(some)), resolver.members
    finally:
        resolver.index_after = None
    assert restored == built
    assert "arrivals/I94/11" in {uid for key in built for uid in key}  # representing its signature alone
    assert restored_members is not None
    assert built_members is not None
    assert restored_members.sort_by("record_uid").equals(built_members.sort_by("record_uid"))


def test_a_record_the_index_holds_that_comes_again_is_one_member_of_the_index_after(
    resolver: IdentityResolver,
) -> None:
    """A record a run left unlinked is compared again by the next with the index still holding it: the
    index after holds it once (twice, it was re-resolved twice and linked twice)."""
    existing = _population()
    again = existing.filter(pc.equal(existing["record_uid"], "departures/APIS/2"))
    resolver.score_between(resolver.index(existing), again)
    after = resolver.index_after
    resolver.index_after = None
    assert after is not None
    uids = after.members.column("record_uid").to_pylist()
    assert uids.count("departures/APIS/2") == 1
    assert sorted(uids) == uids


def test_explain_weights_add_up_to_the_total(resolver: IdentityResolver) -> None:
    a = record("arrivals/I94/1")
    b = record("departures/APIS/2", feed="departures", given_names="Bartek", date_of_birth="1984-07-03")
    rows = resolver.explain(a, b)
    assert rows[0]["comparison"] == "prior"
    assert rows[-1]["comparison"] == "total"
    parts = rows[:-1]
    assert {r["comparison"] for r in parts[1:]} == {
        "name",
        "dob",
        "document",
        "a_number",
        "citizenship",
        "birth_country",
        "sex",
    }
    assert math.isclose(sum(r["match_weight"] for r in parts), rows[-1]["match_weight"], abs_tol=1e-6)
    by_name = {r["comparison"]: r for r in rows}
    assert by_name["dob"]["value_a"] == "1984-03-17"
    assert by_name["dob"]["value_b"] == "1984-07-03"
    assert all(isinstance(r["level"], str) and r["level"] for r in rows)


def test_explain_total_matches_score(resolver: IdentityResolver) -> None:
    a = record("arrivals/I94/1")
    b = record("departures/APIS/2", feed="departures", given_names="Bartek", document_number=None)
    scored = resolver.score(table(a, b)).to_pylist()[0]
    assert math.isclose(resolver.explain(a, b)[-1]["match_weight"], scored["match_weight"], abs_tol=1e-6)


def test_unusable_records_are_listed_with_a_reason_and_link_to_nothing(resolver: IdentityResolver) -> None:
    bare = {"document_number": None, "date_of_birth": None, "document_type": None, "document_country": None}
    records = table(
        record("arrivals/I94/1"),
        record("criminal_dispositions/CJIS-TX/2", feed="criminal_dispositions", given_names=None, **bare),
        record("criminal_dispositions/CJIS-TX/3", feed="criminal_dispositions", **bare),
        record("relationships/USCIS/4", feed="relationships", family_name=None, given_names=None, **bare),
        record("arrivals/I94/5", given_names=None, date_of_birth=None),
    )
    listed = dict(zip(*unusable(records).to_pydict().values(), strict=True))
    assert listed == {
        "criminal_dispositions/CJIS-TX/2": "family_name_only",
        "criminal_dispositions/CJIS-TX/3": "name_without_birth_date_or_number",
        "relationships/USCIS/4": "no_identity",
    }
    pairs = resolver.score(records)
    touched = set(pairs["record_uid_l"].to_pylist()) | set(pairs["record_uid_r"].to_pylist())
    assert not touched & set(listed)


def test_the_resolver_never_changes_the_model_it_is_given(con: duckdb.DuckDBPyConnection) -> None:
    """It uses the model as given, without a copy of its own: scoring, linking a batch against an
    index, clustering and explaining leave the caller's model as it was."""
    model = default_model()
    before = copy.deepcopy(model)
    resolver = IdentityResolver(con, model)
    a, b = record("arrivals/I94/1"), record("departures/APIS/2", feed="departures", given_names="Bartek")
    older = table(a, record("arrivals/I94/3", given_names="Bartosz Jan"))
    pairs = resolver.score(older)
    resolver.cluster(older, pairs)
    resolver.score_between(resolver.index(older), table(b))
    resolver.explain(a, b)
    assert resolver.model is model
    assert model == before


def test_an_extended_index_is_the_index_of_both_sets_of_records(resolver: IdentityResolver) -> None:
    """Extending an index with records (one repeating an indexed signature with another admission
    number, one new) gives the signatures (what scoring reads of them: their features, representative
    and admission numbers, and their keys) and members indexing all the records at once gives."""
    older = table(
        record("arrivals/I94/1", admission_number="32191837A11"),
        record("arrivals/I94/3", family_name="Lindqvist", given_names="Astrid", citizenship="SWE"),
    )
    later = table(
        record("arrivals/I94/2", admission_number="32191837A12"),
        record("arrivals/I94/0", given_names="Bartek", document_number="EK4471982"),
    )
    extended = resolver.extended(resolver.index(older), later)
    whole = resolver.index(pa.concat_tables([older, later]))

    def rows(t: pa.Table) -> list[dict[str, object]]:
        read = [c for c in ("record_uid", "rep", "adms", *SIGNATURE, SIGNATURE_KEY) if c in t.column_names]
        return sorted(t.select(read).to_pylist(), key=lambda r: str(r["record_uid"]))

    assert rows(extended.feat) == rows(whole.feat)
    assert rows(extended.members) == rows(whole.members)
    assert extended.feat.num_rows == 3  # records 1 and 2 share a signature


def test_an_index_weighs_a_batch_with_the_frozen_frequencies_of_every_value_it_meets(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Blocked against an index, a batch's pairs take the model's frozen term frequencies of both
    sides' values (an indexed record's name as well as the new one's), as scoring every record does."""
    model = copy.deepcopy(default_model())
    resolver = IdentityResolver(con, model)
    existing = _population()
    names = resolver.index(existing).feat.column("name_key").to_pylist()
    births = resolver.index(existing).feat.column("dob").to_pylist()
    model[MODEL_KEY] = {
        "records": 1_000_000,
        "counts": {"name_key": {str(v): 2 + i for i, v in enumerate(names) if v},
                   "dob": {str(v): 3 + i for i, v in enumerate(births) if v}},
    }  # fmt: skip
    new = table(
        record("departures/APIS/8", feed="departures", given_names="Bartek", document_number=None),
        record("encounters/ICE-EID/9", feed="encounters", family_name="Lindqvist", given_names="Astrid",
               sex="F", date_of_birth="1990-02-06", citizenship="SWE", document_number=None),
    )  # fmt: skip
    expected = _by_pair(IdentityResolver(con, model).score_between(existing, new))
    got = _by_pair(resolver.score_between(resolver.index(existing), new))
    assert set(got) == set(expected)
    assert got
    for key, row in got.items():
        assert math.isclose(row["match_weight"], expected[key]["match_weight"], abs_tol=1e-9), key
    plain = _by_pair(IdentityResolver(con, default_model()).score_between(existing, new))
    assert any(not math.isclose(plain[k]["match_weight"], got[k]["match_weight"]) for k in got)
