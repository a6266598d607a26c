"""The 2027 target computation (SPEC §8), pure: crafted rows whose rates are known by hand.
The counter (tests/target_oracle.py) is the oracle the SQL counts are checked against."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reports.api_fields import TARGET
from reports.targets import (
    DEADLINE,
    PLAN_START,
    TARGET_SHARE,
    CountyCount,
    CountyRow,
    county_targets,
    projected_rate,
    trajectory,
)
from tests.target_oracle import (
    ContractRow,
    EnterpriseRow,
    count_counties,
    expansion_items_by_enterprise,
)

# The catalogue of SPEC §2: baseline W01–W03 and 其他 N01 are not expansion items.
BASELINE = frozenset({"W01", "W02", "W03"})
EXPANSION = frozenset(
    {
        *(f"W0{i}" for i in (4, 5, 6)),
        *(f"S0{i}" for i in range(1, 8)),
        "D01",
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
    }
)

WY = CountyRow(1, "WY", "武义县", True, 3, 0.75)  # pilot: K = 3
YW = CountyRow(2, "YW", "义乌市", False, 2, 0.75)  # other: K = 2
PA = CountyRow(3, "PA", "磐安县", False, 2, 0.75)
COUNTIES = (WY, YW, PA)
DAY = date(2026, 11, 25)
# Days from 2025-02-01 to 2027-12-31: 365 (to 2026-02-01) + 365 (to 2027-02-01)
# + 333 (Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31, Aug 31, Sep 30, Oct 31, Nov 30, Dec 30).
PLAN_DAYS = 1063


def ent(eid: int, county: CountyRow, union: bool = True, above: bool = True) -> EnterpriseRow:
    return EnterpriseRow(eid, county.id, union, above)


def contract(
    *covers: int,
    items: set[str],
    effective: date = date(2026, 1, 1),
    expires: date = date(2028, 12, 31),
) -> ContractRow:
    return ContractRow(effective, expires, tuple(covers), frozenset(items))


def counts(enterprises, contracts, day: date = DAY) -> dict[int, CountyCount]:
    return count_counties(COUNTIES, enterprises, contracts, EXPANSION, day)


# ---------------------------------------------------------------------------- counting


def test_pilot_needs_three_items_other_counties_two():
    enterprises = [ent(10, WY), ent(11, WY), ent(20, YW)]
    contracts = [
        contract(10, items={"W01", "S01", "A01"}),  # 2 expansion items in a pilot: not enough
        contract(11, items={"W01", "S01", "A01", "T01"}),  # 3 in a pilot: counts
        contract(20, items={"W01", "S01", "A01"}),  # 2 in a non-pilot: counts
    ]
    result = counts(enterprises, contracts)
    assert (result[WY.id].eligible, result[WY.id].counted) == (2, 1)
    assert result[WY.id].rate == 0.5
    assert (result[YW.id].eligible, result[YW.id].counted) == (1, 1)
    assert result[YW.id].rate == 1.0


def test_exactly_two_items_counts_in_a_non_pilot_and_not_in_a_pilot():
    items = {"S01", "A01"}
    result = counts(
        [ent(10, WY), ent(20, YW)], [contract(10, items=items), contract(20, items=items)]
    )
    assert result[WY.id].counted == 0
    assert result[YW.id].counted == 1


def test_industry_contract_items_union_with_own_contract():
    enterprises = [ent(10, WY), ent(11, WY), ent(20, YW)]
    contracts = [
        contract(10, items={"W01", "S01", "A01"}),
        # an industry contract covering two WY enterprises: A01 again, and T01
        contract(10, 11, items={"W02", "A01", "T01"}),
        # a regional contract covering a YW enterprise that has no contract of its own
        contract(20, items={"H01", "B02"}),
    ]
    by_ent = expansion_items_by_enterprise(contracts, EXPANSION, DAY)
    assert by_ent[10] == {"S01", "A01", "T01"}  # A01 counted once
    assert by_ent[11] == {"A01", "T01"}
    assert by_ent[20] == {"H01", "B02"}
    result = counts(enterprises, contracts)
    assert result[WY.id].counted == 1  # only 10 reaches 3 through the union
    assert result[WY.id].with_contract == 2
    assert result[YW.id].counted == 1 and result[YW.id].rate == 1.0


def test_distinct_codes_are_counted_once_across_contracts():
    contracts = [contract(10, items={"S01", "A01"}), contract(10, items={"S01", "A01"})]
    result = counts([ent(10, WY)], contracts)
    assert expansion_items_by_enterprise(contracts, EXPANSION, DAY)[10] == {"S01", "A01"}
    assert result[WY.id].counted == 0  # 2 distinct items, the pilot needs 3


def test_baseline_and_other_items_never_count():
    assert not BASELINE & EXPANSION and "N01" not in EXPANSION
    only_one = {"W01", "W02", "W03", "N01", "S01"}
    result = counts([ent(20, YW)], [contract(20, items=only_one)])
    assert result[YW.id].counted == 0
    assert expansion_items_by_enterprise([contract(20, items=only_one)], EXPANSION, DAY)[20] == {
        "S01"
    }
    result = counts([ent(20, YW)], [contract(20, items=only_one | {"A01"})])
    assert result[YW.id].counted == 1


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        (date(2026, 6, 30), False),  # not yet effective
        (date(2026, 7, 1), True),  # the effective day
        (date(2027, 3, 15), True),
        (date(2027, 6, 30), True),  # the expiry day
        (date(2027, 7, 1), False),  # expired
    ],
)
def test_in_force_inclusive_on_both_days(day: date, in_force: bool):
    row = contract(20, items={"S01", "A01"}, effective=date(2026, 7, 1), expires=date(2027, 6, 30))
    assert row.in_force(day) is in_force
    result = counts([ent(20, YW)], [row], day)
    assert result[YW.id].eligible == 1
    assert result[YW.id].counted == (1 if in_force else 0)
    assert result[YW.id].with_contract == (1 if in_force else 0)
    assert result[YW.id].rate == (1.0 if in_force else 0.0)


def test_expired_and_future_contracts_do_not_add_items():
    contracts = [
        contract(10, items={"S01"}, effective=date(2026, 1, 1), expires=date(2028, 12, 31)),
        contract(10, items={"A01", "T01"}, effective=date(2023, 1, 1), expires=date(2025, 12, 31)),
        contract(
            10, items={"H01", "H02"}, effective=date(2026, 11, 26), expires=date(2029, 11, 25)
        ),
    ]
    assert expansion_items_by_enterprise(contracts, EXPANSION, DAY)[10] == {"S01"}
    assert counts([ent(10, WY)], contracts)[WY.id].counted == 0
    # the day after, the future one is in force and brings the count to 3
    assert counts([ent(10, WY)], contracts, DAY + timedelta(days=1))[WY.id].counted == 1


def test_enterprises_without_union_or_below_scale_are_not_eligible():
    rich = {"S01", "S02", "A01", "T01", "H01"}
    enterprises = [
        ent(10, WY, union=False),
        ent(11, WY, above=False),
        ent(12, WY, union=False, above=False),
        ent(13, WY),
    ]
    contracts = [contract(e.id, items=rich) for e in enterprises[:3]]
    result = counts(enterprises, contracts)
    assert result[WY.id].eligible == 1  # only 13
    assert result[WY.id].counted == 0
    assert result[WY.id].with_contract == 0
    assert result[WY.id].rate == 0.0


def test_county_without_eligible_enterprise_has_no_rate():
    enterprises = [ent(30, PA, union=False), ent(31, PA, above=False)]
    result = counts(enterprises, [contract(30, 31, items={"S01", "A01"})])
    assert result[PA.id].eligible == 0 and result[PA.id].counted == 0
    assert result[PA.id].rate is None
    # a county with no enterprise at all is still in the result
    assert result[YW.id].eligible == 0 and result[YW.id].rate is None


def test_with_contract_counts_eligible_enterprises_covered_by_an_in_force_contract():
    enterprises = [ent(20, YW), ent(21, YW), ent(22, YW), ent(23, YW), ent(24, YW, union=False)]
    contracts = [
        contract(20, items={"W01"}),  # in force, no expansion item: has a contract, not counted
        contract(21, 22, items={"S01", "A01"}),  # industry contract: both covered, both counted
        contract(23, items={"S01", "A01"}, expires=date(2026, 1, 31)),  # expired
        contract(24, items={"S01", "A01"}),  # not eligible
    ]
    result = counts(enterprises, contracts)[YW.id]
    assert (result.eligible, result.with_contract, result.counted) == (4, 3, 2)
    assert result.rate == 0.5


# ---------------------------------------------------------------------------- trajectory


def test_plan_dates_and_length():
    assert date(2025, 2, 1) == PLAN_START
    assert date(2027, 12, 31) == DEADLINE
    assert TARGET_SHARE == 0.75
    assert (DEADLINE - PLAN_START).days == PLAN_DAYS


def test_trajectory_runs_from_start_rate_to_75_percent():
    assert trajectory(0.2, PLAN_START) == pytest.approx(0.2)
    assert trajectory(0.2, DEADLINE) == pytest.approx(0.75)
    assert trajectory(0.2, date(2024, 12, 31)) == pytest.approx(0.2)  # before the plan
    assert trajectory(0.2, date(2028, 6, 1)) == pytest.approx(0.75)  # after the deadline
    # 2026-02-01 is 365 days into the 1063-day plan
    assert trajectory(0.0, date(2026, 2, 1)) == pytest.approx(0.75 * 365 / PLAN_DAYS)
    # 2026-11-25: 365 + 273 (to 2026-11-01) + 24 = 662 days in
    assert trajectory(0.0, DAY) == pytest.approx(0.75 * 662 / PLAN_DAYS)


def test_trajectory_is_linear_through_the_midpoint():
    # halfway between 0.15 and 0.75 is 0.45, reached between day 531 (2026-07-17) and day 532
    day_531 = date(2026, 7, 17)
    assert (day_531 - PLAN_START).days == 531
    assert trajectory(0.15, day_531) == pytest.approx(0.15 + 0.6 * 531 / PLAN_DAYS)
    assert trajectory(0.15, day_531) < 0.45 < trajectory(0.15, day_531 + timedelta(days=1))
    a, b, c = (trajectory(0.15, day_531 + timedelta(days=k)) for k in (0, 100, 200))
    assert b - a == pytest.approx(c - b)  # equal steps for equal days
    assert b - a == pytest.approx(0.6 * 100 / PLAN_DAYS)


# ---------------------------------------------------------------------------- projected rate


def test_projected_rate_least_squares_collinear():
    d0 = DEADLINE - timedelta(days=40)
    points = [(d0, 0.1), (d0 + timedelta(days=10), 0.2), (d0 + timedelta(days=20), 0.3)]
    # slope 0.01 a day; 40 days after d0 the line is at 0.1 + 0.4
    assert projected_rate(points) == pytest.approx(0.5)


def test_projected_rate_least_squares_by_hand():
    d0 = date(2026, 1, 1)
    points = [(d0, 0.0), (d0 + timedelta(days=1), 1.0), (d0 + timedelta(days=2), 0.5)]
    # x 0,1,2 (mean 1), y 0,1,0.5 (mean 0.5): Sxx = 2, Sxy = 0.5, slope 0.25
    # at x = 5: 0.5 + 0.25 * (5 - 1) = 1.5
    assert projected_rate(points, end=d0 + timedelta(days=5)) == pytest.approx(1.5)
    assert projected_rate(points, end=d0 + timedelta(days=1)) == pytest.approx(0.5)


def test_projected_rate_needs_two_points_and_distinct_dates():
    assert projected_rate([]) is None
    assert projected_rate([(DAY, 0.4)]) is None
    assert projected_rate([(DAY, 0.2), (DAY, 0.4)]) == pytest.approx(0.3)


# ---------------------------------------------------------------------------- county targets


def _firsts(months: int, last: date = date(2026, 11, 1)) -> list[date]:
    """The first day of ``months`` consecutive months ending with ``last``."""
    out = []
    year, month = last.year, last.month
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _one(
    county: CountyRow,
    eligible: int,
    counted: int,
    start: float | None,
    history=(),
    day: date = DAY,
):
    today = {c.id: CountyCount(c.id, 0, 0) for c in COUNTIES}
    today[county.id] = CountyCount(county.id, eligible, counted)
    rows = county_targets(COUNTIES, today, {county.id: start}, {county.id: list(history)}, day)
    assert [r.county for r in rows] == ["WY", "YW", "PA"]
    return next(r for r in rows if r.county == county.code)


def test_behind_when_under_the_trajectory():
    day = date(2026, 2, 1)  # 365 days in
    line = 0.2 + 0.55 * 365 / PLAN_DAYS  # 0.38885...
    behind = _one(YW, 20, 7, 0.2, day=day)  # 0.35
    assert behind.rate == pytest.approx(0.35)
    assert behind.trajectory == pytest.approx(line)
    assert behind.behind is True
    ahead = _one(YW, 20, 8, 0.2, day=day)  # 0.40
    assert ahead.trajectory == pytest.approx(line)
    assert ahead.behind is False


def test_on_the_line_is_not_behind_and_missing_start_rate_uses_todays():
    at_start = _one(WY, 10, 3, 0.3, day=PLAN_START)
    assert at_start.trajectory == pytest.approx(0.3) and at_start.behind is False
    no_start = _one(WY, 10, 3, None, day=DAY)
    assert no_start.trajectory == pytest.approx(0.3 + 0.45 * 662 / PLAN_DAYS)
    assert no_start.behind is True  # the line has risen since the start


def test_projected_miss_rising_trend_reaches_target():
    days = _firsts(6, date(2026, 10, 1))  # 2026-05-01 .. 2026-10-01
    history = list(zip(days, [0.40, 0.43, 0.46, 0.49, 0.52, 0.55], strict=True))
    row = _one(YW, 100, 58, 0.1, history, day=date(2026, 11, 1))
    # about +3 points a month; 14 more months to the deadline: well above 75%
    assert projected_rate([*history, (date(2026, 11, 1), 0.58)]) > 0.9
    assert row.projected_miss is False


def test_projected_miss_flat_trend_below_target():
    days = _firsts(6, date(2026, 10, 1))
    history = [(d, 0.5) for d in days]
    row = _one(YW, 100, 50, 0.5, history, day=date(2026, 11, 1))
    assert row.projected_miss is True


def test_projected_miss_falling_trend_even_when_target_met_today():
    days = _firsts(6, date(2026, 10, 1))
    history = list(zip(days, [0.98, 0.95, 0.92, 0.89, 0.86, 0.83], strict=True))
    row = _one(YW, 100, 80, 0.1, history, day=date(2026, 11, 1))
    assert row.rate == pytest.approx(0.8) and row.behind is False
    assert row.projected_miss is True


def test_projected_miss_reads_only_the_last_six_snapshots():
    days = _firsts(12, date(2026, 10, 1))
    # six old snapshots at 0 and six recent ones flat at 0.6: with all twelve the trend
    # would rise steeply past 75%; the last six are flat at 60%
    history = [(d, 0.0) for d in days[:6]] + [(d, 0.6) for d in days[6:]]
    assert projected_rate([*history, (date(2026, 11, 1), 0.6)]) > 0.75
    row = _one(YW, 10, 6, 0.0, history, day=date(2026, 11, 1))
    assert row.projected_miss is True


def test_with_fewer_than_two_snapshots_projected_miss_is_behind():
    """SPEC §8: "(with fewer than two snapshots: projected miss = behind)"."""
    line = 0.75 * 662 / PLAN_DAYS  # about 0.467 on DAY, from 0 at plan start
    # no snapshot: 50% is above the line, so not behind and not a projected miss,
    # although 50% is below the 75% target
    ahead = _one(YW, 4, 2, 0.0)
    assert ahead.trajectory == pytest.approx(line)
    assert (ahead.behind, ahead.projected_miss) == (False, False)
    behind = _one(YW, 10, 4, 0.0)  # 40% under the line
    assert (behind.behind, behind.projected_miss) == (True, True)
    # one snapshot (far below the target) is still no trend: projected miss = behind
    one = [(date(2026, 11, 1), 0.05)]
    assert _one(YW, 4, 2, 0.0, one).projected_miss is False
    assert _one(YW, 10, 4, 0.0, one).projected_miss is True


def test_county_without_eligible_enterprise_is_never_flagged():
    days = _firsts(6, date(2026, 10, 1))
    low_history = [(d, 0.01) for d in days]
    row = _one(PA, 0, 0, 0.5, low_history)
    assert row.rate is None
    assert row.trajectory is None
    assert row.behind is False
    assert row.projected_miss is False
    record = TARGET.dump(row)
    assert record["rate"] is None and record["behind"] is False
    assert record["projected_miss"] is False


def test_the_json_record_has_the_spec_keys():
    record = TARGET.dump(_one(WY, 8, 2, 0.0))
    assert list(record) == [
        "county",
        "name",
        "pilot",
        "eligible",
        "counted",
        "rate",
        "required_items",
        "target_share",
        "trajectory",
        "behind",
        "projected_miss",
    ]
    assert record["county"] == "WY" and record["name"] == "武义县"
    assert record["pilot"] is True and record["required_items"] == 3
    assert record["eligible"] == 8 and record["counted"] == 2
    assert record["rate"] == pytest.approx(0.25)
    assert record["target_share"] == 0.75
    assert record["trajectory"] == pytest.approx(0.75 * 662 / PLAN_DAYS, abs=1e-6)
    assert record["behind"] is True and record["projected_miss"] is True
