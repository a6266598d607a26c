"""flask demo | template | import-enterprises | import-filings (init-db, create-user and
create-token are core's: core/cli.py; the reference data is an init step, bargaining.reference)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask
from sqlalchemy import select

from bargaining.early_read import import_params
from core.cli import acting_user, fail, write_output
from core.clock import local_today
from core.db import db
from core.hooks import hooks
from core.i18n import _, tr

if TYPE_CHECKING:
    from bargaining.excel_import import RowError
    from core.spreadsheet_sandbox import WorkbookRead

# Each command imports what it uses: `flask import-filings` needs no Alembic, template writer
# or demo city, and `flask --help` none of them.


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo)
    # core's `flask create-user` places inspectors and clerks through this hook; registered
    # here, not deferred, so that the command loads no higher layer
    hooks(app, load_deferred=False).user_assignment = _assign_user
    app.cli.add_command(template)
    app.cli.add_command(import_enterprises)
    app.cli.add_command(import_filings)


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
    from core.cli import init_database

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


def _assign_user(role: str, county_code: str, uscc: str) -> tuple[int | None, int | None]:
    from bargaining.admin import resolve_assignment

    return resolve_assignment(role, county_code, uscc)


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
    from bargaining import early_read

    # the read of FILE started while the app loaded: this command's to use or to close
    started = early_read.take(kind, file)
    try:
        _import_file(kind, file, username, started)
    finally:
        if started is not None:
            started.close()


def _import_file(kind: str, file: str, username: str, started: WorkbookRead | None) -> None:
    from bargaining.uploads import run_upload
    from core.errors import UserError

    user = acting_user(username)
    path = Path(file)
    if path.is_dir():
        fail("file: " + _("「%(file)s」是一个目录，不是文件；请给出工作簿文件", file=file))
    if not path.is_file():
        fail("file: " + _("找不到文件 %(file)s", file=file))
    try:
        outcome = run_upload(user, kind, path.name, path.read_bytes(), local_today(), started)
    except UserError as exc:
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


@click.command(
    "import-filings", params=import_params("The user who files (same rules as the web upload).")
)
def import_filings(file: str, username: str) -> None:
    """Import a filing workbook (合同 / 协商事项 / 覆盖企业) as USER."""
    from bargaining.services import KIND_FILINGS

    _import(KIND_FILINGS, file, username)


@click.command("import-enterprises", params=import_params("The user who keeps the registry."))
def import_enterprises(file: str, username: str) -> None:
    """Import an enterprise registry workbook (企业名录) as USER."""
    from bargaining.services import KIND_REGISTRY

    _import(KIND_REGISTRY, file, username)
