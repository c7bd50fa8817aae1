"""The migrations build exactly the schema the code declares, on both stores; upgrading twice is a no-op."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ilos.adapters.db.engine import current_revision, head_revision, make_engine, upgrade
from ilos.adapters.db.schema import metadata


def test_migrations_match_the_declared_schema(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine)
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert current_revision(engine) == head_revision() == "0014"
    finally:
        engine.dispose()
