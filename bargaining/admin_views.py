"""Admin screens of the register side: users (they belong to a county or an enterprise),
counties (pilot, K, minimum-wage tier) and the item catalogue. Views stay thin."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select

from bargaining import admin
from bargaining.admin import ITEM_KINDS
from bargaining.models import BargainingItem, County, Enterprise
from core import accounts, notify
from core.admin import AdminSection, add_admin_section
from core.db import db
from core.errors import UserError, submitted
from core.i18n import _, _l
from core.models import NotificationChannel, Role, User
from core.policy import requires
from core.rows import named
from core.settings import display_value, get_setting, set_setting
from core.web import listing

bp = Blueprint("admin_bargaining", __name__)

KIND_LABELS = {"baseline": _l("基础事项"), "expansion": _l("拓展事项"), "other": _l("其他")}


def _counties() -> list[County]:
    return list(db.session.scalars(select(County).order_by(County.sort_order)))


# ---------------------------------------------------------------------------- users


@bp.route("/admin/users")
@requires("admin.users")
def users() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    stmt = (
        select(named(User, "user"), named(County, "county"), named(Enterprise, "enterprise"))
        .outerjoin(County, County.id == User.county_id)
        .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
        .order_by(User.role, County.sort_order, User.username)
    )
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like))
        )
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    return listing(
        stmt,
        "admin/users.html",
        export_title=_l("用户"),
        headers=[
            _("用户名"),
            _("姓名"),
            _("角色"),
            _("县(市、区)"),
            _("企业"),
            _("邮箱"),
            _("状态"),
        ],
        export_row=lambda r: (
            r.user.username,
            r.user.display_name,
            Role(r.user.role).label,
            r.county.name.translated() if r.county else "",
            r.enterprise.name if r.enterprise else "",
            r.user.email,
            _("正常") if r.user.active else _("已停用"),
        ),
        q=q,
        role=role,
        roles=list(Role),
    )


USER_FIELDS = ("username", "display_name", "role", "county", "uscc", "email")


def _user_form(stored: dict[str, str]) -> dict[str, str]:
    """The user form's values: the stored ones, or those a refused POST submitted."""
    return {k: str(submitted(k, stored.get(k, ""))) for k in USER_FIELDS}


