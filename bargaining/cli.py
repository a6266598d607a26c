"""flask init-db | demo | create-user | template | import-enterprises | import-filings."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask
from sqlalchemy import select

from core.cli import acting_user, fail, write_output
from core.clock import local_today
from core.db import db
from core.hooks import hooks
from core.i18n import _, tr
from core.models import Role, User

if TYPE_CHECKING:
    from bargaining.excel_import import RowError

# Each command imports what it uses: `flask import-filings` needs no Alembic, template writer
# or demo city, and `flask --help` none of them.


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(demo)
    app.cli.add_command(create_user)
    app.cli.add_command(create_token)
    app.cli.add_command(template)
    app.cli.add_command(import_enterprises)
    app.cli.add_command(import_filings)


def init_database() -> dict[str, int]:
    from bargaining.reference import seed_reference_data
    from core.migrate import upgrade
    from core.settings import seed_settings

    assert db.engine is not None
    upgrade(db.engine)
    added = seed_reference_data()
    added["settings"] = seed_settings()
    for step in hooks().init_steps:  # e.g. the working-day calendar
        step()
    db.session.commit()
    return added


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the schema and load the reference data (no demo data)."""
    added = init_database()
    click.echo(
        _(
            "数据库已就绪：新增县(市、区) %(counties)s 个、协商事项 %(items)s 项、设置 %(settings)s 项",
            counties=added["counties"],
            items=added["items"],
            settings=added["settings"],
        )
    )


@click.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Only build the demo city when there are no enterprises yet."
)
@click.option(
    "--seed", default=20260617, show_default=True, help="Random seed of the generated city."
)
def demo(if_empty: bool, seed: int) -> None:
    """Build the Jinhua demo city (about 4,450 enterprises) and print the demo logins."""
    from bargaining.demo import DEMO_PASSWORD, build_demo_city, demo_logins
    from bargaining.models import Enterprise

    init_database()
    has_data = db.session.scalars(select(Enterprise.id).limit(1)).first() is not None
    if has_data and if_empty:
        click.echo(_("演示数据已存在，跳过生成。"))
    elif has_data:
        fail(_("数据库中已有企业数据；演示城市只能建在空数据库上（可加 --if-empty 跳过）"))
    else:
        today = local_today()
        stats = build_demo_city(seed=seed, today=today)
        db.session.commit()
        click.echo(_("演示城市已生成：%(stats)s", stats=_stats(stats)))
        # higher layers add their part of the demo (sample rounds, audits, visits…)
        for step in hooks().demo_steps:
            more = step(seed, today)
            db.session.commit()
            click.echo(_stats(more))
    click.echo("\n" + _("演示账号（密码均为 %(password)s）：", password=DEMO_PASSWORD))
    for username, label in demo_logins():
        click.echo(f"  {username:<28} {label}")


@click.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--county", "county_code", help="County code (inspectors).")
@click.option("--enterprise", "uscc", help="Enterprise USCC (enterprise clerks).")
@click.option("--password", required=True)
@click.option("--display-name", default="")
@click.option("--email", default="", help="E-mail address for notifications.")
def create_user(
    name: str,
    role: str,
    county_code: str | None,
    uscc: str | None,
    password: str,
    display_name: str,
    email: str,
) -> None:
    """Create a user: enterprise|inspector|city|admin."""
    from bargaining.models import County, Enterprise
    from core.auth import hash_password

    if db.session.scalars(select(User).where(User.username == name)).first():
        fail(_("用户名「%(name)s」已存在", name=name))
    if len(password) < 8:
        fail(_("密码至少 8 位"))
    county_id = enterprise_id = None
    if role == Role.INSPECTOR:
        if not county_code:
            fail(_("县级指导员须指定 --county（如 WY）"))
        county = db.session.scalars(
            select(County).where(County.code == county_code.upper())
        ).first()
        if county is None:
            fail(_("未知的县(市、区)代码「%(code)s」", code=county_code))
        county_id = county.id
    elif role == Role.ENTERPRISE:
        if not uscc:
            fail(_("企业经办人须指定 --enterprise（统一社会信用代码）"))
        ent = db.session.scalars(select(Enterprise).where(Enterprise.uscc == uscc.upper())).first()
        if ent is None:
            fail(_("企业名录中没有统一社会信用代码「%(uscc)s」", uscc=uscc))
        enterprise_id, county_id = ent.id, ent.county_id
    elif county_code or uscc:
        fail(_("市总工会和管理员账号不指定县或企业"))
    from core.accounts import AccountRefused, check_email

    try:
        email = check_email(email)
    except AccountRefused as exc:
        fail(exc.message)
    user = User(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(password),
        role=role,
        county_id=county_id,
        enterprise_id=enterprise_id,
        email=email,
    )
    db.session.add(user)
    db.session.flush()
    from core import audit_log

    audit_log.record(
        None,
        "create",
        "user",
        user.id,
        after={
            "username": name,
            "role": role,
            "county_id": county_id,
            "enterprise_id": enterprise_id,
            "email": email,
        },
    )
    db.session.commit()
    click.echo(_("已创建用户 %(name)s（%(role)s）", name=name, role=Role(role).label))


