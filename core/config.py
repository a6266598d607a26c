"""Configuration: defaults, then instance/config.py, then FLASK_* and DATABASE_URL from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

SECRET_FILE = "secret_key"


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(
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
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    if app.config["PRODUCTION"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        if len(str(app.config["SECRET_KEY"])) < 32:
            raise RuntimeError(
                "Refusing to start in production with a short SECRET_KEY: set FLASK_SECRET_KEY "
                "to a random string of at least 32 characters, or leave it unset to use "
                "the one generated in instance/secret_key."
            )


def instance_secret(folder: Path) -> str:
    """The secret kept in ``folder/secret_key`` (mode 0600), generated on first start.

    Several processes may start at once (gunicorn workers): the key is written to a private
    temporary file and linked into place, so every process reads the same complete key."""
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key: delete it to generate a new one")
    return key
