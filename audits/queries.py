"""Read-side queries for sampling, audits, rectifications and interviews, scoped (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from audits import rectification_rules as rules
from audits.audit_rules import AuditStatus
from audits.interview_rules import InterviewStatus
from audits.models import Audit, Finding, Interview, Rectification, SamplePick, SampleRound
from bargaining.models import Contract, ContractVersion, County, Enterprise
from core.db import db
from core.models import Role, User
from core.policy import may, scope_of


def scope_by_county(stmt: Select[Any], column: Any, user: User) -> Select[Any]:
    """Old way (use ``scope_of(user).where(stmt, column)``), kept for older imports."""
    return scope_of(user).where(stmt, column)


def rounds_list() -> list[SampleRound]:
    return list(db.session.scalars(select(SampleRound).order_by(SampleRound.month.desc())))


def round_picks(round_: SampleRound, user: User) -> Select[Any]:
    stmt = (
        select(SamplePick, County.code, County.name, ContractVersion, Audit, User.username)
        .join(County, County.id == SamplePick.county_id)
        .join(ContractVersion, ContractVersion.id == SamplePick.version_id)
        .outerjoin(Audit, Audit.pick_id == SamplePick.id)
        .outerjoin(User, User.id == Audit.inspector_id)
        .where(SamplePick.round_id == round_.id)
        .order_by(County.sort_order, SamplePick.rank)
    )
    return scope_of(user).where(stmt, SamplePick.county_id)


@dataclass(frozen=True)
class CountyWaiting:
    """A county with picks in a round and no active inspector: its picks wait, unassigned."""

    code: str
    name: str
    picks: int


def counties_without_inspector(round_id: int) -> list[CountyWaiting]:
    """SPEC §5: "A county without an inspector is named on the round page"."""
    has_inspector = (
        select(User.id)
        .where(User.role == Role.INSPECTOR, User.active, User.county_id == County.id)
        .exists()
    )
    stmt = (
        select(County.code, County.name, func.count(SamplePick.id))
        .join(SamplePick, SamplePick.county_id == County.id)
        .where(SamplePick.round_id == round_id, ~has_inspector)
        .group_by(County.id, County.code, County.name, County.sort_order)
        .order_by(County.sort_order)
    )
    return [CountyWaiting(code, name, n) for code, name, n in db.session.execute(stmt)]


@dataclass
class AuditFilters:
    status: str = ""  # "" | open | done
    county: str = ""
    mine: bool = False
    month: str = ""


def audits_query(user: User, f: AuditFilters) -> Select[Any]:
    stmt = (
        select(Audit, ContractVersion, Contract, County.name, SampleRound.month, User.username)
        .join(ContractVersion, ContractVersion.id == Audit.version_id)
        .join(Contract, Contract.id == Audit.contract_id)
        .join(County, County.id == Audit.county_id)
        .outerjoin(SampleRound, SampleRound.id == Audit.round_id)
        .outerjoin(User, User.id == Audit.inspector_id)
    )
    stmt = scope_of(user).where(stmt, Audit.county_id)
    if f.mine and may(user, "audit.mine"):
        stmt = stmt.where(or_(Audit.inspector_id == user.id, Audit.inspector_id.is_(None)))
    if f.status in ("open", "done"):
        stmt = stmt.where(Audit.status == f.status)
    if f.county:
        stmt = stmt.where(County.code == f.county.upper())
    if f.month:
        stmt = stmt.where(SampleRound.month == f.month)
    return stmt.order_by(Audit.status.desc(), Audit.due_on, Audit.id)


@dataclass
class RectificationFilters:
    status: str = ""  # "" | a status | overdue | open
    county: str = ""


def rectifications_query(user: User, f: RectificationFilters, today: date) -> Select[Any]:
    stmt = (
        select(Rectification, Finding, County.name, Enterprise.name)
        .join(Finding, Finding.id == Rectification.finding_id)
        .join(County, County.id == Rectification.county_id)
        .outerjoin(Enterprise, Enterprise.id == Rectification.enterprise_id)
    )
    stmt = scope_of(user).where(stmt, Rectification.county_id, Rectification.enterprise_id)
    if f.status in rules.STATUS_LABELS:
        stmt = stmt.where(Rectification.status == f.status)
    elif f.status == "open":
        stmt = stmt.where(Rectification.status != rules.RESOLVED)
    elif f.status == "overdue":
        stmt = stmt.where(rules.overdue_clause(Rectification.status, Rectification.deadline, today))
    if f.county:
        stmt = stmt.where(County.code == f.county.upper())
    return stmt.order_by(
        Rectification.status == rules.RESOLVED, Rectification.deadline, Rectification.id
    )


def interviews_query(user: User) -> Select[Any]:
    stmt = (
        select(Interview, County.name, Enterprise.name)
        .join(County, County.id == Interview.county_id)
        .outerjoin(Enterprise, Enterprise.id == Interview.enterprise_id)
    )
    stmt = scope_of(user).where(stmt, Interview.county_id)
    return stmt.order_by(
        Interview.status.desc(), Interview.triggered_on.desc(), Interview.id.desc()
    )


@dataclass
class Reminders:
    due_soon: list[tuple[Rectification, Finding, str, str | None]]
    overdue: list[tuple[Rectification, Finding, str, str | None]]
    audits_due: list[Audit]
    interviews: list[Interview]


def reminders(user: User, today: date) -> Reminders:
    """Deadlines coming within 7 days (and tomorrow), overdue items, open audits and 约谈 to hold."""
    open_rects = rectifications_query(user, RectificationFilters(status="open"), today)
    rows = list(db.session.execute(open_rects.limit(500)))
    due_soon = [r for r in rows if today <= r[0].deadline <= today + timedelta(days=7)]
    overdue = [r for r in rows if rules.is_overdue(r[0].status, r[0].deadline, today)]
    audits_due: list[Audit] = []
    if may(user, "audit.record"):
        stmt = (
            scope_of(user)
            .where(select(Audit), Audit.county_id)
            .where(Audit.status == AuditStatus.OPEN)
            .where(or_(Audit.inspector_id == user.id, Audit.inspector_id.is_(None)))
            .order_by(Audit.due_on)
            .limit(200)
        )
        audits_due = list(db.session.scalars(stmt))
    interviews: list[Interview] = []
    if may(user, "interview.record"):
        stmt = scope_of(user).where(select(Interview), Interview.county_id)
        stmt = stmt.where(Interview.status == InterviewStatus.PLANNED).order_by(
            Interview.triggered_on
        )
        interviews = [i for i in db.session.scalars(stmt) if may(user, "interview.record", i)]
    return Reminders(due_soon, overdue, audits_due, interviews)
