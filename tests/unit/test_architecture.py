"""Person data leaves the store through one door (PersonDataReader), where read auditing attaches."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ilos"
#: Modules allowed to run queries that return rows: the reader (the door), the bulk layer it uses, and the
#: write path, whose lookups of stored keys and hashes return no person data to any caller.
ALLOWED = {"adapters/db/reader.py", "adapters/db/bulk.py", "adapters/db/record_store.py"}


def test_only_the_reader_fetches_rows_from_the_store() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel in ALLOWED or rel.startswith("generator/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"fetch_arrow", "fetch_arrow_table"}:
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_the_reader_funnels_every_read_through_one_method() -> None:
    tree = ast.parse((SRC / "adapters" / "db" / "reader.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "fetch_arrow"]
    assert len(calls) == 1, "PersonDataReader must read only through _read"
