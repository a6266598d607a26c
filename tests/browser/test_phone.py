"""On site, on a phone (SPEC §6): the audit, rectification and visit pages at 390×844 — no
sideways scrolling, tap targets of at least 44 px, the navigation collapsed, the camera offered
for photos, and no page over 300 KB of HTML+CSS+JS."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from audits.models import Audit, Rectification, Visit
from audits.services import save_audit
from audits.visit_service import schedule_visits
from audits.visits import Quarter
from bargaining.models import ContractVersion
from bargaining.texts import attach_text, process_queued_texts
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role, User
from tests.browser.conftest import shot
from tests.factories import (
    PASSWORD,
    contract_row,
    filing_workbook,
    freeze_and_draw,
    make_enterprise,
    make_user,
)
from tests.text_files import docx_bytes

WIDTH, HEIGHT = 390, 844
TAP = 44
# what a finger taps: buttons, fields, choice labels, the menu and its links
TARGETS = (
    "button, .btn, select, textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox]),"
    " label.choice, .navbutton, .mainnav a, summary"
)
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
                 && getComputedStyle(e).visibility !== 'hidden'; })
  .map(e => { const r = e.getBoundingClientRect();
              return {tag: e.tagName, text: (e.innerText || e.name || '').slice(0, 20),
                      w: Math.round(r.width), h: Math.round(r.height)}; })
  .filter(t => t.w < 44 || t.h < 44)"""


@pytest.fixture()
def site(app):
    """A drawn audit of a contract with its text read, a failed check's rectification, a visit."""
    ent = make_enterprise("WY")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    city = make_user("city", Role.CITY)
    row = contract_row(ent, 合同编号="A-1", 备案日期=date(2026, 10, 9))
    run_upload(insp, "filings", "a.xlsx", filing_workbook([row]), date(2026, 11, 25))
    version = db.session.scalars(select(ContractVersion)).one()
    attach_text(insp, version, "合同.docx", docx_bytes())
    db.session.commit()
    process_queued_texts(datetime.now(UTC))
    freeze_and_draw("2026-10", "42424242", datetime.now(UTC))
    audit = db.session.scalars(select(Audit)).one()
    make_enterprise("WY")
    done = db.session.scalars(select(Audit)).one()
    save_audit(
        done,
        db.session.get(User, done.inspector_id),
        {"C5": ("fail", "签订后第15日才报送")},
        "",
        date(2026, 11, 2),
        complete=False,
    )
    db.session.commit()
    # a second contract's audit completed with a failure gives a rectification and a visit
    ent2 = make_enterprise("WY")
    run_upload(
        insp,
        "filings",
        "b.xlsx",
        filing_workbook([contract_row(ent2, 合同编号="B-1", 备案日期=date(2026, 9, 9))]),
        date(2026, 11, 25),
    )
    db.session.commit()
    freeze_and_draw("2026-09", "1234567", datetime.now(UTC))
    other = db.session.scalars(select(Audit).where(Audit.id != audit.id)).one()
    checks = {f"C{i}": ("pass", "") for i in range(1, 10)} | {"C6": ("fail", "未录入平台")}
    save_audit(other, insp, checks, "", date(2026, 11, 2), complete=True)
    schedule_visits(Quarter(2026, 4), city, date(2026, 11, 25), set())
    db.session.commit()
    rect = db.session.scalars(select(Rectification)).first()
    visit = db.session.scalars(select(Visit).where(Visit.visitor_id == insp.id)).first()
    assert rect is not None and visit is not None
    return {"audit": audit.id, "rect": rect.id, "visit": visit.id}


@pytest.fixture()
def phone(page, site):
    context = page.context.browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    p = context.new_page()
    p.base = page.base
    p.goto(p.base + "/login")
    p.fill("input[name=username]", "insp-WY")
    p.fill("input[name=password]", PASSWORD)
    p.click("form button[type=submit]")
    p.wait_for_load_state()
    yield p
    context.close()


def _weight(phone, url: str) -> int:
    """Bytes of the page's HTML plus every stylesheet and script it loads (fetched again, so
    the browser's cache does not hide them)."""
    response = phone.goto(url)
    phone.wait_for_load_state("networkidle")
    assets = phone.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet], script[src]')]"
        ".map(e => e.href || e.src)"
    )
    return len(response.body()) + sum(len(phone.request.get(a).body()) for a in assets)


@pytest.mark.parametrize("which", ["audit", "rect", "visit"])
def test_page_fits_a_phone(phone, site, which) -> None:
    path = {"audit": "/audits/{}", "rect": "/rectifications/{}", "visit": "/visits/{}"}[which]
    url = phone.base + path.format(site[which])
    weight = _weight(phone, url)
    print(f"{which}: {weight} bytes of HTML+CSS+JS")
    assert weight < 300 * 1024, f"{which}: {weight} bytes of HTML+CSS+JS"
    shot(phone, f"phone-{which}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    small = phone.evaluate(SMALL_TARGETS, TARGETS)
    assert small == [], small
    # the navigation is collapsed behind the menu button, which opens it
    assert not phone.locator("nav.mainnav").is_visible()
    phone.click(".navbutton")
    assert phone.locator("nav.mainnav").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    small = phone.evaluate(SMALL_TARGETS, TARGETS)
    assert small == [], small
    if which != "rect":  # a rectification the inspector verifies has no form until submitted
        assert phone.locator("input[type=file][capture]").count() >= 1


def test_inspector_audits_on_a_phone_with_the_text_beside_the_checks(phone, site) -> None:
    phone.goto(phone.base + f"/audits/{site['audit']}")
    assert phone.locator(".contract-text mark").count() >= 3
    c1 = phone.locator("#check-C1 .check-facts").inner_text()
    assert "45" in c1 and "38" in c1  # delegates and votes, filed and read from the text
    # C3: the lowest wage against the county's tier (武义县: tier 3, 2,010 yuan)
    assert "2010" in phone.locator("#check-C3 .check-facts").inner_text().replace(",", "")
    phone.click("#check-C1 label.choice:has(input[value=pass])")
    assert phone.locator("input[name=result_C1][value=pass]").is_checked()
    phone.click("button[name=action][value=save]")
    phone.wait_for_load_state()
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(phone, "phone-audit-saved")
