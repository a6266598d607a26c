"""Automatic pre-audit flags (法定要件预审): legal checks that flag a filed contract, never reject it.

集体合同规定 (Provisions on Collective Contracts, 2004): Art. 36 approval and attendance,
Art. 38 term, Art. 42 submission to the labour bureau; plus the county minimum wage and
备案一家、录入一家 (entry on the national union platform within 30 days of filing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.i18n import Msg, _l

ART36_VOTES = "ART36_VOTES"
ART36_ATTENDANCE = "ART36_ATTENDANCE"
ART38_TERM = "ART38_TERM"
ART42_LATE = "ART42_LATE"
ART42_MISSING = "ART42_MISSING"
MIN_WAGE = "MIN_WAGE"
PLATFORM_LATE = "PLATFORM_LATE"
PLATFORM_MISSING = "PLATFORM_MISSING"

FLAG_TITLES = {
    ART36_VOTES: _l("赞成票不足全体职工代表半数（第36条）"),
    ART36_ATTENDANCE: _l("出席代表不足三分之二（第36条）"),
    ART38_TERM: _l("合同期限不在1至3年之间（第38条）"),
    ART42_LATE: _l("签订后超过10日才报送（第42条）"),
    ART42_MISSING: _l("未报送劳动保障行政部门审查（第42条）"),
    MIN_WAGE: _l("最低工资低于当地最低工资标准"),
    PLATFORM_LATE: _l("备案后超过30日才录入全国平台"),
    PLATFORM_MISSING: _l("备案超过30日仍未录入全国平台"),
}


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


@dataclass(frozen=True)
class LegalFacts:
    """What the checks need to know of one contract version."""

    signed_on: date
    delegates_total: int
    delegates_present: int
    votes_for: int
    effective_on: date
    expires_on: date
    submitted_on: date | None
    lowest_wage: Decimal | None
    #: the contract's first filing: the platform's 30 days run from it (SPEC §4)
    filed_on: date
    platform_entered_on: date | None


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def term_within_limits(effective_on: date, expires_on: date) -> bool:
    """Art. 38: a term of 1 to 3 years, counted inclusively (2026-01-01..2028-12-31 is 3 years)."""
    end_exclusive = expires_on + timedelta(days=1)
    return add_years(effective_on, 1) <= end_exclusive <= add_years(effective_on, 3)


def legal_flags(
    facts: LegalFacts,
    minimum_wage: Decimal,
    today: date,
    submit_days: int = 10,
    platform_days: int = 30,
) -> list[Flag]:
    """Every pre-audit flag that applies to ``facts`` as of ``today``."""
    flags: list[Flag] = []
    # 半数以上 / 三分之二以上 include the number itself (Civil Code Art. 1259): exactly half passes
    if facts.votes_for * 2 < facts.delegates_total:
        flags.append(
            Flag(
                ART36_VOTES,
                Msg(
                    "赞成票 %(votes)s 票，不足全体职工代表 %(total)s 人的半数"
                    "（《集体合同规定》第三十六条）",
                    votes=facts.votes_for,
                    total=facts.delegates_total,
                ),
            )
        )
    if facts.delegates_present * 3 < facts.delegates_total * 2:
        flags.append(
            Flag(
                ART36_ATTENDANCE,
                Msg(
                    "出席代表 %(present)s 人，不足全体职工代表 %(total)s 人的三分之二"
                    "（《集体合同规定》第三十六条）",
                    present=facts.delegates_present,
                    total=facts.delegates_total,
                ),
            )
        )
    if not term_within_limits(facts.effective_on, facts.expires_on):
        flags.append(
            Flag(
                ART38_TERM,
                Msg(
                    "合同期限 %(start)s 至 %(end)s，不在1至3年之间（《集体合同规定》第三十八条）",
                    start=facts.effective_on.isoformat(),
                    end=facts.expires_on.isoformat(),
                ),
            )
        )
    if facts.submitted_on is None:
        flags.append(
            Flag(
                ART42_MISSING,
                Msg("未填写报送劳动保障行政部门的日期（《集体合同规定》第四十二条）"),
            )
        )
    elif (facts.submitted_on - facts.signed_on).days > submit_days:
        days = (facts.submitted_on - facts.signed_on).days
        flags.append(
            Flag(
                ART42_LATE,
                Msg(
                    "签订后第 %(days)s 日才报送，超过 %(limit)s 日时限（《集体合同规定》第四十二条）",
                    days=days,
                    limit=submit_days,
                ),
            )
        )
    if facts.lowest_wage is not None and facts.lowest_wage < minimum_wage:
        flags.append(
            Flag(
                MIN_WAGE,
                Msg(
                    "合同最低工资 %(wage)s 元/月，低于当地最低工资标准 %(minimum)s 元/月",
                    wage=str(facts.lowest_wage),
                    minimum=str(minimum_wage),
                ),
            )
        )
    platform = platform_late(facts.filed_on, facts.platform_entered_on, platform_days) or (
        platform_missing(facts.filed_on, facts.platform_entered_on, today, platform_days)
    )
    if platform is not None:
        flags.append(platform)
    return flags


#: flags that hold "as of today" (SPEC §4): computed whenever they are read, never stored
AS_OF_TODAY = frozenset({PLATFORM_MISSING})


def platform_late(
    first_filed_on: date, platform_entered_on: date | None, platform_days: int = 30
) -> Flag | None:
    """备案一家、录入一家: entered on the platform more than ``platform_days`` after the
    contract's first filing."""
    if platform_entered_on is None:
        return None
    late = (platform_entered_on - first_filed_on).days
    if late <= platform_days:
        return None
    return Flag(
        PLATFORM_LATE,
        Msg(
            "备案后第 %(days)s 日才录入全国工会集体协商信息化平台（应在 %(limit)s 日内）",
            days=late,
            limit=platform_days,
        ),
    )


def platform_missing(
    first_filed_on: date, platform_entered_on: date | None, today: date, platform_days: int = 30
) -> Flag | None:
    """Not on the platform ``platform_days`` after the contract's first filing, as of ``today``."""
    if platform_entered_on is not None or (today - first_filed_on).days <= platform_days:
        return None
    return Flag(
        PLATFORM_MISSING,
        Msg(
            "备案已超过 %(limit)s 日仍未录入全国工会集体协商信息化平台（备案一家、录入一家）",
            limit=platform_days,
        ),
    )
