"""The demo city's target history: monthly snapshots since 2025-02 and supervision of the
three counties furthest behind (one already held)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from audits.supervisions import open_supervision, plan_supervision, record_supervision
from bargaining.models import County
from core.db import db
from core.hooks import hooks
from core.i18n import Msg
from core.models import Role, User
from reports import queries
from reports.services import backfill_snapshots, lagging_counties


def register_demo(app: Flask) -> None:
    hooks(app).demo_steps.append(build_demo_targets)


def build_demo_targets(seed: int, today: date) -> dict[str, Any]:
    snapshots = backfill_snapshots(today)
    rows = queries.county_targets(today)
    _, worst = lagging_counties(rows)
    city = db.session.scalars(select(User).where(User.role == Role.CITY).order_by(User.id)).first()
    assert city is not None  # the city's demo made its leaders
    planned = 0
    for index, code in enumerate(worst):
        county = db.session.scalars(select(County).where(County.code == code)).one()
        row = next(r for r in rows if r.county == code)
        reason = Msg(
            "达标率 %(rate)s，落后进度线 %(gap)s",
            rate=f"{(row.rate or 0) * 100:.1f}%",
            gap=f"{((row.rate or 0) - (row.trajectory or 0)) * 100:+.1f}%",
        )
        # the quarter's plan may already hold this county's supervision: one record, not two
        supervision = open_supervision(county.id) or plan_supervision(
            county.id, today - timedelta(days=20 - 5 * index), reason, city
        )
        supervision.reason = reason
        planned += 1
        if index == 0:
            record_supervision(
                supervision,
                city,
                {
                    "held_on": min(supervision.planned_on, today),
                    "participants": "市总工会权益保障和法律工作部；县总工会主席、分管副主席；重点企业工会主席",
                    "problems": "已建会规上企业中拓展协商内容不足的比例较高；部分合同未按时录入全国平台。",
                    "measures": "一月内完成重点企业摸排；每周通报进度；对逾期未整改企业开展约谈。",
                    "follow_up_on": min(supervision.planned_on, today) + timedelta(days=30),
                },
                today,
            )
    return {"月度快照": snapshots, "现场督导": planned}
