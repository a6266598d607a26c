"""Workbooks saved by LibreOffice (.ods, .xls, .xlsx) import like Excel's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bargaining.models import ContractVersion
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role
from tests.conftest import TODAY
from tests.factories import make_enterprise, make_user

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def inspector(app):
    make_enterprise("WY", uscc="91330723TE2RNHUC5X", name="武义宇振文具实业有限公司")
    make_enterprise("WY", uscc="91330723YAY5ECMPQY", name="武义鑫通电动工具股份有限公司")
    return make_user("insp-WY", Role.INSPECTOR, "WY")


@pytest.mark.parametrize(
    "name", ["libreoffice-filing.ods", "libreoffice-filing.xls", "libreoffice-filing.xlsx"]
)
def test_libreoffice_saved_workbook_imports(inspector, name):
    outcome = run_upload(inspector, KIND_FILINGS, name, (FIXTURES / name).read_bytes(), TODAY)
    assert outcome.status == "imported", [e.cli_line() for e in outcome.errors]
    versions = {v.contract.number: v for v in db.session.scalars(select(ContractVersion))}
    first = versions["WY-LO-001"]
    # 2026年11月2日, ４５ (full-width), "2,300" typed as text, 2029/11/9, 2026.11.8
    assert str(first.signed_on) == "2026-11-02"
    assert first.delegates_total == 45
    assert float(first.lowest_wage) == 2300.0
    assert str(first.expires_on) == "2029-11-09" and str(first.submitted_on) == "2026-11-08"
    assert sorted(i.item_code for i in first.items) == ["A01", "S01", "T02", "W01"]
    second = versions["WY-LO-002"]
    assert second.contract_type == "综合性集体合同"  # typed as the short form 综合性
    assert sorted(f.code for f in second.flags) == [
        "ART36_ATTENDANCE",
        "ART38_TERM",
        "ART42_MISSING",
        "MIN_WAGE",
    ]


def test_libreoffice_saved_broken_workbook_lists_every_error_in_order(inspector):
    data = (FIXTURES / "libreoffice-broken.ods").read_bytes()
    outcome = run_upload(inspector, KIND_FILINGS, "broken.ods", data, TODAY)
    assert outcome.status == "rejected"
    assert [e.cli_line() for e in outcome.errors] == [
        "合同!3 签订日期: 日期不存在「2026年2月30日」（请检查月份和日）",
        "合同!4 合同编号: 合同编号「WY-LO-001」在本工作簿中重复（第 3 行已出现）",
        "合同!4 统一社会信用代码: 统一社会信用代码校验位错误（GB 32100-2015），请核对是否录错",
        "协商事项!3 事项代码: 事项代码「X99」不在协商事项目录中（见模板「说明」表）",
        "协商事项!6 合同编号: 合同编号「WY-LO-002」在「合同」表中不存在",
    ]
