"""flask attach-text (SPEC §4) and flask extract-texts."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from bargaining.models import Contract, ContractVersion
from core.cli import acting_user, fail
from core.db import db, utcnow
from core.i18n import _, tr
from core.models import User
from core.policy import scope_of


def register_cli(app: Flask) -> None:
    app.cli.add_command(attach_text_command)
    app.cli.add_command(extract_texts_command)


def find_contract(user: User, number: str) -> Contract:
    """The contract numbered ``number`` in the user's scope (exit 1 when none or ambiguous)."""
    stmt = scope_of(user).where(
        select(Contract).where(Contract.number == number.strip()),
        county=Contract.county_id,
        enterprise=Contract.enterprise_id,
    )
    found = list(db.session.scalars(stmt.order_by(Contract.id)))
    if not found:
        fail(_("合同编号「%(number)s」不存在或不在您的管辖范围内", number=number))
    if len(found) > 1:
        fail(
            _(
                "合同编号「%(number)s」对应多份合同（%(ids)s），请由对应县的指导员或企业经办人上传",
                number=number,
                ids=", ".join(f"#{c.id}" for c in found),
            )
        )
    return found[0]


@click.command("attach-text")
@click.option("--contract", "number", required=True, help="The contract number, as filed.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "username", required=True, help="Acting user.")
@click.option("--version", "version_no", type=int, help="Version (default: the current one).")
@click.option("--json", "as_json", is_flag=True, help="Print the recognition as JSON.")
def attach_text_command(
    number: str, file: str, username: str, version_no: int | None, as_json: bool
) -> None:
    """Attach a contract's signed text (PDF, .docx, scan), extract it and list its items."""
    from bargaining.texts import (  # text extraction and recognition: for this command only
        DONE,
        attach_text,
        process_text,
        text_summary,
        version_text,
    )
    from core.errors import UserError

    user = acting_user(username)
    contract = find_contract(user, number)
    stmt = select(ContractVersion).where(ContractVersion.contract_id == contract.id)
    if version_no is None:
        stmt = stmt.where(ContractVersion.id == contract.current_version_id)
    else:
        stmt = stmt.where(ContractVersion.version_no == version_no)
    version = db.session.scalars(stmt).first()
    if version is None:
        fail(_("合同「%(number)s」没有第 %(no)s 版", number=number, no=version_no or "-"))
    data = Path(file).read_bytes()
    try:
        text, fresh = attach_text(user, version, Path(file).name, data)
    except UserError as exc:
        db.session.rollback()
        fail(exc.message)
    db.session.commit()
    text_id, sha = text.id, text.sha256
    if not fresh:
        click.echo(_("此文件已附在该合同版本上，未重复保存"), err=True)
    process_text(text_id, utcnow())
    text = db.session.get_one(type(text), text_id)
    version = db.session.get_one(ContractVersion, version.id)
    if text.status != DONE:
        fail(_("合同文本已保存，但未能读取文字：%(reason)s", reason=tr(text.message)))
    if text.message:
        click.echo(tr(text.message), err=True)
    vt = version_text(version)
    summary = text_summary(version, vt, sha)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(
        _(
            "合同 %(number)s 第%(no)s版：%(pages)s 页，%(chars)s 字；识别到事项 %(found)s；"
            "已备案未见于文本 %(missing)s；文本中有但未备案 %(extra)s",
            number=summary["contract"],
            no=summary["version"],
            pages=summary["pages"],
            chars=summary["chars"],
            found=" ".join(i["code"] for i in summary["items_found"]) or "-",
            missing=" ".join(summary["filed_not_found"]) or "-",
            extra=" ".join(summary["found_not_filed"]) or "-",
        )
    )


@click.command("extract-texts")
def extract_texts_command() -> None:
    """Extract every queued contract text now (the job process does it every minute)."""
    from bargaining.texts import process_queued_texts

    n = process_queued_texts(utcnow())
    click.echo(_("已处理合同文本 %(n)s 份", n=n))
