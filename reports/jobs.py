"""Monthly target snapshots (edge: commits). Back-filled on the scheduler's first run."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import IntegrityError

from core.clock import local_today
from core.db import db
from reports.services import backfill_snapshots


def snapshot_job() -> int:
    try:
        added = backfill_snapshots(local_today())  # this month's 1st, and any month missed
        db.session.commit()
        return added
    except IntegrityError:
        db.session.rollback()  # another process stored the same snapshot
        return 0


def register_jobs(app: Flask) -> None:
    app.extensions.setdefault("scheduled_jobs", []).append(
        (
            "monthly_target_snapshot",
            {"trigger": "cron", "day": 1, "hour": 3, "minute": 0},
            snapshot_job,
        )
    )
    app.extensions.setdefault("startup_jobs", []).append(("target_snapshot_backfill", snapshot_job))
