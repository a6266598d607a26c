"""The facts beside each check (audits.check_facts): filing and text side by side."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from audits.check_facts import check_facts
from bargaining.recognition import Comparison, Facts

VERSION = SimpleNamespace(
    delegates_total=45,
    delegates_present=40,
    votes_for=38,
    lowest_wage=Decimal("2300"),
    effective_on=date(2026, 7, 1),
    expires_on=date(2029, 6, 30),
    signed_on=date(2026, 6, 17),
    submitted_on=date(2026, 6, 24),
    filed_on=date(2026, 7, 2),
    platform_entered_on=None,
)


def test_text_that_disagrees_with_the_filing_is_marked() -> None:
    facts = check_facts(VERSION, Facts(delegates_total=45, votes_for=20), None, Decimal(2010), 3)
    c1 = {f.label: f for f in facts["C1"]}
    assert not c1["职工代表总数"].differs
    assert c1["赞成票数"].differs and c1["赞成票数"].text == 20


def test_c3_shows_the_county_tier_and_c5_c6_count_days() -> None:
    facts = check_facts(VERSION, None, None, Decimal(2010), 3)
    assert facts["C3"][1].label == "当地最低工资标准（3档）" and facts["C3"][1].filed == 2010
    assert facts["C5"][2].filed == 7
    assert facts["C6"][2].filed is None  # not entered on the platform yet
    assert "C7" not in facts  # no text: nothing to compare


def test_c7_lists_the_comparison() -> None:
    facts = check_facts(VERSION, Facts(), Comparison(["S01"], ["A01", "B02"]), None, None)
    assert [f.filed for f in facts["C7"]] == ["S01", "A01、B02"]


def test_c2_and_c9_point_at_the_signature_and_publication_clauses() -> None:
    from bargaining.recognition import read_facts

    text = "第九条 本合同生效后十日内向全体职工公布。\n甲方首席代表（签字）：张三"
    facts = check_facts(VERSION, read_facts(text), Comparison([], []), None, None)
    assert facts["C2"][0].text == "甲方首席代表（签字）：张三"
    assert facts["C9"][0].text == "第九条 本合同生效后十日内向全体职工公布。"
