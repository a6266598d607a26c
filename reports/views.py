"""City and county dashboards, the half-year review and on-site supervision. Views stay thin."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from audits import rectification_rules as rules
from audits.models import Supervision
from audits.views import form_date
from bargaining.cells import CellProblem, parse_date
from bargaining.models import County, Enterprise
from core import audit_log
from core.auth import allow, ensure_county
from core.clock import local_today
from core.db import db
from core.models import Role
from core.web import page_number, xlsx_response
from core.xlsx import table_workbook
from reports import queries, review
from reports.dashboard import KPI_HEADERS, PERCENT_KEYS, city_dashboard, kpi_text
from reports.services import SupervisionRefused, plan_supervision, record_supervision
from reports.targets import expansion_items_by_enterprise

bp = Blueprint("reports", __name__)
bp.add_app_template_global(kpi_text)
LEADERS = (Role.CITY, Role.ADMIN)


def _as_of() -> date:
    text = request.args.get("date", "").strip()
    if not text:
        return local_today()
    try:
        return parse_date(text)
    except CellProblem:
        flash(f"日期「{text}」无法识别，已显示今天的数据", "warning")
        return local_today()


def _kpi_cells(values: dict[str, Any]) -> list[Any]:
    return [values.get(key) if key != "name" else None for key, _ in KPI_HEADERS]


def _export_rows(rows: list[Any], total: Any) -> list[list[Any]]:
    out = []
    for row in [*rows, total]:
        cells = []
        for key, _ in KPI_HEADERS:
            value = row.name if key == "name" else row.values.get(key)
            if key in PERCENT_KEYS and value is not None:
                value = round(value * 100, 1)
            cells.append(value)
        out.append(cells)
    return out


@bp.route("/dashboard")
@allow(*LEADERS)
def city():  # type: ignore[no-untyped-def]
    day = _as_of()
    export = request.args.get("export") == "xlsx"
    data = city_dashboard(day, with_charts=not export)
    if export:
        headers = [label + ("(%)" if key in PERCENT_KEYS else "") for key, label in KPI_HEADERS]
        return xlsx_response(
            table_workbook(
                f"全市看板{day.isoformat()}", headers, _export_rows(data.rows, data.total)
            ),
            f"全市看板-{day.isoformat()}.xlsx",
        )
    supervisions = list(
        db.session.scalars(select(Supervision).order_by(Supervision.planned_on.desc()).limit(20))
    )
    names = {c.id: c.name for c in db.session.scalars(select(County))}
    return render_template(
        "reports/city.html",
        d=data,
        headers=KPI_HEADERS,
        percent=PERCENT_KEYS,
        supervisions=supervisions,
        county_names=names,
        today=local_today(),
    )


@bp.route("/dashboard/<code>")
@allow(Role.INSPECTOR, Role.CITY, Role.ADMIN)
def county(code: str):  # type: ignore[no-untyped-def]
    county = db.session.scalars(select(County).where(County.code == code.upper())).first()
    if county is None:
        abort(404)
    ensure_county(current_user, county.id)
    day = _as_of()
    export = request.args.get("export")
    data = city_dashboard(day, with_charts=False)
    row = next(r for r in data.rows if r.code == county.code)
    register = queries.load_register()
    items = expansion_items_by_enterprise(register.contracts, register.expansion_codes, day)
    enterprises = db.session.scalars(
        select(Enterprise)
        .where(Enterprise.county_id == county.id, Enterprise.has_union, Enterprise.above_scale)
        .order_by(Enterprise.name)
    ).all()
    overdue = queries.overdue_rectifications(county.id, day)
    ent_rows = [
        (
            e,
            len(items.get(e.id, ())),
            max(0, county.required_items - len(items.get(e.id, ()))),
            e.id in items,
            sorted(items.get(e.id, ())),
        )
        for e in enterprises
    ]
    only_missing = request.args.get("missing") == "1"
    if only_missing:
        ent_rows = [r for r in ent_rows if r[2] > 0]
    if export == "enterprises":
        headers = (
            "统一社会信用代码",
            "企业名称",
            "行业",
            "有效合同",
            "拓展事项数",
            "还差几项",
            "拓展事项",
        )
        rows = [
            (e.uscc, e.name, e.industry, "是" if has else "否", n, missing, " ".join(codes))
            for e, n, missing, has, codes in ent_rows
        ]
        return xlsx_response(
            table_workbook(f"{county.name}企业", headers, rows),
            f"{county.name}-企业拓展情况-{day.isoformat()}.xlsx",
        )
    if export == "overdue":
        headers = ("整改编号", "企业", "问题", "期限", "逾期天数", "状态")
        rows = [
            (
                r.id,
                name or "",
                f.description,
                r.deadline,
                (day - r.deadline).days,
                rules.STATUS_LABELS[r.status],
            )
            for r, f, name in overdue
        ]
        return xlsx_response(
            table_workbook(f"{county.name}逾期整改", headers, rows),
            f"{county.name}-逾期整改-{day.isoformat()}.xlsx",
        )
    if export == "xlsx":
        headers = [label + ("(%)" if key in PERCENT_KEYS else "") for key, label in KPI_HEADERS]
        return xlsx_response(
            table_workbook(county.name, headers, _export_rows([row], row)[:1]),
            f"{county.name}-看板-{day.isoformat()}.xlsx",
        )
    size = 100
    page = page_number()
    history = queries.snapshot_history(day).get(county.id, [])
    target = next(t for t in data.targets if t.county == county.code)
    from reports import charts

    trend = charts.trend(
        {county.name: [*history, *([(day, target.rate)] if target.rate is not None else [])]},
        queries.start_rates(register).get(county.id),
        f"{county.name}月度走势对照进度线",
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
@allow(Role.CITY)
def supervision_plan():  # type: ignore[no-untyped-def]
    code = request.form.get("county", "")
    county = db.session.scalars(select(County).where(County.code == code.upper())).first()
    if county is None:
        abort(404)
    try:
        planned_on = (
            parse_date(request.form.get("planned_on", ""))
            if request.form.get("planned_on")
            else local_today()
        )
        supervision = plan_supervision(
            county.id, planned_on, request.form.get("reason", ""), current_user
        )
        db.session.commit()
    except (SupervisionRefused, CellProblem) as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("reports.city"))
    flash(f"已安排对{county.name}的现场督导", "success")
    return redirect(url_for("reports.supervision_detail", supervision_id=supervision.id))


@bp.route("/supervision/<int:supervision_id>", methods=["GET", "POST"])
@allow(Role.INSPECTOR, Role.CITY, Role.ADMIN)
def supervision_detail(supervision_id: int):  # type: ignore[no-untyped-def]
    supervision = db.session.get(Supervision, supervision_id)
    if supervision is None:
        abort(404)
    ensure_county(current_user, supervision.county_id)
    if request.method == "POST":
        try:
            fields = {
                "held_on": form_date("held_on"),
                "participants": request.form.get("participants", ""),
                "problems": request.form.get("problems", ""),
                "measures": request.form.get("measures", ""),
                "follow_up_on": form_date("follow_up_on"),
            }
            record_supervision(supervision, current_user, fields, local_today())
            db.session.commit()
        except SupervisionRefused as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return _render_supervision(supervision), exc.status
        flash("督导记录已保存", "success")
        return redirect(url_for("reports.supervision_detail", supervision_id=supervision.id))
    return _render_supervision(supervision)


def _render_supervision(supervision: Supervision) -> str:
    return render_template(
        "reports/supervision.html",
        s=supervision,
        county=db.session.get(County, supervision.county_id),
        editable=current_user.role == Role.CITY,
        history=audit_log.history("supervision", supervision.id),
    )


# ---------------------------------------------------------------------------- half-year review


@bp.route("/review")
@bp.route("/review/<half>")
@allow(*LEADERS)
def review_page(half: str | None = None):  # type: ignore[no-untyped-def]
    try:
        period = review.Half.parse(half) if half else review.Half.last_complete(local_today())
    except review.ReviewProblem as exc:
        flash(exc.message, "danger")
        return redirect(url_for("reports.review_page"))
    if request.args.get("export") == "xlsx":
        return xlsx_response(review.review_workbook(period), f"半年复盘讲评-{period}.xlsx")
    return render_template(
        "reports/review.html",
        r=review.build_review(period),
        percent=PERCENT_KEYS,
        headers=KPI_HEADERS,
    )


def home_section(user: Any) -> tuple[str, dict[str, Any]] | None:
    if user.role not in LEADERS:
        return None
    rows = queries.county_targets(local_today())
    from reports.services import lagging_counties

    behind, worst = lagging_counties(rows)
    return "reports/home_section.html", {"rows": rows, "behind": behind, "worst": worst}
