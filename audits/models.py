"""Sample rounds, audits, findings, rectifications, interviews (约谈) and evidence files."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.i18n import MessageText
from core.policy import ScopeOf


class SampleRound(Base):
    """每月随机抽查三成: the verifiable draw of one month's filings. One per month, ever.

    Commit, then reveal (SPEC §5): the round is *frozen* first (population fixed,
    ``population_sha256`` and the ``commitment`` to a CSPRNG ``secret`` published), then
    *drawn* once with a public value typed by a city leader, or unwitnessed with an empty one.
    A round without a commitment was drawn before commitments existed (legacy): its seed is
    the one it was drawn with.
    """

    __tablename__ = "sample_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM: the filings' month
    #: filed_in_month | in_force_never_sampled (setting sample_population, at the freeze)
    population_rule: Mapped[str] = mapped_column(String(24), default="filed_in_month")
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: SHA-256 of the secret's 64-hex text; None for a legacy round
    commitment: Mapped[str | None] = mapped_column(String(64))
    #: kept from the public until the draw (then published with the round)
    secret: Mapped[str | None] = mapped_column(String(64))
    public_value: Mapped[str | None] = mapped_column(String(64))
    #: True: a city leader typed the public value; False: drawn by the scheduler unwitnessed
    witnessed: Mapped[bool | None]
    seed: Mapped[str | None] = mapped_column(String(64))
    seed_source: Mapped[str] = mapped_column(String(12))  # commit | (legacy) csprng | typed
    rate: Mapped[str] = mapped_column(String(12))  # as text: the exact fraction drawn with
    algorithm: Mapped[str] = mapped_column(Text)
    population_sha256: Mapped[str] = mapped_column(String(64))
    population_size: Mapped[int]
    #: the population snapshot: gzip of the exact text whose SHA-256 is population_sha256
    population_gz: Mapped[bytes] = mapped_column(LargeBinary)
    #: from the freeze until the picks are written: each member's version, contract and
    #: enterprise ids in the snapshot's order (audits.rounds.pack_keys), so the picks and audits
    #: are written without a lookup; None once they are (audits.rounds.open_drawn)
    population_keys_gz: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pick_count: Mapped[int] = mapped_column(default=0)
    #: from the draw until its picks and audits are written (audits.rounds.open_drawn): the
    #: picked members' positions in the snapshot, in draw order (audits.rounds.pack_positions)
    picked_positions_gz: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: when the picks and their audits were written (None: drawn, not opened yet)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_count: Mapped[int] = mapped_column(default=0)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_on: Mapped[date | None]

    @property
    def drawn(self) -> bool:
        return self.drawn_at is not None

    @property
    def opening(self) -> bool:
        """Drawn, its picks and audits not written yet (the moment between two commits)."""
        return self.drawn and self.opened_at is None

    @property
    def legacy(self) -> bool:
        """Drawn before commitments existed: no commitment, the seed as it was typed/drawn."""
        return self.commitment is None

    @property
    def unwitnessed(self) -> bool:
        return self.drawn and not self.legacy and not self.witnessed


class SamplePick(Base):
    __tablename__ = "sample_pick"
    __table_args__ = (
        UniqueConstraint("round_id", "version_id"),
        # the key an audit refers to: one foreign key checks its pick, round, version, county
        UniqueConstraint("id", "round_id", "version_id", "county_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # no index of its own: the unique (round_id, version_id) serves the lookups by round
    round_id: Mapped[int] = mapped_column(ForeignKey("sample_round.id"))
    #: the version's county, copied (no foreign key of its own: the version's holds; a check
    #: per row costs the opening of a 300,000-pick round about a second on PostgreSQL)
    county_id: Mapped[int]
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_version.id"))
    public_id: Mapped[str] = mapped_column(String(32))
    ticket: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int]  # 1 = lowest ticket of its county
    late: Mapped[bool] = mapped_column(default=False)


class Audit(Base):
    """One sampled contract version audited against the checklist C1–C9."""

    __tablename__ = "audit"
    __table_args__ = (
        Index("ix_audit_inspector_status", "inspector_id", "status"),
        # One composite foreign key to the pick instead of four: the pick itself refers to the
        # round, the version and the county, so a draw's audit rows cost one check, not four.
        ForeignKeyConstraint(
            ["pick_id", "round_id", "version_id", "county_id"],
            [
                "sample_pick.id",
                "sample_pick.round_id",
                "sample_pick.version_id",
                "sample_pick.county_id",
            ],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_id: Mapped[int | None] = mapped_column(unique=True)
    round_id: Mapped[int | None] = mapped_column(index=True)
    version_id: Mapped[int]
    #: the version's contract and its enterprise, copied for the lists by contract and by
    #: enterprise (no foreign keys of their own: the pick's version already refers to them)
    contract_id: Mapped[int] = mapped_column(index=True)
    county_id: Mapped[int] = mapped_column(index=True)
    enterprise_id: Mapped[int | None] = mapped_column(index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done
    verdict: Mapped[str | None] = mapped_column(String(12))  # audit_rules.Verdict
    notes: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[date | None]
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checks: Mapped[list[AuditCheck]] = relationship(
        order_by="AuditCheck.code", cascade="all, delete-orphan"
    )


class AuditCheck(Base):
    __tablename__ = "audit_check"
    __table_args__ = (UniqueConstraint("audit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id"))
    code: Mapped[str] = mapped_column(String(4))  # C1..C9
    result: Mapped[str] = mapped_column(String(4))  # pass | fail | na
    note: Mapped[str] = mapped_column(Text, default="")


class Finding(Base):
    """A failed checklist item (or a problem seen on a visit): what is wrong and how serious."""

    __tablename__ = "finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit.id"), index=True)
    source: Mapped[str] = mapped_column(String(8), default="audit")  # audit | visit
    source_id: Mapped[int | None]
    check_code: Mapped[str] = mapped_column(String(4))
    severity: Mapped[str] = mapped_column(String(8))  # critical | major | minor
    description: Mapped[str] = mapped_column(MessageText)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    created_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    rectification: Mapped[Rectification] = relationship(back_populates="finding", uselist=False)


class Rectification(Base):
    """整改: the enterprise fixes a finding by its deadline (立行立改 / 限期整改)."""

    __tablename__ = "rectification"
    __scope__ = ScopeOf(enterprise="enterprise_id")
    __table_args__ = (Index("ix_rectification_open", "county_id", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    deadline: Mapped[date]
    #: pending 待整改 | in_progress 整改中 | submitted 待核验 | resolved 已整改
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: set by the daily job when the deadline passed unresolved (逾期)
    overdue_since: Mapped[date | None]
    resolved_on: Mapped[date | None]
    created_on: Mapped[date]

    finding: Mapped[Finding] = relationship(back_populates="rectification", lazy="joined")
    events: Mapped[list[RectificationEvent]] = relationship(order_by="RectificationEvent.id")


class RectificationEvent(Base):
    __tablename__ = "rectification_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")


class Interview(Base):
    """约谈: the county union interviews an enterprise leader, or the city a county union."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(8))  # county | city
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    reason: Mapped[str] = mapped_column(MessageText)
    triggered_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="planned")  # planned | held
    held_on: Mapped[date | None]
    participants: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    commitments: Mapped[str] = mapped_column(Text, default="")
    follow_up_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InterviewLink(Base):
    """Which overdue rectifications an interview is about; one interview per level each."""

    __tablename__ = "interview_link"
    __table_args__ = (UniqueConstraint("rectification_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id"), index=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id"))
    level: Mapped[str] = mapped_column(String(8))


class Evidence(Base):
    """An evidence file (photo, scan, minutes) attached to an audit, rectification or visit."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int]
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class Supervision(Base):
    """现场督导: the city's on-site supervision of a lagging county (靶向纠偏)."""

    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    planned_on: Mapped[date]
    reason: Mapped[str] = mapped_column(MessageText, default="")
    status: Mapped[str] = mapped_column(String(8), default="planned")  # planned | held
    held_on: Mapped[date | None]
    participants: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    follow_up_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Visit(Base):
    """每季度全覆盖实地走访: one planned visit — the city to a county, a county inspector to an
    enterprise with an open finding, or the city's on-site supervision of a lagging county."""

    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("quarter", "task_key"),
        Index("ix_visit_visitor_day", "visitor_id", "planned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6))  # 2026Q4
    kind: Mapped[str] = mapped_column(String(12))  # county | enterprise | supervision
    #: what the visit is for, stable across re-planning (also the calendar UID)
    task_key: Mapped[str] = mapped_column(String(64))
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    supervision_id: Mapped[int | None] = mapped_column(ForeignKey("supervision.id"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    planned_on: Mapped[date]
    #: planned | confirmed | done | missed | rescheduled
    status: Mapped[str] = mapped_column(String(12), default="planned")
    reason: Mapped[str] = mapped_column(MessageText, default="")
    done_on: Mapped[date | None]
    people_met: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE: bumped on every change
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def revised(self, now: datetime | None = None) -> None:
        """Say the visit changed: calendars that hold it take the new SEQUENCE (RFC 5545)."""
        self.sequence += 1
        self.updated_at = now or utcnow()


class CalendarDay(Base):
    """An exception to Monday–Friday: a statutory holiday on a weekday, or an adjusted working
    Saturday/Sunday (调休). Seeded from chinese-calendar; the admin adds new years."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(40), default="")


class CalendarYear(Base):
    """A year whose holidays are known (so the planner need not fall back to weekdays)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40), default="chinese-calendar")


__all__ = [
    "Audit",
    "AuditCheck",
    "Evidence",
    "Finding",
    "CalendarDay",
    "CalendarYear",
    "Interview",
    "InterviewLink",
    "Rectification",
    "RectificationEvent",
    "SamplePick",
    "SampleRound",
    "Supervision",
    "Visit",
]
