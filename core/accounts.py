"""Users and API tokens as the admin keeps them (SPEC §3 Administration).

Services take the acting user, flush and write the audit log; the request commits once.
Disabling a user or changing a password ends their sessions and API tokens
(:func:`core.auth.end_sessions`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core import audit_log
from core.auth import end_sessions, hash_password, verify_password
from core.db import db
from core.errors import UserError
from core.i18n import Msg, _
from core.models import ApiToken, Role, User

MIN_PASSWORD = 8
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(_("密码至少 %(n)s 位", n=MIN_PASSWORD))


def check_email(email: str) -> str:
    email = (email or "").strip()
    if email and not EMAIL.match(email):
        raise UserError(_("电子邮箱格式不正确：%(email)s", email=email))
    return email


def check_assignment(role: str, county_id: int | None, enterprise_id: int | None) -> None:
    """Inspectors belong to a county, clerks to an enterprise, city and admin to neither."""
    if role not in {r.value for r in Role}:
        raise UserError(_("未知的角色：%(role)s", role=role))
    if role == Role.INSPECTOR and county_id is None:
        raise UserError(_("县级指导员须指定县(市、区)"))
    if role == Role.ENTERPRISE and enterprise_id is None:
        raise UserError(_("企业经办人须指定企业（统一社会信用代码）"))
    if role in (Role.CITY, Role.ADMIN) and (county_id or enterprise_id):
        raise UserError(_("市总工会和管理员账号不指定县或企业"))


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "county_id": user.county_id,
        "enterprise_id": user.enterprise_id,
        "email": user.email,
        "active": user.active,
    }


def create_user(
    actor: User | None,
    username: str,
    role: str,
    password: str,
    *,
    county_id: int | None = None,
    enterprise_id: int | None = None,
    email: str = "",
    display_name: str = "",
) -> User:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise UserError(_("用户名须为 2–64 位字母、数字或 _ . @ -"))
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise UserError(_("用户名「%(name)s」已存在", name=username))
    check_password(password)
    check_assignment(role, county_id, enterprise_id)
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        password_hash=hash_password(password),
        role=role,
        county_id=county_id,
        enterprise_id=enterprise_id,
        email=check_email(email),
    )
    db.session.add(user)
    db.session.flush()
    audit_log.record(
        actor, "create", "user", user.id, after=_snapshot(user), summary=Msg("新建用户")
    )
    return user


def update_user(
    actor: User,
    user: User,
    *,
    role: str,
    county_id: int | None,
    enterprise_id: int | None,
    email: str,
    display_name: str,
) -> None:
    """Change role, county, enterprise, e-mail and name; a change of role or scope also ends
    the user's sessions (what they may see changed)."""
    check_assignment(role, county_id, enterprise_id)
    before = _snapshot(user)
    user.role = role
    user.county_id = county_id
    user.enterprise_id = enterprise_id
    user.email = check_email(email)
    user.display_name = (display_name or "").strip() or user.username
    after = _snapshot(user)
    if before == after:
        return
    if (before["role"], before["county_id"], before["enterprise_id"]) != (
        role,
        county_id,
        enterprise_id,
    ):
        end_sessions(user, actor)
    db.session.flush()
    audit_log.record(actor, "update", "user", user.id, before=before, after=after)


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise UserError(_("不能停用自己的账号"))
    if user.active == active:
        return
    user.active = active
    if not active:
        end_sessions(user, actor)
    db.session.flush()
    audit_log.record(
        actor,
        "enable" if active else "disable",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
    )


def reset_password(actor: User, user: User, password: str) -> None:
    """The admin sets a new password; the user's sessions and tokens end."""
    check_password(password)
    user.password_hash = hash_password(password)
    end_sessions(user, actor)
    db.session.flush()
    audit_log.record(actor, "reset_password", "user", user.id, summary=Msg("管理员重置密码"))


def change_own_password(user: User, current: str, new: str, repeat: str) -> None:
    if not verify_password(user, current or ""):
        raise UserError(_("当前密码不正确"))
    if new != repeat:
        raise UserError(_("两次输入的新密码不一致"))
    check_password(new)
    user.password_hash = hash_password(new)
    end_sessions(user, user)
    db.session.flush()
    audit_log.record(user, "change_password", "user", user.id, summary=Msg("用户修改本人密码"))


# ---------------------------------------------------------------------------- tokens


def tokens() -> list[tuple[ApiToken, str]]:
    """Every API token with its user's name, newest first."""
    stmt = (
        select(ApiToken, User.username)
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [(t, name) for t, name in db.session.execute(stmt)]


def revoke_token(actor: User, token: ApiToken) -> None:
    if not token.active:
        return
    token.active = False
    db.session.flush()
    audit_log.record(
        actor, "revoke", "api_token", token.id, before={"active": True}, after={"active": False}
    )


def expire_token(actor: User, token: ApiToken, when: datetime) -> None:
    before = token.expires_at
    token.expires_at = when
    db.session.flush()
    audit_log.record(
        actor,
        "expire",
        "api_token",
        token.id,
        before={"expires_at": before},
        after={"expires_at": when},
    )
