"""Concurrent imports against PostgreSQL: the same file twice at once is imported once; two
files filing the same contract at once make versions 1 and 2, never a duplicate version."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from bargaining.models import Contract, ContractVersion, Upload
from core.db import db
from core.models import Role
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user

FLASK = os.path.join(os.path.dirname(sys.executable), "flask")


def _run_together(url: str, paths: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start both imports behind a lock on the contract table and let go once both wait, so
    that they really meet (process start-up jitter is longer than a small import)."""
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app"}
    gate = create_engine(url).connect()
    gate.execute(text("SET lock_timeout = '60s'"))
    gate.execute(text("LOCK TABLE contract IN ACCESS EXCLUSIVE MODE"))
    procs = [
        subprocess.Popen(
            [FLASK, "import-filings", p, "--as", "insp-WY"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in paths
    ]
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(p.poll() is None for p in procs):
        with create_engine(url).connect() as probe:
            if probe.execute(waiting).scalar() >= len(procs):
                break
        time.sleep(0.1)
    gate.rollback()  # releases the lock
    gate.close()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


@pytest.fixture()
def pg(app, database):
    if database["kind"] != "postgresql":
        pytest.skip(
            "needs PostgreSQL: set TEST_DATABASE_URL (SQLite serialises writers on one file)"
        )
    return database["url"]


def test_the_same_file_uploaded_twice_at_once_is_imported_once(pg, tmp_path):
    ents = [make_enterprise("WY") for _ in range(50)]
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    data = filing_workbook([contract_row(e) for e in ents])
    paths = []
    for name in ("a.xlsx", "b.xlsx"):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    results = _run_together(pg, paths)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    db.session.rollback()
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 50
    statuses = sorted(db.session.scalars(select(Upload.status)))
    assert statuses in (["duplicate", "imported"], ["imported"]), statuses


def test_two_files_filing_one_contract_at_once_make_two_versions(pg, tmp_path):
    ents = [make_enterprise("WY") for _ in range(30)]
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    paths = []
    for raise_pct in (4, 6):
        path = tmp_path / f"raise-{raise_pct}.xlsx"
        path.write_bytes(
            filing_workbook(
                [contract_row(e, 合同编号=f"N-{e.id}", 工资增长幅度=raise_pct) for e in ents]
            )
        )
        paths.append(str(path))
    results = _run_together(pg, paths)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Contract.id))) == 30
    per_contract = db.session.execute(
        select(
            ContractVersion.contract_id, func.count(), func.max(ContractVersion.version_no)
        ).group_by(ContractVersion.contract_id)
    ).all()
    assert all(n == 2 and top == 2 for _, n, top in per_contract)
    assert all(c.version_count == 2 for c in db.session.scalars(select(Contract)))
