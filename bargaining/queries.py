"""Read-side queries of the register, always scoped to the acting user (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select

from bargaining.models import (
    BargainingItem,
    Contract,
    ContractCoverage,
    ContractFlag,
    ContractItem,
    ContractVersion,
    County,
    Enterprise,
    Upload,
)
from core.db import db
from core.models import Role, User


def scope_contracts(stmt: Select[Any], user: User) -> Select[Any]:
    if user.role == Role.ENTERPRISE:
        return stmt.where(Contract.enterprise_id == (user.enterprise_id or -1))
    if not user.sees_all_counties:
        return stmt.where(Contract.county_id == (user.county_id or -1))
    return stmt


def scope_enterprises(stmt: Select[Any], user: User) -> Select[Any]:
    if user.role == Role.ENTERPRISE:
        return stmt.where(Enterprise.id == (user.enterprise_id or -1))
    if not user.sees_all_counties:
        return stmt.where(Enterprise.county_id == (user.county_id or -1))
    return stmt


def scope_uploads(stmt: Select[Any], user: User) -> Select[Any]:
    if user.role == Role.ENTERPRISE:
        return stmt.where(
            Upload.enterprise_id == (user.enterprise_id or -1), Upload.user_id == user.id
        )
    if not user.sees_all_counties:
        return stmt.where(Upload.county_id == (user.county_id or -1))
    return stmt


def counties_for(user: User) -> list[County]:
    stmt = select(County).order_by(County.sort_order)
    if not user.sees_all_counties:
        stmt = stmt.where(County.id == (user.county_id or -1))
    return list(db.session.scalars(stmt))


@dataclass
class FilingFilters:
    q: str = ""
    county: str = ""
    level: str = ""
    contract_type: str = ""
    flag: str = ""  # "" | "any" | "none" | a flag code
    platform: str = ""  # "" | "entered" | "missing"
    filed_from: date | None = None
    filed_to: date | None = None
    in_force_on: date | None = None


def _expansion_count():  # type: ignore[no-untyped-def]
    return (
        select(func.count(ContractItem.id))
        .join(BargainingItem, BargainingItem.code == ContractItem.item_code)
        .where(ContractItem.version_id == ContractVersion.id, BargainingItem.kind == "expansion")
        .correlate(ContractVersion)
        .scalar_subquery()
    )


def _flag_count():  # type: ignore[no-untyped-def]
    return (
        select(func.count(ContractFlag.id))
        .where(ContractFlag.version_id == ContractVersion.id)
        .correlate(ContractVersion)
        .scalar_subquery()
    )


def filings_query(user: User, f: FilingFilters) -> Select[Any]:
    stmt = (
        select(
            Contract,
            ContractVersion,
            County.name.label("county_name"),
            Enterprise.uscc.label("uscc"),
            _expansion_count().label("expansion_items"),
            _flag_count().label("flag_count"),
        )
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .join(County, County.id == Contract.county_id)
        .outerjoin(Enterprise, Enterprise.id == Contract.enterprise_id)
    )
    stmt = scope_contracts(stmt, user)
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(
            or_(
                Contract.number.ilike(like),
                ContractVersion.name.ilike(like),
                Enterprise.uscc == f.q.upper(),
            )
        )
    if f.county:
        stmt = stmt.where(County.code == f.county.upper())
    if f.level:
        stmt = stmt.where(Contract.level == f.level)
    if f.contract_type:
        stmt = stmt.where(ContractVersion.contract_type == f.contract_type)
    flag_exists = exists().where(ContractFlag.version_id == ContractVersion.id)
    if f.flag == "any":
        stmt = stmt.where(flag_exists)
    elif f.flag == "none":
        stmt = stmt.where(~flag_exists)
    elif f.flag:
        stmt = stmt.where(
            exists().where(
                ContractFlag.version_id == ContractVersion.id, ContractFlag.code == f.flag
            )
        )
    if f.platform == "entered":
        stmt = stmt.where(ContractVersion.platform_entered_on.is_not(None))
    elif f.platform == "missing":
        stmt = stmt.where(ContractVersion.platform_entered_on.is_(None))
    if f.filed_from:
        stmt = stmt.where(ContractVersion.filed_on >= f.filed_from)
    if f.filed_to:
        stmt = stmt.where(ContractVersion.filed_on <= f.filed_to)
    if f.in_force_on:
        stmt = stmt.where(
            and_(
                ContractVersion.effective_on <= f.in_force_on,
                ContractVersion.expires_on >= f.in_force_on,
            )
        )
    return stmt.order_by(ContractVersion.filed_on.desc(), Contract.id.desc())


@dataclass
class RegistryFilters:
    q: str = ""
    county: str = ""
    has_union: str = ""  # "" | "1" | "0"
    above_scale: str = ""
    industry: str = ""
    contract: str = ""  # "" | "with" | "without"


def registry_query(user: User, f: RegistryFilters) -> Select[Any]:
    own_contracts = (
        select(func.count(Contract.id))
        .where(Contract.enterprise_id == Enterprise.id)
        .correlate(Enterprise)
        .scalar_subquery()
    )
    stmt = select(
        Enterprise, County.name.label("county_name"), own_contracts.label("contracts")
    ).join(County, County.id == Enterprise.county_id)
    stmt = scope_enterprises(stmt, user)
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(or_(Enterprise.name.ilike(like), Enterprise.uscc == f.q.upper()))
    if f.county:
        stmt = stmt.where(County.code == f.county.upper())
    if f.has_union in ("0", "1"):
        stmt = stmt.where(Enterprise.has_union.is_(f.has_union == "1"))
    if f.above_scale in ("0", "1"):
        stmt = stmt.where(Enterprise.above_scale.is_(f.above_scale == "1"))
    if f.industry:
        stmt = stmt.where(Enterprise.industry == f.industry)
    has_contract = exists().where(Contract.enterprise_id == Enterprise.id)
    if f.contract == "with":
        stmt = stmt.where(has_contract)
    elif f.contract == "without":
        stmt = stmt.where(~has_contract)
    return stmt.order_by(County.sort_order, Enterprise.name)


def covering_contracts(enterprise_id: int) -> list[tuple[Contract, ContractVersion]]:
    """Industry/regional contracts whose current version lists the enterprise."""
    stmt = (
        select(Contract, ContractVersion)
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .join(ContractCoverage, ContractCoverage.version_id == ContractVersion.id)
        .where(ContractCoverage.enterprise_id == enterprise_id)
    )
    return [(c, v) for c, v in db.session.execute(stmt)]


def own_contracts(enterprise_id: int) -> list[tuple[Contract, ContractVersion]]:
    stmt = (
        select(Contract, ContractVersion)
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .where(Contract.enterprise_id == enterprise_id)
        .order_by(ContractVersion.filed_on.desc())
    )
    return [(c, v) for c, v in db.session.execute(stmt)]


def versions_of(contract_id: int) -> list[ContractVersion]:
    stmt = (
        select(ContractVersion)
        .where(ContractVersion.contract_id == contract_id)
        .order_by(ContractVersion.version_no.desc())
    )
    return list(db.session.scalars(stmt))


def versions_of_upload(upload_id: int, limit: int = 50) -> list[ContractVersion]:
    """The contract versions an upload filed (first ``limit``), to attach their texts."""
    stmt = (
        select(ContractVersion)
        .where(ContractVersion.upload_id == upload_id)
        .order_by(ContractVersion.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def uploads_query(user: User, kind: str | None = None) -> Select[Any]:
    stmt = select(Upload, User.username).join(User, User.id == Upload.user_id)
    if kind:
        stmt = stmt.where(Upload.kind == kind)
    return scope_uploads(stmt, user).order_by(Upload.id.desc())


def county_summary(user: User, today: date) -> list[dict[str, Any]]:
    """Per county in scope: enterprises, eligible, filed contracts, flagged, not yet on the platform."""
    counties = counties_for(user)
    result = []
    for county in counties:
        ents = db.session.execute(
            select(
                func.count(Enterprise.id),
                func.count(Enterprise.id).filter(Enterprise.has_union & Enterprise.above_scale),
            ).where(Enterprise.county_id == county.id)
        ).one()
        base = (
            select(func.count(Contract.id))
            .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
            .where(Contract.county_id == county.id)
        )
        contracts = db.session.scalar(base) or 0
        in_force = (
            db.session.scalar(
                base.where(
                    ContractVersion.effective_on <= today, ContractVersion.expires_on >= today
                )
            )
            or 0
        )
        not_entered = (
            db.session.scalar(base.where(ContractVersion.platform_entered_on.is_(None))) or 0
        )
        flagged = (
            db.session.scalar(
                base.where(exists().where(ContractFlag.version_id == ContractVersion.id))
            )
            or 0
        )
        result.append(
            {
                "county": county,
                "enterprises": ents[0],
                "eligible": ents[1],
                "contracts": contracts,
                "in_force": in_force,
                "not_entered": not_entered,
                "flagged": flagged,
            }
        )
    return result


def template_reference() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Counties (code, name) and the active catalogue (code, name, kind) for the templates."""
    counties = [
        (c.code, c.name) for c in db.session.scalars(select(County).order_by(County.sort_order))
    ]
    stmt = (
        select(BargainingItem)
        .where(BargainingItem.active)
        .order_by(BargainingItem.kind, BargainingItem.code)
    )
    return counties, [(i.code, i.name, i.kind) for i in db.session.scalars(stmt)]
