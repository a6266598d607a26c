"""JSON API: token auth, scoping like the UI, responses shaped as the OpenAPI document says."""

from __future__ import annotations

from datetime import date

import pytest

from bargaining.uploads import run_upload
from core.auth import new_api_token
from core.db import db
from core.models import Role
from reports.api import openapi_document
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user

LISTS = {
    "/api/v1/counties": "County",
    "/api/v1/enterprises": "Enterprise",
    "/api/v1/contracts": "Contract",
    "/api/v1/sample-rounds": "SampleRound",
    "/api/v1/audits": "Audit",
    "/api/v1/rectifications": "Rectification",
    "/api/v1/visits": "Visit",
}


@pytest.fixture()
def tokens(app):
    wy, yw = make_enterprise("WY"), make_enterprise("YW")
    insp_wy = make_user("insp-WY", Role.INSPECTOR, "WY")
    insp_yw = make_user("insp-YW", Role.INSPECTOR, "YW")
    clerk = make_user("clerk", Role.ENTERPRISE, enterprise=wy)
    city = make_user("city", Role.CITY)
    today = date(2026, 11, 25)
    run_upload(
        insp_wy, "filings", "wy.xlsx", filing_workbook([contract_row(wy, 合同编号="WY-A")]), today
    )
    run_upload(
        insp_yw,
        "filings",
        "yw.xlsx",
        filing_workbook([contract_row(yw, 合同编号="YW-A", **{"县(市、区)": "YW"})]),
        today,
    )
    result = {
        name: new_api_token(user, name)
        for name, user in (("insp", insp_wy), ("clerk", clerk), ("city", city))
    }
    db.session.commit()
    return result


def _get(client, url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def test_openapi_document_is_public_and_lists_every_route(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {"/api/v1" + path for path in doc["paths"]}
    routes = {
        r.rule.replace("<int:contract_id>", "{contract_id}").replace("<month>", "{month}")
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/") and r.rule != "/api/v1/openapi.json"
    }
    assert routes == documented


def test_no_token_or_a_bad_token_is_401_json(client, tokens):
    for token in (None, "jt_not-a-real-token"):
        response = _get(client, "/api/v1/contracts", token)
        assert response.status_code == 401
        assert "令牌" in response.get_json()["error"]


def test_every_list_matches_its_schema(client, tokens):
    schemas = openapi_document()["components"]["schemas"]
    for url, schema in LISTS.items():
        body = _get(client, url, tokens["city"]).get_json()
        assert set(body) == {"items", "page", "per_page", "total"}, url
        for item in body["items"]:
            assert set(item) == set(schemas[schema]["properties"]), url


def test_scoping_matches_the_ui(client, tokens):
    def numbers(token: str) -> set[str]:
        return {c["number"] for c in _get(client, "/api/v1/contracts", token).get_json()["items"]}

    assert numbers(tokens["city"]) == {"WY-A", "YW-A"}
    assert numbers(tokens["insp"]) == {"WY-A"}
    assert numbers(tokens["clerk"]) == {"WY-A"}
    yw_id = next(
        c["id"]
        for c in _get(client, "/api/v1/contracts", tokens["city"]).get_json()["items"]
        if c["number"] == "YW-A"
    )
    assert _get(client, f"/api/v1/contracts/{yw_id}", tokens["insp"]).status_code == 404
    assert _get(client, "/api/v1/audits", tokens["clerk"]).status_code == 403
    counties = _get(client, "/api/v1/counties", tokens["insp"]).get_json()["items"]
    assert [c["code"] for c in counties] == ["WY"]
    targets = _get(client, "/api/v1/targets?date=2026-11-25", tokens["insp"]).get_json()
    assert [t["county"] for t in targets] == ["WY"]


def test_bad_parameters_are_400(client, tokens):
    assert _get(client, "/api/v1/contracts?per_page=0", tokens["city"]).status_code == 400
    assert _get(client, "/api/v1/contracts?page=x", tokens["city"]).status_code == 400
    assert _get(client, "/api/v1/targets?date=2026-13-01", tokens["city"]).status_code == 400


def test_create_token_cli(runner, app):
    make_user("city", Role.CITY)
    db.session.commit()
    result = runner.invoke(args=["create-token", "city", "--name", "报表系统"])
    assert result.exit_code == 0 and result.stdout.startswith("jt_")
    assert runner.invoke(args=["create-token", "nobody"]).exit_code == 1
