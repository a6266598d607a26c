"""Every POST route × every role × an object in and out of scope (issue 12, SPEC §3).

Generated from the URL map: a new POST route fails until it has an entry in ``FORMS`` (a form
that would write if it were allowed). Expectations: anonymous → the login page; a role the
route does not allow → 403; an inspector or a clerk naming another county's or enterprise's
object → 404. Every refusal (302 to login, 403, 404) leaves the database exactly as it was:
the content of every table is compared before and after. One test per route, each reporting
every failing role and scope at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import g

from app import create_app
from core.auth import route_access
from core.db import db
from core.models import NotificationChannel
from tests import test_authorization_matrix as matrix
from tests.factories import csrf_token, database_state, login
from tests.test_authorization_matrix import ROLES, SCOPED, SHARED, _url

world = matrix.world  # the same two counties, users, objects and tokens

Form = Callable[[dict[str, Any], str], dict[str, Any]]

#: endpoint -> the form a POST sends (world, "in"/"out") — real writes, so that a refusal that
#: forgot to refuse would show in the database
FORMS: dict[str, Form] = {
    "core.logout": lambda w, where: {},
    "bargaining.upload_filings": lambda w, where: {},
    "bargaining.upload_registry": lambda w, where: {},
    "bargaining.record_platform_date": lambda w, where: {"platform_entered_on": "2026-11-02"},
    "audits.freeze": lambda w, where: {"month": "2026-09"},
    "audits.draw": lambda w, where: {"month": "2026-09", "public_value": "123456"},
    "audits.round_verify": lambda w, where: {},
    "audits.audit_detail": lambda w, where: {
        "result_C1": "pass",
        "note_C1": "写入",
        "notes": "写入",
        "action": "save",
    },
    "audits.rectification_detail": lambda w, where: {"action": "start", "note": "写入"},
    "audits.interview_detail": lambda w, where: {
        "held_on": "2026-11-20",
        "participants": "张三",
        "minutes": "纪要",
        "commitments": "承诺",
    },
    "visits.make_plan": lambda w, where: {"quarter": "2026Q4"},
    "visits.detail": lambda w, where: {"status": "missed", "reason": "写入"},
    "reports.supervision_plan": lambda w, where: {"county": w[where]["code"], "reason": "写入"},
    "reports.supervision_detail": lambda w, where: {
        "held_on": "2026-11-20",
        "participants": "张三",
        "problems": "问题",
        "measures": "措施",
    },
    "reports.review_comments": lambda w, where: {"comment_1": "写入"},
    # contract texts and the online filing form
    "texts.attach": lambda w, where: {"version": "1"},
    "texts.recognition_rules": lambda w, where: {
        "code": "S01",
        "keywords": "写入",
        "patterns": "",
    },
    "filing_form.filing_form": lambda w, where: {"enterprise_name": "写入"},
    # notifications
    "notifications.mark_read": lambda w, where: {"id": "1"},
    "notifications.preferences": lambda w, where: {"email": "digest"},
    # accounts and administration
    "admin.change_password": lambda w, where: {
        "current": "wrong",
        "new": "Neues-Passwort-1",
        "repeat": "Neues-Passwort-1",
    },
    "admin.settings": lambda w, where: {"sample_rate": "5"},
    "admin.revoke_token": lambda w, where: {},
    "admin.expire_token": lambda w, where: {"expires_on": "2027-01-01"},
    "admin_audits.holidays": lambda w, where: {"name": "写入", "start": "2027-01-01"},
    "admin_audits.remove_holiday": lambda w, where: {"day": "2027-01-01"},
    "admin_audits.complete_year": lambda w, where: {"year": "2027"},
    "admin_bargaining.new_user": lambda w, where: {
        "username": "written",
        "password": "Neues-Passwort-1",
        "role": "inspector",
    },
    "admin_bargaining.edit_user": lambda w, where: {"display_name": "写入"},
    "admin_bargaining.set_user_active": lambda w, where: {"active": "0"},
    "admin_bargaining.reset_password": lambda w, where: {"password": "Neues-Passwort-1"},
    "admin_bargaining.counties": lambda w, where: {"tiers": "2490,2390"},
    "admin_bargaining.items": lambda w, where: {"code": "X1", "name": "写入", "kind": "text"},
    "admin_bargaining.set_item_active": lambda w, where: {"active": "0"},
    "admin_bargaining.channels": lambda w, where: {
        "county": w[where]["code"],
        "kind": "webhook",
        "url": "http://127.0.0.1:9/hook",
        "secret": "s",
    },
    "admin_bargaining.remove_channel": lambda w, where: _channel_one(),
}

REFUSALS = (302, 403, 404)


def _channel_one() -> dict[str, Any]:
    """Channel 1 (the URL's channel_id) exists before each POST: the form is empty."""
    if db.session.get(NotificationChannel, 1) is None:
        db.session.add(NotificationChannel(id=1, kind="wecom", url="http://127.0.0.1:9/hook"))
        db.session.commit()
    return {}


def _post_rules() -> list[Any]:
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    return sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods),
        key=lambda r: r.endpoint,
    )


POST_ENDPOINTS = [r.endpoint for r in _post_rules()]


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def test_every_post_route_has_a_form() -> None:
    """A new POST route fails here until the write matrix knows what to send."""
    public = {"core.login"}
    missing = [e for e in POST_ENDPOINTS if e not in FORMS and e not in public]
    assert not missing, f"add {missing} to FORMS in tests/test_write_matrix.py"
    assert not set(FORMS) - set(POST_ENDPOINTS), "FORMS names a route that is gone"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_post_by_every_role_in_and_out_of_scope(app, world, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    access = route_access(app, endpoint, "POST")
    scoped = bool(set(rule.arguments) & SCOPED)
    failures: list[str] = []
    for role in (None, *ROLES):
        client = app.test_client()  # a fresh session per role
        g.pop("csrf_token", None)  # the test's app context outlives requests: forget the token
        if role is not None:
            assert login(client, world["users"][role]).status_code == 302
        for where in ("in", "out"):
            objects = world["in_enterprise" if where == "in" and role == "enterprise" else where]
            url = _url(app, rule, {**SHARED, **objects})
            token = csrf_token(client, "/login" if role is None else "/")
            data = {"csrf_token": token, **FORMS[endpoint](world, where)}
            before = database_state()
            status = client.post(url, data=data).status_code
            changed = _changed(before, database_state())
            label = f"{role or 'anonymous'} POST {url} ({where})"
            if role is None:
                expected: tuple[int, ...] = (302,)
            elif role not in access:
                expected = (403,)
            elif scoped and where == "out" and role in ("enterprise", "inspector"):
                expected = (404,)
            else:
                expected = ()
            if expected and status not in expected:
                failures.append(f"{label}: {status}, expected {expected[0]}")
            elif not expected and (status == 404 or status >= 500):
                failures.append(f"{label}: {status} for an object in scope")
            if (expected or status in REFUSALS[1:]) and changed:
                failures.append(f"{label}: refused ({status}) but changed {changed}")
            if endpoint == "core.logout" and role is not None:
                login(client, world["users"][role])
            if not scoped:
                break  # no object in the URL: one case per role
    assert not failures, "\n".join(failures)
