"""On-site supervision (现场督导) applied to the database: the one owner of ``Supervision``.

A supervision is planned by hand (the city leader, from the targets page) or by the
quarter's visit plan for a lagging county; either way it is made here, and its status moves
only through :mod:`audits.supervision_rules`. A supervision and its visit are one event: the
visit's date is the supervision's, and holding one marks the other done.

Services: user and today are arguments; they flush, the edge commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from audits import supervision_rules, visits
from audits.models import Supervision, Visit
from audits.services import write_held_record
from audits.supervision_rules import SupervisionStatus
from audits.visit_rules import KEPT, OPEN_STATES, VisitStatus
from bargaining.models import County
from core import audit_log
from core.db import db, utcnow
from core.errors import UserError
from core.i18n import Msg, _
from core.models import User
from core.policy import may

#: why the quarter's visit plan made a supervision
PLAN_REASON = Msg("季度走访计划：推进滞后县(市、区)现场督导")


def open_supervision(county_id: int) -> Supervision | None:
    """The county's on-site supervision still to be held (待督导), if any."""
    return db.session.scalars(
        select(Supervision)
        .where(Supervision.county_id == county_id, Supervision.status == SupervisionStatus.PLANNED)
        .order_by(Supervision.planned_on, Supervision.id)
    ).first()


def _new(county_id: int, planned_on: date, reason: str | Msg, user: User | None) -> Supervision:
    supervision = Supervision(
        county_id=county_id,
        planned_on=planned_on,
        reason=reason,
        status=SupervisionStatus.PLANNED,
        created_by_id=user.id if user else None,
    )
    db.session.add(supervision)
    db.session.flush()
    return supervision


def plan_supervision(county_id: int, planned_on: date, reason: str, user: User) -> Supervision:
    """The city leader plans a supervision by hand; it goes on its quarter's visit plan."""
    if not may(user, "supervision.plan"):
        raise UserError(_("只有市总工会可以安排现场督导"), 403)
    existing = open_supervision(county_id)
    if existing is not None:
        raise UserError(
            _(
                "该县(市、区)已有待督导的现场督导（#%(id)s，计划 %(day)s），请在该记录上继续",
                id=existing.id,
                day=existing.planned_on.isoformat(),
            )
        )
    supervision = _new(county_id, planned_on, reason.strip(), user)
    attach_supervision_visit(supervision, user)
    audit_log.record(
        user,
        "plan_supervision",
        "supervision",
        supervision.id,
        after={"county_id": county_id, "planned_on": planned_on, "reason": reason},
    )
    return supervision


def supervision_for_visit(visit: Visit, user: User | None) -> Supervision:
    """The supervision a planned supervision visit stands for: the county's open one, or a new
    one made by the quarter's plan (the plan's own audit-log entry records it)."""
    found = open_supervision(visit.county_id)
    if found is None:
        found = _new(visit.county_id, visit.planned_on, PLAN_REASON, user)
    return found


def record_supervision(
    supervision: Supervision, user: User, fields: Mapping[str, Any], today: date
) -> None:
    """Record the supervision held (or amend the record, with a reason)."""
    if not may(user, "supervision.record", supervision):
        raise UserError(_("只有市总工会可以记录现场督导"), 403)
    held_on = fields.get("held_on")
    if not isinstance(held_on, date):
        raise UserError(_("请填写督导日期"))
    if held_on > today:
        raise UserError(_("督导日期不能晚于今天"))
    for key, message in (
        ("participants", _("请填写参加人员")),
        ("problems", _("请填写发现的问题")),
        ("measures", _("请填写整改措施")),
    ):
        if not str(fields.get(key, "")).strip():
            raise UserError(message)
    follow_up = fields.get("follow_up_on")
    if follow_up is not None and follow_up < held_on:
        raise UserError(_("跟进日期不能早于督导日期"))
    changed = write_held_record(
        supervision,
        "supervision",
        user,
        fields,
        {
            "status": supervision_rules.LIFECYCLE.next(supervision.status, supervision_rules.HOLD),
            "held_on": held_on,
            "participants": str(fields["participants"]).strip(),
            "problems": str(fields["problems"]).strip(),
            "measures": str(fields["measures"]).strip(),
            "follow_up_on": follow_up,
        },
        _("此督导已记录：更正须填写更正原因，原记录保留在操作日志中（修改记录）"),
    )
    if changed:
        sync_visit_from_supervision(supervision)


def sync_supervision_from_visit(visit: Visit) -> None:
    """The visit's date is the supervision's, and a visit marked done holds the supervision
    (a supervision already held stays as recorded)."""
    if visit.supervision_id is None:
        return
    supervision = db.session.get(Supervision, visit.supervision_id)
    if supervision is None or supervision.status == SupervisionStatus.HELD:
        return
    if visit.status in OPEN_STATES:
        supervision.planned_on = visit.planned_on
    elif visit.status == VisitStatus.DONE and visit.done_on is not None:
        supervision.status = supervision_rules.LIFECYCLE.next(
            supervision.status, supervision_rules.HOLD
        )
        supervision.held_on = visit.done_on
        supervision.participants = supervision.participants or visit.people_met
        supervision.problems = supervision.problems or visit.notes


def sync_visit_from_supervision(supervision: Supervision) -> None:
    """Recording a supervision held marks its visit done the same day (one status, one date);
    a planned one moves its visit to its date."""
    now = utcnow()
    for visit in db.session.scalars(select(Visit).where(Visit.supervision_id == supervision.id)):
        if supervision.status == SupervisionStatus.HELD and visit.status != VisitStatus.DONE:
            visit.status, visit.done_on = VisitStatus.DONE, supervision.held_on
            visit.people_met = visit.people_met or supervision.participants
            visit.notes = visit.notes or supervision.problems
            visit.revised(now)
        elif (
            supervision.status == SupervisionStatus.PLANNED
            and visit.planned_on != supervision.planned_on
        ):
            visit.planned_on = supervision.planned_on
            visit.revised(now)


def attach_supervision_visit(supervision: Supervision, user: User) -> Visit | None:
    """Put a supervision planned by hand on its quarter's plan (and so in the .ics): the
    quarter's supervision visit of that county is linked and moved to its date, or made."""
    quarter = visits.Quarter.of(supervision.planned_on)
    county = db.session.get_one(County, supervision.county_id)
    key = f"supervision-{county.code}"
    visit = db.session.scalars(
        select(Visit).where(Visit.quarter == str(quarter), Visit.task_key == key)
    ).first()
    if visit is None:
        visit = Visit(
            quarter=str(quarter),
            kind="supervision",
            task_key=key,
            county_id=supervision.county_id,
            visitor_id=user.id,
            planned_on=supervision.planned_on,
            status=VisitStatus.PLANNED,
            supervision_id=supervision.id,
        )
        db.session.add(visit)
    elif visit.status in KEPT and visit.supervision_id not in (None, supervision.id):
        return None  # that quarter's supervision already happened: this one stands alone
    else:
        visit.supervision_id = supervision.id
        if visit.planned_on != supervision.planned_on or visit.status == VisitStatus.CANCELLED:
            visit.planned_on, visit.status = supervision.planned_on, VisitStatus.PLANNED
            visit.revised()
    db.session.flush()
    return visit
