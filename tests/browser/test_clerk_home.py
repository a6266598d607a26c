"""A clerk, in Chromium: the home page says what the enterprise owes, the bell says it too."""

from __future__ import annotations

from datetime import UTC, date, datetime

from audits.notices import send_notifications
from core.db import db
from core.models import Role
from tests.browser.conftest import shot
from tests.factories import PASSWORD, make_enterprise, make_finding, make_user


def test_a_clerk_sees_the_overdue_rectification_and_the_notice(page, app):
    ent = make_enterprise("WY", name="武义县浏览器测试五金有限公司")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("ent-WY-1", Role.ENTERPRISE, enterprise=ent)
    make_finding(insp, ent, date(2026, 9, 1), description="签订后第15日才报送")
    send_notifications(date(2026, 11, 25), datetime(2026, 11, 25, tzinfo=UTC))
    db.session.commit()
    page.goto(page.base + "/login")
    page.fill("input[name=username]", "ent-WY-1")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    overdue = page.inner_text("#rem-overdue + ul")
    assert "武义县" in overdue and "武义县浏览器测试五金有限公司" in overdue
    assert page.inner_text("#unread-count") == "1"
    shot(page, "clerk-home")
    page.click("a.bell")
    page.wait_for_url("**/notifications")
    assert "整改逾期" in page.inner_text("#notifications")
    shot(page, "clerk-notifications")
    assert page.console_errors == []
