"""The upload page, its result, the marked workbook, the filings list and exports."""

from __future__ import annotations

from io import BytesIO

import openpyxl
from sqlalchemy import func, select

from bargaining.models import Contract, Upload
from core.db import db
from core.models import Role
from tests.factories import contract_row, filing_workbook, login, make_enterprise, make_user, upload


def _inspector_logged_in(client):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    return ent


def test_broken_workbook_lists_every_error_and_offers_a_marked_copy(client):
    ent = _inspector_logged_in(client)
    rows = [
        contract_row(ent, 合同编号="E-1", 签订日期="2026年13月1日"),
        contract_row(ent, 合同编号="E-2", 统一社会信用代码="91330723MA2HX0001X"),
        contract_row(ent, 合同编号="E-3"),
    ]
    response = upload(client, filing_workbook(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "错误清单（2 处）" in html
    assert "日期不存在" in html and "校验位错误" in html
    assert db.session.scalar(select(func.count(Contract.id))) == 0
    upload_row = db.session.scalars(select(Upload)).one()
    marked = client.get(f"/uploads/{upload_row.id}/marked.xlsx")
    assert marked.status_code == 200
    wb = openpyxl.load_workbook(BytesIO(marked.data))
    assert wb.sheetnames[0] == "错误清单"
    assert wb["错误清单"].max_row == 3
    sheet = wb["合同"]
    headers = [c.value for c in sheet[1]]
    bad_date = sheet.cell(row=2, column=headers.index("签订日期") + 1)
    assert bad_date.comment is not None and "日期不存在" in bad_date.comment.text
    assert bad_date.fill.fgColor.rgb.endswith("FFC7CE")


def test_xhr_upload_answers_json_with_the_result_page(client):
    ent = _inspector_logged_in(client)
    response = upload(client, filing_workbook([contract_row(ent)]), xhr=True)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "imported"
    assert body["url"].startswith("/uploads/")
    assert "已导入 1 份合同" in client.get(body["url"]).get_data(as_text=True)


def test_not_a_spreadsheet_gets_a_clear_4xx(client):
    _inspector_logged_in(client)
    response = upload(client, b"<html><script>alert(1)</script></html>", filename="evil.xlsx")
    assert response.status_code == 415
    assert "无法识别的文件" in response.get_data(as_text=True)
    up = db.session.scalars(select(Upload)).one()
    original = client.get(f"/uploads/{up.id}/original")
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.mimetype == "application/octet-stream"
    assert original.headers["X-Content-Type-Options"] == "nosniff"


def test_duplicate_upload_is_reported_without_a_second_import(client):
    ent = _inspector_logged_in(client)
    data = filing_workbook([contract_row(ent)])
    upload(client, data)
    response = upload(client, data, xhr=True)
    assert response.get_json()["status"] == "duplicate"
    assert db.session.scalar(select(func.count(Upload.id))) == 1


def test_missing_file_is_a_clear_400(client):
    _inspector_logged_in(client)
    from tests.factories import csrf_token

    token = csrf_token(client, "/filings/upload")
    response = client.post(
        "/filings/upload", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_filings_list_filters_and_exports_the_same_rows(client):
    ent = _inspector_logged_in(client)
    rows = [contract_row(ent, 合同编号="F-OK"), contract_row(ent, 合同编号="F-FLAG", 报送日期=None)]
    assert upload(client, filing_workbook(rows)).status_code == 200
    flagged = client.get("/filings?flag=ART42_MISSING").get_data(as_text=True)
    assert "F-FLAG" in flagged and "F-OK" not in flagged
    export = client.get("/filings?flag=any&export=xlsx")
    assert export.mimetype.endswith("spreadsheetml.sheet")
    ws = openpyxl.load_workbook(BytesIO(export.data)).active
    numbers = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert numbers == ["F-FLAG"]
    assert ws.freeze_panes == "A2"


def test_export_neutralises_formula_injection(client):
    ent = _inspector_logged_in(client)
    assert (
        upload(client, filing_workbook([contract_row(ent, 合同编号="@SUM(1+1)*cmd")])).status_code
        == 200
    )
    export = client.get("/filings?export=xlsx")
    cell = openpyxl.load_workbook(BytesIO(export.data)).active.cell(row=2, column=1)
    assert cell.value == "@SUM(1+1)*cmd"
    assert cell.data_type == "s"


def test_contract_page_shows_versions_items_flags_and_original(client):
    ent = _inspector_logged_in(client)
    upload(client, filing_workbook([contract_row(ent, 合同编号="P-1", 最低工资标准=1800)]))
    upload(client, filing_workbook([contract_row(ent, 合同编号="P-1", 最低工资标准=2100)]))
    contract = db.session.scalars(select(Contract)).one()
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "第 2 版" in html and "第 1 版" in html
    assert "低于当地最低工资标准 2010" not in html  # WY is tier 3 (2010): 2100 passes
    old = client.get(f"/contracts/{contract.id}?version=1").get_data(as_text=True)
    assert "这是历史版本" in old and "最低工资低于当地最低工资标准" in old
    assert "下载原文件" not in html or "/original" in html
    assert client.get(f"/contracts/{contract.id}?version=9").status_code == 404


def test_template_downloads_with_validation_lists(client):
    response = client.get("/filings/template.xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(BytesIO(response.data))
    assert wb.sheetnames[:4] == ["说明", "合同", "协商事项", "覆盖企业"]
    # headers only: an example row there would be imported
    assert all(c.value is None for row in wb["合同"].iter_rows(min_row=2) for c in row)
    assert len(wb["合同"].data_validations.dataValidation) >= 3
    assert wb["代码表"].sheet_state == "hidden"
    registry = openpyxl.load_workbook(BytesIO(client.get("/registry/template.xlsx").data))
    assert "企业名录" in registry.sheetnames


def test_template_filled_in_imports_cleanly(client):
    ent = _inspector_logged_in(client)
    wb = openpyxl.load_workbook(BytesIO(client.get("/filings/template.xlsx").data))
    row = contract_row(ent, 合同编号="T-1")
    headers = [c.value for c in wb["合同"][1]]
    for col, header in enumerate(headers, start=1):
        wb["合同"].cell(row=2, column=col, value=row.get(header))
    for col, value in enumerate(["T-1", "S01", "技能工资"], start=1):
        wb["协商事项"].cell(row=2, column=col, value=value)
    buf = BytesIO()
    wb.save(buf)
    response = upload(client, buf.getvalue(), filename="模板.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)[-3000:]
    assert "已导入 1 份合同" in response.get_data(as_text=True)


def test_pages_render_for_each_role(client):
    ent = _inspector_logged_in(client)
    upload(client, filing_workbook([contract_row(ent)]))
    for url in (
        "/",
        "/filings",
        "/registry",
        "/uploads",
        "/filings/upload",
        "/registry/upload",
        f"/enterprises/{ent.id}",
    ):
        assert client.get(url).status_code == 200, url
