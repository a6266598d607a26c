"""Hostile workbooks shared by the in-process tests and the gunicorn run (SPEC §4: "No upload
can hurt the service"): a valid filing workbook with one far cell added to its 合同 sheet, in
the spellings the native reader accepts, plus the older hostile corpus."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from tests.factories import contract_row, filing_workbook

#: cells (or rows) placed after the last row of 合同; each made the reader allocate a grid up
#: to the far position (64 GB for A100000000: the process aborted)
FAR_ROWS: dict[str, bytes] = {
    "A100000000": b'<row r="3"><c r="A100000000" t="inlineStr"><is><t>x</t></is></c></row>',
    "A1000000 + CV1000000": (
        b'<row r="3"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c>'
        b'<c r="CV1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    ),
    "lower case": b'<row r="3"><c r="a100000000" t="inlineStr"><is><t>x</t></is></c></row>',
    "single quotes": b"<row r='3'><c r='A100000000' t='inlineStr'><is><t>x</t></is></c></row>",
    "leading zeros": b'<row r="3"><c r="A000100000000"><v>1</v></c></row>',
    "character reference": b'<row r="3"><c r="&#65;100000000"><v>1</v></c></row>',
    "far row, cell without r": b'<row r="100000000"><c><v>1</v></c></row>',
    "far row before a near one": (
        b'<row r="100000000"><c><v>1</v></c></row><row r="4"><c r="A4"><v>1</v></c></row>'
    ),
    "one row past the limit": b'<row r="50006"><c r="A50006"><v>1</v></c></row>',
}


def with_far_row(extra: bytes, data: bytes | None = None) -> bytes:
    """A valid filing workbook (one contract) with ``extra`` before ``</sheetData>`` of 合同."""
    data = data or filing_workbook([contract_row(None, 合同编号="FAR-1", 协商层级="行业性")])
    part = "xl/worksheets/sheet1.xml"  # openpyxl numbers the sheets in order: 合同 first
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                assert b"</sheetData>" in body
                body = body.replace(b"</sheetData>", extra + b"</sheetData>", 1)
            dst.writestr(info, body)
    return out.getvalue()


def far_cell_files() -> dict[str, Callable[[], bytes]]:
    return {
        f"far cell: {name}": (lambda extra=extra: with_far_row(extra))
        for name, extra in FAR_ROWS.items()
    }
