"""Monthly snapshots and the lagging counties (services: date as argument). Supervisions are
planned and recorded by their owner, :mod:`audits.supervisions`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from audits.rounds import Month
from core.db import db
from reports import queries, targets
from reports.models import CountySnapshot


def take_snapshot(day: date, backfilled: bool = False) -> int:
    """Store each county's position on ``day`` (the 1st of a month) unless already stored."""
    existing = set(
        db.session.scalars(select(CountySnapshot.county_id).where(CountySnapshot.taken_on == day))
    )
    counts = queries.counts_on(day)
    added = 0
    for county in queries.load_counties():
        if county.id in existing:
            continue
        c = counts[county.id]
        db.session.add(
            CountySnapshot(
                county_id=county.id,
                taken_on=day,
                eligible=c.eligible,
                counted=c.counted,
                with_contract=c.with_contract,
                rate=c.rate,
                backfilled=backfilled,
            )
        )
        added += 1
    db.session.flush()
    return added


def months_since_plan_start(today: date) -> list[date]:
    month = Month.of(targets.PLAN_START)
    last = Month.of(today)
    days = []
    while (month.year, month.month) <= (last.year, last.month):
        days.append(month.first)
        month = month.next()
    return days


def backfill_snapshots(today: date) -> int:
    """Snapshots for every 1st of the month since 2025-02-01 that has none (first run).

    Back-filled snapshots read eligibility from the registry as it stands today; they are
    marked ``backfilled`` so a report can say so.
    """
    stored = set(db.session.scalars(select(CountySnapshot.taken_on).distinct()))
    added = 0
    for day in months_since_plan_start(today):
        if day not in stored:
            added += take_snapshot(day, backfilled=True)
    return added


def lagging_counties(
    rows: list[targets.CountyTarget], worst: int = 3
) -> tuple[set[str], list[str]]:
    """Counties behind their trajectory, and the three worst by gap to the trajectory."""
    behind = {r.county for r in rows if r.behind}
    ranked = sorted(
        (r for r in rows if r.rate is not None and r.trajectory is not None),
        key=lambda r: (r.rate or 0) - (r.trajectory or 0),
    )
    return behind, [r.county for r in ranked[:worst]]
