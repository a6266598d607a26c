"""Small enterprises: one contract through a web form (the workbook's path and rules), the
clerk's pre-filled template, and the Text-formatted code columns."""

from __future__ import annotations

from io import BytesIO

import openpyxl
from sqlalchemy import func, select

from bargaining.models import ContractVersion, Upload
from core.db import db
from core.models import Role
from tests.factories import csrf_token, login, make_enterprise, make_user, upload

GOOD = {
    "number": "0012",
    "contract_type": "工资专项集体合同",
    "industry": "五金制造",
    "signed_on": "2026-06-17",
    "delegates_total": "45",
    "delegates_present": "40",
    "votes_for": "38",
    "effective_on": "2026-07-01",
    "expires_on": "2029-06-30",
    "submitted_on": "2026-06-24",
    "workers_covered": "32",
    "lowest_wage": "2300",
    "raise_pct": "5",
    "platform_entered_on": "",
    "remarks": "",
}


def _clerk(client):
    ent = make_enterprise("WY")
    make_user("clerk", Role.ENTERPRISE, enterprise=ent)
    db.session.commit()
    login(client, "clerk")
    return ent


def _post(client, fields, items=("W01", "A01")):
    token = csrf_token(client, "/filings/form")
    return client.post("/filings/form", data={"csrf_token": token, **fields, "items": list(items)})


def test_clerk_files_one_contract_through_the_form(client) -> None:
    ent = _clerk(client)
    response = _post(client, GOOD)
    assert response.status_code == 303
    version = db.session.scalars(select(ContractVersion)).one()
    assert version.contract.enterprise_id == ent.id
    assert version.contract.number == "0012"  # the leading zeros kept
    assert [i.item_code for i in version.items] == ["A01", "W01"]
    upload_row = db.session.scalars(select(Upload)).one()  # the same path: an upload, kept
    assert upload_row.status == "imported" and upload_row.sha256


def test_form_errors_are_the_workbooks_messages_beside_the_fields(client) -> None:
    _clerk(client)
    response = _post(client, {**GOOD, "votes_for": "50", "expires_on": "2026-05-01"}, ["X99"])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "未导入任何合同" in page
    assert page.count('class="field-error"') >= 3
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 0


def test_clerk_template_is_prefilled_and_code_columns_are_text(client) -> None:
    ent = _clerk(client)
    wb = openpyxl.load_workbook(BytesIO(client.get("/filings/template.xlsx").data))
    ws = wb["合同"]
    headers = {c.value: c.column_letter for c in ws[1]}
    assert ws[f"{headers['统一社会信用代码']}2"].value == ent.uscc
    assert ws[f"{headers['企业名称']}2"].value == ent.name
    assert ws[f"{headers['县(市、区)']}2"].value == "武义县"
    for header in ("统一社会信用代码", "合同编号"):
        assert ws[f"{headers[header]}3"].number_format == "@"
        assert ws.column_dimensions[headers[header]].number_format == "@"


def test_prefilled_template_completed_by_the_clerk_imports(client) -> None:
    _clerk(client)
    wb = openpyxl.load_workbook(BytesIO(client.get("/filings/template.xlsx").data))
    ws = wb["合同"]
    headers = {c.value: c.column for c in ws[1]}
    values = {
        "合同编号": "0007",
        "合同类型": "工资专项集体合同",
        "签订日期": "2026-06-17",
        "职工代表总数": 45,
        "出席代表数": 40,
        "赞成票数": 38,
        "生效日期": "2026-07-01",
        "期满日期": "2029-06-30",
        "覆盖职工人数": 30,
        "最低工资标准": 2300,
    }
    for header, value in values.items():
        ws.cell(row=2, column=headers[header], value=value)
    wb["协商事项"].append(["0007", "W01", ""])
    buf = BytesIO()
    wb.save(buf)
    response = upload(client, buf.getvalue())
    assert "已导入 1 份合同" in response.get_data(as_text=True)


def test_anonymous_template_is_not_prefilled(client) -> None:
    wb = openpyxl.load_workbook(BytesIO(client.get("/filings/template.xlsx").data))
    assert all(c.value is None for row in wb["合同"].iter_rows(min_row=2) for c in row)
