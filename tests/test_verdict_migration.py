"""Migration 0007_i12: stored verdicts become codes, no Chinese words as stored states."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from core.migrate import alembic_config, upgrade


def test_the_migration_turns_stored_verdicts_into_codes_and_back(tmp_path):  # type: ignore[no-untyped-def]
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
