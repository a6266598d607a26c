"""Filing and registry imports applied to the database (services: user and today are arguments).

Services flush, never commit: the request or CLI command commits once — except
:func:`bargaining.uploads.run_upload`, which keeps the original file before processing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, text, update

from bargaining import upload_rules
from bargaining.excel_import import (
    FILE,
    Counties,
    EnterpriseRef,
    FilingContext,
    RegistryContext,
    RegistryRow,
    RowError,
    Scope,
    filing_usccs,
    registry_usccs,
    validate_filings,
    validate_registry,
)
from bargaining.filing import PlatformDate, file_contracts, first_filings, record_platform_dates
from bargaining.models import BargainingItem, Contract, County, Enterprise, Upload
from bargaining.upload_kinds import FILING_SHEETS, KIND_FILINGS, REGISTRY_SHEETS, SHEETS
from bargaining.upload_kinds import KIND_REGISTRY as KIND_REGISTRY  # for the views and commands
from bargaining.upload_rules import UploadStatus
from core import audit_log
from core.bulk import chunks, select_in
from core.db import Base, db, utcnow
from core.errors import UserError
from core.filenames import safe_filename
from core.i18n import Msg, _
from core.models import StoredFile, User, keep_file
from core.policy import ACTIONS, may, scope_of
from core.settings import get_setting
from core.spreadsheet import FileRejected, Limits, Workbook
from core.spreadsheet_sandbox import (
    ParserDied,
    SandboxLimits,
    WorkbookRead,
    read_workbook_isolated,
    start_workbook_read,
)

#: SPEC §3: the city leader files nothing; uploads are for clerks, inspectors and admin
#: (derived from the one policy, core/policy.py; kept for older imports)
FILING_ROLES = ACTIONS["filing.upload"]
REGISTRY_ROLES = ACTIONS["registry.upload"]


@dataclass
class UploadOutcome:
    status: str  # imported | rejected | duplicate
    message: str  # a Msg: show it with tr() in the reader's language
    upload: Upload | None = None
    errors: list[RowError] = field(default_factory=list)
    http_status: int = 200
    duplicate_of: Upload | None = None


def upload_limits() -> Limits:
    return Limits(
        max_bytes=int(get_setting("upload_max_mb")) * 1024 * 1024,
        max_rows=int(get_setting("upload_max_rows")),
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_imported(kind: str, sha: str) -> Upload | None:
    stmt = select(Upload).where(
        Upload.kind == kind, Upload.sha256 == sha, Upload.status == UploadStatus.IMPORTED
    )
    return db.session.scalars(stmt.limit(1)).first()


def store_upload(user: User, kind: str, filename: str, data: bytes) -> Upload | UploadOutcome:
    """Keep the original bytes (nothing lost) and open an Upload in state 'processing'.

    Returns an outcome instead when the file was imported before (nothing changes then) or is
    larger than the limit (not kept).
    """
    if not may(user, "filing.upload" if kind == KIND_FILINGS else "registry.upload"):
        raise UserError(_("您的角色不能上传此类文件"), 403)
    sha = sha256_hex(data)
    previous = find_imported(kind, sha)
    if previous is not None:
        when = previous.created_at
        return UploadOutcome(
            "duplicate",
            Msg(
                "此文件（SHA-256 %(sha)s…）已于 %(when)s UTC 导入（上传记录 #%(id)s），未重复导入",
                sha=sha[:12],
                when=f"{when:%Y-%m-%d %H:%M}",
                id=previous.id,
            ),
            duplicate_of=previous,
        )
    limits = upload_limits()
    if len(data) > limits.max_bytes:
        audit_log.record(
            user,
            "upload_refused",
            "upload",
            None,
            after={"filename": filename, "sha256": sha, "size": len(data), "kind": kind},
        )
        return UploadOutcome(
            "rejected",
            Msg(
                "文件大小 %(size)s MB，超过 %(limit)s MB 上限",
                size=f"{len(data) / 1048576:.1f}",
                limit=limits.max_bytes // 1048576,
            ),
            http_status=413,
        )
    keep_file(db.session, sha, data)
    upload = Upload(
        kind=kind,
        filename=safe_filename(filename or "upload.xlsx")[:255],
        sha256=sha,
        size=len(data),
        status=UploadStatus.PROCESSING,
        user_id=user.id,
        county_id=user.county_id,
        enterprise_id=user.enterprise_id,
        created_at=utcnow(),
    )
    db.session.add(upload)
    db.session.flush()
    audit_log.record(
        user,
        "upload",
        "upload",
        upload.id,
        after={"filename": upload.filename, "sha256": sha, "kind": kind},
    )
    return upload


def _reject(
    upload: Upload, message: str, errors: Sequence[RowError], status: int, truncated: bool = False
) -> UploadOutcome:
    upload.status = upload_rules.LIFECYCLE.next(upload.status, upload_rules.REJECT)
    upload.message = (
        Msg("%(message)s（仅列出前 %(n)s 条）", message=message, n=len(errors))
        if truncated
        else message
    )
    upload.errors = [error_to_dict(e) for e in errors]
    audit_log.record(
        db.session.get(User, upload.user_id) if upload.user_id else None,
        "upload_rejected",
        "upload",
        upload.id,
        before={"status": "processing"},
        after={"status": "rejected", "errors": len(errors)},
    )
    db.session.flush()
    return UploadOutcome("rejected", upload.message, upload, list(errors), status)


def error_to_dict(error: RowError) -> dict[str, Any]:
    """An error as stored in Upload.errors: the Chinese text, plus "i18n" to show it later
    in the reader's language (``tr``)."""
    data: dict[str, Any] = {
        "sheet": error.sheet,
        "row": error.row,
        "column": error.column,
        "value": error.value,
        "message": str(error.message),
        "col_index": error.col_index,
    }
    if isinstance(error.message, Msg):
        data["i18n"] = error.message.as_json()
    return data


