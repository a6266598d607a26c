"""Visit plans as iCalendar (RFC 5545) files, with the icalendar library (pure).

UIDs come from what a visit is for (quarter + task), never from a row id, so importing the
file again updates the events instead of duplicating them; SEQUENCE grows with each change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

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
    for v in visits:
        event = Event()
        event.add("uid", visit_uid(v.quarter, v.task_key))
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.combine(v.day, time(9, 0), LOCAL_TZ))
        event.add("dtend", datetime.combine(v.day, time(11, 30), LOCAL_TZ))
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
