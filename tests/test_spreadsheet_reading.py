"""core.spreadsheet.read_workbook on good and hostile files (SPEC §4: bad input gets a clear
message, never a 500, and every upload gets an answer in bounded time).

Pure tests: every corpus file is generated here, in memory. Each read is timed against a
safety bound (not a benchmark). Inputs that make the native reader abort the whole process
(a Rust allocation failure cannot be caught in Python) are read in a child process with a
memory cap, so one of them cannot take the test session down with it.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from core.spreadsheet import FileRejected, FormulaCell, Limits, Workbook, read_workbook
from tests.cpu_bounds import CHILD_CPU_LIMIT, HANG_GUARD, cpu_bound

TIME_BOUND = 10.0  # CPU seconds; a safety bound per read, not a benchmark
MEMORY_BOUND = 1 << 30  # bytes of address space a child reader may add while reading one file
REPO = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")

SHEET = "合同"
ROWS: list[list[Any]] = [
    ["合同编号", "企业名称", "覆盖职工人数", "签订日期"],
    ["HT-001", "金华市某某有限公司", 120, datetime.date(2026, 6, 17)],
    ["HT-002", "义乌小商品城", 3.5, datetime.date(2026, 1, 1)],
]
OTHER_SHEETS = {"协商事项": [["合同编号", "事项代码"]], "覆盖企业": [["合同编号", "企业名称"]]}

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="' + MAIN_NS.encode() + b'"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


# --------------------------------------------------------------------------- reading helpers


def timed_read(
    data: bytes, limits: Limits | None = None, wanted: Iterable[str] | None = None
) -> Workbook:
    """read_workbook, asserting that it answers (either way) within TIME_BOUND CPU seconds."""
    with cpu_bound(TIME_BOUND, "read_workbook"):
        return read_workbook(data, limits or Limits(), wanted=wanted)


def assert_rejected(
    data: bytes,
    limits: Limits | None = None,
    *,
    status: int | None = None,
    wanted: Iterable[str] | None = None,
) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        timed_read(data, limits, wanted)
    exc = info.value
    assert CJK.search(exc.message), f"message is not Chinese: {exc.message!r}"
    assert 400 <= exc.status < 500, exc.status
    if status is not None:
        assert exc.status == status, (exc.status, exc.message)
    return exc


_CHILD = (
    CHILD_CPU_LIMIT.format(seconds=int(TIME_BOUND))
    + r"""
import json, resource, sys
from core.spreadsheet import FileRejected, Limits, read_workbook

data = open(sys.argv[1], "rb").read()
page = resource.getpagesize()
with open("/proc/self/statm") as fh:
    current = int(fh.read().split()[0]) * page
cap = current + int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
start = cpu_seconds()
try:
    read_workbook(data, Limits())
    out = {"outcome": "accepted"}
except FileRejected as exc:
    out = {"outcome": "rejected", "status": exc.status, "message": exc.message}
except BaseException as exc:
    out = {"outcome": "escaped", "type": type(exc).__name__, "error": str(exc)[:300]}
out["cpu_seconds"] = cpu_seconds() - start
print(json.dumps(out, ensure_ascii=False), flush=True)
"""
)


def assert_rejected_in_child(data: bytes, tmp_path: Path) -> dict[str, Any]:
    """Read in a child process whose address space may grow by at most MEMORY_BOUND."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(REPO), "RUST_BACKTRACE": "0"}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(MEMORY_BOUND)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"read_workbook hung for {HANG_GUARD} s")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, (
        f"the reading process died (exit {proc.returncode}; -24 is SIGXCPU, over "
        f"{TIME_BOUND:.0f} CPU seconds) instead of rejecting the file; "
        f"stderr: {proc.stderr.strip()[-600:]}"
    )
    out = json.loads(lines[-1])
    assert out["outcome"] == "rejected", out
    assert CJK.search(out["message"]), out
    assert 400 <= out["status"] < 500, out
    assert out["cpu_seconds"] < TIME_BOUND, out
    return out


# --------------------------------------------------------------------------- corpus builders


