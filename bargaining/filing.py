"""Writing validated filings into the register in bulk (备案): contracts, versions, items,
coverage, pre-audit flags and their audit-log entries.

Rows go to the database as plain tuples through core.bulk (COPY on PostgreSQL), and the
new contracts' and versions' ids come back from the insert itself (drawn from the
sequences up front on PostgreSQL) rather than being read back by natural keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bargaining.excel_import import FilingRow
from bargaining.legal_checks import (
    AS_OF_TODAY,
    PLATFORM_LATE,
    PLATFORM_MISSING,
    Flag,
    LegalFacts,
    legal_flags,
    platform_late,
)
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
    Behind,
    chunks,
    insert_returning_ids,
    insert_tuples,
    next_ids,
    overlapped,
    select_in,
    update_tuples,
)
from core.db import db, utcnow
from core.i18n import Msg
from core.models import User
from core.settings import get_setting

#: contract.current_version_id's foreign key: deferrable, so that an import can insert new
#: contracts already pointing at their versions before the versions (PostgreSQL)
CURRENT_VERSION_KEY = "fk_contract_current_version_id_contract_version"

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


#: a version as inserted in bulk; all its columns but created_at make its audit-log "after"
class VersionRow(NamedTuple):
    """A version as inserted in bulk: the columns of ``contract_version`` but its id, in
    order, read by name."""

    public_id: str
    contract_id: int
    version_no: int
    county_id: int
    upload_id: int | None
    filed_by_id: int | None
    sheet_row: int | None
    contract_type: str
    name: str
    industry: str
    signed_on: date
    delegates_total: int
    delegates_present: int
    votes_for: int
    effective_on: date
    expires_on: date
    submitted_on: date | None
    workers_covered: int
    lowest_wage: Decimal | None
    raise_pct: Decimal | None
    platform_entered_on: date | None
    remarks: str
    filed_on: date
    created_at: datetime


#: the columns of a version row, in the order of :class:`VersionRow`
VERSION_COLUMNS: tuple[str, ...] = VersionRow._fields
#: what a version takes from its sheet row as it stands
FROM_SHEET_ROW = tuple(
    name for name in VERSION_COLUMNS if name in {f.name for f in fields(FilingRow)} - {"filed_on"}
)
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


class ContractState(NamedTuple):
    """A contract filed before, as an import counts on it."""

    id: int
    version_count: int
    current_version_id: int | None


Flagger = Callable[[FilingRow, date], list[Flag]]


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
                found[(skey, number)] = ContractState(cid, count, current)
    return found


def file_contracts(
    rows: Sequence[FilingRow], user: User, upload: Upload | None, today: date
) -> dict[str, int]:
    """File every row as a new contract or a new version of the contract with its number.

    A row that differs from its contract's current version only in 平台录入日期 records
    that date on the version in place (SPEC §4): no new version, no new sampling.
    """
    keys = [(scope_key(r), r.number) for r in rows]
    contracts = _contract_ids(set(keys))
    dated = _platform_date_only(rows, keys, contracts)
    if dated:
        kept = [i for i in range(len(rows)) if i not in dated]
        rows, keys = [rows[i] for i in kept], [keys[i] for i in kept]
    first_filed = first_filings(
        {state.id for state in contracts.values() if state.current_version_id is not None}
    )
    platform_dates = record_platform_dates(
        list(dated.values()), first_filed, user, upload.id if upload else None
    )
    new = [(r, key) for r, key in zip(rows, keys, strict=True) if key not in contracts]
    filed = Filed(user.id, upload.id if upload else None, today, utcnow())
    upload_id, now = filed.upload_id, filed.now
    flagger = _flagger(today)  # its look-ups first: the connection is busy from here on
    session = db.session()  # the session itself, which the worker thread of `behind` uses too
    with overlapped(session) as behind:
        # PostgreSQL checks the versions' and contracts' keys while the rows below are built
        if session.connection().dialect.name == "postgresql":
            version_rows, version_ids = _file_together(rows, keys, new, contracts, filed, behind)
        else:
            version_rows, version_ids = _file_in_turn(rows, keys, new, contracts, filed)
        item_rows: list[tuple[Any, ...]] = []
        coverage_rows: list[tuple[int, int]] = []
        flag_rows: list[tuple[int, str, str]] = []
        log_rows: list[tuple[Any, ...]] = []
        flag_count = 0
        for r, vrow, vid, key in zip(rows, version_rows, version_ids, keys, strict=True):
            previous = contracts[key].current_version_id  # before this import
            item_rows.extend((vid, code, summary) for code, summary in r.items)
            coverage_rows.extend((vid, eid) for eid in r.coverage)
            filed_on = vrow.filed_on
            flags = flagger(r, min(first_filed.get(vrow.contract_id, filed_on), filed_on))
            flag_count += len(flags)
            # a flag that holds as of today is computed when read (bargaining.queries)
            flag_rows.extend((vid, f.code, f.message) for f in flags if f.code not in AS_OF_TODAY)
            log_rows.append(_log_row(vrow, vid, previous, r, flags, user.id, upload_id, now))
        insert_tuples(
            session,
            ContractCoverage.__table__,
            ("version_id", "enterprise_id"),
            coverage_rows,
            behind=behind,
        )
        insert_tuples(
            session,
            ContractFlag.__table__,
            ("version_id", "code", "message"),
            flag_rows,
            behind=behind,
        )
        behind.wait()
        head = audit_log.lock_head(session, now)
        # the log is chained while the server still checks the items' keys; _log_row's
        # before/after are plain JSON already
        insert_tuples(
            session,
            ContractItem.__table__,
            ("version_id", "item_code", "summary"),
            item_rows,
            behind=behind,
        )
        chained = audit_log.chain(session, head, log_rows)
        audit_log.insert_chained(session, chained, behind)
    db.session.flush()
    db.session.expire_all()  # ORM objects loaded before these Core writes are stale now
    return {
        "contracts": len(rows),
        "new_contracts": len(new),
        "new_versions": len(rows) - len(new),
        "items": len(item_rows),
        "coverage": len(coverage_rows),
        "flags": flag_count,
        "platform_dates": platform_dates,
    }


#: what a row must repeat of the current version to count as "differs only in 平台录入日期"
SAME_FIELDS = (
    "contract_type",
    "name",
    "county_id",
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
    "remarks",
)


@dataclass(frozen=True)
class PlatformDate:
    """A platform-entry date recorded in place on a contract's current version."""

    version_id: int
    contract_id: int
    public_id: str
    before: date | None
    after: date
    row: int | None = None


