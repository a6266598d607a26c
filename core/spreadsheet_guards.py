"""Container checks run before python-calamine parses an upload (pure, bounded time and memory).

* zip containers (.xlsx/.xlsm/.ods): encrypted members, zip bombs (declared and actual
  uncompressed size, ratio), XML DOCTYPE/ENTITY declarations in any member (billion laughs,
  external entities), cells beyond the column limit or the row limit, formulas;
* OLE2 containers: encrypted OOXML packages; for .xls the BIFF8 records are walked for the
  declared used range, cell positions and formulas.

Calamine builds a dense grid from the largest cell position (and, for .xls, from the declared
DIMENSIONS), so a 10 KB file with one cell at XFD1048576 would ask for hundreds of GB: these
positions are refused here.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import olefile
from defusedxml import ElementTree as SafeET

from core.msg import Msg
from core.spreadsheet import BOMB, CORRUPT, ENCRYPTED, FileRejected, FormulaCell, Limits

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_CHUNK = 1 << 20
_TAIL = 64
_DANGEROUS_XML = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
#: where _FORMULA_TAG can end: an ``f`` right after ``<`` or a prefix's ``:`` (scanned for the
#: rare letter first, which is several times faster than trying ``<`` at every tag)
_FORMULA_CANDIDATE = re.compile(rb"f(?<=[<:]f)[\s>/]")
_ODS_FORMULA = re.compile(rb"table:formula=")
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row[^>]*?\sr="(\d+)"')
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_NS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
DANGEROUS_XML = Msg("文件含有不允许的 XML 实体/DTD 声明（可能是恶意文件），已拒绝")
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)


def _too_wide(limits: Limits) -> Msg:
    return Msg(
        "工作表使用的列数超过 %(columns)s 列（可能含有大量空白但带格式的单元格），请删除多余列后再上传",
        columns=limits.max_columns,
    )


def _too_long(limits: Limits) -> Msg:
    return Msg(
        "工作表行数超过 %(rows)s 行上限（含带格式的空行），请删除多余行或分批上传",
        rows=f"{limits.max_rows:,}",
    )


def column_letters(index: int) -> str:
    """0-based column index to Excel letters (0 -> A)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _above(n: int) -> str:
    """A regular expression for decimal numbers greater than ``n`` (no leading zeros)."""
    digits = str(n)
    alternatives = [rf"[1-9]\d{{{len(digits)},}}"]
    for i, ch in enumerate(digits):
        if ch != "9":
            rest = len(digits) - i - 1
            alternatives.append(
                f"{digits[:i]}[{int(ch) + 1}-9]" + (rf"\d{{{rest}}}" if rest else "")
            )
    return "|".join(alternatives)


def _far_ref_pattern(max_row: int) -> re.Pattern[bytes]:
    """An ``r`` attribute (a row's number or a cell's reference, either quote, any prefix up
    to 24 characters: letters, ``$``, character references) ending in a row past ``max_row``.
    Liberal on purpose: a match only sends the part to the exact check."""
    # the literal ``r`` first (the regex engine skips ahead to it), the whitespace before it
    # checked behind: the same matches as ``\sr\s*=…``, found faster
    return re.compile(
        rb"""r(?<=\sr)\s*=\s*["'][^"'<>]{0,24}?(?<!\d)0*(?:"""
        + _above(max_row).encode()
        + rb""")\s*["']"""
    )


def _wide_ref_pattern(max_columns: int) -> re.Pattern[bytes]:
    """A cell reference whose column is past ``max_columns`` (e.g. CW or any 3 letters for 100)."""
    last = column_letters(max_columns - 1)
    alternatives = [rb"[A-Z]{3,}"] if len(last) <= 2 else [rb"[A-Z]{4,}"]
    if len(last) == 2:
        first, second = last[0], last[1]
        if first < "Z":
            alternatives.append(f"[{chr(ord(first) + 1)}-Z][A-Z]".encode())
        if second < "Z":
            alternatives.append(f"{first}[{chr(ord(second) + 1)}-Z]".encode())
    elif len(last) == 1:
        alternatives.append(rb"[A-Z]{2}")
        if last < "Z":
            alternatives.append(f"[{chr(ord(last) + 1)}-Z]".encode())
    # r="…" with letters only appears on cells (rows carry digits), so no tag context is needed;
    # the literal first and the whitespace checked behind it (as \sr=", found faster)
    return re.compile(rb'r="(?<=\sr=")(?:' + b"|".join(alternatives) + rb")\d")


