"""The visit lifecycle (pure): 已计划 → 已确认 / 已改期 → 已走访 or 未走访; 已取消 by the plan."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from core.i18n import N_
from core.lifecycle import Labels, Lifecycle


class VisitStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


STATUS_LABELS = Labels(
    {
        VisitStatus.PLANNED: N_("已计划"),
        VisitStatus.CONFIRMED: N_("已确认"),
        VisitStatus.DONE: N_("已走访"),
        VisitStatus.MISSED: N_("未走访"),
        VisitStatus.RESCHEDULED: N_("已改期"),
        VisitStatus.CANCELLED: N_("已取消"),
    }
)
#: still to happen
OPEN_STATES = (VisitStatus.PLANNED, VisitStatus.CONFIRMED, VisitStatus.RESCHEDULED)
#: a new plan keeps these as they are
KEPT = (VisitStatus.DONE, VisitStatus.CONFIRMED, VisitStatus.MISSED)

# events: what the visitor records (the status they choose), and what the planner does
CONFIRM, DO, MISS, RESCHEDULE = "confirmed", "done", "missed", "rescheduled"
MOVE, CANCEL = "move", "cancel"
RECORD_EVENTS = (CONFIRM, DO, MISS, RESCHEDULE)

_recordable = {
    (state, event): VisitStatus(event)
    for state in (*OPEN_STATES, VisitStatus.MISSED, VisitStatus.DONE)
    for event in RECORD_EVENTS
}
LIFECYCLE = Lifecycle(
    VisitStatus,
    {
        **_recordable,
        (VisitStatus.PLANNED, MOVE): VisitStatus.PLANNED,
        (VisitStatus.RESCHEDULED, MOVE): VisitStatus.PLANNED,
        (VisitStatus.PLANNED, CANCEL): VisitStatus.CANCELLED,
    },
    final=frozenset({VisitStatus.CANCELLED}),
)


def is_missed(status: str, planned_on: date, today: date) -> bool:
    """Missed: recorded as missed, or still open after its day."""
    return status == VisitStatus.MISSED or (status in OPEN_STATES and planned_on < today)