def make_xlsx(rows: list[list[Any]] = ROWS, others: dict[str, list[list[Any]]] = OTHER_SHEETS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    for row in rows:
        ws.append(row)
    for name, other in others.items():
        extra = wb.create_sheet(name)
        for row in other:
            extra.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_xls(rows: list[list[Any]] = ROWS, others: dict[str, list[list[Any]]] = OTHER_SHEETS):
    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, grid in {SHEET: rows, **others}.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if isinstance(value, datetime.date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ods_cell(value: Any) -> TableCell:
    if isinstance(value, str):
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=value))
    elif isinstance(value, datetime.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
        cell.addElement(P(text=value.isoformat()))
    else:
        cell = TableCell(valuetype="float", value=value)
        cell.addElement(P(text=str(value)))
    return cell


def make_ods(
    rows: list[list[Any]] = ROWS,
    others: dict[str, list[list[Any]]] = OTHER_SHEETS,
    formula: bool = False,
) -> bytes:
    doc = OpenDocumentSpreadsheet()
    for name, grid in {SHEET: rows, **others}.items():
        table = Table(name=name)
        for row in grid:
            tr = TableRow()
            for value in row:
                tr.addElement(_ods_cell(value))
            table.addElement(tr)
        if formula and name == SHEET:
            tr = TableRow()
            cell = TableCell(valuetype="float", value=3, formula="of:=1+2")
            cell.addElement(P(text="3"))
            tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def make_xlsm() -> bytes:
    """An .xlsx repackaged as macro-enabled: content type changed, a vbaProject.bin added."""
    return rewrite_zip(
        make_xlsx(),
        replace={
            "[Content_Types].xml": lambda old: old.replace(
                b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
            )
        },
        extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504},
    )


def make_encrypted_xlsx(password: str = "secret") -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(make_xlsx())).encrypt(password, out)
    return out.getvalue()


Writer = Callable[[Any], None]


def rewrite_zip(
    data: bytes,
    replace: dict[str, bytes | Callable[[bytes], bytes]] | None = None,
    stream: dict[str, Writer] | None = None,
    extra: dict[str, bytes] | None = None,
    rename: dict[str, str] | None = None,
    level: int = 6,
) -> bytes:
    """Copy a zip, replacing member contents (bytes, a function of the old bytes, or a writer
    streaming into the member), renaming members (and their mentions in .rels/content types)
    and adding members."""
    replace, stream, extra, rename = replace or {}, stream or {}, extra or {}, rename or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            name = info.filename
            new_name = rename.get(name, name)
            if name in stream:
                with dst.open(new_name, "w", force_zip64=True) as fh:
                    stream[name](fh)
                continue
            body = src.read(name)
            rule = replace.get(name)
            if callable(rule):
                body = rule(body)
            elif rule is not None:
                body = rule
            if name.endswith((".rels", "[Content_Types].xml")):
                for old, new in rename.items():
                    body = body.replace(
                        old.removeprefix("xl/").encode(), new.removeprefix("xl/").encode()
                    )
            dst.writestr(new_name, body)
        for name, body in extra.items():
            dst.writestr(name, body)
    return out.getvalue()


def member_span(data: bytes, name: str) -> tuple[int, int]:
    """(offset, length) of a member's compressed bytes inside the zip."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Overwrite the uncompressed size a member declares (local header and central directory)."""
    buf = bytearray(data)
    encoded = name.encode()
    pos = 0
    while (pos := buf.find(b"PK\x01\x02", pos)) >= 0:
        (length,) = struct.unpack_from("<H", buf, pos + 28)
        if bytes(buf[pos + 46 : pos + 46 + length]) == encoded:
            struct.pack_into("<I", buf, pos + 24, size)
        pos += 4
    pos = 0
    while (pos := buf.find(b"PK\x03\x04", pos)) >= 0:
        (length,) = struct.unpack_from("<H", buf, pos + 26)
        if bytes(buf[pos + 30 : pos + 30 + length]) == encoded:
            struct.pack_into("<I", buf, pos + 22, size)
        pos += 4
    return bytes(buf)


def sheet1_xml() -> str:
    return zipfile.ZipFile(io.BytesIO(make_xlsx())).read("xl/worksheets/sheet1.xml").decode()


def with_sheet1(body: bytes | str, **kwargs: Any) -> bytes:
    if isinstance(body, str):
        body = body.encode()
    return rewrite_zip(make_xlsx(), replace={"xl/worksheets/sheet1.xml": body}, **kwargs)


