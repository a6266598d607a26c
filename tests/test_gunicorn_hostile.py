"""The hostile corpus through gunicorn (SPEC §4 "No upload can hurt the service"): two sync
workers on 127.0.0.1 against a temporary SQLite database receive every hostile workbook;
afterwards every worker that started is still there and serving, no worker was replaced,
and no upload is left 'processing'. Bounded by work (one request per file), not by a clock.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bargaining.models import Upload
from core.db import db
from core.models import Role
from tests.factories import PASSWORD, make_enterprise, make_user
from tests.hostile_corpus import far_cell_files
from tests.test_web_hostile import HOSTILE

REPO = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PATIENCE = 120  # seconds a request may take before the test gives up on it (not a measure)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry))
    return found


def _token(session: requests.Session, url: str) -> str:
    match = CSRF.search(session.get(url, timeout=PATIENCE).text)
    assert match, url
    return match.group(1)


@pytest.fixture()
def server(app, database, tmp_path: Path):
    if database["kind"] != "sqlite":
        pytest.skip("runs against its own SQLite file")
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    if gunicorn is None:
        pytest.skip("gunicorn is not installed")
    make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "FLASK_SECRET_KEY": "gunicorn-test-secret-" + "x" * 32,
        "FLASK_PASSWORD_HASH_FAST": "true",
        "RUST_BACKTRACE": "0",
    }
    proc = subprocess.Popen(
        [
            gunicorn,
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            str(PATIENCE),
            "--error-logfile",
            str(log),
            "app:create_app()",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # until both workers have booted and one answers
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(f"{base}/login", timeout=PATIENCE).status_code == 200 and (
                    len(_children(proc.pid)) == 2
                ):
                    break
            except requests.ConnectionError:  # not listening yet
                pass
            time.sleep(0.1)
        yield base, proc, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_hostile_corpus_leaves_every_worker_serving(server, app) -> None:
    base, proc, log = server
    workers = _children(proc.pid)
    assert len(workers) == 2
    session = requests.Session()
    token = _token(session, f"{base}/login")
    answer = session.post(
        f"{base}/login",
        data={"username": "insp-WY", "password": PASSWORD, "csrf_token": token},
        timeout=PATIENCE,
    )
    assert answer.status_code == 200 and "/login" not in answer.url
    corpus = {**HOSTILE, **far_cell_files()}
    statuses = {}
    for name, build in corpus.items():
        token = _token(session, f"{base}/filings/upload")
        try:
            response = session.post(
                f"{base}/filings/upload",
                data={"csrf_token": token},
                files={"file": (f"{name}.xlsx", build())},
                headers={"X-Requested-With": "XMLHttpRequest"},
                timeout=PATIENCE,
            )
            statuses[name] = response.status_code
        except requests.ConnectionError:  # the worker died under the request
            statuses[name] = "connection dropped"
        other = requests.get(f"{base}/login", timeout=PATIENCE)  # another user is answered
        assert other.status_code == 200, name
    assert all(isinstance(s, int) and 400 <= s < 500 for s in statuses.values()), statuses
    assert _children(proc.pid) == workers, log.read_text()[-3000:]  # none died, none replaced
    for pid in workers:
        os.kill(pid, 0)  # alive
    assert log.read_text().count("Booting worker") == 2, log.read_text()[-3000:]
    db.session.rollback()
    states = db.session.scalars(select(Upload.status)).all()
    assert len(states) >= len(corpus) - 1  # one per file (the empty one may have none)
    assert "processing" not in states, states
