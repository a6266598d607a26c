"""The public record of a round and the standalone checker (SPEC §5 "Public record", "Draw").

"/public/sampling/<YYYY-MM> and /public/sampling/<YYYY-MM>.json answer without login: month,
rate, frozen_at, population_sha256, commitment, and once drawn the secret, public value,
witnessed, seed, population and picks as (county, contract_id) — public ids only, never
enterprise names or credit codes — plus the audit log's current head hash."
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from audits import rounds
from audits.jobs import freeze_month_once
from bargaining.models import Enterprise
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core import audit_log
from core.db import db
from core.models import Role, Setting
from tests.factories import (
    contract_row,
    filing_workbook,
    freeze_and_draw,
    make_enterprise,
    make_user,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def filed(app):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("insp-YW", Role.INSPECTOR, "YW")
    rows = []
    for i in range(12):
        county = "WY" if i % 3 else "YW"
        ent = make_enterprise(county)
        rows.append(
            contract_row(
                ent, 合同编号=f"P-{i}", 备案日期=date(2026, 10, 3 + i), **{"县(市、区)": county}
            )
        )
    admin = make_user("admin", Role.ADMIN)
    outcome = run_upload(admin, KIND_FILINGS, "oct.xlsx", filing_workbook(rows), date(2026, 11, 25))
    assert outcome.status == "imported", [e.cli_line() for e in outcome.errors]
    db.session.merge(Setting(key="sampling_start_month", value="2026-01", description=""))
    db.session.commit()
    return insp


def run_script(tmp_path: Path, record: dict) -> subprocess.CompletedProcess[str]:
    """verify_draw.py as a third party runs it: a copy, in an empty directory, isolated
    (-I: no PYTHONPATH, no user site, the script's own directory only), the project nowhere."""
    script = tmp_path / "verify_draw.py"
    script.write_bytes((ROOT / "verify_draw.py").read_bytes())
    (tmp_path / "round.json").write_text(json.dumps(record), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [sys.executable, "-I", str(script), "round.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_public_record_answers_without_login_with_public_ids_only(filed, client):
    round_ = freeze_and_draw("2026-10", "20261103", datetime.now(UTC))
    response = client.get("/public/sampling/2026-10.json")
    assert response.status_code == 200
    record = response.get_json()
    assert {
        "month",
        "rate",
        "frozen_at",
        "population_sha256",
        "commitment",
        "secret",
        "public_value",
        "witnessed",
        "seed",
        "population",
        "picks",
    } <= set(record)
    assert record["audit_log_head"]["hash"] == audit_log.head()[1]
    assert record["secret"] == round_.secret and record["public_value"] == "20261103"
    body = response.get_data(as_text=True)
    for ent in db.session.scalars(select(Enterprise)):
        assert ent.name not in body and ent.uscc not in body
    page = client.get("/public/sampling/2026-10")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert round_.commitment in html and round_.seed in html and audit_log.head()[1] in html
    assert all(ent.name not in html for ent in db.session.scalars(select(Enterprise)))
    assert client.get("/public/sampling/2026-09.json").status_code == 404
    assert client.get("/public/sampling/nonsense").status_code == 404


def test_before_the_draw_the_secret_stays_unpublished(filed, client):
    round_, _fresh = freeze_month_once(rounds.Month(2026, 10), None, datetime.now(UTC))
    db.session.commit()
    record = client.get("/public/sampling/2026-10.json").get_json()
    assert record["commitment"] == round_.commitment
    assert record["secret"] is None and record["seed"] is None and record["picks"] is None
    html = client.get("/public/sampling/2026-10").get_data(as_text=True)
    assert round_.secret not in html and round_.commitment in html


def test_the_served_script_is_the_one_in_the_repository(app, client):
    response = client.get("/public/verify_draw.py")
    assert response.status_code == 200
    assert response.data == (ROOT / "verify_draw.py").read_bytes()


def test_standalone_script_verifies_the_public_json(filed, client, tmp_path):
    # SPEC §5: "a standalone script (/public/verify_draw.py, Python standard library only)
    # that anyone can run on the round's JSON"
    freeze_and_draw("2026-10", "31415926", datetime.now(UTC))
    record = client.get("/public/sampling/2026-10.json").get_json()
    result = run_script(tmp_path, record)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout and "witnessed" in result.stdout


def test_standalone_script_verifies_an_unwitnessed_round(filed, client, tmp_path):
    freeze_and_draw("2026-10", None, datetime.now(UTC))
    result = run_script(tmp_path, client.get("/public/sampling/2026-10.json").get_json())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unwitnessed" in result.stdout


@pytest.mark.parametrize(
    "tamper",
    ["public_value", "secret", "pick", "population", "commitment", "witnessed"],
)
def test_standalone_script_fails_on_a_tampered_json(filed, client, tmp_path, tamper):
    freeze_and_draw("2026-10", "31415926", datetime.now(UTC))
    record = client.get("/public/sampling/2026-10.json").get_json()
    if tamper == "public_value":
        record["public_value"] = "31415927"  # a leader's other value: the seed no longer follows
    elif tamper == "secret":
        record["secret"] = "f" * 64
    elif tamper == "pick":  # swap a pick for a member that was not picked
        picked = {p["contract_id"] for p in record["picks"]}
        other = next(m for m in record["population"] if m["contract_id"] not in picked)
        record["picks"][0] = {**record["picks"][0], "contract_id": other["contract_id"]}
    elif tamper == "population":
        record["population"] = record["population"][1:]
    elif tamper == "commitment":
        record["commitment"] = "0" * 64
    else:
        record["witnessed"] = False
    result = run_script(tmp_path, record)
    assert result.returncode == 1, result.stdout
    assert "FAIL" in result.stderr
