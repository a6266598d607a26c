"""Migration 0007_i12: stored verdicts become codes, no Chinese words as stored states."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, event, text

from core.db import _sqlite_pragmas
from core.migrate import alembic_config, upgrade


def test_the_migration_turns_stored_verdicts_into_codes_and_back(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for n, verdict in enumerate(("合格", "不合格", None), 1):
            conn.execute(
                text(
                    "INSERT INTO audit (id, round_id, pick_id, contract_id, version_id, county_id,"
                    " due_on, status, verdict, notes) VALUES (:id, 1, :id, 1, 1, 1,"
                    " '2026-11-01', 'done', :verdict, '')"
                ),
                {"id": n, "verdict": verdict},
            )
    upgrade(engine, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT verdict FROM audit ORDER BY id")).scalars().all()
    assert rows == ["qualified", "unqualified", None]
    command.downgrade(alembic_config(engine), "0006")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT verdict FROM audit ORDER BY id")).scalars().all()
    assert rows == ["合格", "不合格", None]


def test_an_existing_database_upgrades_with_foreign_keys_on(tmp_path):
    """`flask init-db` is also the upgrade command (README): on the app's own SQLite engine,
    foreign keys on, a batch migration rebuilds a table that other rows refer to (audit,
    referred to by a finding) and must not fail nor leave a reference dangling."""
    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    event.listen(engine, "connect", _sqlite_pragmas)  # what the app's engine does
    upgrade(engine, "0006")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # rows without their parents
        conn.execute(
            text(
                "INSERT INTO audit (id, round_id, pick_id, contract_id, version_id, county_id,"
                " due_on, status, verdict, notes) VALUES (1, 1, 1, 1, 1, 1, '2026-11-01',"
                " 'done', '合格', '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO finding (id, audit_id, source, check_code, severity, description,"
                " county_id, created_on) VALUES (1, 1, 'audit', 'C5', 'major', 'x', 1,"
                " '2026-11-01')"
            )
        )
        conn.commit()
    engine.dispose()  # the next connection has foreign keys on again
    upgrade(engine, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT verdict FROM audit")).scalar_one() == "qualified"
        assert conn.execute(text("SELECT audit_id FROM finding")).scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
