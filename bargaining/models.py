"""Counties, the item catalogue, the enterprise registry, uploads and the contract register."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.i18n import N_, MessageText, TermText
from core.policy import ScopeOf

# Stored values, matched in the workbooks: kept in Chinese, shown with ``tr``
LEVEL_ENTERPRISE = N_("企业")
LEVEL_INDUSTRY = N_("行业性")
LEVEL_REGIONAL = N_("区域性")
LEVELS = (LEVEL_ENTERPRISE, LEVEL_INDUSTRY, LEVEL_REGIONAL)

CONTRACT_TYPES = (
    N_("综合性集体合同"),
    N_("工资专项集体合同"),
    N_("女职工权益保护专项集体合同"),
    N_("其他专项集体合同"),
)
#: Contract types that must state a lowest wage (最低工资标准).
WAGE_CONTRACT_TYPES = ("综合性集体合同", "工资专项集体合同")  # i18n: data


class County(Base):
    """县(市、区): the unit whose progress the city supervises."""

    __tablename__ = "county"
    __scope__ = ScopeOf(county="id")  # a staff page per county

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(TermText(40), unique=True)
    pilot: Mapped[bool] = mapped_column(default=False)
    required_items: Mapped[int] = mapped_column(default=2)
    target_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.75"))
    min_wage_tier: Mapped[int] = mapped_column(default=2)
    division_code: Mapped[str] = mapped_column(String(6), default="")
    sort_order: Mapped[int] = mapped_column(default=0)


class BargainingItem(Base):
    """协商事项 catalogue. Codes are never reused."""

    __tablename__ = "bargaining_item"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(TermText(60))
    #: baseline (W01–W03, every wage contract), expansion (counts toward 2027), other (N01)
    kind: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def is_expansion(self) -> bool:
        return self.kind == "expansion"


class Enterprise(Base):
    """企业名录: one registered enterprise, kept by its county's inspectors."""

    __tablename__ = "enterprise"
    __scope__ = ScopeOf(enterprise="id")

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    industry: Mapped[str] = mapped_column(String(60), default="")
    has_union: Mapped[bool] = mapped_column(default=False)
    above_scale: Mapped[bool] = mapped_column(default=False)
    employees: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: the registry upload that last changed this row (no FK: upload → user → enterprise would cycle)
    upload_id: Mapped[int | None]

    county: Mapped[County] = relationship(lazy="joined")


class Upload(Base):
    """One uploaded workbook and what became of it. The bytes live in StoredFile."""

    __tablename__ = "upload"
    __scope__ = ScopeOf(enterprise="enterprise_id", owner="user_id")
    __table_args__ = (Index("ix_upload_sha", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # filings | registry
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"))
    size: Mapped[int]
    #: imported | rejected | duplicate | processing | failed
    status: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("county.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a Msg (shown in the reader's language), or plain text in rows written before i18n
    message: Mapped[str] = mapped_column(MessageText, default="")
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    #: the marked copy of a rejected workbook, built once per language: {"zh_CN": sha256}
    marked_files: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: links to other workbooks found in the file: flagged to the inspector
    external_links: Mapped[int] = mapped_column(default=0, server_default="0")
    #: a refused or failed original is kept 90 days (setting), then purged (SPEC §4)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Contract(Base):
    """A collective contract as the filer numbers it (合同编号); its content lives in versions.

    Unique per enterprise for 企业 contracts, per county for 行业性/区域性 ones: ``scope_key``
    is ``E<enterprise id>`` or ``C<county id>``.
    """

    __tablename__ = "contract"
    __scope__ = ScopeOf(enterprise="enterprise_id")
    __table_args__ = (UniqueConstraint("scope_key", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), index=True)
    scope_key: Mapped[str] = mapped_column(String(24))
    level: Mapped[str] = mapped_column(String(8))
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    # deferrable: an import inserts new contracts already pointing at versions it inserts next
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_version.id", use_alter=True, deferrable=True, initially="IMMEDIATE")
    )
    version_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    county: Mapped[County] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship()
    current_version: Mapped[ContractVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ContractVersion(Base):
    """One filing of a contract: every re-filing under the same 合同编号 is a new version."""

    __tablename__ = "contract_version"
    __scope__ = ScopeOf(via="contract")  # seen by whoever sees its contract
    __table_args__ = (
        UniqueConstraint("contract_id", "version_no"),
        Index("ix_contract_version_filed", "county_id", "filed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the public id hashed into sampling tickets, e.g. ``HT000123-2``
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))
    version_no: Mapped[int]
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sheet_row: Mapped[int | None]

    contract_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(60), default="")
    signed_on: Mapped[date]
    delegates_total: Mapped[int]
    delegates_present: Mapped[int]
    votes_for: Mapped[int]
    effective_on: Mapped[date]
    expires_on: Mapped[date]
    submitted_on: Mapped[date | None]
    workers_covered: Mapped[int]
    lowest_wage: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    raise_pct: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    platform_entered_on: Mapped[date | None]
    remarks: Mapped[str] = mapped_column(Text, default="")
    #: 备案日期: the upload date, or back-filled by an inspector
    filed_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(foreign_keys=[contract_id])
    items: Mapped[list[ContractItem]] = relationship(
        order_by="ContractItem.item_code", cascade="all, delete-orphan"
    )
    coverage: Mapped[list[ContractCoverage]] = relationship(cascade="all, delete-orphan")
    flags: Mapped[list[ContractFlag]] = relationship(cascade="all, delete-orphan")


class ContractItem(Base):
    """协商事项 agreed in one contract version."""

    __tablename__ = "contract_item"
    __table_args__ = (UniqueConstraint("version_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_version.id"))
    item_code: Mapped[str] = mapped_column(ForeignKey("bargaining_item.code"))
    summary: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[BargainingItem] = relationship(lazy="joined")


class ContractCoverage(Base):
    """覆盖企业: an enterprise covered by an industry or regional contract version."""

    __tablename__ = "contract_coverage"
    __table_args__ = (UniqueConstraint("version_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_version.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class ContractFlag(Base):
    """An automatic pre-audit flag (legal check) on a contract version — a finding, not a rejection."""

    __tablename__ = "contract_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_version.id"), index=True)
    code: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(MessageText)


class ContractText(Base):
    """合同文本: one signed-text file (PDF, .docx, a scan) attached to a contract version.

    The original lives in StoredFile (nothing lost); its text is extracted outside the web
    request (the job process or the ``flask`` command): ``status`` goes queued → done | failed.
    Several files (the pages of a scan) make up one version's text, in ``id`` order.
    """

    __tablename__ = "contract_text"
    __scope__ = ScopeOf(via="version")  # seen by whoever sees its contract

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_version.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"))
    size: Mapped[int]
    #: queued | processing | done | failed
    status: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="")  # pdf | docx | image
    pages: Mapped[int] = mapped_column(default=0)
    ocr_pages: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    #: a Msg: why it failed, or what was skipped (OCR not installed)
    message: Mapped[str] = mapped_column(MessageText, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[ContractVersion] = relationship()


class ItemRecognition(Base):
    """Recognition rules of one catalogue item: keywords and regular expressions (admin-editable)."""

    __tablename__ = "item_recognition"

    item_code: Mapped[str] = mapped_column(ForeignKey("bargaining_item.code"), primary_key=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    patterns: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
