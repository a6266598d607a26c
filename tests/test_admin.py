"""`/admin`: users, tokens, settings, counties, catalogue and holidays, all without SQL."""

from __future__ import annotations

from datetime import date

from flask import g
from sqlalchemy import select

from audits.models import CalendarDay
from audits.visit_service import quarter_days
from audits.visits import Quarter
from bargaining.models import BargainingItem, County
from core import accounts
from core.auth import new_api_token, user_for_token
from core.db import db
from core.models import ApiToken, AuditLog, Role, User
from core.settings import get_setting
from tests.factories import PASSWORD, csrf_token, login, make_enterprise, make_user


def _admin(client):
    make_user("admin", Role.ADMIN)
    db.session.commit()
    login(client, "admin")
    return csrf_token(client, "/admin")


def _log(action: str, object_type: str) -> list[AuditLog]:
    return list(
        db.session.scalars(
            select(AuditLog).where(AuditLog.action == action, AuditLog.object_type == object_type)
        )
    )


def test_admin_index_lists_every_screen(client):
    _admin(client)
    html = client.get("/admin").get_data(as_text=True)
    for url in (
        "/admin/users",
        "/admin/settings",
        "/admin/tokens",
        "/admin/counties",
        "/admin/items",
        "/admin/holidays",
    ):
        assert f'href="{url}"' in html


def test_city_leader_may_not_administer(client):
    make_user("city", Role.CITY)
    db.session.commit()
    login(client, "city")
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_admin_creates_an_inspector_with_email(client):
    token = _admin(client)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "insp-new",
            "display_name": "王新",
            "role": "inspector",
            "county": "WY",
            "email": "wang@example.org",
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "insp-new")).one()
    assert (user.role, user.email) == ("inspector", "wang@example.org")
    assert db.session.get(County, user.county_id).code == "WY"
    assert _log("create", "user")[-1].after["username"] == "insp-new"


def test_a_clerk_takes_the_county_of_their_enterprise(client):
    token = _admin(client)
    ent = make_enterprise("YW")
    db.session.commit()
    client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "clerk-x",
            "role": "enterprise",
            "uscc": ent.uscc,
            "password": "long-enough-1",
        },
    )
    user = db.session.scalars(select(User).where(User.username == "clerk-x")).one()
    assert (user.enterprise_id, user.county_id) == (ent.id, ent.county_id)


def test_an_inspector_without_county_is_refused(client):
    token = _admin(client)
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "nobody",
            "role": "inspector",
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 400
    assert "县级指导员须指定县(市、区)" in response.get_data(as_text=True)  # not "unknown code「」"
    assert db.session.scalars(select(User).where(User.username == "nobody")).first() is None


def test_admin_disables_a_user_and_their_tokens_end(client):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    plain = new_api_token(insp, "report")
    db.session.commit()
    token = _admin(client)
    client.post(f"/admin/users/{insp.id}/active", data={"csrf_token": token, "active": "0"})
    db.session.expire_all()
    assert db.session.get(User, insp.id).active is False
    assert user_for_token(f"Bearer {plain}") is None
    assert _log("disable", "user")


def test_a_disabled_users_session_ends(client):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    admin = make_user("admin", Role.ADMIN)
    db.session.commit()
    login(client, "insp-WY")
    assert client.get("/").status_code == 200
    accounts.set_active(admin, insp, False)
    db.session.commit()
    g.pop("_login_user", None)  # the test shares one app context across requests
    assert client.get("/").status_code == 302


def test_reset_password_revokes_tokens_and_sets_the_new_one(client):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    plain = new_api_token(insp, "report")
    db.session.commit()
    token = _admin(client)
    client.post(
        f"/admin/users/{insp.id}/password", data={"csrf_token": token, "password": "brand-new-99"}
    )
    assert user_for_token(f"Bearer {plain}") is None
    client.post("/logout", data={"csrf_token": token})
    assert login(client, "insp-WY", "brand-new-99").status_code == 302
    assert _log("reset_password", "user")


def test_every_user_changes_their_own_password(app, client):
    make_user("clerk", Role.ENTERPRISE, enterprise=make_enterprise("WY"))
    db.session.commit()
    elsewhere = app.test_client()  # the same user signed in on another device
    with app.app_context():  # its own g (the fixture's app context outlives each request)
        login(elsewhere, "clerk")
        assert elsewhere.get("/notifications").status_code == 200
    login(client, "clerk")
    token = csrf_token(client, "/account/password")
    wrong = client.post(
        "/account/password",
        data={"csrf_token": token, "current": "nope", "new": "another-9x", "repeat": "another-9x"},
    )
    assert wrong.status_code == 400
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "another-9x",
            "repeat": "another-9x",
        },
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)[-1500:]
    assert _log("change_password", "user")
    with app.app_context():
        assert client.get("/notifications").status_code == 200  # this session goes on
    with app.app_context():
        assert elsewhere.get("/notifications").status_code == 302  # ended there (SPEC §3)


