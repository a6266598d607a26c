"""Quarterly visits applied to the database: the working-day calendar, the plan (re-planning
keeps what is done, confirmed or missed), visit records with new findings, .ics and coverage.

Services: user and today are arguments; they flush, the edge commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from flask import current_app
from sqlalchemy import select

from audits import checklist, ics, supervisions, visit_rules, visits
from audits import rectification_rules as rules
from audits.models import CalendarDay, CalendarYear, Rectification, Visit
from audits.services import add_evidence, open_finding
from audits.visit_rules import VisitStatus
from bargaining.models import County
from bargaining.queries import enterprise_names
from core import audit_log
from core.db import db, utcnow
from core.errors import UserError
from core.hooks import hooks
from core.i18n import N_, Msg, _, tr
from core.models import Role, User
from core.policy import may, scope_of

KEPT = visit_rules.KEPT
STATUS_LABELS = visit_rules.STATUS_LABELS
KIND_LABELS = checklist.Labels(
    {
        "county": N_("市级走访县(市、区)"),
        "enterprise": N_("走访企业（有未整改问题）"),
        "supervision": N_("现场督导"),
    }
)


# ---------------------------------------------------------------------------- calendar


class HolidaySource(Protocol):
    """What the calendar is seeded from: chinese-calendar's two tables, day -> name."""

    holidays: Mapping[date, object]
    workdays: Mapping[date, object]


def seed_calendar(source: HolidaySource | None = None) -> int:
    """Holidays and adjusted working days for the years the source knows (chinese-calendar
    unless the app's ``HOLIDAY_SOURCE`` setting or the caller gives another)."""
    if source is None:
        source = current_app.config.get("HOLIDAY_SOURCE")
    if source is None:
        import chinese_calendar  # only needed when seeding

        source = chinese_calendar

    known = set(db.session.scalars(select(CalendarYear.year)))
    years = {d.year for d in source.holidays} | {d.year for d in source.workdays}
    added = 0
    for year in sorted(years - known):
        for day in sorted(d for d in source.holidays if d.year == year and d.weekday() < 5):
            db.session.merge(CalendarDay(day=day, workday=False, name=str(source.holidays[day])))
        for day in sorted(d for d in source.workdays if d.year == year and d.weekday() >= 5):
            db.session.merge(
                CalendarDay(
                    day=day,
                    workday=True,
                    name=f"{source.workdays[day]} 调休上班",  # i18n: data
                )
            )
        db.session.add(CalendarYear(year=year, source="chinese-calendar"))
        added += 1
    db.session.flush()
    return added


@dataclass
class QuarterDays:
    days: list[date]
    known: bool  # False: the year's holidays are not entered yet, Monday–Friday used


def quarter_days(quarter: visits.Quarter, from_day: date | None = None) -> QuarterDays:
    start = max(quarter.start, from_day) if from_day else quarter.start
    known = db.session.get(CalendarYear, quarter.year) is not None
    exceptions = {
        c.day: c.workday
        for c in db.session.scalars(
            select(CalendarDay).where(CalendarDay.day.between(quarter.start, quarter.end))
        )
    }
    return QuarterDays(visits.working_days(start, quarter.end, exceptions if known else {}), known)


# ---------------------------------------------------------------------------- planning


@dataclass
class PlanResult:
    quarter: str
    created: int
    moved: int
    kept: int
    cancelled: int
    known_calendar: bool
    #: what did not fit (SPEC §7), per person: visitor username (None: nobody may make it)
    #: -> what each visit was for (county or enterprise name)
    unplaced: dict[str | None, list[str]] = field(default_factory=dict)


def plan_tasks(
    quarter: visits.Quarter, today: date, lagging_county_ids: Iterable[int]
) -> list[visits.Task]:
    counties = list(db.session.scalars(select(County).order_by(County.sort_order)))
    city = [
        u.id
        for u in db.session.scalars(
            select(User).where(User.role == Role.CITY, User.active).order_by(User.id)
        )
    ]
    inspectors: dict[int | None, list[int]] = defaultdict(list)
    for u in db.session.scalars(
        select(User).where(User.role == Role.INSPECTOR, User.active).order_by(User.id)
    ):
        inspectors[u.county_id].append(u.id)
    tasks = [visits.Task(f"county-{c.code}", "county", c.id, tuple(city)) for c in counties]
    lagging = set(lagging_county_ids)
    tasks += [
        visits.Task(f"supervision-{c.code}", "supervision", c.id, tuple(city))
        for c in counties
        if c.id in lagging
    ]
    open_enterprises = db.session.execute(
        select(Rectification.enterprise_id, Rectification.county_id)
        .where(
            Rectification.status != rules.RESOLVED,
            Rectification.enterprise_id.is_not(None),
            Rectification.created_on <= max(today, quarter.start),
        )
        .distinct()
    ).all()
    tasks += [
        visits.Task(f"enterprise-{eid}", "enterprise", cid, tuple(inspectors.get(cid, ())), eid)
        for eid, cid in sorted(open_enterprises)
    ]
    return tasks


