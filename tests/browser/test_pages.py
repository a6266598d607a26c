"""As users do it, in a real browser: log in, upload, read the errors, audit, see the charts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from audits.models import Audit
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role, User
from reports.services import backfill_snapshots
from tests.browser.conftest import shot
from tests.factories import (
    PASSWORD,
    contract_row,
    filing_workbook,
    freeze_and_draw,
    make_enterprise,
    make_user,
)


def _login(page, username: str) -> None:
    page.goto(page.base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def test_upload_a_broken_then_a_good_workbook(page, app, tmp_path):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    _login(page, "insp-WY")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(
        filing_workbook([contract_row(ent, 合同编号="B-1", 签订日期="2026年2月30日")])
    )
    page.goto(page.base + "/filings/upload")
    page.set_input_files("#upload-form input[type=file]", str(broken))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/uploads/*")
    assert "日期不存在" in page.content()
    shot(page, "upload-errors")
    good = tmp_path / "good.xlsx"
    good.write_bytes(filing_workbook([contract_row(ent, 合同编号="G-1")]))
    page.goto(page.base + "/filings/upload")
    page.set_input_files("#upload-form input[type=file]", str(good))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/uploads/*")
    assert "已导入 1 份合同" in page.content()
    page.goto(page.base + "/filings")
    assert "G-1" in page.content()
    # the refused upload answers 422 on purpose; the browser logs that, nothing else may appear
    unexpected = [e for e in page.console_errors if "status of 422" not in e]
    assert unexpected == [], unexpected


def test_dashboard_charts_render_without_console_errors(page, app):
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
    _login(page, "city")
    page.goto(page.base + "/dashboard")
    page.wait_for_selector("#chart-bars .main-svg")
    for chart in ("chart-bars", "chart-trend", "chart-rect", "chart-items"):
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    shot(page, "city-dashboard")
    assert page.console_errors == [], page.console_errors


def test_audit_a_pick_in_the_browser(page, app):
    ent = make_enterprise("WY")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    row = contract_row(ent, 合同编号="A-1", 备案日期=date(2026, 10, 9))
    run_upload(insp, "filings", "a.xlsx", filing_workbook([row]), date(2026, 11, 25))
    db.session.commit()
    freeze_and_draw("2026-10", "42424242")
    audit = db.session.scalars(select(Audit)).one()
    assert (
        audit.inspector_id
        == db.session.scalars(select(User.id).where(User.username == "insp-WY")).one()
    )
    _login(page, "insp-WY")
    page.goto(page.base + f"/audits/{audit.id}")
    for i in range(1, 10):
        page.check(f"input[name=result_C{i}][value={'fail' if i == 5 else 'pass'}]")
    page.fill("input[name=note_C5]", "签订后第15日才报送")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button[name=action][value=complete]")
    page.wait_for_load_state()
    assert "不合格" in page.content()
    shot(page, "audit-done")
    assert page.console_errors == [], page.console_errors


def test_the_language_switch_turns_the_pages_english(page, app, tmp_path):
    ents = [make_enterprise("WY") for _ in range(2)]
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("city", Role.CITY)
    run_upload(
        insp, "filings", "a.xlsx", filing_workbook([contract_row(ents[0])]), date(2026, 11, 25)
    )
    backfill_snapshots(date(2026, 11, 25))
    db.session.commit()
    _login(page, "insp-WY")
    page.click("a.lang")  # the switch in the top bar
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.mainnav").inner_text().count("Upload filing") == 1
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(
        filing_workbook([contract_row(ents[1], 合同编号="B-1", 签订日期="2026年2月30日")])
    )
    page.goto(page.base + "/filings/upload")
    page.set_input_files("#upload-form input[type=file]", str(broken))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/uploads/*")
    errors = page.locator("table.errors").inner_text()
    assert "does not exist" in errors and "日期不存在" not in errors
    shot(page, "upload-errors-en")
    page.click("a.lang")  # back to Chinese: the same stored errors, in Chinese
    page.wait_for_load_state()
    assert "日期不存在" in page.locator("table.errors").inner_text()
    page.click("a.lang")
    page.click("form.inline button[type=submit]")  # log out
    page.wait_for_load_state()
    _login(page, "city")
    page.goto(page.base + "/dashboard")
    page.wait_for_selector("#chart-bars .main-svg")
    assert "2027 target" in page.locator("#chart-bars").inner_text()
    shot(page, "city-dashboard-en")
    unexpected = [e for e in page.console_errors if "status of 422" not in e]
    assert unexpected == [], unexpected
