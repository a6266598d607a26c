"""Holidays per year as the admin enters the State Council's notice (国务院办公厅关于…部分节假日
安排的通知): a holiday as a date range (its weekdays become days off) plus its adjusted
working weekend days (调休上班); then the year is marked complete and visit plans stop
falling back to Monday–Friday (SPEC §3, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from audits.models import CalendarDay, CalendarYear
from audits.visit_service import set_calendar_day
from core import audit_log
from core.db import db
from core.errors import UserError
from core.i18n import _
from core.models import User
from core.policy import may


@dataclass
class YearCalendar:
    year: int
    complete: bool
    source: str
    days: list[CalendarDay]


def year_calendar(year: int) -> YearCalendar:
    marker = db.session.get(CalendarYear, year)
    days = list(
        db.session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarDay.day)
        )
    )
    return YearCalendar(year, marker is not None, marker.source if marker else "", days)


def enter_holiday(
    user: User, name: str, start: date, end: date, workdays: list[date]
) -> tuple[int, int]:
    """Every weekday from ``start`` to ``end`` off, each of ``workdays`` (weekends) worked.
    Returns (days off entered, working weekend days entered)."""
    if end < start:
        raise UserError(_("结束日期早于开始日期"))
    if (end - start).days > 31:
        raise UserError(_("一个假期最长 31 天"))
    if not name.strip():
        raise UserError(_("请填写节日名称，如 春节"))
    off = 0
    day = start
    while day <= end:
        if day.weekday() < 5:
            set_calendar_day(day, False, name, user)
            off += 1
        day += timedelta(days=1)
    for day in workdays:
        set_calendar_day(day, True, _("%(name)s 调休上班", name=name.strip()), user)
    return off, len(workdays)


def remove_calendar_day(user: User, day: date) -> None:
    if not may(user, "calendar.edit"):
        raise UserError(_("只有系统管理员可以维护节假日"), 403)
    row = db.session.get(CalendarDay, day)
    if row is None:
        return
    before = {"day": row.day, "workday": row.workday, "name": row.name}
    db.session.delete(row)
    db.session.flush()
    audit_log.record(
        user, "remove_calendar_day", "calendar", day.year, before=before, summary=day.isoformat()
    )
