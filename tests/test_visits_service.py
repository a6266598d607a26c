"""Quarterly visits with the database (SPEC §7): the plan, re-planning, records with new
findings, .ics calendars, reminders, scoping, the CLI and coverage."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from audits import visits
from audits.models import CalendarDay, CalendarYear, Finding, Rectification, Supervision, Visit
from audits.services import act_on_rectification, evidence_of, open_finding
from audits.visit_service import (
    coverage,
    quarter_days,
    record_visit,
    schedule_visits,
    seed_calendar,
)
from bargaining.models import County
from core.db import db
from core.errors import UserError
from core.hooks import hooks
from core.models import Role, User
from tests.factories import county, csrf_token, login, make_enterprise, make_user

Q4 = visits.Quarter(2026, 4)
START = date(2026, 10, 1)  # the whole quarter is still ahead
TODAY = date(2026, 11, 25)
SHANGHAI = ZoneInfo("Asia/Shanghai")
UID_DOMAIN = "jinhua-bargaining.tracker"


def _user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _visits(quarter: str = "2026Q4") -> list[Visit]:
    return list(
        db.session.scalars(select(Visit).where(Visit.quarter == quarter).order_by(Visit.id))
    )


def _by_key(quarter: str = "2026Q4") -> dict[str, Visit]:
    return {v.task_key: v for v in _visits(quarter)}


def _finding(
    user: User | None, ent_county: int, ent_id: int | None, on: date = date(2026, 9, 15)
) -> Finding:
    return open_finding(
        user,
        on,
        county_id=ent_county,
        enterprise_id=ent_id,
        contract_id=None,
        check_code="C5",
        severity="major",
        description="签订后第15日才报送",
        source="audit",
        source_id=None,
    )


@pytest.fixture()
def setup(app) -> dict[str, Any]:
    """Two city users; WY: two inspectors (+1 inactive), four enterprises with open findings,
    one whose finding is resolved, one without; YW: one inspector, one enterprise with a finding."""
    city = make_user("city", Role.CITY)
    make_user("city-2", Role.CITY)
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("insp-WY-2", Role.INSPECTOR, "WY")
    gone = make_user("insp-WY-old", Role.INSPECTOR, "WY")
    gone.active = False
    insp_yw = make_user("insp-YW", Role.INSPECTOR, "YW")
    wy = [make_enterprise("WY") for _ in range(4)]
    fixed = make_enterprise("WY")
    clean = make_enterprise("WY")
    yw = make_enterprise("YW")
    make_user("clerk", Role.ENTERPRISE, enterprise=wy[0])
    for ent in wy:
        _finding(insp, ent.county_id, ent.id)
    _finding(insp, wy[0].county_id, wy[0].id)  # a second open finding: still one visit
    _finding(insp_yw, yw.county_id, yw.id)
    _finding(insp, county("WY").id, None)  # an industry contract: no enterprise to visit
    done = _finding(insp, fixed.county_id, fixed.id)
    resolved = db.session.scalars(
        select(Rectification).where(Rectification.finding_id == done.id)
    ).one()
    resolved.status, resolved.resolved_on = "resolved", date(2026, 9, 20)
    db.session.commit()
    return {"city": city, "insp": insp, "wy": wy, "fixed": fixed, "clean": clean, "yw": yw}


def _plan(setup, today: date = START, lagging: set[int] | None = None):
    result = schedule_visits(
        Q4, setup["city"], today, {county("WY").id} if lagging is None else lagging
    )
    db.session.commit()
    return result


def _ics(client, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def _events(cal: Calendar) -> dict[str, Any]:
    events = list(cal.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    return dict(zip(uids, events, strict=True))


def _logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


# ---------------------------------------------------------------------------- calendar table


def test_calendar_table_is_seeded_from_chinese_calendar(app) -> None:
    assert db.session.get(CalendarYear, 2026) is not None
    assert (
        db.session.get(CalendarYear, 2027) is None
    )  # the test source stops at 2026 (tests/holidays.py)
    oct1 = db.session.get(CalendarDay, date(2026, 10, 1))
    assert oct1 is not None and oct1.workday is False
    oct10 = db.session.get(CalendarDay, date(2026, 10, 10))
    assert oct10 is not None and oct10.workday is True
    assert seed_calendar() == 0  # idempotent: known years are not seeded again
    days = quarter_days(Q4)
    assert days.known
    assert days.days == [d for d in _all_days(Q4) if chinese_calendar.is_workday(d)]
    unknown = quarter_days(visits.Quarter(2027, 1))
    assert not unknown.known
    assert unknown.days == [d for d in _all_days(visits.Quarter(2027, 1)) if d.weekday() < 5]
    later = quarter_days(Q4, from_day=TODAY)
    assert later.days[0] == TODAY and all(d >= TODAY for d in later.days)


def _all_days(q: visits.Quarter) -> list[date]:
    return [date.fromordinal(o) for o in range(q.start.toordinal(), q.end.toordinal() + 1)]


# ---------------------------------------------------------------------------- the plan


def test_plan_covers_every_county_lagging_supervision_and_open_findings(setup) -> None:
    result = _plan(setup)
    assert (result.created, result.moved, result.kept, result.cancelled) == (16, 0, 0, 0)
    assert result.known_calendar and result.quarter == "2026Q4"
    rows = _by_key()
    codes = list(db.session.scalars(select(County.code)))
    assert len(codes) == 10
    city_ids = {_user("city").id, _user("city-2").id}
    for code in codes:
        v = rows[f"county-{code}"]
        assert v.kind == "county" and v.county_id == county(code).id
        assert v.visitor_id in city_ids and v.status == "planned" and v.enterprise_id is None
    # the lagging county gets an on-site supervision by the city, linked to a Supervision row
    sup = rows["supervision-WY"]
    assert sup.kind == "supervision" and sup.visitor_id in city_ids
    supervision = db.session.get(Supervision, sup.supervision_id)
    assert supervision is not None
    assert supervision.county_id == county("WY").id and supervision.planned_on == sup.planned_on
    assert supervision.created_by_id == setup["city"].id
    assert not any(k.startswith("supervision-") and k != "supervision-WY" for k in rows)
    # one visit per enterprise with an open finding, by an active inspector of its county
    ents = [*setup["wy"], setup["yw"]]
    enterprise_rows = {k: v for k, v in rows.items() if v.kind == "enterprise"}
    assert set(enterprise_rows) == {f"enterprise-{e.id}" for e in ents}
    wy_inspectors = {_user("insp-WY").id, _user("insp-WY-2").id}
    for ent in setup["wy"]:
        v = rows[f"enterprise-{ent.id}"]
        assert v.enterprise_id == ent.id and v.county_id == ent.county_id
        assert v.visitor_id in wy_inspectors
    assert rows[f"enterprise-{setup['yw'].id}"].visitor_id == _user("insp-YW").id
    assert f"enterprise-{setup['fixed'].id}" not in rows
    assert f"enterprise-{setup['clean'].id}" not in rows
    # spread over the people: 11 city visits → 6 + 5; WY's 4 enterprises → 2 + 2
    loads = Counter(v.visitor_id for v in rows.values())
    assert sorted(loads[i] for i in city_ids) == [5, 6]
    assert sorted(loads[i] for i in wy_inspectors) == [2, 2]
    assert loads[_user("insp-WY-old").id] == 0


def test_visits_fall_on_working_days_of_the_calendar(setup) -> None:
    _plan(setup)
    working = set(quarter_days(Q4).days)
    per_day: dict[tuple[int, date], list[int]] = defaultdict(list)
    for v in _visits():
        assert v.planned_on in working
        assert chinese_calendar.is_workday(v.planned_on), v.planned_on
        assert not date(2026, 10, 1) <= v.planned_on <= date(2026, 10, 7)
        assert v.planned_on.weekday() < 5 or v.planned_on == date(2026, 10, 10)
        per_day[(v.visitor_id, v.planned_on)].append(v.county_id)
    for counties in per_day.values():
        assert len(counties) <= 3 and len(set(counties)) == 1
    # spread over the quarter: the city's visits are not bunched at its start
    city_days = sorted(v.planned_on for v in _visits() if v.kind != "enterprise")
    assert city_days[0].month == 10 and city_days[-1].month == 12


def test_only_the_city_makes_the_plan_and_not_for_a_past_quarter(setup) -> None:
    with pytest.raises(UserError) as info:
        schedule_visits(Q4, setup["insp"], START, set())
    assert info.value.status == 403
    with pytest.raises(UserError) as past:
        schedule_visits(visits.Quarter(2026, 3), setup["city"], TODAY, set())
    assert "已结束" in past.value.message
    assert _visits() == [] and _visits("2026Q3") == []


def test_replanning_keeps_done_and_confirmed_moves_planned_and_cancels_gone(setup) -> None:
    _plan(setup)
    before = {
        k: (v.id, v.planned_on, v.visitor_id, v.sequence, v.status) for k, v in _by_key().items()
    }
    rows = _by_key()
    # a done visit and a confirmed one
    done = rows["county-YW"]
    done_day = done.planned_on
    record_visit(
        done,
        db.session.get(User, done.visitor_id),
        {
            "status": "done",
            "done_on": min(done_day, TODAY),
            "people_met": "义乌市总工会王主席",
            "notes": "座谈",
        },
        TODAY,
    )
    confirmed = rows[f"enterprise-{setup['yw'].id}"]
    record_visit(confirmed, _user("insp-YW"), {"status": "confirmed"}, TODAY)
    # one enterprise's rectification is resolved: its visit is no longer needed
    gone_ent = setup["wy"][1]
    rect = db.session.scalars(
        select(Rectification).where(Rectification.enterprise_id == gone_ent.id)
    ).one()
    act_on_rectification(rect, setup["insp"], "submit", "已补报送", TODAY)
    act_on_rectification(rect, _user("insp-WY-2"), "verify", "核实无误", TODAY)
    db.session.commit()
    gone_key = f"enterprise-{gone_ent.id}"
    seq_done, seq_confirmed = done.sequence, confirmed.sequence
    assert rows[gone_key].status == "planned"

    replan_day = date(2026, 11, 16)
    result = _plan(setup, today=replan_day)
    db.session.expire_all()
    after = _by_key()
    assert set(after) == set(before)  # the same rows: nothing created, nothing deleted
    assert result.created == 0 and result.kept == 2 and result.cancelled == 1
    # done and confirmed stay where they are
    assert after["county-YW"].status == "done" and after["county-YW"].planned_on == done_day
    assert after["county-YW"].sequence == seq_done
    conf = after[f"enterprise-{setup['yw'].id}"]
    assert conf.status == "confirmed" and conf.planned_on == before[conf.task_key][1]
    assert conf.sequence == seq_confirmed
    # the gone task is cancelled, with a reason, and its calendar SEQUENCE grows
    cancelled = after[gone_key]
    assert cancelled.status == "cancelled" and cancelled.reason
    assert cancelled.sequence == before[gone_key][3] + 1
    # planned visits: same row and task key, on or after the re-planning day, SEQUENCE + 1 if moved
    moved = 0
    for key, v in after.items():
        if v.status != "planned":
            continue
        row_id, day, visitor, sequence, _ = before[key]
        assert v.id == row_id
        assert v.planned_on >= replan_day
        assert chinese_calendar.is_workday(v.planned_on)
        if (v.planned_on, v.visitor_id) != (day, visitor):
            assert v.sequence == sequence + 1
            moved += 1
        else:
            assert v.sequence == sequence
    assert moved == result.moved
    assert moved >= 1  # visits planned before 16 November had to move
    # the supervision keeps its row and its Supervision link
    assert after["supervision-WY"].supervision_id is not None
    assert db.session.scalar(select(func.count(Supervision.id))) == 1


def test_replanning_twice_changes_nothing(setup) -> None:
    _plan(setup)
    before = {v.task_key: (v.id, v.planned_on, v.visitor_id, v.sequence) for v in _visits()}
    again = _plan(setup)
    assert (again.created, again.moved, again.cancelled) == (0, 0, 0)
    db.session.expire_all()
    assert {v.task_key: (v.id, v.planned_on, v.visitor_id, v.sequence) for v in _visits()} == before


def test_replanning_keeps_missed_visits_and_plans_new_findings(setup) -> None:
    _plan(setup)
    missed = _by_key()[f"enterprise-{setup['wy'][0].id}"]
    record_visit(
        missed,
        db.session.get(User, missed.visitor_id),
        {"status": "missed", "reason": "企业停工"},
        TODAY,
    )
    new_ent = make_enterprise("WY")
    _finding(setup["insp"], new_ent.county_id, new_ent.id, on=date(2026, 11, 10))
    db.session.commit()
    result = _plan(setup, today=date(2026, 11, 16))
    assert result.kept == 1 and result.created == 1
    db.session.expire_all()
    rows = _by_key()
    assert (
        rows[missed.task_key].status == "missed"
        and rows[missed.task_key].planned_on == missed.planned_on
    )
    new = rows[f"enterprise-{new_ent.id}"]
    assert new.status == "planned" and new.planned_on >= date(2026, 11, 16)


# ---------------------------------------------------------------------------- .ics


def _check_calendar(cal: Calendar, rows: list[Visit]) -> dict[str, Any]:
    events = _events(cal)
    assert len(events) == len(rows)
    for v in rows:
        uid = f"{v.quarter}-{v.task_key}@{UID_DOMAIN}"
        assert uid in events, uid
        event = events[uid]
        start = event["DTSTART"].dt
        assert isinstance(start, datetime) and start.tzinfo is not None
        assert start.astimezone(SHANGHAI).date() == v.planned_on
        assert event["DTSTART"].params.get("TZID") == "Asia/Shanghai"
        assert int(event["SEQUENCE"]) == v.sequence
    return events


def test_inspector_and_city_calendars_parse_back(setup, client) -> None:
    _plan(setup)
    login(client, "insp-WY")
    mine_rows = [v for v in _visits() if v.visitor_id == setup["insp"].id]
    assert len(mine_rows) == 2
    mine = _ics(client, "/visits/2026Q4/mine.ics")
    _check_calendar(mine, mine_rows)
    assert all("走访企业" in str(e["SUMMARY"]) for e in mine.walk("VEVENT"))
    _logout(client)
    login(client, "city")
    city_cal = _ics(client, "/visits/2026Q4/city.ics")
    first = _check_calendar(city_cal, _visits())
    assert len(first) == 16
    # exporting again: the same UIDs (imports update, never duplicate)
    assert set(_events(_ics(client, "/visits/2026Q4/city.ics"))) == set(first)
    city_mine = _ics(client, "/visits/2026Q4/mine.ics")
    _check_calendar(city_mine, [v for v in _visits() if v.visitor_id == setup["city"].id])


def test_calendar_uids_survive_replanning_and_sequence_grows(setup, client) -> None:
    _plan(setup)
    login(client, "city")
    first = _events(_ics(client, "/visits/2026Q4/city.ics"))
    first_seq = {uid: int(e["SEQUENCE"]) for uid, e in first.items()}
    gone = setup["wy"][2]
    rect = db.session.scalars(
        select(Rectification).where(Rectification.enterprise_id == gone.id)
    ).one()
    rect.status = "resolved"
    db.session.commit()
    result = _plan(setup, today=date(2026, 12, 1))
    assert result.moved >= 1 and result.cancelled == 1
    db.session.expire_all()
    second = _check_calendar(_ics(client, "/visits/2026Q4/city.ics"), _visits())
    assert set(second) == set(first)
    gone_uid = f"2026Q4-enterprise-{gone.id}@{UID_DOMAIN}"
    assert str(second[gone_uid]["STATUS"]) == "CANCELLED"
    grown = [uid for uid in first if int(second[uid]["SEQUENCE"]) > first_seq[uid]]
    assert len(grown) == result.moved + result.cancelled


def test_calendars_are_for_staff_only(setup, client) -> None:
    _plan(setup)
    login(client, "insp-WY")
    assert client.get("/visits/2026Q4/city.ics").status_code == 403
    assert client.get("/visits/2026Q9/mine.ics").status_code == 404
    _logout(client)
    login(client, "clerk")
    assert client.get("/visits/2026Q4/mine.ics").status_code == 403


# ---------------------------------------------------------------------------- records


def test_visit_with_a_new_finding_opens_a_rectification(setup, client, monkeypatch) -> None:
    monkeypatch.setattr("audits.visit_views.local_today", lambda: TODAY)
    _plan(setup)
    visit = next(
        v for v in _visits() if v.kind == "enterprise" and v.visitor_id == setup["insp"].id
    )
    login(client, "insp-WY")
    url = f"/visits/{visit.id}"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "status": "done",
            "done_on": "2026-11-20",
            "people_met": "企业负责人张某、工会主席李某",
            "notes": "查看工资台账",
            "finding_description": ["工资集体协商未覆盖劳务派遣职工", ""],
            "finding_severity": ["major", "minor"],
            "evidence": (BytesIO(b"jpeg-bytes"), "走访照片.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.status == "done" and visit.done_on == date(2026, 11, 20)
    assert visit.people_met == "企业负责人张某、工会主席李某" and visit.notes == "查看工资台账"
    assert [e.filename for e in evidence_of("visit", visit.id)] == ["走访照片.jpg"]
    finding = db.session.scalars(select(Finding).where(Finding.source == "visit")).one()
    assert finding.source_id == visit.id and finding.severity == "major"
    assert "工资集体协商未覆盖劳务派遣职工" in finding.description
    rect = finding.rectification
    assert rect.enterprise_id == visit.enterprise_id and rect.county_id == visit.county_id
    assert rect.status == "pending"
    listing = client.get("/rectifications").get_data(as_text=True)
    assert "工资集体协商未覆盖劳务派遣职工" in listing
    assert "本次走访发现的问题" in client.get(url).get_data(as_text=True)


def test_done_visit_needs_people_met_and_no_future_date(setup) -> None:
    _plan(setup)
    visit = _by_key()[f"enterprise-{setup['yw'].id}"]
    user = _user("insp-YW")
    with pytest.raises(UserError, match="见到的人员"):
        record_visit(visit, user, {"status": "done", "people_met": "  "}, TODAY)
    with pytest.raises(UserError, match="晚于今天"):
        record_visit(
            visit,
            user,
            {"status": "done", "people_met": "王某", "done_on": date(2026, 11, 26)},
            TODAY,
        )
    with pytest.raises(UserError, match="描述和严重程度"):
        record_visit(
            visit,
            user,
            {
                "status": "done",
                "people_met": "王某",
                "findings": [{"description": "x", "severity": "huge"}],
            },
            TODAY,
        )
    with pytest.raises(UserError) as other:
        record_visit(visit, setup["insp"], {"status": "done", "people_met": "王某"}, TODAY)
    assert other.value.status == 403  # an inspector of another county


def test_rescheduling_needs_a_working_day_in_the_quarter(setup) -> None:
    _plan(setup)
    visit = _by_key()[f"enterprise-{setup['yw'].id}"]
    user = _user("insp-YW")
    with pytest.raises(UserError, match="工作日"):
        record_visit(
            visit,
            user,
            {"status": "rescheduled", "reason": "企业请求", "planned_on": date(2026, 12, 26)},
            TODAY,
        )
    with pytest.raises(UserError):
        record_visit(
            visit,
            user,
            {"status": "rescheduled", "reason": "企业请求", "planned_on": date(2027, 1, 4)},
            TODAY,
        )
    with pytest.raises(UserError):
        record_visit(
            visit,
            user,
            {"status": "rescheduled", "reason": "", "planned_on": date(2026, 12, 28)},
            TODAY,
        )
    seq = visit.sequence
    record_visit(
        visit,
        user,
        {"status": "rescheduled", "reason": "企业请求", "planned_on": date(2026, 12, 28)},
        TODAY,
    )
    assert visit.status == "rescheduled" and visit.planned_on == date(2026, 12, 28)
    assert visit.sequence == seq + 1


def test_missed_visit_needs_a_reason_and_is_a_home_page_reminder(setup, client) -> None:
    _plan(setup)
    visit = _by_key()[f"enterprise-{setup['yw'].id}"]
    login(client, "insp-YW")
    url = f"/visits/{visit.id}"
    refused = client.post(
        url, data={"csrf_token": csrf_token(client, url), "status": "missed", "reason": " "}
    )
    assert refused.status_code == 400
    assert "未走访的原因" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == "planned"
    ok = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "status": "missed", "reason": "企业停产检修"},
    )
    assert ok.status_code == 302
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.status == "missed" and visit.reason == "企业停产检修"
    home = client.get("/").get_data(as_text=True)
    assert "未完成的走访" in home
    assert "企业停产检修" in home
    assert f"/visits/{visit.id}" in home


# ---------------------------------------------------------------------------- scoping


def test_scoping_of_visit_pages(setup, client) -> None:
    _plan(setup)
    rows = _by_key()
    wy_visit = rows[f"enterprise-{setup['wy'][0].id}"]
    yw_visit = rows[f"enterprise-{setup['yw'].id}"]
    login(client, "insp-YW")
    assert client.get(f"/visits/{wy_visit.id}").status_code == 404
    assert client.get(f"/visits/{yw_visit.id}").status_code == 200
    assert client.get("/visits/999999").status_code == 404
    listing = client.get("/visits?quarter=2026Q4").get_data(as_text=True)
    assert setup["yw"].name in listing and setup["wy"][0].name not in listing
    _logout(client)
    login(client, "clerk")
    assert client.get("/visits").status_code == 403
    assert client.get(f"/visits/{wy_visit.id}").status_code == 403


def test_plan_page_only_for_the_city(setup, client, monkeypatch) -> None:
    monkeypatch.setattr("audits.visit_views.local_today", lambda: TODAY)
    login(client, "insp-WY")
    token = csrf_token(client, "/visits?quarter=2026Q4")
    assert (
        client.post("/visits/plan", data={"csrf_token": token, "quarter": "2026Q4"}).status_code
        == 403
    )
    assert _visits() == []
    _logout(client)
    login(client, "city")
    token = csrf_token(client, "/visits?quarter=2026Q4")
    response = client.post("/visits/plan", data={"csrf_token": token, "quarter": "2026Q4"})
    assert response.status_code == 302
    db.session.expire_all()
    rows = _visits()
    assert {f"county-{c}" for c in db.session.scalars(select(County.code))} <= {
        v.task_key for v in rows
    }
    assert all(v.planned_on >= TODAY and chinese_calendar.is_workday(v.planned_on) for v in rows)


# ---------------------------------------------------------------------------- CLI


def test_schedule_visits_cli(setup, runner, app, monkeypatch) -> None:
    monkeypatch.setattr("audits.cli.local_today", lambda: START)
    wy_id = county("WY").id
    monkeypatch.setattr(hooks(app), "lagging_counties", lambda day: {wy_id})
    result = runner.invoke(args=["schedule-visits", "--quarter", "2026Q4"])
    assert result.exit_code == 0, result.output
    assert "2026Q4" in result.stdout
    assert "新增 16 次" in result.stdout and "取消 0 次" in result.stdout
    assert "尚未录入" not in result.stderr
    db.session.expire_all()
    assert len(_visits()) == 16 and "supervision-WY" in _by_key()
    again = runner.invoke(args=["schedule-visits", "--quarter", "2026Q4"])
    assert again.exit_code == 0 and "新增 0 次" in again.stdout and "调整 0 次" in again.stdout


@pytest.mark.parametrize("text", ["2026Q5", "2026-10", "Q4"])
def test_schedule_visits_cli_bad_quarter(setup, runner, text: str) -> None:
    result = runner.invoke(args=["schedule-visits", "--quarter", text])
    assert result.exit_code == 1
    assert "季度应写作" in result.stderr
    assert result.stdout == ""
    assert db.session.scalar(select(func.count(Visit.id))) == 0


def test_schedule_visits_cli_past_quarter(setup, runner, monkeypatch) -> None:
    monkeypatch.setattr("audits.cli.local_today", lambda: TODAY)
    result = runner.invoke(args=["schedule-visits", "--quarter", "2026Q3"])
    assert result.exit_code == 1 and "已结束" in result.stderr


def test_schedule_visits_cli_without_holiday_data_uses_weekdays(setup, runner, monkeypatch) -> None:
    monkeypatch.setattr("audits.cli.local_today", lambda: TODAY)
    result = runner.invoke(args=["schedule-visits", "--quarter", "2027Q1"])
    assert result.exit_code == 0, result.output
    assert "2027Q1" in result.stdout
    assert "2027 年法定节假日尚未录入" in result.stderr and "周一至周五" in result.stderr
    db.session.expire_all()
    rows = _visits("2027Q1")
    assert rows and all(v.planned_on.weekday() < 5 for v in rows)
    assert all(
        visits.Quarter(2027, 1).start <= v.planned_on <= visits.Quarter(2027, 1).end for v in rows
    )
    assert {f"county-{c}" for c in db.session.scalars(select(County.code))} <= {
        v.task_key for v in rows
    }


def test_plan_page_says_when_the_year_has_no_holidays(setup, client) -> None:
    login(client, "city")
    page = client.get("/visits?quarter=2027Q1").get_data(as_text=True)
    assert "2027 年法定节假日尚未录入" in page
    assert "尚未录入" not in client.get("/visits?quarter=2026Q4").get_data(as_text=True)


# ---------------------------------------------------------------------------- coverage


def test_coverage_counts_planned_done_missed_per_county(setup) -> None:
    _plan(setup)
    rows = _by_key()
    wy, yw = county("WY").id, county("YW").id
    record_visit(
        rows["county-WY"],
        db.session.get(User, rows["county-WY"].visitor_id),
        {"status": "done", "people_met": "武义县总工会", "done_on": date(2026, 11, 2)},
        TODAY,
    )
    e0 = rows[f"enterprise-{setup['wy'][0].id}"]
    record_visit(
        e0, db.session.get(User, e0.visitor_id), {"status": "missed", "reason": "企业停产"}, TODAY
    )
    gone = rows[f"enterprise-{setup['wy'][3].id}"]
    gone.status = "cancelled"
    record_visit(
        rows[f"enterprise-{setup['yw'].id}"],
        _user("insp-YW"),
        {"status": "done", "people_met": "义乌企业工会", "done_on": date(2026, 11, 3)},
        TODAY,
    )
    db.session.commit()
    cov = coverage("2026Q4")
    # WY: county + supervision + 4 enterprises, one cancelled → 5 planned
    assert cov[wy] == {"planned": 5, "done": 1, "missed": 1}
    assert cov[yw] == {"planned": 2, "done": 1, "missed": 0}
    others = [c.id for c in db.session.scalars(select(County)) if c.id not in (wy, yw)]
    assert all(cov[c] == {"planned": 1, "done": 0, "missed": 0} for c in others)
    assert sum(c["planned"] for c in cov.values()) == 15
    assert coverage("2026Q3") == {}
