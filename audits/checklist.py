"""The audit checklist C1–C9 (SPEC §6), the verdict and the deadline by severity (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from audits.audit_rules import Verdict
from core.i18n import N_, _
from core.lifecycle import Labels  # re-exported: checklist.Labels is used across audits

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "na"
RESULTS = (PASS, FAIL, NOT_APPLICABLE)
RESULT_LABELS = Labels({PASS: N_("符合"), FAIL: N_("不符合"), NOT_APPLICABLE: N_("不适用")})
CRITICAL, MAJOR, MINOR = "critical", "major", "minor"
SEVERITY_LABELS = Labels(
    {CRITICAL: N_("严重（立行立改）"), MAJOR: N_("较重（限期整改）"), MINOR: N_("一般")}
)
#: the verdict is stored as a code (audit.verdict) and shown with audit_rules.verdict_label
QUALIFIED, UNQUALIFIED = Verdict.QUALIFIED, Verdict.UNQUALIFIED


@dataclass(frozen=True)
class Check:
    code: str
    #: the title's msgid (Chinese); :attr:`title` is it in the reader's language
    title_id: str
    severity: str
    #: pre-audit flags (bargaining.legal_checks) that bear on this item
    flags: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return _(self.title_id)


CHECKLIST: tuple[Check, ...] = (
    Check(
        "C1",
        N_("经职工代表大会全体代表半数以上通过（第36条）"),
        CRITICAL,
        ("ART36_VOTES", "ART36_ATTENDANCE"),
    ),
    Check("C2", N_("双方首席代表签字"), CRITICAL),
    Check("C3", N_("最低工资不低于当地最低工资标准"), CRITICAL, ("MIN_WAGE",)),
    Check("C4", N_("合同期限在1至3年之间（第38条）"), MAJOR, ("ART38_TERM",)),
    Check(
        "C5",
        N_("签订后10日内报送劳动保障行政部门（第42条）"),
        MAJOR,
        ("ART42_LATE", "ART42_MISSING"),
    ),
    Check(
        "C6",
        N_("已录入全国工会集体协商信息化平台（备案一家、录入一家）"),
        MAJOR,
        ("PLATFORM_LATE", "PLATFORM_MISSING"),
    ),
    Check("C7", N_("备案的协商事项与合同文本一致"), MAJOR),
    Check("C8", N_("年度工资增长幅度和工资标准表述具体"), MINOR),
    Check("C9", N_("合同已向全体职工公布"), MINOR),
)
BY_CODE: dict[str, Check] = {c.code: c for c in CHECKLIST}


def verdict(results: Mapping[str, str]) -> Verdict:
    """合格 when no critical or major item fails, else 不合格."""
    failed = {code for code, result in results.items() if result == FAIL}
    return (
        UNQUALIFIED if any(BY_CODE[c].severity in (CRITICAL, MAJOR) for c in failed) else QUALIFIED
    )


def missing_results(results: Mapping[str, str]) -> list[str]:
    return [c.code for c in CHECKLIST if results.get(c.code) not in RESULTS]


def deadline(found_on: date, severity: str, days: Mapping[str, int]) -> date:
    """立行立改 7 days, 限期整改 30, minor 60 (settings)."""
    return found_on + timedelta(days=days[severity])
