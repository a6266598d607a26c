"""Login, sessions and API tokens (SPEC §3).

Every view declares its action with :func:`core.policy.requires` (an API view with
:func:`api_requires`, the login page with :func:`public`); the app refuses to start when a
route forgets to (:func:`check_every_route_declares_access`). Who may do what, and the scope
(objects outside it answer 404, never their data), is :mod:`core.policy`'s alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g, jsonify, request
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import select

from core import audit_log, policy
from core.db import db, utcnow
from core.i18n import _, _l
from core.models import ApiToken, Role, User
from core.settings import get_setting

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
csrf = CSRFProtect()
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_STRONG = PasswordHasher()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = _l("请先登录")
    login_manager.localize_callback = str  # the flashed text in the reader's language
    login_manager.login_message_category = "warning"
    csrf.init_app(app)
    policy.init_app(app)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The session's user, if the session began in the user's current epoch (no session
    outlives a logout, a password change, disabling or "end sessions") and is active."""
    ident, _dot, epoch = user_id.partition(".")
    try:
        user = db.session.get(User, int(ident))
        began_in = int(epoch)
    except ValueError:
        return None
    if user is None or not user.active or (user.session_epoch or 0) != began_in:
        return None
    return user


def end_sessions(user: User, by: User | None = None, tokens: bool = True) -> int:
    """End every session of ``user`` (cookies captured before stop working) and, with
    ``tokens``, revoke their API tokens; recorded in the audit log. Returns the number of
    tokens revoked. Flushes; the caller commits (and logs the acting user in again when it
    ended its own session and should stay signed in)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    revoked = 0
    if tokens:
        now = utcnow()
        for token in db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.active)
        ):
            token.active = False
            token.revoked_at = now
            revoked += 1
    audit_log.record(
        by,
        "end_sessions",
        "user",
        user.id,
        after={"session_epoch": user.session_epoch, "tokens_revoked": revoked},
    )
    db.session.flush()
    return revoked


def change_password(user: User, new_password: str, by: User | None = None) -> None:
    """Set a new password: every session and API token of the user ends (SPEC §3)."""
    user.password_hash = hash_password(new_password)
    audit_log.record(by, "change_password", "user", user.id)
    end_sessions(user, by)


def set_active(user: User, active: bool, by: User | None = None) -> None:
    """Enable or disable a user; disabling ends their sessions and API tokens (SPEC §3)."""
    before = user.active
    user.active = active
    audit_log.record(
        by, "set_active", "user", user.id, before={"active": before}, after={"active": active}
    )
    if not active:
        end_sessions(user, by)
    db.session.flush()


def _hasher() -> PasswordHasher:
    try:
        fast = current_app.config.get("PASSWORD_HASH_FAST", False)
    except RuntimeError:
        fast = False
    return _FAST if fast else _STRONG


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[int, str] = {}


def check_credentials(user: User | None, password: str) -> bool:
    """True for an active user with this password. An unknown or disabled user costs the
    same argon2 verification as a real one (against a dummy hash), so the answer's timing
    does not tell which usernames exist."""
    if user is not None and user.active:
        return verify_password(user, password)
    hasher = _hasher()
    dummy = _DUMMY_HASHES.get(id(hasher))
    if dummy is None:
        dummy = _DUMMY_HASHES[id(hasher)] = hasher.hash(secrets.token_hex(16))
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, password)
    return False


# ------------------------------------------------------------------------ route access


def public(view: F) -> F:
    """A view anyone may call (the login page)."""
    view.__dict__["_access"] = "public"
    return view


def check_every_route_declares_access(app: Flask) -> None:
    """Refuse to start when a route does not say who may use it (as Arlo does)."""
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "_access")
    ]
    if missing:
        raise RuntimeError("routes without an access declaration: " + ", ".join(sorted(missing)))


def route_access(app: Flask, endpoint: str, method: str = "GET") -> frozenset[Role] | str:
    """The roles a route lets in for ``method`` ("public" for anyone)."""
    view = app.view_functions[endpoint]
    declared: dict[str, frozenset[Role] | str] = view.__dict__
    if method == "POST" and "_write_access" in declared:
        return declared["_write_access"]
    return declared["_access"]


# ------------------------------------------------------------------------ API tokens


def new_api_token(user: User, name: str, days: int | None = None) -> str:
    """Create a token for ``user`` valid ``days`` days (default: setting api_token_days;
    0 = no expiry); the plain token is returned once and never stored."""
    token = "jt_" + secrets.token_urlsafe(32)
    days = int(get_setting("api_token_days")) if days is None else days
    db.session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=utcnow() + timedelta(days=days) if days > 0 else None,
        )
    )
    db.session.flush()
    return token


def revoke_api_token(token: ApiToken, by: User | None = None) -> None:
    """Revoke one token now (admin: API tokens, revoke)."""
    if token.active:
        token.active = False
        token.revoked_at = utcnow()
        audit_log.record(by, "revoke_token", "api_token", token.id, after={"name": token.name})
        db.session.flush()


def user_for_token(header: str | None) -> User | None:
    if not header or not header.startswith("Bearer "):
        return None
    digest = hashlib.sha256(header.removeprefix("Bearer ").strip().encode()).hexdigest()
    token = db.session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == digest, ApiToken.active)
    ).first()
    if token is None or (token.expires_at is not None and token.expires_at <= utcnow()):
        return None
    user = db.session.get(User, token.user_id)
    return user if user is not None and user.active else None


def api_requires(action: str) -> Callable[[F], F]:
    """Declare an API view's action (``policy.ACTIONS``): a bearer token whose user may do it
    (401/403 as JSON)."""
    allowed = policy.ACTIONS[action]

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = user_for_token(request.headers.get("Authorization"))
            if user is None:
                return jsonify(
                    {"error": _("需要有效的 API 令牌（Authorization: Bearer …）"), "status": 401}
                ), 401
            if not policy.may(user, action):
                return jsonify({"error": _("您的角色无权调用此接口"), "status": 403}), 403
            g.api_user = user
            return view(*args, **kwargs)

        wrapper.__dict__["_access"] = allowed
        return cast(F, wrapper)

    return decorate
