"""Automatic pre-audit flags (bargaining.legal_checks, pure): findings, never rejections."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bargaining.legal_checks import (
    ART36_ATTENDANCE,
    ART36_VOTES,
    ART38_TERM,
    ART42_LATE,
    ART42_MISSING,
    FLAG_TITLES,
    MIN_WAGE,
    PLATFORM_LATE,
    PLATFORM_MISSING,
    LegalFacts,
    add_years,
    legal_flags,
    term_within_limits,
)

TIER_2 = Decimal("2260")
SIGNED = date(2026, 1, 5)
FILED = date(2026, 1, 10)
TODAY = date(2026, 11, 25)

CLEAN = LegalFacts(
    signed_on=SIGNED,
    delegates_total=30,
    delegates_present=28,
    votes_for=25,
    effective_on=date(2026, 1, 1),
    expires_on=date(2028, 12, 31),
    submitted_on=SIGNED + timedelta(days=3),
    lowest_wage=Decimal("2600"),
    filed_on=FILED,
    platform_entered_on=FILED + timedelta(days=5),
)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def flags_of(facts: LegalFacts, minimum_wage: Decimal = TIER_2, today: date = TODAY, **kw):
    flags = legal_flags(facts, minimum_wage, today, **kw)
    for flag in flags:
        assert isinstance(flag.message, str) and flag.message.strip(), flag
        assert _has_chinese(flag.message), flag.message
    return flags


def codes(facts: LegalFacts, **kw) -> set[str]:
    return {f.code for f in flags_of(facts, **kw)}


def test_a_clean_contract_has_no_flags():
    assert flags_of(CLEAN) == []


def test_every_flag_code_has_a_chinese_title():
    for code in (
        ART36_VOTES,
        ART36_ATTENDANCE,
        ART38_TERM,
        ART42_LATE,
        ART42_MISSING,
        MIN_WAGE,
        PLATFORM_LATE,
        PLATFORM_MISSING,
    ):
        assert _has_chinese(FLAG_TITLES[code])


# ---------------------------------------------------------------------------- Art. 36


def test_votes_exactly_half_of_all_delegates_is_not_flagged():
    # SPEC §4 flags "fewer than half"; 半数以上 includes exactly half (Civil Code Art. 1259)
    assert ART36_VOTES not in codes(
        replace(CLEAN, delegates_total=30, delegates_present=30, votes_for=15)
    )


def test_votes_one_short_of_half_is_flagged_with_the_numbers():
    facts = replace(CLEAN, delegates_total=30, delegates_present=30, votes_for=14)
    flags = flags_of(facts)
    assert [f.code for f in flags] == [ART36_VOTES]
    assert "14" in flags[0].message and "30" in flags[0].message


def test_votes_more_than_half_of_all_delegates_is_not_flagged():
    assert ART36_VOTES not in codes(replace(CLEAN, delegates_present=30, votes_for=16))


def test_votes_below_half_is_flagged():
    assert ART36_VOTES in codes(replace(CLEAN, delegates_present=30, votes_for=3))


def test_votes_are_counted_against_all_delegates_not_those_present():
    # 20 of 30 present, 11 in favour: a majority of those present but not more than half of all
    facts = replace(CLEAN, delegates_total=30, delegates_present=20, votes_for=11)
    assert codes(facts) == {ART36_VOTES}
    assert ART36_VOTES not in codes(replace(facts, votes_for=16))


def test_votes_with_an_odd_number_of_delegates():
    assert ART36_VOTES in codes(
        replace(CLEAN, delegates_total=31, delegates_present=31, votes_for=15)
    )
    assert ART36_VOTES not in codes(
        replace(CLEAN, delegates_total=31, delegates_present=31, votes_for=16)
    )


def test_attendance_exactly_two_thirds_is_fine():
    facts = replace(CLEAN, delegates_total=30, delegates_present=20, votes_for=20)
    assert ART36_ATTENDANCE not in codes(facts)


def test_attendance_below_two_thirds_is_flagged():
    facts = replace(CLEAN, delegates_total=30, delegates_present=19, votes_for=19)
    flags = flags_of(facts)
    assert [f.code for f in flags] == [ART36_ATTENDANCE]
    assert "19" in flags[0].message


def test_attendance_two_thirds_when_not_a_whole_number():
    # 2/3 of 31 is 20.67: 20 present is below, 21 is enough
    assert ART36_ATTENDANCE in codes(
        replace(CLEAN, delegates_total=31, delegates_present=20, votes_for=20)
    )
    assert ART36_ATTENDANCE not in codes(
        replace(CLEAN, delegates_total=31, delegates_present=21, votes_for=21)
    )


def test_both_art36_flags_together():
    facts = replace(CLEAN, delegates_total=30, delegates_present=10, votes_for=10)
    assert codes(facts) == {ART36_VOTES, ART36_ATTENDANCE}


# ---------------------------------------------------------------------------- Art. 38 term


@pytest.mark.parametrize(
    ("effective", "expires"),
    [
        (date(2026, 1, 1), date(2028, 12, 31)),  # exactly 3 years, inclusive
        (date(2026, 1, 1), date(2026, 12, 31)),  # exactly 1 year, inclusive
        (date(2026, 1, 1), date(2027, 6, 30)),
        (date(2026, 7, 15), date(2029, 7, 14)),  # exactly 3 years mid-year
        (date(2026, 7, 15), date(2027, 7, 14)),  # exactly 1 year mid-year
    ],
)
def test_terms_from_one_to_three_years_are_allowed(effective, expires):
    assert term_within_limits(effective, expires)
    assert ART38_TERM not in codes(replace(CLEAN, effective_on=effective, expires_on=expires))


@pytest.mark.parametrize(
    ("effective", "expires"),
    [
        (date(2026, 1, 1), date(2029, 1, 1)),  # one day longer than 3 years
        (date(2026, 1, 1), date(2026, 12, 30)),  # one day shorter than 1 year
        (date(2026, 7, 15), date(2029, 7, 15)),
        (date(2026, 7, 15), date(2027, 7, 13)),
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 1, 1), date(2031, 12, 31)),
    ],
)
def test_terms_outside_one_to_three_years_are_flagged(effective, expires):
    assert not term_within_limits(effective, expires)
    flags = flags_of(replace(CLEAN, effective_on=effective, expires_on=expires))
    assert [f.code for f in flags] == [ART38_TERM]
    assert effective.isoformat() in flags[0].message
    assert expires.isoformat() in flags[0].message


def test_leap_day_start_one_year():
    # 2024-02-29 + 1 year is taken as 2025-03-01, so the term may end on 2025-02-28
    assert term_within_limits(date(2024, 2, 29), date(2025, 2, 28))
    assert not term_within_limits(date(2024, 2, 29), date(2025, 2, 27))
    assert ART38_TERM not in codes(
        replace(CLEAN, effective_on=date(2024, 2, 29), expires_on=date(2025, 2, 28))
    )
    assert ART38_TERM in codes(
        replace(CLEAN, effective_on=date(2024, 2, 29), expires_on=date(2025, 2, 27))
    )


def test_leap_day_start_three_years():
    assert term_within_limits(date(2024, 2, 29), date(2027, 2, 28))
    assert not term_within_limits(date(2024, 2, 29), date(2027, 3, 1))
    assert ART38_TERM in codes(
        replace(CLEAN, effective_on=date(2024, 2, 29), expires_on=date(2027, 3, 1))
    )


def test_term_spanning_a_leap_day_counts_calendar_years_not_365_days():
    # 2027-03-01..2028-02-29 is exactly one calendar year (366 days) and allowed
    assert term_within_limits(date(2027, 3, 1), date(2028, 2, 29))
    assert not term_within_limits(date(2027, 3, 1), date(2028, 2, 28))


def test_add_years():
    assert add_years(date(2026, 1, 1), 3) == date(2029, 1, 1)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


# ---------------------------------------------------------------------------- Art. 42


def test_submitted_ten_days_after_signing_is_on_time():
    assert ART42_LATE not in codes(replace(CLEAN, submitted_on=SIGNED + timedelta(days=10)))


def test_submitted_eleven_days_after_signing_is_late():
    flags = flags_of(replace(CLEAN, submitted_on=SIGNED + timedelta(days=11)))
    assert [f.code for f in flags] == [ART42_LATE]
    assert "11" in flags[0].message


def test_submitted_on_the_signing_day_is_on_time():
    assert codes(replace(CLEAN, submitted_on=SIGNED)) == set()


def test_submit_days_setting_is_honoured():
    facts = replace(CLEAN, submitted_on=SIGNED + timedelta(days=8))
    assert ART42_LATE in codes(facts, submit_days=7)
    assert ART42_LATE not in codes(facts, submit_days=8)


def test_not_submitted_at_all_is_flagged_missing_not_late():
    found = codes(replace(CLEAN, submitted_on=None))
    assert ART42_MISSING in found
    assert ART42_LATE not in found


# ---------------------------------------------------------------------------- minimum wage


def test_lowest_wage_below_the_tier_is_flagged():
    flags = flags_of(replace(CLEAN, lowest_wage=Decimal("2259.99")))
    assert [f.code for f in flags] == [MIN_WAGE]
    assert "2260" in flags[0].message


def test_lowest_wage_equal_to_the_tier_is_fine():
    assert MIN_WAGE not in codes(replace(CLEAN, lowest_wage=Decimal("2260")))
    assert MIN_WAGE not in codes(replace(CLEAN, lowest_wage=Decimal("2260.00")))


def test_lowest_wage_is_compared_with_the_given_tier():
    facts = replace(CLEAN, lowest_wage=Decimal("2400"))
    assert MIN_WAGE in codes(facts, minimum_wage=Decimal("2490"))  # tier 1
    assert MIN_WAGE not in codes(facts, minimum_wage=Decimal("2260"))  # tier 2
    assert MIN_WAGE not in codes(facts, minimum_wage=Decimal("2010"))  # tier 3


def test_no_lowest_wage_stated_is_not_a_min_wage_flag():
    assert MIN_WAGE not in codes(replace(CLEAN, lowest_wage=None))


# ---------------------------------------------------------------------------- platform entry


def test_platform_entry_thirty_days_after_filing_is_on_time():
    assert PLATFORM_LATE not in codes(replace(CLEAN, platform_entered_on=FILED + timedelta(30)))


def test_platform_entry_thirty_one_days_after_filing_is_late():
    flags = flags_of(replace(CLEAN, platform_entered_on=FILED + timedelta(31)))
    assert [f.code for f in flags] == [PLATFORM_LATE]
    assert "31" in flags[0].message


def test_platform_days_setting_is_honoured():
    facts = replace(CLEAN, platform_entered_on=FILED + timedelta(20))
    assert PLATFORM_LATE in codes(facts, platform_days=15)
    assert PLATFORM_LATE not in codes(facts, platform_days=20)


def test_platform_missing_depends_on_today():
    facts = replace(CLEAN, platform_entered_on=None)
    assert PLATFORM_MISSING not in codes(facts, today=FILED)
    assert PLATFORM_MISSING not in codes(facts, today=FILED + timedelta(30))
    assert PLATFORM_MISSING in codes(facts, today=FILED + timedelta(31))
    assert PLATFORM_MISSING in codes(facts, today=TODAY)


def test_platform_missing_is_never_raised_once_entered_even_if_late():
    facts = replace(CLEAN, platform_entered_on=FILED + timedelta(100))
    found = codes(facts, today=TODAY)
    assert PLATFORM_MISSING not in found
    assert PLATFORM_LATE in found


def test_late_platform_entry_does_not_depend_on_today():
    facts = replace(CLEAN, platform_entered_on=FILED + timedelta(31))
    assert codes(facts, today=FILED + timedelta(31)) == codes(facts, today=date(2030, 1, 1))


# ---------------------------------------------------------------------------- together


def test_a_contract_breaking_every_rule_gets_every_flag():
    facts = LegalFacts(
        signed_on=SIGNED,
        delegates_total=30,
        delegates_present=12,
        votes_for=10,
        effective_on=date(2026, 1, 1),
        expires_on=date(2026, 6, 30),
        submitted_on=None,
        lowest_wage=Decimal("1800"),
        filed_on=FILED,
        platform_entered_on=None,
    )
    assert codes(facts) == {
        ART36_VOTES,
        ART36_ATTENDANCE,
        ART38_TERM,
        ART42_MISSING,
        MIN_WAGE,
        PLATFORM_MISSING,
    }
    # each flag appears once
    assert len(flags_of(facts)) == 6
