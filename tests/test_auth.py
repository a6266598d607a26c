"""Login, CSRF, route declarations and scoping: out of scope answers 404."""

from __future__ import annotations

import pytest
from flask import Flask

from bargaining.uploads import run_upload
from core.auth import check_every_route_declares_access
from core.db import db
from core.models import Role
from core.policy import requires
from tests.conftest import TODAY
from tests.factories import (
    PASSWORD,
    contract_row,
    filing_workbook,
    login,
    make_enterprise,
    make_user,
)


def test_login_with_wrong_password_is_refused_in_chinese(client):
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    response = login(client, "insp-WY", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert login(client, "insp-WY", PASSWORD).status_code == 302


def test_password_is_stored_as_an_argon2_hash(app):
    user = make_user("x", Role.CITY)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_without_csrf_token_is_refused(client):
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    response = client.post("/login", data={"username": "insp-WY", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_upload_without_csrf_token_is_refused_and_stores_nothing(client):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    from io import BytesIO

    response = client.post(
        "/filings/upload",
        data={"file": (BytesIO(filing_workbook([contract_row(ent)])), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    from sqlalchemy import func, select

    from bargaining.models import Upload

    assert db.session.scalar(select(func.count(Upload.id))) == 0


def test_logout_is_a_csrf_protected_post(client):
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/filings")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_open_redirect_after_login_is_refused(client):
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    from tests.factories import csrf_token

    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "insp-WY", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_every_route_declares_who_may_use_it(app):
    check_every_route_declares_access(app)  # the real app passes
    bare = Flask("probe")

    @bare.route("/forgot")
    def forgot():
        return "x"

    @bare.route("/declared")
    @requires("dashboard.city")
    def declared():
        return "y"

    with pytest.raises(RuntimeError, match="/forgot"):
        check_every_route_declares_access(bare)


@pytest.fixture()
def two_counties(app):
    wy, yw = make_enterprise("WY"), make_enterprise("YW")
    insp_wy = make_user("insp-WY", Role.INSPECTOR, "WY")
    insp_yw = make_user("insp-YW", Role.INSPECTOR, "YW")
    make_user("clerk-wy", Role.ENTERPRISE, enterprise=wy)
    make_user("city", Role.CITY)
    run_upload(
        insp_wy, "filings", "wy.xlsx", filing_workbook([contract_row(wy, 合同编号="WY-C")]), TODAY
    )
    yw_outcome = run_upload(
        insp_yw,
        "filings",
        "yw.xlsx",
        filing_workbook([contract_row(yw, 合同编号="YW-C", **{"县(市、区)": "义乌市"})]),
        TODAY,
    )
    assert yw_outcome.status == "imported", yw_outcome.errors
    db.session.commit()
    from sqlalchemy import select

    from bargaining.models import Contract

    contracts = {c.number: c for c in db.session.scalars(select(Contract))}
    return {
        "wy": wy,
        "yw": yw,
        "wy_contract": contracts["WY-C"],
        "yw_contract": contracts["YW-C"],
        "yw_upload": yw_outcome.upload,
    }


def test_inspector_of_wy_cannot_see_yw_objects(client, two_counties):
    login(client, "insp-WY")
    t = two_counties
    assert client.get(f"/contracts/{t['wy_contract'].id}").status_code == 200
    assert client.get(f"/contracts/{t['yw_contract'].id}").status_code == 404
    assert client.get(f"/enterprises/{t['yw'].id}").status_code == 404
    assert client.get(f"/uploads/{t['yw_upload'].id}").status_code == 404
    assert client.get(f"/uploads/{t['yw_upload'].id}/original").status_code == 404
    listing = client.get("/filings").get_data(as_text=True)
    assert "WY-C" in listing and "YW-C" not in listing
    registry = client.get("/registry").get_data(as_text=True)
    assert t["wy"].uscc in registry and t["yw"].uscc not in registry
    export = client.get("/filings?export=xlsx&county=YW")
    assert export.status_code == 200
    assert b"YW-C" not in export.data


def test_enterprise_clerk_sees_only_itself(client, two_counties):
    login(client, "clerk-wy")
    t = two_counties
    assert client.get(f"/contracts/{t['wy_contract'].id}").status_code == 200
    assert client.get(f"/enterprises/{t['wy'].id}").status_code == 200
    assert client.get(f"/contracts/{t['yw_contract'].id}").status_code == 404
    assert client.get(f"/enterprises/{t['yw'].id}").status_code == 404
    assert client.get("/registry").status_code == 403
    # the WY inspector filed WY-C: the clerk sees the contract but not the inspector's upload
    assert client.get("/uploads").status_code == 200
    listing = client.get("/filings").get_data(as_text=True)
    assert "WY-C" in listing and "YW-C" not in listing


def test_city_leader_sees_every_county_but_cannot_upload_the_registry(client, two_counties):
    login(client, "city")
    t = two_counties
    assert client.get(f"/contracts/{t['yw_contract'].id}").status_code == 200
    assert client.get(f"/contracts/{t['wy_contract'].id}").status_code == 200
    assert client.get("/registry/upload").status_code == 403