def bomb_writer(unit: bytes, total: int) -> Writer:
    def write(fh: Any) -> None:
        block = unit * ((1 << 20) // len(unit))
        fh.write(SHEET_HEAD)
        written = 0
        while written < total:
            fh.write(block)
            written += len(block)
        fh.write(SHEET_TAIL)

    return write


_BOMBS: dict[tuple[bytes, bool], bytes] = {}


def zip_bomb(unit: bytes, padded: bool = False) -> bytes:
    """An .xlsx whose first sheet is ~300 MB of ``unit``, deflated (built once per session).
    ``padded`` adds 2 MB of incompressible bytes so the overall ratio looks innocent."""
    key = (unit, padded)
    if key not in _BOMBS:
        extra = {"xl/media/image1.png": os.urandom(2 << 20)} if padded else {}
        _BOMBS[key] = rewrite_zip(
            make_xlsx(),
            stream={"xl/worksheets/sheet1.xml": bomb_writer(unit, 300 << 20)},
            extra=extra,
            level=9,
        )
    return _BOMBS[key]


def billion_laughs(levels: int = 9) -> str:
    decls = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels + 1):
        decls.append(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    return "<!DOCTYPE lolz [" + "".join(decls) + "]>"


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize(
    ("build", "fmt"),
    [(make_xlsx, "xlsx"), (make_xls, "xls"), (make_ods, "ods"), (make_xlsm, "xlsx")],
    ids=["xlsx", "xls", "ods", "xlsm"],
)
def test_each_format_gives_the_same_cells(build: Callable[[], bytes], fmt: str) -> None:
    wb = timed_read(build())
    assert wb.format == fmt
    assert wb.sheets[SHEET] == ROWS
    assert isinstance(wb.sheets[SHEET][1][3], datetime.date)
    assert wb.sheets["协商事项"] == OTHER_SHEETS["协商事项"]
    assert wb.formulas == []


def test_xlsm_fixture_is_a_macro_enabled_package() -> None:
    names = zipfile.ZipFile(io.BytesIO(make_xlsm())).namelist()
    assert "xl/workbook.xml" in names and "xl/vbaProject.bin" in names


@pytest.mark.parametrize("build", [make_xlsx, make_xls, make_ods], ids=["xlsx", "xls", "ods"])
@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ([SHEET], {SHEET}),
        (["协商事项", "覆盖企业"], {"协商事项", "覆盖企业"}),
        ([" 合同 "], {SHEET}),  # names are compared after NFKC + strip
        (["不存在"], set()),
        ([], set()),
        (None, {SHEET, "协商事项", "覆盖企业"}),
    ],
)
def test_wanted_loads_only_the_named_sheets(
    build: Callable[[], bytes], wanted: list[str] | None, expected: set[str]
) -> None:
    wb = timed_read(build(), wanted=wanted)
    assert set(wb.sheets) == expected
    if SHEET in expected:
        assert wb.sheets[SHEET] == ROWS


def test_a_file_of_exactly_max_bytes_is_accepted() -> None:
    data = make_xlsx()
    assert timed_read(data, Limits(max_bytes=len(data))).sheets[SHEET] == ROWS


# --------------------------------------------------------------------------- formulas


def test_xlsx_formula_is_listed_with_sheet_and_cell() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(ROWS[0])
    ws["D5"] = "=1+2"
    other = wb.create_sheet("协商事项")
    other["B2"] = "=SUM(1,2)"
    buf = io.BytesIO()
    wb.save(buf)
    result = timed_read(buf.getvalue(), wanted=[SHEET])
    assert FormulaCell(sheet=SHEET, ref="D5") in result.formulas
    assert FormulaCell(sheet="协商事项", ref="B2") in result.formulas
    assert result.sheets[SHEET][0] == ROWS[0]


def test_ods_formula_is_located() -> None:
    wb = timed_read(make_ods(formula=True))
    assert wb.formulas == [FormulaCell(sheet=SHEET, ref=f"A{len(ROWS) + 1}")]
    assert wb.sheets[SHEET][: len(ROWS)] == ROWS


