"""Users, settings, stored files and the append-only audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
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


def keep_file(session: Any, sha256: str, data: bytes) -> None:
    """Store an original once by its SHA-256, even when two processes store it at once."""
    if session.get(StoredFile, sha256) is not None:
        return
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert  # noqa: PLC0415
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # noqa: PLC0415
    stmt = dialect_insert(StoredFile).values(
        sha256=sha256, size=len(data), data=data, created_at=utcnow()
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]))