def _platform_date_only(
    rows: Sequence[FilingRow],
    keys: list[tuple[str, str]],
    contracts: dict[tuple[str, str], ContractState],
) -> dict[int, PlatformDate]:
    """Row index -> the date to record, for each row that repeats its contract's current
    version in everything but a (new) 平台录入日期."""
    candidates = {
        i: contracts[key].current_version_id
        for i, (r, key) in enumerate(zip(rows, keys, strict=True))
        if r.platform_entered_on is not None
        and key in contracts
        and contracts[key].current_version_id
    }
    if not candidates:
        return {}
    ids = sorted({vid for vid in candidates.values() if vid is not None})
    current: dict[int, ContractVersion] = {}
    for part in chunks(ids):
        stmt = select(ContractVersion).where(ContractVersion.id.in_(part))
        current.update((v.id, v) for v in db.session.scalars(stmt))
    items: dict[int, set[tuple[str, str]]] = {vid: set() for vid in ids}
    coverage: dict[int, set[int]] = {vid: set() for vid in ids}
    for part in chunks(ids):
        for vid, code, summary in db.session.execute(
            select(ContractItem.version_id, ContractItem.item_code, ContractItem.summary).where(
                ContractItem.version_id.in_(part)
            )
        ):
            items[vid].add((code, summary))
        for vid, eid in db.session.execute(
            select(ContractCoverage.version_id, ContractCoverage.enterprise_id).where(
                ContractCoverage.version_id.in_(part)
            )
        ):
            coverage[vid].add(eid)
    found: dict[int, PlatformDate] = {}
    for i, current_id in candidates.items():
        r, v = rows[i], current.get(current_id or -1)
        if (
            v is None
            or r.platform_entered_on == v.platform_entered_on
            or any(getattr(r, name) != getattr(v, name) for name in SAME_FIELDS)
            or (r.filed_on is not None and r.filed_on != v.filed_on)
            or set(r.items) != items[v.id]
            or set(r.coverage) != coverage[v.id]
        ):
            continue
        assert r.platform_entered_on is not None
        found[i] = PlatformDate(
            v.id, v.contract_id, v.public_id, v.platform_entered_on, r.platform_entered_on, r.row
        )
    return found


