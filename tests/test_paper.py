"""整改通知书, 约谈通知书 and the half-year 讲评 as .docx (SPEC §6 Documents on paper)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from audits.models import Interview, Rectification
from audits.services import escalate
from core.db import db
from core.models import AuditLog, Role
from reports.review import Half
from tests.factories import county, csrf_token, login, make_enterprise, make_finding, make_user

ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts")
)


def _text(data: bytes) -> str:
    doc = Document(BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture()
def overdue(app):
    ent = make_enterprise("WY", name="武义县纸面测试五金有限公司")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("ent-WY-1", Role.ENTERPRISE, enterprise=ent)
    make_user("city", Role.CITY)
    make_finding(insp, ent, date(2026, 9, 1), description="签订后第15日才报送")
    escalate(date(2026, 11, 25))
    db.session.commit()
    return ent


def test_the_rectification_notice_is_an_official_notice(overdue, client):
    rect = db.session.scalars(select(Rectification)).one()
    login(client, "ent-WY-1")  # the enterprise it is addressed to may download it
    response = client.get(f"/rectifications/{rect.id}/notice.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    text = _text(response.data)
    assert "集体合同整改通知书" in text
    assert "武义县纸面测试五金有限公司：" in text
    assert "签订后第15日才报送" in text and "2026年10月1日" in text
    assert "武义县总工会" in text and "（盖章）" in text


def test_the_interview_notice_names_the_enterprise_leader(overdue, client):
    interview = db.session.scalars(select(Interview).where(Interview.level == "county")).one()
    login(client, "insp-WY")
    text = _text(client.get(f"/interviews/{interview.id}/notice.docx").data)
    assert "约谈通知书" in text and "武义县纸面测试五金有限公司负责人：" in text
    assert "签订后第15日才报送" in text and "武义县总工会" in text


def test_the_city_writes_commentary_that_lands_in_the_review_docx(overdue, client):
    login(client, "city")
    wy = county("WY")
    token = csrf_token(client, "/review/2026H2")
    response = client.post(
        "/review/2026H2/comments",
        data={"csrf_token": token, f"comment_{wy.id}": "武义县逾期整改偏多，请加强跟踪。"},
    )
    assert response.status_code == 302
    assert "武义县逾期整改偏多" in client.get("/review/2026H2").get_data(as_text=True)
    text = _text(client.get("/review/2026H2?export=docx").data)
    assert "2026年下半年工资集体协商工作复盘讲评" in text
    assert "武义县逾期整改偏多，请加强跟踪。" in text and "（未撰写讲评）" in text
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.object_type == "review_comment")
    ).one()
    assert entry.after["text"] == "武义县逾期整改偏多，请加强跟踪。"


def test_the_review_offers_the_next_half_until_the_current_one(app, client):
    make_user("city", Role.CITY)
    db.session.commit()
    login(client, "city")
    older = client.get("/review/2025H1").get_data(as_text=True)
    assert 'href="/review/2025H2"' in older
    assert str(Half(2025, 1).previous()) == "2024H2"


def test_a_notice_opens_in_libreoffice_and_renders(overdue, tmp_path):
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.skip("LibreOffice (soffice) or poppler-utils (pdftoppm) is not installed")
    from audits.paper import rectification_notice

    rect = db.session.scalars(select(Rectification)).one()
    source = tmp_path / "rectification-notice.docx"
    source.write_bytes(rectification_notice(rect, date(2026, 11, 25)))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "rectification-notice.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    assert "整改通知书" in PdfReader(str(pdf)).pages[0].extract_text().replace(" ", "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "rectification-notice.pdf")
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / "rectification-notice"),
        ],
        check=True,
        timeout=60,
    )
    assert (ARTIFACTS / "rectification-notice.png").stat().st_size > 1000
