"""CLI plumbing shared by the domain commands (exit codes, acting users) and the commands
that belong to no domain: init-db, create-user, create-token, backup, restore, end-sessions.

Exit status 0 on success, 1 on a user error with the reason on stderr (SPEC §9). Each command
imports what it uses: only ``init-db`` loads Alembic and the higher layers' init steps.
"""

from __future__ import annotations

import atexit
import gc
from pathlib import Path
from typing import IO, Any, NoReturn, cast

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import select

from core.db import db
from core.hooks import hooks
from core.i18n import _
from core.models import Role, User


class UserError(click.ClickException):
    """A user error: the message goes to stderr and the command exits 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)


# SPEC §9: a usage error (a missing or unknown option, a bad --role) is a user error like any
# other: exit 1 with the reason on stderr, not click's 2. Set once on click's base class so
# every command, and the group itself, answers the same.
click.UsageError.exit_code = 1


def fail(message: str) -> NoReturn:
    raise UserError(message)


def write_output(output: str, data: bytes) -> None:
    """Write a command's file, or fail with a message (a missing folder, no permission,
    a directory) instead of a traceback."""
    path = Path(output)
    if path.is_dir():
        fail("file: " + _("「%(file)s」是一个目录，请给出文件名", file=output))
    try:
        path.write_bytes(data)
    except OSError as exc:
        fail("file: " + _("无法写入 %(file)s：%(reason)s", file=output, reason=exc.strerror or exc))


def acting_user(username: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        fail(_("用户「%(username)s」不存在或已停用", username=username))
    return user


def serving_a_command() -> bool:
    """True while `flask` loads the app to list its commands or to run one of the app's own.

    `flask run`, `flask shell` and `flask routes` load the app inside their own command, so
    they get the whole web app; a command of ours needs no blueprint, template or limiter.
    """
    ctx = click.get_current_context(silent=True)
    return ctx is not None and isinstance(ctx.command, FlaskGroup)


def _close_and_skip_teardown() -> None:
    """At the exit of a `flask <command>` process: close the database connections
    explicitly (SQLite checkpoints its WAL on close), then move every object out of the cycle
    collector's reach. The interpreter's own teardown would otherwise collect the whole heap
    of Flask, SQLAlchemy and the models object by object, which costs a quarter of a second
    of every command here (measured: ~0.27 s of a 0.75 s `flask import-filings` start-up);
    the process is ending, so nothing is lost by not collecting it."""
    if db.engine is not None:
        db.engine.dispose()
    gc.freeze()


_exit_registered = False


def _skip_teardown_at_exit() -> None:
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        # atexit runs handlers last in, first out: this one before those of earlier imports
        atexit.register(_close_and_skip_teardown)


def register_cli(app: Flask) -> None:
    if serving_a_command():  # a `flask <command>` process, not the web app or a test
        _skip_teardown_at_exit()
    app.cli.add_command(init_db_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
    app.cli.add_command(end_sessions_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from core.log_cli import verify_log_command  # here: core.log_cli imports this module

    app.cli.add_command(verify_log_command)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the job process (monthly draw, daily escalation). Run exactly one, beside gunicorn."""
    from flask import current_app
    from werkzeug.local import LocalProxy

    from core.scheduler import run_scheduler

    # Flask types current_app as the Flask it stands for; it is the proxy
    run_scheduler(cast("LocalProxy[Flask]", current_app)._get_current_object())


@click.command("backup")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, writable=True))
def backup_command(output: str) -> None:
    """Copy the whole database (uploaded originals included) to FILE.

    SQLite: an online, consistent copy (sqlite3 backup API). PostgreSQL: runs pg_dump -Fc
    (restore with pg_restore -d DB FILE).
    """
    import shutil
    import sqlite3
    import subprocess

    from flask import current_app

    url = current_app.config["DATABASE_URL"]
    engine = db.engine
    assert engine is not None
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database or "")
        target = sqlite3.connect(output)
        with target:
            source.backup(target)
        source.close()
        target.close()
    else:
        if shutil.which("pg_dump") is None:
            fail(_("找不到 pg_dump，请安装 PostgreSQL 客户端"))
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        result = subprocess.run(
            ["pg_dump", "-Fc", "-f", output, plain], capture_output=True, text=True
        )
        if result.returncode != 0:
            fail(_("pg_dump 失败：%(error)s", error=result.stderr.strip()))
    click.echo(_("已备份到 %(file)s", file=output))


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm that the current data is replaced.")
def restore_command(backup: str, yes: bool) -> None:
    """Replace the database with BACKUP (SQLite file from `flask backup`; for PostgreSQL use
    pg_restore --clean -d DB BACKUP)."""
    import sqlite3

    engine = db.engine
    assert engine is not None
    if engine.dialect.name != "sqlite":
        fail(_("PostgreSQL：请使用 pg_restore --clean --if-exists -d <数据库> <备份文件>"))
    if not yes:
        fail(_("恢复会覆盖当前全部数据，确认请加 --yes"))
    db.session.remove()
    engine.dispose()
    source = sqlite3.connect(backup)
    target = sqlite3.connect(engine.url.database or "")
    with target:
        source.backup(target)
    source.close()
    target.close()
    click.echo(_("已从 %(file)s 恢复", file=backup))


