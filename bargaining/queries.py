"""Read-side queries of the register, always scoped to the acting user (SPEC §3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from bargaining.filing import first_filings
from bargaining.legal_checks import AS_OF_TODAY, Flag, platform_missing
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
from core.bulk import AnySelect, chunks
from core.db import db
from core.models import User
from core.policy import scope_of
from core.rows import named
from core.settings import get_setting


def scope_contracts(stmt: AnySelect, user: User) -> AnySelect:
    return scope_of(user).where(stmt, Contract.county_id, Contract.enterprise_id)


def scope_enterprises(stmt: AnySelect, user: User) -> AnySelect:
    return scope_of(user).where(stmt, Enterprise.county_id, Enterprise.id)


def scope_uploads(stmt: AnySelect, user: User) -> AnySelect:
    return scope_of(user).where(stmt, Upload.county_id, Upload.enterprise_id, Upload.user_id)


def counties_for(user: User) -> list[County]:
    return list(
        db.session.scalars(
            scope_of(user).where(select(County), County.id).order_by(County.sort_order)
        )
    )


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


def _expansion_count() -> ScalarSelect[int]:
    return (
        select(func.count(ContractItem.id))
        .join(BargainingItem, BargainingItem.code == ContractItem.item_code)
        .where(ContractItem.version_id == ContractVersion.id, BargainingItem.kind == "expansion")
        .correlate(ContractVersion)
        .scalar_subquery()
    )


# ---------------------------------------------------------------------------- flags as of today
# Stored flags are the ones fixed at filing; PLATFORM_MISSING holds "as of today" (SPEC §4)
# and is computed here, from the contract's first filing, wherever flags are read.


def platform_days() -> int:
    return int(get_setting("platform_entry_days"))


def first_filed_on() -> ScalarSelect[date]:
    """The first filing date of ``ContractVersion``'s contract (a correlated subquery)."""
    earlier = aliased(ContractVersion)
    return (
        select(func.min(earlier.filed_on))
        .where(earlier.contract_id == ContractVersion.contract_id)
        .correlate(ContractVersion)
        .scalar_subquery()
    )


def platform_missing_clause(today: date) -> ColumnElement[bool]:
    """``ContractVersion`` is not on the platform more than the setting's days after its
    contract's first filing, as of ``today``."""
    cutoff = today - timedelta(days=platform_days())
    return and_(ContractVersion.platform_entered_on.is_(None), first_filed_on() < cutoff)


def _stored_flag(code: str | None = None) -> ColumnElement[bool]:
    conditions = [
        ContractFlag.version_id == ContractVersion.id,
        ContractFlag.code.not_in(sorted(AS_OF_TODAY)),
    ]
    if code is not None:
        conditions.append(ContractFlag.code == code)
    return exists().where(*conditions)


def flagged_clause(today: date, code: str | None = None) -> ColumnElement[bool]:
    """``ContractVersion`` carries a pre-audit flag (``code``, or any) as of ``today``."""
    if code in AS_OF_TODAY:
        return platform_missing_clause(today)
    if code is not None:
        return _stored_flag(code)
    return or_(_stored_flag(), platform_missing_clause(today))


def _flag_count(today: date) -> ColumnElement[int]:
    stored = (
        select(func.count(ContractFlag.id))
        .where(
            ContractFlag.version_id == ContractVersion.id,
            ContractFlag.code.not_in(sorted(AS_OF_TODAY)),
        )
        .correlate(ContractVersion)
        .scalar_subquery()
    )
    return stored + case((platform_missing_clause(today), 1), else_=0)


def version_flags(version: ContractVersion, today: date) -> list[Flag]:
    """The version's pre-audit flags as of ``today``: those stored at filing, plus
    PLATFORM_MISSING counted from the contract's first filing."""
    first = first_filings([version.contract_id]).get(version.contract_id, version.filed_on)
    return flags_as_of(version, first, today)


def flags_as_of(version: ContractVersion, first_filed: date, today: date) -> list[Flag]:
    """The version's stored flags plus PLATFORM_MISSING as of ``today``, its contract having
    been first filed on ``first_filed``."""
    flags = [Flag(f.code, f.message) for f in version.flags if f.code not in AS_OF_TODAY]
    missing = platform_missing(first_filed, version.platform_entered_on, today, platform_days())
    return [*flags, missing] if missing is not None else flags


