"""Writing spreadsheets the product hands out (exports, marked copies): formula-injection safe."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.clock import to_local
from core.i18n import Msg, Term, _

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_text(value: Any) -> str:
    """Text as a plain ``str`` in the reader's language: a lazy label or a stored Msg included."""
    return value.translated() if isinstance(value, Msg | Term) else str(value)


def safe_value(value: Any) -> Any:
    """Spreadsheet-safe value: text that a spreadsheet would run as a formula stays text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = to_local(value).replace(tzinfo=None)
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value is None or isinstance(value, int | float | date):
        return value
    text = plain_text(value)
    # ILLEGAL control characters make openpyxl refuse the cell; drop them
    text = "".join(ch for ch in text if ch >= " " or ch in "\t\n\r")
    return text


def set_cell(cell: Any, value: Any) -> None:
    value = safe_value(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"  # written as a string, never as a formula
    if isinstance(value, date) and not isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"


def write_sheet(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: dict[int, str] | None = None,
) -> None:
    """A table with a formatted, frozen header and sensible column widths.

    ``formats`` maps 0-based column indexes to number formats (e.g. ``"0.0%"``)."""
    headers = [plain_text(h) for h in headers]
    ws.append(headers)
    for cell in ws[1]:
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    widths = [max(6, len(str(h)) * 2 + 2) for h in headers]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            set_cell(cell, value)
            if formats and (c - 1) in formats and isinstance(value, int | float):
                cell.number_format = formats[c - 1]
            if r < 200 and value is not None:
                widths[c - 1] = min(50, max(widths[c - 1], len(str(value)) + 2))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, ws.max_row)}"


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = plain_text(title)[:31]
    write_sheet(ws, headers, rows)
    return save(wb)


def save(wb: Workbook) -> bytes:
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_only_cell(ws: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    set_cell(cell, value)
    return cell
