"""The one code path shared by the web upload and ``flask import-filings|import-enterprises``.

This is an edge, like a view: it commits. It commits twice on purpose — first the original
file and its 'processing' record (nothing is lost even if processing dies), then the import
itself, all or nothing.
"""

from __future__ import annotations

from datetime import date

from bargaining import upload_rules
from bargaining.models import Upload
from bargaining.services import (
    KIND_FILINGS,
    UploadOutcome,
    process_filing_upload,
    process_registry_upload,
    start_reading,
    store_upload,
)
from core.db import db
from core.gc_pause import no_cyclic_gc
from core.i18n import Msg
from core.models import User
from core.spreadsheet_sandbox import WorkbookRead


def run_upload(
    user: User,
    kind: str,
    filename: str,
    data: bytes,
    today: date,
    started: WorkbookRead | None = None,
) -> UploadOutcome:
    """``started``: a read of the file begun before (``flask import-filings``: while the app
    loaded), used if it is the one :func:`start_reading` would begin, else closed."""
    # the child process reads the file while it is stored and the import's look-ups run
    reading = start_reading(user, kind, data, started)
    try:
        return _run_upload(user, kind, filename, data, today, reading)
    finally:
        if reading is not None:
            reading.close()  # a duplicate or refused file: the read is not needed


def _run_upload(
    user: User, kind: str, filename: str, data: bytes, today: date, reading: WorkbookRead | None
) -> UploadOutcome:
    stored = store_upload(user, kind, filename, data)
    if isinstance(stored, UploadOutcome):
        db.session.commit()  # nothing stored but the log entry of a refused upload
        return stored
    db.session.commit()
    upload_id = stored.id
    process = process_filing_upload if kind == KIND_FILINGS else process_registry_upload
    try:
        # validating and importing build a million values and rows that make no reference
        # cycles: each full collection would walk all of them (48,000 rows: 0.5 s of 2.5 s)
        with no_cyclic_gc():
            outcome = process(stored, data, user, today, reading)
            db.session.commit()
    except Exception:
        db.session.rollback()
        failed = db.session.get(Upload, upload_id)
        if failed is not None:
            failed.status = upload_rules.LIFECYCLE.next(failed.status, upload_rules.FAIL)
            failed.message = Msg("处理时发生内部错误，未导入任何数据；文件已保存，请联系管理员")
            db.session.commit()
        raise
    return outcome
