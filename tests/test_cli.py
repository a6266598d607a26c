"""The CLI: exit status 0 / 1, errors on stderr one per line, the same code path as the web."""

from __future__ import annotations

from io import BytesIO

import openpyxl
from sqlalchemy import func, select

from bargaining.models import Contract, ContractVersion, County, Enterprise
from core.db import db
from core.models import Role, User
from tests.factories import (
    contract_row,
    filing_workbook,
    make_enterprise,
    make_user,
    registry_row,
    registry_workbook,
)


def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_filings_success_then_duplicate(runner, tmp_path):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = _write(tmp_path, "ok.xlsx", filing_workbook([contract_row(ent)]))
    result = runner.invoke(args=["import-filings", path, "--as", "insp-WY"])
    assert result.exit_code == 0, result.output
    assert "已导入 1 份合同" in result.stdout
    again = runner.invoke(args=["import-filings", path, "--as", "insp-WY"])
    assert again.exit_code == 0
    assert "未重复导入" in again.stdout
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 1


def test_import_filings_errors_go_to_stderr_one_per_line(runner, tmp_path):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    rows = [contract_row(ent, 合同编号="A", 职工代表总数="四十五"), contract_row(ent, 合同编号="A")]
    path = _write(tmp_path, "bad.xlsx", filing_workbook(rows))
    result = runner.invoke(args=["import-filings", path, "--as", "insp-WY"])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "合同!2 职工代表总数: 应填写数字，不是「四十五」",
        "合同!3 合同编号: 合同编号「A」在本工作簿中重复（第 2 行已出现）",
    ]
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_file_level_error_is_reported_as_file(runner, tmp_path):
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = _write(tmp_path, "empty.xlsx", b"")
    result = runner.invoke(args=["import-filings", path, "--as", "insp-WY"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "file: 文件为空，请选择填写好的 Excel 文件"


def test_unknown_user_and_missing_file_exit_1(runner, tmp_path):
    result = runner.invoke(args=["import-filings", str(tmp_path / "x.xlsx"), "--as", "nobody"])
    assert result.exit_code == 1
    assert "用户「nobody」不存在" in result.stderr
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    result = runner.invoke(args=["import-filings", str(tmp_path / "x.xlsx"), "--as", "insp-WY"])
    assert result.exit_code == 1
    assert "找不到文件" in result.stderr


def test_import_enterprises_and_role_refusal(runner, tmp_path):
    make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("city", Role.CITY)
    db.session.commit()
    path = _write(tmp_path, "reg.xlsx", registry_workbook([registry_row(), registry_row()]))
    refused = runner.invoke(args=["import-enterprises", path, "--as", "city"])
    assert refused.exit_code == 1
    assert "不能上传" in refused.stderr
    result = runner.invoke(args=["import-enterprises", path, "--as", "insp-WY"])
    assert result.exit_code == 0, result.stderr
    assert "新增 2 家" in result.stdout
    assert db.session.scalar(select(func.count(Enterprise.id))) == 2


def test_create_user_and_its_errors(runner):
    ok = runner.invoke(
        args=[
            "create-user",
            "insp-PA",
            "--role",
            "inspector",
            "--county",
            "PA",
            "--password",
            "longenough",
        ]
    )
    assert ok.exit_code == 0, ok.stderr
    user = db.session.scalars(select(User).where(User.username == "insp-PA")).one()
    assert user.county_id == db.session.scalars(select(County.id).where(County.code == "PA")).one()
    dup = runner.invoke(
        args=["create-user", "insp-PA", "--role", "city", "--password", "longenough"]
    )
    assert dup.exit_code == 1 and "已存在" in dup.stderr
    no_county = runner.invoke(
        args=["create-user", "x", "--role", "inspector", "--password", "longenough"]
    )
    assert no_county.exit_code == 1 and "--county" in no_county.stderr
    ent = make_enterprise("DY")
    db.session.commit()
    clerk = runner.invoke(
        args=[
            "create-user",
            "clerk",
            "--role",
            "enterprise",
            "--enterprise",
            ent.uscc,
            "--password",
            "longenough",
        ]
    )
    assert clerk.exit_code == 0
    user = db.session.scalars(select(User).where(User.username == "clerk")).one()
    assert (user.enterprise_id, user.county_id) == (ent.id, ent.county_id)


def test_template_command_writes_both_templates(runner, tmp_path):
    out = tmp_path / "t.xlsx"
    assert runner.invoke(args=["template", "-o", str(out)]).exit_code == 0
    assert "合同" in openpyxl.load_workbook(out).sheetnames
    reg = tmp_path / "r.xlsx"
    assert runner.invoke(args=["template", "--registry", "-o", str(reg)]).exit_code == 0
    assert "企业名录" in openpyxl.load_workbook(BytesIO(reg.read_bytes())).sheetnames


def test_init_db_is_idempotent(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "新增县(市、区) 0 个" in result.stdout
    assert db.session.scalar(select(func.count(County.id))) == 10


def test_demo_builds_the_jinhua_city(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "insp-WY" in result.stdout and "Jinhua2026!" in result.stdout
    eligible = db.session.scalar(
        select(func.count(Enterprise.id)).where(Enterprise.has_union, Enterprise.above_scale)
    )
    assert 4400 <= eligible <= 4500
    per_county = dict(
        db.session.execute(
            select(County.code, func.count(Enterprise.id))
            .join(Enterprise, Enterprise.county_id == County.id)
            .where(Enterprise.has_union, Enterprise.above_scale)
            .group_by(County.code)
        ).all()
    )
    assert per_county["WY"] == 420 and per_county["PA"] == 90
    from bargaining.uscc import is_valid_uscc

    assert all(is_valid_uscc(u) for u in db.session.scalars(select(Enterprise.uscc)))
    assert db.session.scalar(select(func.count(Contract.id)).where(Contract.level != "企业")) >= 5
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.stdout
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code == 1


def test_cli_follows_jinhua_lang(runner, monkeypatch):
    from flask_babel import refresh

    monkeypatch.setenv("JINHUA_LANG", "en")
    refresh()  # Flask-Babel caches the locale on g; the test's app context outlives commands
    english = runner.invoke(args=["targets", "--date", "2026-02-30"])
    assert english.exit_code == 1
    assert "does not exist" in english.stderr and "日期不存在" not in english.stderr
    monkeypatch.delenv("JINHUA_LANG")
    refresh()
    chinese = runner.invoke(args=["targets", "--date", "2026-02-30"])
    assert chinese.exit_code == 1
    assert "日期不存在「2026-02-30」" in chinese.stderr
    header = runner.invoke(args=["targets", "--date", "2026-06-30"])
    assert header.exit_code == 0, header.output
    assert "2026-06-30 2027年目标进度" in header.stdout
