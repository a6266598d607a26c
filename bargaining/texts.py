"""Contract texts (合同文本): attaching, extracting outside the request, recognising items.

Services take the user and the time as arguments and flush. The exception is
:func:`process_queued_texts`, an edge like a job: it commits the claim of each text before the
(long) extraction, then its result, so that nothing is extracted twice and nothing is lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bargaining.models import BargainingItem, ContractText, ContractVersion, ItemRecognition
from bargaining.recognition import (
    Comparison,
    Facts,
    ItemFound,
    Rule,
    compare,
    default_rules,
    read_facts,
    recognise,
)
from bargaining.text_extraction import ChildLimits, extract_in_child, sniff
from core import audit_log
from core.db import db, rowcount, utcnow
from core.errors import UserError
from core.i18n import Msg, _
from core.models import User, keep_file
from core.policy import may
from core.settings import get_setting

QUEUED, PROCESSING, DONE, FAILED = "queued", "processing", "done", "failed"
ACCEPT = ".pdf,.docx,.jpg,.jpeg,.png,.tif,.tiff"

#: child-process error codes (bargaining.text_extraction) -> what the user reads
ERRORS: dict[str, Msg] = {
    "unsupported": Msg("无法识别的文件：合同文本请上传 PDF、Word（.docx）或扫描图片（JPG、PNG）"),
    "corrupt": Msg("文件已损坏或格式不正确，无法读取文字；原文件已保存，请重新导出后再上传"),
    "encrypted": Msg("PDF 已加密（设置了密码），请取消密码后再上传"),
    "bomb": Msg("文件解压后体积异常（疑似压缩炸弹），已拒绝读取"),
    "too_many_pages": Msg("页数过多（超过 200 页），请只上传合同正文"),
    "too_many_pixels": Msg("图片尺寸过大，请缩小后（如 300 dpi 扫描）再上传"),
    "ocr_failed": Msg("文字识别（OCR）失败，请上传更清晰的扫描件"),
    "memory": Msg("读取文件时超出内存上限，已中止；原文件已保存"),
    "killed": Msg("读取文件的进程超出资源上限被终止；原文件已保存"),
    "timeout": Msg("读取文件超时，已中止；原文件已保存"),
    "crashed": Msg("读取文件的进程意外退出；原文件已保存，请联系管理员"),
}
NOTES: dict[str, Msg] = {
    "ocr_unavailable": Msg("本机未安装 Tesseract，扫描页未做文字识别"),
    "ocr_model_missing": Msg("本机缺少 Tesseract 简体中文模型（chi_sim），扫描页未做文字识别"),
}


def max_bytes() -> int:
    return int(get_setting("upload_max_mb")) * 1024 * 1024


def attach_text(
    user: User, version: ContractVersion, filename: str, data: bytes
) -> tuple[ContractText, bool]:
    """Keep the file (SHA-256) and queue its extraction; ``(text, False)`` when this very file
    is already attached to the version (nothing changes then)."""
    contract = version.contract
    if not may(user, "contract.attach_text", contract):  # the city leader files nothing
        raise UserError(_("您无权为此合同上传合同文本"), 403)
    if not data:
        raise UserError(_("文件为空"))
    if len(data) > max_bytes():
        raise UserError(_("合同文本不能超过 %(mb)s MB", mb=int(get_setting("upload_max_mb"))), 413)
    if sniff(data) is None:
        raise UserError(str(ERRORS["unsupported"]), 415)
    sha = hashlib.sha256(data).hexdigest()
    existing = db.session.scalars(
        select(ContractText).where(
            ContractText.version_id == version.id, ContractText.sha256 == sha
        )
    ).first()
    if existing is not None:
        return existing, False
    keep_file(db.session, sha, data)
    text = ContractText(
        version_id=version.id,
        filename=(filename or "contract")[:255],
        sha256=sha,
        size=len(data),
        status=QUEUED,
        kind=sniff(data) or "",
        uploaded_by_id=user.id,
        created_at=utcnow(),
    )
    db.session.add(text)
    db.session.flush()
    audit_log.record(
        user,
        "attach_text",
        "contract",
        contract.id,
        after={"version": version.version_no, "filename": text.filename, "sha256": sha},
        summary=Msg("上传合同文本（第%(no)s版）", no=version.version_no),
    )
    return text, True


def _limits() -> ChildLimits:
    return ChildLimits()


def extract_one(text: ContractText, now: datetime, limits: ChildLimits | None = None) -> None:
    """Extract one claimed text in a child process and record the outcome (flushes)."""
    from core.models import StoredFile

    stored = db.session.get(StoredFile, text.sha256)
    result = extract_in_child(stored.data if stored else b"", limits or _limits())
    text.processed_at = now
    if result.ok and result.extracted is not None:
        got = result.extracted
        text.status = DONE
        text.kind = got.kind
        text.pages = got.pages
        text.ocr_pages = got.ocr_pages
        text.text = got.text
        notes = [NOTES[n] for n in got.notes if n in NOTES]
        text.message = notes[0] if notes else ""
    else:
        text.status = FAILED
        text.message = ERRORS.get(result.error, ERRORS["crashed"])
    db.session.flush()


def claim(text_id: int) -> bool:
    """Take a queued text for extraction; False when another process took it first."""
    done = db.session.execute(
        update(ContractText)
        .where(ContractText.id == text_id, ContractText.status == QUEUED)
        .values(status=PROCESSING)
    )
    return bool(rowcount(done))


def process_queued_texts(
    now: datetime, limit: int | None = None, limits: ChildLimits | None = None
) -> int:
    """Extract every queued text (the job process and ``flask attach-text`` call this).
    Commits: the claim first, then the result."""
    stmt = select(ContractText.id).where(ContractText.status == QUEUED).order_by(ContractText.id)
    ids = list(db.session.scalars(stmt.limit(limit) if limit else stmt))
    db.session.rollback()
    return sum(1 for text_id in ids if process_text(text_id, now, limits))


def process_text(text_id: int, now: datetime, limits: ChildLimits | None = None) -> bool:
    """Claim one queued text, commit, extract it, commit; False when it was not queued."""
    if not claim(text_id):
        db.session.rollback()
        return False
    db.session.commit()
    text = db.session.get(ContractText, text_id)
    assert text is not None
    try:
        extract_one(text, now, limits)
        db.session.commit()
    except Exception:
        db.session.rollback()
        text = db.session.get(ContractText, text_id)
        if text is not None:
            text.status = FAILED
            text.message = ERRORS["crashed"]
            db.session.commit()
        raise
    return True


def requeue_stale(now: datetime, older_than: timedelta = timedelta(minutes=30)) -> int:
    """Texts left 'processing' by a job process that died are queued again (nothing lost)."""
    done = db.session.execute(
        update(ContractText)
        .where(ContractText.status == PROCESSING, ContractText.created_at < now - older_than)
        .values(status=QUEUED)
    )
    db.session.flush()
    return int(rowcount(done) or 0)


# ---------------------------------------------------------------------------- recognition


def seed_recognition_rules() -> int:
    """The shipped rules for catalogue items that have none yet (never overwrites edits)."""
    have = set(db.session.scalars(select(ItemRecognition.item_code)))
    codes = set(db.session.scalars(select(BargainingItem.code)))
    added = 0
    for rule in default_rules():
        if rule.code in codes and rule.code not in have:
            db.session.add(
                ItemRecognition(
                    item_code=rule.code,
                    keywords=list(rule.keywords),
                    patterns=list(rule.patterns),
                    updated_at=utcnow(),
                )
            )
            added += 1
    db.session.flush()
    return added


def recognition_rules() -> list[Rule]:
    """The rules in the database, for active catalogue items, in code order."""
    rows = db.session.execute(
        select(ItemRecognition)
        .join(BargainingItem, BargainingItem.code == ItemRecognition.item_code)
        .where(BargainingItem.active)
        .order_by(ItemRecognition.item_code)
    ).scalars()
    return [Rule(r.item_code, tuple(r.keywords or ()), tuple(r.patterns or ())) for r in rows]


@dataclass
class VersionText:
    """A version's text as the audit and contract pages show it."""

    files: list[ContractText]
    text: str
    found: list[ItemFound] = field(default_factory=list)
    filed: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    facts: Facts = field(default_factory=Facts)

    @property
    def pending(self) -> bool:
        return any(f.status in (QUEUED, PROCESSING) for f in self.files)

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files if f.status == DONE)

    @property
    def found_codes(self) -> list[str]:
        return [f.code for f in self.found]

    def passages_of(self, code: str) -> list[Any]:
        return next((f.passages for f in self.found if f.code == code), [])


