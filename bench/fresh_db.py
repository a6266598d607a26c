"""Throw-away databases for the benches: a SQLite file in a temp folder, or a fresh
PostgreSQL database dropped afterwards. Nothing else on the server is touched."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


@contextmanager
def sqlite_database(prefix: str) -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix=f"{prefix}_")
    try:
        yield f"sqlite:///{folder}/bench.sqlite"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database(pg_url: str, prefix: str) -> Iterator[str]:
    url = make_url(pg_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise SystemExit(
            f"PostgreSQL at {pg_url} is not usable ({exc.orig}); try --skip-pg"
        ) from exc
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
