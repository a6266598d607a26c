"""Contract texts on the web: attach on the contract page, escaped highlights, admin rules."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from sqlalchemy import select

from bargaining.models import ContractText, ContractVersion, ItemRecognition
from bargaining.services import KIND_FILINGS
from bargaining.texts import attach_text, process_queued_texts
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role
from tests.conftest import TODAY
from tests.factories import (
    contract_row,
    csrf_token,
    filing_workbook,
    login,
    make_enterprise,
    make_user,
)
from tests.text_files import docx_bytes

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _filed() -> tuple[object, ContractVersion]:
    inspector = make_user("insp-WY", Role.INSPECTOR, "WY")
    ent = make_enterprise("WY")
    run_upload(
        inspector,
        KIND_FILINGS,
        "f.xlsx",
        filing_workbook([contract_row(ent, 合同编号="HT-W")]),
        TODAY,
    )
    version = db.session.scalars(select(ContractVersion)).one()
    db.session.commit()
    return inspector, version


def test_inspector_attaches_a_text_on_the_contract_page(client, app) -> None:
    _inspector, version = _filed()
    login(client, "insp-WY")
    url = f"/contracts/{version.contract_id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/texts",
        data={"csrf_token": token, "version": "1", "text": (BytesIO(docx_bytes()), "合同.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    text = db.session.scalars(select(ContractText)).one()
    assert text.status == "queued"  # read by the job process, not in the request
    page = client.get(url).get_data(as_text=True)
    assert "排队等待读取" in page and 'http-equiv="refresh"' in page


def test_contract_page_highlights_passages_and_escapes_the_text(client, app) -> None:
    inspector, version = _filed()
    lines = ["第一条 职工上夜班的，发放夜班津贴<script>alert(1)</script>。", "第二条 其他事项。"]
    attach_text(inspector, version, "a.docx", docx_bytes(lines))
    db.session.commit()
    process_queued_texts(NOW)
    login(client, "insp-WY")
    page = client.get(f"/contracts/{version.contract_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert (
        '<mark title="A01">第一条 职工上夜班的，发放夜班津贴&lt;script&gt;alert(1)&lt;/script&gt;。</mark>'
        in page
    )
    assert "已备案但文本中未找到：S01、W01" in page


def test_admin_edits_recognition_rules_and_a_bad_pattern_is_refused(client, app) -> None:
    make_user("admin", Role.ADMIN)
    db.session.commit()
    login(client, "admin")
    token = csrf_token(client, "/admin/recognition")
    bad = client.post(
        "/admin/recognition",
        data={"csrf_token": token, "code": "A01", "keywords": "夜班", "patterns": "夜班(("},
    )
    assert bad.status_code == 400
    assert db.session.get(ItemRecognition, "A01").keywords != ["夜班"]
    good = client.post(
        "/admin/recognition",
        data={"csrf_token": token, "code": "A01", "keywords": "夜班\n 中班津贴 \n", "patterns": ""},
    )
    assert good.status_code == 303
    db.session.expire_all()
    assert db.session.get(ItemRecognition, "A01").keywords == ["夜班", "中班津贴"]
