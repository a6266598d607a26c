"""The foreign keys PostgreSQL checks once per statement (core.statement_keys) refuse what a
foreign key refuses, on both backends; on PostgreSQL the rows they point at are kept."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bargaining.models import Contract, ContractItem, ContractVersion
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.bulk import insert_tuples
from core.db import db
from core.models import AuditLog, Role
from core.statement_keys import STATEMENT_KEYS, StatementKey, kept_tables
from tests.conftest import TODAY
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user

MISSING = {"id": 987_654, "code": "ZZ99"}  # a value no referred row has


def postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture()
def filed(app) -> ContractVersion:
    """One contract filed through the upload path: a row in every table the keys are on."""
    inspector = make_user("insp-WY", Role.INSPECTOR, "WY")
    data = filing_workbook([contract_row(make_enterprise("WY"), 合同编号="K-1")])
    outcome = run_upload(inspector, KIND_FILINGS, "k.xlsx", data, TODAY)
    assert outcome.status == "imported", outcome.errors
    return db.session.scalars(select(ContractVersion)).one()


def row_id(key: StatementKey, version: ContractVersion) -> int:
    """The id of a row of ``key.table`` that the filing wrote."""
    ids = {
        "contract": version.contract_id,
        "contract_version": version.id,
        "contract_item": db.session.scalars(
            select(ContractItem.id).where(ContractItem.version_id == version.id)
        ).first(),
        "audit_log": db.session.scalars(
            select(AuditLog.id).where(AuditLog.user_id.is_not(None)).order_by(AuditLog.id)
        ).first(),
    }
    found = ids[key.table]
    assert found is not None
    return found


def snapshot(key: StatementKey) -> list[tuple[object, ...]]:
    return [tuple(r) for r in db.session.execute(text(f'SELECT * FROM "{key.table}" ORDER BY id'))]


#: the log is append-only: its key is tried on an insert (below)
UPDATED = [key for key in STATEMENT_KEYS if key.table != "audit_log"]


@pytest.mark.parametrize("key", UPDATED, ids=lambda k: k.name)
def test_an_update_to_a_missing_row_is_refused(filed, key):
    target = row_id(key, filed)
    before = snapshot(key)
    with pytest.raises(IntegrityError) as refused:
        db.session.execute(
            text(f'UPDATE "{key.table}" SET "{key.column}" = :missing WHERE id = :id'),
            {"missing": MISSING[key.referred_column], "id": target},
        )
    if postgres():
        assert key.name in str(refused.value)  # the same name as the foreign key had
    db.session.rollback()
    assert snapshot(key) == before


def test_a_bulk_insert_with_one_missing_item_code_is_refused_whole(filed):
    """One COPY (PostgreSQL) or executemany (SQLite) of three items, the last one unknown."""
    before = db.session.scalar(select(func.count()).select_from(ContractItem))
    rows = [(filed.id, code, "加一条") for code in ("B01", "B02", MISSING["code"])]
    # COPY raises the driver's own error (psycopg's), an executemany SQLAlchemy's
    with pytest.raises((IntegrityError, psycopg.errors.IntegrityError)) as refused:
        insert_tuples(
            db.session, ContractItem.__table__, ("version_id", "item_code", "summary"), rows
        )
        db.session.flush()
    assert "item_code" in str(refused.value)
    if postgres():  # the missing value named, as a foreign key names it
        assert f"(item_code)=({MISSING['code']})" in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ContractItem)) == before


def test_a_log_entry_of_a_missing_user_is_refused(filed):
    (log_key,) = (key for key in STATEMENT_KEYS if key.table == "audit_log")
    entry = db.session.get(AuditLog, row_id(log_key, filed))
    assert entry is not None
    with pytest.raises(IntegrityError, match="user"):
        db.session.execute(
            text(
                "INSERT INTO audit_log (seq, prev_hash, entry_hash, at, user_id, action,"
                " object_type, object_id, summary)"
                " SELECT seq + 100000, prev_hash, :hash, at, :missing, action,"
                " object_type, object_id, summary FROM audit_log WHERE id = :id"
            ),
            {"missing": MISSING["id"], "id": entry.id, "hash": "f" * 64},
        )
    db.session.rollback()


def test_the_rows_the_keys_point_at_are_kept(filed):
    """PostgreSQL: no row of a referred table is deleted, and none changes its key, whether
    anything refers to it or not (SQLite: its foreign keys refuse a referred row's delete)."""
    contract = db.session.get(Contract, filed.contract_id)
    assert contract is not None
    refused = (
        [("county", contract.county_id), ("enterprise", contract.enterprise_id)]
        if not postgres()
        else [(table, None) for table, _ in kept_tables()]
    )
    for table, key_value in refused:
        where = "" if key_value is None else f" WHERE id = {int(key_value)}"
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(text(f'DELETE FROM "{table}"{where}'))
        db.session.rollback()
        if postgres():
            assert "never deleted" in str(caught.value)
    if postgres():
        for table, column in kept_tables():
            with pytest.raises(DBAPIError, match="keep their key"):
                db.session.execute(
                    text(
                        f'UPDATE "{table}" SET "{column}" = "{column}" || \'9\''
                        if column == "code"
                        else f'UPDATE "{table}" SET "{column}" = "{column}" + 100000'
                    )
                )
            db.session.rollback()
        # a change that leaves the key alone goes through
        db.session.execute(text("UPDATE county SET name = name || '县'"))
        db.session.rollback()
    assert db.session.get(Contract, filed.contract_id) is not None


def test_postgresql_has_a_statement_check_instead_of_each_foreign_key(app):
    if not postgres():
        # SQLite keeps the declarative keys: each of them is in the schema
        for key in STATEMENT_KEYS:
            keys = db.session.execute(text(f'PRAGMA foreign_key_list("{key.table}")')).all()
            assert any(k[3] == key.column and k[2] == key.referred for k in keys), key
        return
    for key in STATEMENT_KEYS:
        constraint = db.session.execute(
            text("SELECT count(*) FROM pg_constraint WHERE conname = :name"), {"name": key.name}
        ).scalar_one()
        triggers = db.session.scalars(
            text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass)"
                " AND tgname LIKE :name ORDER BY tgname"
            ),
            {"table": f'"{key.table}"', "name": f"{key.name}_%"},
        ).all()
        assert (constraint, triggers) == (0, [f"{key.name}_insert", f"{key.name}_update"])
