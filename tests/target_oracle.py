"""The oracle the database's target counts are checked against (SPEC §8), pure over plain rows.

For a county at a date: the eligible enterprises are those with a union and above scale; an
enterprise *counts* when the distinct expansion items across every contract in force that
day and covering it (its own, plus industry/regional contracts listing it) number at least K
(3 for pilots, 2 otherwise). Only the latest version of each contract counts; a version is
in force from 生效日期 to 期满日期 inclusive. Baseline items (W01–W03) and N01 never count.

The product counts in SQL (reports.queries.counts_on, item_popularity); this is the same rule
written the plain way, tested on crafted rows (tests/test_targets.py) and compared with the SQL
over the register :func:`load_register` reads (tests/test_dashboards.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bargaining.models import (
    BargainingItem,
    Contract,
    ContractCoverage,
    ContractItem,
    ContractVersion,
    Enterprise,
)
from core.db import db
from reports.queries import load_counties
from reports.targets import CountyCount, CountyRow


@dataclass(frozen=True)
class EnterpriseRow:
    id: int
    county_id: int
    has_union: bool
    above_scale: bool

    @property
    def eligible(self) -> bool:
        return self.has_union and self.above_scale


@dataclass(frozen=True)
class ContractRow:
    """The latest version of one contract: its term, the enterprises it covers, its items."""

    effective_on: date
    expires_on: date
    covers: tuple[int, ...]  # enterprise ids (its own enterprise, or the coverage list)
    items: frozenset[str]

    def in_force(self, day: date) -> bool:
        return self.effective_on <= day <= self.expires_on


def expansion_items_by_enterprise(
    contracts: Iterable[ContractRow], expansion_codes: frozenset[str], day: date
) -> dict[int, set[str]]:
    """Enterprise id -> the distinct expansion items of the contracts in force on ``day``."""
    items: dict[int, set[str]] = defaultdict(set)
    for contract in contracts:
        if not contract.in_force(day):
            continue
        codes = contract.items & expansion_codes
        for enterprise_id in contract.covers:
            items[enterprise_id] |= codes
    return items


def count_counties(
    counties: Sequence[CountyRow],
    enterprises: Iterable[EnterpriseRow],
    contracts: Iterable[ContractRow],
    expansion_codes: frozenset[str],
    day: date,
) -> dict[int, CountyCount]:
    items = expansion_items_by_enterprise(contracts, expansion_codes, day)
    required = {c.id: c.required_items for c in counties}
    eligible: dict[int, int] = defaultdict(int)
    counted: dict[int, int] = defaultdict(int)
    covered: dict[int, int] = defaultdict(int)
    for ent in enterprises:
        if not ent.eligible or ent.county_id not in required:
            continue
        eligible[ent.county_id] += 1
        own = items.get(ent.id)
        if own is not None:
            covered[ent.county_id] += 1
            if len(own) >= required[ent.county_id]:
                counted[ent.county_id] += 1
    return {c.id: CountyCount(c.id, eligible[c.id], counted[c.id], covered[c.id]) for c in counties}


@dataclass(frozen=True)
class Register:
    counties: tuple[CountyRow, ...]
    enterprises: tuple[EnterpriseRow, ...]
    contracts: tuple[ContractRow, ...]
    expansion_codes: frozenset[str]


def load_register() -> Register:
    """Counties, enterprises and the latest version of every contract, as plain rows."""
    enterprises = tuple(
        EnterpriseRow(eid, cid, bool(u), bool(s))
        for eid, cid, u, s in db.session.execute(
            select(
                Enterprise.id, Enterprise.county_id, Enterprise.has_union, Enterprise.above_scale
            )
        )
    )
    items: dict[int, set[str]] = defaultdict(set)
    current = select(Contract.current_version_id).where(Contract.current_version_id.is_not(None))
    for vid, code in db.session.execute(
        select(ContractItem.version_id, ContractItem.item_code).where(
            ContractItem.version_id.in_(current)
        )
    ):
        items[vid].add(code)
    covers: dict[int, list[int]] = defaultdict(list)
    for vid, eid in db.session.execute(
        select(ContractCoverage.version_id, ContractCoverage.enterprise_id).where(
            ContractCoverage.version_id.in_(current)
        )
    ):
        covers[vid].append(eid)
    contracts = []
    stmt = select(
        ContractVersion.id,
        ContractVersion.effective_on,
        ContractVersion.expires_on,
        Contract.enterprise_id,
    ).join(Contract, Contract.current_version_id == ContractVersion.id)
    for vid, effective_on, expires_on, eid in db.session.execute(stmt):
        covered = (eid,) if eid is not None else tuple(covers.get(vid, ()))
        contracts.append(
            ContractRow(effective_on, expires_on, covered, frozenset(items.get(vid, ())))
        )
    codes = frozenset(
        db.session.scalars(select(BargainingItem.code).where(BargainingItem.kind == "expansion"))
    )
    return Register(load_counties(), enterprises, tuple(contracts), codes)
