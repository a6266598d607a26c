"""Jinja filters and globals: local time, dates, roles, pagination links."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for

from core.clock import to_local
from core.models import ROLE_LABELS, Role


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else to_local(value).strftime(fmt)


def cn_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def number(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (filters, pages, export)."""
    args: dict[str, Any] = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint or "core.home", **(request.view_args or {}), **args)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local_time=local_time, cn_date=cn_date, number=number)
    app.jinja_env.globals.update(url_with=url_with, ROLE_LABELS=ROLE_LABELS, Role=Role)
