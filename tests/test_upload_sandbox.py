"""Workbooks are parsed in a limited child process (SPEC §4 "No upload can hurt the
service"): far cells are refused by the container check before parsing, and whatever kills
the parser (an abort, memory, time) is a file-level error, the upload is marked failed, and
this process — the web worker, the CLI — lives on. Were any of these parsed in-process, the
native abort would end the test session itself."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

import core.spreadsheet_sandbox as sandbox
from bargaining.models import Contract, Upload
from core.db import db
from core.models import Role
from core.spreadsheet import FileRejected, Limits
from core.spreadsheet_sandbox import ParserDied, SandboxLimits, read_workbook_isolated, run_isolated
from tests.factories import (
    contract_row,
    filing_workbook,
    login,
    make_enterprise,
    make_user,
    registry_workbook,
    upload,
)
from tests.hostile_corpus import FAR_ROWS, with_far_row


@pytest.mark.parametrize("name", list(FAR_ROWS))
def test_a_far_cell_is_refused_before_parsing(name: str) -> None:
    with pytest.raises(FileRejected) as info:
        read_workbook_isolated(with_far_row(FAR_ROWS[name]), Limits())
    assert type(info.value) is FileRejected  # the guard refused it, the parser never ran
    assert info.value.status == 413
    assert "行上限" in info.value.message


def test_a_far_cell_with_formatting_only_is_accepted() -> None:
    """A styled but empty cell far down costs the reader nothing (SPEC §4: formatted-but-empty
    rows are accepted)."""
    data = with_far_row(b'<row r="3"><c r="A100000000" s="0"/></row>')
    book = read_workbook_isolated(data, Limits())
    assert book.sheets["合同"][1][0] == "FAR-1"


def _abort(data: bytes) -> None:
    os.abort()


def _kill_self(data: bytes) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _allocate(data: bytes) -> bytes:
    return bytes(2 << 30)  # 2 GB, over the 64 MB budget below


def _spin(data: bytes) -> None:
    while True:
        pass


def _echo(data: bytes) -> list[object]:
    return [len(data), "合同", 1.5]


def _reject(data: bytes) -> None:
    from core.i18n import Msg

    raise FileRejected(Msg("文件为空，请选择填写好的 Excel 文件"), 400)


def _smuggle(data: bytes) -> object:
    return os.system  # not plain data: the parent refuses to unpickle it


def test_the_child_answers_plain_data() -> None:
    assert run_isolated(_echo, b"abc") == [3, "合同", 1.5]


def test_a_file_rejected_in_the_child_is_rejected_here() -> None:
    with pytest.raises(FileRejected) as info:
        run_isolated(_reject, b"abc")
    assert type(info.value) is FileRejected and info.value.status == 400
    assert info.value.message.msgid.startswith("文件为空")


@pytest.mark.parametrize("work", [_abort, _kill_self], ids=["abort", "segfault"])
def test_a_child_killed_by_a_signal_is_a_file_level_error(work) -> None:
    with pytest.raises(ParserDied) as info:
        run_isolated(work, b"abc")
    assert "异常退出" in info.value.message


def test_a_child_over_its_memory_budget_is_a_file_level_error() -> None:
    with pytest.raises(ParserDied) as info:
        run_isolated(_allocate, b"abc", SandboxLimits(memory_mb=64))
    assert "内存" in info.value.message


def test_a_child_over_its_time_is_killed() -> None:
    with pytest.raises(ParserDied) as info:
        run_isolated(_spin, b"abc", SandboxLimits(wall_seconds=1))
    assert "超时" in info.value.message


def test_a_child_over_its_cpu_time_is_killed() -> None:
    with pytest.raises(ParserDied) as info:
        run_isolated(_spin, b"abc", SandboxLimits(cpu_seconds=1, wall_seconds=120))
    assert "超时" in info.value.message


def test_the_child_cannot_send_back_code() -> None:
    with pytest.raises(ParserDied) as info:
        run_isolated(_smuggle, b"abc")
    assert "not allowed" in str(info.value.__cause__)


# ---------------------------------------------------------------------------- through the web


def _inspector(client):
    make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")


def test_the_far_cell_upload_is_a_file_level_4xx(client) -> None:
    _inspector(client)
    response = upload(client, with_far_row(FAR_ROWS["A100000000"]), xhr=True)
    assert response.status_code == 413
    assert "行上限" in response.get_json()["message"]
    stored = db.session.scalars(select(Upload)).one()
    assert stored.status == "rejected"
    assert [e["sheet"] for e in stored.errors] == ["文件"]
    assert db.session.scalar(select(func.count(Contract.id))) == 0
    assert client.get("/uploads").status_code == 200  # the worker still serves


def test_a_parser_that_dies_marks_the_upload_failed(client, monkeypatch) -> None:
    """The child is forked from this process, so the patched reader is the one it runs."""
    monkeypatch.setattr(sandbox, "read_workbook", lambda *a, **k: os.abort())
    _inspector(client)
    response = upload(client, filing_workbook([contract_row(None, 协商层级="行业性")]), xhr=True)
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert body["status"] == "failed" and "异常退出" in body["message"]
    stored = db.session.scalars(select(Upload)).one()
    assert stored.status == "failed"
    assert stored.errors[0]["sheet"] == "文件" and stored.errors[0]["row"] is None
    assert client.get(f"/uploads/{stored.id}").status_code == 200


def test_the_cli_reports_a_dead_parser_as_a_file_line(
    app, runner, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(sandbox, "read_workbook", lambda *a, **k: os.abort())
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = tmp_path / "f.xlsx"
    path.write_bytes(filing_workbook([contract_row(None, 协商层级="行业性")]))
    result = runner.invoke(args=["import-filings", str(path), "--as", "insp-WY"])
    assert result.exit_code == 1
    assert result.stderr.startswith("file: ") and "异常退出" in result.stderr
    assert db.session.scalars(select(Upload.status)).all() == ["failed"]


def test_the_cli_refuses_the_far_cell_file(app, runner, tmp_path: Path) -> None:
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = tmp_path / "far.xlsx"
    path.write_bytes(with_far_row(FAR_ROWS["A1000000 + CV1000000"]))
    result = runner.invoke(args=["import-filings", str(path), "--as", "insp-WY"])
    assert result.exit_code == 1
    assert result.stderr.startswith("file: ") and "行上限" in result.stderr


def test_the_registry_upload_is_read_in_the_child_too(client, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "read_workbook", lambda *a, **k: os.abort())
    _inspector(client)
    response = upload(client, registry_workbook([]), url="/registry/upload", xhr=True)
    assert response.get_json()["status"] == "failed"


def test_the_marked_copy_is_built_once(client, monkeypatch) -> None:
    import bargaining.services as services

    _inspector(client)
    bad = contract_row(None, 协商层级="行业性", 签订日期="2026年13月1日")
    upload(client, filing_workbook([bad]))
    stored = db.session.scalars(select(Upload)).one()
    assert stored.status == "rejected"
    reads = []
    original = services.read_isolated
    monkeypatch.setattr(services, "read_isolated", lambda *a: reads.append(1) or original(*a))
    first = client.get(f"/uploads/{stored.id}/marked.xlsx")
    second = client.get(f"/uploads/{stored.id}/marked.xlsx")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert reads == [1]
