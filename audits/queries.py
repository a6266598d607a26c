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


#: reminder windows (days from today, inclusive): today, tomorrow, the rest of the 7 days, later
DUE_WINDOWS = {
    "due_today": (0, 0),
    "due_tomorrow": (1, 1),
    "due_week": (2, 7),
    "due_later": (8, 36500),
}


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
    elif f.status in DUE_WINDOWS:
        first, last = DUE_WINDOWS[f.status]
        stmt = stmt.where(
            Rectification.status != rules.RESOLVED,
            Rectification.deadline.between(
                today + timedelta(days=first), today + timedelta(days=last)
            ),
        )
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
class Bucket:
    """One group of reminders: its filter on /rectifications, the first rows, the total."""

    status: str  # overdue | due_today | due_tomorrow | due_week | due_later
    rows: list[tuple[Rectification, Finding, str, str | None]]
    total: int


@dataclass
class Reminders:
    buckets: list[Bucket]
    audits_due: list[Audit]
    interviews: list[tuple[Interview, str, str | None]]
    interview_total: int

    @property
    def any(self) -> bool:
        return bool(self.audits_due or self.interviews or any(b.total for b in self.buckets))


def reminders(user: User, today: date, limit: int = 20) -> Reminders:
    """Overdue rectifications, deadlines today, tomorrow and within 7 days (a clerk also sees
    the later ones addressed to the enterprise), open audits and 约谈 to hold; each list is cut
    at ``limit`` with its total, the page links to the whole list."""
    statuses = ["overdue", "due_today", "due_tomorrow", "due_week"]
    if user.role == Role.ENTERPRISE:
        statuses.append("due_later")
    buckets = []
    for status in statuses:
        stmt = rectifications_query(user, RectificationFilters(status=status), today)
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        rows = [tuple(r) for r in db.session.execute(stmt.limit(limit))] if total else []
        buckets.append(Bucket(status, rows, total or 0))
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
    interviews: list[tuple[Interview, str, str | None]] = []
    interview_total = 0
    if may(user, "interview.record"):
        level = "county" if user.role == Role.INSPECTOR else "city"
        stmt = (
            scope_of(user)
            .where(select(Interview, County.name, Enterprise.name), Interview.county_id)
            .join(County, County.id == Interview.county_id)
            .outerjoin(Enterprise, Enterprise.id == Interview.enterprise_id)
            .where(Interview.status == InterviewStatus.PLANNED, Interview.level == level)
        )
        interview_total = (
            db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        )
        interviews = [
            (i, c, e)
            for i, c, e in db.session.execute(
                stmt.order_by(Interview.triggered_on, Interview.id).limit(limit)
            )
        ]
    return Reminders(buckets, audits_due, interviews, interview_total)
