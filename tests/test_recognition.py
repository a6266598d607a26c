"""Item recognition and facts in contract texts (pure: bargaining.recognition)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from bargaining.recognition import (
    ItemFound,
    Passage,
    Rule,
    chinese_number,
    compare,
    default_rules,
    highlight_segments,
    parse_cn_date,
    read_facts,
    recognise,
    score,
)

SET = Path(__file__).parent / "data" / "contract_texts"
SHIPPED = [
    "W01",
    "W02",
    "W03",
    "W04",
    "W05",
    "W06",
    "S01",
    "S02",
    "S03",
    "S04",
    "S05",
    "S06",
    "S07",
    "A01",
    "A02",
    "A03",
    "T01",
    "T02",
    "H01",
    "H02",
    "B01",
    "B02",
    "F01",
    "D01",
]


def test_rules_are_shipped_for_every_required_item() -> None:
    rules = {r.code: r for r in default_rules()}
    assert sorted(rules) == sorted(SHIPPED)
    assert all(r.keywords or r.patterns for r in rules.values())


def test_passage_offsets_point_into_the_original_text_with_full_width_digits() -> None:
    text = "第五条　夜班津贴每班２０元。\n第六条 其他。"
    [found] = recognise(text, [Rule("A01", ("夜班津贴",))])
    [passage] = found.passages
    assert text[passage.start : passage.end] == "第五条　夜班津贴每班２０元。"


def test_keyword_matches_across_ocr_spaces_and_pattern_over_full_width_digits() -> None:
    text = "工资 每月 １５ 日 前 支 付"
    found = recognise(text, [Rule("W03", (), (r"每月\d{1,2}日.{0,8}支付",))])
    assert [f.code for f in found] == ["W03"]


def test_boilerplate_dispute_clause_is_not_d01() -> None:
    text = "因履行本合同发生争议，协商不成的，可以向劳动人事争议仲裁委员会申请仲裁。"
    assert recognise(text, default_rules()) == []


def test_compare_only_judges_items_that_have_rules() -> None:
    result = compare(
        found=["W01", "A01"], filed=["W01", "S01", "N01"], judged=["W01", "A01", "S01"]
    )
    assert result.filed_not_found == ["S01"]
    assert result.found_not_filed == ["A01"]


def test_chinese_numbers() -> None:
    assert chinese_number("四十五") == 45
    assert chinese_number("十二") == 12
    assert chinese_number("二〇二六") == 2026
    assert chinese_number("一百零八") == 108


def test_chinese_dates() -> None:
    assert parse_cn_date("二〇二六年六月十七日") == date(2026, 6, 17)
    assert parse_cn_date("２０２６年６月１７日") == date(2026, 6, 17)
    assert parse_cn_date("2026.6.17") == date(2026, 6, 17)
    assert parse_cn_date("2026年2月30日") is None


def test_facts_read_from_a_contract() -> None:
    text = (
        "本合同期限二年，自二〇二六年七月一日起至二〇二八年六月三十日止。\n"
        "职工代表总数４５名，出席代表40名，赞成38票。\n"
        "职工月最低工资不低于2,300元。\n"
        "签订日期：2026年6月17日"
    )
    facts = read_facts(text)
    assert (facts.delegates_total, facts.delegates_present, facts.votes_for) == (45, 40, 38)
    assert facts.lowest_wage == Decimal("2300")
    assert (facts.term_start, facts.term_end) == (date(2026, 7, 1), date(2028, 6, 30))
    assert facts.signed_on == date(2026, 6, 17)
    assert "４５名" in facts.sources["delegates_total"].text


def test_facts_missing_stay_none() -> None:
    facts = read_facts("本合同自双方签字之日起生效。")
    assert facts.delegates_total is None and facts.lowest_wage is None and facts.term_start is None


def test_highlight_segments_cover_passages_exactly() -> None:
    text = "甲。乙丙。丁"
    found = [ItemFound("A01", [Passage(2, 5, "乙丙。")]), ItemFound("B02", [Passage(3, 5, "丙。")])]
    assert highlight_segments(text, found) == [
        ("甲。", ()),
        ("乙", ("A01",)),
        ("丙。", ("A01", "B02")),
        ("丁", ()),
    ]


def test_score_counts_hits_false_alarms_and_misses() -> None:
    s = score({"a": ["W01", "A01"], "b": []}, {"a": ["W01"], "b": ["W01"]})
    assert (s["W01"].tp, s["W01"].fn, s["A01"].fp) == (1, 1, 1)


def test_the_test_set_has_at_least_30_texts_with_every_item() -> None:
    expected = json.loads((SET / "expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 30
    assert set(SHIPPED) <= {code for items in expected.values() for code in items}


def test_recognition_on_the_test_set_stays_at_or_above_0_9_per_item() -> None:
    expected = json.loads((SET / "expected.json").read_text(encoding="utf-8"))
    rules = default_rules()
    found = {
        name: [f.code for f in recognise((SET / name).read_text(encoding="utf-8"), rules)]
        for name in expected
    }
    scores = score(found, expected)
    low = {
        code: (s.precision, s.recall)
        for code, s in scores.items()
        if (s.precision or 0) < 0.9 or (s.recall or 0) < 0.9
    }
    assert not low


def test_facts_on_the_test_set_are_read_correctly() -> None:
    known = json.loads((SET / "facts.json").read_text(encoding="utf-8"))
    wrong = []
    for name, want in known.items():
        facts = read_facts((SET / name).read_text(encoding="utf-8"))
        for key, value in want.items():
            got = getattr(facts, key)
            if (got.isoformat() if hasattr(got, "isoformat") else got) != value:
                wrong.append((name, key, got, value))
    assert len(wrong) <= 0.1 * len(known) * 6, wrong
