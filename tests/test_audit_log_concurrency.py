"""Two processes append to the audit log at once and the hash chain stays one chain
(SPEC §3: "append-only and tamper-evident"), on PostgreSQL.

Each process writes many small transactions (one entry each, as a web request does) and a
few bulk appends (as an import does). Appends are serialised by a transaction-scoped
advisory lock taken before the head is read: without it both processes would read the same
head and fork the chain (or trip over the unique ``seq``). Needs a real server (SQLite
serialises writers itself): set TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from core import audit_log
from core.db import db
from core.models import AuditLog

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL: set TEST_DATABASE_URL (SQLite serialises writers on one file)",
)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120
ROUNDS = 40

WRITER = """
import sys
from app import create_app
from core import audit_log
from core.db import db
app = create_app()
with app.app_context():
    name = sys.argv[1]
    for i in range({rounds}):
        audit_log.record(None, "edit", "thing", i, before={{"n": i}}, after={{"by": name}})
        db.session.commit()
        if i % 10 == 0:
            audit_log.record_many(
                None,
                [{{"action": "import", "object_type": "thing", "object_id": j, "after": {{"by": name}}}}
                 for j in range(5)],
            )
            db.session.commit()
    print("done", name)
"""


def test_two_processes_appending_at_once_keep_one_chain(app, database):
    if database["kind"] != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    url = database["url"]
    db.session.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = str(ROOT)
    code = WRITER.format(rounds=ROUNDS)
    engine = create_engine(url)
    gate = engine.connect()
    # hold the log so that both writers queue up, then let them go at the same moment
    gate.execute(text(f"SET LOCAL lock_timeout = '{TIMEOUT_S}s'"))
    gate.execute(text("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE"))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, name],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    try:
        deadline = time.monotonic() + TIMEOUT_S
        waiting = text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
            "(relation = 'audit_log'::regclass OR locktype = 'advisory')"
        )
        while time.monotonic() < deadline and all(p.poll() is None for p in procs):
            if gate.execute(waiting).scalar_one() >= len(procs):
                break
            time.sleep(0.02)
    finally:
        gate.rollback()
        gate.close()
        engine.dispose()
    outputs = [p.communicate(timeout=TIMEOUT_S) for p in procs]
    info = "\n".join(
        f"exit {p.returncode}\n{out}\n{err}" for p, (out, err) in zip(procs, outputs, strict=True)
    )
    assert [p.returncode for p in procs] == [0, 0], info
    db.session.expire_all()
    per_process = ROUNDS + 5 * len(range(0, ROUNDS, 10))
    total = db.session.scalar(select(func.count()).select_from(AuditLog))
    assert total >= 2 * per_process
    result = audit_log.verify_chain()
    assert result.ok, result.problem
    assert result.count == total
    # the two writers really interleaved: their entries alternate somewhere in the chain
    writers = [
        (after or {}).get("by")
        for after in db.session.scalars(select(AuditLog.after).order_by(AuditLog.seq))
    ]
    switches = sum(1 for x, y in zip(writers, writers[1:], strict=False) if x != y and x and y)
    print(f"\n{total} entries, the writers alternated {switches} times")
    assert switches >= 2
