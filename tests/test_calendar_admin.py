"""The admin enters a new year's holidays; the planner then uses them instead of weekdays."""

from __future__ import annotations

from datetime import date

from audits.visit_service import quarter_days
from audits.visits import Quarter


def test_entering_2027_holidays_changes_the_working_days(runner):
    q1 = Quarter(2027, 1)
    before = quarter_days(q1)
    assert not before.known and date(2027, 1, 1) in before.days  # a Friday, weekdays only
    assert (
        runner.invoke(args=["calendar-day", "2027-01-01", "--holiday", "--name", "元旦"]).exit_code
        == 0
    )
    bad = runner.invoke(args=["calendar-day", "2027-01-02", "--holiday"])
    assert bad.exit_code == 1 and "周末" in bad.stderr
    assert (
        runner.invoke(
            args=["calendar-day", "2027-02-07", "--workday", "--name", "春节调休"]
        ).exit_code
        == 0
    )
    assert runner.invoke(args=["calendar-year", "2027"]).exit_code == 0
    after = quarter_days(q1)
    assert after.known
    assert date(2027, 1, 1) not in after.days
    assert date(2027, 2, 7) in after.days  # a Sunday made a working day


def test_a_known_year_comes_from_chinese_calendar(app):
    q4 = quarter_days(Quarter(2026, 4))
    assert q4.known
    assert (
        date(2026, 10, 1) not in q4.days and date(2026, 10, 10) in q4.days
    )  # 国庆 off, 调休 Saturday on
