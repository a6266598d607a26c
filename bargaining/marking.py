"""The workbook handed back with its bad cells marked (pure: cells + errors in, xlsx bytes out)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from bargaining.excel_import import FILE, RowError
from core.i18n import _, tr
from core.xlsx import save, write_only_cell

BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
BAD_FONT = Font(color="9C0006", bold=True)
ROW_FILL = PatternFill("solid", fgColor="FFF2CC")


def marked_workbook(sheets: dict[str, list[list[Any]]], errors: Sequence[RowError]) -> bytes:
    """A copy of the uploaded sheets, each bad cell red with the message as a comment,
    behind a first sheet 「错误清单」 listing every error.

    Texts follow the downloader's language: stored messages (Msg) are shown with ``tr``.
    """
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(_("错误清单"))
    summary.append([_("工作表"), _("行"), _("列"), _("填写的值"), _("错误说明")])
    for e in errors:
        sheet = _(FILE) if e.sheet == FILE else e.sheet
        summary.append(
            [
                write_only_cell(summary, v)
                for v in (sheet, e.row or "", e.column, e.value, tr(e.message))
            ]
        )
    by_cell: dict[str, dict[tuple[int, int | None], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for e in errors:
        if e.row:
            by_cell[e.sheet][(e.row, e.col_index)].append(tr(e.message))
    for name, rows in sheets.items():
        ws = wb.create_sheet(name[:31])
        marks = by_cell.get(name, {})
        bad_rows = {r for r, _col in marks}
        width = max((len(r) for r in rows), default=0)
        max_col = max((c for _row, c in marks if c is not None), default=-1)
        for r_index, row in enumerate(rows, start=1):
            cells = []
            for c_index in range(max(width, max_col + 1)):
                value = row[c_index] if c_index < len(row) else None
                cell = write_only_cell(ws, None if value == "" else value)
                messages = marks.get((r_index, c_index))
                if messages:
                    cell.fill = BAD_FILL
                    cell.font = BAD_FONT
                    cell.comment = Comment("\n".join(messages), _("校验"))
                elif r_index in bad_rows:
                    cell.fill = ROW_FILL
                cells.append(cell)
            ws.append(cells)
    return save(wb)
