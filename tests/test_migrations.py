"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base, db
from core.statement_keys import STATEMENT_KEYS


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    if db.engine.dialect.name == "postgresql":
        # the foreign keys PostgreSQL checks per statement (tests/test_statement_keys.py)
        checked = sorted(
            (change[0], change[1].name) for change in diff if isinstance(change, tuple)
        )
        assert checked == sorted(("add_fk", key.name) for key in STATEMENT_KEYS)
        diff = [change for change in diff if not isinstance(change, tuple)]
    assert diff == []
