"""Users, settings, stored files and the append-only audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow
from core.i18n import MessageText, _l


class Role(enum.StrEnum):
    ENTERPRISE = "enterprise"  # 企业经办人
    INSPECTOR = "inspector"  # 县级指导员
    CITY = "city"  # 市总工会
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS: dict[Role, Any] = {
    Role.ENTERPRISE: _l("企业经办人"),
    Role.INSPECTOR: _l("县级指导员"),
    Role.CITY: _l("市总工会"),
    Role.ADMIN: _l("系统管理员"),
}


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: where e-mail notifications go (empty: none)
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: raised to end every session of the user (logout, password change, disabling, an
    #: admin's "end sessions"): a session carries the epoch it began in (core.auth)
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    def get_id(self) -> str:  # Flask-Login: what the session cookie carries
        return f"{self.id}.{self.session_epoch or 0}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def sees_all_counties(self) -> bool:
        return self.role in (Role.CITY, Role.ADMIN)


class Setting(Base):
    """Tunable rules (rates, limits, deadlines) — editable by the admin."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")


class StoredFile(Base):
    """An original file, kept byte for byte and addressed by its SHA-256 (nothing lost)."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(Base):
    """Append-only record of every write: who, when, what, before/after.

    Updates and deletes are refused by the ORM (core.audit_log) and by database triggers;
    the hash chain (``seq``, ``prev_hash``, ``entry_hash``; see core.audit_log) shows any
    change made by someone who went around both.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: position in the hash chain: 1, 2, 3 … in the order entries were appended
    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(MessageText, default="")
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)


class ApiToken(Base):
    """A bearer token for /api/v1 (only its SHA-256 is stored); it acts with its user's scope."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: no longer accepted from this moment (setting api_token_days); None: never expires
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationChannel(Base):
    """A work group's robot webhook (企业微信 group robot, 钉钉 custom robot), per county;
    ``county_id`` None is the city's own group."""

    __tablename__ = "notification_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # wecom | dingtalk
    url: Mapped[str] = mapped_column(String(500))
    #: DingTalk's signing secret (SEC…); empty for WeCom
    secret: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(Base):
    """Immediate or a daily digest, per user and channel (absent: immediate)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(12), primary_key=True)  # inapp | email
    digest: Mapped[bool] = mapped_column(default=False)


class Notification(Base):
    """One event for one recipient on one channel (the unique key makes sending idempotent).

    In-app notices are the rows of channel ``inapp`` (read when ``read_at`` is set); e-mail
    and work-group rows are deliveries, retried with back-off until sent or given up.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", "recipient"),
        Index("ix_notification_user_channel", "user_id", "channel", "read_at"),
        Index("ix_notification_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(12))  # inapp | email | wecom | dingtalk
    #: ``user:<id>`` or ``group:<channel id>``
    recipient: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("notification_channel.id"))
    subject: Mapped[str] = mapped_column(MessageText, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    digest: Mapped[bool] = mapped_column(default=False)
    #: pending | sent | failed (retry at next_attempt_at) | dead (given up)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """A login attempt, kept for a day: the login limit counts these, so it holds across
    every worker and host that shares the database."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_address", "address", "at"),
        Index("ix_login_attempt_username", "username", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(default=False)


def keep_file(session: Any, sha256: str, data: bytes) -> None:
    """Store an original once by its SHA-256, even when two processes store it at once (and
    again when the same bytes come back after a purge emptied the row)."""
    existing = session.get(StoredFile, sha256)
    if existing is not None:
        if not existing.data and data:
            existing.data = data
        return
    dialect = session.connection().dialect.name
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(StoredFile).values(
        sha256=sha256, size=len(data), data=data, created_at=utcnow()
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))
