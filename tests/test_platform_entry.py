"""备案一家、录入一家 (SPEC §4): the platform-entry flag holds as of today, counted from the
contract's first filing, and the platform date is recorded in place."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from audits.models import Audit
from bargaining.models import Contract, ContractVersion
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.auth import new_api_token
from core.db import db, utcnow
from core.models import AuditLog, Role
from tests.factories import (
    contract_row,
    csrf_token,
    filing_workbook,
    freeze_and_draw,
    login,
    make_enterprise,
    make_user,
)

FILED = date(2026, 10, 1)
SIXTY_DAYS_LATER = date(2026, 11, 30)


@pytest.fixture()
def filed(app):
    """A WY contract filed on 2026-10-01 with no 平台录入日期."""
    ent = make_enterprise("WY")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("clerk-WY", Role.ENTERPRISE, enterprise=ent)
    make_user("insp-YW", Role.INSPECTOR, "YW")
    make_user("city", Role.CITY)
    row = contract_row(ent, 合同编号="P-1", 平台录入日期=None)
    outcome = run_upload(insp, KIND_FILINGS, "p.xlsx", filing_workbook([row]), FILED)
    assert outcome.status == "imported", outcome.errors
    db.session.commit()
    contract = db.session.scalars(select(Contract)).one()
    return {"ent": ent, "insp": insp, "row": row, "contract": contract}


def _today(monkeypatch, day: date) -> None:
    for module in ("bargaining.views", "reports.api", "reports.api_fields", "audits.views"):
        monkeypatch.setattr(f"{module}.local_today", lambda: day)


def _versions() -> int:
    return db.session.scalar(select(func.count(ContractVersion.id))) or 0


# ---------------------------------------------------------------------------- as of today (item 2)


def test_api_flags_hold_as_of_today(client, filed, monkeypatch):
    """SPEC §4: "This flag is true as of today, not only at import: a contract filed 40 days
    ago with no platform date is flagged now"."""
    token = new_api_token(filed["insp"], "t")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    _today(monkeypatch, date(2026, 10, 31))  # 30 days: not yet
    (item,) = client.get("/api/v1/contracts", headers=headers).get_json()["items"]
    assert item["flags"] == []
    _today(monkeypatch, SIXTY_DAYS_LATER)
    (item,) = client.get("/api/v1/contracts", headers=headers).get_json()["items"]
    assert item["flags"] == ["PLATFORM_MISSING"]
    one = client.get(f"/api/v1/contracts/{filed['contract'].id}", headers=headers).get_json()
    assert one["flags"] == ["PLATFORM_MISSING"]


def test_filing_filters_and_counts_hold_as_of_today(client, filed, monkeypatch):
    """SPEC §4: the platform flag "is true as of today, not only at import"."""
    login(client, "insp-WY")
    _today(monkeypatch, SIXTY_DAYS_LATER)
    assert "P-1" in client.get("/filings?flag=PLATFORM_MISSING").get_data(as_text=True)
    assert "P-1" in client.get("/filings?flag=any").get_data(as_text=True)
    assert "P-1" not in client.get("/filings?flag=none").get_data(as_text=True)
    _today(monkeypatch, date(2026, 10, 31))
    assert "P-1" not in client.get("/filings?flag=PLATFORM_MISSING").get_data(as_text=True)
    assert "P-1" in client.get("/filings?flag=none").get_data(as_text=True)


def test_contract_page_shows_the_flag_as_of_today(client, filed, monkeypatch):
    """SPEC §4: "a contract filed 40 days ago with no platform date is flagged now"."""
    login(client, "insp-WY")
    _today(monkeypatch, SIXTY_DAYS_LATER)
    page = client.get(f"/contracts/{filed['contract'].id}").get_data(as_text=True)
    assert "备案超过30日仍未录入全国平台" in page


def test_c6_pre_audit_help_holds_as_of_today(client, filed, monkeypatch):
    """SPEC §4: the platform flag is true as of today — so the audit's C6 line shows it."""
    # drawn after the filing was recorded (created_at is the machine's time)
    freeze_and_draw("2026-10", "123456789", utcnow())
    db.session.commit()
    audit = db.session.scalars(select(Audit)).one()
    login(client, "insp-WY")
    _today(monkeypatch, SIXTY_DAYS_LATER)
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "备案超过30日仍未录入全国平台" in page


