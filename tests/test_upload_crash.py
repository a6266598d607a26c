"""A worker killed during an import leaves no rows; its upload ends up marked failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bargaining.models import ContractVersion, Upload
from bargaining.services import fail_stale_uploads, store_upload
from core.db import db, utcnow
from core.models import Role
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user


def test_a_stale_processing_upload_is_marked_failed(app):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    upload = store_upload(
        insp, "filings", "x.xlsx", filing_workbook([contract_row(make_enterprise("WY"))])
    )
    db.session.commit()
    assert fail_stale_uploads(utcnow()) == 0  # still young: maybe still working
    assert fail_stale_uploads(utcnow() + timedelta(minutes=16)) == 1
    db.session.refresh(upload)
    assert upload.status == "failed" and "未导入任何数据" in upload.message


def test_killing_the_import_process_stores_nothing(app, database, tmp_path):
    if database["kind"] == "sqlite":
        pytest.skip(
            "needs the shared PostgreSQL test database so that another process sees the same data"
        )
    ents = [make_enterprise("WY") for _ in range(400)]
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = tmp_path / "big.xlsx"
    path.write_bytes(filing_workbook([contract_row(e) for e in ents]))
    env = {**os.environ, "DATABASE_URL": database["url"], "FLASK_APP": "app"}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    proc = subprocess.Popen(
        [flask, "import-filings", str(path), "--as", "insp-WY"], env=env, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the upload is recorded, then kill mid-import
        db.session.rollback()
        if db.session.scalar(select(func.count(Upload.id))):
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    db.session.rollback()
    upload = db.session.scalars(select(Upload)).one()
    if upload.status == "imported":
        pytest.skip("the import finished before the kill landed")
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 0
    assert upload.status == "processing"
    assert fail_stale_uploads(utcnow() + timedelta(minutes=30)) == 1
    db.session.commit()
    db.session.refresh(upload)
    assert upload.status == "failed"