def stored_message(data: dict[str, Any]) -> str:
    """The message of a stored error dict: a Msg again when it was stored with "i18n"."""
    i18n = data.get("i18n")
    if isinstance(i18n, dict) and "msgid" in i18n:
        msgid, params = i18n["msgid"], i18n.get("params") or {}
        try:
            return Msg(msgid, **params)
        except (KeyError, ValueError, TypeError):
            pass
    return data["message"]


def error_from_dict(data: dict[str, Any]) -> RowError:
    return RowError(
        data["sheet"],
        data["row"],
        data["column"],
        data["value"],
        stored_message(data),
        data.get("col_index"),
    )


def counties_index() -> Counties:
    rows = db.session.execute(select(County.id, County.code, County.name)).all()
    by_key: dict[str, int] = {}
    for cid, code, name in rows:
        by_key[code.upper()] = cid
        by_key[name] = cid
    return Counties(by_key, {cid: name for cid, _, name in rows})


def user_scope(user: User) -> Scope:
    scope = scope_of(user)
    return Scope(scope.counties, scope.enterprise_id if scope.clerk else None)


def enterprise_refs(usccs: Iterable[str]) -> dict[str, EnterpriseRef]:
    refs: dict[str, EnterpriseRef] = {}
    codes = sorted(set(usccs))
    query = select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.county_id)
    for stmt in select_in(query, Enterprise.uscc, codes):
        for eid, uscc, name, county_id in db.session.execute(stmt):
            refs[uscc] = EnterpriseRef(eid, uscc, name, county_id)
    return refs


def sandbox_limits() -> SandboxLimits:
    """The child process's budget (config ``UPLOAD_PARSE_MEMORY_MB``, ``…_CPU_SECONDS``,
    ``…_SECONDS``; environment ``FLASK_UPLOAD_PARSE_…``)."""
    return SandboxLimits.from_config(current_app.config)


def read_isolated(data: bytes, sheet_names: Sequence[str] | None = None) -> Workbook:
    """Read an uploaded workbook in a limited child process (the web, the CLI and the
    registry upload alike, and the marked copy): raises FileRejected / ParserDied."""
    return read_workbook_isolated(data, upload_limits(), sheet_names, sandbox_limits())


def start_reading(
    user: User, kind: str, data: bytes, started: WorkbookRead | None = None
) -> WorkbookRead | None:
    """The upload's child process started before it is stored, so that storing it and the
    look-ups of the import happen while the child reads (:func:`bargaining.uploads.run_upload`);
    None when :func:`store_upload` will refuse it before reading (a role that may not upload
    this kind, a file over the size limit or empty). The caller closes it.

    ``started``: a read begun earlier still (``flask import-filings`` starts one while the app
    loads, :mod:`bargaining.early_read`); it is the answer when it is exactly the read this
    would start (same bytes, limits, sheets and budget), else it is closed."""
    reading = _start_reading(user, kind, data, started)
    if started is not None and reading is not started:
        started.close()
    return reading


