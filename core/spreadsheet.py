"""Safe, tolerant reading of uploaded spreadsheets (pure: bytes in, cell grids out).

Every hostile or broken file ends in a :class:`FileRejected` with a Chinese message and an
HTTP status, before python-calamine is asked to parse anything it could choke on:

* size and emptiness; the format sniffed from the bytes, not the file name;
* zip containers (.xlsx/.xlsm/.ods): encrypted members, zip bombs (declared and actual
  uncompressed size, compression ratio), XML DOCTYPE/ENTITY declarations (billion laughs,
  external entities), too many rows, formulas in the data sheets;
* OLE2 containers: encrypted OOXML packages and password-protected .xls.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import python_calamine
from defusedxml import ElementTree as SafeET

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>]")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ODS_FORMULA = re.compile(rb"table:formula=")
_DANGEROUS_XML = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1 << 20
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 50_000
    #: total uncompressed size of a zip container; a real 20 MB workbook stays far below
    max_uncompressed: int = 400 * 1024 * 1024
    max_ratio: int = 200


class FileRejected(Exception):
    """A file-level problem: the whole upload is refused with this Chinese message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FormulaCell:
    sheet: str
    ref: str  # e.g. "D5"


@dataclass
class Workbook:
    """The cells of each sheet as python values ('' for blank), rows as read."""

    format: str  # xlsx | xls | ods
    sheets: dict[str, list[list[Any]]]
    formulas: list[FormulaCell] = field(default_factory=list)
    #: sheets whose formula cells could not be located precisely (ods)
    formula_sheets: list[str] = field(default_factory=list)


def read_workbook(data: bytes, limits: Limits, wanted: Iterable[str] | None = None) -> Workbook:
    """Read ``data`` safely; only the sheets named in ``wanted`` (all when None) are loaded."""
    if not data:
        raise FileRejected("文件为空，请选择填写好的 Excel 文件")
    if len(data) > limits.max_bytes:
        raise FileRejected(
            f"文件大小 {len(data) / 1048576:.1f} MB，超过 {limits.max_bytes // 1048576} MB 上限",
            413,
        )
    head = data[:8]
    formulas: list[FormulaCell] = []
    formula_sheets: list[str] = []
    if head.startswith(ZIP_MAGIC):
        fmt, formulas, formula_sheets = _inspect_zip(data, limits)
    elif head == OLE_MAGIC:
        if (
            "EncryptedPackage".encode("utf-16-le") in data
            or "EncryptionInfo".encode("utf-16-le") in data
        ):
            raise FileRejected("文件已加密（设置了打开密码），请取消密码后另存再上传")
        fmt = "xls"
    else:
        raise FileRejected(
            "无法识别的文件：请上传 Excel（.xlsx、.xlsm、.xls）或 WPS/LibreOffice 表格（.ods）文件",
            415,
        )
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise FileRejected("文件已加密（设置了打开密码），请取消密码后另存再上传") from exc
    except Exception as exc:  # calamine raises several error types for damaged files
        raise FileRejected("文件已损坏或不是有效的电子表格，无法读取") from exc
    sheets: dict[str, list[list[Any]]] = {}
    wanted_set = None if wanted is None else {normalize_sheet_name(w) for w in wanted}
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ) != str(python_calamine.SheetTypeEnum.WorkSheet):
                continue
            if wanted_set is not None and normalize_sheet_name(meta.name) not in wanted_set:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            if (
                sheet.height > limits.max_rows + 10
                and _trimmed_height(sheet) > limits.max_rows + 10
            ):
                raise FileRejected(
                    f"工作表「{meta.name}」超过 {limits.max_rows:,} 行上限，请分批上传", 413
                )
            sheets[meta.name] = sheet.to_python(skip_empty_area=False)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("文件已损坏或不是有效的电子表格，无法读取") from exc
    finally:
        book.close()
    return Workbook(fmt, sheets, formulas, formula_sheets)