def texts_of(version_id: int) -> list[ContractText]:
    return list(
        db.session.scalars(
            select(ContractText)
            .where(ContractText.version_id == version_id)
            .order_by(ContractText.id)
        )
    )


def version_text(version: ContractVersion, rules: Sequence[Rule] | None = None) -> VersionText:
    files = texts_of(version.id)
    text = "\n\n".join(f.text for f in files if f.status == DONE and f.text)
    filed = [i.item_code for i in version.items]
    result = VersionText(files, text, filed=filed)
    if text:
        rules = list(rules) if rules is not None else recognition_rules()
        result.found = recognise(text, rules)
        result.comparison = compare(result.found_codes, filed, [r.code for r in rules])
        result.facts = read_facts(text)
    return result


def text_summary(version: ContractVersion, vt: VersionText, sha256: str) -> dict[str, Any]:
    """The ``flask attach-text --json`` record (SPEC §4): the file's SHA-256; pages,
    characters and items of the version's whole text (all its files, e.g. scanned pages)."""
    comparison = vt.comparison or compare([], vt.filed, [])
    return {
        "contract": version.contract.number,
        "version": version.version_no,
        "sha256": sha256,
        "pages": vt.pages,
        "chars": len(vt.text),
        "items_found": [
            {"code": f.code, "passages": [p.text for p in f.passages]} for f in vt.found
        ],
        "items_filed": vt.filed,
        "filed_not_found": comparison.filed_not_found,
        "found_not_filed": comparison.found_not_filed,
    }


def init_app_hooks(app: Any) -> None:
    """Seed the shipped rules with the reference data; extract queued texts in the job
    process every minute (and on start, after re-queueing what a dead process left)."""
    app.extensions.setdefault("init_steps", []).append(seed_recognition_rules)

    def job() -> int:
        requeue_stale(utcnow())
        db.session.commit()
        return process_queued_texts(utcnow())

    app.extensions.setdefault("scheduled_jobs", []).append(
        ("contract_texts", {"trigger": "interval", "minutes": 1}, job)
    )
    app.extensions.setdefault("startup_jobs", []).append(("contract_texts", job))
