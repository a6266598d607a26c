"""The small things a user hits at once (issue 15): each fixed and kept fixed."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import openpyxl
import pytest

import audits.views
from core.db import db
from core.models import Role
from reports.charts import trend
from tests.factories import (
    contract_row,
    filing_workbook,
    freeze_and_draw,
    login,
    make_enterprise,
    make_user,
    upload,
)


def test_a_reupload_lands_on_the_earlier_upload_saying_already_imported(client):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    data = filing_workbook([contract_row(ent)])
    upload(client, data)
    answer = upload(client, data, xhr=True).get_json()
    assert answer["status"] == "duplicate"
    page = client.get(answer["url"]).get_data(as_text=True)
    assert "未重复导入" in page and 'class="flash info"' in page


def test_the_draw_form_does_not_offer_a_month_already_drawn(client, monkeypatch):
    from datetime import date

    monkeypatch.setattr(audits.views, "local_today", lambda: date(2026, 11, 25))
    make_user("city", Role.CITY)
    db.session.commit()
    login(client, "city")
    assert 'name="month" value="2026-10"' in client.get("/sampling").get_data(as_text=True)
    freeze_and_draw("2026-10", "123456789", datetime.now(UTC))
    db.session.commit()
    html = client.get("/sampling").get_data(as_text=True)
    assert 'name="month" value="2026-10"' not in html and "2026-10 已抽取" in html


def test_the_picks_export_shows_status_labels(client):
    from datetime import date

    from bargaining.uploads import run_upload

    ent = make_enterprise("WY")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("city", Role.CITY)
    row = contract_row(ent, 合同编号="P-1", 备案日期=date(2026, 10, 8), **{"县(市、区)": "武义县"})
    outcome = run_upload(insp, "filings", "f.xlsx", filing_workbook([row]), date(2026, 11, 25))
    assert outcome.status == "imported", outcome.upload.errors
    db.session.commit()
    freeze_and_draw("2026-10", "123456789", datetime.now(UTC))
    db.session.commit()
    login(client, "city")
    ws = openpyxl.load_workbook(BytesIO(client.get("/sampling/2026-10/picks.xlsx").data)).active
    statuses = {ws.cell(row=r, column=9).value for r in range(2, ws.max_row + 1)}
    assert statuses == {"待抽查"}


@pytest.mark.parametrize("axis", ["yaxis"])
def test_the_rate_axis_says_percent_and_months_are_numeric(axis: str) -> None:
    from datetime import date

    figure = trend({"武义县": [(date(2025, 2, 1), 0.2), (date(2025, 3, 1), 0.25)]}, 0.2, "t")
    assert figure["layout"][axis]["ticksuffix"] == "%"
    assert figure["layout"]["xaxis"]["tickformat"] == "%Y-%m"


def test_the_demo_shows_the_loop_from_every_side(runner):
    from sqlalchemy import func, select

    from audits.models import Interview, Rectification, Visit
    from core.models import User

    assert runner.invoke(args=["demo"]).exit_code == 0
    clerks = db.session.scalars(select(User).where(User.role == Role.ENTERPRISE)).all()
    assert clerks and all(c.email.endswith("@example.org") for c in clerks)
    for clerk in clerks:
        n = db.session.scalar(
            select(func.count(Rectification.id)).where(
                Rectification.enterprise_id == clerk.enterprise_id
            )
        )
        assert n, f"{clerk.username} has no rectification"
    days = set(db.session.scalars(select(Interview.triggered_on)))
    assert len(days) > 5  # dated when each fell due, not all today
    reasons = db.session.scalars(select(Visit.reason).where(Visit.kind != "enterprise"))
    assert not any("停工" in str(r) for r in reasons)
