"""Safe, tolerant reading of uploaded spreadsheets (pure: bytes in, cell grids out).

Every hostile or broken file ends in a :class:`FileRejected` with a message (a
:class:`~core.i18n.Msg`, stored with the upload and shown in the reader's language) and an
HTTP status. The container is inspected first (:mod:`core.spreadsheet_guards`) so that
python-calamine is never handed a file that could make it allocate a huge grid, panic or
expand an XML entity; what calamine still raises is turned into a message too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import python_calamine

from core.msg import Msg

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

CORRUPT = Msg("文件已损坏或不是有效的电子表格，无法读取，请用 Excel/WPS 重新保存后再上传")
ENCRYPTED = Msg("文件已加密（设置了打开密码），请取消密码后另存再上传")
NOT_A_SPREADSHEET = Msg(
    "无法识别的文件：请上传 Excel（.xlsx、.xlsm、.xls）或 WPS/LibreOffice 表格（.ods）文件"
)
BOMB = Msg("文件解压后体积异常（疑似压缩炸弹），已拒绝")
#: the header row is looked for among the first five rows of a sheet (SPEC §4)
HEADER_SEARCH_ROWS = 5


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 50_000
    #: columns a data sheet may use; the templates have at most 20
    max_columns: int = 100
    #: total uncompressed size of a zip container; 50,000 rows x 20 columns is about 40 MB
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 200

    @property
    def max_sheet_rows(self) -> int:
        """The last row a sheet may use: ``max_rows`` data rows below a header that may sit in
        any of the first HEADER_SEARCH_ROWS rows (SPEC §4). The data rows themselves, header
        not counted, are counted exactly where the header is found (the importer)."""
        return self.max_rows + HEADER_SEARCH_ROWS


class FileRejected(Exception):
    """A file-level problem: the whole upload is refused with this message (a Msg: stored)."""

    def __init__(self, message: Msg, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FormulaCell:
    sheet: str
    ref: str  # e.g. "D5"; "" when the position is unknown


@dataclass
class Workbook:
    """The cells of each sheet as python values ('' for blank), rows as read."""

    format: str  # xlsx | xls | ods
    sheets: dict[str, list[list[Any]]]
    formulas: list[FormulaCell] = field(default_factory=list)
    #: links to other workbooks (xl/externalLinks): values that may come from elsewhere
    external_links: int = 0


def size_text(n: int) -> str:
    mb = n / 1048576
    return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.1f} MB" if mb >= 0.1 else f"{n / 1024:.0f} KB"


def normalize_sheet_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def read_workbook(data: bytes, limits: Limits, wanted: Iterable[str] | None = None) -> Workbook:
    """Read ``data`` safely; only the sheets named in ``wanted`` (all when None) are loaded."""
    from core.spreadsheet_guards import external_link_count, inspect_ole, inspect_zip

    if not data:
        raise FileRejected(Msg("文件为空，请选择填写好的 Excel 文件"))
    if len(data) > limits.max_bytes:
        raise FileRejected(
            Msg(
                "文件大小 %(size)s，超过 %(limit)s 上限",
                size=size_text(len(data)),
                limit=size_text(limits.max_bytes),
            ),
            413,
        )
    head = data[:8]
    links = 0
    if head.startswith(ZIP_MAGIC):
        fmt, formulas = inspect_zip(data, limits)
        links = external_link_count(data)
    elif head == OLE_MAGIC:
        fmt, formulas = inspect_ole(data, limits)
    else:
        raise FileRejected(NOT_A_SPREADSHEET, 415)
    sheets = _read_cells(data, limits, wanted)
    return Workbook(fmt, sheets, formulas, links)


def _read_cells(
    data: bytes, limits: Limits, wanted: Iterable[str] | None
) -> dict[str, list[list[Any]]]:
    wanted_set = None if wanted is None else {normalize_sheet_name(w) for w in wanted}
    sheets: dict[str, list[list[Any]]] = {}
    book = None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(BytesIO(data))
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            if wanted_set is not None and normalize_sheet_name(meta.name) not in wanted_set:
                continue
            grid = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            if _used_height(grid) > limits.max_sheet_rows:
                raise FileRejected(
                    Msg(
                        "工作表「%(sheet)s」超过 %(rows)s 行上限，请分批上传",
                        sheet=meta.name,
                        rows=f"{limits.max_rows:,}",
                    ),
                    413,
                )
            sheets[meta.name] = grid
    except FileRejected:
        raise
    except python_calamine.PasswordError as exc:
        raise FileRejected(ENCRYPTED) from exc
    except BaseException as exc:  # calamine raises several types, and Rust panics (BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit | MemoryError):
            raise
        raise FileRejected(CORRUPT) from exc
    finally:
        if book is not None:
            book.close()
    return sheets


def _used_height(grid: list[list[Any]]) -> int:
    n = len(grid)
    while n and all(v == "" for v in grid[n - 1]):
        n -= 1
    return n
