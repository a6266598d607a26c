"""Monthly snapshots and on-site supervision records (services: user and date as arguments)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from audits import supervision_rules
from audits.models import Supervision
from audits.rounds import Month
from audits.services import ActionRefused
from audits.visit_service import (
    attach_supervision_visit,
    open_supervision,
    sync_visit_from_supervision,
)
from core import audit_log
from core.db import db
from core.i18n import Msg, _
from core.models import User
from core.policy import may
from reports import queries, targets
from reports.models import CountySnapshot

SupervisionRefused = ActionRefused  # the same user-error type as the rest of the loop


def take_snapshot(day: date, backfilled: bool = False) -> int:
    """Store each county's position on ``day`` (the 1st of a month) unless already stored."""
    existing = set(
        db.session.scalars(select(CountySnapshot.county_id).where(CountySnapshot.taken_on == day))
    )
    counts = queries.counts_on(day)
    added = 0
    for county in queries.load_counties():
        if county.id in existing:
            continue
        c = counts[county.id]
        db.session.add(
            CountySnapshot(
                county_id=county.id,
                taken_on=day,
                eligible=c.eligible,
                counted=c.counted,
                with_contract=c.with_contract,
                rate=c.rate,
                backfilled=backfilled,
            )
        )
        added += 1
    db.session.flush()
    return added


def months_since_plan_start(today: date) -> list[date]:
    month = Month.of(targets.PLAN_START)
    last = Month.of(today)
    days = []
    while (month.year, month.month) <= (last.year, last.month):
        days.append(month.first)
        month = month.next()
    return days


def backfill_snapshots(today: date) -> int:
    """Snapshots for every 1st of the month since 2025-02-01 that has none (first run).

    Back-filled snapshots read eligibility from the registry as it stands today; they are
    marked ``backfilled`` so a report can say so.
    """
    stored = set(db.session.scalars(select(CountySnapshot.taken_on).distinct()))
    added = 0
    for day in months_since_plan_start(today):
        if day not in stored:
            added += take_snapshot(day, backfilled=True)
    return added


def lagging_counties(
    rows: list[targets.CountyTarget], worst: int = 3
) -> tuple[set[str], list[str]]:
    """Counties behind their trajectory, and the three worst by gap to the trajectory."""
    behind = {r.county for r in rows if r.behind}
    ranked = sorted(
        (r for r in rows if r.rate is not None and r.trajectory is not None),
        key=lambda r: (r.rate or 0) - (r.trajectory or 0),
    )
    return behind, [r.county for r in ranked[:worst]]


def plan_supervision(county_id: int, planned_on: date, reason: str, user: User) -> Supervision:
    if not may(user, "supervision.plan"):
        raise SupervisionRefused(_("只有市总工会可以安排现场督导"), 403)
    existing = open_supervision(county_id)
    if existing is not None:
        raise SupervisionRefused(
            _(
                "该县(市、区)已有待督导的现场督导（#%(id)s，计划 %(day)s），请在该记录上继续",
                id=existing.id,
                day=existing.planned_on.isoformat(),
            )
        )
    supervision = Supervision(
        county_id=county_id, planned_on=planned_on, reason=reason.strip(), created_by_id=user.id
    )
    db.session.add(supervision)
    db.session.flush()
    attach_supervision_visit(supervision, user)
    audit_log.record(
        user,
        "plan_supervision",
        "supervision",
        supervision.id,
        after={"county_id": county_id, "planned_on": planned_on, "reason": reason},
    )
    return supervision


def record_supervision(
    supervision: Supervision, user: User, fields: Mapping[str, Any], today: date
) -> None:
    if not may(user, "supervision.record", supervision):
        raise SupervisionRefused(_("只有市总工会可以记录现场督导"), 403)
    held_on = fields.get("held_on")
    if not isinstance(held_on, date):
        raise SupervisionRefused(_("请填写督导日期"))
    if held_on > today:
        raise SupervisionRefused(_("督导日期不能晚于今天"))
    for key, message in (
        ("participants", _("请填写参加人员")),
        ("problems", _("请填写发现的问题")),
        ("measures", _("请填写整改措施")),
    ):
        if not str(fields.get(key, "")).strip():
            raise SupervisionRefused(message)
    follow_up = fields.get("follow_up_on")
    if follow_up is not None and follow_up < held_on:
        raise SupervisionRefused(_("跟进日期不能早于督导日期"))
    held = supervision.status == "held"
    reason = audit_log.amendment_reason(fields)
    if held and not reason:
        raise SupervisionRefused(
            _("此督导已记录：更正须填写更正原因，原记录保留在操作日志中（修改记录）")
        )
    before, after = audit_log.apply_changes(
        supervision,
        {
            "status": supervision_rules.LIFECYCLE.next(supervision.status, supervision_rules.HOLD),
            "held_on": held_on,
            "participants": str(fields["participants"]).strip(),
            "problems": str(fields["problems"]).strip(),
            "measures": str(fields["measures"]).strip(),
            "follow_up_on": follow_up,
        },
    )
    if held and not after:
        return
    sync_visit_from_supervision(supervision, today)
    db.session.flush()
    audit_log.record(
        user,
        "amend_supervision" if held else "record_supervision",
        "supervision",
        supervision.id,
        before=before,
        after={**after, "amendment_reason": reason} if held else after,
        summary=Msg("更正：%(reason)s", reason=reason) if held else "",
    )