def test_xls_formula_is_reported() -> None:
    """SPEC §4 'formulas instead of values' applies to .xls uploads too."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(SHEET)
    ws.write(0, 0, "合同编号")
    ws.write(4, 3, xlwt.Formula("1+2"))
    buf = io.BytesIO()
    wb.save(buf)
    result = timed_read(buf.getvalue())
    assert result.formulas == [FormulaCell(sheet=SHEET, ref="D5")]


@pytest.mark.parametrize("part_name", ["xl/worksheets/sheet1.dat", "xl/worksheets/sheet1.XML"])
def test_formula_in_a_sheet_part_not_named_xml_is_reported(part_name: str) -> None:
    """Excel finds sheets through workbook.xml.rels, whatever the part is called."""
    body = sheet1_xml().replace(
        '<c r="C2" t="n"><v>120</v></c>', '<c r="C2"><f>100+20</f><v>120</v></c>'
    )
    data = with_sheet1(body, rename={"xl/worksheets/sheet1.xml": part_name})
    result = timed_read(data)
    assert result.sheets[SHEET][1][2] == 120  # the part really is read as the 合同 sheet
    assert result.formulas == [FormulaCell(sheet=SHEET, ref="C2")]


# --------------------------------------------------------------------------- not a spreadsheet


def test_empty_file_is_rejected() -> None:
    assert_rejected(b"")


@pytest.mark.parametrize(
    "data",
    [
        "合同编号,企业名称\nHT-001,金华市某某有限公司\n".encode(),
        "\ufeff合同编号,企业名称\r\nHT-001,义乌\r\n".encode(),
        "合同编号\t企业名称\nHT-001\t金华\n".encode("gbk"),
        b"<html><body><table><tr><td>HT-001</td></tr></table></body></html>",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<< /Type /Catalog >>endobj\ntrailer\n%%EOF\n",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        b"PK",
        b"\0",
    ],
    ids=["csv", "csv-bom", "tsv-gbk", "html", "pdf", "png", "zip-magic-fragment", "nul"],
)
def test_not_a_spreadsheet_is_415(data: bytes) -> None:
    assert_rejected(data, status=415)


def test_docx_like_zip_is_rejected() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("_rels/.rels", "<Relationships/>")
        zf.writestr("word/document.xml", "<w:document><w:body>合同</w:body></w:document>")
    assert_rejected(buf.getvalue())


def test_xlsb_like_zip_is_rejected() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00\x84\x01\x00")
        zf.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    assert_rejected(buf.getvalue())


# --------------------------------------------------------------------------- broken files


@pytest.mark.parametrize("build", [make_xlsx, make_ods, make_xls], ids=["xlsx", "ods", "xls"])
def test_first_half_of_a_file_is_rejected(build: Callable[[], bytes]) -> None:
    data = build()
    assert_rejected(data[: len(data) // 2])


@pytest.mark.parametrize(
    "end", [4096, 4608, -100], ids=["first-4096", "first-4608", "last-100-cut"]
)
def test_truncated_xls_is_rejected(end: int) -> None:
    """A .xls cut short inside its sector chain (e.g. an interrupted download)."""
    data = make_xls()
    assert len(data) > 4608
    assert_rejected(data[:end])


@pytest.mark.parametrize("mask", [0x01, 0xFF], ids=["xor01", "xorFF"])
@pytest.mark.parametrize(
    "member",
    [
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    ],
)
def test_byte_flipped_in_a_compressed_member_is_rejected(member: str, mask: int) -> None:
    data = bytearray(make_xlsx())
    start, length = member_span(bytes(data), member)
    data[start + length // 2] ^= mask
    assert_rejected(bytes(data))


def test_encrypted_xlsx_is_rejected_as_encrypted() -> None:
    data = make_encrypted_xlsx("secret")
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 wrapper, not a zip
    exc = assert_rejected(data)
    assert "密码" in exc.message or "加密" in exc.message


def test_zip_with_encrypted_member_flag_is_rejected() -> None:
    data = bytearray(make_xlsx())
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:  # set bit 0 (encrypted) everywhere
        data[pos + 8] |= 0x01
        pos += 4
    pos = 0
    while (pos := data.find(b"PK\x03\x04", pos)) >= 0:
        data[pos + 6] |= 0x01
        pos += 4
    assert_rejected(bytes(data))


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 16,
    ],
    ids=["ole-magic-only", "ole-zeros", "ole-garbage"],
)
def test_ole_garbage_is_rejected(data: bytes) -> None:
    assert_rejected(data)


# --------------------------------------------------------------------------- size limits


@pytest.mark.parametrize("build", [make_xlsx, make_xls, make_ods], ids=["xlsx", "xls", "ods"])
def test_file_over_max_bytes_is_413(build: Callable[[], bytes]) -> None:
    data = build()
    assert_rejected(data, Limits(max_bytes=len(data) - 1), status=413)


@pytest.mark.parametrize("build", [make_xlsx, make_xls, make_ods], ids=["xlsx", "xls", "ods"])
def test_sheet_over_max_rows_is_413(build: Callable[[], bytes]) -> None:
    rows = [ROWS[0]] + [[f"HT-{i:04d}", "金华", i, datetime.date(2026, 6, 17)] for i in range(500)]
    assert_rejected(build(rows), Limits(max_rows=100), status=413)


# --------------------------------------------------------------------------- zip bombs


@pytest.mark.parametrize("unit", [b'<row r="1"/>', b" "], ids=["rows", "whitespace"])
def test_zip_bomb_sheet_is_413(unit: bytes) -> None:
    data = zip_bomb(unit)
    assert len(data) < 2 << 20
    assert_rejected(data, status=413)


def test_zip_bomb_lying_about_its_size_is_rejected() -> None:
    """Declares 1,000 bytes for a member that inflates to ~300 MB."""
    data = patch_declared_size(zip_bomb(b" "), "xl/worksheets/sheet1.xml", 1000)
    assert_rejected(data)


def test_zip_bomb_padded_to_an_innocent_ratio_is_413() -> None:
    """300 MB of rows plus 2 MB of incompressible padding: the overall ratio and declared
    size pass, so only the streamed row count can stop it."""
    assert_rejected(zip_bomb(b'<row r="1"/>', padded=True), status=413)


@pytest.mark.parametrize("size", [0xFFFFFFF0, 500 << 20], ids=["4GB", "500MB"])
def test_member_declaring_a_huge_size_is_413(size: int) -> None:
    data = patch_declared_size(make_xlsx(), "xl/styles.xml", size)
    assert_rejected(data, status=413)


# --------------------------------------------------------------------------- XML tricks


def test_billion_laughs_in_a_sheet_is_rejected() -> None:
    body = sheet1_xml().replace("<worksheet", billion_laughs() + "<worksheet", 1)
    body = body.replace("<t>HT-001</t>", "<t>&lol9;</t>")
    assert_rejected(with_sheet1(body))


def test_billion_laughs_in_shared_strings_is_rejected() -> None:
    body = sheet1_xml().replace(
        '<c r="A2" t="inlineStr"><is><t>HT-001</t></is></c>', '<c r="A2" t="s"><v>0</v></c>'
    )
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?>' + billion_laughs() + f'<sst xmlns="{MAIN_NS}" '
        'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    assert_rejected(with_sheet1(body, extra={"xl/sharedStrings.xml": sst.encode()}))


def test_shared_strings_without_tricks_are_read() -> None:
    """Control for the test above: the same package with a plain sharedStrings part."""
    body = sheet1_xml().replace(
        '<c r="A2" t="inlineStr"><is><t>HT-001</t></is></c>', '<c r="A2" t="s"><v>0</v></c>'
    )
    sst = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>HT-001</t></si></sst>'
    assert (
        timed_read(with_sheet1(body, extra={"xl/sharedStrings.xml": sst.encode()})).sheets[SHEET]
        == ROWS
    )


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE w [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
        '<!DOCTYPE w [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    ],
    ids=["file", "http", "parameter-entity"],
)
def test_external_entity_in_a_sheet_is_rejected(doctype: str) -> None:
    body = sheet1_xml().replace("<worksheet", doctype + "<worksheet", 1)
    body = body.replace("<t>HT-001</t>", "<t>&xxe;</t>") if "xxe" in doctype else body
    assert_rejected(with_sheet1(body))


def test_external_entity_in_workbook_part_is_rejected() -> None:
    data = rewrite_zip(
        make_xlsx(),
        replace={
            "xl/workbook.xml": lambda old: old.replace(
                b"<workbook", b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]><workbook', 1
            )
        },
    )
    assert_rejected(data)


# --------------------------------------------------------------------------- memory bombs
# A few hundred bytes that ask the reader for a dense grid of billions of cells. These run in
# a child process: when the native reader aborts, only the child dies and the test fails.


def test_xlsx_with_a_cell_at_the_far_corner_is_rejected(tmp_path: Path) -> None:
    """Two cells, A1 and XFD1048576: a dense grid would be 17 billion cells."""
    cells = (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>'
    )
    data = with_sheet1(SHEET_HEAD + cells + SHEET_TAIL)
    assert len(data) < 10_000
    assert_rejected_in_child(data, tmp_path)


def test_xlsx_wide_sparse_sheet_within_the_row_limit_is_rejected(tmp_path: Path) -> None:
    """A1 and XFD50000: under the 50,000-row limit, yet 819 million cells when made dense."""
    cells = (
        b'<row r="1"><c r="A1"><v>1</v></c></row><row r="50000"><c r="XFD50000"><v>2</v></c></row>'
    )
    assert_rejected_in_child(with_sheet1(SHEET_HEAD + cells + SHEET_TAIL), tmp_path)


@pytest.mark.parametrize(
    ("rows", "cols"), [(0x100000, 0x4000), (0x7FFFFFFF, 0x100)], ids=["excel-grid", "2^31-rows"]
)
def test_xls_declaring_a_huge_used_range_is_rejected(tmp_path: Path, rows: int, cols: int) -> None:
    """The DIMENSIONS record of sheet 合同 rewritten to claim ``rows`` x ``cols``."""
    data = bytearray(make_xls())
    pos = data.find(b"\x00\x02\x0e\x00")  # BIFF8 DIMENSIONS record of the first sheet
    assert pos > 0
    struct.pack_into("<IIHH", data, pos + 4, 0, rows, 0, cols)
    assert_rejected_in_child(bytes(data), tmp_path)


def test_ods_with_repeated_rows_and_columns_is_rejected(tmp_path: Path) -> None:
    """One cell repeated 700 columns x 40,000 rows (within the row limit): 28 million cells."""
    src = make_ods()
    content = zipfile.ZipFile(io.BytesIO(src)).read("content.xml")
    start = content.index(f'<table:table table:name="{SHEET}"'.encode())
    start = content.index(b">", start) + 1
    end = content.index(b"</table:table>", start)
    bomb = (
        b'<table:table-row table:number-rows-repeated="40000">'
        b'<table:table-cell table:number-columns-repeated="700" office:value-type="string">'
        b"<text:p>x</text:p></table:table-cell></table:table-row>"
    )
    data = rewrite_zip(src, replace={"content.xml": content[:start] + bomb + content[end:]})
    assert len(data) < 20_000
    assert_rejected_in_child(data, tmp_path)


def test_child_reader_accepts_a_normal_file(tmp_path: Path) -> None:
    """Control for the child-process harness: a good file is not refused by the memory cap."""
    path = tmp_path / "ok.xlsx"
    path.write_bytes(make_xlsx())
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(MEMORY_BOUND)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert proc.returncode == 0, proc.stderr[-600:]
    assert json.loads(proc.stdout.splitlines()[-1])["outcome"] == "accepted"


# --------------------------------------------------------------------------- the largest good file
_PEAK_CHILD = (
    CHILD_CPU_LIMIT.format(seconds=int(TIME_BOUND))
    + r"""
