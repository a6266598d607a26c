"""The append-only audit log (操作日志): every write, who, when, what, before/after.

Tamper-evident (SPEC §3): entries form a hash chain. Entry ``seq`` n carries
``prev_hash`` (the ``entry_hash`` of entry n-1; 64 zeros for the first) and
``entry_hash = SHA-256(prev_hash + "\n" + canonical content)``, the canonical content being
the JSON array ``[seq, at, user_id, action, object_type, object_id, summary, before, after]``
(``at`` as UTC ``YYYY-MM-DDTHH:MM:SS.ffffff``, ``summary`` as stored, keys sorted, no
spaces). Appends are serialised — on PostgreSQL by a transaction-scoped advisory lock taken
before the head is read, SQLite serialises writers itself — so two writers never fork the
chain. :func:`verify_chain` walks it and names the first entry edited, removed or reordered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Text, event, select, text, type_coerce

from core.bulk import Behind, driver_value, insert_tuples
from core.db import AnySession, db, utcnow
from core.i18n import MessageText, Msg, _
from core.models import AuditLog, User

GENESIS = "0" * 64
#: pg_advisory_xact_lock key of the chain's head ("jlog")
CHAIN_LOCK_KEY = 0x6A6C6F67
_SUMMARY = MessageText()
#: json.dumps(…, ensure_ascii=False, sort_keys=True, separators=(",", ":")) without building an
#: encoder per call (json.dumps does for any non-default option)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
def _refuse_update(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit_log rows cannot be changed")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(*_: Any) -> None:
    raise AuditLogIsAppendOnly("audit_log rows cannot be deleted")


_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Dates, decimals and nested containers as JSON-friendly values; a stored message
    (:class:`~core.i18n.Msg`) as its msgid and parameters, so the history shows it in the
    reader's language."""
    kind = type(value)
    if kind in _PLAIN:  # the common case first (an import logs hundreds of thousands)
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if isinstance(value, Msg):
        return value.as_json()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------- the chain


