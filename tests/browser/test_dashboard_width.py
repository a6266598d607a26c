"""The city's KPI table fits a 1440 px screen: every column, the supervision button included."""

from __future__ import annotations

from datetime import date

from bargaining.uploads import run_upload
from core.db import db
from core.models import Role
from reports.services import backfill_snapshots
from tests.browser.conftest import shot
from tests.factories import PASSWORD, contract_row, filing_workbook, make_enterprise, make_user


def test_the_kpi_table_is_not_clipped_at_1440(page, app):
    ents = [make_enterprise("WY") for _ in range(3)]
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("city", Role.CITY)
    run_upload(
        insp,
        "filings",
        "a.xlsx",
        filing_workbook([contract_row(e) for e in ents]),
        date(2026, 11, 25),
    )
    backfill_snapshots(date(2026, 11, 25))
    db.session.commit()
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(page.base + "/login")
    page.fill("input[name=username]", "city")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto(page.base + "/dashboard")
    page.wait_for_selector("table.kpis")
    overflow = page.evaluate(
        "() => { const box = document.querySelector('table.kpis').parentElement;"
        " return box.scrollWidth - box.clientWidth; }"
    )
    assert overflow <= 0, f"the KPI table is {overflow}px wider than its box"
    shot(page, "city-dashboard-1440")
