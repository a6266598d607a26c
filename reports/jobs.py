"""Monthly target snapshots (edge: commits), and the lagging counties the visit plan needs."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bargaining.models import County
from core.clock import local_today
from core.db import db
from core.hooks import hooks
from reports import queries
from reports.services import backfill_snapshots, lagging_counties

FIGURES_EVERY_S = 10  # how soon after an import the job process has the figures ready


def snapshot_job() -> int:
    try:
        added = backfill_snapshots(local_today())  # this month's 1st, and any month missed
        db.session.commit()
        return added
    except IntegrityError:
        db.session.rollback()  # another process stored the same snapshot
        return 0


def figures_job() -> list[str]:
    """Refresh today's register figures after a change of the register (a no-op otherwise:
    one stamp query), so that the dashboards' first request after an import reads them."""
    try:
        refreshed = queries.refresh_figures(local_today())
        db.session.commit()
        return refreshed
    except IntegrityError:
        db.session.rollback()  # another process stored the same figures
        return []


def lagging_county_ids(day: date) -> set[int]:
    """Counties behind their trajectory or among the three worst: each gets 现场督导 in the plan."""
    behind, worst = lagging_counties(queries.county_targets(day))
    codes = behind | set(worst)
    return set(db.session.scalars(select(County.id).where(County.code.in_(codes))))


def register_jobs(app: Flask) -> None:
    hooks(app).lagging_counties = lagging_county_ids
    hooks(app).scheduled_jobs.append(
        (
            "monthly_target_snapshot",
            {"trigger": "cron", "day": 1, "hour": 3, "minute": 0},
            snapshot_job,
        )
    )
    hooks(app).scheduled_jobs.append(
        ("register_figures", {"trigger": "interval", "seconds": FIGURES_EVERY_S}, figures_job)
    )
    hooks(app).startup_jobs.append(("target_snapshot_backfill", snapshot_job))
    hooks(app).startup_jobs.append(("register_figures", figures_job))
