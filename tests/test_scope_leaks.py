"""Two holes in the access policy (issue 12): the city filing contracts, and another county's
industry/regional contract shown on an enterprise page."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import func, select

from bargaining.models import Contract
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.db import db
from core.errors import UserError
from core.models import Role
from tests.conftest import TODAY
from tests.factories import (
    contract_row,
    csrf_token,
    filing_workbook,
    login,
    make_enterprise,
    make_user,
    upload,
)


def test_city_leader_files_no_contract_through_the_service(app):
    """SPEC §3: "The city leader files nothing: uploads are for clerks, inspectors (their
    county) and admin"."""
    city = make_user("city", Role.CITY)
    ent = make_enterprise("WY")
    with pytest.raises(UserError):
        run_upload(city, KIND_FILINGS, "c.xlsx", filing_workbook([contract_row(ent)]), TODAY)
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_city_leader_gets_403_on_the_filing_upload_and_no_upload_link(client):
    """SPEC §3: "The city leader files nothing"."""
    make_user("city", Role.CITY)
    ent = make_enterprise("WY")
    db.session.commit()
    login(client, "city")
    assert client.get("/filings/upload").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert 'href="/filings/upload"' not in home
    token = csrf_token(client, "/")
    response = client.post(
        "/filings/upload",
        data={
            "csrf_token": token,
            "file": (BytesIO(filing_workbook([contract_row(ent)])), "c.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_inspector_and_clerk_still_file(client):
    """SPEC §3: uploads are for clerks, inspectors (their county) and admin."""
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    assert 'href="/filings/upload"' in client.get("/").get_data(as_text=True)
    assert upload(client, filing_workbook([contract_row(ent)])).status_code == 200


def test_enterprise_page_hides_another_countys_covering_contract(client):
    """SPEC §3: "An object outside a user's scope answers 404, never its data" — a YW
    regional contract covering a WY enterprise is not named to the WY inspector."""
    wy = make_enterprise("WY")
    admin = make_user("admin", Role.ADMIN)
    make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("insp-YW", Role.INSPECTOR, "YW")
    row = contract_row(
        None,
        合同编号="YW-REGION-77",
        协商层级="区域性",
        企业名称="义乌市某街道区域性合同",
        **{"县(市、区)": "YW"},
    )
    coverage = [{"合同编号": "YW-REGION-77", "统一社会信用代码": wy.uscc, "企业名称": wy.name}]
    outcome = run_upload(
        admin, KIND_FILINGS, "r.xlsx", filing_workbook([row], coverage=coverage), TODAY
    )
    assert outcome.status == "imported", outcome.errors
    db.session.commit()
    login(client, "insp-WY")
    page = client.get(f"/enterprises/{wy.id}").get_data(as_text=True)
    assert wy.name in page
    assert "YW-REGION-77" not in page
    assert "义乌市某街道区域性合同" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "admin")
    assert "YW-REGION-77" in client.get(f"/enterprises/{wy.id}").get_data(as_text=True)
