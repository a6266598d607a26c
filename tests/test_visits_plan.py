"""The quarterly visit planner (SPEC §7), pure: Chinese working days from chinese-calendar,
even spread over the quarter and over the people, at most 3 a day, one county a day."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.visits import PER_DAY, Booked, Quarter, Task, plan_visits, working_days
from core.errors import UserError

Q4 = Quarter(2026, 4)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def exceptions_for(quarter: Quarter) -> dict[date, bool]:
    """Holidays on weekdays → False, adjusted working weekend days (调休) → True."""
    result: dict[date, bool] = {}
    day = quarter.start
    while day <= quarter.end:
        if day.weekday() < 5 and day in chinese_calendar.holidays:
            result[day] = False
        elif day.weekday() >= 5 and day in chinese_calendar.workdays:
            result[day] = True
        day += timedelta(days=1)
    return result


def quarter_working_days(quarter: Quarter) -> list[date]:
    return working_days(quarter.start, quarter.end, exceptions_for(quarter))


def tasks(
    n: int, visitors: tuple[int, ...] = (1,), county: int = 1, prefix: str = "t"
) -> list[Task]:
    return [Task(f"{prefix}-{i:03d}", "enterprise", county, visitors, i) for i in range(n)]


def check_invariants(plans, task_list, days, booked=(), per_day=PER_DAY) -> None:
    """Full coverage, allowed visitors, working days, the per-day cap and one county a day."""
    by_key = {t.key: t for t in task_list}
    assert sorted(p.key for p in plans) == sorted(by_key)  # every task exactly once
    day_set = set(days)
    per_visitor_day: dict[tuple[int, date], list[int]] = defaultdict(list)
    for b in booked:
        per_visitor_day[(b.visitor_id, b.day)].append(b.county_id)
    for p in plans:
        assert p.visitor_id in by_key[p.key].visitors
        assert p.day in day_set
        per_visitor_day[(p.visitor_id, p.day)].append(by_key[p.key].county_id)
    for counties in per_visitor_day.values():
        assert len(counties) <= per_day
        assert len(set(counties)) == 1


# ---------------------------------------------------------------------------- Quarter


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026Q3", Quarter(2026, 3)), ("2026q4", Quarter(2026, 4)), (" 2027Q1 ", Quarter(2027, 1))],
)
def test_quarter_parse(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected
    assert str(Quarter.parse(text)) == str(expected)


@pytest.mark.parametrize(
    "text", ["2026Q5", "2026Q0", "2026-Q4", "26Q4", "", "abcdQ1", "2026Q", "2026Q44"]
)
def test_quarter_parse_rejects_bad_input_in_chinese(text: str) -> None:
    with pytest.raises(UserError) as info:
        Quarter.parse(text)
    assert "季度" in info.value.message and CHINESE.search(info.value.message)


def test_quarter_bounds_and_of() -> None:
    assert (Quarter(2026, 1).start, Quarter(2026, 1).end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert (Quarter(2026, 2).start, Quarter(2026, 2).end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert (Quarter(2026, 3).start, Quarter(2026, 3).end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert (Q4.start, Q4.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert Quarter.of(date(2026, 11, 25)) == Q4
    assert Quarter.of(date(2027, 3, 31)) == Quarter(2027, 1)
    assert Quarter.of(date(2027, 4, 1)) == Quarter(2027, 2)
    assert str(Q4) == "2026Q4"


# ---------------------------------------------------------------------------- working days


def test_working_days_follow_chinese_calendar_in_2026q4() -> None:
    days = quarter_working_days(Q4)
    everything = [Q4.start + timedelta(days=i) for i in range((Q4.end - Q4.start).days + 1)]
    assert days == [d for d in everything if chinese_calendar.is_workday(d)]
    national_day = {date(2026, 10, d) for d in range(1, 8)}
    assert not national_day & set(days)
    assert date(2026, 10, 10) in days  # Saturday, adjusted working day (调休)
    assert date(2026, 10, 8) == days[0]
    assert all(d.weekday() < 5 for d in days if d != date(2026, 10, 10))
    assert date(2026, 10, 11) not in days  # ordinary Sunday


def test_working_days_2026q3_mid_autumn_and_adjusted_sunday() -> None:
    days = quarter_working_days(Quarter(2026, 3))
    assert date(2026, 9, 25) not in days  # Friday, Mid-autumn Festival
    assert date(2026, 9, 20) in days  # Sunday, adjusted working day
    assert date(2026, 9, 30) in days


def test_working_days_without_exceptions_are_monday_to_friday() -> None:
    days = working_days(date(2027, 1, 1), date(2027, 1, 10), {})
    assert days == [date(2027, 1, d) for d in (1, 4, 5, 6, 7, 8)]
    assert working_days(date(2026, 10, 3), date(2026, 10, 4), {}) == []


# ---------------------------------------------------------------------------- plans on the calendar


def test_no_visit_on_weekends_or_statutory_holidays() -> None:
    days = quarter_working_days(Q4)
    task_list = tasks(150, visitors=(1, 2, 3))
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    for p in plans:
        assert chinese_calendar.is_workday(p.day), p
        assert not chinese_calendar.is_holiday(p.day)
        assert p.day.weekday() < 5 or p.day == date(2026, 10, 10)
        assert not date(2026, 10, 1) <= p.day <= date(2026, 10, 7)


def test_adjusted_working_saturday_is_used_when_every_day_is_needed() -> None:
    days = quarter_working_days(Q4)
    task_list = tasks(len(days))
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    used = sorted(p.day for p in plans)
    assert used == days  # one a day, every working day
    assert date(2026, 10, 10) in used


def _full_weeks(days: list[date]) -> list[set[date]]:
    """Weeks whose working days are exactly Monday to Friday."""
    weeks: dict[date, set[date]] = defaultdict(set)
    for d in days:
        weeks[d - timedelta(days=d.weekday())].add(d)
    return [s for monday, s in weeks.items() if s == {monday + timedelta(days=i) for i in range(5)}]


@pytest.mark.parametrize("n", [7, 13, 20, 31, 61, 100])
def test_even_spread_over_the_quarter_per_visitor(n: int) -> None:
    days = quarter_working_days(Q4)
    weeks = _full_weeks(days)
    assert len(weeks) >= 10
    task_list = tasks(n)
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    per_week = [sum(p.day in week for p in plans) for week in weeks]
    assert max(per_week) - min(per_week) <= 1, per_week
    # spread over the quarter: each month carries its share (± a week's worth)
    per_month = Counter(p.day.month for p in plans)
    for month in (10, 11, 12):
        share = n * sum(d.month == month for d in days) / len(days)
        assert abs(per_month[month] - share) <= max(2, n / 10), (per_month, share)


def test_even_spread_for_each_of_several_visitors() -> None:
    days = quarter_working_days(Q4)
    weeks = _full_weeks(days)
    task_list = tasks(90, visitors=(5, 6, 7))
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    for visitor in (5, 6, 7):
        mine = [p for p in plans if p.visitor_id == visitor]
        per_week = [sum(p.day in week for p in mine) for week in weeks]
        assert max(per_week) - min(per_week) <= 1, (visitor, per_week)


@pytest.mark.parametrize(
    ("n", "visitors"), [(10, (1, 2, 3)), (11, (1, 2, 3)), (50, (4, 8, 9, 12)), (3, (1, 2, 3, 4, 5))]
)
def test_balanced_over_visitors(n: int, visitors: tuple[int, ...]) -> None:
    days = quarter_working_days(Q4)
    task_list = tasks(n, visitors=visitors)
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    counts = Counter(p.visitor_id for p in plans)
    loads = [counts.get(v, 0) for v in visitors]
    assert sum(loads) == n
    assert max(loads) - min(loads) <= 1, loads


def test_visitors_only_take_tasks_they_may_make() -> None:
    days = quarter_working_days(Q4)
    task_list = tasks(12, visitors=(1, 2), county=1, prefix="wy") + tasks(
        5, visitors=(3,), county=2, prefix="yw"
    )
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    assert {p.visitor_id for p in plans if p.key.startswith("yw")} == {3}
    assert Counter(p.visitor_id for p in plans if p.key.startswith("wy")) == {1: 6, 2: 6}


# ---------------------------------------------------------------------------- limits


def test_at_most_three_a_day_per_visitor() -> None:
    days = quarter_working_days(Q4)[:4]
    task_list = tasks(3 * len(days))
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    assert Counter(p.day for p in plans) == {d: 3 for d in days}


def test_per_day_limit_is_a_parameter() -> None:
    days = quarter_working_days(Q4)[:5]
    plans = plan_visits(tasks(10), days, per_day=2)
    assert max(Counter(p.day for p in plans).values()) == 2
    with pytest.raises(UserError):
        plan_visits(tasks(11), days, per_day=2)


def test_too_many_tasks_is_a_plan_problem_in_chinese() -> None:
    days = quarter_working_days(Q4)[:4]
    with pytest.raises(UserError) as info:
        plan_visits(tasks(3 * len(days) + 1), days)
    assert "工作日不足" in info.value.message
    assert str(info.value) == info.value.message


def test_too_many_tasks_over_the_whole_quarter() -> None:
    days = quarter_working_days(Q4)
    with pytest.raises(UserError) as info:
        plan_visits(tasks(3 * len(days) + 1), days)
    assert CHINESE.search(info.value.message)


def test_no_working_days_is_a_plan_problem() -> None:
    with pytest.raises(UserError) as info:
        plan_visits(tasks(1), [])
    assert "没有工作日" in info.value.message
    # a span made only of National Day holidays and a weekend
    holiday_days = working_days(date(2026, 10, 1), date(2026, 10, 7), exceptions_for(Q4))
    assert holiday_days == []
    with pytest.raises(UserError):
        plan_visits(tasks(1), holiday_days)


def test_a_task_nobody_may_make_is_a_plan_problem() -> None:
    with pytest.raises(UserError) as info:
        plan_visits([Task("county-WY", "county", 8, ())], quarter_working_days(Q4))
    assert "county-WY" in info.value.message and CHINESE.search(info.value.message)


def test_no_tasks_no_plans() -> None:
    assert plan_visits([], quarter_working_days(Q4)) == []


# ---------------------------------------------------------------------------- one county a day


def test_never_two_counties_for_one_visitor_on_one_day() -> None:
    days = quarter_working_days(Q4)[:10]
    task_list = [
        Task(f"c{county}-{i}", "enterprise", county, (1,), county * 100 + i)
        for county in range(1, 6)
        for i in range(5)
    ]  # 25 visits, 5 counties, 10 days: some days must hold 2–3 visits of one county
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    assert max(Counter(p.day for p in plans).values()) >= 2


def test_different_counties_need_different_days() -> None:
    days = quarter_working_days(Q4)[:5]
    five = [Task(f"county-{c}", "county", c, (1,)) for c in range(1, 6)]
    plans = plan_visits(five, days)
    assert sorted(p.day for p in plans) == days  # one county a day
    six = [*five, Task("county-6", "county", 6, (1,))]  # 6 ≤ 3 × 5, but 6 counties > 5 days
    with pytest.raises(UserError) as info:
        plan_visits(six, days)
    assert CHINESE.search(info.value.message)


def test_one_county_a_day_holds_per_visitor_not_across_visitors() -> None:
    days = quarter_working_days(Q4)[:1]
    two = [Task("county-1", "county", 1, (1,)), Task("county-2", "county", 2, (2,))]
    plans = plan_visits(two, days)
    assert {(p.key, p.visitor_id, p.day) for p in plans} == {
        ("county-1", 1, days[0]),
        ("county-2", 2, days[0]),
    }


# ---------------------------------------------------------------------------- booked visits


def test_booked_visits_fill_their_day_up_to_the_cap() -> None:
    days = quarter_working_days(Q4)[:3]
    booked = [Booked(f"done-{i}", 1, days[1], 1) for i in range(3)]
    task_list = tasks(6)
    plans = plan_visits(task_list, days, booked)
    check_invariants(plans, task_list, days, booked)
    assert all(p.day != days[1] for p in plans)
    assert Counter(p.day for p in plans) == {days[0]: 3, days[2]: 3}
    with pytest.raises(UserError):
        plan_visits(tasks(7), days, booked)


def test_booked_visit_in_another_county_blocks_the_day() -> None:
    days = quarter_working_days(Q4)[:2]
    booked = [Booked("county-9", 1, days[0], 9)]
    task_list = tasks(3, county=1)
    plans = plan_visits(task_list, days, booked)
    check_invariants(plans, task_list, days, booked)
    assert {p.day for p in plans} == {days[1]}
    with pytest.raises(UserError):
        plan_visits(tasks(4, county=1), days, booked)


def test_booked_visit_in_the_same_county_shares_the_day() -> None:
    days = quarter_working_days(Q4)[:1]
    booked = [Booked("enterprise-1", 1, days[0], 1)]
    task_list = tasks(2, county=1)
    plans = plan_visits(task_list, days, booked)
    check_invariants(plans, task_list, days, booked)
    assert [p.day for p in plans] == [days[0], days[0]]


def test_booked_visits_count_towards_the_balance() -> None:
    days = quarter_working_days(Q4)
    booked = [Booked("kept-1", 1, days[0], 1), Booked("kept-2", 1, days[1], 1)]
    task_list = tasks(4, visitors=(1, 2))
    plans = plan_visits(task_list, days, booked)
    check_invariants(plans, task_list, days, booked)
    counts = Counter(p.visitor_id for p in plans)
    assert counts == {2: 3, 1: 1}  # 2 kept + 1 = 3 new for visitor 2


def test_booked_keys_of_other_visitors_leave_them_free() -> None:
    days = quarter_working_days(Q4)[:1]
    booked = [Booked(f"b-{i}", 2, days[0], 4) for i in range(3)]
    task_list = tasks(3, visitors=(1,), county=1)
    plans = plan_visits(task_list, days, booked)
    assert [p.visitor_id for p in plans] == [1, 1, 1]


# ---------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    spec=st.lists(
        st.tuples(st.integers(1, 6), st.sets(st.integers(1, 4), min_size=1, max_size=4)),
        min_size=0,
        max_size=20,
    ),
    start=st.integers(0, 40),
    length=st.integers(20, 60),
)
def test_plans_always_honour_the_rules(spec, start: int, length: int) -> None:
    """Mixed counties and shared visitors (the city's county visits and supervisions)."""
    days = quarter_working_days(Q4)[start : start + length]
    task_list = [
        Task(f"k-{i}", "enterprise", county, tuple(sorted(visitors)), i)
        for i, (county, visitors) in enumerate(spec)
    ]
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
    again = plan_visits(list(reversed(task_list)), days)
    assert sorted(plans, key=lambda p: p.key) == sorted(again, key=lambda p: p.key)  # deterministic


@settings(max_examples=60, deadline=None)
@given(
    loads=st.lists(st.integers(0, 45), min_size=1, max_size=4),
    start=st.integers(0, 50),
    length=st.integers(15, 62),
)
def test_inspectors_of_one_county_are_filled_up_to_three_a_day(
    loads, start: int, length: int
) -> None:
    """Each inspector visits enterprises of their own county: up to 3 × working days fit."""
    days = quarter_working_days(Q4)[start : start + length]
    task_list = [
        Task(f"v{visitor}-{i}", "enterprise", visitor, (visitor,), 1000 * visitor + i)
        for visitor, load in enumerate(loads, start=1)
        for i in range(min(load, PER_DAY * len(days)))
    ]
    plans = plan_visits(task_list, days)
    check_invariants(plans, task_list, days)
