"""Every hostile file kind through the web upload: a 4xx with a Chinese message, 0 rows stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from bargaining.models import Contract, ContractVersion, Upload
from core.db import db
from core.models import Role
from tests.cpu_bounds import cpu_bound
from tests.factories import contract_row, filing_workbook, login, make_enterprise, make_user, upload
from tests.test_spreadsheet_reading import (
    SHEET_HEAD,
    SHEET_TAIL,
    billion_laughs,
    make_encrypted_xlsx,
    make_xls,
    sheet1_xml,
    with_sheet1,
    zip_bomb,
)


def _formula_workbook() -> bytes:
    import io

    import openpyxl

    ent_row = contract_row(None, 合同编号="F-1", 协商层级="行业性")
    data = filing_workbook([ent_row])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["合同"]["O2"] = "=300+20"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HOSTILE: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "not a spreadsheet": lambda: "合同编号,企业名称\nA,B\n".encode("gbk"),
    "html renamed .xlsx": lambda: b"<html><body>hi</body></html>",
    "truncated xlsx": lambda: filing_workbook([contract_row(None)])[:3000],
    "truncated xls": lambda: make_xls()[:4096],
    "encrypted": make_encrypted_xlsx,
    "zip bomb": lambda: zip_bomb(b'<row r="1"/>'),
    "billion laughs": lambda: with_sheet1(
        sheet1_xml().replace("<worksheet", billion_laughs() + "<worksheet", 1)
    ),
    "far corner cell": lambda: with_sheet1(
        SHEET_HEAD + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + SHEET_TAIL
    ),
    "formula": _formula_workbook,
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_upload_gets_a_clear_4xx_and_stores_nothing(client, kind):
    make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    data = HOSTILE[kind]()
    with cpu_bound(15, f"the {kind} upload"):
        response = upload(client, data, filename=f"{kind}.xlsx", xhr=True)
    assert 400 <= response.status_code < 500, (kind, response.status_code)
    body = response.get_json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    assert db.session.scalar(select(func.count(Contract.id))) == 0
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 0
    if data:
        assert db.session.scalars(select(Upload.status)).all() == ["rejected"]
