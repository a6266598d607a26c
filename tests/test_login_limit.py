"""A login limit that holds (issue 14): counted in the database per address and per account,
so every worker sees the same count; the client address from X-Forwarded-For only behind a
configured number of trusted proxies; unknown and disabled usernames cost a real hash check."""

from __future__ import annotations

import shutil

import argon2
import pytest
from sqlalchemy import select

from app import create_app
from core.db import db
from core.models import LoginAttempt, Role
from tests.factories import PASSWORD, csrf_token, login, make_user


@pytest.fixture()
def workers(app, database, tmp_path):
    """Two app instances on one database: two workers, each with its own memory (``app``
    empties and seeds the PostgreSQL database first)."""
    if database["kind"] == "sqlite":
        shutil.copy(database["template"], tmp_path / "limit.sqlite")
        url = f"sqlite:///{tmp_path / 'limit.sqlite'}"
    else:
        url = database["url"]
    config = {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x" * 40}
    apps = [create_app({**config, "RATELIMIT_ENABLED": True}) for _ in range(2)]
    yield apps
    with apps[0].app_context():
        db.session.execute(LoginAttempt.__table__.delete())
        db.session.commit()
        db.engine.dispose()


def _attempt(client, username: str, password: str = "wrong", **environ) -> int:
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=environ,
    ).status_code


def test_the_limit_per_address_holds_across_workers(workers) -> None:
    clients = [app.test_client() for app in workers]
    statuses = [_attempt(clients[i % 2], f"nobody{i}") for i in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_the_limit_per_account_holds_across_addresses(workers) -> None:
    clients = [app.test_client() for app in workers]
    statuses = [
        _attempt(clients[i % 2], "insp-WY", REMOTE_ADDR=f"10.0.0.{i + 1}") for i in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_successful_logins_do_not_count(workers) -> None:
    with workers[0].app_context():
        make_user("insp-WY", Role.INSPECTOR, "WY")
        db.session.commit()
    client = workers[0].test_client()
    statuses = [_attempt(client, "insp-WY", PASSWORD) for _ in range(12)]
    assert statuses == [302] * 12


def _addresses(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(LoginAttempt.address).order_by(LoginAttempt.id)).all()


def test_x_forwarded_for_is_ignored_without_trusted_proxies(workers) -> None:
    client = workers[0].test_client()
    token = csrf_token(client, "/login")
    client.post(
        "/login",
        data={"username": "a", "password": "b", "csrf_token": token},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert _addresses(workers[0]) == ["127.0.0.1"]


def test_x_forwarded_for_is_used_behind_a_trusted_proxy(database, tmp_path) -> None:
    if database["kind"] != "sqlite":
        pytest.skip("its own SQLite copy")
    shutil.copy(database["template"], tmp_path / "proxy.sqlite")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.sqlite'}",
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "RATELIMIT_ENABLED": True,
            "TRUSTED_PROXIES": 1,
        }
    )
    client = app.test_client()
    for i in range(12):  # twelve people behind one nginx: none is locked out by the others
        token = csrf_token(client, "/login")
        status = client.post(
            "/login",
            data={"username": f"user{i}", "password": "b", "csrf_token": token},
            # the client wrote the first entry itself; the proxy appended the address it saw
            headers={"X-Forwarded-For": f"203.0.113.250, 198.51.100.{i + 1}"},
        ).status_code
        assert status == 401
    assert _addresses(app)[:2] == ["198.51.100.1", "198.51.100.2"]  # only the proxy's hop
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def verifications(monkeypatch):
    calls = []
    original = argon2.PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


@pytest.mark.parametrize("who", ["unknown", "disabled", "wrong password"])
def test_every_failed_login_costs_one_hash_check(client, verifications, who) -> None:
    user = make_user("insp-WY", Role.INSPECTOR, "WY")
    if who == "disabled":
        user.active = False
    db.session.commit()
    username = "nobody" if who == "unknown" else "insp-WY"
    password = "wrong" if who == "wrong password" else PASSWORD
    assert login(client, username, password).status_code == 401
    assert len(verifications) == 1
    assert verifications[0].startswith("$argon2")


def test_attempts_are_forgotten_after_a_day(app) -> None:
    from datetime import timedelta

    from core.db import utcnow
    from core.security import forget_login_attempts

    now = utcnow()
    db.session.add_all(
        [
            LoginAttempt(at=now - timedelta(days=2), username="a", address="x"),
            LoginAttempt(at=now - timedelta(hours=1), username="b", address="x"),
        ]
    )
    db.session.flush()
    assert forget_login_attempts(now) == 1
    assert forget_login_attempts(now) == 0  # idempotent
    assert db.session.scalars(select(LoginAttempt.username)).all() == ["b"]
