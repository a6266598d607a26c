"""Quarterly visit pages: the plan, each visit's record, and the .ics calendars."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from audits import checklist, visits
from audits.models import Finding, Supervision, Visit
from audits.services import evidence_of
from audits.views import form_date
from audits.visit_service import (
    KIND_LABELS,
    STATUS_LABELS,
    calendar_bytes,
    coverage,
    coverage_by_visitor,
    quarter_days,
    record_visit,
    schedule_visits,
    unplaced_lines,
)
from bargaining.models import County, Enterprise
from bargaining.queries import enterprise_names
from core import audit_log
from core.clock import local_today
from core.db import db, utcnow
from core.hooks import hooks
from core.i18n import _
from core.models import User
from core.policy import may, requires, scope_of
from core.web import download

bp = Blueprint("visits", __name__)


def _quarter(text: str | None) -> visits.Quarter:
    if not text:
        return visits.Quarter.of(local_today())
    try:
        return visits.Quarter.parse(text)
    except visits.UserError:
        abort(404)


@bp.route("/visits")
@requires("visit.view")
def plan() -> ResponseReturnValue:
    quarter = _quarter(request.args.get("quarter"))
    stmt = select(Visit).where(Visit.quarter == str(quarter)).order_by(Visit.planned_on, Visit.id)
    scope = scope_of(current_user)
    stmt = scope.where(stmt, Visit.county_id)
    rows = list(db.session.scalars(stmt))
    counties = {c.id: c for c in db.session.scalars(select(County).order_by(County.sort_order))}
    enterprises = enterprise_names(v.enterprise_id for v in rows)
    users = {
        u.id: u.username
        for u in db.session.scalars(
            select(User).where(User.id.in_({v.visitor_id for v in rows if v.visitor_id}))
        )
    }
    cov = coverage(str(quarter))
    cov = {cid: c for cid, c in cov.items() if scope.sees_county(cid)}
    return render_template(
        "audits/visits.html",
        quarter=quarter,
        visits=rows,
        counties=counties,
        enterprises=enterprises,
        users=users,
        coverage=cov,
        by_visitor=coverage_by_visitor(str(quarter)) if scope.all_counties else [],
        known=quarter_days(quarter).known,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        today=local_today(),
        next_quarter=visits.Quarter.of(
            date(quarter.end.year + (quarter.q == 4), (quarter.end.month % 12) + 1, 1)
        ),
    )


@bp.route("/visits/plan", methods=["POST"])
@requires("visit.plan")
def make_plan() -> ResponseReturnValue:
    quarter = _quarter(request.form.get("quarter"))
    today = local_today()
    lagging = hooks().lagging_county_ids(today)
    result = schedule_visits(quarter, current_user, today, lagging)
    db.session.commit()
    flash(
        _(
            "%(quarter)s 走访计划已生成：新增 %(created)s，调整 %(moved)s，保留 %(kept)s，取消 %(cancelled)s",
            quarter=str(quarter),
            created=result.created,
            moved=result.moved,
            kept=result.kept,
            cancelled=result.cancelled,
        ),
        "success",
    )
    for line in unplaced_lines(result):
        flash(line, "warning")
    if not result.known_calendar:
        flash(
            _("%(year)s 年法定节假日尚未录入，本计划暂按周一至周五安排", year=quarter.year),
            "warning",
        )
    return redirect(url_for("visits.plan", quarter=str(quarter)))


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@requires("visit.view", Visit, write="visit.record")
def detail(visit: Visit) -> ResponseReturnValue:
    today = local_today()
    if request.method == "POST":
        fields = {
            "status": request.form.get("status"),
            "done_on": form_date("done_on"),
            "planned_on": form_date("planned_on"),
            "people_met": request.form.get("people_met", ""),
            "notes": request.form.get("notes", ""),
            "reason": request.form.get("reason", ""),
            "amendment_reason": request.form.get("amendment_reason", ""),
            "findings": [
                {"description": d, "severity": s}
                for d, s in zip(
                    request.form.getlist("finding_description"),
                    request.form.getlist("finding_severity"),
                    strict=False,
                )
                if d.strip()
            ],
        }
        files = [
            (f.filename, f.read()) for f in request.files.getlist("evidence") if f and f.filename
        ]
        new = record_visit(visit, current_user, fields, today, files)
        db.session.commit()
        flash(
            _("走访记录已保存，新发现问题 %(n)s 项已转入整改", n=len(new))
            if new
            else _("走访记录已保存"),
            "success",
        )
        return redirect(url_for("visits.detail", visit_id=visit.id))
    return _render(visit, today)


def _render(visit: Visit, today: date) -> str:
    findings = list(
        db.session.scalars(
            select(Finding).where(Finding.source == "visit", Finding.source_id == visit.id)
        )
    )
    return render_template(
        "audits/visit.html",
        v=visit,
        county=db.session.get(County, visit.county_id),
        ent=db.session.get(Enterprise, visit.enterprise_id) if visit.enterprise_id else None,
        visitor=db.session.get(User, visit.visitor_id),
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        editable=may(current_user, "visit.record", visit),
        findings=findings,
        severities=checklist.SEVERITY_LABELS,
        supervision=db.session.get(Supervision, visit.supervision_id)
        if visit.supervision_id
        else None,
        evidence=evidence_of("visit", visit.id),
        history=audit_log.history("visit", visit.id),
        today=today,
    )


def _ics(name: str, rows: list[Visit], filename: str) -> Response:
    return download(calendar_bytes(name, rows, utcnow()), filename, "text/calendar")


@bp.route("/visits/<quarter>/mine.ics")
@requires("visit.calendar_mine")
def my_calendar(quarter: str) -> ResponseReturnValue:
    q = _quarter(quarter)
    rows = list(
        db.session.scalars(
            select(Visit)
            .where(Visit.quarter == str(q), Visit.visitor_id == current_user.id)
            .order_by(Visit.planned_on)
        )
    )
    return _ics(
        _("%(quarter)s 我的走访 %(user)s", quarter=str(q), user=current_user.username),
        rows,
        f"visits-{q}-{current_user.username}.ics",
    )


@bp.route("/visits/<quarter>/city.ics")
@requires("visit.calendar_city")
def city_calendar(quarter: str) -> ResponseReturnValue:
    q = _quarter(quarter)
    rows = list(
        db.session.scalars(select(Visit).where(Visit.quarter == str(q)).order_by(Visit.planned_on))
    )
    return _ics(_("%(quarter)s 全市走访督查", quarter=str(q)), rows, f"visits-{q}-city.ics")
