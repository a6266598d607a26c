"""schemathesis against the running app (in-process WSGI): no 5xx, responses match the
OpenAPI document, for every operation, with a city leader's token."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bargaining.uploads import run_upload
from core.auth import new_api_token
from core.db import db
from core.models import Role
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user

TOKEN: dict[str, str] = {}


@pytest.fixture()
def api_schema(app):
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    city = make_user("city", Role.CITY)
    ents = [make_enterprise("WY") for _ in range(3)]
    run_upload(
        insp,
        "filings",
        "a.xlsx",
        filing_workbook([contract_row(e) for e in ents]),
        date(2026, 11, 25),
    )
    TOKEN["city"] = new_api_token(city, "schemathesis")
    db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_api_conforms_to_its_openapi_document(api_schema):
    headers = {"Authorization": f"Bearer {TOKEN['city']}"}
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case):
            case.call_and_validate(headers=headers)

        run()
        checked += 1
    assert checked == 10  # every documented operation
