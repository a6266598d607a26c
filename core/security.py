"""The login limit (shared by every worker: counted in the database), the client address
behind trusted proxies, and secure response headers."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Response, abort, current_app, request
from sqlalchemy import delete, func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from core.db import db, rowcount, utcnow
from core.models import LoginAttempt

#: failed logins allowed (window, per address, per account); the next one answers 429
LOGIN_LIMITS = (
    (timedelta(minutes=1), 10, None),
    (timedelta(hours=1), 100, None),
    (timedelta(minutes=15), None, 10),
)
KEEP_ATTEMPTS = timedelta(days=1)

#: no inline scripts except the JSON data blocks the charts read; everything is served from 'self'
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_ENABLED", not app.config.get("TESTING", False))

    # X-Forwarded-For is believed only from this many proxies in front (0: none, the default)
    @app.before_request
    def _refuse_nul() -> None:
        """A NUL byte in a parameter is never meant (and PostgreSQL refuses it in text)."""
        values = [*request.args.keys(), *request.args.values()]
        values += [v for v in (request.view_args or {}).values() if isinstance(v, str)]
        if request.method == "POST":
            values += [*request.form.keys(), *request.form.values()]
        if any("\x00" in v for v in values):
            abort(400)

    app.extensions.setdefault("scheduled_jobs", []).append(
        ("forget_login_attempts", {"trigger": "cron", "hour": 4, "minute": 10}, _forget_job)
    )
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        # the middleware shadows the method on the instance (mypy refuses assigning a method)
        vars(app)["wsgi_app"] = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if request.path.startswith(("/api/", "/login")) or response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config.get("PRODUCTION"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def client_address() -> str:
    """The client's address: the socket's, or the one the trusted proxies report."""
    return (request.remote_addr or "-")[:64]


def login_attempt(username: str) -> LoginAttempt | None:
    """Record a login attempt before the password is checked, and refuse it (None) when the
    address or the account is over a limit. Recording first and counting after makes the
    limit hold under concurrent requests: each sees the others' rows. Commits."""
    if not current_app.config.get("RATELIMIT_ENABLED"):
        return LoginAttempt(username=username[:64], address=client_address())
    now = utcnow()
    attempt = LoginAttempt(at=now, username=username[:64], address=client_address(), ok=False)
    db.session.add(attempt)
    db.session.commit()
    for window, per_address, per_account in LOGIN_LIMITS:
        since = now - window
        failed = select(func.count(LoginAttempt.id)).where(
            LoginAttempt.at >= since, LoginAttempt.ok.is_(False)
        )
        if per_address is not None:
            count = db.session.scalar(failed.where(LoginAttempt.address == attempt.address))
            if (count or 0) > per_address:
                return None
        if per_account is not None:
            count = db.session.scalar(failed.where(LoginAttempt.username == attempt.username))
            if (count or 0) > per_account:
                return None
    return attempt


def login_succeeded(attempt: LoginAttempt) -> None:
    """A successful login does not count against the limit. The caller commits."""
    if attempt.id is not None:
        attempt.ok = True


def forget_login_attempts(now: datetime) -> int:
    """Delete attempts older than KEEP_ATTEMPTS (the daily purge job; idempotent)."""
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS))
    return int(rowcount(result) or 0)


def _forget_job() -> int:
    forgotten = forget_login_attempts(utcnow())
    db.session.commit()
    return forgotten
