"""Configuration: defaults, then instance/config.py, then FLASK_* and DATABASE_URL from the environment."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

DEV_SECRET = "dev-only-secret-change-me"


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(
        SECRET_KEY=DEV_SECRET,
        DATABASE_URL="sqlite:///" + os.path.join(app.instance_path, "jinhua.sqlite"),
        MAX_CONTENT_LENGTH=21 * 1024 * 1024,  # the upload limit (20 MB) plus form overhead
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=8 * 3600,  # a form stays valid for a working day
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        PRODUCTION=False,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
        if os.environ.get("DATABASE_URL"):
            app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    else:
        app.config.from_mapping(test_config)
    url = app.config["DATABASE_URL"]
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["DATABASE_URL"] = url
    if app.config["PRODUCTION"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        if app.config["SECRET_KEY"] == DEV_SECRET or len(str(app.config["SECRET_KEY"])) < 32:
            raise RuntimeError(
                "Refusing to start in production with the default or a short SECRET_KEY: "
                "set FLASK_SECRET_KEY to a random string of at least 32 characters."
            )
