"""按照层级约谈 — who is interviewed when rectifications are overdue (pure).

1. an overdue rectification → the county union interviews the enterprise leader
   (one county interview per enterprise covers all its overdue items not yet covered);
2. still overdue 30 days after its deadline, or a county with ≥ 5 overdue rectifications →
   the city union interviews the county union (one per county per run).
Each rectification is covered at most once per level, so running it again changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

COUNTY, CITY = "county", "city"
LEVEL_LABELS = {COUNTY: "县级约谈（约谈企业负责人）", CITY: "市级约谈（约谈县级工会负责人）"}


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
    reason: str = ""


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
                f"{len(group)} 项整改逾期未完成",
            )
        )
    per_county: dict[int, list[OpenItem]] = defaultdict(list)
    for item in overdue:
        per_county[item.county_id].append(item)
    for county_id, group in sorted(per_county.items()):
        uncovered = [i for i in group if i.rectification_id not in covered.get(CITY, set())]
        long_overdue = [
            i for i in uncovered if today >= i.deadline + timedelta(days=city_after_days)
        ]
        many = len(group) >= county_overdue_threshold
        if not long_overdue and not (many and uncovered):
            continue
        chosen = uncovered if many else long_overdue
        reasons = []
        if long_overdue:
            reasons.append(f"{len(long_overdue)} 项整改逾期超过 {city_after_days} 日")
        if many:
            reasons.append(
                f"本县(市、区)逾期未整改 {len(group)} 项（≥ {county_overdue_threshold} 项）"
            )
        plans.append(
            PlannedInterview(
                CITY,
                county_id,
                None,
                sorted(i.rectification_id for i in chosen),
                "；".join(reasons),
            )
        )
    return plans