def normalize_sheet_name(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", name).strip()


def _trimmed_height(sheet: Any) -> int:
    rows = sheet.to_python(skip_empty_area=False)
    n = len(rows)
    while n and all(v == "" for v in rows[n - 1]):
        n -= 1
    return n


def _inspect_zip(data: bytes, limits: Limits) -> tuple[str, list[FormulaCell], list[str]]:
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected("文件已损坏（压缩结构无法读取），请重新保存后再上传") from exc
    with zf:
        names = {i.filename for i in infos}
        if any(i.flag_bits & 0x1 for i in infos):
            raise FileRejected("文件已加密（设置了打开密码），请取消密码后另存再上传")
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_uncompressed or declared > limits.max_ratio * max(len(data), 1):
            raise FileRejected("文件解压后体积异常（疑似压缩炸弹），已拒绝", 413)
        if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
            fmt = "ods"
        elif "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            fmt = "xlsx"
        else:
            raise FileRejected(
                "这是一个压缩文件，但不是电子表格（例如 Word 文档），请上传 Excel 或 .ods 文件", 415
            )
        if "xl/workbook.bin" in names:
            raise FileRejected("不支持 .xlsb 二进制工作簿，请另存为 .xlsx 后上传", 415)
        formula_parts: list[str] = []
        total = 0
        for info in infos:
            if info.is_dir() or not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            is_sheet = info.filename.startswith("xl/worksheets/") or info.filename == "content.xml"
            found_formula, rows, size = _scan_xml_part(zf, info, limits, is_sheet, fmt)
            total += size
            if total > limits.max_uncompressed:
                raise FileRejected("文件解压后体积异常（疑似压缩炸弹），已拒绝", 413)
            if is_sheet and fmt == "xlsx" and rows > limits.max_rows + 10:
                raise FileRejected(
                    f"工作表行数超过 {limits.max_rows:,} 行上限（含带格式的空行），请删除多余行或分批上传",
                    413,
                )
            if found_formula:
                formula_parts.append(info.filename)
        formulas: list[FormulaCell] = []
        formula_sheets: list[str] = []
        if formula_parts and fmt == "xlsx":
            formulas = _locate_xlsx_formulas(zf, formula_parts)
        elif formula_parts:
            formula_sheets = ["*"]
    return fmt, formulas, formula_sheets


def _scan_xml_part(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, is_sheet: bool, fmt: str
) -> tuple[bool, int, int]:
    """Stream one XML part: refuse DTDs/entities, count rows, spot formulas; enforce real size."""
    found_formula = False
    rows = 0
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
                    raise FileRejected("文件解压后体积异常（疑似压缩炸弹），已拒绝", 413)
                window = tail + chunk
                if _DANGEROUS_XML.search(window):
                    raise FileRejected(
                        "文件含有不允许的 XML 实体/DTD 声明（可能是恶意文件），已拒绝"
                    )
                if is_sheet:
                    # count whole tags in this chunk only; the 16-byte tail only serves searches
                    rows += len(_ROW_TAG.findall(chunk))
                    if not found_formula:
                        pattern = _FORMULA_TAG if fmt == "xlsx" else _ODS_FORMULA
                        found_formula = bool(pattern.search(window))
                tail = chunk[-16:]
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise FileRejected("文件已损坏（压缩数据校验失败），请重新保存后再上传") from exc
    return found_formula, rows, size


def _locate_xlsx_formulas(
    zf: zipfile.ZipFile, parts: list[str], cap: int = 500
) -> list[FormulaCell]:
    """Map worksheet parts back to sheet names and list the cells holding formulas."""
    part_to_sheet: dict[str, str] = {}
    try:
        rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")
        }
        wb = SafeET.fromstring(zf.read("xl/workbook.xml"))
        for sheet in wb.iter(f"{_NS_MAIN}sheet"):
            target = targets.get(sheet.get(f"{_NS_REL}id"), "")
            target = target.lstrip("/")
            if not target.startswith("xl/"):
                target = "xl/" + target
            part_to_sheet[target] = sheet.get("name", "")
    except Exception:  # unusual packaging: fall back to part names
        pass
    found: list[FormulaCell] = []
    for part in parts:
        name = part_to_sheet.get(part, part)
        try:
            with zf.open(part) as fh:
                for _, elem in SafeET.iterparse(fh, events=("end",)):
                    if elem.tag == f"{_NS_MAIN}c":
                        if elem.find(f"{_NS_MAIN}f") is not None:
                            found.append(FormulaCell(name, elem.get("r", "")))
                            if len(found) >= cap:
                                return found
                        elem.clear()
        except Exception:
            found.append(FormulaCell(name, ""))
    return found
