"""Every route × every role × an object in scope and one out of scope, from the URL map.

A new route without an entry in PARAMS makes this test fail, so nothing escapes it.
Expectations: anonymous → login page (or 401 on the API); a role the route does not allow →
403; an allowed role asking for another county's or enterprise's object → 404; in scope → 200.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from audits.models import Audit, Evidence, Interview, Rectification, Supervision, Visit
from audits.services import add_evidence, escalate, save_audit
from audits.visit_service import schedule_visits
from audits.visits import Quarter
from bargaining.models import Contract, ContractText, ContractVersion, Upload
from bargaining.texts import attach_text
from bargaining.uploads import run_upload
from core.auth import new_api_token, route_access
from core.db import db
from core.models import Role, User
from tests.factories import (
    contract_row,
    csrf_token,
    filing_workbook,
    freeze_and_draw,
    login,
    make_enterprise,
    make_finding,
    make_user,
)

ROLES = ("enterprise", "inspector", "city", "admin")
SCOPED = {
    "contract_id",
    "enterprise_id",
    "upload_id",
    "audit_id",
    "rect_id",
    "interview_id",
    "visit_id",
    "evidence_id",
    "code",
    "supervision_id",
    "text_id",
}
# url parameters that are the same for everyone
SHARED = {
    "month": "2026-10",
    "quarter": "2026Q4",
    "half": "2026H1",
    "lang": "en",
    "filename": "css/app.css",
    "user_id": 1,
    "token_id": 1,
    "channel_id": 1,
    "item_code": "S01",
}


def _objects(county: str, ent, insp: User, _city: User) -> dict[str, object]:
    contract = db.session.scalars(select(Contract).where(Contract.enterprise_id == ent.id)).first()
    upload = db.session.scalars(
        select(Upload).where(Upload.user_id == insp.id, Upload.status == "rejected")
    ).first()
    audit = db.session.scalars(select(Audit).where(Audit.county_id == ent.county_id)).first()
    rect = db.session.scalars(
        select(Rectification).where(Rectification.enterprise_id == ent.id)
    ).first()
    interview = db.session.scalars(
        select(Interview).where(Interview.county_id == ent.county_id)
    ).first()
    visit = db.session.scalars(select(Visit).where(Visit.county_id == ent.county_id)).first()
    supervision = db.session.scalars(
        select(Supervision).where(Supervision.county_id == ent.county_id)
    ).first()
    evidence = db.session.scalars(
        select(Evidence).where(Evidence.owner_type == "rectification", Evidence.owner_id == rect.id)
    ).first()
    text = db.session.scalars(
        select(ContractText).where(ContractText.version_id == contract.current_version_id)
    ).first()
    return {
        "text_id": text.id,
        "contract_id": contract.id,
        "enterprise_id": ent.id,
        "upload_id": upload.id,
        "audit_id": audit.id,
        "rect_id": rect.id,
        "interview_id": interview.id,
        "visit_id": visit.id,
        "supervision_id": supervision.id,
        "evidence_id": evidence.id,
        "code": county,
    }


@pytest.fixture()
def world(app):
    today = date(2026, 11, 25)
    city = make_user("city", Role.CITY)
    make_user("admin", Role.ADMIN)
    data = {}
    for county, name in (("WY", "武义县"), ("YW", "义乌市")):
        ent = make_enterprise(county)
        insp = make_user(f"insp-{county}", Role.INSPECTOR, county)
        make_user(f"clerk-{county}", Role.ENTERPRISE, enterprise=ent)
        row = contract_row(
            ent, 合同编号=f"{county}-1", 备案日期=date(2026, 10, 8), **{"县(市、区)": name}
        )
        assert (
            run_upload(insp, "filings", f"{county}.xlsx", filing_workbook([row]), today).status
            == "imported"
        )
        broken = contract_row(ent, 合同编号=f"{county}-BAD", 出席代表数=999, **{"县(市、区)": name})
        assert (
            run_upload(
                insp, "filings", f"{county}-bad.xlsx", filing_workbook([broken]), today
            ).status
            == "rejected"
        )
        data[county] = (ent, insp)
        version = db.session.scalars(
            select(ContractVersion)
            .join(Contract, Contract.id == ContractVersion.contract_id)
            .where(Contract.number == f"{county}-1")
        ).one()
        attach_text(insp, version, "合同.pdf", b"%PDF-1.4 " + county.encode())
    clerk = db.session.scalars(select(User).where(User.username == "clerk-WY")).one()
    own = contract_row(data["WY"][0], 合同编号="WY-OWN")
    bad = contract_row(data["WY"][0], 合同编号="WY-OWN", 赞成票数=999)
    assert (
        run_upload(clerk, "filings", "own.xlsx", filing_workbook([own]), today).status == "imported"
    )
    assert (
        run_upload(clerk, "filings", "own-bad.xlsx", filing_workbook([bad]), today).status
        == "rejected"
    )
    clerk_upload = (
        db.session.scalars(
            select(Upload).where(Upload.user_id == clerk.id, Upload.status == "rejected")
        )
        .one()
        .id
    )
    db.session.commit()
    freeze_and_draw("2026-10", "123456789")
    for ent, insp in data.values():
        audit = db.session.scalars(select(Audit).where(Audit.county_id == ent.county_id)).one()
        checks = {f"C{i}": ("pass", "") for i in range(1, 10)} | {
            "C6": ("fail", "检查时该合同尚未在平台登记")
        }
        save_audit(
            audit,
            db.session.get(User, audit.inspector_id),
            checks,
            "",
            date(2026, 11, 2),
            complete=True,
        )
        rect = db.session.scalars(
            select(Rectification).where(Rectification.enterprise_id == ent.id)
        ).one()
        add_evidence("rectification", rect.id, "回执.pdf", b"%PDF", insp)
        make_finding(insp, ent, date(2026, 9, 1))
    escalate(date(2026, 11, 25))
    schedule_visits(
        Quarter(2026, 4),
        city,
        date(2026, 10, 1),
        {data["WY"][0].county_id, data["YW"][0].county_id},
    )
    db.session.commit()
    tokens = {
        role: new_api_token(db.session.scalars(select(User).where(User.role == role)).first(), role)
        for role in ROLES
    }
    db.session.commit()
    inside = _objects("WY", *data["WY"], city)
    return {
        "in": inside,
        "in_enterprise": {**inside, "upload_id": clerk_upload},  # a clerk sees its own uploads
        "out": _objects("YW", *data["YW"], city),
        "users": {
            "enterprise": "clerk-WY",
            "inspector": "insp-WY",
            "city": "city",
            "admin": "admin",
        },
        "tokens": tokens,
    }


def _url(app, rule, values: dict[str, object]) -> str | None:
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"{rule.rule}: add {missing} to the authorization matrix"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


def _get_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static" and "GET" in r.methods]


def test_every_get_route_by_every_role(app, client, world):
    checked = 0
    for role in (None, *ROLES):
        if role:
            if role != ROLES[0]:
                client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
            assert login(client, world["users"][role]).status_code == 302
        for rule in _get_rules(app):
            access = route_access(app, rule.endpoint)
            api = rule.rule.startswith("/api/")
            headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if api and role else {}
            scoped = bool(set(rule.arguments) & SCOPED)
            for where in ("in", "out") if scoped else ("in",):
                objects = world[
                    "in_enterprise" if where == "in" and role == "enterprise" else where
                ]
                url = _url(app, rule, {**SHARED, **objects})
                status = client.get(url, headers=headers).status_code
                checked += 1
                label = f"{role or 'anonymous'} GET {url} ({where})"
                if access == "public":
                    assert status in (200, 302), label
                elif role is None:
                    assert status == (401 if api else 302), label
                elif role not in access:
                    assert status == 403, label
                elif where == "out" and role in ("enterprise", "inspector"):
                    assert status == 404, label
                else:
                    assert status == 200, label
    assert checked >= 300  # routes × roles × in/out of scope


def test_every_post_route_refuses_roles_it_does_not_allow(app, client, world):
    posts = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert posts
    for role in ROLES:
        login(client, world["users"][role])
        token = csrf_token(client, "/")
        for rule in posts:
            access = route_access(app, rule.endpoint)
            if access == "public" or role in access:
                continue
            url = _url(app, rule, {**SHARED, **world["in"]})
            assert client.post(url, data={"csrf_token": token}).status_code == 403, (
                f"{role} POST {url}"
            )
        client.post("/logout", data={"csrf_token": token})
