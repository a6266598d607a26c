"""Parsing single cell values the way Chinese users type them (bargaining.cells, pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from bargaining.cells import (
    is_blank,
    normalize_header,
    normalize_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from core.errors import UserError

JUNE_17 = date(2026, 6, 17)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _problem(func, *args, **kwargs) -> UserError:
    with pytest.raises(UserError) as info:
        func(*args, **kwargs)
    assert info.value.message, "a UserError must carry a message"
    assert _has_chinese(info.value.message), info.value.message
    return info.value


# ---------------------------------------------------------------------------- parse_date


def test_parse_date_accepts_an_excel_date_value():
    assert parse_date(JUNE_17) == JUNE_17


def test_parse_date_accepts_an_excel_datetime_value_and_drops_the_time():
    assert parse_date(datetime(2026, 6, 17)) == JUNE_17
    assert parse_date(datetime(2026, 6, 17, 14, 30, 5)) == JUNE_17
    assert type(parse_date(datetime(2026, 6, 17, 14, 30))) is date


@pytest.mark.parametrize("serial", [46190, 46190.0, 46190.75])
def test_parse_date_accepts_an_excel_serial_number(serial):
    # 46190 days after 1899-12-30 is 2026-06-17 (Excel's 1900 date system)
    assert parse_date(serial) == JUNE_17


def test_parse_date_serial_matches_excel_epoch_on_known_days():
    assert parse_date(45658) == date(2025, 1, 1)
    assert parse_date(46022.0) == date(2025, 12, 31)


@pytest.mark.parametrize(
    "serial", [0, 1, 60, 9_999, 80_001, 19_891_231, 21_010_101, 20_260_617.5, -46190]
)
def test_parse_date_refuses_serial_numbers_that_cannot_be_a_filing_date(serial):
    _problem(parse_date, serial)


@pytest.mark.parametrize(
    "text",
    [
        "2026-06-17",
        "2026-6-17",
        "2026/6/17",
        "2026/06/17",
        "2026.6.17",
        "2026.06.17",
        "2026年6月17日",
        "2026年06月17日",
        "2026 年 6 月 17 日",
        "  2026-06-17  ",
        "２０２６-０６-１７",
        "２０２６年６月１７日",
        "２０２６／６／１７",
        "２０２６．６．１７",
    ],
)
def test_parse_date_accepts_the_documented_text_forms(text):
    assert parse_date(text) == JUNE_17


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2026-13-01", "2026年2月29日", "2026/4/31", "2026-00-10"]
)
def test_parse_date_refuses_impossible_calendar_dates(text):
    problem = _problem(parse_date, text)
    assert "不存在" in problem.message


def test_parse_date_accepts_a_real_leap_day():
    assert parse_date("2028-02-29") == date(2028, 2, 29)


@pytest.mark.parametrize(
    "value", ["1989-12-31", "1900-01-01", "2101-01-01", "9999-12-31", date(1985, 5, 1)]
)
def test_parse_date_refuses_out_of_range_years(value):
    problem = _problem(parse_date, value)
    assert "范围" in problem.message


@pytest.mark.parametrize("value", ["1990-01-01", "2100-12-31"])
def test_parse_date_accepts_the_range_boundaries(value):
    assert parse_date(value) == date.fromisoformat(value)


@pytest.mark.parametrize(
    "value",
    ["", "abc", "明天", "17/06/2026", "06-17-2026", "2026-06", "2026-06-17-01", "2026年6月", "N/A"],
)
def test_parse_date_refuses_garbage(value):
    _problem(parse_date, value)


@pytest.mark.parametrize("value", [True, False, timedelta(days=3)])
def test_parse_date_refuses_non_date_types(value):
    _problem(parse_date, value)


def test_parse_date_garbage_message_quotes_the_value_and_shows_the_formats():
    problem = _problem(parse_date, "下个月")
    assert "下个月" in problem.message
    assert "2026年6月17日" in problem.message


# ---------------------------------------------------------------------------- parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        (12.0, 12),
        ("12", 12),
        (" 12 ", 12),
        ("12.0", 12),
        ("1,200", 1200),
        ("1，200", 1200),
        ("１２", 12),
        ("１，２００", 1200),
        ("120人", 120),
        (0, 0),
    ],
)
def test_parse_int_accepts_integers_however_typed(value, expected):
    result = parse_int(value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("value", [12.5, "12.5", "０.５"])
def test_parse_int_refuses_fractions(value):
    problem = _problem(parse_int, value)
    assert "整数" in problem.message


@pytest.mark.parametrize("value", [-1, "-3", -2.0, "－５"])
def test_parse_int_refuses_negative_numbers(value):
    _problem(parse_int, value)


def test_parse_int_minimum_is_enforced():
    assert parse_int(1, minimum=1) == 1
    problem = _problem(parse_int, 0, minimum=1)
    assert "1" in problem.message


@pytest.mark.parametrize("value", ["abc", "十二", True, False, "nan", "inf"])
def test_parse_int_refuses_non_numbers(value):
    _problem(parse_int, value)


def test_parse_int_refuses_absurdly_large_numbers():
    assert parse_int(10_000_000) == 10_000_000
    _problem(parse_int, 10_000_001)


# ---------------------------------------------------------------------------- parse_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2490, Decimal("2490.00")),
        (2490.0, Decimal("2490.00")),
        (2490.5, Decimal("2490.50")),
        ("2490", Decimal("2490.00")),
        ("2,490", Decimal("2490.00")),
        ("2490元", Decimal("2490.00")),
        ("５.５", Decimal("5.50")),
        ("5%", Decimal("5.00")),
        (0.1, Decimal("0.10")),
        ("-3", Decimal("-3.00")),
    ],
)
def test_parse_decimal_accepts_numbers_however_typed(value, expected):
    result = parse_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_parse_decimal_bounds():
    assert parse_decimal("1", minimum=Decimal("1")) == Decimal("1.00")
    assert parse_decimal("100", maximum=Decimal("100")) == Decimal("100.00")
    assert "不能小于" in _problem(parse_decimal, "0.99", minimum=Decimal("1")).message
    assert "不能大于" in _problem(parse_decimal, "100.01", maximum=Decimal("100")).message


@pytest.mark.parametrize("value", ["abc", "两千", "NaN", "Infinity", "-inf", True, "1.2.3"])
def test_parse_decimal_refuses_non_numbers(value):
    _problem(parse_decimal, value)


# ---------------------------------------------------------------------------- parse_bool


@pytest.mark.parametrize(
    "value", ["是", " 是 ", "有", "Y", "y", "yes", "YES", "ＹＥＳ", "true", "1", 1, 1.0, "√", True]
)
def test_parse_bool_yes_variants(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize(
    "value", ["否", " 否 ", "无", "N", "n", "no", "No", "false", "0", 0, 0.0, "×", False]
)
def test_parse_bool_no_variants(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["", "是的吧", "不知道", "2", "maybe", "X"])
def test_parse_bool_refuses_anything_else(value):
    problem = _problem(parse_bool, value)
    assert "是" in problem.message and "否" in problem.message


# ---------------------------------------------------------------------------- headers and text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("县（市、区）", "县(市、区)"),
        ("县(市、区)", "县(市、区)"),
        ("县（市，区）", "县(市,区)"),
        (" 合同编号 ", "合同编号"),
        ("合同 编号", "合同编号"),
        ("合同\n编号", "合同编号"),
        ("合同\u3000编号", "合同编号"),
        ("合同编号*", "合同编号"),
        ("合同编号 *", "合同编号"),
        ("合同编号＊", "合同编号"),
        ("*合同编号", "合同编号"),
        ("最低工资标准（元/月）*", "最低工资标准(元/月)"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_header(raw, expected):
    assert normalize_header(raw) == expected


def test_normalize_text_full_width_and_numbers():
    assert normalize_text("ＷＹ") == "WY"
    assert normalize_text(" 9133 ") == "9133"
    assert normalize_text(12.0) == "12"
    assert normalize_text(12.5) == "12.5"
    assert normalize_text(datetime(2026, 6, 17)) == "2026-06-17"
    assert normalize_text(None) == ""


@pytest.mark.parametrize("value", ["", "   ", "\u3000", "\t\n", None])
def test_is_blank_true(value):
    assert is_blank(value)


@pytest.mark.parametrize("value", [0, 0.0, "0", "x", False, JUNE_17])
def test_is_blank_false(value):
    assert not is_blank(value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_float_cell_holding_infinity_or_nan_is_a_cell_problem(value):
    """Found by the workbook fuzzer: an OverflowError (a 500) instead of a row error."""
    with pytest.raises(UserError):
        parse_int(value)
