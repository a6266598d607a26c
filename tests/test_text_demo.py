"""The demo city's contract texts: composed from the filing, read like real ones."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from types import SimpleNamespace

from sqlalchemy import select

from audits.text_demo import build_demo_texts
from bargaining.models import ContractText, ContractVersion
from bargaining.recognition import default_rules, read_facts, recognise
from bargaining.text_demo import compose_text
from bargaining.texts import version_text
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role
from tests.factories import (
    contract_row,
    filing_workbook,
    freeze_and_draw,
    make_enterprise,
    make_user,
)

VERSION = SimpleNamespace(
    contract_type="工资专项集体合同",
    name="武义示例五金有限公司",
    lowest_wage=2300,
    effective_on=date(2026, 7, 1),
    expires_on=date(2029, 6, 30),
    signed_on=date(2026, 6, 17),
    delegates_total=45,
    delegates_present=40,
    votes_for=38,
)


def test_composed_text_holds_the_items_and_the_filing_facts() -> None:
    items = ["W01", "W02", "W03", "S01", "A01", "D01"]
    text = compose_text(VERSION, items, random.Random(1))
    assert sorted(f.code for f in recognise(text, default_rules())) == sorted(items)
    facts = read_facts(text)
    assert (facts.delegates_total, facts.votes_for) == (45, 38)
    assert (facts.term_start, facts.term_end) == (date(2026, 7, 1), date(2029, 6, 30))


def test_demo_gives_the_open_audits_their_texts(app) -> None:
    ent = make_enterprise("WY")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    row = contract_row(ent, 合同编号="A-1", 备案日期=date(2026, 10, 9))
    run_upload(insp, "filings", "a.xlsx", filing_workbook([row]), date(2026, 11, 25))
    db.session.commit()
    freeze_and_draw("2026-10", "42424242", datetime.now(UTC))
    stats = build_demo_texts(20261130, date(2026, 11, 25))
    assert list(stats.values()) == [1]
    text = db.session.scalars(select(ContractText)).one()
    assert text.status == "done"
    vt = version_text(db.session.get(ContractVersion, text.version_id))
    assert {"W01", "S01", "A01"} & set(vt.found_codes)
