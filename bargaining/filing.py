"""Writing validated filings into the register in bulk (备案): contracts, versions, items,
coverage, pre-audit flags and their audit-log entries.

Plain Core executemany inserts, ids read back by natural keys: the ORM's bulk insert with
RETURNING splits into one statement per change of the set of non-null columns and copies
the returned rows each time, which made a 25,000-contract upload quadratic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select, update

from bargaining.excel_import import FilingRow
from bargaining.legal_checks import LegalFacts, legal_flags
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
from core.bulk import bulk_insert
from core.db import db, utcnow
from core.i18n import MessageText, Msg
from core.models import AuditLog, User
from core.settings import get_setting

CHUNK = 900  # stays under SQLite's bound-parameter limit


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def scope_key(row: FilingRow) -> str:
    """Contract numbers are unique per enterprise, or per county for industry/regional ones."""
    return f"E{row.enterprise_id}" if row.level == LEVEL_ENTERPRISE else f"C{row.county_id}"


def public_id(contract_id: int, version_no: int) -> str:
    """The id hashed into sampling tickets: stable, readable, unique per version."""
    return f"HT{contract_id:06d}-{version_no}"


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    bulk_insert(db.session, table, rows)


def _contract_ids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int, int | None]]:
    """(scope_key, number) -> (id, version_count, current_version_id) for the contracts that exist."""
    found: dict[tuple[str, str], tuple[int, int, int | None]] = {}
    cols = (
        Contract.id,
        Contract.scope_key,
        Contract.number,
        Contract.version_count,
        Contract.current_version_id,
    )
    for part in chunks(sorted({n for _, n in keys})):  # answered by the index on number
        for cid, skey, number, count, current in db.session.execute(
            select(*cols).where(Contract.number.in_(part))
        ):
            if (skey, number) in keys:
                found[(skey, number)] = (cid, count, current)
    return found


def file_contracts(
    rows: Sequence[FilingRow], user: User, upload: Upload | None, today: date
) -> dict[str, int]:
    """File every row as a new contract or a new version of the contract with its number."""
    keys = {(scope_key(r), r.number) for r in rows}
    existing = _contract_ids(keys)
    now = utcnow()
    new_rows = [r for r in rows if (scope_key(r), r.number) not in existing]
    _insert(
        Contract.__table__,
        [
            {
                "number": r.number,
                "scope_key": scope_key(r),
                "level": r.level,
                "county_id": r.county_id,
                "enterprise_id": r.enterprise_id,
                "current_version_id": None,
                "version_count": 0,
                "created_at": now,
            }
            for r in new_rows
        ],
    )
    if new_rows:
        existing.update(_contract_ids({(scope_key(r), r.number) for r in new_rows}))

    tiers = {int(k): Decimal(str(v)) for k, v in get_setting("min_wage_tiers").items()}
    county_tier = dict(db.session.execute(select(County.id, County.min_wage_tier)).all())
    submit_days = int(get_setting("submit_days"))
    platform_days = int(get_setting("platform_entry_days"))
    upload_id = upload.id if upload else None

    version_rows: list[dict[str, Any]] = []
    previous: list[int | None] = []
    for r in rows:
        key = (scope_key(r), r.number)
        cid, count, current = existing[key]
        existing[key] = (cid, count + 1, current)
        previous.append(current)
        version_rows.append(
            {
                "public_id": public_id(cid, count + 1),
                "contract_id": cid,
                "version_no": count + 1,
                "county_id": r.county_id,
                "upload_id": upload_id,
                "filed_by_id": user.id,
                "sheet_row": r.row,
                "contract_type": r.contract_type,
                "name": r.name,
                "industry": r.industry,
                "signed_on": r.signed_on,
                "delegates_total": r.delegates_total,
                "delegates_present": r.delegates_present,
                "votes_for": r.votes_for,
                "effective_on": r.effective_on,
                "expires_on": r.expires_on,
                "submitted_on": r.submitted_on,
                "workers_covered": r.workers_covered,
                "lowest_wage": r.lowest_wage,
                "raise_pct": r.raise_pct,
                "platform_entered_on": r.platform_entered_on,
                "remarks": r.remarks,
                "filed_on": r.filed_on or today,
                "created_at": now,
            }
        )
    _insert(ContractVersion.__table__, version_rows)
    version_ids: dict[str, int] = {}
    publics = [v["public_id"] for v in version_rows]
    for part in chunks(publics):
        stmt = select(ContractVersion.public_id, ContractVersion.id).where(
            ContractVersion.public_id.in_(part)
        )
        version_ids.update((p, i) for p, i in db.session.execute(stmt))

    item_rows: list[dict[str, Any]] = []
    coverage_rows: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    log_rows: list[dict[str, Any]] = []
    for r, vrow, prev in zip(rows, version_rows, previous, strict=True):
        vid = version_ids[vrow["public_id"]]
        item_rows.extend(
            {"version_id": vid, "item_code": code, "summary": summary} for code, summary in r.items
        )
        coverage_rows.extend({"version_id": vid, "enterprise_id": eid} for eid in r.coverage)
        facts = LegalFacts(
            signed_on=r.signed_on,
            delegates_total=r.delegates_total,
            delegates_present=r.delegates_present,
            votes_for=r.votes_for,
            effective_on=r.effective_on,
            expires_on=r.expires_on,
            submitted_on=r.submitted_on,
            lowest_wage=r.lowest_wage,
            filed_on=vrow["filed_on"],
            platform_entered_on=r.platform_entered_on,
        )
        flags = legal_flags(
            facts, tiers[county_tier[r.county_id]], today, submit_days, platform_days
        )
        flag_rows.extend(
            {"version_id": vid, "code": f.code, "message": _stored(f.message)} for f in flags
        )
        log_rows.append(
            {
                "at": now,
                "user_id": user.id,
                "action": "file_contract" if vrow["version_no"] == 1 else "file_contract_version",
                "object_type": "contract",
                "object_id": vrow["contract_id"],
                "summary": Msg(
                    "%(public_id)s 第%(version)s版（上传 #%(upload)s 第%(row)s行）",
                    public_id=vrow["public_id"],
                    version=vrow["version_no"],
                    upload=upload_id or "-",
                    row=r.row,
                ),
                "before": {"current_version_id": prev} if prev else None,
                "after": _log_after(vrow, vid, r, [f.code for f in flags]),
            }
        )
    _insert(ContractItem.__table__, item_rows)
    _insert(ContractCoverage.__table__, coverage_rows)
    _insert(ContractFlag.__table__, flag_rows)
    _point_contracts_at_latest_versions(
        {v["contract_id"]: (version_ids[v["public_id"]], v["version_no"]) for v in version_rows}
    )
    _insert(AuditLog.__table__, log_rows)
    db.session.flush()
    db.session.expire_all()  # ORM objects loaded before these Core writes are stale now
    return {
        "contracts": len(rows),
        "new_contracts": len(new_rows),
        "new_versions": len(rows) - len(new_rows),
        "items": len(item_rows),
        "coverage": len(coverage_rows),
        "flags": len(flag_rows),
    }


def _stored(message: str) -> str | None:
    """A message as its MessageText column stores it. The bulk insert's COPY path (PostgreSQL)
    does not run the column's bind processor, so the value is converted here, once, for both."""
    return MessageText().process_bind_param(message, None)


def _log_after(
    vrow: dict[str, Any], version_id: int, r: FilingRow, flags: list[str]
) -> dict[str, Any]:
    """The new version as JSON-ready values (dates as ISO text, decimals as strings)."""
    after: dict[str, Any] = {}
    for key, value in vrow.items():
        if key == "created_at":
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        after[key] = value
    after.update(
        version_id=version_id, items=[c for c, _ in r.items], coverage=r.coverage, flags=flags
    )
    return after


def _point_contracts_at_latest_versions(latest: dict[int, tuple[int, int]]) -> None:
    """contract id -> (its newest version id, its version count), one executemany."""
    contract = Contract.__table__
    stmt = (
        update(contract)
        .where(contract.c.id == bindparam("cid"))
        .values(current_version_id=bindparam("vid"), version_count=bindparam("n"))
    )
    rows = [{"cid": cid, "vid": vid, "n": n} for cid, (vid, n) in latest.items()]
    if rows:
        db.session.execute(stmt, rows)