def canonical(
    seq: int,
    at: datetime,
    user_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str | None,
    before: Any,
    after: Any,
) -> bytes:
    """The canonical content of an entry (``summary`` as stored in the column)."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    content = [seq, stamp, user_id, action, object_type, object_id, summary, before, after]
    return _CANONICAL.encode(content).encode()


def link_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + content).hexdigest()


def stored_summary(summary: Any) -> str | None:
    """The summary as its column stores it (a :class:`~core.i18n.Msg` as JSON)."""
    return _SUMMARY.process_bind_param(summary, None)


def _lock_and_read_head(session: AnySession) -> tuple[int, str]:
    """(seq, entry_hash) of the last entry, once this transaction holds the append lock."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    head = session.execute(
        select(AuditLog.seq, AuditLog.entry_hash).order_by(AuditLog.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if head is None else (head.seq, head.entry_hash)


def _chained(session: AnySession, entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` (column -> value, ``before``/``after`` JSON-able) with seq, prev_hash and
    entry_hash set, appended after the current head."""
    seq, prev = _lock_and_read_head(session)
    for entry in entries:
        seq += 1
        content = canonical(
            seq,
            entry["at"],
            entry["user_id"],
            entry["action"],
            entry["object_type"],
            entry["object_id"],
            stored_summary(entry["summary"]),
            entry["before"],
            entry["after"],
        )
        entry.update(seq=seq, prev_hash=prev, entry_hash=link_hash(prev, content))
        prev = entry["entry_hash"]
    return list(entries)


def record(
    user: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    before: Any = None,
    after: Any = None,
    summary: str = "",
    session: AnySession | None = None,
) -> AuditLog:
    session = session or db.session
    (values,) = _chained(
        session,
        [
            {
                "at": utcnow(),
                "user_id": user.id if user else None,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "summary": summary,
                "before": jsonable(before),
                "after": jsonable(after),
            }
        ],
    )
    entry = AuditLog(**values)
    session.add(entry)  # the next append's head query flushes it first (autoflush)
    return entry


def apply_changes(obj: Any, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set ``obj``'s attributes to ``values``; (before, after) of the fields that changed,
    for the log (SPEC §3: every changed field, before and after)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            before[name], after[name] = old, value
            setattr(obj, name, value)
    return before, after


def amendment_reason(fields: Mapping[str, Any]) -> str:
    """The reason given for correcting a record already held or decided (``amendment_reason``)."""
    return str(fields.get("amendment_reason") or "").strip()


def record_many(user: User | None, entries: Iterable[Mapping[str, Any]]) -> int:
    """Bulk form for imports: each entry has action, object_type, object_id, before, after, summary."""
    now = utcnow()
    user_id = user.id if user else None
    rows = [
        (
            now,
            user_id,
            e["action"],
            e["object_type"],
            e["object_id"],
            e.get("summary", ""),
            jsonable(e.get("before")),
            jsonable(e.get("after")),
        )
        for e in entries
    ]
    _append(db.session, rows)
    return len(rows)


#: what :func:`_append` takes per entry, in this order (before and after JSON-able)
ENTRY_COLUMNS = (
    "at",
    "user_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "before",
    "after",
)


def append_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    plain_json: bool = False,
    behind: Behind | None = None,
) -> None:
    """Bulk append of prepared rows (values in the order of ``columns``, which name at,
    user_id, action, object_type, object_id, summary, before, after): chained, then inserted
    in one go. ``plain_json``: the caller's before/after hold only what JSON holds as it is
    (dicts with text keys, lists, text, numbers, None), so :func:`jsonable` is skipped.
    ``behind`` (:func:`core.bulk.overlapped`): the statements this transaction still has
    running; the log's head is read once they are done, and the entries are chained while
    the last of them still runs when :func:`lock_head` was called before it."""
    if not rows:
        return
    order = [list(columns).index(name) for name in ENTRY_COLUMNS]
    if not (plain_json and order == list(range(len(ENTRY_COLUMNS)))):
        before, after = order[-2], order[-1]
        rows = [
            (*(row[i] for i in order[:-2]), jsonable(row[before]), jsonable(row[after]))
            for row in rows
        ]
    _append(db.session(), rows, behind)


class ChainHead(NamedTuple):
    """Where this transaction's next entries are chained: after ``seq``, whose hash is ``hash``."""

    seq: int
    hash: str
    #: how the driver stores each entry's ``at`` (one conversion per distinct time)
    stored_at: dict[datetime, Any]


def lock_head(session: AnySession, *times: datetime) -> ChainHead:
    """Take the append lock and read the head now, for :func:`chain` to run later while the
    connection is busy with something else (nothing else may append in between); ``times``:
    the entries' ``at``, converted for the driver now (others are converted by ``chain``)."""
    seq, prev = _lock_and_read_head(session)
    table = AuditLog.__table__
    return ChainHead(seq, prev, {at: driver_value(session, table, "at", at) for at in times})


def _append(
    session: AnySession, entries: Sequence[Sequence[Any]], behind: Behind | None = None
) -> None:
    """Chain ``entries`` (values in the order of ENTRY_COLUMNS, before/after JSON-able)
    after the current head and insert them in one go, values as the driver stores them."""
    if not entries:
        return
    if behind is not None:
        behind.wait()
    insert_chained(session, chain(session, lock_head(session), entries), behind)


#: the columns of the rows :func:`chain` returns, in order
CHAINED_COLUMNS = ("seq", "prev_hash", "entry_hash", *ENTRY_COLUMNS)


def chain(
    session: AnySession, head: ChainHead, entries: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """``entries`` (values in the order of ENTRY_COLUMNS, before/after JSON-able) chained
    after ``head``: rows in the order of CHAINED_COLUMNS, values as the driver stores them.

    Each before/after is serialised once, canonically: that text is both the column's value
    and its part of the hashed content (the canonical array is its parts joined by commas)."""
    seq, prev = head.seq, head.hash
    table = AuditLog.__table__
    stored_at = head.stored_at
    stamps: dict[datetime, str] = {}  # an import's entries share one time
    rows: list[tuple[Any, ...]] = []
    for at, user_id, action, object_type, object_id, summary, before, after in entries:
        seq += 1
        summary_text = stored_summary(summary)
        before_json = _canonical_json(before)
        after_json = _canonical_json(after)
        stamp = stamps.get(at)
        if stamp is None:
            stamp = stamps[at] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        head_json = _canonical_json(
            [seq, stamp, user_id, action, object_type, object_id, summary_text]
        )
        content = f"{head_json[:-1]},{before_json},{after_json}]".encode()
        entry_hash = link_hash(prev, content)
        if at not in stored_at:
            stored_at[at] = driver_value(session, table, "at", at)
        rows.append(
            (
                seq,
                prev,
                entry_hash,
                stored_at[at],
                user_id,
                action,
                object_type,
                object_id,
                summary_text,
                None if before is None else before_json,
                None if after is None else after_json,
            )
        )
        prev = entry_hash
    return rows


def insert_chained(
    session: AnySession, rows: Sequence[Sequence[Any]], behind: Behind | None = None
) -> None:
    """Insert rows made by :func:`chain`."""
    insert_tuples(session, AuditLog.__table__, CHAINED_COLUMNS, rows, encoded=True, behind=behind)


def _canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    count: int
    head_hash: str
    #: the first broken entry: its seq (or id) and what is wrong, in Chinese (``tr`` it)
    problem: str | None = None


class Head(NamedTuple):
    """The log's length and its head hash: what the public page and the city's digest show."""

    entries: int
    hash: str


def head() -> Head:
    """The log's :class:`Head` now."""
    last = db.session.execute(
        select(AuditLog.seq, AuditLog.entry_hash).order_by(AuditLog.seq.desc()).limit(1)
    ).first()
    return Head(0, GENESIS) if last is None else Head(last.seq, last.entry_hash)


def contains_hash(entry_hash: str) -> bool:
    return (
        db.session.scalar(select(AuditLog.id).where(AuditLog.entry_hash == entry_hash)) is not None
    )


def verify_chain(batch: int = 5000) -> ChainCheck:
    """Walk the log in insertion order (id) and recompute every link."""
    expected_seq, prev, count = 1, GENESIS, 0
    columns = (
        AuditLog.id,
        AuditLog.seq,
        AuditLog.at,
        AuditLog.user_id,
        AuditLog.action,
        AuditLog.object_type,
        AuditLog.object_id,
        type_coerce(AuditLog.summary, Text).label("summary"),
        AuditLog.before,
        AuditLog.after,
        AuditLog.prev_hash,
        AuditLog.entry_hash,
    )
    last_id = None
    while True:
        stmt = select(*columns).order_by(AuditLog.id).limit(batch)
        if last_id is not None:
            stmt = stmt.where(AuditLog.id > last_id)
        rows = db.session.execute(stmt).all()
        if not rows:
            break
        for row in rows:
            last_id = row.id
            problem = _check_row(row, expected_seq, prev)
            if problem:
                return ChainCheck(False, count, prev, problem)
            count += 1
            expected_seq, prev = row.seq + 1, row.entry_hash
    return ChainCheck(True, count, prev)


def _check_row(row: Any, expected_seq: int, prev: str) -> str | None:
    if row.seq is None or row.seq < expected_seq:
        return _(
            "第 %(seq)s 条（id %(id)s）顺序被调换：它排在第 %(expected)s 条的位置",
            seq=row.seq,
            id=row.id,
            expected=expected_seq,
        )
    if row.seq > expected_seq:
        moved = db.session.scalar(select(AuditLog.id).where(AuditLog.seq == expected_seq))
        if moved is not None:
            return _(
                "第 %(expected)s 条（id %(moved)s）顺序被调换：它排在第 %(seq)s 条（id %(id)s）之后",
                expected=expected_seq,
                moved=moved,
                seq=row.seq,
                id=row.id,
            )
        return _(
            "第 %(first)s 至 %(last)s 条已被删除（下一条为第 %(seq)s 条，id %(id)s）",
            first=expected_seq,
            last=row.seq - 1,
            seq=row.seq,
            id=row.id,
        )
    content = canonical(
        row.seq,
        row.at,
        row.user_id,
        row.action,
        row.object_type,
        row.object_id,
        row.summary,
        row.before,
        row.after,
    )
    if row.prev_hash != prev:
        return _(
            "第 %(seq)s 条（id %(id)s）的前一条哈希不符：前一条被改动、删除或调换",
            seq=row.seq,
            id=row.id,
        )
    if link_hash(prev, content) != row.entry_hash:
        return _("第 %(seq)s 条（id %(id)s）的内容已被改动", seq=row.seq, id=row.id)
    return None


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of an object's log as the pages show it (``history_table``)."""

    at: datetime
    username: str
    action: str
    summary: str
    before: Any
    after: Any


def history(object_type: str, object_id: int, limit: int = 200) -> list[HistoryEntry]:
    """The object's log, newest first; each entry carries ``username`` for display."""
    stmt = (
        select(AuditLog, User.username)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [
        HistoryEntry(
            entry.at, username or _("系统"), entry.action, entry.summary, entry.before, entry.after
        )
        for entry, username in db.session.execute(stmt)
    ]
