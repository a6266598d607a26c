"""`/admin` (admin only): the index of every administration screen, settings and API tokens;
`/account/password` for everyone. Higher layers add their screens with
:func:`add_admin_section` (users and counties in bargaining, holidays in audits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user
from sqlalchemy import select

from core import accounts
from core.clock import LOCAL_TZ
from core.db import db
from core.errors import UserError, refused_field, submitted
from core.i18n import _, _l
from core.models import ApiToken, Setting
from core.policy import requires
from core.settings import DEFAULTS, display_value, get_setting, set_setting

bp = Blueprint("admin", __name__)


@dataclass(frozen=True)
class AdminSection:
    """One screen listed on `/admin`: its endpoint, title and a line saying what it holds."""

    endpoint: str
    title: Any
    description: Any


def add_admin_section(app: Flask, section: AdminSection) -> None:
    app.extensions.setdefault("admin_sections", []).append(section)


def admin_sections() -> list[AdminSection]:
    return list(current_app.extensions.get("admin_sections", []))


@bp.route("/admin")
@requires("admin.view")
def index() -> ResponseReturnValue:
    return render_template("admin/index.html", sections=admin_sections())


# ---------------------------------------------------------------------------- settings


@bp.route("/admin/settings", methods=["GET", "POST"])
@requires("admin.settings")
def settings() -> ResponseReturnValue:
    if request.method == "POST":
        changed = 0
        errors: dict[str, str] = {}
        for key in DEFAULTS:
            if key not in request.form:
                continue
            try:
                changed += set_setting(current_user, key, request.form[key])
            except UserError as exc:
                errors[key] = exc.message
        if errors:
            raise UserError(_("有 %(n)s 项设置未通过校验，均未保存", n=len(errors)), fields=errors)
        db.session.commit()
        flash(_("已保存 %(n)s 项设置", n=changed), "success")
        return redirect(url_for("admin.settings"))
    stored = {s.key: s for s in db.session.scalars(select(Setting))}
    rows = [
        {
            "key": key,
            "label": label,
            "value": submitted(key, display_value(key, get_setting(key))),
            "default": display_value(key, default),
            "error": refused_field(key),
            "stored": key in stored,
        }
        for key, (default, label) in DEFAULTS.items()
    ]
    return render_template("admin/settings.html", rows=rows)


# ---------------------------------------------------------------------------- API tokens


@bp.route("/admin/tokens")
@requires("admin.tokens")
def tokens() -> ResponseReturnValue:
    return render_template("admin/tokens.html", tokens=accounts.tokens())


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("admin.tokens", ApiToken)
def revoke_token(token: ApiToken) -> ResponseReturnValue:
    accounts.revoke_token(current_user, token)
    db.session.commit()
    flash(_("令牌已吊销"), "success")
    return redirect(url_for("admin.tokens"))


@bp.route("/admin/tokens/<int:token_id>/expire", methods=["POST"])
@requires("admin.tokens", ApiToken)
def expire_token(token: ApiToken) -> ResponseReturnValue:
    try:
        day = datetime.strptime(request.form.get("expires_on", "").strip(), "%Y-%m-%d").date()
    except ValueError:
        raise UserError(_("请输入 YYYY-MM-DD 格式的日期")) from None
    # the end of that day in Beijing time
    accounts.expire_token(current_user, token, datetime.combine(day, time.max, LOCAL_TZ))
    db.session.commit()
    flash(_("令牌将于 %(day)s 24:00 失效", day=day.isoformat()), "success")
    return redirect(url_for("admin.tokens"))


# ---------------------------------------------------------------------------- own password


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account.password")
def change_password() -> ResponseReturnValue:
    if request.method == "POST":
        user = current_user._get_current_object()
        accounts.change_own_password(
            user,
            request.form.get("current", ""),
            request.form.get("new", ""),
            request.form.get("repeat", ""),
        )
        db.session.commit()
        login_user(user)  # this session goes on under the new epoch; every other one ended
        flash(_("密码已修改；其他设备上的登录和 API 令牌已失效"), "success")
        return redirect(url_for("core.home"))
    return render_template("admin/password.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["admin_sections"] = admin_sections
    add_admin_section(app, AdminSection("admin.settings", _l("系统设置"), _l("规则参数，逐项校验")))
    add_admin_section(
        app, AdminSection("admin.tokens", _l("API 令牌"), _l("查看、设定失效日期、吊销"))
    )
