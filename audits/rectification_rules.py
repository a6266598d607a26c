"""The rectification status machine (pure): 待整改 → 整改中 → 待核验 → 已整改, and 逾期."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_

from audits.checklist import Labels
from core.errors import UserError
from core.i18n import N_, _


class RectStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RESOLVED = "resolved"


PENDING, IN_PROGRESS, SUBMITTED, RESOLVED = RectStatus
STATUS_LABELS = Labels(
    {
        PENDING: N_("待整改"),
        IN_PROGRESS: N_("整改中"),
        SUBMITTED: N_("待核验"),
        RESOLVED: N_("已整改"),
    }
)
OVERDUE_LABEL = N_("逾期")

START, SUBMIT, VERIFY, SEND_BACK = "start", "submit", "verify", "send_back"
ACTION_LABELS = Labels(
    {
        START: N_("开始整改"),
        SUBMIT: N_("提交整改情况"),
        VERIFY: N_("核验通过"),
        SEND_BACK: N_("退回重改"),
    }
)
#: which side acts: the enterprise (or an inspector on its behalf) answers, the inspector verifies
OWNER_ACTIONS = frozenset({START, SUBMIT})
INSPECTOR_ACTIONS = frozenset({VERIFY, SEND_BACK})

TRANSITIONS: dict[tuple[str, str], RectStatus] = {
    (PENDING, START): IN_PROGRESS,
    (PENDING, SUBMIT): SUBMITTED,
    (IN_PROGRESS, SUBMIT): SUBMITTED,
    (SUBMITTED, VERIFY): RESOLVED,
    (SUBMITTED, SEND_BACK): IN_PROGRESS,
}


@dataclass(frozen=True)
class Transition:
    from_status: str
    to_status: str


def next_status(status: str, action: str, note: str = "") -> Transition:
    """Where ``action`` takes a rectification in ``status``; refused with a message."""
    if action not in ACTION_LABELS:
        raise UserError(_("未知的操作"))
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise UserError(
            _(
                "当前状态为「%(status)s」，不能执行「%(action)s」",
                status=STATUS_LABELS.get(status, status),
                action=ACTION_LABELS[action],
            )
        )
    if action in (SUBMIT, SEND_BACK) and not note.strip():
        raise UserError(_("提交整改情况或退回时须填写说明"))
    return Transition(status, target)


def is_overdue(status: str, deadline: date, today: date) -> bool:
    """逾期: the deadline has passed and the rectification is not resolved. The one definition
    of "overdue"; :func:`overdue_clause` is the same rule for a query."""
    return status != RESOLVED and today > deadline


def overdue_clause(status: Any, deadline: Any, today: date) -> ColumnElement[bool]:
    """:func:`is_overdue` as a SQL condition on a query's status and deadline columns."""
    return and_(status != RESOLVED, deadline < today)


def status_label(status: str, deadline: date, today: date) -> str:
    label = STATUS_LABELS.get(status, status)
    return _("%(status)s（逾期）", status=label) if is_overdue(status, deadline, today) else label
