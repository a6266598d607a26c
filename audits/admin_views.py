"""Admin screen for holidays per year (SPEC §3 Administration, §7)."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from audits.holidays import enter_holiday, remove_calendar_day, year_calendar
from audits.visit_service import mark_year_complete
from bargaining.cells import parse_date
from core.admin import AdminSection, add_admin_section
from core.clock import local_today
from core.db import db
from core.i18n import _, _l
from core.policy import requires

bp = Blueprint("admin_audits", __name__)


def _year() -> int:
    try:
        year = int(request.values.get("year", ""))
    except ValueError:
        year = local_today().year + 1
    return min(max(year, 2000), 2100)


@bp.route("/admin/holidays", methods=["GET", "POST"])
@requires("calendar.edit")
def holidays() -> ResponseReturnValue:
    if request.method == "POST":
        start = parse_date(request.form.get("start", ""))
        end = parse_date(request.form.get("end", "") or request.form.get("start", ""))
        workdays = [
            parse_date(text)
            for text in re.split(r"[\s,，、;；]+", request.form.get("workdays", ""))
            if text
        ]
        off, worked = enter_holiday(
            current_user, request.form.get("name", ""), start, end, workdays
        )
        db.session.commit()
        flash(_("已录入 %(off)s 天放假、%(worked)s 天调休上班", off=off, worked=worked), "success")
        return redirect(url_for("admin_audits.holidays", year=start.year))
    return render_template("admin/holidays.html", cal=year_calendar(_year()))


@bp.route("/admin/holidays/remove", methods=["POST"])
@requires("calendar.edit")
def remove_holiday() -> ResponseReturnValue:
    day = parse_date(request.form.get("day", ""))
    remove_calendar_day(current_user, day)
    db.session.commit()
    flash(_("已删除 %(day)s", day=day.isoformat()), "success")
    return redirect(url_for("admin_audits.holidays", year=day.year))


@bp.route("/admin/holidays/complete", methods=["POST"])
@requires("calendar.edit")
def complete_year() -> ResponseReturnValue:
    year = _year()
    mark_year_complete(year, current_user)
    db.session.commit()
    flash(
        _("%(year)s 年节假日已标记为录入完整；请重新生成该年各季度的走访计划", year=year),
        "success",
    )
    return redirect(url_for("admin_audits.holidays", year=year))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_admin_section(
        app,
        AdminSection(
            "admin_audits.holidays",
            _l("节假日"),
            _l("按年录入国务院节假日安排，走访计划据此避开"),
        ),
    )
