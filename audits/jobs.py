"""Timed jobs and their by-hand twins (edges: these commit).

Every job is idempotent: a month is drawn once whatever the number of processes (the
``sample_round.month`` unique constraint decides the race; the loser reads the winner's
round), and escalation covers each rectification once per level.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from sqlalchemy.exc import IntegrityError

from audits import rounds
from audits.models import SampleRound
from audits.services import EscalationResult, escalate
from bargaining.services import fail_stale_uploads
from core.clock import local_today
from core.db import db, utcnow
from core.hooks import hooks
from core.models import User
from core.settings import get_setting


def draw_month_once(
    month: rounds.Month, seed: str | None, user: User | None, now: datetime
) -> tuple[SampleRound, bool]:
    """(the round, whether this call drew it). A month already drawn is returned as it is."""
    existing = rounds.get_round(str(month))
    if existing is not None:
        return existing, False
    try:
        round_ = rounds.draw_round(month, seed, user, now)
        db.session.commit()
        return round_, True
    except IntegrityError:
        db.session.rollback()  # another process drew this month first
        winner = rounds.get_round(str(month))
        if winner is None:
            raise
        return winner, False
    except Exception:
        db.session.rollback()
        raise


def catch_up(today: date, now: datetime | None = None) -> list[str]:
    """Draw every month that should have been drawn by now (scheduler start and the 1st)."""
    drawn = []
    for month in rounds.months_to_catch_up(today, get_setting("sampling_start_month") or None):
        _, fresh = draw_month_once(month, None, None, now or utcnow())
        if fresh:
            drawn.append(str(month))
    return drawn


def daily_escalation(today: date) -> EscalationResult:
    try:
        result = escalate(today)
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()  # another process escalated the same items at the same moment
        return EscalationResult(0, 0, 0)


def stale_uploads_job() -> int:
    count = fail_stale_uploads(utcnow())
    db.session.commit()
    return count


def register_jobs(app: Flask) -> None:
    """What `flask scheduler` runs (core.scheduler), Asia/Shanghai time."""
    jobs = hooks(app).scheduled_jobs
    jobs.append(
        (
            "monthly_sample_draw",
            {"trigger": "cron", "day": 1, "hour": 2, "minute": 0},
            lambda: catch_up(local_today()),
        )
    )
    jobs.append(
        (
            "daily_escalation",
            {"trigger": "cron", "hour": 1, "minute": 0},
            lambda: daily_escalation(local_today()),
        )
    )
    hooks(app).startup_jobs.append(("sample_catch_up", lambda: catch_up(local_today())))
    jobs.append(("stale_uploads", {"trigger": "interval", "minutes": 10}, stale_uploads_job))
    hooks(app).startup_jobs.append(("stale_uploads", stale_uploads_job))