def versions_flags(versions: Sequence[ContractVersion], today: date) -> dict[int, list[Flag]]:
    """version id -> its flags as of ``today`` (see :func:`version_flags`), in two queries."""
    ids = [v.id for v in versions]
    stored: dict[int, list[Flag]] = {vid: [] for vid in ids}
    for part in chunks(ids):
        for flag in db.session.scalars(
            select(ContractFlag).where(ContractFlag.version_id.in_(part)).order_by(ContractFlag.id)
        ):
            if flag.code not in AS_OF_TODAY:
                stored[flag.version_id].append(Flag(flag.code, flag.message))
    first = first_filings({v.contract_id for v in versions})
    days = platform_days()
    for v in versions:
        missing = platform_missing(
            first.get(v.contract_id, v.filed_on), v.platform_entered_on, today, days
        )
        if missing is not None:
            stored[v.id].append(missing)
    return stored


def filings_query(user: User, f: FilingFilters, today: date) -> Select[Any]:
    """Rows ``.contract``, ``.version`` (its current one), ``.county_name``, ``.uscc`` (or
    None), ``.expansion_items`` and ``.flag_count`` (as of ``today``)."""
    stmt = (
        select(
            named(Contract, "contract"),
            named(ContractVersion, "version"),
            County.name.label("county_name"),
            Enterprise.uscc.label("uscc"),
            _expansion_count().label("expansion_items"),
            _flag_count(today).label("flag_count"),
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
    if f.flag == "any":
        stmt = stmt.where(flagged_clause(today))
    elif f.flag == "none":
        stmt = stmt.where(~flagged_clause(today))
    elif f.flag:
        stmt = stmt.where(flagged_clause(today, f.flag))
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
    """Rows ``.enterprise``, ``.county_name``, ``.contracts`` (how many it filed itself)."""
    own_contracts = (
        select(func.count(Contract.id))
        .where(Contract.enterprise_id == Enterprise.id)
        .correlate(Enterprise)
        .scalar_subquery()
    )
    stmt = select(
        named(Enterprise, "enterprise"),
        County.name.label("county_name"),
        own_contracts.label("contracts"),
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


def covering_contracts(enterprise_id: int, user: User) -> list[tuple[Contract, ContractVersion]]:
    """Industry/regional contracts whose current version lists the enterprise, as far as
    ``user`` may see them (SPEC §3): an inspector sees only their county's contracts, even
    when another county's contract covers an enterprise of theirs; a clerk sees those that
    cover their own enterprise."""
    stmt = (
        select(Contract, ContractVersion)
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .join(ContractCoverage, ContractCoverage.version_id == ContractVersion.id)
        .where(ContractCoverage.enterprise_id == enterprise_id)
    )
    stmt = scope_of(user).where(stmt, Contract.county_id, ContractCoverage.enterprise_id)
    return [(c, v) for c, v in db.session.execute(stmt)]


def own_contracts(enterprise_id: int) -> list[tuple[Contract, ContractVersion]]:
    stmt = (
        select(Contract, ContractVersion)
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .where(Contract.enterprise_id == enterprise_id)
        .order_by(ContractVersion.filed_on.desc())
    )
    return [(c, v) for c, v in db.session.execute(stmt)]


def enterprise_names(ids: Iterable[int | None]) -> dict[int, str]:
    """Enterprise id -> name for ``ids`` (None and repeats ignored), in chunked queries."""
    wanted = sorted({i for i in ids if i})
    names: dict[int, str] = {}
    for part in chunks(wanted):
        stmt = select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(part))
        names.update((ent_id, name) for ent_id, name in db.session.execute(stmt))
    return names


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


def uploads_query(user: User, kind: str | None = None) -> Select[Upload, str]:
    stmt = select(Upload, User.username).join(User, User.id == Upload.user_id)
    if kind:
        stmt = stmt.where(Upload.kind == kind)
    return scope_uploads(stmt, user).order_by(Upload.id.desc())


@dataclass(frozen=True)
class CountySummary:
    """A county's line on the home page."""

    county: County
    enterprises: int
    eligible: int  # with a union and above scale
    contracts: int
    in_force: int
    not_entered: int  # not yet on the national platform
    flagged: int


def county_summary(user: User, today: date) -> list[CountySummary]:
    """Per county in scope: enterprises, eligible, filed contracts, flagged, not yet on the platform."""
    counties = counties_for(user)
    result = []
    for county in counties:
        ents = db.session.execute(
            select(
                func.count(Enterprise.id).label("enterprises"),
                func.count(Enterprise.id)
                .filter(Enterprise.has_union & Enterprise.above_scale)
                .label("eligible"),
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
        flagged = db.session.scalar(base.where(flagged_clause(today))) or 0
        result.append(
            CountySummary(
                county, ents.enterprises, ents.eligible, contracts, in_force, not_entered, flagged
            )
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
