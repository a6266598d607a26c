"""The product's clock is Asia/Shanghai; timestamps are stored in UTC. Only edges read it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in Asia/Shanghai, or the day an app pins with config ``TODAY`` (tests inject it,
    so the suite reads the same "today" whatever the machine's clock says)."""
    if has_app_context():
        pinned = current_app.config.get("TODAY")
        if pinned is not None:
            return pinned
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)
