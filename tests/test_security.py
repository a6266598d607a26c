"""Rate-limited login, secure headers, cookie flags, secrets, downloads never inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from tests.factories import csrf_token


def test_login_is_rate_limited(database, tmp_path):
    import shutil

    if database["kind"] == "sqlite":
        shutil.copy(database["template"], tmp_path / "rl.sqlite")
        url = f"sqlite:///{tmp_path / 'rl.sqlite'}"
    else:
        url = database["url"]
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "x" * 40, "RATELIMIT_ENABLED": True}
    )
    client = app.test_client()
    statuses = []
    for _ in range(12):
        token = csrf_token(client, "/login")
        statuses.append(
            client.post(
                "/login", data={"username": "nobody", "password": "wrong", "csrf_token": token}
            ).status_code
        )
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = client.post(
        "/login", data={"username": "nobody", "password": "wrong", "csrf_token": token}
    )
    assert "过于频繁" in limited.get_data(as_text=True)
    from core.db import db

    db.engine.dispose()


def test_secure_headers_on_every_page(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp


def test_pages_have_no_inline_script_handlers(client):
    import pathlib

    templates = pathlib.Path(__file__).parent.parent / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "onclick=" not in text and "onsubmit=" not in text, path
        assert "<script>" not in text, path  # only <script src> and JSON data blocks


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_a_short_secret():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://", "PRODUCTION": True, "SECRET_KEY": "short"})
    app = create_app({"DATABASE_URL": "sqlite://", "PRODUCTION": True, "SECRET_KEY": "k" * 40})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_without_a_secret_one_is_generated_in_the_instance_folder(tmp_path):
    """No public constant signs anybody's cookies (issue 14): the key is random, private to
    the install (mode 0600) and the same on the next start."""
    import os
    import stat

    from core.config import instance_secret

    folder = tmp_path / "instance"
    first = instance_secret(folder)
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(folder / "secret_key").st_mode) == 0o600
    assert instance_secret(folder) == first
    assert instance_secret(tmp_path / "elsewhere") != first
    assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no temporary file left


def test_the_app_uses_the_generated_secret_when_none_is_set(monkeypatch, tmp_path):
    import core.config

    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setattr(core.config, "instance_secret", lambda folder: "g" * 64)
    app = create_app({"DATABASE_URL": "sqlite://", "PRODUCTION": True})
    assert app.config["SECRET_KEY"] == "g" * 64


def test_no_default_secret_is_left_in_the_code():
    import core.config

    assert not hasattr(core.config, "DEV_SECRET")
    source = Path(core.config.__file__).read_text(encoding="utf-8")
    assert "SECRET_KEY=" not in source
