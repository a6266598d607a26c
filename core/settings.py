"""Settings (可配置规则): defaults here, overrides in the ``setting`` table (admin-editable)."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import force_locale

from core.db import db
from core.errors import UserError
from core.i18n import _, _l
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


def _int_between(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise UserError(_("请输入整数")) from None
        if not low <= value <= high:
            raise UserError(_("须在 %(low)s 到 %(high)s 之间", low=low, high=high))
        return value

    return parse


def _rate(text: str) -> str:
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise UserError(_("请输入 0 到 1 之间的小数，如 0.30")) from None
    if not Decimal("0") < value <= Decimal("1"):
        raise UserError(_("请输入 0 到 1 之间的小数，如 0.30"))
    return str(value)


def _month_or_empty(text: str) -> str:
    text = str(text).strip()
    if text and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise UserError(_("请输入 YYYY-MM 格式的月份，或留空"))
    return text


def _tiers(text: str) -> dict[str, int]:
    """ "2490 / 2260 / 2010" (or JSON) → {"1": 2490, "2": 2260, "3": 2010}; descending."""
    raw = str(text).strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
            values = [data[k] for k in sorted(data, key=int)]
        except (ValueError, KeyError, TypeError):
            raise UserError(
                _("请按一档、二档、三档的顺序输入三个金额，如 2490 / 2260 / 2010")
            ) from None
    else:
        values = [v for v in re.split(r"[\s/,，、]+", raw) if v]
    try:
        amounts = [int(v) for v in values]
    except (TypeError, ValueError):
        raise UserError(
            _("请按一档、二档、三档的顺序输入三个金额，如 2490 / 2260 / 2010")
        ) from None
    if len(amounts) != 3 or any(not 500 <= a <= 20000 for a in amounts):
        raise UserError(_("请按一档、二档、三档的顺序输入三个金额，如 2490 / 2260 / 2010"))
    if not amounts[0] >= amounts[1] >= amounts[2]:
        raise UserError(_("一档不低于二档，二档不低于三档"))
    return {str(i + 1): a for i, a in enumerate(amounts)}


PARSERS: dict[str, Any] = {
    "upload_max_mb": _int_between(1, 200),
    "upload_max_rows": _int_between(100, 1_000_000),
    "min_wage_tiers": _tiers,
    "submit_days": _int_between(1, 365),
    "platform_entry_days": _int_between(1, 365),
    "sample_rate": _rate,
    "sampling_start_month": _month_or_empty,
    "escalation_city_after_days": _int_between(1, 365),
    "escalation_county_threshold": _int_between(1, 1000),
    "deadline_days_critical": _int_between(1, 365),
    "deadline_days_major": _int_between(1, 365),
    "deadline_days_minor": _int_between(1, 365),
}


def display_value(key: str, value: Any) -> str:
    """A setting's value as the admin types it."""
    if key == "min_wage_tiers" and isinstance(value, dict):
        return " / ".join(str(value[k]) for k in sorted(value, key=int))
    return "" if value is None else str(value)


def parse_setting(key: str, text: str) -> Any:
    """The value ``text`` means for setting ``key``, or :class:`UserError`."""
    if key not in DEFAULTS:
        raise UserError(_("未知的设置项：%(key)s", key=key))
    parser = PARSERS.get(key)
    try:
        return parser(text) if parser else str(text)
    except UserError as exc:  # the message belongs beside the setting's field
        raise UserError(exc.message, fields={key: exc.message}) from None


def set_setting(actor: Any, key: str, text: str) -> bool:
    """Validate and store one setting (audit-logged); False when the value did not change."""
    from core import audit_log  # here: audit_log imports models too

    value = parse_setting(key, text)
    before = get_setting(key)
    if before == value:
        return False
    row = db.session.get(Setting, key)
    if row is None:
        with force_locale("zh_CN"):
            row = Setting(key=key, value=value, description=str(DEFAULTS[key][1]))
        db.session.add(row)
    else:
        row.value = value
    db.session.flush()
    audit_log.record(
        actor, "update", "setting", None, before={key: before}, after={key: value}, summary=key
    )
    return True
