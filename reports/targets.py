"""2027 targets (SPEC §8): trajectory, projection and each county's target row, pure.

到2027年，试点地区75%的已建会规模以上企业拓展协商内容不少于3项，其余县(市、区)不少于2项。

For a county at a date: the eligible enterprises are those with a union and above scale; an
enterprise *counts* when the distinct expansion items across every contract in force that
day and covering it (its own, plus industry/regional contracts listing it) number at least K
(3 for pilots, 2 otherwise). Only the latest version of each contract counts; a version is
in force from 生效日期 to 期满日期 inclusive. Baseline items (W01–W03) and N01 never count.

The database counts them (reports.queries.counts_on); tests/target_oracle.py counts the same
rule over plain rows, and the tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
class CountyCount:
    county_id: int
    eligible: int
    counted: int
    with_contract: int = 0  # eligible enterprises covered by at least one contract in force

    @property
    def rate(self) -> float | None:
        return None if self.eligible == 0 else self.counted / self.eligible


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
