"""City and county dashboards, the half-year review and on-site supervision. Views stay thin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from audits import rectification_rules as rules
from audits.models import Supervision, Visit
from audits.supervisions import open_supervision, plan_supervision, record_supervision
from audits.views import form_date
from bargaining.cells import parse_date
from bargaining.models import County
from core import audit_log
from core.clock import local_today
from core.db import db
from core.errors import UserError
from core.i18n import Msg, _, tr
from core.paper import DOCX_MIME
from core.policy import may, requires, scope_of
from core.web import download, page_number, xlsx_response
from core.xlsx import table_workbook
from reports import fragments, queries, review, review_paper
from reports.dashboard import (
    KPI_HEADERS,
    PERCENT_KEYS,
    city_dashboard,
    enterprise_progress,
    kpi_text,
)

bp = Blueprint("reports", __name__)
bp.add_app_template_global(kpi_text)


def _as_of() -> date:
    text = request.args.get("date", "").strip()
    if not text:
        return local_today()
    try:
        return parse_date(text)
    except UserError:
        flash(_("日期「%(text)s」无法识别，已显示今天的数据", text=text), "warning")
        return local_today()


def _export_headers() -> list[str]:
    return [str(label) + ("(%)" if key in PERCENT_KEYS else "") for key, label in KPI_HEADERS]


def _export_rows(rows: list[Any], total: Any) -> list[list[Any]]:
    out = []
    for row in [*rows, total]:
        cells = []
        for key, _label in KPI_HEADERS:
            value = row.name if key == "name" else row.values.get(key)
            if key in PERCENT_KEYS and value is not None:
                value = round(value * 100, 1)
            cells.append(value)
        out.append(cells)
    return out


@bp.route("/dashboard")
@requires("dashboard.city")
def city() -> ResponseReturnValue:
    day = _as_of()
    export = request.args.get("export") == "xlsx"
    if export:
        data = city_dashboard(day, with_charts=False)
        headers = _export_headers()
        return xlsx_response(
            table_workbook(
                _("全市看板%(date)s", date=day.isoformat()),
                headers,
                _export_rows(data.rows, data.total),
            ),
            _("全市看板-%(date)s.xlsx", date=day.isoformat()),
        )
    return render_template("reports/city.html", day=day, body=_city_body(day))


def _city_body(day: date) -> Markup:
    """The table, charts and supervision list: the same for every city and admin user, so
    rendered once per change of the data (every write lands in the change stamp's audit log)."""
    stamp = queries.change_stamp()

    def context() -> dict[str, Any]:
        return {
            "d": city_dashboard(day, stamp=stamp),
            "headers": KPI_HEADERS,
            "percent": PERCENT_KEYS,
            "supervisions": list(
                db.session.scalars(
                    select(Supervision).order_by(Supervision.planned_on.desc()).limit(20)
                )
            ),
            "county_names": {c.id: c.name for c in db.session.scalars(select(County))},
        }

    return fragments.render_cached("reports/_city_body.html", ("city", stamp, day), context)


@bp.route("/dashboard/<code>")
@requires("dashboard.county")
def county(code: str) -> ResponseReturnValue:
    county = scope_of(current_user).check(
        db.session.scalars(select(County).where(County.code == code.upper())).first()
    )
    day = _as_of()
    export = request.args.get("export")
    data = city_dashboard(day, with_charts=False)
    row = next(r for r in data.rows if r.code == county.code)
    overdue = queries.overdue_rectifications(county.id, day)
    ent_rows = enterprise_progress(county, day)
    only_missing = request.args.get("missing") == "1"
    if only_missing:
        ent_rows = [r for r in ent_rows if r.missing > 0]
    if export == "enterprises":
        headers: Sequence[str] = (
            _("统一社会信用代码"),
            _("企业名称"),
            _("行业"),
            _("有效合同"),
            _("拓展事项数"),
            _("还差几项"),
            _("拓展事项"),
        )
        rows = [
            (
                r.enterprise.uscc,
                r.enterprise.name,
                r.enterprise.industry,
                _("是") if r.covered else _("否"),
                r.items,
                r.missing,
                " ".join(r.codes),
            )
            for r in ent_rows
        ]
        return xlsx_response(
            table_workbook(_("%(county)s企业", county=county.name), headers, rows),
            _("%(county)s-企业拓展情况-%(date)s.xlsx", county=county.name, date=day.isoformat()),
        )
    if export == "overdue":
        headers = (_("整改编号"), _("企业"), _("问题"), _("期限"), _("逾期天数"), _("状态"))
        overdue_rows = [
            (
                r.rect.id,
                r.enterprise_name or "",
                tr(r.finding.description),
                r.rect.deadline,
                (day - r.rect.deadline).days,
                str(rules.STATUS_LABELS[r.rect.status]),
            )
            for r in overdue
        ]
        return xlsx_response(
            table_workbook(_("%(county)s逾期整改", county=county.name), headers, overdue_rows),
            _("%(county)s-逾期整改-%(date)s.xlsx", county=county.name, date=day.isoformat()),
        )
    if export == "xlsx":
        headers = _export_headers()
        return xlsx_response(
            table_workbook(county.name, headers, _export_rows([row], row)[:1]),
            _("%(county)s-看板-%(date)s.xlsx", county=county.name, date=day.isoformat()),
        )
    size = 100
    page = page_number()
    history = queries.snapshot_history(day).get(county.id, [])
    target = next(t for t in data.targets if t.county == county.code)
    from reports import charts

    trend = charts.trend(
        {county.name: [*history, *([(day, target.rate)] if target.rate is not None else [])]},
        queries.start_rates(queries.load_counties()).get(county.id),
        _("%(county)s月度走势对照进度线", county=county.name),
    )
    return render_template(
        "reports/county.html",
        county=county,
        row=row,
        target=target,
        d=data,
        headers=KPI_HEADERS,
        percent=PERCENT_KEYS,
        enterprises=ent_rows[(page - 1) * size : page * size],
        total=len(ent_rows),
        page=page,
        page_size=size,
        only_missing=only_missing,
        overdue=overdue,
        today=day,
        charts={
            "trend": trend,
            "items": charts.item_popularity(queries.item_popularity(day, county.id)),
        },
        supervisions=list(
            db.session.scalars(
                select(Supervision)
                .where(Supervision.county_id == county.id)
                .order_by(Supervision.planned_on.desc())
            )
        ),
    )


# ---------------------------------------------------------------------------- supervision


@bp.route("/supervision", methods=["POST"])
@requires("supervision.plan")
def supervision_plan() -> ResponseReturnValue:
    code = request.form.get("county", "")
    county = db.session.scalars(select(County).where(County.code == code.upper())).first()
    if county is None:
        abort(404)
    existing = open_supervision(county.id)
    if existing is not None:  # planning it again says so instead of adding another
        flash(
            _(
                "%(county)s已有待督导的现场督导（计划 %(day)s），未重复安排",
                county=county.name,
                day=existing.planned_on.isoformat(),
            ),
            "warning",
        )
        return redirect(url_for("reports.supervision_detail", supervision_id=existing.id))
    planned_on = form_date("planned_on") or local_today()
    reason = request.form.get("reason", "").strip() or _lagging_reason(county.code)
    supervision = plan_supervision(county.id, planned_on, reason, current_user)
    db.session.commit()
    flash(_("已安排对%(county)s的现场督导", county=county.name), "success")
    return redirect(url_for("reports.supervision_detail", supervision_id=supervision.id))


def _lagging_reason(code: str) -> Msg:
    """Why the city plans this supervision: the county's rate and gap today, stored as a Msg
    so that each reader sees it in their own language."""
    row = next(r for r in city_dashboard(local_today(), with_charts=False).rows if r.code == code)
    return Msg(
        "达标率 %(rate)s，落后进度线 %(gap)s",
        rate=kpi_text("rate", row.values["rate"]).striptags(),
        gap=kpi_text("gap", row.values["gap"]).striptags(),
    )


@bp.route("/supervision/<int:supervision_id>", methods=["GET", "POST"])
@requires("supervision.view", Supervision, write="supervision.record")
def supervision_detail(supervision: Supervision) -> ResponseReturnValue:
    if request.method == "POST":
        fields = {
            "held_on": form_date("held_on"),
            "participants": request.form.get("participants", ""),
            "problems": request.form.get("problems", ""),
            "measures": request.form.get("measures", ""),
            "follow_up_on": form_date("follow_up_on"),
            "amendment_reason": request.form.get("amendment_reason", ""),
        }
        record_supervision(supervision, current_user, fields, local_today())
        db.session.commit()
        flash(_("督导记录已保存"), "success")
        return redirect(url_for("reports.supervision_detail", supervision_id=supervision.id))
    return _render_supervision(supervision)


def _render_supervision(supervision: Supervision) -> str:
    return render_template(
        "reports/supervision.html",
        s=supervision,
        county=db.session.get(County, supervision.county_id),
        editable=may(current_user, "supervision.record", supervision),
        history=audit_log.history("supervision", supervision.id),
        visit=db.session.scalars(
            select(Visit).where(Visit.supervision_id == supervision.id).order_by(Visit.id)
        ).first(),
    )


# ---------------------------------------------------------------------------- half-year review


@bp.route("/review")
@bp.route("/review/<half>")
@requires("review.view")
def review_page(half: str | None = None) -> ResponseReturnValue:
    try:
        period = review.Half.parse(half) if half else review.Half.last_complete(local_today())
    except review.UserError as exc:
        abort(400, description=tr(exc.message))
    if request.args.get("export") == "xlsx":
        return xlsx_response(
            review.review_workbook(period), _("半年复盘讲评-%(half)s.xlsx", half=str(period))
        )
    if request.args.get("export") == "docx":
        return download(
            review_paper.review_docx(period, local_today()),
            _("半年复盘讲评-%(half)s.docx", half=str(period)),
            DOCX_MIME,
        )
    current = review.Half(local_today().year, 1 if local_today().month <= 6 else 2)
    following = review.Half(period.year + period.half // 2, 2 if period.half == 1 else 1)
    return render_template(
        "reports/review.html",
        r=review.build_review(period),
        percent=PERCENT_KEYS,
        headers=KPI_HEADERS,
        comments=review_paper.review_comments(period),
        counties=db.session.scalars(select(County).order_by(County.sort_order)).all(),
        next_half=following
        if (following.year, following.half) <= (current.year, current.half)
        else None,
        may_comment=may(current_user, "review.comment"),
    )


@bp.route("/review/<half>/comments", methods=["POST"])
@requires("review.comment")
def review_comments(half: str) -> ResponseReturnValue:
    period = review.Half.parse(half)
    texts = {
        int(key[len("comment_") :]): value
        for key, value in request.form.items()
        if key.startswith("comment_") and key[len("comment_") :].isdigit()
    }
    changed = review_paper.save_review_comments(current_user, period, texts)
    db.session.commit()
    flash(_("已保存 %(n)s 条讲评", n=changed), "success")
    return redirect(url_for("reports.review_page", half=str(period)) + "#commentary")


def home_section(user: Any) -> tuple[str, dict[str, Any]] | None:
    if not may(user, "dashboard.city"):
        return None
    rows = queries.county_targets(local_today())
    from reports.services import lagging_counties

    behind, worst = lagging_counties(rows)
    return "reports/home_section.html", {"rows": rows, "behind": behind, "worst": worst}