def _assignment() -> tuple[int | None, int | None]:
    """The county and enterprise the submitted role, county code and USCC name."""
    form = request.form
    return admin.resolve_assignment(
        form.get("role", ""), form.get("county", ""), form.get("uscc", "")
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires("admin.users")
def new_user() -> ResponseReturnValue:
    if request.method == "POST":
        county_id, enterprise_id = _assignment()
        user = accounts.create_user(
            current_user,
            request.form.get("username", ""),
            request.form.get("role", ""),
            request.form.get("password", ""),
            county_id=county_id,
            enterprise_id=enterprise_id,
            email=request.form.get("email", ""),
            display_name=request.form.get("display_name", ""),
        )
        db.session.commit()
        flash(_("已创建用户 %(name)s", name=user.username), "success")
        return redirect(url_for("admin_bargaining.edit_user", user_id=user.id))
    return render_template(
        "admin/user_form.html",
        form=_user_form({"role": Role.INSPECTOR.value}),
        counties=_counties(),
        roles=list(Role),
        user=None,
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.users", User)
def edit_user(user: User) -> ResponseReturnValue:
    if request.method == "POST":
        county_id, enterprise_id = _assignment()
        accounts.update_user(
            current_user,
            user,
            role=request.form.get("role", ""),
            county_id=county_id,
            enterprise_id=enterprise_id,
            email=request.form.get("email", ""),
            display_name=request.form.get("display_name", ""),
        )
        db.session.commit()
        flash(_("已保存"), "success")
        return redirect(url_for("admin_bargaining.edit_user", user_id=user.id))
    county = db.session.get(County, user.county_id) if user.county_id else None
    ent = db.session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
    stored = {
        "display_name": user.display_name,
        "role": user.role,
        "county": county.code if county else "",
        "uscc": ent.uscc if ent else "",
        "email": user.email,
    }
    return render_template(
        "admin/user_form.html",
        form={**_user_form(stored), "username": user.username},
        counties=_counties(),
        roles=list(Role),
        user=user,
        enterprise=ent,
    )


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@requires("admin.users", User)
def set_user_active(user: User) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    accounts.set_active(current_user, user, active)
    db.session.commit()
    flash(_("账号已启用") if active else _("账号已停用，其登录和 API 令牌已失效"), "success")
    return redirect(url_for("admin_bargaining.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@requires("admin.users", User)
def reset_password(user: User) -> ResponseReturnValue:
    accounts.reset_password(current_user, user, request.form.get("password", ""))
    db.session.commit()
    flash(_("密码已重置，其登录和 API 令牌已失效"), "success")
    return redirect(url_for("admin_bargaining.edit_user", user_id=user.id))


# ---------------------------------------------------------------------------- counties


@bp.route("/admin/counties", methods=["GET", "POST"])
@requires("admin.counties")
def counties() -> ResponseReturnValue:
    counties = _counties()
    if request.method == "POST":
        changed = 0
        if "tiers" in request.form:
            changed += set_setting(current_user, "min_wage_tiers", request.form["tiers"])
        for county in counties:
            prefix = f"c{county.id}_"
            if prefix + "k" not in request.form:
                continue
            try:
                k = int(request.form[prefix + "k"])
                tier = int(request.form[prefix + "tier"])
            except ValueError:
                raise UserError(_("%(county)s：K 和档次须为整数", county=county.name)) from None
            changed += admin.update_county(
                current_user,
                county,
                pilot=request.form.get(prefix + "pilot") == "1",
                required_items=k,
                min_wage_tier=tier,
                target_share=request.form.get(prefix + "share", ""),
            )
        db.session.commit()
        flash(_("已保存 %(n)s 项修改", n=changed), "success")
        return redirect(url_for("admin_bargaining.counties"))
    return render_template(
        "admin/counties.html",
        counties=counties,
        tiers=submitted("tiers", display_value("min_wage_tiers", get_setting("min_wage_tiers"))),
    )


# ---------------------------------------------------------------------------- catalogue


@bp.route("/admin/items", methods=["GET", "POST"])
@requires("admin.items")
def items() -> ResponseReturnValue:
    if request.method == "POST":
        item = admin.add_item(
            current_user,
            request.form.get("code", ""),
            request.form.get("name", ""),
            request.form.get("kind", ""),
        )
        db.session.commit()
        flash(_("已新增事项 %(code)s", code=item.code), "success")
        return redirect(url_for("admin_bargaining.items"))
    rows = list(
        db.session.scalars(
            select(BargainingItem).order_by(BargainingItem.kind, BargainingItem.code)
        )
    )
    return render_template(
        "admin/items.html", items=rows, kinds=ITEM_KINDS, kind_labels=KIND_LABELS
    )


@bp.route("/admin/items/<item_code>/active", methods=["POST"])
@requires("admin.items")
def set_item_active(item_code: str) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    admin.set_item_active(current_user, item_code, active)
    db.session.commit()
    flash(
        _("已恢复 %(code)s", code=item_code)
        if active
        else _("已停用 %(code)s（代码不复用）", code=item_code),
        "success",
    )
    return redirect(url_for("admin_bargaining.items"))


# ---------------------------------------------------------------------------- work groups


@bp.route("/admin/channels", methods=["GET", "POST"])
@requires("admin.channels")
def channels() -> ResponseReturnValue:
    counties = _counties()
    if request.method == "POST":
        code = request.form.get("county", "")
        county = next((c for c in counties if c.code == code), None)
        if code and county is None:
            raise UserError(_("未知的县(市、区)代码「%(code)s」", code=code))
        notify.add_channel(
            current_user,
            county.id if county else None,
            request.form.get("kind", ""),
            request.form.get("url", ""),
            request.form.get("secret", ""),
        )
        db.session.commit()
        flash(_("工作群已添加"), "success")
        return redirect(url_for("admin_bargaining.channels"))
    rows = list(
        db.session.scalars(
            select(NotificationChannel).order_by(
                NotificationChannel.county_id, NotificationChannel.id
            )
        )
    )
    return render_template(
        "admin/channels.html",
        channels=rows,
        counties=counties,
        county_by_id={c.id: c for c in counties},
    )


@bp.route("/admin/channels/<int:channel_id>/remove", methods=["POST"])
@requires("admin.channels", NotificationChannel)
def remove_channel(channel: NotificationChannel) -> ResponseReturnValue:
    notify.remove_channel(current_user, channel)
    db.session.commit()
    flash(_("工作群已停用"), "success")
    return redirect(url_for("admin_bargaining.channels"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_admin_section(
        app,
        AdminSection(
            "admin_bargaining.users", _l("用户"), _l("新建、停用、重置密码、角色、县与企业")
        ),
    )
    add_admin_section(
        app,
        AdminSection(
            "admin_bargaining.counties",
            _l("县(市、区)与最低工资"),
            _l("试点县、拓展事项数 K、最低工资档次"),
        ),
    )
    add_admin_section(
        app,
        AdminSection("admin_bargaining.items", _l("协商事项目录"), _l("新增、停用；代码不复用")),
    )
