"""按照层级约谈 — who is interviewed when rectifications are overdue (pure).

1. an overdue rectification → the county union interviews the enterprise leader
   (one county interview per enterprise covers all its overdue items not yet covered);
2. still overdue 30 days after becoming overdue (overdue from deadline + 1, so today ≥
   deadline + 31), or a county with ≥ 5 overdue rectifications →
   the city union interviews the county union (one per county per run).
Each rectification is covered at most once per level, so running it again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from audits.checklist import Labels
from core.i18n import N_, Msg

COUNTY, CITY = "county", "city"
LEVEL_LABELS = Labels(
    {COUNTY: N_("县级约谈（约谈企业负责人）"), CITY: N_("市级约谈（约谈县级工会负责人）")}
)


@dataclass(frozen=True)
class OpenItem:
    rectification_id: int
    county_id: int
    enterprise_id: int | None
    deadline: date


@dataclass
class PlannedInterview:
    level: str
    county_id: int
    enterprise_id: int | None
    rectification_ids: list[int] = field(default_factory=list)
    reason: str = ""  # a Msg: stored (Interview.reason) and shown in the reader's language


def plan_escalation(
    items: Iterable[OpenItem],
    covered: Mapping[str, set[int]],
    today: date,
    city_after_days: int = 30,
    county_overdue_threshold: int = 5,
) -> list[PlannedInterview]:
    """The interviews to open today. ``covered[level]`` holds rectification ids already covered."""
    overdue = [i for i in items if today > i.deadline]
    plans: list[PlannedInterview] = []
    by_enterprise: dict[tuple[int, int | None], list[OpenItem]] = defaultdict(list)
    for item in overdue:
        if item.rectification_id not in covered.get(COUNTY, set()):
            by_enterprise[(item.county_id, item.enterprise_id)].append(item)
    for (county_id, enterprise_id), group in sorted(
        by_enterprise.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        plans.append(
            PlannedInterview(
                COUNTY,
                county_id,
                enterprise_id,
                sorted(i.rectification_id for i in group),
                Msg("%(n)s 项整改逾期未完成", n=len(group)),
            )
        )
    per_county: dict[int, list[OpenItem]] = defaultdict(list)
    for item in overdue:
        per_county[item.county_id].append(item)
    for county_id, group in sorted(per_county.items()):
        uncovered = [i for i in group if i.rectification_id not in covered.get(CITY, set())]
        # overdue from deadline + 1; "30 days after becoming overdue" is deadline + 31
        long_overdue = [
            i for i in uncovered if today >= i.deadline + timedelta(days=city_after_days + 1)
        ]
        many = len(group) >= county_overdue_threshold
        if not long_overdue and not (many and uncovered):
            continue
        chosen = uncovered if many else long_overdue
        reasons: list[Msg] = []
        if long_overdue:
            reasons.append(
                Msg(
                    "%(n)s 项整改逾期超过 %(days)s 日",
                    n=len(long_overdue),
                    days=city_after_days,
                )
            )
        if many:
            reasons.append(
                Msg(
                    "本县(市、区)逾期未整改 %(n)s 项（≥ %(threshold)s 项）",
                    n=len(group),
                    threshold=county_overdue_threshold,
                )
            )
        plans.append(
            PlannedInterview(
                CITY,
                county_id,
                None,
                sorted(i.rectification_id for i in chosen),
                reasons[0]
                if len(reasons) == 1
                else Msg("%(first)s；%(second)s", first=reasons[0], second=reasons[1]),
            )
        )
    return plans
