"""Writing validated filings into the register in bulk (备案): contracts, versions, items,
coverage, pre-audit flags and their audit-log entries.

Rows go to the database as plain tuples through core.bulk (COPY on PostgreSQL), and the
new contracts' and versions' ids come back from the insert itself (drawn from the
sequences up front on PostgreSQL) rather than being read back by natural keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, String, any_, bindparam, select

from bargaining.excel_import import FilingRow
from bargaining.legal_checks import Flag, LegalFacts, legal_flags
from bargaining.models import (
    LEVEL_ENTERPRISE,
    Contract,
    ContractCoverage,
    ContractFlag,
    ContractItem,
    ContractVersion,
    County,
    Upload,
)
from core import audit_log
from core.bulk import (
    insert_returning_ids,
    insert_together,
    insert_tuples,
    next_ids,
    update_tuples,
)
from core.db import db, utcnow
from core.i18n import Msg
from core.models import User
from core.settings import get_setting

CHUNK = 900  # stays under SQLite's bound-parameter limit

CONTRACT_COLUMNS = (
    "number",
    "scope_key",
    "level",
    "county_id",
    "enterprise_id",
    "current_version_id",
    "version_count",
    "created_at",
)
#: a version row's columns; all but created_at make its audit-log "after", in this order
VERSION_COLUMNS = (
    "public_id",
    "contract_id",
    "version_no",
    "county_id",
    "upload_id",
    "filed_by_id",
    "sheet_row",
    "contract_type",
    "name",
    "industry",
    "signed_on",
    "delegates_total",
    "delegates_present",
    "votes_for",
    "effective_on",
    "expires_on",
    "submitted_on",
    "workers_covered",
    "lowest_wage",
    "raise_pct",
    "platform_entered_on",
    "remarks",
    "filed_on",
    "created_at",
)
LOGGED_VERSION_COLUMNS = VERSION_COLUMNS[:-1]
#: dates and decimals, logged as text
LOGGED_AS_TEXT = (
    "signed_on",
    "effective_on",
    "expires_on",
    "submitted_on",
    "lowest_wage",
    "raise_pct",
    "platform_entered_on",
    "filed_on",
)
LOG_COLUMNS = ("at", "user_id", "action", "object_type", "object_id", "summary", "before", "after")

ContractState = tuple[int, int, int | None]  # id, version_count, current_version_id
Flagger = Callable[[FilingRow, date], list[Flag]]


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    query: Select[Any], column: ColumnElement[str], values: Sequence[str]
) -> list[Select[Any]]:
    """``query`` for the rows whose ``column`` is one of ``values``: on PostgreSQL one query
    with an array (no long IN list for the driver to parse), elsewhere IN lists in chunks."""
    if db.session.connection().dialect.name == "postgresql":
        wanted = bindparam("wanted", list(values), type_=ARRAY(String))
        return [query.where(column == any_(wanted))]
    return [query.where(column.in_(part)) for part in chunks(values)]


def scope_key(row: FilingRow) -> str:
    """Contract numbers are unique per enterprise, or per county for industry/regional ones."""
    return f"E{row.enterprise_id}" if row.level == LEVEL_ENTERPRISE else f"C{row.county_id}"


def public_id(contract_id: int, version_no: int) -> str:
    """The id hashed into sampling tickets: stable, readable, unique per version."""
    return f"HT{contract_id:06d}-{version_no}"


def _contract_ids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], ContractState]:
    """(scope_key, number) -> (id, version_count, current_version_id) for the contracts that exist."""
    found: dict[tuple[str, str], ContractState] = {}
    cols = (
        Contract.id,
        Contract.scope_key,
        Contract.number,
        Contract.version_count,
        Contract.current_version_id,
    )
    numbers = sorted({n for _, n in keys})
    for query in select_in(select(*cols), Contract.number, numbers):  # the index on number
        for cid, skey, number, count, current in db.session.execute(query):
            if (skey, number) in keys:
                found[(skey, number)] = (cid, count, current)
    return found


def file_contracts(
    rows: Sequence[FilingRow], user: User, upload: Upload | None, today: date
) -> dict[str, int]:
    """File every row as a new contract or a new version of the contract with its number."""
    keys = [(scope_key(r), r.number) for r in rows]
    contracts = _contract_ids(set(keys))
    new = [(r, key) for r, key in zip(rows, keys, strict=True) if key not in contracts]
    filed = Filed(user.id, upload.id if upload else None, today, utcnow())
    if db.session.connection().dialect.name == "postgresql":
        version_rows, version_ids = _file_together(rows, keys, new, contracts, filed)
    else:
        version_rows, version_ids = _file_in_turn(rows, keys, new, contracts, filed)
    upload_id, now = filed.upload_id, filed.now

    flagger = _flagger(today)
    item_rows: list[tuple[Any, ...]] = []
    coverage_rows: list[tuple[int, int]] = []
    flag_rows: list[tuple[int, str, str]] = []
    log_rows: list[tuple[Any, ...]] = []
    for r, vrow, vid, key in zip(rows, version_rows, version_ids, keys, strict=True):
        previous = contracts[key][2]  # the contract's current version before this import
        item_rows.extend((vid, code, summary) for code, summary in r.items)
        coverage_rows.extend((vid, eid) for eid in r.coverage)
        flags = flagger(r, vrow[-2])  # filed_on
        flag_rows.extend((vid, f.code, f.message) for f in flags)
        log_rows.append(_log_row(vrow, vid, previous, r, flags, user.id, upload_id, now))
    insert_tuples(
        db.session, ContractItem.__table__, ("version_id", "item_code", "summary"), item_rows
    )
    insert_tuples(
        db.session, ContractCoverage.__table__, ("version_id", "enterprise_id"), coverage_rows
    )
    insert_tuples(db.session, ContractFlag.__table__, ("version_id", "code", "message"), flag_rows)
    audit_log.append_rows(LOG_COLUMNS, log_rows)  # chained (core.audit_log), then inserted
    db.session.flush()
    db.session.expire_all()  # ORM objects loaded before these Core writes are stale now
    return {
        "contracts": len(rows),
        "new_contracts": len(new),
        "new_versions": len(rows) - len(new),
        "items": len(item_rows),
        "coverage": len(coverage_rows),
        "flags": len(flag_rows),
    }


@dataclass(frozen=True)
class Filed:
    """Who files, from which upload, when."""

    user_id: int
    upload_id: int | None
    today: date
    now: datetime


def _file_together(
    rows: Sequence[FilingRow],
    keys: list[tuple[str, str]],
    new: list[tuple[FilingRow, tuple[str, str]]],
    contracts: dict[tuple[str, str], ContractState],
    filed: Filed,
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """PostgreSQL: ids drawn from the sequences up front, so the new contracts go in already
    pointing at their versions, in one statement with the versions (the foreign keys between
    them are checked at its end); contracts filed before are pointed at theirs afterwards."""
    contract_ids = next_ids(db.session, Contract.__table__, len(new))
    contracts.update((key, (cid, 0, None)) for (_, key), cid in zip(new, contract_ids, strict=True))
    version_rows = _version_rows(rows, keys, contracts, filed)
    version_ids = next_ids(db.session, ContractVersion.__table__, len(version_rows))
    latest = _latest_versions(version_rows, version_ids)
    contract_rows = [
        (cid, r.number, key[0], r.level, r.county_id, r.enterprise_id, *latest.pop(cid), filed.now)
        for (r, key), cid in zip(new, contract_ids, strict=True)
    ]
    insert_together(
        db.session,
        [
            (Contract.__table__, ("id", *CONTRACT_COLUMNS), contract_rows),
            (
                ContractVersion.__table__,
                ("id", *VERSION_COLUMNS),
                [(vid, *vrow) for vid, vrow in zip(version_ids, version_rows, strict=True)],
            ),
        ],
    )
    _point_contracts_at(latest)
    return version_rows, version_ids


def _file_in_turn(
    rows: Sequence[FilingRow],
    keys: list[tuple[str, str]],
    new: list[tuple[FilingRow, tuple[str, str]]],
    contracts: dict[tuple[str, str], ContractState],
    filed: Filed,
) -> tuple[list[tuple[Any, ...]], list[int]]:
    """SQLite: the new contracts first (no version yet), the versions, then every filed
    contract pointed at its newest version; ids as the inserts give them."""
    contract_ids = insert_returning_ids(
        db.session,
        Contract.__table__,
        CONTRACT_COLUMNS,
        [
            (r.number, key[0], r.level, r.county_id, r.enterprise_id, None, 0, filed.now)
            for r, key in new
        ],
    )
    contracts.update((key, (cid, 0, None)) for (_, key), cid in zip(new, contract_ids, strict=True))
    version_rows = _version_rows(rows, keys, contracts, filed)
    version_ids = insert_returning_ids(
        db.session, ContractVersion.__table__, VERSION_COLUMNS, version_rows
    )
    _point_contracts_at(_latest_versions(version_rows, version_ids))
    return version_rows, version_ids


def _version_rows(
    rows: Sequence[FilingRow],
    keys: list[tuple[str, str]],
    contracts: dict[tuple[str, str], ContractState],
    filed: Filed,
) -> list[tuple[Any, ...]]:
    """The rows' versions, numbered after their contracts' versions so far."""
    numbered = _number_versions(keys, contracts)
    return [
        _version_row(r, cid, version_no, filed)
        for r, (cid, version_no) in zip(rows, numbered, strict=True)
    ]


def _number_versions(
    keys: list[tuple[str, str]], contracts: dict[tuple[str, str], ContractState]
) -> list[tuple[int, int]]:
    """Per row: its contract's id and the new version's number (counted on in ``contracts``)."""
    numbered: list[tuple[int, int]] = []
    for key in keys:
        cid, count, current = contracts[key]
        contracts[key] = (cid, count + 1, current)
        numbered.append((cid, count + 1))
    return numbered


def _version_row(r: FilingRow, contract_id: int, version_no: int, filed: Filed) -> tuple[Any, ...]:
    """A version as values in the order of VERSION_COLUMNS."""
    return (
        public_id(contract_id, version_no),
        contract_id,
        version_no,
        r.county_id,
        filed.upload_id,
        filed.user_id,
        r.row,
        r.contract_type,
        r.name,
        r.industry,
        r.signed_on,
        r.delegates_total,
        r.delegates_present,
        r.votes_for,
        r.effective_on,
        r.expires_on,
        r.submitted_on,
        r.workers_covered,
        r.lowest_wage,
        r.raise_pct,
        r.platform_entered_on,
        r.remarks,
        r.filed_on or filed.today,
        filed.now,
    )


def _flagger(today: date) -> Flagger:
    """The legal checks with this import's settings: (row, filed_on) -> its flags."""
    tiers = {int(k): Decimal(str(v)) for k, v in get_setting("min_wage_tiers").items()}
    county_tier = dict(db.session.execute(select(County.id, County.min_wage_tier)).all())
    submit_days = int(get_setting("submit_days"))
    platform_days = int(get_setting("platform_entry_days"))

    def flags(r: FilingRow, filed_on: date) -> list[Flag]:
        facts = LegalFacts(
            signed_on=r.signed_on,
            delegates_total=r.delegates_total,
            delegates_present=r.delegates_present,
            votes_for=r.votes_for,
            effective_on=r.effective_on,
            expires_on=r.expires_on,
            submitted_on=r.submitted_on,
            lowest_wage=r.lowest_wage,
            filed_on=filed_on,
            platform_entered_on=r.platform_entered_on,
        )
        wage = tiers[county_tier[r.county_id]]
        return legal_flags(facts, wage, today, submit_days, platform_days)

    return flags


