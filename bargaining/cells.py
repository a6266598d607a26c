"""Parsing single cell values the way Chinese users type them (pure).

Each parser takes a raw value from python-calamine (str, float, int, bool, date, datetime,
timedelta or '') and returns the parsed value, or raises :class:`UserError` with a Chinese
message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from core.msg import Msg
from core.user_error import UserError

EXCEL_EPOCH = date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1990, 2100
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")  # i18n: data
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
#: a date and time written out as text ("2026-06-01 00:00:00", an Excel date-time pasted as
#: text): the time is dropped, as it is from a date-time cell
_DATE_TIME_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
)
#: 20260601 typed into a number cell: the same date as the text "20260601" (an Excel serial
#: date is below 80,000, so the two never meet)
COMPACT_MIN, COMPACT_MAX = MIN_YEAR * 10_000 + 101, MAX_YEAR * 10_000 + 1231
_WS = re.compile(r"\s+")


def normalize_text(value: Any) -> str:
    """NFKC (full-width letters, digits and brackets to half-width) and trimmed."""
    if value is None:
        return ""
    if isinstance(value, str) and value.isascii():
        return value.strip()  # nothing for NFKC to change
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalize_header(value: Any) -> str:
    """Header text without whitespace, full-width forms, or a 'required' star."""
    text = _WS.sub("", normalize_text(value))
    text = text.replace("（", "(").replace("）", ")").replace("，", ",")
    return text.rstrip("*").lstrip("*")


def display(value: Any) -> str:
    """A raw cell value as the user would recognise it in an error list."""
    if value == "" or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _not_a_date() -> Msg:
    return Msg("不是有效日期，请填写如 2026-06-17、2026/6/17、2026.6.17 或 2026年6月17日")


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, bool):
        raise UserError(_not_a_date())
    elif isinstance(value, int | float) and COMPACT_MIN <= value <= COMPACT_MAX:
        if value != int(value):
            raise UserError(_not_a_date())
        return parse_date(str(int(value)))  # 20260601 as a number: as the text "20260601"
    elif isinstance(value, int | float):
        # an Excel serial date whose cell format the reader did not recognise as a date
        if not 10_000 <= value <= 80_000:
            raise UserError(_not_a_date())
        result = EXCEL_EPOCH + timedelta(days=int(value))
    elif isinstance(value, timedelta):
        raise UserError(_not_a_date())
    else:
        text = normalize_text(value)
        match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text) or _DATE_TIME_RE.match(text)
        if not match:
            raise UserError(
                Msg(
                    "不是有效日期「%(text)s」，请填写如 2026-06-17、2026/6/17、2026.6.17 或 2026年6月17日",
                    text=text,
                )
            )
        try:
            result = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise UserError(Msg("日期不存在「%(text)s」（请检查月份和日）", text=text)) from exc
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise UserError(
            Msg(
                "日期 %(date)s 超出合理范围（%(min)s—%(max)s 年）",
                date=result.isoformat(),
                min=MIN_YEAR,
                max=MAX_YEAR,
            )
        )
    return result


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise UserError(Msg("应填写数字"))
    if isinstance(value, int | float):
        number = Decimal(str(value))
        if not number.is_finite():  # a float cell holding inf or nan
            raise UserError(Msg("应填写数字，不是「%(value)s」", value=str(value)))
        return number
    text = normalize_text(value).replace(",", "").replace("，", "")
    text = text.removesuffix("元").removesuffix("%").removesuffix("人").strip()  # i18n: data
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise UserError(Msg("应填写数字，不是「%(value)s」", value=normalize_text(value))) from exc
    if not number.is_finite():
        raise UserError(Msg("应填写数字，不是「%(value)s」", value=normalize_text(value)))
    return number


#: whole numbers a float holds exactly: read as they are (the same int Decimal(str(v)) gives)
_EXACT_FLOAT = 2.0**53


def parse_int(value: Any, minimum: int = 0) -> int:
    kind = type(value)
    if kind is int or (
        kind is float and value.is_integer() and -_EXACT_FLOAT < value < _EXACT_FLOAT
    ):
        result = int(value)  # a number cell: the common case, without the text round trip
        if result < minimum:
            raise UserError(Msg("不能小于 %(minimum)s", minimum=str(minimum)))
        if result > 10_000_000:
            raise UserError(Msg("数值过大，请核对"))
        return result
    number = _as_decimal(value)
    if number != number.to_integral_value():
        raise UserError(Msg("应填写整数，不是 %(value)s", value=display(value)))
    result = int(number)
    if result < minimum:
        raise UserError(Msg("不能小于 %(minimum)s", minimum=str(minimum)))
    if result > 10_000_000:
        raise UserError(Msg("数值过大，请核对"))
    return result


def parse_decimal(
    value: Any, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    number = _as_decimal(value)
    if minimum is not None and number < minimum:
        raise UserError(Msg("不能小于 %(minimum)s", minimum=str(minimum)))
    if maximum is not None and number > maximum:
        raise UserError(Msg("不能大于 %(maximum)s", maximum=str(maximum)))
    return number.quantize(Decimal("0.01"))


_YES = {"是", "有", "y", "yes", "true", "1", "√", "已建会", "规上"}  # i18n: data
_NO = {"否", "无", "n", "no", "false", "0", "×", "未建会"}  # i18n: data


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = normalize_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise UserError(
        Msg(
            "请填写「%(yes)s」或「%(no)s」，不是「%(value)s」",
            yes="是",  # i18n: data
            no="否",  # i18n: data
            value=normalize_text(value),
        )
    )


def is_blank(value: Any) -> bool:
    return value == "" or value is None or (isinstance(value, str) and not value.strip())
