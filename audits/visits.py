"""每季度开展全覆盖实地走访督查 — planning the quarter's visits (pure, tested without a database).

Every county gets one city visit; every enterprise with an open finding gets a visit from an
inspector of its county; a lagging county gets an on-site supervision (现场督导) by the city.
Visits fall on Chinese working days (weekends and statutory holidays off, adjusted working
days 调休 on), spread evenly over the quarter and over the people, at most three a day per
person, and never two counties for one person on the same day.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import UserError
from core.i18n import _

PER_DAY = 3


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        text = text.strip().upper()
        if (
            len(text) != 6
            or text[4] != "Q"
            or text[5] not in "1234"
            or not text[:4].isdigit()
            or not 2000 <= int(text[:4]) <= 2099  # a working period, not year 0 or 9999
        ):
            raise UserError(_("季度应写作 YYYYQn（如 2026Q3），不是「%(text)s」", text=text))
        return cls(int(text[:4]), int(text[5]))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        month = 3 * self.q
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def working_days(start: date, end: date, exceptions: Mapping[date, bool]) -> list[date]:
    """Monday–Friday, less holidays, plus adjusted working weekend days (``exceptions``)."""
    days = []
    day = start
    while day <= end:
        workday = exceptions.get(day, day.weekday() < 5)
        if workday:
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class Task:
    key: str  # stable: what the visit is for (e.g. "county-WY", "enterprise-123")
    kind: str  # county | enterprise | supervision
    county_id: int
    visitors: tuple[int, ...]  # who may make it
    enterprise_id: int | None = None


@dataclass(frozen=True)
class Booked:
    """A visit that stays where it is (done, confirmed, missed): it occupies its day."""

    key: str
    visitor_id: int
    day: date
    county_id: int


@dataclass(frozen=True)
class Planned:
    key: str
    visitor_id: int
    day: date


@dataclass(frozen=True)
class Unplaced:
    """A task the quarter could not hold: ``visitor_id`` is who it fell to (None: nobody may
    make it, e.g. a county without an inspector)."""

    key: str
    visitor_id: int | None


@dataclass
class QuarterPlan:
    planned: list[Planned]
    unplaced: list[Unplaced]


def plan_visits(
    tasks: Sequence[Task],
    days: Sequence[date],
    booked: Iterable[Booked] = (),
    per_day: int = PER_DAY,
) -> list[Planned]:
    """Give every task a visitor and a working day, evenly and within the limits; a task
    that does not fit is a :class:`UserError` (see :func:`plan_quarter` for the plan that
    places what fits)."""
    return _plan(tasks, days, booked, per_day, strict=True).planned


def plan_quarter(
    tasks: Sequence[Task],
    days: Sequence[date],
    booked: Iterable[Booked] = (),
    per_day: int = PER_DAY,
) -> QuarterPlan:
    """The quarter's plan (SPEC §7): every task that fits gets a visitor and a working day;
    what does not fit is listed, per person, instead of failing the quarter for everyone."""
    return _plan(tasks, days, booked, per_day, strict=False)


def _plan(
    tasks: Sequence[Task],
    days: Sequence[date],
    booked: Iterable[Booked],
    per_day: int,
    strict: bool,
) -> QuarterPlan:
    if not days:
        raise UserError(_("本季度剩余时间内没有工作日，无法安排走访"))
    booked = list(booked)
    load: dict[int, int] = defaultdict(int)
    occupied: dict[tuple[int, date], list[int]] = defaultdict(list)  # (visitor, day) -> counties
    for b in booked:
        load[b.visitor_id] += 1
        occupied[(b.visitor_id, b.day)].append(b.county_id)
    unplaced: list[Unplaced] = []
    mine: dict[int, list[Task]] = defaultdict(list)
    for task in sorted(tasks, key=lambda t: (t.county_id, t.kind, t.key)):
        if not task.visitors:
            if strict:
                raise UserError(_("没有可安排的人员：%(task)s", task=task.key))
            unplaced.append(Unplaced(task.key, None))
            continue
        visitor = min(task.visitors, key=lambda v: (load[v], v))
        load[visitor] += 1
        mine[visitor].append(task)
    plans: list[Planned] = []
    for visitor, own in sorted(mine.items()):
        n = len(own)
        if strict and n > per_day * len(days):
            raise UserError(
                _(
                    "工作日不足：一人需走访 %(n)s 次，本季度最多可安排 %(max)s 次",
                    n=n,
                    max=per_day * len(days),
                )
            )
        for i, task in enumerate(own):
            ideal = min(len(days) - 1, int((i + 0.5) * len(days) / n))
            day = _nearest_free_day(days, ideal, visitor, task.county_id, occupied, per_day)
            if day is None:
                if strict:
                    raise UserError(
                        _(
                            "工作日不足，无法为 %(task)s 安排走访（每人每天最多 %(per_day)s 次）",
                            task=task.key,
                            per_day=per_day,
                        )
                    )
                unplaced.append(Unplaced(task.key, visitor))
                continue
            occupied[(visitor, day)].append(task.county_id)
            plans.append(Planned(task.key, visitor, day))
    return QuarterPlan(plans, unplaced)


def _nearest_free_day(
    days: Sequence[date],
    ideal: int,
    visitor: int,
    county_id: int,
    occupied: Mapping[tuple[int, date], list[int]],
    per_day: int,
) -> date | None:
    for offset in range(len(days)):
        for index in (ideal + offset, ideal - offset) if offset else (ideal,):
            if 0 <= index < len(days):
                counties = occupied.get((visitor, days[index]), [])
                if len(counties) < per_day and all(c == county_id for c in counties):
                    return days[index]
    return None
