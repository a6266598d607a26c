"""Home pages say what each person owes, and where (SPEC §6 Reminders)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

import audits.views
from audits.services import open_finding
from core.db import db
from core.models import Role
from tests.factories import login, make_enterprise, make_user

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(audits.views, "local_today", lambda: TODAY)


def _rect(ent, deadline: date, description: str = "报送逾期"):
    # a critical finding gets 7 days: opened 7 days before the wanted deadline
    return open_finding(
        None,
        deadline - timedelta(days=7),
        county_id=ent.county_id,
        enterprise_id=ent.id,
        contract_id=None,
        check_code="C1",
        severity="critical",
        description=description,
        source="audit",
        source_id=None,
    )


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="rem-{anchor}"')
    end = html.find("<h3", start + 1)
    return html[start : end if end > 0 else None]


def test_today_tomorrow_week_and_overdue_are_separate_and_name_the_place(client):
    today = TODAY
    ent = make_enterprise("WY", name="武义县提醒测试有限公司")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    _rect(ent, today, "今日问题")
    _rect(ent, today + timedelta(days=1), "明日问题")
    _rect(ent, today + timedelta(days=5), "五日问题")
    _rect(ent, today - timedelta(days=3), "逾期问题")
    db.session.commit()
    login(client, "insp-WY")
    html = client.get("/").get_data(as_text=True)
    assert "今日问题" in _section(html, "due_today") and "明日问题" not in _section(
        html, "due_today"
    )
    assert "明日问题" in _section(html, "due_tomorrow")
    assert "五日问题" in _section(html, "due_week")
    assert "逾期问题" in _section(html, "overdue")
    for anchor in ("due_today", "due_tomorrow", "due_week", "overdue"):
        part = _section(html, anchor)
        assert "武义县" in part and "武义县提醒测试有限公司" in part


def test_a_long_list_links_to_all_of_it(client):
    today = TODAY
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    for n in range(25):
        _rect(ent, today - timedelta(days=10 + n), f"问题{n}")
    db.session.commit()
    login(client, "insp-WY")
    part = _section(client.get("/").get_data(as_text=True), "overdue")
    assert "逾期未整改（25）" in part
    assert part.count("<li>") == 20
    assert "/rectifications?status=overdue" in part and "查看全部 25 条" in part
    full = client.get("/rectifications?status=overdue").get_data(as_text=True)
    assert len(re.findall(r"问题\d+", full)) == 25


def test_a_clerk_sees_the_rectifications_addressed_to_the_enterprise(client):
    today = TODAY
    ent, other = make_enterprise("WY"), make_enterprise("WY")
    make_user("ent-WY-1", Role.ENTERPRISE, enterprise=ent)
    _rect(ent, today + timedelta(days=30), "本企业的问题")
    _rect(other, today + timedelta(days=30), "别家的问题")
    db.session.commit()
    login(client, "ent-WY-1")
    html = client.get("/").get_data(as_text=True)
    assert "本企业的问题" in _section(html, "due_later")
    assert "别家的问题" not in html


def test_the_rectification_list_filters_by_due_window(client):
    today = TODAY
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    _rect(ent, today, "今日问题")
    _rect(ent, today + timedelta(days=1), "明日问题")
    db.session.commit()
    login(client, "insp-WY")
    html = client.get("/rectifications?status=due_today").get_data(as_text=True)
    assert "今日问题" in html and "明日问题" not in html