def template_bytes(registry: bool, prefill: tuple[str, str, str] | None = None) -> bytes:
    from bargaining.queries import template_reference
    from bargaining.template import filing_template, registry_template

    counties, items = template_reference()
    return registry_template(counties) if registry else filing_template(counties, items, prefill)


@click.command("template")
@click.option(
    "--registry", is_flag=True, help="The enterprise registry template instead of the filing one."
)
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, writable=True))
def template(registry: bool, output: str) -> None:
    """Write the filing template (or the registry template) to FILE."""
    write_output(output, template_bytes(registry))
    click.echo(_("已写入 %(file)s", file=output))


def _import(kind: str, file: str, username: str) -> None:
    from bargaining.services import NotAllowed
    from bargaining.uploads import run_upload

    user = acting_user(username)
    path = Path(file)
    if path.is_dir():
        fail("file: " + _("「%(file)s」是一个目录，不是文件；请给出工作簿文件", file=file))
    if not path.is_file():
        fail("file: " + _("找不到文件 %(file)s", file=file))
    try:
        outcome = run_upload(user, kind, path.name, path.read_bytes(), local_today())
    except NotAllowed as exc:
        fail(tr(str(exc)))
    if outcome.status in ("rejected", "failed"):
        for error in outcome.errors or []:
            click.echo(_cli_line(error), err=True)
        if not outcome.errors:
            click.echo(f"file: {tr(outcome.message)}", err=True)
        sys.exit(1)
    click.echo(tr(outcome.message))


def _stats(stats: Mapping[str, object]) -> str:
    """What the demo built, e.g. "合同 120，协商事项 480" (the keys are msgids where known)."""
    return _("，").join(f"{tr(k)} {v}" for k, v in stats.items())


def _cli_line(error: RowError) -> str:
    """An error as `sheet!row column: message`; sheet and column are the workbook's own
    (Chinese) names, the message is in the operator's language."""
    from bargaining.excel_import import FILE

    if error.sheet == FILE:
        return f"file: {tr(error.message)}"
    where = f"{error.sheet}!{error.row}" if error.row else error.sheet
    col = f" {error.column}" if error.column else ""
    return f"{where}{col}: {tr(error.message)}"


@click.command("import-filings")
@click.argument("file")
@click.option(
    "--as", "username", required=True, help="The user who files (same rules as the web upload)."
)
def import_filings(file: str, username: str) -> None:
    """Import a filing workbook (合同 / 协商事项 / 覆盖企业) as USER."""
    from bargaining.services import KIND_FILINGS

    _import(KIND_FILINGS, file, username)


@click.command("import-enterprises")
@click.argument("file")
@click.option("--as", "username", required=True, help="The user who keeps the registry.")
def import_enterprises(file: str, username: str) -> None:
    """Import an enterprise registry workbook (企业名录) as USER."""
    from bargaining.services import KIND_REGISTRY

    _import(KIND_REGISTRY, file, username)


@click.command("create-token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for (shown in the audit log).")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Days the token is valid (default: setting api_token_days; 0: no expiry).",
)
def create_token(username: str, name: str, days: int | None) -> None:
    """Create an API token for USER (printed once; only its SHA-256 is stored)."""
    from core import audit_log
    from core.auth import new_api_token

    user = acting_user(username)
    token = new_api_token(user, name, days)
    audit_log.record(None, "create_token", "user", user.id, after={"name": name, "days": days})
    db.session.commit()
    click.echo(token)