def first_filings(contract_ids: Iterable[int]) -> dict[int, date]:
    """contract id -> its first filing date (备案日期 of its earliest filing): the platform's
    30 days run from it (SPEC §4)."""
    found: dict[int, date] = {}
    for part in chunks(sorted(contract_ids)):
        stmt = (
            select(ContractVersion.contract_id, func.min(ContractVersion.filed_on))
            .where(ContractVersion.contract_id.in_(part))
            .group_by(ContractVersion.contract_id)
        )
        found.update((cid, day) for cid, day in db.session.execute(stmt))
    return found


def record_platform_dates(
    entries: Sequence[PlatformDate],
    first_filed: Mapping[int, date],
    user: User,
    upload_id: int | None = None,
) -> int:
    """Record each platform-entry date on its version in place (SPEC §4: no new version, not
    back into the sample population); the late-entry flag follows, counted from the
    contract's first filing. Every change is in the audit log with its before and after."""
    if not entries:
        return 0
    platform_days = int(get_setting("platform_entry_days"))
    update_tuples(
        db.session,
        ContractVersion.__table__,
        ("id", "platform_entered_on"),
        [(e.version_id, e.after) for e in entries],
    )
    for part in chunks([e.version_id for e in entries]):
        db.session.execute(
            delete(ContractFlag).where(
                ContractFlag.version_id.in_(part),
                ContractFlag.code.in_((PLATFORM_LATE, PLATFORM_MISSING)),
            )
        )
    flag_rows = []
    for e in entries:
        late = platform_late(first_filed[e.contract_id], e.after, platform_days)
        if late is not None:
            flag_rows.append((e.version_id, late.code, late.message))
    insert_tuples(db.session, ContractFlag.__table__, ("version_id", "code", "message"), flag_rows)
    audit_log.record_many(
        user,
        [
            {
                "action": "record_platform_date",
                "object_type": "contract",
                "object_id": e.contract_id,
                "before": {"platform_entered_on": e.before},
                "after": {
                    "platform_entered_on": e.after,
                    "version_id": e.version_id,
                    "upload_id": upload_id,
                },
                "summary": Msg(
                    "%(public_id)s 录入全国平台日期 %(day)s",
                    public_id=e.public_id,
                    day=e.after.isoformat(),
                ),
            }
            for e in entries
        ],
    )
    db.session.flush()
    db.session.expire_all()
    return len(entries)


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
    behind: Behind,
) -> tuple[list[VersionRow], list[int]]:
    """PostgreSQL: ids drawn from the sequences up front, so the new contracts go in already
    pointing at their versions, one COPY each, the contracts first: their key to the versions
    is deferred until the versions are in, then checked; contracts filed before are pointed
    at theirs afterwards. The server's end of each statement is left running with ``behind``."""
    contract_ids = next_ids(db.session, Contract.__table__, len(new))
    contracts.update(
        (key, ContractState(cid, 0, None)) for (_, key), cid in zip(new, contract_ids, strict=True)
    )
    version_rows = _version_rows(rows, keys, contracts, filed)
    version_ids = next_ids(db.session, ContractVersion.__table__, len(version_rows))
    latest = _latest_versions(version_rows, version_ids)
    contract_rows = [
        (cid, r.number, key[0], r.level, r.county_id, r.enterprise_id, *latest.pop(cid), filed.now)
        for (r, key), cid in zip(new, contract_ids, strict=True)
    ]
    session = db.session()
    # the new contracts point at versions not yet in: that key is checked once both are
    session.connection().exec_driver_sql(f'SET CONSTRAINTS "{CURRENT_VERSION_KEY}" DEFERRED')
    insert_tuples(
        session, Contract.__table__, ("id", *CONTRACT_COLUMNS), contract_rows, behind=behind
    )
    insert_tuples(
        session,
        ContractVersion.__table__,
        ("id", *VERSION_COLUMNS),
        [(vid, *vrow) for vid, vrow in zip(version_ids, version_rows, strict=True)],
        behind=behind,
    )

    def check_and_point() -> None:
        connection = session.connection()
        connection.exec_driver_sql(f'SET CONSTRAINTS "{CURRENT_VERSION_KEY}" IMMEDIATE')
        _point_contracts_at(latest, session)

    behind.run(check_and_point)
    return version_rows, version_ids


