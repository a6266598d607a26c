"""Visit plans as iCalendar (RFC 5545) files, with the icalendar library (pure).

UIDs come from what a visit is for (quarter + task), never from a row id, so importing the
file again updates the events instead of duplicating them; SEQUENCE grows with each change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from icalendar import Calendar, Event

from core.clock import LOCAL_TZ

UID_DOMAIN = "jinhua-bargaining.tracker"


@dataclass(frozen=True)
class CalendarVisit:
    quarter: str
    task_key: str
    day: date
    summary: str
    location: str
    description: str
    status: str  # planned | confirmed | done | missed | rescheduled | cancelled
    sequence: int
    visitor_id: int | None = None  # whose day it is: their visits on one day get their own slots


#: a visit's time on its day: 1 h 30 min, a quarter of an hour between visits, lunch 12:15–14:00
SLOT_MINUTES, GAP_MINUTES = 90, 15
MORNING, AFTERNOON, LUNCH = time(9, 0), time(14, 0), time(12, 15)


def day_slots(n: int) -> list[tuple[time, time]]:
    """``n`` consecutive, never overlapping time slots on one day (SPEC §7), from 09:00; a
    slot that would run into lunch starts at 14:00 instead."""
    slots: list[tuple[time, time]] = []
    start = datetime.combine(date.min, MORNING)
    for _ in range(n):
        end = start + timedelta(minutes=SLOT_MINUTES)
        if end.time() > LUNCH and start.time() < AFTERNOON:
            start = datetime.combine(date.min, AFTERNOON)
            end = start + timedelta(minutes=SLOT_MINUTES)
        slots.append((start.time(), end.time()))
        start = end + timedelta(minutes=GAP_MINUTES)
    return slots


def slotted(visits: Iterable[CalendarVisit]) -> list[tuple[CalendarVisit, time, time]]:
    """Each visit with its time: one person's visits on one day in consecutive slots, in
    the order of what they are for (cancelled ones last)."""
    by_day: dict[tuple[int | None, date], list[CalendarVisit]] = defaultdict(list)
    for v in visits:
        by_day[(v.visitor_id, v.day)].append(v)
    result = []
    for (_visitor, _day), group in sorted(by_day.items(), key=lambda kv: (kv[0][1], kv[0][0] or 0)):
        group.sort(key=lambda v: (v.status == "cancelled", v.task_key))
        for v, (start, end) in zip(group, day_slots(len(group)), strict=True):
            result.append((v, start, end))
    return result


def visit_uid(quarter: str, task_key: str) -> str:
    return f"{quarter}-{task_key}@{UID_DOMAIN}"


def visits_calendar(name: str, visits: Iterable[CalendarVisit], stamp: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Jinhua union//Bargaining tracker//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for v, start, end in slotted(visits):
        event = Event()
        event.add("uid", visit_uid(v.quarter, v.task_key))
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.combine(v.day, start, LOCAL_TZ))
        event.add("dtend", datetime.combine(v.day, end, LOCAL_TZ))
        event.add("summary", v.summary)
        event.add("location", v.location)
        event.add("description", v.description)
        event.add("sequence", v.sequence)
        event.add(
            "status",
            "CANCELLED"
            if v.status == "cancelled"
            else "CONFIRMED"
            if v.status in ("confirmed", "done")
            else "TENTATIVE",
        )
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
