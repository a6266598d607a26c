"""Nothing kept without limit (SPEC §4, issue 14): refused and failed originals purged after
the setting's days, a per-user upload rate, no-store on downloads, external links flagged."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from bargaining.models import Upload
from bargaining.services import KIND_FILINGS, purge_refused_uploads
from bargaining.uploads import run_upload
from core.db import db, utcnow
from core.models import AuditLog, Role, Setting, StoredFile
from tests.conftest import TODAY
from tests.factories import contract_row, filing_workbook, login, make_enterprise, make_user, upload


@pytest.fixture()
def inspector(app):
    return make_user("insp-WY", Role.INSPECTOR, "WY")


def _refused(inspector, days_ago: int, number: str = "R-1") -> Upload:
    bad = contract_row(None, 合同编号=number, 协商层级="行业性", 签订日期="2026年13月1日")
    outcome = run_upload(inspector, KIND_FILINGS, "bad.xlsx", filing_workbook([bad]), TODAY)
    assert outcome.status == "rejected"
    outcome.upload.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return outcome.upload


def test_a_refused_original_is_purged_after_90_days(inspector) -> None:
    old, young = _refused(inspector, 91, "R-old"), _refused(inspector, 89, "R-young")
    assert purge_refused_uploads(utcnow()) == 1
    db.session.commit()
    assert old.purged_at is not None and young.purged_at is None
    assert db.session.get(StoredFile, old.sha256).data == b""
    assert db.session.get(StoredFile, young.sha256).data != b""
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "purge")).all()


def test_the_purge_is_idempotent(inspector) -> None:
    _refused(inspector, 120)
    assert purge_refused_uploads(utcnow()) == 1
    assert purge_refused_uploads(utcnow()) == 0


def test_the_keep_days_are_a_setting(inspector) -> None:
    _refused(inspector, 20)
    db.session.get(Setting, "upload_refused_keep_days").value = 10
    assert purge_refused_uploads(utcnow()) == 1


def test_bytes_another_upload_still_needs_are_kept(inspector) -> None:
    old = _refused(inspector, 100)
    data = db.session.get(StoredFile, old.sha256).data
    again = run_upload(inspector, KIND_FILINGS, "bad.xlsx", data, TODAY)  # refused again today
    assert again.status == "rejected"
    purge_refused_uploads(utcnow())
    assert old.purged_at is not None
    assert db.session.get(StoredFile, old.sha256).data == data


def test_a_purged_original_is_gone_from_the_web_and_comes_back_with_a_new_upload(
    client, inspector
) -> None:
    old = _refused(inspector, 100)
    data = db.session.get(StoredFile, old.sha256).data
    purge_refused_uploads(utcnow())
    db.session.commit()
    login(client, "insp-WY")
    assert client.get(f"/uploads/{old.id}/original").status_code == 404
    assert client.get(f"/uploads/{old.id}/marked.xlsx").status_code == 404
    assert "原文件已按保留期限清除" in client.get(f"/uploads/{old.id}").get_data(as_text=True)
    upload(client, data)
    assert db.session.get(StoredFile, old.sha256).data == data


def test_uploads_are_rate_limited_per_user(client, inspector) -> None:
    db.session.get(Setting, "upload_rate_per_hour").value = 2
    ent = make_enterprise("WY")
    db.session.commit()
    login(client, "insp-WY")
    statuses = [
        upload(client, filing_workbook([contract_row(ent, 合同编号=f"L-{i}")]), xhr=True)
        for i in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert "每小时最多上传 2 个文件" in statuses[2].get_json()["message"]
    assert len(db.session.scalars(select(Upload.id)).all()) == 2


def test_downloads_are_not_cached(client, inspector) -> None:
    ent = make_enterprise("WY")
    db.session.commit()
    login(client, "insp-WY")
    url = upload(client, filing_workbook([contract_row(ent)]), xhr=True).get_json()["url"]
    assert client.get(url + "/original").headers["Cache-Control"] == "no-store"
    assert client.get("/filings?export=xlsx").headers["Cache-Control"] == "no-store"
    assert client.get("/filings/template.xlsx").headers["Cache-Control"] == "no-store"


def _with_external_link(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(
            "xl/externalLinks/externalLink1.xml",
            '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships" r:id="rId1"/></externalLink>',
        )
        dst.writestr(
            "xl/externalLinks/_rels/externalLink1.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="file:///C:/other.xlsx" TargetMode="External" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'externalLinkPath"/></Relationships>',
        )
    return out.getvalue()


def test_a_workbook_with_external_links_is_flagged(client, inspector) -> None:
    ent = make_enterprise("WY")
    db.session.commit()
    login(client, "insp-WY")
    data = _with_external_link(filing_workbook([contract_row(ent)]))
    body = upload(client, data, xhr=True).get_json()
    assert body["status"] == "imported", body
    stored = db.session.scalars(select(Upload)).one()
    assert stored.external_links == 1
    assert "链接了 1 个外部工作簿" in client.get(body["url"]).get_data(as_text=True)
