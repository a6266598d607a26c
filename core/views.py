"""Login, logout, the language switch and each role's home page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from core import audit_log
from core.auth import check_credentials, end_sessions, public
from core.db import db
from core.forms import EmptyForm, LoginForm
from core.hooks import hooks
from core.i18n import SUPPORTED, _
from core.models import User
from core.policy import requires
from core.security import login_attempt, login_succeeded

bp = Blueprint("core", __name__)


def _too_many_logins() -> str:
    """The answer when the login limit is hit, in the reader's language."""
    return _("登录尝试过于频繁，请稍后再试")


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("core.home")
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return url_for("core.home")  # a header cannot carry control characters (CR LF …)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("core.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        attempt = login_attempt(username)
        if attempt is None:  # the limit is counted in the database: it holds across workers
            flash(_too_many_logins(), "danger")
            return render_template("core/login.html", form=form), 429
        user = db.session.scalars(select(User).where(User.username == username)).first()
        if check_credentials(user, form.password.data) and user is not None:
            login_succeeded(attempt)
            login_user(user)
            audit_log.record(user, "login", "user", user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit_log.record(
            user,
            "login_failed",
            "user",
            user.id if user else None,
            after={"username": form.username.data.strip()[:64], "address": request.remote_addr},
        )
        db.session.commit()
        flash(_("用户名或密码错误"), "danger")
        return render_template("core/login.html", form=form), 401
    return render_template("core/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("session.logout")
def logout() -> ResponseReturnValue:
    form = EmptyForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        end_sessions(user, user, tokens=False)  # a cookie copied before is dead now
        db.session.commit()
        logout_user()
        flash(_("已退出登录"), "info")
    return redirect(url_for("core.login"))


@bp.route("/lang/<code>")
@public
def set_language(code: str) -> ResponseReturnValue:
    if code in SUPPORTED:
        session["lang"] = code
    return redirect(_safe_next(request.referrer and urlsplit(request.referrer).path))


@bp.route("/")
@requires("home.view")
def home() -> ResponseReturnValue:
    """Each domain adds its section (tasks, deadlines, reminders) with :func:`add_home_section`."""
    sections = [section(current_user) for section in hooks().home_sections]
    return render_template("core/home.html", sections=[s for s in sections if s])


def add_home_section(
    app: Flask, section: Callable[[User], tuple[str, dict[str, Any]] | None]
) -> None:
    """Register ``section(user) -> (template, context)`` to be shown on the home page."""
    hooks(app).home_sections.append(section)
