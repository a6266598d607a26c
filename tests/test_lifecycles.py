"""Typed lifecycles (issue 12): each state is a StrEnum, each step comes from one pure table."""

from __future__ import annotations

from datetime import date

import pytest

from audits import (
    audit_rules,
    interview_rules,
    rectification_rules,
    round_rules,
    supervision_rules,
    visit_rules,
)
from bargaining import upload_rules
from core.errors import UserError

LIFECYCLES = {
    "audit": audit_rules.LIFECYCLE,
    "interview": interview_rules.LIFECYCLE,
    "supervision": supervision_rules.LIFECYCLE,
    "visit": visit_rules.LIFECYCLE,
    "upload": upload_rules.LIFECYCLE,
}


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_state_is_an_ascii_code(name: str) -> None:
    """No Chinese words as stored states."""
    for state in LIFECYCLES[name].states:
        assert state.value.isascii() and state.value.islower(), state


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_a_final_state_accepts_no_event(name: str) -> None:
    lifecycle = LIFECYCLES[name]
    for state in lifecycle.final:
        assert lifecycle.events(state) == []


def test_verdicts_and_rectification_states_are_codes_too() -> None:
    for enum in (audit_rules.Verdict, rectification_rules.RectStatus, round_rules.RoundState):
        assert all(s.value.isascii() for s in enum)


def test_a_done_audit_cannot_be_completed_again() -> None:
    assert audit_rules.LIFECYCLE.next("open", audit_rules.COMPLETE) == "done"
    with pytest.raises(UserError):
        audit_rules.LIFECYCLE.next("done", audit_rules.COMPLETE)


def test_a_cancelled_visit_takes_no_record() -> None:
    with pytest.raises(UserError):
        visit_rules.LIFECYCLE.next("cancelled", visit_rules.DO)
    assert visit_rules.LIFECYCLE.next("planned", visit_rules.DO) == "done"


def test_the_plan_cancels_only_planned_visits() -> None:
    assert visit_rules.LIFECYCLE.can("planned", visit_rules.CANCEL)
    assert not visit_rules.LIFECYCLE.can("confirmed", visit_rules.CANCEL)


def test_an_upload_leaves_processing_once() -> None:
    assert upload_rules.LIFECYCLE.next("processing", upload_rules.IMPORT) == "imported"
    with pytest.raises(UserError):
        upload_rules.LIFECYCLE.next("imported", upload_rules.FAIL)


def test_a_visit_is_missed_when_recorded_so_or_still_open_after_its_day() -> None:
    today = date(2026, 11, 25)
    assert visit_rules.is_missed("missed", date(2026, 12, 1), today)
    assert visit_rules.is_missed("confirmed", date(2026, 11, 24), today)
    assert not visit_rules.is_missed("done", date(2026, 11, 24), today)
    assert not visit_rules.is_missed("planned", today, today)


def test_a_round_is_drawable_from_the_day_after_its_month() -> None:
    last = date(2026, 10, 31)
    assert round_rules.round_state(last, date(2026, 10, 31), False) == "open"
    assert round_rules.round_state(last, date(2026, 11, 1), False) == "drawable"
    assert round_rules.round_state(last, date(2026, 11, 1), True) == "drawn"


def test_overdue_is_one_rule_in_python_and_in_sql() -> None:
    from sqlalchemy import Column, Date, MetaData, String, Table, select

    today = date(2026, 11, 25)
    assert rectification_rules.is_overdue("pending", date(2026, 11, 24), today)
    assert not rectification_rules.is_overdue("pending", today, today)
    assert not rectification_rules.is_overdue("resolved", date(2026, 1, 1), today)
    t = Table("r", MetaData(), Column("status", String), Column("deadline", Date))
    sql = str(
        select(t)
        .where(rectification_rules.overdue_clause(t.c.status, t.c.deadline, today))
        .compile(compile_kwargs={"literal_binds": True})
    )
    assert "r.status != 'resolved'" in sql and "r.deadline < '2026-11-25'" in sql
