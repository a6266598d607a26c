"""Settings (可配置规则): defaults here, overrides in the ``setting`` table (admin-editable)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from core.db import db
from core.i18n import _l
from core.models import Setting

DEFAULTS: dict[str, tuple[Any, Any]] = {
    "upload_max_mb": (20, _l("上传文件大小上限（MB）")),
    "upload_max_rows": (50_000, _l("每个工作表行数上限")),
    "min_wage_tiers": (
        {"1": 2490, "2": 2260, "3": 2010},
        _l("浙江省月最低工资标准（元），自2024-01-01起"),
    ),
    "submit_days": (10, _l("签订后报送劳动保障行政部门的时限（日），《集体合同规定》第42条")),
    "platform_entry_days": (30, _l("备案后录入全国平台的时限（日）")),
    "sample_rate": ("0.30", _l("每月抽查比例（按县(市、区)向上取整）")),
    "sampling_start_month": (
        "",
        _l(
            "抽查起始月份 YYYY-MM：更早的月份不能冻结、抽取或补抽；"
            "留空则为最早已冻结的月份（尚无轮次时为上月）"
        ),
    ),
    "sample_population": (
        "filed_in_month",
        _l(
            "抽查总体：filed_in_month（该月备案的合同版本）或 "
            "in_force_never_sampled（该月末有效且从未被抽中的合同）"
        ),
    ),
    "sample_draw_working_day": (
        3,
        _l("市总工会未输入公开值时，系统于次月第几个工作日（18:00）以空公开值抽取（未经见证）"),
    ),
    "escalation_city_after_days": (30, _l("逾期超过该天数升级为市级约谈")),
    "escalation_county_threshold": (5, _l("一个县(市、区)逾期未整改达到该数量升级为市级约谈")),
    "deadline_days_critical": (7, _l("严重问题整改期限（日，立行立改）")),
    "deadline_days_major": (30, _l("较重问题整改期限（日，限期整改）")),
    "deadline_days_minor": (60, _l("一般问题整改期限（日）")),
}


def get_setting(key: str) -> Any:
    row = db.session.get(Setting, key)
    if row is not None:
        return row.value
    return DEFAULTS[key][0]


def seed_settings() -> int:
    added = 0
    with force_locale("zh_CN"):  # stored in the source language, whoever seeds
        for key, (value, description) in DEFAULTS.items():
            if db.session.get(Setting, key) is None:
                db.session.add(Setting(key=key, value=value, description=str(description)))
                added += 1
    return added