def test_platform_days_run_from_the_first_filing(filed):
    """SPEC §4: "The 30 days run from the contract's first filing" — a new version filed
    with an entry date does not restart them."""
    row = {**filed["row"], "工资增长幅度": 7, "平台录入日期": date(2026, 11, 29)}
    outcome = run_upload(
        filed["insp"], KIND_FILINGS, "v2.xlsx", filing_workbook([row]), SIXTY_DAYS_LATER
    )
    assert outcome.status == "imported", outcome.errors
    assert _versions() == 2
    current = db.session.get(Contract, filed["contract"].id).current_version
    assert current.version_no == 2
    assert [f.code for f in current.flags] == ["PLATFORM_LATE"]  # day 59 after 2026-10-01


# ---------------------------------------------------------------------------- in place (item 3)


def test_a_row_differing_only_in_the_platform_date_updates_in_place(filed):
    """SPEC §4: "Recording the platform date (… a workbook whose row differs only in
    平台录入日期) updates the version in place: it makes no new version and does not put the
    contract back into the sample population"."""
    row = {**filed["row"], "平台录入日期": date(2026, 11, 29)}
    outcome = run_upload(
        filed["insp"], KIND_FILINGS, "date.xlsx", filing_workbook([row]), SIXTY_DAYS_LATER
    )
    assert outcome.status == "imported", outcome.errors
    assert outcome.upload.counts["platform_dates"] == 1
    assert outcome.upload.counts["new_versions"] == 0
    assert _versions() == 1
    version = db.session.scalars(select(ContractVersion)).one()
    assert version.version_no == 1
    assert version.platform_entered_on == date(2026, 11, 29)
    assert version.filed_on == FILED  # nothing filed in November: not in its population
    # entered 59 days after the first filing: late, no longer missing
    assert [f.code for f in version.flags] == ["PLATFORM_LATE"]
    log = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "record_platform_date")
    ).one()
    assert log.before == {"platform_entered_on": None}
    assert log.after["platform_entered_on"] == "2026-11-29"


def test_a_row_differing_in_more_than_the_date_is_a_new_version(filed):
    """SPEC §4: only a row that "differs only in 平台录入日期" is recorded in place."""
    row = {**filed["row"], "覆盖职工人数": 321, "平台录入日期": date(2026, 10, 20)}
    run_upload(filed["insp"], KIND_FILINGS, "v2.xlsx", filing_workbook([row]), SIXTY_DAYS_LATER)
    assert _versions() == 2


def _post_date(client, contract_id: int, day: str):
    token = csrf_token(client, "/")
    return client.post(
        f"/contracts/{contract_id}/platform-date",
        data={"csrf_token": token, "platform_entered_on": day},
    )


@pytest.mark.parametrize("user", ["insp-WY", "clerk-WY"])
def test_the_contract_page_form_records_the_date_in_place(client, filed, monkeypatch, user):
    """SPEC §4: "Recording the platform date (a small form on the contract …) updates the
    version in place: it makes no new version"."""
    login(client, user)
    _today(monkeypatch, SIXTY_DAYS_LATER)
    cid = filed["contract"].id
    assert 'name="platform_entered_on"' in client.get(f"/contracts/{cid}").get_data(as_text=True)
    assert _post_date(client, cid, "2026-10-20").status_code == 302
    assert _versions() == 1
    version = db.session.scalars(select(ContractVersion)).one()
    assert version.platform_entered_on == date(2026, 10, 20)
    assert [f.code for f in version.flags] == []  # day 19: on time
    page = client.get(f"/contracts/{cid}").get_data(as_text=True)
    assert "备案超过30日仍未录入全国平台" not in page


@pytest.mark.parametrize("user, status", [("city", 403), ("insp-YW", 404)])
def test_the_form_is_refused_outside_the_policy(client, filed, user, status):
    """SPEC §3: the city files nothing; an object outside a user's scope answers 404."""
    login(client, user)
    assert _post_date(client, filed["contract"].id, "2026-10-20").status_code == status
    db.session.expire_all()
    assert db.session.scalars(select(ContractVersion)).one().platform_entered_on is None


def test_the_form_refuses_a_date_after_today(client, filed, monkeypatch):
    """SPEC §4: bad input gets a clear message — a platform date cannot lie in the future."""
    login(client, "insp-WY")
    _today(monkeypatch, SIXTY_DAYS_LATER)
    response = _post_date(client, filed["contract"].id, "2026-12-01")
    assert response.status_code == 303  # back to the page, the message flashed
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "不能晚于今天" in page
    assert db.session.scalars(select(ContractVersion)).one().platform_entered_on is None
