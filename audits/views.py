"""Sampling, audits, rectifications and interviews pages. Views stay thin."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from audits import audit_rules, checklist, escalation, paper, queries, rounds
from audits import rectification_rules as rules
from audits.check_facts import check_facts
from audits.jobs import OPEN_IN_REQUEST_MAX_PICKS, draw_month_once, freeze_month_once
from audits.models import (
    Audit,
    Evidence,
    Finding,
    Interview,
    InterviewLink,
    Rectification,
    SampleRound,
    Visit,
)
from audits.services import (
    act_on_rectification,
    add_evidence,
    amend_audit_notes,
    evidence_of,
    record_interview,
    save_audit,
)
from audits.visit_service import KIND_LABELS, upcoming_and_missed
from bargaining.cells import parse_date
from bargaining.legal_checks import FLAG_TITLES
from bargaining.models import ContractVersion, County, Enterprise
from bargaining.queries import counties_for, enterprise_names, version_flags
from bargaining.text_views import text_context
from bargaining.texts import version_text
from core import audit_log
from core.clock import local_today
from core.db import db, utcnow
from core.i18n import _, tr
from core.models import StoredFile
from core.paper import DOCX_MIME
from core.policy import may, requires, scope_of
from core.settings import get_setting
from core.web import download, listing, page_number, paginate, xlsx_response
from core.xlsx import table_workbook

bp = Blueprint("audits", __name__)


# ---------------------------------------------------------------------------- sampling


@bp.route("/sampling")
@requires("sampling.view")
def sampling() -> ResponseReturnValue:
    today = local_today()
    last_month = rounds.Month.of(today.replace(day=1) - timedelta(days=1))
    all_rounds = queries.rounds_list()
    frozen = {r.month for r in all_rounds}
    drawn = {r.month for r in all_rounds if r.drawn}
    return render_template(
        "audits/rounds.html",
        rounds=all_rounds,
        waiting=[r for r in all_rounds if not r.drawn],
        draw_day=get_setting("sample_draw_working_day"),
        log_head=audit_log.head(),
        # never offer a month already frozen: it would only show the existing round
        default_month="" if str(last_month) in frozen else str(last_month),
        last_month_drawn=str(last_month) if str(last_month) in drawn else "",
    )


@bp.route("/sampling/freeze", methods=["POST"])
@requires("sampling.freeze")
def freeze() -> ResponseReturnValue:
    """Freeze a month by hand (the scheduler does it at 00:05 on the 1st)."""
    month = rounds.Month.parse(request.form.get("month", ""))
    round_, fresh = freeze_month_once(month, current_user, utcnow())
    if not fresh:
        flash(_("%(month)s 此前已冻结，未重新冻结", month=round_.month), "warning")
    return redirect(url_for("audits.round_detail", month=round_.month))


@bp.route("/sampling/draw", methods=["POST"])
@requires("sampling.draw")
def draw() -> ResponseReturnValue:
    """A city leader draws a frozen round with the public value typed at the meeting."""
    public_value = request.form.get("public_value", "").strip()
    month = rounds.Month.parse(request.form.get("month", ""))
    if not public_value:
        raise rounds.UserError(_("请输入公开值（6 至 64 位数字，例如会上掷骰子得到的数字）"))
    existing = rounds.get_round(str(month))
    if existing is not None and existing.drawn_at is not None:  # drawn
        flash(
            _(
                "%(month)s 已于 %(day)s 抽取，每月只抽取一次",
                month=str(month),
                day=existing.drawn_at.strftime("%Y-%m-%d"),
            ),
            "warning",
        )
        return redirect(url_for("audits.round_detail", month=str(month)))
    round_, fresh = draw_month_once(
        month, public_value, current_user, utcnow(), open_up_to=OPEN_IN_REQUEST_MAX_PICKS
    )
    flash(
        _(
            "%(month)s 已抽取：总体 %(population)s 份，抽中 %(picks)s 份",
            month=round_.month,
            population=round_.population_size,
            picks=round_.pick_count,
        ),
        "success" if fresh else "info",
    )
    if round_.opening:
        flash(
            _("抽查任务正在后台生成并分配给指导员，约一分钟后可在本页和指导员的抽查页看到"), "info"
        )
    for w in queries.counties_without_inspector(round_.id):
        flash(_waiting_text(w), "warning")
    return redirect(url_for("audits.round_detail", month=round_.month))


def _waiting_text(w: queries.CountyWaiting) -> str:
    return _(
        "%(county)s没有指导员：%(n)s 份抽中合同暂未分配，待该县(市、区)有指导员后再分配",
        county=w.name,
        n=w.picks,
    )


def _round_or_404(month: str) -> SampleRound:
    round_ = rounds.get_round(month)
    if round_ is None:
        abort(404)
    return round_


@bp.route("/sampling/<month>")
@requires("sampling.view")
def round_detail(month: str) -> ResponseReturnValue:
    round_ = _round_or_404(month)
    sizes = rounds.county_sizes(round_)
    counties = counties_for(current_user)
    visible = {c.code for c in counties}
    rows, total = paginate(queries.round_picks(round_, current_user), page_number(), 100)
    return render_template(
        "audits/round.html",
        round=round_,
        sizes={k: v for k, v in sizes.items() if k in visible},
        picks=rows,
        total=total,
        page=page_number(),
        page_size=100,
        waiting=[w for w in queries.counties_without_inspector(round_.id) if w.code in visible],
    )


@bp.route("/sampling/<month>/verify", methods=["POST"])
@requires("sampling.verify")
def round_verify(month: str) -> ResponseReturnValue:
    result = rounds.verify_round(_round_or_404(month))
    if result.ok:
        flash(_("核验通过：由种子和总体快照重新计算的抽中结果与记录完全一致"), "success")
    else:
        flash(
            _("核验发现差异：%(problems)s", problems="；".join(str(p) for p in result.problems)),
            "danger",
        )
    return redirect(url_for("audits.round_detail", month=month))


@bp.route("/sampling/<month>/population.txt")
@requires("sampling.population")
def round_population(month: str) -> ResponseReturnValue:
    round_ = _round_or_404(month)
    return download(rounds.population_of(round_), f"population-{month}.txt", "text/plain")


@bp.route("/sampling/<month>/picks.xlsx")
@requires("sampling.view")
def round_picks_export(month: str) -> ResponseReturnValue:
    round_ = _round_or_404(month)
    rows = (
        (
            r.county_code,
            r.county_name,
            r.pick.rank,
            r.pick.public_id,
            r.version.name,
            r.pick.ticket,
            _("是") if r.pick.late else "",
            r.inspector or "",
            (_("已完成") if r.audit.status == "done" else _("待抽查")) if r.audit else "",
        )
        for r in db.session.execute(queries.round_picks(round_, current_user))
    )
    headers = (
        _("县(市、区)代码"),
        _("县(市、区)"),
        _("序号"),
        _("合同公开编号"),
        _("名称"),
        _("签号"),
        _("补录"),
        _("指导员"),
        _("状态"),
    )
    return xlsx_response(
        table_workbook(_("抽中合同%(month)s", month=month), headers, rows),
        _("抽中合同-%(month)s.xlsx", month=month),
    )


# ---------------------------------------------------------------------------- audits


@bp.route("/audits")
@requires("audit.view")
def audits() -> ResponseReturnValue:
    a = request.args
    filters = queries.AuditFilters(
        status=a.get("status", "open" if may(current_user, "audit.mine") else ""),
        county=a.get("county", ""),
        mine=may(current_user, "audit.mine") and a.get("all") != "1",
        month=a.get("month", ""),
    )
    return listing(
        queries.audits_query(current_user, filters),
        "audits/audits.html",
        export_title=_("抽查任务"),
        headers=(
            _("编号"),
            _("抽查月份"),
            _("县(市、区)"),
            _("合同编号"),
            _("公开编号"),
            _("名称"),
            _("指导员"),
            _("截止日期"),
            _("状态"),
            _("结论"),
            _("完成日期"),
        ),
        export_row=lambda r: (
            r.audit.id,
            r.month or "",
            r.county_name,
            r.contract.number,
            r.version.public_id,
            r.version.name,
            r.inspector or _("未分配"),
            r.audit.due_on,
            _("已完成") if r.audit.status == "done" else _("待抽查"),
            audit_rules.verdict_label(r.audit.verdict),
            r.audit.completed_on,
        ),
        filters=filters,
        counties=counties_for(current_user),
        today=local_today(),
    )


@bp.route("/audits/<int:audit_id>", methods=["GET", "POST"])
@requires("audit.view", Audit, write="audit.record")
def audit_detail(audit: Audit) -> ResponseReturnValue:
    if request.method == "POST":
        if audit.status == audit_rules.AuditStatus.DONE:
            amend_audit_notes(
                audit,
                current_user,
                request.form.get("notes", ""),
                request.form.get("amendment_reason", ""),
            )
            db.session.commit()
            flash(_("更正已保存"), "success")
            return redirect(url_for("audits.audit_detail", audit_id=audit.id))
        results = {
            c.code: (
                request.form.get(f"result_{c.code}", ""),
                request.form.get(f"note_{c.code}", ""),
            )
            for c in checklist.CHECKLIST
            if request.form.get(f"result_{c.code}")
        }
        complete = request.form.get("action") == "complete"
        findings = save_audit(
            audit, current_user, results, request.form.get("notes", ""), local_today(), complete
        )
        for upload in request.files.getlist("evidence"):
            if upload and upload.filename:
                add_evidence("audit", audit.id, upload.filename, upload.read(), current_user)
        db.session.commit()
        if complete:
            flash(
                _(
                    "抽查已完成，结论：%(verdict)s；发现问题 %(n)s 项，已生成整改任务",
                    verdict=audit_rules.verdict_label(audit.verdict),
                    n=len(findings),
                ),
                "success",
            )
        else:
            flash(_("已保存"), "success")
        return redirect(url_for("audits.audit_detail", audit_id=audit.id))
    return _render_audit(audit)


def _render_audit(audit: Audit) -> str:
    version = db.session.get(ContractVersion, audit.version_id)
    assert version is not None
    flags = {f.code: f for f in version_flags(version, local_today())}  # as of today (§4)
    checks = {c.code: c for c in audit.checks}
    findings = list(
        db.session.scalars(select(Finding).where(Finding.audit_id == audit.id).order_by(Finding.id))
    )
    vt = version_text(version)
    county = db.session.get(County, version.county_id)
    tier = county.min_wage_tier if county else None
    tiers = get_setting("min_wage_tiers")
    minimum = Decimal(str(tiers[str(tier)])) if tier is not None and str(tier) in tiers else None
    return render_template(
        "audits/audit.html",
        **text_context(version, vt),
        facts=check_facts(version, vt.facts, vt.comparison, minimum, tier),
        audit=audit,
        version=version,
        contract=version.contract,
        flags=flags,
        checks=checks,
        checklist=checklist,
        findings=findings,
        flag_titles=FLAG_TITLES,
        editable=audit.status == audit_rules.AuditStatus.OPEN
        and may(current_user, "audit.record", audit),
        amendable=audit.status == audit_rules.AuditStatus.DONE
        and may(current_user, "audit.record", audit),
        evidence=evidence_of("audit", audit.id),
        history=audit_log.history("audit", audit.id),
    )


# ---------------------------------------------------------------------------- rectifications


@bp.route("/rectifications")
@requires("rectification.view")
def rectifications() -> ResponseReturnValue:
    today = local_today()
    filters = queries.RectificationFilters(
        status=request.args.get("status", ""), county=request.args.get("county", "")
    )
    return listing(
        queries.rectifications_query(current_user, filters, today),
        "audits/rectifications.html",
        export_title=_("整改任务"),
        headers=(
            _("编号"),
            _("县(市、区)"),
            _("企业"),
            _("检查项"),
            _("严重程度"),
            _("问题"),
            _("发现日期"),
            _("整改期限"),
            _("状态"),
            _("完成日期"),
        ),
        export_row=lambda r: (
            r.rect.id,
            r.county_name,
            r.enterprise_name or "",
            r.finding.check_code,
            str(checklist.SEVERITY_LABELS.get(r.finding.severity, r.finding.severity)),
            tr(r.finding.description),
            r.finding.created_on,
            r.rect.deadline,
            str(rules.status_label(r.rect.status, r.rect.deadline, today)),
            r.rect.resolved_on,
        ),
        filters=filters,
        counties=counties_for(current_user),
        today=today,
        rules=rules,
        checklist=checklist,
    )


@bp.route("/rectifications/<int:rect_id>", methods=["GET", "POST"])
@requires(
    "rectification.view", Rectification, "rect_id", write="rectification.act", check_write=False
)
def rectification_detail(rect: Rectification) -> ResponseReturnValue:
    today = local_today()
    if request.method == "POST":
        action = request.form.get("action", "")
        act_on_rectification(rect, current_user, action, request.form.get("note", ""), today)
        for upload in request.files.getlist("evidence"):
            if upload and upload.filename:
                add_evidence("rectification", rect.id, upload.filename, upload.read(), current_user)
        db.session.commit()
        flash(_("已%(action)s", action=str(rules.ACTION_LABELS.get(action, action))), "success")
        return redirect(url_for("audits.rectification_detail", rect_id=rect.id))
    return _render_rect(rect, today)


def _render_rect(rect: Rectification, today: Any) -> str:
    actions = [
        a
        for a in rules.ACTION_LABELS
        if (rect.status, a) in rules.TRANSITIONS and may(current_user, f"rectification.{a}", rect)
    ]
    ent = db.session.get(Enterprise, rect.enterprise_id) if rect.enterprise_id else None
    links = db.session.execute(
        select(InterviewLink, Interview)
        .join(Interview, Interview.id == InterviewLink.interview_id)
        .where(InterviewLink.rectification_id == rect.id)
    )
    return render_template(
        "audits/rectification.html",
        rect=rect,
        finding=rect.finding,
        ent=ent,
        county=db.session.get(County, rect.county_id),
        actions=actions,
        rules=rules,
        checklist=checklist,
        today=today,
        evidence=evidence_of("rectification", rect.id),
        interviews=[i for _link, i in links],
        history=audit_log.history("rectification", rect.id),
        staff=may(current_user, "rectification.staff_view"),
    )


# ---------------------------------------------------------------------------- interviews


@bp.route("/interviews")
@requires("interview.view")
def interviews() -> ResponseReturnValue:
    return listing(
        queries.interviews_query(current_user),
        "audits/interviews.html",
        export_title=_("约谈记录"),
        headers=(
            _("编号"),
            _("层级"),
            _("县(市、区)"),
            _("企业"),
            _("原因"),
            _("触发日期"),
            _("状态"),
            _("约谈日期"),
            _("参加人员"),
            _("整改承诺"),
            _("跟进日期"),
        ),
        export_row=lambda r: (
            r.interview.id,
            str(escalation.LEVEL_LABELS[r.interview.level]),
            r.county_name,
            r.enterprise_name or "",
            tr(r.interview.reason),
            r.interview.triggered_on,
            _("已约谈") if r.interview.status == "held" else _("待约谈"),
            r.interview.held_on,
            r.interview.participants,
            r.interview.commitments,
            r.interview.follow_up_on,
        ),
        levels=escalation.LEVEL_LABELS,
    )


@bp.route("/interviews/<int:interview_id>", methods=["GET", "POST"])
@requires("interview.view", Interview, write="interview.record")
def interview_detail(interview: Interview) -> ResponseReturnValue:
    if request.method == "POST":
        fields = {
            "held_on": form_date("held_on"),
            "participants": request.form.get("participants", ""),
            "minutes": request.form.get("minutes", ""),
            "commitments": request.form.get("commitments", ""),
            "follow_up_on": form_date("follow_up_on"),
            "amendment_reason": request.form.get("amendment_reason", ""),
        }
        record_interview(interview, current_user, fields, local_today())
        db.session.commit()
        flash(_("约谈记录已保存"), "success")
        return redirect(url_for("audits.interview_detail", interview_id=interview.id))
    return _render_interview(interview)


def form_date(name: str) -> date | None:
    """A date typed in a form field, or None; a bad one is a UserError (a UserError)."""
    value = request.form.get(name, "").strip()
    return parse_date(value) if value else None


def _render_interview(interview: Interview) -> str:
    rects = list(
        db.session.scalars(
            select(Rectification)
            .join(InterviewLink, InterviewLink.rectification_id == Rectification.id)
            .where(InterviewLink.interview_id == interview.id)
        )
    )
    return render_template(
        "audits/interview.html",
        interview=interview,
        county=db.session.get(County, interview.county_id),
        ent=db.session.get(Enterprise, interview.enterprise_id)
        if interview.enterprise_id
        else None,
        rects=rects,
        levels=escalation.LEVEL_LABELS,
        editable=may(current_user, "interview.record", interview),
        rules=rules,
        today=local_today(),
        history=audit_log.history("interview", interview.id),
    )


# ---------------------------------------------------------------------------- evidence


@bp.route("/evidence/<int:evidence_id>")
@requires("evidence.view")
def evidence_download(evidence_id: int) -> ResponseReturnValue:
    evidence = db.session.get(Evidence, evidence_id)
    owners = {"rectification": Rectification, "audit": Audit, "visit": Visit}
    if evidence is None or evidence.owner_type not in owners:
        abort(404)
    scope_of(current_user).check(db.session.get(owners[evidence.owner_type], evidence.owner_id))
    stored = db.session.get(StoredFile, evidence.sha256)
    if stored is None:
        abort(404)
    return download(stored.data, evidence.filename)


# ---------------------------------------------------------------------------- home


# ---------------------------------------------------------------------------- paper


@bp.route("/rectifications/<int:rect_id>/notice.docx")
@requires("rectification.view", Rectification)
def rectification_notice_docx(rect: Rectification) -> ResponseReturnValue:
    data = paper.rectification_notice(rect, local_today())
    return download(data, _("整改通知书-%(id)s.docx", id=rect.id), DOCX_MIME)


@bp.route("/interviews/<int:interview_id>/notice.docx")
@requires("interview.view", Interview)
def interview_notice_docx(interview: Interview) -> ResponseReturnValue:
    data = paper.interview_notice(interview, local_today())
    return download(data, _("约谈通知书-%(id)s.docx", id=interview.id), DOCX_MIME)


def home_section(user: Any) -> tuple[str, dict[str, Any]] | None:
    if not may(user, "home.tasks"):
        return None
    today = local_today()
    upcoming, missed = (
        upcoming_and_missed(user, today) if may(user, "visit.reminders") else ([], [])
    )
    visits = [*upcoming, *missed]
    counties = {c.id: c.name for c in db.session.scalars(select(County))}
    enterprises = enterprise_names(v.enterprise_id for v in visits)
    return "audits/home_section.html", {
        "r": queries.reminders(user, today),
        "today": today,
        "rules": rules,
        "upcoming": upcoming,
        "missed": missed,
        "county_names": counties,
        "enterprise_names": enterprises,
        "visit_kinds": KIND_LABELS,
    }
