"""Users' text is never read as a system message (SPEC §9 "Bad input gets a clear message,
never a 500"; issue 13).

Stored system messages (:class:`core.i18n.Msg`) and users' text are told apart by their type
when stored, not by what the text looks like: a reason typed as ``{"msgid": …}`` is shown
literally, and a deeply nested one takes no page down.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text

from audits.models import Visit
from audits.visit_service import record_visit
from core.auth import new_api_token
from core.db import db
from core.i18n import MSG_MARK, MessageText, Msg, read_stored_message
from core.models import Role
from tests.factories import county, login, make_enterprise, make_user

TODAY = date(2026, 11, 16)
IMPERSONATION = '{"msgid": "问题已整改，无需走访", "params": {}}'
DEEP = '{"msgid": "%(a)s", "params": {"a": ' * 5000 + '"x"' + "}}" * 5000


def stored(value: object) -> object:
    column = MessageText()
    return column.process_result_value(column.process_bind_param(value, None), None)


def test_a_message_comes_back_as_a_message():
    message = Msg("走访发现：%(description)s", description="未公示")
    back = stored(message)
    assert isinstance(back, Msg) and back.msgid == message.msgid and back == message


@pytest.mark.parametrize(
    "typed",
    [IMPERSONATION, DEEP, MSG_MARK + IMPERSONATION, "\x1f" + "x", "普通的原因", ""],
)
def test_users_text_comes_back_exactly_as_typed(typed):
    back = stored(typed)
    assert back == typed and not isinstance(back, Msg)


def test_a_corrupt_or_absurdly_nested_stored_message_is_shown_as_text():
    assert read_stored_message(DEEP) == DEEP
    assert read_stored_message("[" * 100000) == "[" * 100000
    nested = {"msgid": "%(a)s", "params": {"a": "x"}}
    for _ in range(10):
        nested = {"msgid": "%(a)s", "params": {"a": nested}}
    assert read_stored_message(json.dumps({**nested, "text": "原文"})) == "原文"


@pytest.fixture()
def missed_visit(app):
    """An inspector's visit recorded as missed with a reason typed to look like a message."""
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    ent = make_enterprise("WY")
    visits = []
    for i, reason in enumerate((DEEP, IMPERSONATION)):
        visit = Visit(
            quarter="2026Q4",
            kind="enterprise",
            task_key=f"enterprise-{ent.id}-{i}",
            county_id=county("WY").id,
            enterprise_id=ent.id,
            visitor_id=insp.id,
            planned_on=date(2026, 11, 10),
        )
        db.session.add(visit)
        db.session.flush()
        record_visit(visit, insp, {"status": "missed", "reason": reason}, TODAY)
        visits.append(visit)
    db.session.commit()
    db.session.expire_all()
    return insp, visits


def test_a_reason_typed_as_json_stays_text_in_the_database(missed_visit):
    _insp, (deep, impersonation) = missed_visit
    assert db.session.get(Visit, impersonation.id).reason == IMPERSONATION
    raw = db.session.execute(
        text("SELECT reason FROM visit WHERE id = :id"), {"id": impersonation.id}
    ).scalar_one()
    assert raw == IMPERSONATION  # stored as typed: no marker, nothing to parse
    assert db.session.get(Visit, deep.id).reason == DEEP


def test_visit_pages_calendar_and_api_show_the_reason_literally(missed_visit, client):
    insp, (deep, impersonation) = missed_visit
    login(client, "insp-WY")
    listing = client.get("/visits?quarter=2026Q4")
    assert listing.status_code == 200
    home = client.get("/")
    assert home.status_code == 200
    for visit in (deep, impersonation):
        page = client.get(f"/visits/{visit.id}")
        assert page.status_code == 200
    shown = client.get(f"/visits/{impersonation.id}").get_data(as_text=True)
    assert "问题已整改，无需走访" not in shown or "msgid" in shown
    calendar = client.get("/visits/2026Q4/mine.ics")
    assert calendar.status_code == 200
    token = new_api_token(insp, "t")
    db.session.commit()
    api = client.get("/api/v1/visits?per_page=500", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.get_json()["total"] == 2