def _start_reading(
    user: User, kind: str, data: bytes, started: WorkbookRead | None
) -> WorkbookRead | None:
    if not may(user, "filing.upload" if kind == KIND_FILINGS else "registry.upload"):
        return None
    limits = upload_limits()
    if not data or len(data) > limits.max_bytes:
        return None
    sheets = SHEETS[kind]
    sandbox = sandbox_limits()
    if started is not None and started.serves(data, limits, sheets, sandbox):
        return started
    return start_workbook_read(data, limits, sheets, sandbox)


def read_upload(
    upload: Upload,
    data: bytes,
    sheet_names: Sequence[str],
    reading: WorkbookRead | None = None,
) -> Workbook | UploadOutcome:
    """The upload's workbook, or the outcome of its refusal; ``reading``: the read of ``data``
    started before (:func:`start_reading`), else it is read now."""
    try:
        book = read_isolated(data, sheet_names) if reading is None else reading.result()
    except FileRejected as exc:
        outcome = _reject(
            upload, exc.message, [RowError(FILE, None, "", "", exc.message)], exc.status
        )
        if isinstance(exc, ParserDied):  # the parser died: the upload failed (SPEC §4)
            upload.status = outcome.status = "failed"
            db.session.flush()
        return outcome
    upload.external_links = book.external_links  # shown to the inspector on the upload page
    return book


def marked_copy(upload: Upload, language: str) -> bytes | None:
    """The rejected workbook with its bad cells marked, in ``language``: built once (the
    original read again, in the child process) and stored; later downloads read it back.
    None when the original cannot be read any more. Flushes; the request commits."""
    known = dict(upload.marked_files or {})
    if language in known:
        stored = db.session.get(StoredFile, known[language])
        if stored is not None:
            return stored.data
    original = db.session.get(StoredFile, upload.sha256)
    if original is None:
        return None
    try:
        book = read_isolated(original.data)
    except FileRejected:
        return None
    from bargaining.marking import marked_workbook  # openpyxl: only to write the copy

    data = marked_workbook(book.sheets, [error_from_dict(e) for e in upload.errors or []])
    sha = sha256_hex(data)
    keep_file(db.session, sha, data)
    upload.marked_files = {**known, language: sha}
    db.session.flush()
    return data


# ---------------------------------------------------------------------------- filings


IMPORT_LOCK = 7_310_001  # PostgreSQL advisory lock: one import writes the register at a time


