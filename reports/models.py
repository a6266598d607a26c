"""Monthly target snapshots and on-site supervision records (现场督导)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class CountySnapshot(Base):
    """The 2027-target position of one county on the 1st of a month, kept as it was then."""

    __tablename__ = "county_snapshot"
    __table_args__ = (UniqueConstraint("county_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    taken_on: Mapped[date]
    eligible: Mapped[int]
    counted: Mapped[int]
    with_contract: Mapped[int]
    #: counted / eligible, None when the county has no eligible enterprise
    rate: Mapped[float | None]
    backfilled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Supervision(Base):
    """现场督导: the city's on-site supervision of a lagging county (靶向纠偏)."""

    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    planned_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(8), default="planned")  # planned | held
    held_on: Mapped[date | None]
    participants: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    follow_up_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
