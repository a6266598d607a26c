"""flask backup / restore: nothing lost, uploaded originals included."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bargaining.models import Enterprise
from core.db import db
from core.models import StoredFile
from tests.factories import make_enterprise


def test_backup_then_restore_brings_everything_back(runner, database, tmp_path):
    if database["kind"] != "sqlite":
        pytest.skip("PostgreSQL backups are pg_dump/pg_restore (documented in the README)")
    make_enterprise("WY", name="备份前的企业")
    db.session.add(StoredFile(sha256="0" * 64, size=3, data=b"abc"))
    db.session.commit()
    target = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    make_enterprise("WY", name="备份后的企业")
    db.session.commit()
    assert runner.invoke(args=["restore", str(target)]).exit_code == 1  # needs --yes
    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    db.session.remove()
    names = set(db.session.scalars(select(Enterprise.name)))
    assert "备份前的企业" in names and "备份后的企业" not in names
    assert db.session.scalar(select(func.count(StoredFile.sha256))) == 1