def serialize_imports(upload: Upload) -> UploadOutcome | None:
    """Imports run one at a time (on PostgreSQL an advisory lock held to the end of the
    transaction), and the same file finished by another process meanwhile is not imported
    again. Reading and validating a workbook happens before, in parallel."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    previous = find_imported(upload.kind, upload.sha256)
    if previous is None or previous.id == upload.id:
        return None
    upload.status = upload_rules.LIFECYCLE.next(upload.status, upload_rules.FIND_DUPLICATE)
    upload.duplicate_of_id = previous.id
    upload.message = Msg("此文件已由上传记录 #%(id)s 导入，未重复导入", id=previous.id)
    db.session.flush()
    return UploadOutcome("duplicate", upload.message, upload, duplicate_of=previous)


def process_filing_upload(
    upload: Upload, data: bytes, user: User, today: date, reading: WorkbookRead | None = None
) -> UploadOutcome:
    """Validate the workbook and, only when it has no error at all, file every contract in it.
    ``reading``: the read of ``data`` started before (:func:`start_reading`)."""
    # the look-ups that need no workbook first, while a read started before goes on
    items = dict(
        db.session.execute(
            select(BargainingItem.code, BargainingItem.kind).where(BargainingItem.active)
        ).all()
    )
    counties, scope = counties_index(), user_scope(user)
    book = read_upload(upload, data, FILING_SHEETS, reading)
    if isinstance(book, UploadOutcome):
        return book
    ctx = FilingContext(
        counties=counties,
        scope=scope,
        items=items,
        enterprises=enterprise_refs(filing_usccs(book)),
        may_set_filed_on=may(user, "contract.set_filed_on"),
        today=today,
        max_rows=upload_limits().max_rows,
    )
    result = validate_filings(book, ctx)
    if result.errors:
        return _reject(
            upload,
            Msg("发现 %(n)s 处错误，未导入任何合同，请修改后重新上传", n=len(result.errors)),
            result.errors,
            422,
            result.truncated,
        )
    duplicate = serialize_imports(upload)
    if duplicate is not None:
        return duplicate
    counts = file_contracts(result.rows, user, upload, today)
    upload.status = upload_rules.LIFECYCLE.next(upload.status, upload_rules.IMPORT)
    upload.counts = counts
    upload.message = Msg(
        "已导入 %(contracts)s 份合同（新建 %(new_contracts)s 份，新版本 %(new_versions)s 个），"
        "协商事项 %(items)s 条，覆盖企业 %(coverage)s 家，预审提示 %(flags)s 条",
        **counts,
    )
    if counts["platform_dates"]:
        upload.message = Msg(
            "%(imported)s；%(n)s 份合同只更新了平台录入日期（原版本，未新建版本）",
            imported=upload.message,
            n=counts["platform_dates"],
        )
    if upload.county_id is None and result.rows:
        upload.county_id = result.rows[0].county_id
    db.session.flush()
    return UploadOutcome("imported", upload.message, upload)


# ---------------------------------------------------------------------------- registry

REGISTRY_FIELDS = ("name", "county_id", "industry", "has_union", "above_scale", "employees")


def process_registry_upload(
    upload: Upload, data: bytes, user: User, today: date, reading: WorkbookRead | None = None
) -> UploadOutcome:
    book = read_upload(upload, data, REGISTRY_SHEETS, reading)
    if isinstance(book, UploadOutcome):
        return book
    ctx = RegistryContext(
        counties_index(),
        user_scope(user),
        enterprise_refs(registry_usccs(book)),
        upload_limits().max_rows,
    )
    result = validate_registry(book, ctx)
    if result.errors:
        return _reject(
            upload,
            Msg(
                "发现 %(n)s 处错误，企业名录未作任何更改，请修改后重新上传",
                n=len(result.errors),
            ),
            result.errors,
            422,
            result.truncated,
        )
    duplicate = serialize_imports(upload)
    if duplicate is not None:
        return duplicate
    counts = apply_registry(result.rows, user, upload)
    upload.status = upload_rules.LIFECYCLE.next(upload.status, upload_rules.IMPORT)
    upload.counts = counts
    upload.message = Msg(
        "企业名录已更新：新增 %(created)s 家，更新 %(updated)s 家，未变 %(unchanged)s 家", **counts
    )
    db.session.flush()
    return UploadOutcome("imported", upload.message, upload)


def apply_registry(
    rows: Sequence[RegistryRow], user: User, upload: Upload | None
) -> dict[str, int]:
    by_uscc: dict[str, Enterprise] = {}
    codes = [r.uscc for r in rows]
    for part in chunks(codes):
        by_uscc.update(
            {
                e.uscc: e
                for e in db.session.scalars(select(Enterprise).where(Enterprise.uscc.in_(part)))
            }
        )
    now = utcnow()
    created: list[RegistryRow] = []
    updates: list[dict[str, Any]] = []
    log_entries: list[dict[str, Any]] = []
    unchanged = 0
    for r in rows:
        ent = by_uscc.get(r.uscc)
        if ent is None:
            created.append(r)
            continue
        before = {f: getattr(ent, f) for f in REGISTRY_FIELDS}
        after = {f: getattr(r, f) for f in REGISTRY_FIELDS}
        if before == after:
            unchanged += 1
            continue
        updates.append(
            {"id": ent.id, **after, "updated_at": now, "upload_id": upload.id if upload else None}
        )
        log_entries.append(
            {
                "action": "update",
                "object_type": "enterprise",
                "object_id": ent.id,
                "before": before,
                "after": after,
                "summary": Msg(
                    "企业名录更新（上传 #%(upload)s 第%(row)s行）",
                    upload=upload.id if upload else "-",
                    row=r.row,
                ),
            }
        )
    if created:
        db.session.execute(
            insert(Enterprise.__table__),
            [
                {
                    "uscc": r.uscc,
                    **{f: getattr(r, f) for f in REGISTRY_FIELDS},
                    "updated_at": now,
                    "upload_id": upload.id if upload else None,
                }
                for r in created
            ],
        )
        ids = {ref.uscc: ref.id for ref in enterprise_refs(r.uscc for r in created).values()}
        log_entries.extend(
            {
                "action": "create",
                "object_type": "enterprise",
                "object_id": ids[r.uscc],
                "after": {"uscc": r.uscc, **{f: getattr(r, f) for f in REGISTRY_FIELDS}},
                "summary": Msg(
                    "企业名录新增（上传 #%(upload)s 第%(row)s行）",
                    upload=upload.id if upload else "-",
                    row=r.row,
                ),
            }
            for r in created
        )
    if updates:
        db.session.execute(update(Enterprise), updates)
    audit_log.record_many(user, log_entries)
    db.session.flush()
    db.session.expire_all()
    return {"created": len(created), "updated": len(updates), "unchanged": unchanged}


def upload_rate_exceeded(user: User, now: datetime) -> int | None:
    """The per-user limit (setting upload_rate_per_hour) when ``user`` has reached it in the
    last hour, else None. Counted in the database: it holds across workers."""
    limit = int(get_setting("upload_rate_per_hour"))
    if limit <= 0:
        return None
    count = db.session.scalar(
        select(func.count(Upload.id)).where(
            Upload.user_id == user.id, Upload.created_at >= now - timedelta(hours=1)
        )
    )
    return limit if (count or 0) >= limit else None


REFUSED = ("rejected", "failed")


def _referenced_elsewhere(sha: str) -> bool:
    """Whether a row other than an upload keeps these bytes (evidence files, …): every
    foreign key to stored_file, found in the metadata (no import of higher layers)."""
    for table in Base.metadata.tables.values():
        if table.name == Upload.__tablename__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == StoredFile.__tablename__:
                found = db.session.execute(
                    select(fk.parent).where(fk.parent == sha).limit(1)
                ).first()
                if found is not None:
                    return True
    return False


def purge_refused_uploads(now: datetime) -> int:
    """Refused and failed uploads older than the setting upload_refused_keep_days lose their
    original (and marked copies); the record stays, marked purged. Bytes another upload or
    record still needs are kept. Idempotent; flushes. Returns the uploads purged."""
    cutoff = now - timedelta(days=int(get_setting("upload_refused_keep_days")))
    due = db.session.scalars(
        select(Upload).where(
            Upload.status.in_(REFUSED), Upload.created_at < cutoff, Upload.purged_at.is_(None)
        )
    ).all()
    for upload in due:
        still_needed = db.session.execute(
            select(Upload.id)
            .where(
                Upload.sha256 == upload.sha256,
                (Upload.status.not_in(REFUSED)) | (Upload.created_at >= cutoff),
            )
            .limit(1)
        ).first()
        stored = db.session.get(StoredFile, upload.sha256)
        if stored is not None and still_needed is None and not _referenced_elsewhere(stored.sha256):
            stored.data = b""  # the row stays: the upload record refers to it
        for sha in (upload.marked_files or {}).values():
            marked = db.session.get(StoredFile, sha)
            if marked is not None and not _referenced_elsewhere(sha):
                db.session.delete(marked)
        upload.marked_files = None
        upload.purged_at = now
        audit_log.record(None, "purge", "upload", upload.id, after={"sha256": upload.sha256})
    db.session.flush()
    return len(due)


def fail_stale_uploads(now: datetime, older_than: timedelta = timedelta(minutes=15)) -> int:
    """Uploads still 'processing' long after they began died with their process (a killed
    worker): the import rolled back, so nothing of them was stored; say so on the record."""
    stale = db.session.scalars(
        select(Upload).where(
            Upload.status == UploadStatus.PROCESSING, Upload.created_at < now - older_than
        )
    ).all()
    for upload in stale:
        upload.status = upload_rules.LIFECYCLE.next(upload.status, upload_rules.FAIL)
        upload.message = Msg(
            "处理过程中断（服务进程退出），未导入任何数据；原文件已保存，请重新上传"
        )
        audit_log.record(
            None,
            "upload_failed",
            "upload",
            upload.id,
            before={"status": "processing"},
            after={"status": "failed"},
        )
    db.session.flush()
    return len(stale)


# ---------------------------------------------------------------------------- platform date


def record_platform_date(contract: Contract, day: date, user: User, today: date) -> bool:
    """备案一家、录入一家: record the day the contract's current version was entered on the
    national platform, in place (SPEC §4: no new version, not back into the sample
    population). The caller has checked the contract is in the user's scope. False when the
    version already carries that date."""
    if not may(user, "contract.platform_date", contract):
        raise UserError(_("您的角色不能登记平台录入日期"), 403)
    version = contract.current_version
    if version is None:
        raise UserError(_("该合同还没有备案版本"))
    if day > today:
        raise UserError(_("平台录入日期不能晚于今天"))
    if day < version.signed_on:
        raise UserError(_("平台录入日期不能早于合同签订日期"))
    if version.platform_entered_on == day:
        return False
    entry = PlatformDate(
        version.id, contract.id, version.public_id, version.platform_entered_on, day
    )
    record_platform_dates([entry], first_filings([contract.id]), user)
    return True