@click.command("end-sessions")
@click.argument("username")
@click.option("--keep-tokens", is_flag=True, help="End the web sessions only, keep API tokens.")
def end_sessions_command(username: str, keep_tokens: bool) -> None:
    """End every session (and API token) of USERNAME now."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        fail(_("用户「%(username)s」不存在或已停用", username=username))
    from core.auth import end_sessions  # the login stack, for this command only

    revoked = end_sessions(user, None, tokens=not keep_tokens)
    db.session.commit()
    click.echo(
        _("已结束「%(username)s」的所有会话，撤销 API 令牌 %(n)s 个", username=username, n=revoked)
    )


def init_database() -> dict[str, int]:
    """Upgrade the schema to head, seed the settings, then run every init step the parts
    registered (reference data first, the working-day calendar, …); commits. A step may return
    counts (``{"counties": 10}``); the counts of all steps are returned, with ``settings``."""
    from core.migrate import upgrade
    from core.settings import seed_settings

    assert db.engine is not None
    upgrade(db.engine)
    added = {"settings": seed_settings()}
    for step in hooks().init_steps:
        counted = step()
        if isinstance(counted, dict):
            added.update(counted)
    db.session.commit()
    return added


@click.command("init-db")
def init_db_command() -> None:
    """Create or upgrade the schema and load the reference data (no demo data)."""
    added = init_database()
    click.echo(
        _(
            "数据库已就绪：新增县(市、区) %(counties)s 个、协商事项 %(items)s 项、设置 %(settings)s 项",
            counties=added.get("counties", 0),
            items=added.get("items", 0),
            settings=added["settings"],
        )
    )


@click.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--county", "county_code", help="County code (inspectors).")
@click.option("--enterprise", "uscc", help="Enterprise USCC (enterprise clerks).")
@click.option("--password", required=True)
@click.option("--display-name", default="")
@click.option("--email", default="", help="E-mail address for notifications.")
def create_user_command(
    name: str,
    role: str,
    county_code: str | None,
    uscc: str | None,
    password: str,
    display_name: str,
    email: str,
) -> None:
    """Create a user: enterprise|inspector|city|admin."""
    from core.accounts import create_user  # the login stack, for this command
    from core.errors import UserError

    if role == Role.INSPECTOR and not county_code:
        fail(_("县级指导员须指定 --county（如 WY）"))
    if role == Role.ENTERPRISE and not uscc:
        fail(_("企业经办人须指定 --enterprise（统一社会信用代码）"))
    if role in (Role.CITY, Role.ADMIN) and (county_code or uscc):
        fail(_("市总工会和管理员账号不指定县或企业"))
    try:
        # registered by bargaining when the app is made: no deferred part is loaded for it
        county_id, enterprise_id = hooks(load_deferred=False).assign_user(
            role, county_code or "", uscc or ""
        )
        create_user(
            None,
            name,
            role,
            password,
            county_id=county_id,
            enterprise_id=enterprise_id,
            email=email,
            display_name=display_name,
        )
    except UserError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(_("已创建用户 %(name)s（%(role)s）", name=name, role=Role(role).label))


@click.command("create-token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown in the audit log).")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Days the token is valid (default: setting api_token_days; 0: no expiry).",
)
def create_token_command(username: str, name: str, days: int | None) -> None:
    """Create an API token for USER (printed once; only its SHA-256 is stored)."""
    from core import audit_log
    from core.auth import new_api_token

    user = acting_user(username)
    token = new_api_token(user, name, days)
    audit_log.record(None, "create_token", "user", user.id, after={"name": name, "days": days})
    db.session.commit()
    click.echo(token)
