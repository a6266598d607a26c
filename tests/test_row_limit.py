"""The row limit counts data rows exactly (SPEC §4: "50,000 data rows per sheet, the header
not counted, no slack; both settings"): with upload_max_rows = 10 a sheet of 10 data rows is
imported and one of 11 is refused, wherever the header sits among the first five rows."""

from __future__ import annotations

import pytest

from bargaining.services import KIND_FILINGS, KIND_REGISTRY
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role, Setting
from core.spreadsheet import FileRejected, Limits, read_workbook
from tests.conftest import TODAY
from tests.factories import (
    contract_row,
    filing_workbook,
    make_enterprise,
    make_user,
    registry_row,
    registry_workbook,
)


@pytest.fixture()
def inspector(app):
    db.session.get(Setting, "upload_max_rows").value = 10
    db.session.flush()
    return make_user("insp-WY", Role.INSPECTOR, "WY")


def _workbook(n: int, title_row: str | None) -> bytes:
    """n contracts, one item each (协商事项 holds n data rows too)."""
    contracts = [contract_row(make_enterprise("WY")) for _ in range(n)]
    items = [{"合同编号": c["合同编号"], "事项代码": "W01", "条款摘要": ""} for c in contracts]
    return filing_workbook(contracts, items=items, title_row=title_row)


@pytest.mark.parametrize("title_row", [None, "金华市集体合同备案表"], ids=["header", "title"])
def test_ten_data_rows_are_imported(inspector, title_row) -> None:
    data = _workbook(10, title_row)
    outcome = run_upload(inspector, KIND_FILINGS, "ten.xlsx", data, TODAY)
    assert outcome.status == "imported", [str(e.message) for e in outcome.errors]
    assert outcome.upload.counts["contracts"] == 10


@pytest.mark.parametrize("title_row", [None, "金华市集体合同备案表"], ids=["header", "title"])
def test_eleven_data_rows_are_refused(inspector, title_row) -> None:
    data = _workbook(11, title_row)
    outcome = run_upload(inspector, KIND_FILINGS, "eleven.xlsx", data, TODAY)
    assert outcome.status == "rejected"
    assert {(e.sheet, e.row) for e in outcome.errors} == {("文件", None)}  # file-level
    messages = [str(e.message) for e in outcome.errors]
    assert any("「合同」有 11 行数据" in m and "10 行上限" in m for m in messages), messages
    assert any("「协商事项」有 11 行数据" in m for m in messages), messages


def test_the_registry_counts_data_rows_too(inspector) -> None:
    ok = run_upload(
        inspector,
        KIND_REGISTRY,
        "r.xlsx",
        registry_workbook([registry_row() for _ in range(10)]),
        TODAY,
    )
    assert ok.status == "imported", [str(e.message) for e in ok.errors]
    refused = run_upload(
        inspector,
        KIND_REGISTRY,
        "r.xlsx",
        registry_workbook([registry_row() for _ in range(11)]),
        TODAY,
    )
    assert refused.status == "rejected"
    assert "11 行数据" in refused.errors[0].message


def _sheet(rows: int) -> bytes:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    for i in range(rows):
        wb.active.append([f"r{i}", i])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_reader_refuses_a_sheet_past_any_possible_header_plus_the_limit() -> None:
    """Before the header is known, the reader's bound is the limit plus the five rows the
    header may be found in; the exact count is the importer's (above)."""
    assert len(read_workbook(_sheet(15), Limits(max_rows=10)).sheets["Sheet"]) == 15
    with pytest.raises(FileRejected):
        read_workbook(_sheet(16), Limits(max_rows=10))
