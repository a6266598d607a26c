"""`/notifications` (everyone: the in-app list, mark read, immediate or digest per channel),
the bell in the top bar, and the admin's delivery log."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from core import notify
from core.admin import AdminSection, add_admin_section
from core.db import db, utcnow
from core.i18n import _, _l
from core.models import Notification, NotificationChannel, User
from core.policy import may, requires
from core.rows import named
from core.web import listing

bp = Blueprint("notifications", __name__)

STATUS_LABELS = {
    "pending": _l("待发送"),
    "sent": _l("已发送"),
    "failed": _l("失败，待重试"),
    "dead": _l("多次失败，已放弃"),
    "skipped": _l("已跳过"),
}
CHANNEL_LABELS = {
    notify.INAPP: _l("站内"),
    notify.EMAIL: _l("电子邮件"),
    notify.WECOM: _l("企业微信群"),
    notify.DINGTALK: _l("钉钉群"),
}


@bp.route("/notifications")
@requires("notify.inbox")
def inbox() -> ResponseReturnValue:
    return listing(
        notify.inbox_query(current_user),
        "core/notifications.html",
        export_title=_l("通知"),
        headers=[_("时间"), _("内容"), _("已读")],
        export_row=lambda r: (
            r.notification.created_at.isoformat(timespec="minutes"),
            str(r.notification.subject),
            _("是") if r.notification.read_at else _("否"),
        ),
        prefs=notify.preferences(current_user),
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/notifications/read", methods=["POST"])
@requires("notify.read")
def mark_read() -> ResponseReturnValue:
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    notify.mark_read(current_user, utcnow(), ids or None)
    db.session.commit()
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("notifications.inbox"))


@bp.route("/notifications/preferences", methods=["POST"])
@requires("notify.settings")
def preferences() -> ResponseReturnValue:
    notify.set_preferences(
        current_user,
        {ch: request.form.get(ch) == "digest" for ch in notify.USER_CHANNELS},
    )
    db.session.commit()
    flash(_("通知方式已保存"), "success")
    return redirect(url_for("notifications.inbox"))


@bp.route("/admin/deliveries")
@requires("admin.deliveries")
def deliveries() -> ResponseReturnValue:
    status = request.args.get("status", "")
    stmt = (
        select(
            named(Notification, "notification"),
            User.username.label("username"),
            named(NotificationChannel, "channel"),
        )
        .outerjoin(User, User.id == Notification.user_id)
        .outerjoin(NotificationChannel, NotificationChannel.id == Notification.channel_id)
        .where(Notification.channel != notify.INAPP)
        .order_by(Notification.id.desc())
    )
    if status in STATUS_LABELS:
        stmt = stmt.where(Notification.status == status)
    return listing(
        stmt,
        "admin/deliveries.html",
        export_title=_l("发送记录"),
        headers=[_("时间"), _("渠道"), _("收件人"), _("内容"), _("状态"), _("尝试次数"), _("错误")],
        export_row=lambda r: (
            r.notification.created_at.isoformat(timespec="minutes"),
            str(CHANNEL_LABELS.get(r.notification.channel, r.notification.channel)),
            r.username or r.notification.recipient,
            str(r.notification.subject),
            str(STATUS_LABELS.get(r.notification.status, r.notification.status)),
            r.notification.attempts,
            r.notification.last_error,
        ),
        status=status,
        status_labels=STATUS_LABELS,
        channel_labels=CHANNEL_LABELS,
    )


def admin_home_section(user: User) -> tuple[str, dict[str, object]] | None:
    """The admin's home: where to administer, and deliveries that keep failing."""
    if not may(user, "admin.view"):
        return None
    failing = (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.status.in_(("failed", "dead")))
        )
        or 0
    )
    return "admin/home_section.html", {"failing": failing}


def _unread() -> int:
    if not current_user.is_authenticated:
        return 0
    return notify.unread_count(current_user)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["unread_notifications"] = _unread
    from core.views import add_home_section

    add_home_section(app, admin_home_section)
    add_admin_section(
        app,
        AdminSection(
            "notifications.deliveries", _l("发送记录"), _l("邮件与工作群消息的发送、失败与重试")
        ),
    )
