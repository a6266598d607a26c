"""`flask <command>` loads only what the command uses; deferred registrations still run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from flask import Flask

from core import parts

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("alembic", "openpyxl", "audits.views", "reports.views", "reports.api", "flask_wtf")
#: what the deferred registrations (app.DEFERRED) import
DEFERRED_PARTS = ("audits.visit_service", "audits.demo", "reports.jobs", "reports.demo")
PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("LOADED " + " ".join(
    m for m in {heavy!r} + {parts!r} if m in sys.modules) + "\\n"))
sys.argv = ["flask"] + {args!r}
from flask.cli import main
main()
"""


def _flask(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FLASK_APP="app", DATABASE_URL=f"sqlite:///{tmp_path}/cli.sqlite")
    env.pop("JINHUA_LANG", None)
    code = PROBE.format(heavy=HEAVY, parts=DEFERRED_PARTS, args=list(args))
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )


def _loaded(result: subprocess.CompletedProcess[str]) -> list[str]:
    line = [x for x in result.stderr.splitlines() if x.startswith("LOADED")][-1]
    return line.split()[1:]


def test_help_lists_every_command_without_the_web_stack(tmp_path):
    result = _flask(tmp_path, "--help")
    assert result.returncode == 0
    assert "import-filings" in result.stdout and "draw-sample" in result.stdout
    assert _loaded(result) == []


def test_import_filings_loads_neither_alembic_nor_views(tmp_path):
    result = _flask(tmp_path, "import-filings", str(tmp_path / "none.xlsx"), "--as", "nobody")
    assert result.returncode == 1
    assert _loaded(result) == []


def test_init_db_runs_the_deferred_steps_of_higher_layers(tmp_path):
    result = _flask(tmp_path, "init-db")
    assert result.returncode == 0, result.stderr
    assert "alembic" in _loaded(result) and "audits.visit_service" in _loaded(result)
    with sqlite3.connect(tmp_path / "cli.sqlite") as conn:
        years = conn.execute("SELECT count(*) FROM calendar_year").fetchone()[0]
    assert years > 0  # the working-day calendar, registered by audits.visit_service


def test_core_account_commands_load_no_deferred_part(tmp_path):
    """create-user (core) places an inspector through bargaining's hook, registered when the
    app is made: neither Alembic nor a higher layer's deferred registrations are imported."""
    assert _flask(tmp_path, "init-db").returncode == 0
    made = _flask(
        tmp_path, "create-user", "insp-wy", "--role", "inspector", "--county", "wy",
        "--password", "longenough",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = _flask(tmp_path, "create-token", "insp-wy")
    assert token.returncode == 0 and token.stdout.startswith("jt_")
    for result in (made, token):  # the login stack (password hashing) is theirs to load
        assert not set(_loaded(result)) & {"alembic", "openpyxl", *DEFERRED_PARTS}
    with sqlite3.connect(tmp_path / "cli.sqlite") as conn:
        county = conn.execute(
            "SELECT c.code FROM user u JOIN county c ON c.id = u.county_id"
            " WHERE u.username = 'insp-wy'"
        ).fetchone()
    assert county == ("WY",)


def test_deferred_registrations_run_once_in_order_on_first_use():
    app = Flask(__name__)
    parts.defer(app, "tests.test_cli_start:_register_a", "tests.test_cli_start:_register_b")
    assert "steps" not in app.extensions
    assert parts.extension(app, "steps") == ["a", "b"]
    assert parts.extension(app, "steps") == ["a", "b"]


def _register_a(app: Flask) -> None:
    app.extensions.setdefault("steps", []).append("a")


def _register_b(app: Flask) -> None:
    app.extensions.setdefault("steps", []).append("b")
