"""2027 targets (SPEC §8), pure over plain rows — tested without a database.

到2027年，试点地区75%的已建会规模以上企业拓展协商内容不少于3项，其余县(市、区)不少于2项。

For a county at a date: the eligible enterprises are those with a union and above scale; an
enterprise *counts* when the distinct expansion items across every contract in force that
day and covering it (its own, plus industry/regional contracts listing it) number at least K
(3 for pilots, 2 otherwise). Only the latest version of each contract counts; a version is
in force from 生效日期 to 期满日期 inclusive. Baseline items (W01–W03) and N01 never count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

PLAN_START = date(2025, 2, 1)
DEADLINE = date(2027, 12, 31)
TARGET_SHARE = 0.75


@dataclass(frozen=True)
class CountyRow:
    id: int
    code: str
    name: str
    pilot: bool
    required_items: int
    target_share: float


@dataclass(frozen=True)
class EnterpriseRow:
    id: int
    county_id: int
    has_union: bool
    above_scale: bool

    @property
    def eligible(self) -> bool:
        return self.has_union and self.above_scale


@dataclass(frozen=True)
class ContractRow:
    """The latest version of one contract: its term, the enterprises it covers, its items."""

    effective_on: date
    expires_on: date
    covers: tuple[int, ...]  # enterprise ids (its own enterprise, or the coverage list)
    items: frozenset[str]

    def in_force(self, day: date) -> bool:
        return self.effective_on <= day <= self.expires_on


@dataclass(frozen=True)
class CountyCount:
    county_id: int
    eligible: int
    counted: int
    with_contract: int = 0  # eligible enterprises covered by at least one contract in force

    @property
    def rate(self) -> float | None:
        return None if self.eligible == 0 else self.counted / self.eligible


def expansion_items_by_enterprise(
    contracts: Iterable[ContractRow], expansion_codes: frozenset[str], day: date
) -> dict[int, set[str]]:
    """Enterprise id -> the distinct expansion items of the contracts in force on ``day``."""
    items: dict[int, set[str]] = defaultdict(set)
    for contract in contracts:
        if not contract.in_force(day):
            continue
        codes = contract.items & expansion_codes
        for enterprise_id in contract.covers:
            items[enterprise_id] |= codes
    return items


def count_counties(
    counties: Sequence[CountyRow],
    enterprises: Iterable[EnterpriseRow],
    contracts: Iterable[ContractRow],
    expansion_codes: frozenset[str],
    day: date,
) -> dict[int, CountyCount]:
    items = expansion_items_by_enterprise(contracts, expansion_codes, day)
    required = {c.id: c.required_items for c in counties}
    eligible: dict[int, int] = defaultdict(int)
    counted: dict[int, int] = defaultdict(int)
    covered: dict[int, int] = defaultdict(int)
    for ent in enterprises:
        if not ent.eligible or ent.county_id not in required:
            continue
        eligible[ent.county_id] += 1
        own = items.get(ent.id)
        if own is not None:
            covered[ent.county_id] += 1
            if len(own) >= required[ent.county_id]:
                counted[ent.county_id] += 1
    return {c.id: CountyCount(c.id, eligible[c.id], counted[c.id], covered[c.id]) for c in counties}


def trajectory(
    start_rate: float,
    day: date,
    target: float = TARGET_SHARE,
    start: date = PLAN_START,
    end: date = DEADLINE,
) -> float:
    """The straight line from the plan-start rate (2025-02-01) to the target on 2027-12-31."""
    if day <= start:
        return start_rate
    if day >= end:
        return target
    return start_rate + (target - start_rate) * (day - start).days / (end - start).days


def projected_rate(points: Sequence[tuple[date, float]], end: date = DEADLINE) -> float | None:
    """Least-squares trend through ``points`` (date, rate), read at ``end``. None without 2 points."""
    if len(points) < 2:
        return None
    xs = [p[0].toordinal() for p in points]
    ys = [p[1] for p in points]
    n = len(points)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return mean_y + slope * (end.toordinal() - mean_x)


@dataclass(frozen=True)
class CountyTarget:
    county: str
    name: str
    pilot: bool
    eligible: int
    counted: int
    rate: float | None
    required_items: int
    target_share: float
    trajectory: float | None
    behind: bool
    projected_miss: bool

    def as_json(self) -> dict[str, object]:
        return {
            "county": self.county,
            "name": self.name,
            "pilot": self.pilot,
            "eligible": self.eligible,
            "counted": self.counted,
            "rate": None if self.rate is None else round(self.rate, 6),
            "required_items": self.required_items,
            "target_share": self.target_share,
            "trajectory": None if self.trajectory is None else round(self.trajectory, 6),
            "behind": self.behind,
            "projected_miss": self.projected_miss,
        }


def county_targets(
    counties: Sequence[CountyRow],
    today_counts: Mapping[int, CountyCount],
    start_rates: Mapping[int, float | None],
    history: Mapping[int, Sequence[tuple[date, float]]],
    day: date,
) -> list[CountyTarget]:
    """Rate, trajectory, ``behind`` and ``projected_miss`` per county.

    ``history`` holds each county's monthly snapshots before ``day`` (date, rate); the last six
    make the trend (SPEC §8). A county with no eligible enterprise is never flagged.
    """
    result = []
    for c in counties:
        count = today_counts[c.id]
        rate = count.rate
        start = start_rates.get(c.id)
        line = (
            None
            if rate is None
            else trajectory(start if start is not None else rate, day, c.target_share)
        )
        behind = rate is not None and line is not None and rate < line
        projected_miss = False
        if rate is not None:
            # the trend of the last six monthly snapshots; with fewer than two there is no
            # trend, and SPEC §8 says: projected miss = behind
            projected = projected_rate(list(history.get(c.id, ()))[-6:])
            projected_miss = behind if projected is None else projected < c.target_share
        result.append(
            CountyTarget(
                c.code,
                c.name,
                c.pilot,
                count.eligible,
                count.counted,
                rate,
                c.required_items,
                c.target_share,
                line,
                behind,
                projected_miss,
            )
        )
    return result
