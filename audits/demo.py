"""The demo city's supervision history: three monthly rounds, audits, rectifications, 约谈.

Rounds are frozen and drawn now (so that every version recorded by the demo is in its
month's population) and then dated back: frozen at 00:05 on the 1st of the following month,
drawn with a public value at the meeting on the 3rd, versions recorded on their filing day.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from audits import checklist, rounds
from audits import rectification_rules as rules
from audits.models import Audit, Interview, Rectification, SampleRound, Visit
from audits.services import act_on_rectification, escalate, record_interview, save_audit
from bargaining.models import ContractVersion
from bargaining.queries import version_flags
from core.clock import LOCAL_TZ
from core.db import db, utcnow
from core.hooks import hooks
from core.models import Role, Setting, User
from core.settings import DEFAULTS

SEEDS = ("20260801314159265358", "20260901271828182845", "20261001161803398874")
PROBLEMS = {
    "C1": "赞成票未达到全体职工代表半数，表决程序不符合规定",
    "C2": "合同文本缺少职工方首席代表签字",
    "C3": "合同约定的最低工资低于当地最低工资标准",
    "C4": "合同期限超过3年",
    "C5": "签订后超过10日才报送人力社保部门",
    "C6": "备案后未在全国工会集体协商信息化平台录入",
    "C7": "备案的协商事项与合同文本条款不一致",
    "C8": "工资增长幅度表述笼统，未写明具体比例",
    "C9": "未在厂务公开栏公布合同文本",
}


def register_demo(app: Flask) -> None:
    hooks(app).demo_steps.append(build_demo_supervision)


def build_demo_supervision(seed: int, today: date) -> dict[str, Any]:
    rng = random.Random(seed + 1)
    month = rounds.Month.of(today.replace(day=1) - timedelta(days=1))
    months = []
    for _ in range(3):
        months.append(month)
        month = rounds.Month.of(month.first - timedelta(days=1))
    months.reverse()
    # the demo samples from its first month on (SPEC §5: the demo sets its own start month)
    db.session.merge(
        Setting(
            key="sampling_start_month",
            value=str(months[0]),
            description=str(DEFAULTS["sampling_start_month"][1]),
        )
    )
    drawn = []
    for m, public_value in zip(months, SEEDS, strict=True):
        round_ = rounds.draw_round(m, public_value, None, utcnow())
        drawn.append(round_)
    # as if it had happened on time: each version recorded on its filing day, each round
    # frozen at 00:05 on the 1st and drawn at the monthly meeting on the 3rd
    for version in db.session.scalars(
        select(ContractVersion).where(ContractVersion.filed_on <= months[-1].last)
    ):
        recorded = datetime.combine(version.filed_on, time(12, 0), LOCAL_TZ).astimezone(UTC)
        if version.created_at > recorded:
            version.created_at = recorded
    for round_ in drawn:
        drawn_day = rounds.Month.parse(round_.month).next().first
        round_.frozen_at = datetime.combine(drawn_day, time(0, 5), LOCAL_TZ).astimezone(UTC)
        round_.drawn_at = datetime.combine(
            drawn_day + timedelta(days=2), time(10, 0), LOCAL_TZ
        ).astimezone(UTC)
        round_.due_on = rounds.Month.of(drawn_day).last
        db.session.execute(
            update(Audit).where(Audit.round_id == round_.id).values(due_on=round_.due_on)
        )
    db.session.flush()
    inspectors = {
        u.id: u for u in db.session.scalars(select(User).where(User.role == Role.INSPECTOR))
    }
    done = findings = 0
    for index, round_ in enumerate(drawn):
        share_done = 1.0 if index < len(drawn) - 1 else 0.45
        audits = db.session.scalars(
            select(Audit).where(Audit.round_id == round_.id).order_by(Audit.id)
        ).all()
        start = rounds.Month.parse(round_.month).next().first
        for audit in audits:
            if audit.inspector_id is None or rng.random() > share_done:
                continue
            completed = min(today, start + timedelta(days=rng.randint(3, 27)))
            audited = db.session.get(ContractVersion, audit.version_id)
            flags = {f.code for f in version_flags(audited, completed)} if audited else set()
            results = {}
            for check in checklist.CHECKLIST:
                fail = (set(check.flags) & flags and rng.random() < 0.7) or rng.random() < 0.03
                note = PROBLEMS[check.code] if fail else ""
                results[check.code] = (checklist.FAIL if fail else checklist.PASS, note)
            new = save_audit(
                audit, inspectors[audit.inspector_id], results, "", completed, complete=True
            )
            done += 1
            findings += len(new)
            for finding in new:
                _advance(
                    rng, finding.rectification, inspectors[audit.inspector_id], completed, today
                )
    findings += _clerk_rectifications(today, inspectors)
    result = escalate(today)
    _date_interviews_when_due(today)
    held = 0
    for interview in db.session.scalars(select(Interview).where(Interview.level == "county")):
        if rng.random() < 0.5:
            recorder = next(
                (u for u in inspectors.values() if u.county_id == interview.county_id), None
            )
            if recorder is not None:
                held_on = min(today, interview.triggered_on + timedelta(days=rng.randint(0, 5)))
                record_interview(
                    interview,
                    recorder,
                    {
                        "held_on": held_on,
                        "participants": "县总工会权益保障部负责人；企业负责人；企业工会主席",
                        "minutes": "通报逾期未整改问题，听取企业说明，明确整改要求。",
                        "commitments": "企业承诺15日内完成整改并报送证明材料",
                        "follow_up_on": held_on + timedelta(days=15),
                    },
                    today,
                )
                held += 1
    db.session.flush()
    visit_stats = _demo_visits(rng, today, inspectors)
    return {
        **visit_stats,
        "抽查轮次": len(drawn),
        "抽中": sum(r.pick_count for r in db.session.scalars(select(SampleRound))),
        "已完成抽查": done,
        "整改": findings,
        "约谈": result.county_interviews + result.city_interviews,
        "已约谈": held,
    }


def _clerk_rectifications(today: date, inspectors: dict[int, User]) -> int:
    """Every demo clerk (ent-<CODE>-1, -2) has something to answer, so the clerk's side of the
    loop can be seen: the first a rectification due within the week, the second one overdue."""
    from audits.services import open_finding
    from bargaining.models import Contract

    added = 0
    clerks = db.session.scalars(
        select(User).where(User.role == Role.ENTERPRISE).order_by(User.username)
    )
    for clerk in clerks:
        has_open = db.session.scalar(
            select(func.count(Rectification.id)).where(
                Rectification.enterprise_id == clerk.enterprise_id,
                Rectification.status != rules.RESOLVED,
            )
        )
        if has_open or clerk.enterprise_id is None:
            continue
        inspector = next((u for u in inspectors.values() if u.county_id == clerk.county_id), None)
        contract_id = db.session.scalar(
            select(Contract.id)
            .where(Contract.enterprise_id == clerk.enterprise_id)
            .order_by(Contract.id.desc())
            .limit(1)
        )
        overdue = clerk.username.endswith("-2")
        check = "C6" if overdue else "C8"
        assert clerk.county_id is not None  # a clerk carries their enterprise's county
        open_finding(
            inspector,
            today - timedelta(days=40 if overdue else 25),
            county_id=clerk.county_id,
            enterprise_id=clerk.enterprise_id,
            contract_id=contract_id,
            check_code=check,
            severity=checklist.MAJOR if overdue else checklist.MINOR,
            description=PROBLEMS[check],
            source="audit",
            source_id=None,
            days={checklist.CRITICAL: 7, checklist.MAJOR: 30, checklist.MINOR: 30},
        )
        added += 1
    db.session.flush()
    return added


def _date_interviews_when_due(today: date) -> None:
    """The demo escalates once, today; date each 约谈 on the day the daily job would have
    opened it: the day after the deadline (county), 30 days later (city)."""
    from audits.models import InterviewLink

    first_deadline = dict(
        db.session.execute(
            select(InterviewLink.interview_id, func.min(Rectification.deadline))
            .join(Rectification, Rectification.id == InterviewLink.rectification_id)
            .group_by(InterviewLink.interview_id)
        ).all()
    )
    for interview in db.session.scalars(select(Interview)):
        deadline = first_deadline.get(interview.id)
        if deadline is None:
            continue
        after = 1 if interview.level == "county" else 31
        interview.triggered_on = min(today, deadline + timedelta(days=after))
    db.session.flush()


def _advance(
    rng: random.Random, rect: Rectification, inspector: User, found_on: date, today: date
) -> None:
    """Move a rectification along as people would have: most fixed, some late, some overdue."""
    age = (today - found_on).days
    fate = rng.random()
    if age < 3 or fate < 0.15:
        return  # still 待整改 (and overdue if past its deadline)
    act_on_rectification(rect, inspector, rules.START, "", today)
    if fate < 0.3:
        return
    act_on_rectification(rect, inspector, rules.SUBMIT, "已按要求整改，附证明材料", today)
    if fate < 0.45:
        return
    act_on_rectification(rect, inspector, rules.VERIFY, "核验属实", today)
    rect.resolved_on = min(today, found_on + timedelta(days=rng.randint(2, 25)))


def _demo_visits(rng: random.Random, today: date, inspectors: dict[int, User]) -> dict[str, int]:
    """This quarter's plan, made on its first day; visits before today mostly done."""

    from audits.visit_service import record_visit, schedule_visits
    from audits.visits import Quarter

    quarter = Quarter.of(today)
    lagging = hooks().lagging_county_ids(today)
    schedule_visits(quarter, None, quarter.start, lagging)
    done = missed = 0
    users = {u.id: u for u in db.session.scalars(select(User))}
    for visit in db.session.scalars(
        select(Visit).where(Visit.quarter == str(quarter), Visit.planned_on < today)
    ):
        user = users[visit.visitor_id]
        if rng.random() < 0.88:
            record_visit(
                visit,
                user,
                {
                    "status": "done",
                    "done_on": visit.planned_on,
                    "people_met": "企业负责人、企业工会主席"
                    if visit.kind == "enterprise"
                    else "县总工会主席、权益保障部负责人",
                    "notes": "了解整改进展，查阅合同文本和职代会记录"
                    if visit.kind == "enterprise"
                    else "听取县总工会工作汇报，抽查集体合同文本和备案台账",
                },
                today,
            )
            done += 1
        else:
            reason = (
                "企业停工检修，负责人不在"
                if visit.kind == "enterprise"
                else "县总工会主要负责人参加省总工会会议，另行安排"
            )
            record_visit(visit, user, {"status": "missed", "reason": reason}, today)
            missed += 1
    planned = (
        db.session.scalar(select(func.count(Visit.id)).where(Visit.quarter == str(quarter))) or 0
    )
    return {f"{quarter} 走访计划": planned, "已走访": done, "未走访": missed}
