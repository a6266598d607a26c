"""Sessions that end (SPEC §3: "disabling a user or changing a password ends their sessions
and API tokens"; issue 14: a cookie captured before logout is dead after)."""

from __future__ import annotations

from datetime import timedelta

import itsdangerous.timed
import pytest
from flask import g
from sqlalchemy import select

from core.auth import change_password, end_sessions, new_api_token, revoke_api_token, set_active
from core.db import db, utcnow
from core.models import ApiToken, AuditLog, Role
from tests.factories import csrf_token, login, make_user


@pytest.fixture()
def inspector(app):
    user = make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    return user


def _captured(client):
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = client.application.test_client()
    thief.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
    return thief


def _signed_in(client) -> bool:
    # the tests' app context outlives requests: forget the user Flask-Login cached on g
    g.pop("_login_user", None)
    return client.get("/uploads").status_code == 200


def test_a_cookie_captured_before_logout_is_dead_after(client, inspector) -> None:
    login(client, "insp-WY")
    thief = _captured(client)
    assert _signed_in(thief)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert not _signed_in(client)
    assert not _signed_in(thief)


def test_logging_in_again_after_logout_works(client, inspector) -> None:
    login(client, "insp-WY")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert login(client, "insp-WY").status_code == 302
    assert _signed_in(client)


def test_a_password_change_ends_sessions_and_tokens(client, inspector) -> None:
    login(client, "insp-WY")
    token = new_api_token(inspector, "report")
    db.session.commit()
    change_password(inspector, "a-new-password-77")
    db.session.commit()
    assert not _signed_in(client)
    assert (
        client.get("/api/v1/counties", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert login(client, "insp-WY", "a-new-password-77").status_code == 302


def test_disabling_a_user_ends_sessions_and_tokens(client, inspector) -> None:
    login(client, "insp-WY")
    token = new_api_token(inspector, "report")
    db.session.commit()
    set_active(inspector, False)
    db.session.commit()
    assert not _signed_in(client)
    assert db.session.scalars(select(ApiToken.active)).all() == [False]
    assert (
        client.get("/api/v1/counties", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_a_disabled_user_with_a_current_session_is_out(client, inspector) -> None:
    """Disabled behind the service's back (a database edit): the session still ends."""
    login(client, "insp-WY")
    inspector.active = False
    db.session.commit()
    assert not _signed_in(client)


def test_end_sessions_ends_every_browser_and_token_and_is_logged(client, inspector) -> None:
    login(client, "insp-WY")
    other = client.application.test_client()
    login(other, "insp-WY")
    token = new_api_token(inspector, "report")
    db.session.commit()
    assert end_sessions(inspector) == 1
    db.session.commit()
    assert not _signed_in(client) and not _signed_in(other)
    assert (
        client.get("/api/v1/counties", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert db.session.scalars(
        select(AuditLog.action).where(AuditLog.action == "end_sessions")
    ).all()


def test_the_end_sessions_command(client, inspector, runner) -> None:
    login(client, "insp-WY")
    result = runner.invoke(args=["end-sessions", "insp-WY"])
    assert result.exit_code == 0, result.output
    assert not _signed_in(client)
    assert runner.invoke(args=["end-sessions", "nobody"]).exit_code == 1


def test_a_token_expires(client, inspector) -> None:
    token = new_api_token(inspector, "report", days=30)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/counties", headers=headers).status_code == 200
    row = db.session.scalars(select(ApiToken)).one()
    assert row.expires_at is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/counties", headers=headers).status_code == 401


def test_a_token_expires_by_the_setting_unless_told(inspector) -> None:
    new_api_token(inspector, "a")
    new_api_token(inspector, "b", days=0)
    rows = {t.name: t.expires_at for t in db.session.scalars(select(ApiToken))}
    assert timedelta(days=179) < rows["a"] - utcnow() <= timedelta(days=180)
    assert rows["b"] is None


def test_a_token_can_be_revoked(client, inspector) -> None:
    token = new_api_token(inspector, "report")
    db.session.commit()
    revoke_api_token(db.session.scalars(select(ApiToken)).one())
    db.session.commit()
    assert (
        client.get("/api/v1/counties", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_a_csrf_token_has_a_lifetime(client, inspector, monkeypatch) -> None:
    limit = client.application.config["WTF_CSRF_TIME_LIMIT"]
    assert limit
    token = csrf_token(client, "/login")
    later = itsdangerous.timed.time.time() + limit + 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    response = client.post(
        "/login", data={"username": "insp-WY", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
