"""Rate-limited login (Flask-Limiter) and secure response headers."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")

#: no inline scripts except the JSON data blocks the charts read; everything is served from 'self'
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_ENABLED", not app.config.get("TESTING", False))
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)

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