def test_settings_are_validated_and_nothing_is_saved_on_an_error(client):
    token = _admin(client)
    response = client.post(
        "/admin/settings",
        data={"csrf_token": token, "deadline_days_major": "45", "sample_rate": "1.5"},
    )
    assert response.status_code == 400
    assert get_setting("deadline_days_major") == 30
    client.post("/admin/settings", data={"csrf_token": token, "deadline_days_major": "45"})
    assert get_setting("deadline_days_major") == 45
    entry = _log("update", "setting")[-1]
    assert (entry.before, entry.after) == ({"deadline_days_major": 30}, {"deadline_days_major": 45})


def test_minimum_wage_tiers_pilot_and_k_per_county(client):
    token = _admin(client)
    jd = db.session.scalars(select(County).where(County.code == "JD")).one()
    data = {"csrf_token": token, "tiers": "2600 / 2350 / 2100"}
    data |= {f"c{jd.id}_pilot": "1", f"c{jd.id}_k": "3", f"c{jd.id}_tier": "1"}
    data |= {f"c{jd.id}_share": "0.75"}
    assert client.post("/admin/counties", data=data).status_code == 302
    db.session.expire_all()
    jd = db.session.get(County, jd.id)
    assert (jd.pilot, jd.required_items, jd.min_wage_tier) == (True, 3, 1)
    assert get_setting("min_wage_tiers") == {"1": 2600, "2": 2350, "3": 2100}
    assert _log("update", "county")[-1].after["required_items"] == 3


def test_tiers_out_of_order_are_refused(client):
    token = _admin(client)
    client.post("/admin/counties", data={"csrf_token": token, "tiers": "2000 / 2350 / 2100"})
    assert get_setting("min_wage_tiers") == {"1": 2490, "2": 2260, "3": 2010}


def test_catalogue_add_retire_and_codes_never_reused(client):
    token = _admin(client)
    assert (
        client.post(
            "/admin/items",
            data={"csrf_token": token, "code": "S08", "name": "数字技能津贴", "kind": "expansion"},
        ).status_code
        == 302
    )
    client.post("/admin/items/S08/active", data={"csrf_token": token, "active": "0"})
    assert db.session.get(BargainingItem, "S08").active is False
    again = client.post(
        "/admin/items",
        data={"csrf_token": token, "code": "S08", "name": "别的事项", "kind": "expansion"},
    )
    assert again.status_code == 400
    assert db.session.get(BargainingItem, "S08").name == "数字技能津贴"


def test_holidays_entered_then_the_year_is_complete(client):
    token = _admin(client)
    assert not quarter_days(Quarter(2027, 1)).known
    response = client.post(
        "/admin/holidays",
        data={
            "csrf_token": token,
            "year": "2027",
            "name": "春节",
            "start": "2027-02-06",
            "end": "2027-02-14",
            "workdays": "2027-02-20",
        },
    )
    assert response.status_code == 302
    days = {d.day: d.workday for d in db.session.scalars(select(CalendarDay))}
    assert days[date(2027, 2, 8)] is False and date(2027, 2, 6) not in days  # a Saturday
    assert days[date(2027, 2, 20)] is True
    client.post("/admin/holidays/complete", data={"csrf_token": token, "year": "2027"})
    plan = quarter_days(Quarter(2027, 1))
    assert plan.known and date(2027, 2, 8) not in plan.days and date(2027, 2, 20) in plan.days


def test_tokens_revoked_and_expired(client):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    one, two = new_api_token(insp, "a"), new_api_token(insp, "b")
    db.session.commit()
    token = _admin(client)
    first, second = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    assert "insp-WY" in client.get("/admin/tokens").get_data(as_text=True)
    client.post(f"/admin/tokens/{first.id}/revoke", data={"csrf_token": token})
    client.post(
        f"/admin/tokens/{second.id}/expire", data={"csrf_token": token, "expires_on": "2020-01-01"}
    )
    assert user_for_token(f"Bearer {one}") is None
    assert user_for_token(f"Bearer {two}") is None
    assert _log("revoke", "api_token") and _log("expire", "api_token")


def test_create_user_takes_an_email(runner):
    args = ["create-user", "city2", "--role", "city", "--password", "longenough"]
    result = runner.invoke(args=[*args, "--email", "city2@example.org"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.username == "city2")).one()
    assert user.email == "city2@example.org"
    bad = runner.invoke(args=["create-user", "city3", *args[2:], "--email", "not-an-address"])
    assert bad.exit_code == 1


def test_the_admin_home_leads_to_administration(client):
    _admin(client)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin"' in html and 'href="/admin/holidays"' in html