def schedule_visits(
    quarter: visits.Quarter, user: User | None, today: date, lagging_county_ids: Iterable[int]
) -> PlanResult:
    """Make (or remake) the quarter's plan. Done, confirmed and missed visits stay; planned
    ones may move (same row, same calendar UID, SEQUENCE + 1); tasks gone are cancelled."""
    if not may(user, "visit.plan"):
        raise UserError(_("只有市总工会可以制定走访计划"), 403)
    if quarter.end < today:
        raise UserError(_("%(quarter)s 已结束，不能再制定计划", quarter=str(quarter)))
    tasks = plan_tasks(quarter, today, lagging_county_ids)
    existing = {
        v.task_key: v
        for v in db.session.scalars(select(Visit).where(Visit.quarter == str(quarter)))
    }
    kept = {k: v for k, v in existing.items() if v.status in KEPT}
    booked = [visits.Booked(k, v.visitor_id, v.planned_on, v.county_id) for k, v in kept.items()]
    todo = [t for t in tasks if t.key not in kept]
    calendar = quarter_days(quarter, from_day=today if today > quarter.start else None)
    try:
        quarter_plan = visits.plan_quarter(todo, calendar.days, booked)
    except visits.UserError as exc:
        raise UserError(exc.message) from exc
    plans = quarter_plan.planned
    by_key = {t.key: t for t in tasks}
    created = moved = 0
    now = utcnow()
    for plan in plans:
        task = by_key[plan.key]
        visit = existing.get(plan.key)
        if visit is None:
            visit = Visit(
                quarter=str(quarter),
                kind=task.kind,
                task_key=task.key,
                county_id=task.county_id,
                enterprise_id=task.enterprise_id,
                visitor_id=plan.visitor_id,
                planned_on=plan.day,
                status=VisitStatus.PLANNED,
            )
            db.session.add(visit)
            created += 1
        elif (visit.planned_on, visit.visitor_id, visit.status) != (
            plan.day,
            plan.visitor_id,
            VisitStatus.PLANNED,
        ):
            visit.planned_on, visit.visitor_id, visit.status = (
                plan.day,
                plan.visitor_id,
                VisitStatus.PLANNED,
            )
            visit.revised(now)
            moved += 1
        if task.kind == "supervision" and visit.supervision_id is None:
            db.session.flush()
            visit.supervision_id = supervisions.supervision_for_visit(visit, user).id
        if task.kind == "supervision":
            supervisions.sync_supervision_from_visit(visit)
    cancelled = 0
    task_keys = {t.key for t in tasks}
    for key, visit in existing.items():
        if key not in task_keys and visit_rules.LIFECYCLE.can(visit.status, visit_rules.CANCEL):
            visit.status, visit.reason = VisitStatus.CANCELLED, Msg("问题已整改，无需走访")
            visit.revised(now)
            cancelled += 1
    db.session.flush()
    result = PlanResult(
        str(quarter),
        created,
        moved,
        len(kept),
        cancelled,
        calendar.known,
        _unplaced_by_person(quarter_plan.unplaced, by_key),
    )
    audit_log.record(
        user, "schedule_visits", "quarter", None, after=result.__dict__, summary=str(quarter)
    )
    return result


def _unplaced_by_person(
    unplaced: Iterable[visits.Unplaced], tasks: Mapping[str, visits.Task]
) -> dict[str | None, list[str]]:
    """What did not fit, per person (their username; None for tasks nobody may make)."""
    unplaced = list(unplaced)
    if not unplaced:
        return {}
    names = {u.id: u.username for u in db.session.scalars(select(User))}
    counties = {c.id: c.name for c in db.session.scalars(select(County))}
    enterprises = enterprise_names(tasks[u.key].enterprise_id for u in unplaced)
    result: dict[str | None, list[str]] = defaultdict(list)
    for u in unplaced:
        task = tasks[u.key]
        place = (
            enterprises.get(task.enterprise_id, task.key)
            if task.enterprise_id
            else counties[task.county_id]
        )
        person = names.get(u.visitor_id) if u.visitor_id is not None else None
        result[person].append(_("%(kind)s：%(place)s", kind=KIND_LABELS[task.kind], place=place))
    return dict(result)


def unplaced_lines(result: PlanResult) -> list[str]:
    """One line per person naming the visits the quarter could not hold (SPEC §7)."""
    lines = []
    for person, items in sorted(result.unplaced.items(), key=lambda kv: kv[0] or ""):
        tasks = _("、").join(items)
        lines.append(
            _(
                "%(person)s：%(n)s 次走访本季度排不下（每人每天最多 3 次）：%(tasks)s",
                person=person,
                n=len(items),
                tasks=tasks,
            )
            if person
            else _("无人可安排（所在县(市、区)没有指导员）：%(tasks)s", tasks=tasks)
        )
    return lines


