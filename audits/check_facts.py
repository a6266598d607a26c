"""The facts beside each check of the audit checklist (pure): what the filing says and what
the contract text says, side by side. Nothing here decides a result; the inspector does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bargaining.recognition import Comparison, Facts
from core.i18n import _


@dataclass(frozen=True)
class Fact:
    label: str
    filed: Any  # from the filing workbook (None: not filled in)
    text: Any = None  # read from the contract text (None: not found / no text)
    #: True when both are known and differ: worth a look
    differs: bool = False
    #: whether the contract text could state this fact at all
    in_text: bool = False


def _fact(label: str, filed: Any, text: Any = None) -> Fact:
    differs = filed is not None and text is not None and filed != text
    return Fact(label, filed, text, differs, in_text=True)


def _pct(part: int | None, whole: int | None) -> str | None:
    if part is None or not whole:
        return None
    return f"{part}/{whole} ({100 * part / whole:.0f}%)"


def check_facts(
    version: Any,
    facts: Facts | None,
    comparison: Comparison | None,
    minimum_wage: Decimal | None,
    tier: int | None,
) -> dict[str, list[Fact]]:
    """Per check code, the facts it needs: C1 votes and delegates, C3 lowest wage against the
    county's minimum-wage tier, C4 term, C5 submission, C6 platform entry, C7 the items."""
    f = facts or Facts()
    out: dict[str, list[Fact]] = {
        "C1": [
            _fact(_("职工代表总数"), version.delegates_total, f.delegates_total),
            _fact(_("出席代表数"), version.delegates_present, f.delegates_present),
            _fact(_("赞成票数"), version.votes_for, f.votes_for),
            Fact(
                _("赞成/全体代表"),
                _pct(version.votes_for, version.delegates_total),
                _pct(f.votes_for, f.delegates_total),
                in_text=True,
            ),
        ],
        "C3": [
            _fact(
                _("合同最低工资（元/月）"),
                version.lowest_wage,
                f.lowest_wage,
            ),
            Fact(
                _("当地最低工资标准（%(tier)s档）", tier=tier or "-"),
                minimum_wage,
            ),
        ],
        "C4": [
            _fact(_("生效日期"), version.effective_on, f.term_start),
            _fact(_("期满日期"), version.expires_on, f.term_end),
        ],
        "C5": [
            _fact(_("签订日期"), version.signed_on, f.signed_on),
            Fact(_("报送日期"), version.submitted_on),
            Fact(_("签订后天数"), _days(version.signed_on, version.submitted_on)),
        ],
        "C6": [
            Fact(_("备案日期"), version.filed_on),
            Fact(_("平台录入日期"), version.platform_entered_on),
            Fact(_("备案后天数"), _days(version.filed_on, version.platform_entered_on)),
        ],
    }
    if comparison is not None:  # there is a text: point at what C2 and C9 need, compare for C7
        out["C2"] = [Fact(_("签字处（文本）"), None, _source(f, "signatures"), in_text=True)]
        out["C9"] = [Fact(_("公布条款（文本）"), None, _source(f, "publication"), in_text=True)]
        out["C7"] = [
            Fact(_("已备案但文本中未找到"), "、".join(comparison.filed_not_found) or "—"),
            Fact(_("文本中有但未备案"), "、".join(comparison.found_not_filed) or "—"),
        ]
    return out


def _source(facts: Facts, name: str) -> str | None:
    passage = facts.sources.get(name)
    return passage.text if passage is not None else None


def _days(start: date | None, end: date | None) -> int | None:
    return (end - start).days if start and end else None
