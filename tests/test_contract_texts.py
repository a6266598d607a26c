"""Attaching contract texts: kept with SHA-256, queued, extracted outside the request, and
`flask attach-text --json` (SPEC §4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bargaining.models import ContractText, ContractVersion, ItemRecognition
from bargaining.services import KIND_FILINGS
from bargaining.text_extraction import ChildLimits
from bargaining.texts import attach_text, process_queued_texts, recognition_rules, version_text
from bargaining.uploads import run_upload
from core.db import db
from core.errors import UserError
from core.models import Role, StoredFile
from tests.conftest import TODAY
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user
from tests.text_files import docx_bytes, needs_tesseract, scan_png, text_pdf

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
KEYS = [
    "contract",
    "version",
    "sha256",
    "pages",
    "chars",
    "items_found",
    "items_filed",
    "filed_not_found",
    "found_not_filed",
]


@pytest.fixture()
def filed(app):
    """An inspector of WY and one filed contract HT-T1 with items W01, S01, A01."""
    inspector = make_user("insp-WY", Role.INSPECTOR, "WY")
    ent = make_enterprise("WY")
    outcome = run_upload(
        inspector,
        KIND_FILINGS,
        "f.xlsx",
        filing_workbook([contract_row(ent, 合同编号="HT-T1")]),
        TODAY,
    )
    assert outcome.status == "imported"
    version = db.session.scalars(select(ContractVersion)).one()
    return inspector, version


def _write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_attached_text_is_kept_and_queued_not_read_in_the_request(filed) -> None:
    inspector, version = filed
    text, fresh = attach_text(inspector, version, "合同.docx", docx_bytes())
    assert fresh and text.status == "queued" and text.text == ""
    assert db.session.get(StoredFile, text.sha256).size == len(docx_bytes())


def test_the_same_file_twice_is_recognised(filed) -> None:
    inspector, version = filed
    first, _ = attach_text(inspector, version, "a.pdf", text_pdf())
    again, fresh = attach_text(inspector, version, "b.pdf", text_pdf())
    assert (again.id, fresh) == (first.id, False)


def test_too_large_and_unknown_files_are_refused(filed, app) -> None:
    inspector, version = filed
    with pytest.raises(UserError) as big:
        attach_text(inspector, version, "big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))
    assert big.value.status == 413
    with pytest.raises(UserError) as odd:
        attach_text(inspector, version, "x.exe", b"MZ\x90\x00")
    assert odd.value.status == 415


def test_city_leader_attaches_nothing(filed) -> None:
    _inspector, version = filed
    city = make_user("city", Role.CITY)
    with pytest.raises(UserError) as refused:
        attach_text(city, version, "a.pdf", text_pdf())
    assert refused.value.status == 403


def test_job_extracts_queued_texts_and_recognises_items(filed) -> None:
    inspector, version = filed
    attach_text(inspector, version, "a.docx", docx_bytes())
    db.session.commit()
    assert process_queued_texts(NOW) == 1
    vt = version_text(db.session.get(ContractVersion, version.id))
    assert vt.files[0].status == "done"
    assert {"W01", "W02", "W03", "A01"} <= set(vt.found_codes)
    assert vt.comparison.filed_not_found == ["S01"]
    assert vt.comparison.found_not_filed == ["W02", "W03"]
    assert (vt.facts.delegates_total, vt.facts.votes_for) == (45, 38)
    assert process_queued_texts(NOW) == 0


def test_a_file_that_kills_its_reader_fails_with_a_message_and_stays_kept(filed) -> None:
    inspector, version = filed
    text, _ = attach_text(inspector, version, "a.pdf", text_pdf())
    db.session.commit()
    process_queued_texts(NOW, limits=ChildLimits(memory_mb=20, cpu_seconds=5, wall_seconds=30))
    text = db.session.get(ContractText, text.id)
    assert text.status == "failed"
    assert "原文件已保存" in str(text.message)
    assert db.session.get(StoredFile, text.sha256) is not None


def test_rules_are_seeded_in_the_database_and_edits_apply(filed) -> None:
    inspector, version = filed
    rule = db.session.get(ItemRecognition, "S01")
    rule.keywords = ["岗位工资制"]
    db.session.commit()
    attach_text(inspector, version, "a.docx", docx_bytes())
    db.session.commit()
    process_queued_texts(NOW)
    vt = version_text(db.session.get(ContractVersion, version.id), recognition_rules())
    assert "S01" in vt.found_codes


def test_cli_attach_text_json_on_a_docx(filed, runner, tmp_path) -> None:
    db.session.commit()
    path = _write(tmp_path, "contract.docx", docx_bytes())
    result = runner.invoke(
        args=["attach-text", "--contract", "HT-T1", path, "--as", "insp-WY", "--json"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert list(data) == KEYS
    assert data["contract"] == "HT-T1" and data["version"] == 1
    assert data["items_filed"] == ["A01", "S01", "W01"]
    assert [i["code"] for i in data["items_found"]] == ["A01", "W01", "W02", "W03"]
    night = next(i for i in data["items_found"] if i["code"] == "A01")
    assert night["passages"] == ["第四条 职工上夜班的，企业按每班20元发放夜班津贴。"]
    assert data["filed_not_found"] == ["S01"]
    assert data["found_not_filed"] == ["W02", "W03"]


def test_cli_attach_text_on_a_text_pdf(filed, runner, tmp_path) -> None:
    db.session.commit()
    path = _write(tmp_path, "contract.pdf", text_pdf())
    result = runner.invoke(
        args=["attach-text", "--contract", "HT-T1", path, "--as", "insp-WY", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["pages"] == 1 and data["chars"] > 50
    assert "A01" in [i["code"] for i in data["items_found"]]


def test_cli_attach_text_on_a_scanned_page(filed, runner, tmp_path) -> None:
    needs_tesseract()
    db.session.commit()
    path = _write(tmp_path, "scan.png", scan_png())
    result = runner.invoke(
        args=["attach-text", "--contract", "HT-T1", path, "--as", "insp-WY", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"W01", "A01"} <= {i["code"] for i in data["items_found"]}


def test_cli_unreadable_text_exits_1_and_keeps_the_file(filed, runner, tmp_path) -> None:
    db.session.commit()
    path = _write(tmp_path, "broken.pdf", b"%PDF-1.4\n1 0 obj garbage")
    result = runner.invoke(args=["attach-text", "--contract", "HT-T1", path, "--as", "insp-WY"])
    assert result.exit_code == 1
    assert "原文件已保存" in result.stderr
    assert "Traceback" not in result.output
    assert db.session.scalars(select(ContractText.status)).all() == ["failed"]


def test_cli_unknown_contract_exits_1(filed, runner, tmp_path) -> None:
    db.session.commit()
    path = _write(tmp_path, "c.pdf", text_pdf())
    result = runner.invoke(args=["attach-text", "--contract", "NOPE", path, "--as", "insp-WY"])
    assert result.exit_code == 1
    assert "NOPE" in result.stderr


def test_texts_left_processing_by_a_dead_job_are_queued_again(filed) -> None:
    from datetime import timedelta

    from bargaining.texts import claim, requeue_stale

    inspector, version = filed
    text, _ = attach_text(inspector, version, "a.pdf", text_pdf())
    text.created_at = NOW - timedelta(hours=1)
    db.session.commit()
    assert claim(text.id)
    db.session.commit()
    assert requeue_stale(NOW) == 1
    db.session.commit()
    assert process_queued_texts(NOW) == 1
    assert db.session.get(ContractText, text.id).status == "done"