# ---------------------------------------------------------------------------- records


def record_visit(
    visit: Visit,
    user: User,
    fields: Mapping[str, Any],
    today: date,
    files: Iterable[tuple[str, bytes]] = (),
) -> list[int]:
    """Record what happened: done (people met, notes, new findings), missed or rescheduled."""
    if not may(user, "visit.record", visit):
        raise UserError(_("您不能记录此次走访"), 403)
    status = fields.get("status")
    if status not in visit_rules.RECORD_EVENTS:
        raise UserError(_("未知的走访状态"))
    try:
        visit_rules.LIFECYCLE.next(visit.status, status)
    except UserError as exc:
        raise UserError(exc.message) from exc
    held = visit.status == VisitStatus.DONE
    reason_for_change = audit_log.amendment_reason(fields)
    if held and status != VisitStatus.DONE:
        raise UserError(_("已完成的走访记录不能改为其他状态"))
    if held and not reason_for_change:
        raise UserError(_("此次走访已记录：更正须填写更正原因，原记录保留在操作日志中（修改记录）"))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    new_findings: list[int] = []
    if status == VisitStatus.DONE:
        done_on = fields.get("done_on") or today
        if done_on > today:
            raise UserError(_("走访日期不能晚于今天"))
        people = str(fields.get("people_met", "")).strip()
        if not people:
            raise UserError(_("请填写见到的人员"))
        before, after = audit_log.apply_changes(
            visit,
            {
                "status": VisitStatus.DONE,
                "done_on": done_on,
                "people_met": people,
                "notes": str(fields.get("notes", "")).strip(),
            },
        )
        for problem in fields.get("findings", []):
            severity = problem.get("severity", checklist.MAJOR)
            if (
                severity not in checklist.SEVERITY_LABELS
                or not str(problem.get("description", "")).strip()
            ):
                raise UserError(_("新发现的问题须写明描述和严重程度"))
            finding = open_finding(
                user,
                done_on,
                county_id=visit.county_id,
                enterprise_id=visit.enterprise_id,
                contract_id=None,
                check_code=str(problem.get("check_code") or "V"),
                severity=severity,
                description=Msg(
                    "走访发现：%(description)s", description=str(problem["description"]).strip()
                ),
                source="visit",
                source_id=visit.id,
            )
            new_findings.append(finding.id)
    elif status == VisitStatus.MISSED:
        reason = str(fields.get("reason", "")).strip()
        if not reason:
            raise UserError(_("请填写未走访的原因"))
        before, after = audit_log.apply_changes(
            visit, {"status": VisitStatus.MISSED, "reason": reason}
        )
    elif status == VisitStatus.RESCHEDULED:
        reason = str(fields.get("reason", "")).strip()
        new_day = fields.get("planned_on")
        if not reason or not isinstance(new_day, date):
            raise UserError(_("改期须填写新日期和原因"))
        quarter = visits.Quarter.parse(visit.quarter)
        if not quarter.start <= new_day <= quarter.end or new_day < today:
            raise UserError(_("新日期须在本季度内且不早于今天"))
        if new_day not in quarter_days(quarter).days:
            raise UserError(_("新日期不是工作日"))
        before, after = audit_log.apply_changes(
            visit, {"status": VisitStatus.RESCHEDULED, "reason": reason, "planned_on": new_day}
        )
    elif status == VisitStatus.CONFIRMED:
        before, after = audit_log.apply_changes(visit, {"status": VisitStatus.CONFIRMED})
    else:
        raise UserError(_("未知的走访状态"))
    visit.revised()
    supervisions.sync_supervision_from_visit(visit)
    for filename, data in files:
        add_evidence("visit", visit.id, filename, data, user)
    db.session.flush()
    if new_findings:
        after["findings"] = new_findings
    if held:
        after["amendment_reason"] = reason_for_change
    audit_log.record(
        user,
        "amend_visit" if held else "record_visit",
        "visit",
        visit.id,
        before=before,
        after=after,
        summary=Msg("更正：%(reason)s", reason=reason_for_change) if held else "",
    )
    return new_findings


# ---------------------------------------------------------------------------- calendars, coverage