def _file_in_turn(
    rows: Sequence[FilingRow],
    keys: list[tuple[str, str]],
    new: list[tuple[FilingRow, tuple[str, str]]],
    contracts: dict[tuple[str, str], ContractState],
    filed: Filed,
) -> tuple[list[VersionRow], list[int]]:
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
    contracts.update(
        (key, ContractState(cid, 0, None)) for (_, key), cid in zip(new, contract_ids, strict=True)
    )
    version_rows = _version_rows(rows, keys, contracts, filed)
    version_ids = insert_returning_ids(
        db.session, ContractVersion.__table__, VERSION_COLUMNS, version_rows
    )
    _point_contracts_at(_latest_versions(version_rows, version_ids), db.session())
    return version_rows, version_ids


def _version_rows(
    rows: Sequence[FilingRow],
    keys: list[tuple[str, str]],
    contracts: dict[tuple[str, str], ContractState],
    filed: Filed,
) -> list[VersionRow]:
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
        state = contracts[key]
        contracts[key] = state._replace(version_count=state.version_count + 1)
        numbered.append((state.id, state.version_count + 1))
    return numbered


def _version_row(r: FilingRow, contract_id: int, version_no: int, filed: Filed) -> VersionRow:
    return VersionRow(
        public_id=public_id(contract_id, version_no),
        contract_id=contract_id,
        version_no=version_no,
        upload_id=filed.upload_id,
        filed_by_id=filed.user_id,
        sheet_row=r.row,
        filed_on=r.filed_on or filed.today,
        created_at=filed.now,
        **{name: getattr(r, name) for name in FROM_SHEET_ROW},
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
    vrow: VersionRow,
    version_id: int,
    previous: int | None,
    r: FilingRow,
    flags: list[Flag],
    user_id: int,
    upload_id: int | None,
    now: datetime,
) -> tuple[Any, ...]:
    """The audit-log entry of one filed version, in the order of LOG_COLUMNS."""
    after = vrow._asdict()
    del after["created_at"]
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
    version_rows: list[VersionRow], version_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """contract id -> (its newest version's id, its version count)."""
    return {
        vrow.contract_id: (vid, vrow.version_no)
        for vrow, vid in zip(version_rows, version_ids, strict=True)
    }


def _point_contracts_at(latest: dict[int, tuple[int, int]], session: Session) -> None:
    update_tuples(
        session,
        Contract.__table__,
        ("id", "current_version_id", "version_count"),
        [(cid, vid, n) for cid, (vid, n) in latest.items()],
    )
