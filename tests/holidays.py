"""The holiday source of the test database: chinese-calendar's tables cut at 2026, so that the
tests read the same calendar whatever release is installed — 2027 stays a year whose holidays
are "not entered yet" even after a release learns it (README: "Tests on any day")."""

from __future__ import annotations

from datetime import date

import chinese_calendar

LAST_KNOWN_YEAR = 2026


class KnownUntil2026:
    holidays: dict[date, object] = {
        d: n for d, n in chinese_calendar.holidays.items() if d.year <= LAST_KNOWN_YEAR
    }
    workdays: dict[date, object] = {
        d: n for d, n in chinese_calendar.workdays.items() if d.year <= LAST_KNOWN_YEAR
    }
