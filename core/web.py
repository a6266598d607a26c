"""Small web helpers every domain's views share: downloads, paging, list pages with export."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from flask import Response, abort, render_template, request
from sqlalchemy import Select, func, select

from core.clock import local_today
from core.db import db
from core.filenames import safe_filename
from core.i18n import _
from core.xlsx import XLSX_MIME, plain_text, table_workbook

PAGE_SIZE = 50


def disposition(filename: str) -> str:
    """An attachment header that keeps Chinese file names (RFC 6266 filename*)."""
    filename = safe_filename(filename)
    ascii_name = filename.encode("ascii", "ignore").decode().strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def download(
    data: bytes | str, filename: str, mimetype: str = "application/octet-stream"
) -> Response:
    """Always an attachment, never rendered inline (an uploaded file could be HTML)."""
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": disposition(filename),
            "X-Content-Type-Options": "nosniff",
            # originals, evidence and exports hold personal and enterprise data: no cache keeps them
            "Cache-Control": "no-store",
        },
    )


def xlsx_response(data: bytes, filename: str) -> Response:
    return download(data, filename, XLSX_MIME)


#: pages past this are refused (400): the offset must stay a database integer
MAX_PAGE = 1_000_000


def page_number() -> int:
    try:
        number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1
    if number > MAX_PAGE:
        abort(400, description=_("页码超出范围（最大 %(max)s）", max=MAX_PAGE))
    return number


def paginate(
    stmt: Select[*tuple[Any, ...]], number: int, size: int = PAGE_SIZE
) -> tuple[list[Any], int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.execute(stmt.limit(size).offset(max(0, number - 1) * size)))
    return rows, total


def listing(
    stmt: Select[*tuple[Any, ...]],
    template: str,
    *,
    export_title: Any,
    headers: Sequence[str],
    export_row: Callable[[Any], Iterable[Any]],
    page_size: int = PAGE_SIZE,
    **context: Any,
) -> Any:
    """A paged list page; with ``?export=xlsx`` the same rows (all of them) as a workbook."""
    if request.args.get("export") == "xlsx":
        title = plain_text(export_title)  # a lazy label becomes text in the reader's language
        exported = (list(export_row(row)) for row in db.session.execute(stmt))
        name = f"{title}-{local_today().isoformat()}.xlsx"
        return xlsx_response(table_workbook(title, headers, exported), name)
    number = page_number()
    rows, total = paginate(stmt, number, page_size)
    return render_template(
        template, rows=rows, total=total, page=number, page_size=page_size, **context
    )
