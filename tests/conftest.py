"""Test database per session (SQLite template file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), emptied and re-seeded before every test."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from core.db import Base, db
from tests.holidays import KnownUntil2026

TODAY = date(2026, 11, 25)


def _seed(app) -> None:
    from core.hooks import hooks
    from core.settings import seed_settings

    with app.app_context():
        seed_settings()
        for step in hooks(app).init_steps:  # the reference data first, then the calendar, …
            step()
        db.session.commit()


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    base_url = os.environ.get("TEST_DATABASE_URL")
    if base_url:
        url = make_url(base_url)
        name = f"test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        test_url = url.set(database=name).render_as_string(hide_password=False)
        app = create_app({"DATABASE_URL": test_url, "TESTING": True})
        with app.app_context():
            from core.migrate import upgrade

            upgrade(db.engine)
        db.engine.dispose()
        try:
            yield {"kind": "postgresql", "url": test_url}
        finally:
            db.engine and db.engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        folder = tmp_path_factory.mktemp("db")
        template = folder / "template.sqlite"
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{template}",
                "TESTING": True,
                "HOLIDAY_SOURCE": KnownUntil2026,
            }
        )
        with app.app_context():
            from core.migrate import upgrade

            upgrade(db.engine)
        _seed(app)
        db.engine.dispose()
        yield {
            "kind": "sqlite",
            "url": f"sqlite:///{template}",
            "template": str(template),
            "folder": str(folder),
        }


@pytest.fixture()
def app(database: dict[str, str], tmp_path: Path):
    if database["kind"] == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(database["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = database["url"]
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_FAST": True,
            "SERVER_NAME": "localhost",
            "TODAY": TODAY,  # the injected clock: every "today" of the app under test
            "HOLIDAY_SOURCE": KnownUntil2026,
        }
    )
    if database["kind"] == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _seed(app)
    with app.app_context():
        yield app
        db.session.remove()
    db.engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()
