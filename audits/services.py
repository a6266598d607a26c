"""Audits, findings, rectifications, evidence, escalation and interviews (services).

The acting user and today are arguments; services flush, the edge commits once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from audits import audit_rules, checklist, escalation, interview_rules
from audits import rectification_rules as rules
from audits.models import (
    Audit,
    AuditCheck,
    Evidence,
    Finding,
    Interview,
    InterviewLink,
    Rectification,
    RectificationEvent,
)
from bargaining.models import Contract, ContractVersion
from core import audit_log
from core.db import db, utcnow
from core.errors import UserError
from core.i18n import Msg, _
from core.models import User, keep_file
from core.policy import may
from core.settings import get_setting

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


def deadline_days() -> dict[str, int]:
    return {
        checklist.CRITICAL: int(get_setting("deadline_days_critical")),
        checklist.MAJOR: int(get_setting("deadline_days_major")),
        checklist.MINOR: int(get_setting("deadline_days_minor")),
    }


# ---------------------------------------------------------------------------- audits


def save_audit(
    audit: Audit,
    user: User,
    results: Mapping[str, tuple[str, str]],
    notes: str,
    today: date,
    complete: bool,
) -> list[Finding]:
    """Record the checklist (code -> (result, note)); completing it opens one finding and one
    rectification per failed item, with its deadline by severity."""
    if not may(user, "audit.record", audit):
        raise UserError(_("此抽查任务未分配给您"), 403)
    if audit_rules.LIFECYCLE.is_final(audit.status):
        raise UserError(_("此抽查已完成，不能再修改"))
    unknown = set(results) - set(checklist.BY_CODE)
    if unknown:
        raise UserError(_("未知的检查项：%(codes)s", codes=_("、").join(sorted(unknown))))
    bad = [code for code, (result, _note) in results.items() if result not in checklist.RESULTS]
    if bad:
        raise UserError(
            _(
                "检查结果只能是 符合 / 不符合 / 不适用：%(codes)s",
                codes=_("、").join(sorted(bad)),
            )
        )
    simple = {code: result for code, (result, _note) in results.items()}
    if complete:
        missing = checklist.missing_results(simple)
        if missing:
            raise UserError(
                _(
                    "请填写全部检查项后再完成抽查，未填：%(codes)s",
                    codes=_("、").join(missing),
                )
            )
        failed_without_note = [
            c for c, (r, n) in results.items() if r == checklist.FAIL and not n.strip()
        ]
        if failed_without_note:
            raise UserError(
                _(
                    "不符合的检查项须写明问题：%(codes)s",
                    codes=_("、").join(sorted(failed_without_note)),
                )
            )
    before = (
        {"checks": {c.code: [c.result, c.note] for c in audit.checks}, "notes": audit.notes}
        if audit.checks or audit.notes
        else {}
    )
    existing = {c.code: c for c in audit.checks}
    for code, (result, note) in sorted(results.items()):
        check = existing.get(code)
        if check is None:
            audit.checks.append(AuditCheck(code=code, result=result, note=note.strip()))
        else:
            check.result, check.note = result, note.strip()
    audit.notes = notes.strip()
    if audit.inspector_id is None:
        audit.inspector_id = user.id
    findings: list[Finding] = []
    if complete:
        audit.status = audit_rules.LIFECYCLE.next(audit.status, audit_rules.COMPLETE)
        audit.verdict = checklist.verdict(simple)
        audit.completed_on = today
        audit.completed_at = utcnow()
        findings = _open_findings(audit, user, results, today)
    db.session.flush()
    audit_log.record(
        user,
        "complete_audit" if complete else "save_audit",
        "audit",
        audit.id,
        before=before or None,
        after={
            "checks": {c.code: [c.result, c.note] for c in audit.checks},
            "notes": audit.notes,
            "verdict": audit.verdict,
            "findings": [f.id for f in findings],
        },
    )
    return findings


def _open_findings(
    audit: Audit, user: User, results: Mapping[str, tuple[str, str]], today: date
) -> list[Finding]:
    days = deadline_days()
    findings = []
    for code, (result, note) in sorted(results.items()):
        if result != checklist.FAIL:
            continue
        check = checklist.BY_CODE[code]
        finding = open_finding(
            user,
            today,
            county_id=audit.county_id,
            enterprise_id=audit.enterprise_id,
            contract_id=audit.contract_id,
            check_code=code,
            severity=check.severity,
            description=Msg(
                "%(code)s %(title)s：%(note)s",
                code=code,
                title=Msg(check.title_id),
                note=note.strip(),
            ),
            source="audit",
            source_id=audit.id,
            days=days,
        )
        finding.audit_id = audit.id
        findings.append(finding)
    return findings


def open_finding(
    user: User | None,
    today: date,
    *,
    county_id: int,
    enterprise_id: int | None,
    contract_id: int | None,
    check_code: str,
    severity: str,
    description: str,
    source: str,
    source_id: int | None,
    days: Mapping[str, int] | None = None,
) -> Finding:
    """A finding and its rectification (owner: the enterprise), deadline by severity."""
    days = days or deadline_days()
    finding = Finding(
        source=source,
        source_id=source_id,
        check_code=check_code,
        severity=severity,
        description=description,
        county_id=county_id,
        enterprise_id=enterprise_id,
        contract_id=contract_id,
        created_on=today,
        created_by_id=user.id if user else None,
    )
    db.session.add(finding)
    db.session.flush()
    rect = Rectification(
        finding_id=finding.id,
        county_id=county_id,
        enterprise_id=enterprise_id,
        deadline=checklist.deadline(today, severity, days),
        status=rules.PENDING,
        created_on=today,
    )
    db.session.add(rect)
    db.session.flush()
    audit_log.record(
        user,
        "open_rectification",
        "rectification",
        rect.id,
        after={"deadline": rect.deadline, "severity": severity},
    )
    return finding


# ---------------------------------------------------------------------------- evidence


def add_evidence(
    owner_type: str, owner_id: int, filename: str, data: bytes, user: User, note: str = ""
) -> Evidence:
    if not data:
        raise UserError(_("文件为空"))
    if len(data) > MAX_EVIDENCE_BYTES:
        raise UserError(_("证明材料不能超过 20 MB"), 413)
    sha = hashlib.sha256(data).hexdigest()
    keep_file(db.session, sha, data)
    evidence = Evidence(
        owner_type=owner_type,
        owner_id=owner_id,
        sha256=sha,
        filename=(filename or "evidence")[:255],
        size=len(data),
        uploaded_by_id=user.id,
        note=note.strip(),
    )
    db.session.add(evidence)
    db.session.flush()
    audit_log.record(
        user,
        "add_evidence",
        owner_type,
        owner_id,
        after={"filename": evidence.filename, "sha256": sha},
    )
    return evidence


def evidence_of(owner_type: str, owner_id: int) -> list[Evidence]:
    stmt = (
        select(Evidence)
        .where(Evidence.owner_type == owner_type, Evidence.owner_id == owner_id)
        .order_by(Evidence.id)
    )
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------------------- rectification


def act_on_rectification(
    rect: Rectification, user: User, action: str, note: str, today: date
) -> RectificationEvent:
    if action in rules.ACTION_LABELS and not may(user, f"rectification.{action}", rect):
        raise UserError(_("您不能对此整改执行该操作"), 403)
    try:
        step = rules.next_status(rect.status, action, note)
    except rules.UserError as exc:
        raise UserError(exc.message) from exc
    rect.status = step.to_status
    if step.to_status == rules.RESOLVED:
        rect.resolved_on = today
    event = RectificationEvent(
        rectification_id=rect.id,
        user_id=user.id,
        action=action,
        from_status=step.from_status,
        to_status=step.to_status,
        note=note.strip(),
    )
    db.session.add(event)
    db.session.flush()
    audit_log.record(
        user,
        action,
        "rectification",
        rect.id,
        before={"status": step.from_status},
        after={"status": step.to_status, "note": note.strip()},
    )
    return event


# ---------------------------------------------------------------------------- escalation


@dataclass
class EscalationResult:
    newly_overdue: int
    county_interviews: int
    city_interviews: int


def escalate(today: date, user: User | None = None) -> EscalationResult:
    """The daily job (flask escalate): mark 逾期, then open the interviews the rules call for."""
    open_rects = list(
        db.session.scalars(select(Rectification).where(Rectification.status != rules.RESOLVED))
    )
    newly = 0
    for rect in open_rects:
        if rules.is_overdue(rect.status, rect.deadline, today) and rect.overdue_since is None:
            rect.overdue_since = rect.deadline + timedelta(days=1)
            newly += 1
    covered: dict[str, set[int]] = {escalation.COUNTY: set(), escalation.CITY: set()}
    for level, rid in db.session.execute(
        select(InterviewLink.level, InterviewLink.rectification_id)
    ):
        covered.setdefault(level, set()).add(rid)
    items = [
        escalation.OpenItem(r.id, r.county_id, r.enterprise_id, r.deadline) for r in open_rects
    ]
    plans = escalation.plan_escalation(
        items,
        covered,
        today,
        city_after_days=int(get_setting("escalation_city_after_days")),
        county_overdue_threshold=int(get_setting("escalation_county_threshold")),
    )
    counts = {escalation.COUNTY: 0, escalation.CITY: 0}
    for plan in plans:
        interview = Interview(
            level=plan.level,
            county_id=plan.county_id,
            enterprise_id=plan.enterprise_id,
            reason=plan.reason,
            triggered_on=today,
            status=interview_rules.InterviewStatus.PLANNED,
            created_by_id=user.id if user else None,
        )
        db.session.add(interview)
        db.session.flush()
        for rid in plan.rectification_ids:
            db.session.add(
                InterviewLink(interview_id=interview.id, rectification_id=rid, level=plan.level)
            )
        counts[plan.level] += 1
        audit_log.record(
            user,
            "open_interview",
            "interview",
            interview.id,
            after={
                "level": plan.level,
                "rectifications": plan.rectification_ids,
                "reason": plan.reason,
            },
        )
    db.session.flush()
    return EscalationResult(newly, counts[escalation.COUNTY], counts[escalation.CITY])


def amend_audit_notes(audit: Audit, user: User, notes: str, reason: str) -> None:
    """Correct the written opinion of a completed audit: the verdict and the checklist stay as
    decided; the earlier text stays in the log with the reason (SPEC §3)."""
    if not may(user, "audit.record", audit):
        raise UserError(_("此抽查任务未分配给您"), 403)
    if audit.status != audit_rules.AuditStatus.DONE:
        raise UserError(_("抽查尚未完成，直接保存即可"))
    reason = reason.strip()
    if not reason:
        raise UserError(_("此抽查已完成：更正须填写更正原因，原记录保留在操作日志中（修改记录）"))
    before, after = audit_log.apply_changes(audit, {"notes": notes.strip()})
    if not after:
        return
    db.session.flush()
    audit_log.record(
        user,
        "amend_audit",
        "audit",
        audit.id,
        before=before,
        after={**after, "amendment_reason": reason},
        summary=Msg("更正：%(reason)s", reason=reason),
    )


def record_interview(
    interview: Interview, user: User, fields: Mapping[str, Any], today: date
) -> None:
    if not may(user, "interview.record", interview):
        raise UserError(_("您不能记录此约谈"), 403)
    held_on = fields.get("held_on")
    if not isinstance(held_on, date):
        raise UserError(_("请填写约谈日期"))
    if held_on > today:
        raise UserError(_("约谈日期不能晚于今天"))
    participants = str(fields.get("participants", "")).strip()
    minutes = str(fields.get("minutes", "")).strip()
    if not participants or not minutes:
        raise UserError(_("请填写参加人员和约谈纪要"))
    follow_up = fields.get("follow_up_on")
    if follow_up is not None and follow_up < held_on:
        raise UserError(_("跟进日期不能早于约谈日期"))
    write_held_record(
        interview,
        "interview",
        user,
        fields,
        {
            "status": interview_rules.LIFECYCLE.next(interview.status, interview_rules.HOLD),
            "held_on": held_on,
            "participants": participants,
            "minutes": minutes,
            "commitments": str(fields.get("commitments", "")).strip(),
            "follow_up_on": follow_up,
        },
        _("此约谈已记录：更正须填写更正原因，原记录保留在操作日志中（修改记录）"),
    )


class HeldRecord(Protocol):
    id: int
    status: str


def write_held_record(
    row: HeldRecord,
    kind: str,
    user: User,
    fields: Mapping[str, Any],
    changes: Mapping[str, Any],
    reason_required: str,
) -> bool:
    """Write the record of a meeting held (an interview, a supervision): the first time as
    ``record_<kind>``; once held, only as a correction with a reason (``amend_<kind>``; the
    old values stay in the audit log), refused with ``reason_required`` without one.
    False when a correction changed nothing (nothing is logged)."""
    held = row.status == "held"
    reason = audit_log.amendment_reason(fields)
    if held and not reason:
        raise UserError(reason_required)
    before, after = audit_log.apply_changes(row, changes)
    if held and not after:
        return False
    db.session.flush()
    audit_log.record(
        user,
        f"amend_{kind}" if held else f"record_{kind}",
        kind,
        row.id,
        before=before,
        after={**after, "amendment_reason": reason} if held else after,
        summary=Msg("更正：%(reason)s", reason=reason) if held else "",
    )
    return True


# ---------------------------------------------------------------------------- helpers for pages


def contract_version(audit: Audit) -> tuple[Contract, ContractVersion]:
    version = db.session.get(ContractVersion, audit.version_id)
    assert version is not None
    return version.contract, version
