"""An admin, in Chromium, creates a user and enters next year's holidays — no SQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from audits.models import CalendarDay, CalendarYear
from core.db import db
from core.models import Role, User
from tests.browser.conftest import shot
from tests.factories import PASSWORD, make_user


def _login(page, username: str, password: str = PASSWORD) -> None:
    page.goto(page.base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def test_admin_creates_a_user_and_enters_holidays(page, app):
    make_user("admin", Role.ADMIN)
    db.session.commit()
    _login(page, "admin")
    page.click("nav.mainnav >> text=系统管理")
    page.wait_for_url("**/admin")
    page.click("a.admin-tile[href='/admin/users']")
    page.click("text=新建用户")
    page.fill("#f-username", "insp-new")
    page.fill("#f-display", "王新")
    page.select_option("#f-role", "inspector")
    page.select_option("#f-county", "PA")
    page.fill("#f-email", "wang@example.org")
    page.fill("#f-password", "long-enough-1")
    page.click("#user-form button[type=submit]")
    page.wait_for_url("**/admin/users/*")
    assert "已创建用户 insp-new" in page.content()
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.username == "insp-new")).one()
    assert user.email == "wang@example.org" and user.role == "inspector"

    page.goto(page.base + "/admin/holidays?year=2027")
    assert "尚未录入完整" in page.inner_text("#year-status")
    page.fill("#h-name", "春节")
    page.fill("#h-start", "2027-02-06")
    page.fill("#h-end", "2027-02-14")
    page.fill("#h-work", "2027-02-20")
    page.click("#holiday-form button[type=submit]")
    page.wait_for_load_state()
    assert "2027-02-08" in page.inner_text("#holiday-days")
    page.click("#complete-year")
    page.wait_for_load_state()
    assert "已录入完整" in page.inner_text("#year-status")
    shot(page, "admin-holidays-2027")
    db.session.expire_all()
    assert db.session.get(CalendarYear, 2027) is not None
    assert db.session.get(CalendarDay, date(2027, 2, 8)).workday is False
    assert page.console_errors == []

    # the new inspector logs in with the password the admin gave
    page.click("header form button[type=submit]")  # log out
    page.wait_for_load_state()
    _login(page, "insp-new", "long-enough-1")
    assert "王新" in page.content()
