"""Audit checklist, rectification status machine and escalation (SPEC §6; pure modules)."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest

from audits import checklist, escalation, rectification_rules
from audits.checklist import FAIL, NOT_APPLICABLE, PASS, QUALIFIED, UNQUALIFIED
from audits.escalation import CITY, COUNTY, OpenItem, plan_escalation
from audits.rectification_rules import (
    IN_PROGRESS,
    PENDING,
    RESOLVED,
    SEND_BACK,
    START,
    SUBMIT,
    SUBMITTED,
    VERIFY,
    next_status,
)
from core.errors import UserError

CJK = re.compile(r"[\u4e00-\u9fff]")

# SPEC §6 table, copied here so the production checklist is compared with the SPEC.
SPEC_SEVERITY = {
    "C1": "critical",
    "C2": "critical",
    "C3": "critical",
    "C4": "major",
    "C5": "major",
    "C6": "major",
    "C7": "major",
    "C8": "minor",
    "C9": "minor",
}
SPEC_DAYS = {"critical": 7, "major": 30, "minor": 60}
CODES = list(SPEC_SEVERITY)


def all_results(value: str) -> dict[str, str]:
    return dict.fromkeys(CODES, value)


# ====================================================================== checklist


def test_checklist_is_the_spec_table():
    assert [c.code for c in checklist.CHECKLIST] == CODES
    assert {c.code: c.severity for c in checklist.CHECKLIST} == SPEC_SEVERITY
    assert all(CJK.search(c.title) for c in checklist.CHECKLIST)


def test_everything_passing_is_qualified():
    assert checklist.verdict(all_results(PASS)) == QUALIFIED == "qualified"


def test_everything_not_applicable_is_qualified():
    assert checklist.verdict(all_results(NOT_APPLICABLE)) == QUALIFIED


def test_mix_of_pass_and_na_is_qualified():
    results = {code: (PASS if i % 2 else NOT_APPLICABLE) for i, code in enumerate(CODES)}
    assert checklist.verdict(results) == QUALIFIED


@pytest.mark.parametrize("code", [c for c, s in SPEC_SEVERITY.items() if s == "minor"])
def test_a_failed_minor_item_alone_is_still_qualified(code):
    results = all_results(PASS) | {code: FAIL}
    assert checklist.verdict(results) == QUALIFIED


def test_all_minor_items_failing_is_still_qualified():
    results = all_results(PASS) | {"C8": FAIL, "C9": FAIL}
    assert checklist.verdict(results) == QUALIFIED


@pytest.mark.parametrize("code", [c for c, s in SPEC_SEVERITY.items() if s != "minor"])
@pytest.mark.parametrize("others", [PASS, NOT_APPLICABLE])
def test_a_failed_critical_or_major_item_is_unqualified(code, others):
    results = all_results(others) | {code: FAIL}
    assert checklist.verdict(results) == UNQUALIFIED == "unqualified"


def test_verdict_over_every_single_and_double_failure():
    for failing in itertools.chain(
        itertools.combinations(CODES, 1), itertools.combinations(CODES, 2)
    ):
        results = all_results(PASS) | dict.fromkeys(failing, FAIL)
        serious = any(SPEC_SEVERITY[c] != "minor" for c in failing)
        assert checklist.verdict(results) == (UNQUALIFIED if serious else QUALIFIED), failing


def test_missing_results():
    assert checklist.missing_results(all_results(PASS)) == []
    assert checklist.missing_results({}) == CODES
    partial = all_results(PASS)
    del partial["C3"]
    del partial["C9"]
    assert checklist.missing_results(partial) == ["C3", "C9"]
    # a value that is not pass/fail/na is not an answer
    assert checklist.missing_results(all_results(PASS) | {"C5": "ok", "C7": ""}) == ["C5", "C7"]
    assert checklist.missing_results(all_results(NOT_APPLICABLE) | {"C1": FAIL}) == []


@pytest.mark.parametrize("severity", ["critical", "major", "minor"])
def test_deadline_per_severity(severity):
    found = date(2026, 2, 25)
    assert checklist.deadline(found, severity, SPEC_DAYS) == found + timedelta(
        days=SPEC_DAYS[severity]
    )


def test_deadline_known_dates():
    found = date(2026, 6, 17)
    assert checklist.deadline(found, "critical", SPEC_DAYS) == date(2026, 6, 24)
    assert checklist.deadline(found, "major", SPEC_DAYS) == date(2026, 7, 17)
    assert checklist.deadline(found, "minor", SPEC_DAYS) == date(2026, 8, 16)
    # across a year end and a (non-leap) February
    assert checklist.deadline(date(2026, 12, 28), "critical", SPEC_DAYS) == date(2027, 1, 4)
    assert checklist.deadline(date(2027, 2, 1), "major", SPEC_DAYS) == date(2027, 3, 3)


def test_deadline_follows_the_setting():
    days = {"critical": 3, "major": 15, "minor": 90}
    found = date(2026, 6, 17)
    assert checklist.deadline(found, "critical", days) == date(2026, 6, 20)
    assert checklist.deadline(found, "major", days) == date(2026, 7, 2)
    assert checklist.deadline(found, "minor", days) == date(2026, 9, 15)


# ====================================================================== rectification status

STATUSES = [PENDING, IN_PROGRESS, SUBMITTED, RESOLVED]
ACTIONS = [START, SUBMIT, VERIFY, SEND_BACK]

# SPEC §6: 待整改 → 整改中 → 待核验 → 已整改; the enterprise answers (start, submit), the
# inspector verifies or sends back (back to 整改中). Written out here independently.
EXPECTED = {
    (PENDING, START): IN_PROGRESS,
    (PENDING, SUBMIT): SUBMITTED,
    (IN_PROGRESS, SUBMIT): SUBMITTED,
    (SUBMITTED, VERIFY): RESOLVED,
    (SUBMITTED, SEND_BACK): IN_PROGRESS,
}


def test_status_labels_are_the_spec_ones():
    assert [rectification_rules.STATUS_LABELS[s] for s in STATUSES] == [
        "待整改",
        "整改中",
        "待核验",
        "已整改",
    ]
    assert rectification_rules.OVERDUE_LABEL == "逾期"


def test_transition_table_is_the_expected_one():
    assert rectification_rules.TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(itertools.product(STATUSES, ACTIONS)))
def test_every_status_action_pair(status, action):
    if (status, action) in EXPECTED:
        t = next_status(status, action, note="已整改，附照片")
        assert (t.from_status, t.to_status) == (status, EXPECTED[(status, action)])
    else:
        with pytest.raises(UserError) as info:
            next_status(status, action, note="说明")
        message = info.value.message
        assert CJK.search(message)
        assert str(info.value) == message
        # the message names the current status and the refused action
        assert rectification_rules.STATUS_LABELS[status] in message
        assert rectification_rules.ACTION_LABELS[action] in message


def test_resolved_is_final():
    for action in ACTIONS:
        with pytest.raises(UserError):
            next_status(RESOLVED, action, note="再次提交")


@pytest.mark.parametrize("action", ["delete", "", "VERIFY", "reopen"])
def test_unknown_action_is_refused(action):
    with pytest.raises(UserError) as info:
        next_status(PENDING, action, note="x")
    assert CJK.search(info.value.message)


@pytest.mark.parametrize("status", ["overdue", "", "已整改", "closed"])
def test_unknown_status_is_refused(status):
    for action in ACTIONS:
        with pytest.raises(UserError) as info:
            next_status(status, action, note="x")
        assert CJK.search(info.value.message)


@pytest.mark.parametrize(
    ("status", "action"),
    [(PENDING, SUBMIT), (IN_PROGRESS, SUBMIT), (SUBMITTED, SEND_BACK)],
)
@pytest.mark.parametrize("note", ["", "   ", "\n\t", "\u3000\u3000"])
def test_submit_and_send_back_need_a_note(status, action, note):
    with pytest.raises(UserError) as info:
        next_status(status, action, note=note)
    assert CJK.search(info.value.message)
    # with a note the same transition goes through
    assert (
        next_status(status, action, note="已更换合同文本").to_status == EXPECTED[(status, action)]
    )


def test_start_and_verify_need_no_note():
    assert next_status(PENDING, START).to_status == IN_PROGRESS
    assert next_status(SUBMITTED, VERIFY).to_status == RESOLVED


def test_default_note_is_empty_so_submit_without_note_is_refused():
    with pytest.raises(UserError):
        next_status(IN_PROGRESS, SUBMIT)


DEADLINE = date(2026, 7, 17)


@pytest.mark.parametrize("status", [PENDING, IN_PROGRESS, SUBMITTED])
def test_overdue_only_after_the_deadline_day(status):
    label = rectification_rules.STATUS_LABELS[status]
    assert not rectification_rules.is_overdue(status, DEADLINE, DEADLINE - timedelta(days=1))
    assert not rectification_rules.is_overdue(status, DEADLINE, DEADLINE)
    assert rectification_rules.is_overdue(status, DEADLINE, DEADLINE + timedelta(days=1))
    assert rectification_rules.is_overdue(status, DEADLINE, DEADLINE + timedelta(days=400))
    assert rectification_rules.status_label(status, DEADLINE, DEADLINE) == label
    overdue_label = rectification_rules.status_label(status, DEADLINE, DEADLINE + timedelta(days=1))
    assert overdue_label != label
    assert label in overdue_label and "逾期" in overdue_label


def test_resolved_is_never_overdue():
    later = DEADLINE + timedelta(days=100)
    assert not rectification_rules.is_overdue(RESOLVED, DEADLINE, later)
    assert rectification_rules.status_label(RESOLVED, DEADLINE, later) == "已整改"


# ====================================================================== escalation

D = date(2026, 6, 30)  # the deadline used by most items below


def item(rid: int, county: int = 1, enterprise: int | None = 100, deadline: date = D) -> OpenItem:
    return OpenItem(rid, county, enterprise, deadline)


def day(n: int) -> date:
    return D + timedelta(days=n)


def plans_of(plans, level):
    return [p for p in plans if p.level == level]


def cover(covered: dict[str, set[int]], plans) -> dict[str, set[int]]:
    out = {k: set(v) for k, v in covered.items()}
    for p in plans:
        out.setdefault(p.level, set()).update(p.rectification_ids)
    return out


def test_nothing_before_or_on_the_deadline():
    items = [item(i, county=1, enterprise=100 + i) for i in range(1, 8)]
    assert plan_escalation(items, {}, day(-10)) == []
    assert plan_escalation(items, {}, day(0)) == []


def test_county_interview_the_day_after_the_deadline():
    plans = plan_escalation([item(1)], {}, day(1))
    assert len(plans) == 1
    (p,) = plans
    assert p.level == COUNTY
    assert (p.county_id, p.enterprise_id, p.rectification_ids) == (1, 100, [1])
    assert CJK.search(p.reason)


def test_one_county_interview_per_enterprise_grouping_its_items():
    items = [
        item(5, county=1, enterprise=100),
        item(3, county=1, enterprise=100),
        item(4, county=1, enterprise=101),
        item(9, county=2, enterprise=200),
        item(8, county=2, enterprise=200),
        item(7, county=2, enterprise=200, deadline=day(3)),  # not overdue yet
    ]
    plans = plan_escalation(items, {}, day(1))
    assert all(p.level == COUNTY for p in plans)
    got = {(p.county_id, p.enterprise_id): sorted(p.rectification_ids) for p in plans}
    assert got == {(1, 100): [3, 5], (1, 101): [4], (2, 200): [8, 9]}
    assert len(plans) == 3


def test_items_already_covered_at_county_level_are_not_planned_again():
    items = [item(1), item(2), item(3, enterprise=101)]
    plans = plan_escalation(items, {COUNTY: {1}}, day(2))
    got = {(p.enterprise_id, tuple(p.rectification_ids)) for p in plans_of(plans, COUNTY)}
    assert got == {(100, (2,)), (101, (3,))}
    assert plan_escalation(items, {COUNTY: {1, 2, 3}}, day(2)) == []


def test_feeding_the_plan_back_as_covered_yields_nothing_new():
    items = [
        item(1, county=1, enterprise=100, deadline=day(-40)),
        item(2, county=1, enterprise=100),
        item(3, county=1, enterprise=101),
        item(4, county=2, enterprise=200),
        item(5, county=2, enterprise=201),
        item(6, county=2, enterprise=202),
        item(7, county=2, enterprise=203),
        item(8, county=2, enterprise=204),
        item(9, county=3, enterprise=None),
    ]
    today = day(5)
    plans = plan_escalation(items, {}, today)
    assert plans_of(plans, COUNTY) and plans_of(plans, CITY)
    covered = cover({}, plans)
    assert plan_escalation(items, covered, today) == []


def test_city_interview_at_deadline_plus_thirty_one_not_thirty():
    """SPEC §6: "still overdue 30 days after becoming overdue (today ≥ deadline + 31 days)"."""
    items = [item(1)]
    at_30 = plan_escalation(items, {COUNTY: {1}}, day(30))
    assert at_30 == []
    at_31 = plan_escalation(items, {COUNTY: {1}}, day(31))
    assert len(at_31) == 1
    (p,) = at_31
    assert (p.level, p.county_id, p.enterprise_id, p.rectification_ids) == (CITY, 1, None, [1])
    assert CJK.search(p.reason)
    # already covered at city level: nothing more
    assert plan_escalation(items, {COUNTY: {1}, CITY: {1}}, day(32)) == []


def test_city_interview_only_names_the_long_overdue_items():
    items = [item(1, deadline=day(-31)), item(2, deadline=day(-10)), item(3, county=2)]
    plans = plan_escalation(items, {COUNTY: {1, 2, 3}}, day(0))
    assert [(p.level, p.county_id, p.rectification_ids) for p in plans] == [(CITY, 1, [1])]


def county_items(n: int, county: int = 1) -> list[OpenItem]:
    return [item(i, county=county, enterprise=100 + i) for i in range(1, n + 1)]


def test_county_with_five_overdue_gets_a_city_interview():
    items = county_items(5)
    plans = plan_escalation(items, {COUNTY: {1, 2, 3, 4, 5}}, day(1))
    assert len(plans) == 1
    (p,) = plans
    assert (p.level, p.county_id, p.enterprise_id) == (CITY, 1, None)
    assert p.rectification_ids == [1, 2, 3, 4, 5]


def test_county_with_four_overdue_gets_no_city_interview():
    items = county_items(4)
    plans = plan_escalation(items, {}, day(1))
    assert plans_of(plans, CITY) == []
    assert len(plans_of(plans, COUNTY)) == 4


def test_the_five_are_counted_per_county():
    items = county_items(3, county=1) + [
        item(10 + i, county=2, enterprise=200 + i) for i in range(3)
    ]
    assert plans_of(plan_escalation(items, {}, day(1)), CITY) == []


def test_five_overdue_counts_only_items_past_their_deadline():
    items = county_items(4) + [item(99, enterprise=199, deadline=day(5))]
    assert plans_of(plan_escalation(items, {}, day(1)), CITY) == []
    assert len(plans_of(plan_escalation(items, {}, day(6)), CITY)) == 1


def test_both_county_and_city_the_same_day():
    items = county_items(6)
    plans = plan_escalation(items, {}, day(1))
    assert len(plans_of(plans, COUNTY)) == 6
    (city,) = plans_of(plans, CITY)
    assert city.rectification_ids == [1, 2, 3, 4, 5, 6]


def test_thresholds_are_parameters():
    items = county_items(3)
    covered = {COUNTY: {1, 2, 3}}
    # threshold 3 overdue: a city interview with the default 30 days not yet reached
    assert plan_escalation(items, covered, day(1)) == []
    (p,) = plan_escalation(items, covered, day(1), county_overdue_threshold=3)
    assert (p.level, p.rectification_ids) == (CITY, [1, 2, 3])
    # city after 10 days instead of 30
    one = [item(1)]
    assert plan_escalation(one, {COUNTY: {1}}, day(10), city_after_days=10) == []
    (p,) = plan_escalation(one, {COUNTY: {1}}, day(11), city_after_days=10)
    assert (p.level, p.rectification_ids) == (CITY, [1])
    assert plan_escalation(one, {COUNTY: {1}}, day(30)) == []


def test_running_every_day_covers_each_item_at_most_once_per_level():
    items = (
        county_items(4, county=1)
        + [item(20 + i, county=2, enterprise=300 + i % 2, deadline=day(i * 3)) for i in range(7)]
        + [item(40, county=3, enterprise=None, deadline=day(12))]
    )
    covered: dict[str, set[int]] = {}
    seen = {COUNTY: [], CITY: []}
    first_day: dict[tuple[str, int], date] = {}
    for n in range(-5, 80):
        today = day(n)
        plans = plan_escalation(items, covered, today)
        for p in plans:
            assert p.rectification_ids, p
            seen[p.level].extend(p.rectification_ids)
            for rid in p.rectification_ids:
                first_day[(p.level, rid)] = today
        covered = cover(covered, plans)
        assert plan_escalation(items, covered, today) == []
    every = {i.rectification_id for i in items}
    for level in (COUNTY, CITY):
        assert len(seen[level]) == len(set(seen[level])), level
        assert set(seen[level]) == every, level
    for i in items:
        assert first_day[(COUNTY, i.rectification_id)] == i.deadline + timedelta(days=1)
        assert first_day[(CITY, i.rectification_id)] <= i.deadline + timedelta(days=31)


def test_level_labels_are_chinese():
    assert set(escalation.LEVEL_LABELS) == {COUNTY, CITY}
    assert all(CJK.search(label) for label in escalation.LEVEL_LABELS.values())
