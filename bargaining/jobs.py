"""Timed jobs of the filing domain (edge: commits). Registered for the one scheduler process."""

from __future__ import annotations

from flask import Flask

from bargaining.services import purge_refused_uploads
from core.db import db, utcnow


def purge_job() -> int:
    purged = purge_refused_uploads(utcnow())
    db.session.commit()
    return purged


def register_jobs(app: Flask) -> None:
    app.extensions.setdefault("scheduled_jobs", []).append(
        ("purge_refused_uploads", {"trigger": "cron", "hour": 4, "minute": 20}, purge_job)
    )
