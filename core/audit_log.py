"""The append-only audit log (操作日志): every write, who, when, what, before/after."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.i18n import _
from core.models import AuditLog, User


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
def _refuse_update(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit_log rows cannot be changed")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit_log rows cannot be deleted")


def jsonable(value: Any) -> Any:
    """Dates, decimals and nested containers as JSON-friendly values."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def record(
    user: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    before: Any = None,
    after: Any = None,
    summary: str = "",
    session: Session | None = None,
) -> AuditLog:
    entry = AuditLog(
        at=utcnow(),
        user_id=user.id if user else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        before=jsonable(before),
        after=jsonable(after),
    )
    (session or db.session).add(entry)
    return entry


def record_many(user: User | None, entries: Iterable[Mapping[str, Any]]) -> int:
    """Bulk form for imports: each entry has action, object_type, object_id, before, after, summary."""
    now = utcnow()
    rows = [
        {
            "at": now,
            "user_id": user.id if user else None,
            "action": e["action"],
            "object_type": e["object_type"],
            "object_id": e["object_id"],
            "summary": e.get("summary", ""),
            "before": jsonable(e.get("before")),
            "after": jsonable(e.get("after")),
        }
        for e in entries
    ]
    if rows:
        db.session.execute(insert(AuditLog), rows)
    return len(rows)


def history(object_type: str, object_id: int, limit: int = 200) -> list[AuditLog]:
    """The object's log, newest first; each entry carries ``username`` for display."""
    stmt = (
        select(AuditLog, User.username)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    entries = []
    for entry, username in db.session.execute(stmt):
        entry.username = username or _("系统")
        entries.append(entry)
    return entries
