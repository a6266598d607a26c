"""The product's clock is Asia/Shanghai; timestamps are stored in UTC. Only edges read it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)