import json, sys
from core.spreadsheet import Limits, read_workbook

def high_water():  # VmHWM is per address space (ru_maxrss would carry the parent's over exec)
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))

data = open(sys.argv[1], "rb").read()
before = high_water()
start = cpu_seconds()
book = read_workbook(data, Limits())
elapsed = cpu_seconds() - start
peak = high_water()
rows = sum(len(r) for r in book.sheets.values())
print(json.dumps({"kib": peak - before, "cpu_seconds": elapsed, "rows": rows}))
"""
)
#: what reading the largest acceptable sheet (50,000 rows x 20 columns) may add to a process
LARGEST_FILE_MEMORY = 400 * 1024 * 1024


def test_the_largest_acceptable_workbook_reads_in_bounded_memory(tmp_path: Path) -> None:
    """50,000 data rows x 20 columns — the row limit, at the template's width — is accepted,
    within TIME_BOUND, and the reader's peak memory stays under LARGEST_FILE_MEMORY: the
    guards (rows, columns, uncompressed size) bound memory before a byte is parsed."""
    limit = Limits().max_rows
    cell = '<c r="{col}{row}" t="inlineStr"><is><t>合同{row}</t></is></c><c r="{col2}{row}"><v>{row}.5</v></c>'
    cols = [(chr(65 + 2 * i), chr(66 + 2 * i)) for i in range(10)]
    rows = [
        f'<row r="{r}">' + "".join(cell.format(col=a, col2=b, row=r) for a, b in cols) + "</row>"
        for r in range(1, limit + 1)
    ]
    data = with_sheet1(SHEET_HEAD + "".join(rows).encode() + SHEET_TAIL)
    assert len(data) < Limits().max_bytes
    path = tmp_path / "largest.xlsx"
    path.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, str(path)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert proc.returncode == 0, proc.stderr[-600:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["rows"] >= limit, out
    assert out["cpu_seconds"] < TIME_BOUND, out
    print(f"largest acceptable sheet: {out}")
    assert out["kib"] * 1024 < LARGEST_FILE_MEMORY, out
