"""The Alembic migrations build exactly the schema the models declare, on both backends."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gongshi.store.models import Base


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
