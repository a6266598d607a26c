"""A supervision and its visit are one record: one status, one date, in the plan and the
.ics; planning a supervision that exists says so instead of adding another."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from audits import visits
from audits.models import Supervision, Visit
from audits.supervisions import plan_supervision, record_supervision
from audits.visit_service import record_visit, schedule_visits
from core.db import db
from core.errors import UserError
from core.models import Role
from tests.factories import county, csrf_token, login, make_user

Q4 = visits.Quarter(2026, 4)


@pytest.fixture()
def city(app):
    leader = make_user("city", Role.CITY)
    db.session.commit()
    return leader


def _visit_of(supervision: Supervision) -> Visit:
    return db.session.scalars(select(Visit).where(Visit.supervision_id == supervision.id)).one()


def test_a_supervision_planned_by_hand_is_on_the_plan_and_in_the_calendar(city, client):
    s = plan_supervision(county("JD").id, date(2026, 12, 8), "落后进度线", city)
    db.session.commit()
    visit = _visit_of(s)
    assert (visit.kind, visit.quarter, visit.planned_on) == ("supervision", "2026Q4", s.planned_on)
    login(client, "city")
    cal = Calendar.from_ical(client.get("/visits/2026Q4/city.ics").data)
    starts = [e["DTSTART"].dt.date() for e in cal.walk("VEVENT")]
    assert date(2026, 12, 8) in starts


def test_planning_an_existing_supervision_says_so(city, client):
    plan_supervision(county("JD").id, date(2026, 12, 8), "落后进度线", city)
    db.session.commit()
    with pytest.raises(UserError):
        plan_supervision(county("JD").id, date(2026, 12, 15), "again", city)
    db.session.rollback()
    login(client, "city")
    token = csrf_token(client, "/visits")
    response = client.post(
        "/supervision", data={"csrf_token": token, "county": "JD", "planned_on": "2026-12-15"}
    )
    assert response.status_code == 302 and "/supervision/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "未重复安排" in page
    assert db.session.scalar(select(func.count(Supervision.id))) == 1


def test_marking_the_visit_done_holds_the_supervision(city):
    s = plan_supervision(county("YK").id, date(2026, 11, 20), "落后进度线", city)
    visit = _visit_of(s)
    record_visit(
        visit,
        city,
        {"status": "done", "done_on": date(2026, 11, 20), "people_met": "县总工会 李四"},
        date(2026, 11, 25),
    )
    db.session.commit()
    assert (s.status, s.held_on) == ("held", date(2026, 11, 20))
    assert s.participants == "县总工会 李四"


def test_recording_the_supervision_marks_its_visit_done(city):
    s = plan_supervision(county("YK").id, date(2026, 11, 20), "落后进度线", city)
    record_supervision(
        s,
        city,
        {
            "held_on": date(2026, 11, 21),
            "participants": "市总工会 张三",
            "problems": "拓展协商内容不足",
            "measures": "一月内补签",
        },
        date(2026, 11, 25),
    )
    visit = _visit_of(s)
    assert (visit.status, visit.done_on) == ("done", date(2026, 11, 21))


def test_replanning_moves_both_and_links_the_open_supervision(city):
    s = plan_supervision(county("WY").id, date(2026, 10, 9), "落后进度线", city)
    db.session.commit()
    schedule_visits(Q4, city, date(2026, 10, 12), {county("WY").id})
    db.session.commit()
    visit = _visit_of(s)
    assert visit.planned_on >= date(2026, 10, 12)
    assert s.planned_on == visit.planned_on
    assert db.session.scalar(select(func.count(Supervision.id))) == 1


def test_the_supervision_page_links_its_visit(city, client):
    s = plan_supervision(county("JD").id, date(2026, 12, 8), "落后进度线", city)
    db.session.commit()
    login(client, "city")
    html = client.get(f"/supervision/{s.id}").get_data(as_text=True)
    assert f'href="/visits/{_visit_of(s).id}"' in html


def test_supervisions_have_one_owner() -> None:
    """Only audits/supervisions.py makes a Supervision row (issue 12): the visit plan and the
    reports pages ask it instead of making their own."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    makers = sorted(
        str(path.relative_to(root))
        for package in ("core", "bargaining", "audits", "reports")
        for path in (root / package).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Supervision"
    )
    assert set(makers) == {"audits/supervisions.py"}, makers