def _log_row(
    vrow: tuple[Any, ...],
    version_id: int,
    previous: int | None,
    r: FilingRow,
    flags: list[Flag],
    user_id: int,
    upload_id: int | None,
    now: datetime,
) -> tuple[Any, ...]:
    """The audit-log entry of one filed version, in the order of LOG_COLUMNS."""
    after = dict(zip(LOGGED_VERSION_COLUMNS, vrow, strict=False))  # all but created_at
    for name in LOGGED_AS_TEXT:
        value = after[name]
        if value is not None:
            after[name] = value.isoformat() if isinstance(value, date) else str(value)
    after.update(
        version_id=version_id,
        items=[c for c, _ in r.items],
        coverage=r.coverage,
        flags=[f.code for f in flags],
    )
    version_no = after["version_no"]
    summary = Msg(
        "%(public_id)s 第%(version)s版（上传 #%(upload)s 第%(row)s行）",
        public_id=after["public_id"],
        version=version_no,
        upload=upload_id or "-",
        row=r.row,
    )
    return (
        now,
        user_id,
        "file_contract" if version_no == 1 else "file_contract_version",
        "contract",
        after["contract_id"],
        summary,
        {"current_version_id": previous} if previous else None,
        after,
    )


def _latest_versions(
    version_rows: list[tuple[Any, ...]], version_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """contract id -> (its newest version's id, its version count)."""
    return {vrow[1]: (vid, vrow[2]) for vrow, vid in zip(version_rows, version_ids, strict=True)}


def _point_contracts_at(latest: dict[int, tuple[int, int]]) -> None:
    update_tuples(
        db.session,
        Contract.__table__,
        ("id", "current_version_id", "version_count"),
        [(cid, vid, n) for cid, (vid, n) in latest.items()],
    )