# ---------------------------------------------------------------------------- zip (.xlsx, .ods)


def inspect_zip(data: bytes, limits: Limits) -> tuple[str, list[FormulaCell]]:
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()
    except _READ_ERRORS as exc:
        raise FileRejected(Msg("文件已损坏（压缩结构无法读取），请重新保存后再上传")) from exc
    with zf:
        names = {i.filename for i in infos}
        if any(i.flag_bits & 0x1 for i in infos):
            raise FileRejected(ENCRYPTED)
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_uncompressed or declared > limits.max_ratio * max(len(data), 1):
            raise FileRejected(BOMB, 413)
        try:
            is_ods = "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE
        except _READ_ERRORS as exc:
            raise FileRejected(CORRUPT) from exc
        if "xl/workbook.bin" in names:
            raise FileRejected(Msg("不支持 .xlsb 二进制工作簿，请另存为 .xlsx 后上传"), 415)
        if is_ods:
            fmt = "ods"
        elif "xl/workbook.xml" in names:
            fmt = "xlsx"
        else:
            raise FileRejected(
                Msg(
                    "这是一个压缩文件，但不是电子表格（例如 Word 文档），请上传 Excel 或 .ods 文件"
                ),
                415,
            )
        sheet_parts = _xlsx_sheet_parts(zf, names) if fmt == "xlsx" else {}
        wide = _wide_ref_pattern(limits.max_columns)
        far = _far_ref_pattern(limits.max_sheet_rows)
        formula_parts: list[str] = []
        long_parts: list[str] = []
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            is_sheet = info.filename in sheet_parts or info.filename == "content.xml"
            found_formula, rows, size = _scan_member(zf, info, limits, is_sheet, fmt, wide, far)
            total += size
            if total > limits.max_uncompressed:
                raise FileRejected(BOMB, 413)
            if found_formula:
                formula_parts.append(info.filename)
            if rows > limits.max_sheet_rows:
                long_parts.append(info.filename)
        if fmt == "ods":
            formulas = _inspect_ods_content(zf, limits) if "content.xml" in names else []
            return fmt, formulas
        for part in long_parts:
            if _xlsx_value_rows(zf, part) > limits.max_sheet_rows:
                raise FileRejected(_too_long(limits), 413)
        formulas = _locate_xlsx_formulas(zf, formula_parts, sheet_parts)
    return fmt, formulas


def external_link_count(data: bytes) -> int:
    """How many other workbooks an .xlsx links to (its ``xl/externalLinks`` parts); the zip
    was inspected already."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            return sum(
                1
                for name in zf.namelist()
                if name.startswith("xl/externalLinks/")
                and name.endswith(".xml")
                and "/_rels/" not in name
            )
    except _READ_ERRORS:
        return 0


def _scan_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: Limits,
    is_sheet: bool,
    fmt: str,
    wide: re.Pattern[bytes],
    far: re.Pattern[bytes],
) -> tuple[bool, int, int]:
    """Stream one member: refuse DTDs/entities and far cells, estimate rows, spot formulas;
    the real uncompressed size is enforced as it is read.

    The row estimate is the number of row tags, the last row number of each chunk, and any
    row or cell reference past the row limit (``<c r="A100000000">`` in a sheet of three row
    tags): a sheet so marked is checked exactly by :func:`_xlsx_value_rows`."""
    found_formula = False
    rows = tags = 0
    size = 0
    tail = b""
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_uncompressed:
                    raise FileRejected(BOMB, 413)
                window = tail + chunk
                if _DANGEROUS_XML.search(window):
                    raise FileRejected(DANGEROUS_XML)
                if is_sheet and fmt == "xlsx":
                    if wide.search(window):
                        raise FileRejected(_too_wide(limits), 413)
                    tags += chunk.count(b"<row ") + chunk.count(b"<row>")
                    rows = max(rows, tags, _last_row_number(chunk))
                    if far.search(window):
                        rows = max(rows, limits.max_sheet_rows + 1)
                    if not found_formula:
                        found_formula = _has_formula_tag(window)
                elif is_sheet and not found_formula:
                    found_formula = bool(_ODS_FORMULA.search(window))
                tail = chunk[-_TAIL:]
    except FileRejected:
        raise
    except _READ_ERRORS as exc:
        raise FileRejected(Msg("文件已损坏（压缩数据校验失败），请重新保存后再上传")) from exc
    return found_formula, rows, size


def _has_formula_tag(window: bytes) -> bool:
    """Whether ``_FORMULA_TAG`` occurs in ``window``: each candidate ``f`` is confirmed from
    the last ``<`` before it (a prefix holds word characters only, never another ``<``)."""
    for candidate in _FORMULA_CANDIDATE.finditer(window):
        start = window.rfind(b"<", 0, candidate.start())
        if start >= 0 and _FORMULA_TAG.match(window, start) is not None:
            return True
    return False


def _last_row_number(chunk: bytes) -> int:
    pos = chunk.rfind(b"<row ")
    while pos >= 0:
        match = _ROW_NUMBER.match(chunk, pos)
        if match:
            return int(match.group(1))
        pos = chunk.rfind(b"<row ", 0, pos)
    return 0


def _xlsx_sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part name -> sheet name, found through the workbook's relationships."""
    parts: dict[str, str] = {}
    try:
        rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")
        }
        wb = SafeET.fromstring(zf.read("xl/workbook.xml"))
        for sheet in wb.iter(f"{_NS_MAIN}sheet"):
            target = targets.get(sheet.get(f"{_NS_REL}id"), "")
            target = target[1:] if target.startswith("/") else "xl/" + target
            parts[target] = sheet.get("name", "")
    except FileRejected:
        raise
    except Exception as exc:  # defusedxml refusals, missing parts, broken XML
        if "EntitiesForbidden" in type(exc).__name__ or "DTDForbidden" in type(exc).__name__:
            raise FileRejected(DANGEROUS_XML) from exc
        raise FileRejected(CORRUPT) from exc
    # parts named like worksheets but not linked are still scanned
    for name in names:
        if name.startswith("xl/worksheets/") and "/_rels/" not in name and name not in parts:
            parts[name] = name
    return parts


