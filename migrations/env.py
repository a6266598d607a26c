"""Alembic environment: the engine comes from core.migrate (the app's DATABASE_URL)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

import audits.models  # noqa: F401  (register every table on Base.metadata)
import bargaining.models  # noqa: F401
import core.models  # noqa: F401
import reports.models  # noqa: F401
from core.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(os.environ["DATABASE_URL"])
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `flask init-db`")
run_migrations_online()
