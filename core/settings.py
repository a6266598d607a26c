"""Settings (可配置规则): defaults here, overrides in the ``setting`` table (admin-editable)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from core.db import db
from core.i18n import _l
from core.models import Setting

DEFAULTS: dict[str, tuple[Any, Any]] = {
    "upload_max_mb": (20, _l("上传文件大小上限（MB）")),
    "upload_max_rows": (50_000, _l("每个工作表数据行数上限（表头不计）")),
    "api_token_days": (180, _l("新建 API 令牌的有效期（日，0 为不过期）")),
    "upload_refused_keep_days": (90, _l("被拒绝或处理失败的上传原文件保留天数，到期清除")),
    "upload_rate_per_hour": (30, _l("每个用户每小时最多上传的文件数（0 为不限）")),
    "min_wage_tiers": (
        {"1": 2490, "2": 2260, "3": 2010},
        _l("浙江省月最低工资标准（元），自2024-01-01起"),
    ),
    "submit_days": (10, _l("签订后报送劳动保障行政部门的时限（日），《集体合同规定》第42条")),
    "platform_entry_days": (30, _l("备案后录入全国平台的时限（日）")),
    "sample_rate": ("0.30", _l("每月抽查比例（按县(市、区)向上取整）")),
    "sampling_start_month": ("", _l("补抽起始月份 YYYY-MM；留空则从最早已抽取的月份起")),
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
