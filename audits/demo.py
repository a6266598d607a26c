"""The demo city's supervision history: three monthly rounds, audits, rectifications, 约谈.

Rounds are drawn now (so that every version recorded by the demo is in its month's
population) and then dated back to the 1st of the following month, as the scheduler would
have drawn them.
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
from core.models import Role, User

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
    drawn = []
    for m, demo_seed in zip(months, SEEDS, strict=True):
        round_ = rounds.draw_round(m, demo_seed, None, utcnow())
        drawn.append(round_)
    for round_ in drawn:  # as the scheduler would have drawn them: 02:00 on the 1st
        drawn_day = rounds.Month.parse(round_.month).next().first
        round_.drawn_at = datetime.combine(drawn_day, time(2, 0), LOCAL_TZ).astimezone(UTC)
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
            version = db.session.get(ContractVersion, audit.version_id)
            flags = {f.code for f in version_flags(version, completed)} if version else set()
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
    result = escalate(today)
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

    from audits.visit_service import record_visit, schedule_visits  # noqa: PLC0415
    from audits.visits import Quarter  # noqa: PLC0415

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
                    "people_met": "企业负责人、企业工会主席",
                    "notes": "了解整改进展，查阅合同文本和职代会记录",
                },
                today,
            )
            done += 1
        else:
            record_visit(
                visit, user, {"status": "missed", "reason": "企业停工检修，负责人不在"}, today
            )
            missed += 1
    planned = (
        db.session.scalar(select(func.count(Visit.id)).where(Visit.quarter == str(quarter))) or 0
    )
    return {f"{quarter} 走访计划": planned, "已走访": done, "未走访": missed}
