"""One user-error type (core.errors.UserError) with one handler: 4xx with its message, after
a rollback; never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from core.auth import public
from core.db import db
from core.errors import UserError
from core.models import Role, Setting
from tests.factories import csrf_token, database_state, login, make_user


def test_the_domain_errors_are_one_type() -> None:
    assert isinstance(UserError("x"), UserError)
    assert UserError("x", 403).status == 403


def test_an_uncaught_user_error_is_its_4xx_with_its_message_and_no_write(app, client):
    before = db.session.scalar(select(func.count()).select_from(Setting))

    @public
    def refuse():
        db.session.add(Setting(key="half_written", value=1))
        db.session.flush()
        raise UserError("此操作不允许", 409)

    app.add_url_rule("/test-refuse", "test_refuse", refuse)
    response = client.get("/test-refuse")
    assert response.status_code == 409
    assert "此操作不允许" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Setting)) == before


# ---------------------------------------------------------------------------- refused forms


def _admin(client):
    make_user("admin", Role.ADMIN)
    db.session.commit()
    login(client, "admin")
    return csrf_token(client, "/admin")


def test_a_refused_form_shows_the_chinese_message_keeps_the_values_and_writes_nothing(client):
    token = _admin(client)
    before = database_state()
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "wang.fang",
            "display_name": "王芳",
            "role": "inspector",
            "county": "WY",
            "email": "wang@example.cn",
            "password": "short",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "密码至少 8 位" in html  # flashed beside the form, in Chinese
    for kept in ('value="wang.fang"', 'value="王芳"', 'value="wang@example.cn"'):
        assert kept in html
    assert '<option value="WY" selected>' in html
    assert database_state() == before


def test_a_refused_form_shows_each_fields_message_beside_it(client):
    token = _admin(client)
    before = database_state()
    response = client.post(
        "/admin/settings",
        data={"csrf_token": token, "sample_rate": "abc", "upload_max_mb": "-1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "有 2 项设置未通过校验，均未保存" in html
    assert 'value="abc"' in html and 'value="-1"' in html
    assert html.count('class="field-error"') >= 2
    assert database_state() == before


def test_a_refused_button_goes_back_to_its_page_with_the_message(client):
    token = _admin(client)
    other = make_user("li", Role.INSPECTOR, "WY")
    db.session.commit()
    page = f"/admin/users/{other.id}"
    before = database_state()
    response = client.post(
        f"{page}/password",
        data={"csrf_token": token, "password": "short"},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(page)
    assert database_state() == before
    assert "密码至少 8 位" in client.get(page).get_data(as_text=True)


def test_a_refusal_never_sends_the_user_to_another_site(client):
    token = _admin(client)
    other = make_user("li", Role.INSPECTOR, "WY")
    db.session.commit()
    response = client.post(
        f"/admin/users/{other.id}/password",
        data={"csrf_token": token, "password": "short"},
        headers={"Referer": "https://evil.example/admin"},
    )
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"]
