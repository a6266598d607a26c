"""One user-error type (core.errors.UserError) with one handler: 4xx with its message, after
a rollback; never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from audits.services import ActionRefused
from bargaining.services import NotAllowed
from core.auth import public
from core.db import db
from core.errors import UserError
from core.models import Setting


def test_the_domain_errors_are_one_type() -> None:
    assert isinstance(ActionRefused("x"), UserError)
    assert NotAllowed("x").status == 403


def test_an_uncaught_user_error_is_its_4xx_with_its_message_and_no_write(app, client):  # type: ignore[no-untyped-def]
    before = db.session.scalar(select(func.count()).select_from(Setting))

    @public
    def refuse():  # type: ignore[no-untyped-def]
        db.session.add(Setting(key="half_written", value=1))
        db.session.flush()
        raise ActionRefused("此操作不允许", 409)

    app.add_url_rule("/test-refuse", "test_refuse", refuse)
    response = client.get("/test-refuse")
    assert response.status_code == 409
    assert "此操作不允许" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Setting)) == before