def _iter_elements(zf: zipfile.ZipFile, part: str) -> Iterator[tuple[str, Any]]:
    try:
        with zf.open(part) as fh:
            yield from SafeET.iterparse(fh, events=("start", "end"))
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(CORRUPT) from exc


_CELL_REF = re.compile(r"\$?([A-Za-z]{0,4})\$?0*(\d+)")


def _ref_row(ref: str | None, default: int) -> int:
    """The row of a cell reference or a row number (``A100000000`` -> 100000000)."""
    match = _CELL_REF.fullmatch((ref or "").strip())
    return int(match.group(2)) if match else default


def _xlsx_value_rows(zf: zipfile.ZipFile, part: str) -> int:
    """The last row holding a value (rows that only carry formatting do not count); a cell's
    own reference counts, not only its row's number."""
    last = 0
    row_number = 0
    for event, elem in _iter_elements(zf, part):
        if event == "start" and elem.tag == f"{_NS_MAIN}row":
            row_number = _ref_row(elem.get("r"), row_number + 1)
        elif event == "end" and elem.tag == f"{_NS_MAIN}c":
            if elem.find(f"{_NS_MAIN}v") is not None or elem.find(f"{_NS_MAIN}is") is not None:
                last = max(last, row_number, _ref_row(elem.get("r"), row_number))
            elem.clear()
        elif event == "end" and elem.tag == f"{_NS_MAIN}row":
            elem.clear()
    return last


def _locate_xlsx_formulas(
    zf: zipfile.ZipFile, parts: list[str], sheet_parts: dict[str, str], cap: int = 500
) -> list[FormulaCell]:
    found: list[FormulaCell] = []
    for part in parts:
        name = sheet_parts.get(part, part)
        for event, elem in _iter_elements(zf, part):
            if event == "end" and elem.tag == f"{_NS_MAIN}c":
                if elem.find(f"{_NS_MAIN}f") is not None:
                    found.append(FormulaCell(name, elem.get("r", "")))
                    if len(found) >= cap:
                        return found
                elem.clear()
    return found