def calendar_bytes(name: str, rows: Iterable[Visit], now: datetime) -> bytes:
    counties = {c.id: c.name for c in db.session.scalars(select(County))}
    rows = list(rows)
    enterprises = enterprise_names(v.enterprise_id for v in rows)
    items = []
    for v in rows:
        place = enterprises.get(v.enterprise_id, "") if v.enterprise_id else counties[v.county_id]
        items.append(
            ics.CalendarVisit(
                v.quarter,
                v.task_key,
                v.planned_on,
                _("%(kind)s：%(place)s", kind=KIND_LABELS[v.kind], place=place),
                f"{counties[v.county_id]} {place}".strip(),
                _(
                    "%(quarter)s 每季度全覆盖实地走访督查（%(status)s）%(reason)s",
                    quarter=v.quarter,
                    status=STATUS_LABELS[v.status],
                    reason=tr(v.reason),
                ),
                v.status,
                v.sequence,
                v.visitor_id,
            )
        )
    return ics.visits_calendar(name, items, now)


def coverage(quarter: str) -> dict[int, dict[str, int]]:
    """Per county: visits planned (not cancelled), done, missed — for 走访覆盖率."""
    result: dict[int, dict[str, int]] = defaultdict(lambda: {"planned": 0, "done": 0, "missed": 0})
    for county_id, status in db.session.execute(
        select(Visit.county_id, Visit.status).where(Visit.quarter == quarter)
    ):
        if status == VisitStatus.CANCELLED:
            continue
        result[county_id]["planned"] += 1
        result[county_id]["done"] += status == VisitStatus.DONE
        result[county_id]["missed"] += status == VisitStatus.MISSED
    return result


class VisitorCoverage(NamedTuple):
    """One person's visits of a quarter (cancelled ones not counted)."""

    visitor: str  # username
    planned: int
    done: int
    missed: int


def coverage_by_visitor(quarter: str) -> list[VisitorCoverage]:
    stmt = (
        select(User.username, Visit.status)
        .join(User, User.id == Visit.visitor_id)
        .where(Visit.quarter == quarter)
    )
    statuses: dict[str, list[str]] = defaultdict(list)
    for username, status in db.session.execute(stmt):
        if status != VisitStatus.CANCELLED:
            statuses[username].append(status)
    return [
        VisitorCoverage(u, len(s), s.count(VisitStatus.DONE), s.count(VisitStatus.MISSED))
        for u, s in sorted(statuses.items())
    ]


def init_app_hooks(app: Any) -> None:
    hooks(app).init_steps.append(seed_calendar)


def upcoming_and_missed(user: User, today: date) -> tuple[list[Visit], list[Visit]]:
    """My visits in the next 7 days; and the missed or overdue visits to follow up — the
    county's enterprise visits for an inspector, the city's county visits for a leader."""
    open_states = visit_rules.OPEN_STATES
    upcoming = list(
        db.session.scalars(
            select(Visit)
            .where(Visit.visitor_id == user.id, Visit.status.in_(open_states))
            .where(Visit.planned_on.between(today, date.fromordinal(today.toordinal() + 7)))
            .order_by(Visit.planned_on)
        )
    )
    scope = scope_of(user)
    stmt = scope.where(select(Visit), Visit.county_id)
    if scope.all_counties:  # the city answers for its county and supervision visits
        stmt = stmt.where(Visit.kind != "enterprise")
    missed = list(
        db.session.scalars(
            stmt.where(
                (Visit.status == VisitStatus.MISSED)
                | (Visit.status.in_(open_states) & (Visit.planned_on < today))
            ).order_by(Visit.planned_on)
        )
    )
    return upcoming, missed


def set_calendar_day(day: date, workday: bool, name: str, user: User | None) -> None:
    """The admin enters the State Council's holiday notice for a year chinese-calendar lacks."""
    if not may(user, "calendar.edit"):
        raise UserError(_("只有系统管理员可以维护节假日"), 403)
    if workday and day.weekday() < 5:
        raise UserError(
            _(
                "%(day)s 是工作日（周一至周五），只需录入调休上班的周末",
                day=day.isoformat(),
            )
        )
    if not workday and day.weekday() >= 5:
        raise UserError(
            _(
                "%(day)s 是周末，只需录入落在周一至周五的法定节假日",
                day=day.isoformat(),
            )
        )
    before = db.session.get(CalendarDay, day)
    db.session.merge(CalendarDay(day=day, workday=workday, name=name.strip()))
    db.session.flush()
    audit_log.record(
        user,
        "set_calendar_day",
        "calendar",
        day.year,
        before={"workday": before.workday} if before else None,
        after={"day": day, "workday": workday, "name": name},
        summary=day.isoformat(),
    )


def mark_year_complete(year: int, user: User | None) -> None:
    if not may(user, "calendar.edit"):
        raise UserError(_("只有系统管理员可以维护节假日"), 403)
    if db.session.get(CalendarYear, year) is None:
        db.session.add(CalendarYear(year=year, source="管理员录入"))  # i18n: data
        db.session.flush()
        audit_log.record(user, "calendar_year_complete", "calendar", year, after={"year": year})
