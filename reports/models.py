"""Monthly target snapshots and the half-year review's commentary (on-site supervision lives in
audits.models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
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


class ReviewComment(Base):
    """讲评: what the city writes about one county for one half-year review."""

    __tablename__ = "review_comment"
    __table_args__ = (UniqueConstraint("half", "county_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    half: Mapped[str] = mapped_column(String(6))  # 2026H1
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegisterFigure(Base):
    """One register-wide figure of a day (``part``: target counts, item popularity or filing
    KPIs), as computed for the register ``stamp`` (reports.queries). Written by the job
    process after every change of the register, so that the first dashboard request after a
    change reads it instead of aggregating a province's contracts; a stale stamp is ignored."""

    __tablename__ = "register_figure"

    day: Mapped[date] = mapped_column(primary_key=True)
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(255))
    value: Mapped[Any] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
