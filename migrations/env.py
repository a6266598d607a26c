"""Alembic environment: the engine comes from core.migrate (the app's DATABASE_URL)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine

import audits.models  # noqa: F401  (register every table on Base.metadata)
import bargaining.models  # noqa: F401
import core.models  # noqa: F401
import reports.models  # noqa: F401
from core.db import Base

config = context.config
target_metadata = Base.metadata


def _dangling(connection: Connection) -> set[tuple[object, object]]:
    """SQLite's rows with a foreign key that points at nothing, as (table, rowid)."""
    return {(row[0], row[1]) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")}


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping
            # a table that other rows refer to fails. Off for the migration (a pragma only
            # takes effect outside a transaction); no row may dangle that did not before.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                dangling_before = _dangling(connection) if sqlite else set()
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                )
                context.run_migrations()
                broken = _dangling(connection) - dangling_before if sqlite else set()
                if broken:
                    raise RuntimeError(
                        f"the migration left dangling references: {sorted(broken)[:5]}"
                    )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `flask init-db`")
run_migrations_online()