def _inspect_ods_content(zf: zipfile.ZipFile, limits: Limits, cap: int = 500) -> list[FormulaCell]:
    """Walk content.xml: the used extent of each table (repeats counted) and formula cells."""
    formulas: list[FormulaCell] = []
    table = ""
    row = 0
    col = 0
    rows_repeat = 1
    row_has_value = False
    max_row = 0
    cell_tags = (f"{_NS_TABLE}table-cell", f"{_NS_TABLE}covered-table-cell")
    for event, elem in _iter_elements(zf, "content.xml"):
        tag = elem.tag
        if event == "start":
            if tag == f"{_NS_TABLE}table":
                table, row, max_row = elem.get(f"{_NS_TABLE}name", ""), 0, 0
            elif tag == f"{_NS_TABLE}table-row":
                col, row_has_value = 0, False
                rows_repeat = int(elem.get(f"{_NS_TABLE}number-rows-repeated", "1") or 1)
            continue
        if tag in cell_tags:
            repeat = int(elem.get(f"{_NS_TABLE}number-columns-repeated", "1") or 1)
            has_value = (
                elem.get(f"{_NS_OFFICE}value-type") is not None
                or elem.find(f"{_NS_TEXT}p") is not None
            )
            if elem.get(f"{_NS_TABLE}formula") is not None and len(formulas) < cap:
                formulas.append(FormulaCell(table, f"{column_letters(col)}{row + 1}"))
            if has_value:
                row_has_value = True
                if col + repeat > limits.max_columns:
                    raise FileRejected(_too_wide(limits), 413)
            col += repeat
            elem.clear()
        elif tag == f"{_NS_TABLE}table-row":
            if row_has_value:
                max_row = row + rows_repeat
                if max_row > limits.max_sheet_rows:
                    raise FileRejected(_too_long(limits), 413)
            row += rows_repeat
            elem.clear()
    return formulas


# ---------------------------------------------------------------------------- OLE2 (.xls)

_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _FORMULA = 0x0809, 0x000A, 0x0085, 0x0200, 0x0006
_VALUE_CELLS = {
    0x0203,
    0x027E,
    0x00FD,
    0x0204,
    0x0205,
    0x0006,
    0x00D6,
}  # NUMBER RK LABELSST LABEL BOOLERR FORMULA RSTRING
_MULRK = 0x00BD


def inspect_ole(data: bytes, limits: Limits) -> tuple[str, list[FormulaCell]]:
    try:
        ole = olefile.OleFileIO(BytesIO(data))
    except Exception as exc:
        raise FileRejected(CORRUPT) from exc
    with ole:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            raise FileRejected(ENCRYPTED)
        stream = "Workbook" if ole.exists("Workbook") else "Book" if ole.exists("Book") else None
        if stream is None:
            raise FileRejected(
                Msg(
                    "这是一个 Office 文件，但不是 Excel 工作簿（例如 Word 文档），请上传 Excel 或 .ods 文件"
                ),
                415,
            )
        try:
            book = ole.openstream(stream).read()
        except Exception as exc:
            raise FileRejected(CORRUPT) from exc
    return "xls", _walk_biff(book, limits)


def _walk_biff(book: bytes, limits: Limits, cap: int = 500) -> list[FormulaCell]:
    """Check declared ranges and cell positions of every sheet; list formula cells."""
    sheet_at: dict[int, str] = {}
    formulas: list[FormulaCell] = []
    sheet = ""
    pos = 0
    size = len(book)
    while pos + 4 <= size:
        rtype, length = struct.unpack_from("<HH", book, pos)
        body = book[pos + 4 : pos + 4 + length]
        if rtype == _BOUNDSHEET and length >= 8:
            offset = struct.unpack_from("<I", body, 0)[0]
            name_len, flags = body[6], body[7] if length > 7 else 0
            raw = body[8 : 8 + name_len * (2 if flags & 1 else 1)]
            sheet_at[offset] = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
        elif rtype == _BOF:
            sheet = sheet_at.get(pos, sheet)
        elif rtype == _DIMENSIONS and length >= 12:
            last_row, _, last_col = struct.unpack_from("<IHH", body, 4)
            if last_row > limits.max_sheet_rows:
                raise FileRejected(_too_long(limits), 413)
            if last_col > limits.max_columns:
                raise FileRejected(_too_wide(limits), 413)
        elif (rtype in _VALUE_CELLS or rtype == _MULRK) and length >= 4:
            row, col = struct.unpack_from("<HH", body, 0)
            if rtype == _MULRK and length >= 6:
                col = struct.unpack_from("<H", body, length - 2)[0]
            if row > limits.max_sheet_rows:
                raise FileRejected(_too_long(limits), 413)
            if col >= limits.max_columns:
                raise FileRejected(_too_wide(limits), 413)
            if rtype == _FORMULA and len(formulas) < cap:
                formulas.append(FormulaCell(sheet, f"{column_letters(col)}{row + 1}"))
        pos += 4 + length
    return formulas
