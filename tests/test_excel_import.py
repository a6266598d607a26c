"""Validating filing and registry workbooks (bargaining.excel_import, pure): SPEC §4.

Everything is driven with an in-memory core.spreadsheet.Workbook and hand-built contexts;
no database, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bargaining.excel_import import (
    FILE,
    Counties,
    EnterpriseRef,
    FilingContext,
    ImportResult,
    RegistryContext,
    RowError,
    Scope,
    validate_filings,
    validate_registry,
)
from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS, REGISTRY
from bargaining.uscc import make_uscc
from core.spreadsheet import FormulaCell, Workbook

TODAY = date(2026, 11, 25)

WY, YW, KF = 1, 2, 3
COUNTIES = Counties(
    by_key={"WY": WY, "武义县": WY, "YW": YW, "义乌市": YW, "KF": KF, "金华开发区": KF},
    names={WY: "武义县", YW: "义乌市", KF: "金华开发区"},
)

USCC_A = make_uscc("91330723000000001")  # 武义 enterprise A
USCC_B = make_uscc("91330723000000002")  # 武义 enterprise B
USCC_C = make_uscc("91330723000000003")  # 武义 enterprise C
USCC_YW = make_uscc("91330782000000004")  # 义乌 enterprise
USCC_UNKNOWN = make_uscc("91330723000000099")  # valid code, not in any registry

ENT_A = EnterpriseRef(10, USCC_A, "武义甲五金有限公司", WY)
ENT_B = EnterpriseRef(11, USCC_B, "武义乙制造有限公司", WY)
ENT_C = EnterpriseRef(12, USCC_C, "武义丙电器有限公司", WY)
ENT_YW = EnterpriseRef(20, USCC_YW, "义乌丁电商有限公司", YW)
REGISTRY_REFS = {e.uscc: e for e in (ENT_A, ENT_B, ENT_C, ENT_YW)}

INSPECTOR_WY = Scope(frozenset({WY}))
CLERK_A = Scope(frozenset({WY}), enterprise_id=ENT_A.id)
CITY = Scope(None)

ITEM_CODES = {
    "W01": "baseline",
    "W02": "baseline",
    "W03": "baseline",
    "W04": "expansion",
    "S01": "expansion",
    "A01": "expansion",
    "N01": "other",
}

CONTRACT_HEADERS = [c.header for c in CONTRACTS.columns]
ITEM_HEADERS = [c.header for c in ITEMS.columns]
COVERAGE_HEADERS = [c.header for c in COVERAGE.columns]
REGISTRY_HEADERS = [c.header for c in REGISTRY.columns]
REQUIRED_CONTRACT_HEADERS = [c.header for c in CONTRACTS.columns if c.required]

TITLE_ROW = ["金华市集体合同备案表（2026年）"]


# ---------------------------------------------------------------------------- helpers


def contract(**overrides: Any) -> dict[str, Any]:
    """A valid enterprise 合同 row for ENT_A, keyed by header."""
    row: dict[str, Any] = {
        "合同编号": "WY-2026-001",
        "合同类型": "工资专项集体合同",
        "协商层级": "企业",
        "统一社会信用代码": USCC_A,
        "企业名称": ENT_A.name,
        "县(市、区)": "WY",
        "行业": "五金制造",
        "签订日期": date(2026, 3, 2),
        "职工代表总数": 30,
        "出席代表数": 28,
        "赞成票数": 26,
        "生效日期": date(2026, 4, 1),
        "期满日期": date(2029, 3, 31),
        "报送日期": date(2026, 3, 6),
        "覆盖职工人数": 320,
        "最低工资标准": 2400,
        "工资增长幅度": 5,
        "平台录入日期": date(2026, 3, 20),
        "备注": "",
        "备案日期": "",
    }
    row.update(overrides)
    return row


def industry_contract(**overrides: Any) -> dict[str, Any]:
    values = {
        "合同编号": "WY-HY-001",
        "合同类型": "工资专项集体合同",
        "协商层级": "行业性",
        "统一社会信用代码": "",
        "企业名称": "武义县五金行业",
        **overrides,
    }
    return contract(**values)


def grid(headers: Sequence[str], rows: Iterable[Mapping[str, Any]], title_rows: int = 0):
    out: list[list[Any]] = [[*TITLE_ROW, *[""] * (len(headers) - 1)] for _ in range(title_rows)]
    out.append(list(headers))
    for row in rows:
        out.append([row.get(h, "") for h in headers])
    return out


def book(
    contracts: Iterable[Mapping[str, Any]] = (),
    items: Iterable[Mapping[str, Any]] | None = None,
    coverage: Iterable[Mapping[str, Any]] | None = None,
    headers: Sequence[str] = tuple(CONTRACT_HEADERS),
    title_rows: int = 0,
) -> Workbook:
    sheets: dict[str, list[list[Any]]] = {"合同": grid(headers, contracts, title_rows)}
    if items is not None:
        sheets["协商事项"] = grid(ITEM_HEADERS, items)
    if coverage is not None:
        sheets["覆盖企业"] = grid(COVERAGE_HEADERS, coverage)
    return Workbook("xlsx", sheets)


def ctx(
    scope: Scope = INSPECTOR_WY, may_set_filed_on: bool | None = None, today: date = TODAY
) -> FilingContext:
    if may_set_filed_on is None:
        may_set_filed_on = scope.enterprise_id is None
    return FilingContext(
        counties=COUNTIES,
        scope=scope,
        items=ITEM_CODES,
        enterprises=REGISTRY_REFS,
        may_set_filed_on=may_set_filed_on,
        today=today,
    )


def run(workbook: Workbook, context: FilingContext | None = None) -> ImportResult:
    result = validate_filings(workbook, context or ctx())
    if result.errors:
        assert result.rows == [], "all or nothing: no row may be stored when there is an error"
    for error in result.errors:
        assert error.message.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message), error.message
    return result


def ok(workbook: Workbook, context: FilingContext | None = None) -> ImportResult:
    result = run(workbook, context)
    assert result.errors == [], [e.cli_line() for e in result.errors]
    assert result.rows
    return result


def only_error(result: ImportResult) -> RowError:
    assert len(result.errors) == 1, [e.cli_line() for e in result.errors]
    assert result.rows == []
    return result.errors[0]


def one_row(**overrides: Any) -> Workbook:
    return book([contract(**overrides)])


# ---------------------------------------------------------------------------- a valid workbook


def test_a_valid_enterprise_contract_is_parsed_into_typed_values():
    result = ok(
        book(
            [contract(备注="首次协商", 工资增长幅度="5.5%", 最低工资标准="2,400元")],
            items=[
                {"合同编号": "WY-2026-001", "事项代码": "W01", "条款摘要": "工资分配制度"},
                {"合同编号": "WY-2026-001", "事项代码": "w04", "条款摘要": "年增5.5%"},
            ],
        )
    )
    (row,) = result.rows
    assert row.row == 2  # header in Excel row 1, first data row is row 2
    assert row.number == "WY-2026-001"
    assert row.contract_type == "工资专项集体合同"
    assert row.level == "企业"
    assert row.uscc == USCC_A
    assert row.enterprise_id == ENT_A.id
    assert row.county_id == WY
    assert row.name == ENT_A.name
    assert row.industry == "五金制造"
    assert row.signed_on == date(2026, 3, 2)
    assert (row.delegates_total, row.delegates_present, row.votes_for) == (30, 28, 26)
    assert (row.effective_on, row.expires_on) == (date(2026, 4, 1), date(2029, 3, 31))
    assert row.submitted_on == date(2026, 3, 6)
    assert row.workers_covered == 320
    assert row.lowest_wage == Decimal("2400")
    assert row.raise_pct == Decimal("5.5")
    assert row.platform_entered_on == date(2026, 3, 20)
    assert row.remarks == "首次协商"
    assert row.filed_on is None
    assert row.items == [("W01", "工资分配制度"), ("W04", "年增5.5%")]
    assert row.coverage == []


def test_several_valid_contracts_are_all_parsed_in_order():
    result = ok(
        book(
            [
                contract(),
                contract(合同编号="WY-2026-002", 统一社会信用代码=USCC_B, 企业名称=ENT_B.name),
                contract(
                    合同编号="WY-2026-003",
                    统一社会信用代码=USCC_C,
                    合同类型="女职工权益保护专项集体合同",
                    最低工资标准="",
                ),
            ]
        )
    )
    assert [r.number for r in result.rows] == ["WY-2026-001", "WY-2026-002", "WY-2026-003"]
    assert [r.row for r in result.rows] == [2, 3, 4]
    assert [r.enterprise_id for r in result.rows] == [ENT_A.id, ENT_B.id, ENT_C.id]
    assert result.rows[2].lowest_wage is None


def test_numbers_and_dates_typed_as_text_are_accepted():
    (row,) = ok(
        one_row(
            签订日期="2026/3/2",
            生效日期="2026年4月1日",
            期满日期="2029.3.31",
            报送日期="2026-03-06",
            职工代表总数="30",
            出席代表数="28.0",
            赞成票数=26.0,
            覆盖职工人数="1,320",
            最低工资标准="2400",
        )
    ).rows
    assert row.signed_on == date(2026, 3, 2)
    assert row.effective_on == date(2026, 4, 1)
    assert row.expires_on == date(2029, 3, 31)
    assert (row.delegates_total, row.delegates_present, row.votes_for) == (30, 28, 26)
    assert row.workers_covered == 1320


def test_excel_serial_dates_and_datetimes_are_accepted():
    from datetime import datetime

    (row,) = ok(one_row(签订日期=46083.0, 生效日期=datetime(2026, 4, 1, 0, 0))).rows
    assert row.signed_on == date(2026, 3, 2)
    assert row.effective_on == date(2026, 4, 1)


def test_full_width_values_are_normalised():
    (row,) = ok(
        one_row(
            合同编号="ＷＹ－２０２６－００１",
            **{"县(市、区)": "ＷＹ"},
            签订日期="２０２６-０３-０２",
            职工代表总数="３０",
            覆盖职工人数="３２０",
            统一社会信用代码="".join(chr(ord(ch) + 0xFEE0) for ch in USCC_A),
        )
    ).rows
    assert row.number == "WY-2026-001"
    assert row.county_id == WY
    assert row.signed_on == date(2026, 3, 2)
    assert row.delegates_total == 30
    assert row.workers_covered == 320
    assert row.uscc == USCC_A
    assert row.enterprise_id == ENT_A.id


def test_short_contract_type_names_are_accepted():
    (row,) = ok(one_row(合同类型="工资专项")).rows
    assert row.contract_type == "工资专项集体合同"


def test_lowercase_and_spaced_uscc_is_accepted():
    spaced = f" {USCC_A[:6].lower()} {USCC_A[6:].lower()} "
    (row,) = ok(one_row(统一社会信用代码=spaced)).rows
    assert row.uscc == USCC_A
    assert row.enterprise_id == ENT_A.id


# ---------------------------------------------------------------------------- sheets and headers


def test_missing_contract_sheet_is_a_file_level_error():
    workbook = Workbook("xlsx", {"Sheet1": grid(CONTRACT_HEADERS, [contract()])})
    error = only_error(run(workbook))
    assert error.sheet == FILE
    assert error.row is None
    assert "合同" in error.message
    assert error.cli_line() == f"file: {error.message}"


def test_contract_sheet_found_under_an_alias_name_and_with_spaces():
    for name in ("集体合同", " 合同 "):
        workbook = Workbook("xlsx", {name: grid(CONTRACT_HEADERS, [contract()])})
        assert len(ok(workbook).rows) == 1


def test_an_empty_workbook_is_refused():
    error = only_error(run(Workbook("xlsx", {})))
    assert error.sheet == FILE


def test_contract_sheet_with_headers_but_no_data_is_refused():
    result = run(book([]))
    error = only_error(result)
    assert error.sheet == "合同"
    assert "没有数据" in error.message


@pytest.mark.parametrize("title_rows", [1, 2, 3, 4])
def test_header_is_found_under_title_rows_within_the_first_five(title_rows):
    result = ok(book([contract()], title_rows=title_rows))
    (row,) = result.rows
    # header is in Excel row title_rows + 1, so the first data row is title_rows + 2
    assert row.row == title_rows + 2


def test_header_below_the_fifth_row_is_not_found():
    result = run(book([contract()], title_rows=5))
    error = only_error(result)
    assert error.sheet == "合同"
    assert "表头" in error.message
    assert "5" in error.message


def test_columns_in_any_order_with_extra_columns():
    headers = ["序号", *reversed(CONTRACT_HEADERS), "联系人", "联系电话"]
    row = contract()
    row_with_extras = {**row, "序号": 1, "联系人": "张三", "联系电话": "0579-1234567"}
    result = ok(book([row_with_extras], headers=headers))
    reference = ok(book([row]))
    assert result.rows == reference.rows


def test_full_width_and_decorated_header_variants_are_matched():
    variants = {
        "合同编号": "合同编号*",
        "合同类型": " 合同类型 ",
        "协商层级": "协商\n层级",
        "统一社会信用代码": "统一社会信用代码（18位）",
        "县(市、区)": "县（市、区）*",
        "签订日期": "签订日期＊",
        "职工代表总数": "职工代表总数（人）",
        "最低工资标准": "最低工资标准（元/月）",
        "工资增长幅度": "工资增长幅度（%）",
    }
    headers = [variants.get(h, h) for h in CONTRACT_HEADERS]
    row = contract()
    renamed = {variants.get(k, k): v for k, v in row.items()}
    result = ok(book([renamed], headers=headers))
    assert result.rows == ok(book([row])).rows


def test_only_the_required_columns_are_needed():
    headers = REQUIRED_CONTRACT_HEADERS + ["统一社会信用代码"]
    row = {h: v for h, v in contract(合同类型="女职工权益保护专项集体合同").items() if h in headers}
    (parsed,) = ok(book([row], headers=headers)).rows
    assert parsed.submitted_on is None
    assert parsed.platform_entered_on is None
    assert parsed.lowest_wage is None
    assert parsed.filed_on is None


@pytest.mark.parametrize("missing", REQUIRED_CONTRACT_HEADERS)
def test_a_missing_required_column_is_reported_against_the_header_row(missing):
    headers = [h for h in CONTRACT_HEADERS if h != missing]
    row = {h: v for h, v in contract().items() if h != missing}
    error = only_error(run(book([row], headers=headers)))
    assert error.sheet == "合同"
    assert error.row == 1
    assert error.column == missing
    assert missing in error.message


def test_every_missing_column_is_reported_and_the_row_follows_a_title_row():
    missing = {"签订日期", "赞成票数"}
    headers = [h for h in CONTRACT_HEADERS if h not in missing]
    row = {h: v for h, v in contract().items() if h not in missing}
    result = run(book([row], headers=headers, title_rows=1))
    assert {e.column for e in result.errors} == missing
    assert {e.row for e in result.errors} == {2}
    assert result.rows == []


def test_blank_rows_and_formatted_empty_trailing_rows_are_skipped():
    workbook = book([contract(), contract(合同编号="WY-2026-002", 统一社会信用代码=USCC_B)])
    sheet = workbook.sheets["合同"]
    width = len(CONTRACT_HEADERS)
    sheet.insert(2, [""] * width)  # blank row between the two contracts
    sheet.insert(3, ["  ", "\u3000", *[""] * (width - 2)])  # whitespace only
    sheet.extend([[""] * width for _ in range(50)])  # formatted but empty
    sheet.append([])  # ragged empty row
    result = ok(workbook)
    assert [r.number for r in result.rows] == ["WY-2026-001", "WY-2026-002"]
    assert [r.row for r in result.rows] == [2, 5]


def test_short_ragged_rows_read_missing_cells_as_blank():
    workbook = book([contract()])
    sheet = workbook.sheets["合同"]
    # drop trailing optional cells (备注, 备案日期) as some writers do
    sheet[1] = sheet[1][: CONTRACT_HEADERS.index("备注")]
    (row,) = ok(workbook).rows
    assert row.remarks == ""
    assert row.filed_on is None


def test_formula_cells_are_refused():
    workbook = book([contract()])
    workbook.formulas.append(FormulaCell("合同", "I2"))
    error = only_error(run(workbook))
    assert error.sheet == "合同"
    assert error.row == 2
    assert "公式" in error.message


# ---------------------------------------------------------------------------- required values


ALWAYS_REQUIRED_VALUES = [
    "合同编号",
    "合同类型",
    "协商层级",
    "企业名称",
    "县(市、区)",
    "签订日期",
    "职工代表总数",
    "出席代表数",
    "赞成票数",
    "生效日期",
    "期满日期",
    "覆盖职工人数",
]


@pytest.mark.parametrize("header", [*ALWAYS_REQUIRED_VALUES, "统一社会信用代码"])
@pytest.mark.parametrize("blank", ["", "   ", None])
def test_each_required_value_left_empty_is_an_error(header, blank):
    result = run(book([contract(**{header: blank})]))
    matching = [e for e in result.errors if e.column == header and "不能为空" in e.message]
    assert matching, [e.cli_line() for e in result.errors]
    assert matching[0].row == 2
    assert matching[0].sheet == "合同"
    assert result.rows == []


@pytest.mark.parametrize(
    "header", ["行业", "报送日期", "工资增长幅度", "平台录入日期", "备注", "备案日期"]
)
def test_optional_values_may_be_left_empty(header):
    assert len(ok(book([contract(**{header: ""})])).rows) == 1


def test_uscc_is_optional_for_an_industry_contract():
    result = ok(
        book(
            [industry_contract()],
            coverage=[{"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A}],
        )
    )
    (row,) = result.rows
    assert row.uscc == ""
    assert row.enterprise_id is None
    assert row.level == "行业性"
    assert row.coverage == [ENT_A.id]


# ---------------------------------------------------------------------------- field rules


def test_duplicate_contract_number_within_the_workbook():
    result = run(
        book(
            [
                contract(合同编号="WY-1"),
                contract(合同编号="WY-2", 统一社会信用代码=USCC_B),
                contract(合同编号=" WY-1 ", 统一社会信用代码=USCC_C),
            ]
        )
    )
    error = only_error(result)
    assert error.row == 4
    assert error.column == "合同编号"
    assert "重复" in error.message
    assert "2" in error.message  # names the first row it appeared on


def test_unknown_contract_type():
    error = only_error(run(one_row(合同类型="劳动合同")))
    assert error.column == "合同类型"
    assert error.value == "劳动合同"
    assert "综合性集体合同" in error.message


def test_unknown_level():
    error = only_error(run(one_row(协商层级="集团")))
    assert error.column == "协商层级"
    assert error.value == "集团"


@pytest.mark.parametrize(
    ("uscc", "fragment"),
    [
        (USCC_A[:17] + ("0" if USCC_A[17] != "0" else "1"), "校验位"),
        (USCC_A[:17], "18"),
        (USCC_A + "1", "18"),
        ("91330723I00000001" + "X", "不允许"),
    ],
)
def test_invalid_uscc(uscc, fragment):
    error = only_error(run(one_row(统一社会信用代码=uscc)))
    assert error.column == "统一社会信用代码"
    assert fragment in error.message


def test_uscc_not_in_the_registry_says_so():
    error = only_error(run(one_row(统一社会信用代码=USCC_UNKNOWN)))
    assert error.column == "统一社会信用代码"
    assert "企业名录" in error.message


def test_uscc_of_an_enterprise_outside_the_users_scope_is_refused():
    # a 武义 inspector naming a 义乌 enterprise (that does exist in the city registry)
    result = run(one_row(统一社会信用代码=USCC_YW, 企业名称=ENT_YW.name))
    errors = [e for e in result.errors if e.column == "统一社会信用代码"]
    assert len(errors) == 1
    assert "企业名录" in errors[0].message
    assert result.rows == []


def test_enterprise_clerk_may_file_for_their_own_enterprise():
    (row,) = ok(one_row(), ctx(CLERK_A)).rows
    assert row.enterprise_id == ENT_A.id


def test_enterprise_clerk_may_not_file_for_another_enterprise():
    error = only_error(run(one_row(统一社会信用代码=USCC_B, 企业名称=ENT_B.name), ctx(CLERK_A)))
    assert error.column == "统一社会信用代码"
    assert "本企业" in error.message


def test_enterprise_clerk_may_not_file_an_industry_contract():
    result = run(
        book(
            [industry_contract()],
            coverage=[{"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A}],
        ),
        ctx(CLERK_A),
    )
    assert any(e.column == "协商层级" for e in result.errors)
    assert result.rows == []


@pytest.mark.parametrize("county", ["WY", "wy", " WY ", "武义县", "ＷＹ"])
def test_county_by_code_or_by_name(county):
    (row,) = ok(one_row(**{"县(市、区)": county})).rows
    assert row.county_id == WY


def test_unknown_county():
    error = only_error(run(one_row(**{"县(市、区)": "杭州市"})))
    assert error.column == "县(市、区)"
    assert error.value == "杭州市"
    assert "杭州市" in error.message


def test_county_outside_the_users_scope():
    result = run(
        book(
            [industry_contract(**{"县(市、区)": "义乌市"})],
            coverage=[{"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A}],
        )
    )
    county_errors = [e for e in result.errors if e.column == "县(市、区)"]
    assert len(county_errors) == 1
    assert "义乌市" in county_errors[0].message
    assert "管辖范围" in county_errors[0].message
    assert result.rows == []


def test_county_mismatching_the_registry():
    # city scope may file anywhere, but the row's county must match the registry entry
    error = only_error(run(one_row(**{"县(市、区)": "YW"}), ctx(CITY)))
    assert error.column == "县(市、区)"
    assert "武义县" in error.message


def test_city_scope_files_for_any_county():
    result = ok(
        book(
            [
                contract(),
                contract(
                    合同编号="YW-1",
                    统一社会信用代码=USCC_YW,
                    企业名称=ENT_YW.name,
                    **{"县(市、区)": "义乌市"},
                ),
            ]
        ),
        ctx(CITY),
    )
    assert [r.county_id for r in result.rows] == [WY, YW]


def test_present_more_than_total():
    error = only_error(run(one_row(职工代表总数=30, 出席代表数=31, 赞成票数=20)))
    assert error.column == "出席代表数"
    assert "31" in error.message and "30" in error.message


def test_votes_more_than_present():
    error = only_error(run(one_row(职工代表总数=30, 出席代表数=20, 赞成票数=21)))
    assert error.column == "赞成票数"


def test_everyone_present_and_in_favour_is_fine():
    (row,) = ok(one_row(职工代表总数=30, 出席代表数=30, 赞成票数=30)).rows
    assert row.votes_for == 30


def test_legal_shortfalls_are_not_rejections():
    # half the votes, poor attendance, 5-year term, no submission, wage below every tier:
    # all recorded as filed (they become pre-audit flags elsewhere)
    (row,) = ok(
        one_row(
            职工代表总数=30,
            出席代表数=12,
            赞成票数=6,
            生效日期=date(2026, 4, 1),
            期满日期=date(2031, 3, 31),
            报送日期="",
            最低工资标准=1500,
            平台录入日期="",
        )
    ).rows
    assert row.votes_for == 6
    assert row.submitted_on is None


@pytest.mark.parametrize("expires", [date(2026, 4, 1), date(2026, 3, 31)])
def test_expiry_not_after_effective(expires):
    error = only_error(run(one_row(生效日期=date(2026, 4, 1), 期满日期=expires)))
    assert error.column == "期满日期"


def test_submitted_before_signed():
    error = only_error(run(one_row(签订日期=date(2026, 3, 2), 报送日期=date(2026, 3, 1))))
    assert error.column == "报送日期"


def test_submitted_on_the_signing_day_is_fine():
    (row,) = ok(one_row(签订日期=date(2026, 3, 2), 报送日期=date(2026, 3, 2))).rows
    assert row.submitted_on == date(2026, 3, 2)


@pytest.mark.parametrize("workers", [0, "0", -5])
def test_workers_covered_below_one(workers):
    error = only_error(run(one_row(覆盖职工人数=workers)))
    assert error.column == "覆盖职工人数"


def test_delegates_total_below_one():
    result = run(one_row(职工代表总数=0, 出席代表数=0, 赞成票数=0))
    assert any(e.column == "职工代表总数" for e in result.errors)
    assert result.rows == []


def test_fractional_delegates_refused():
    error = only_error(run(one_row(赞成票数=25.5)))
    assert error.column == "赞成票数"
    assert error.value == "25.5"


@pytest.mark.parametrize("contract_type", ["综合性集体合同", "工资专项集体合同", "综合性"])
def test_wage_contract_without_lowest_wage_is_refused(contract_type):
    error = only_error(run(one_row(合同类型=contract_type, 最低工资标准="")))
    assert error.column == "最低工资标准"


@pytest.mark.parametrize("contract_type", ["女职工权益保护专项集体合同", "其他专项集体合同"])
def test_other_contract_types_without_lowest_wage_are_fine(contract_type):
    (row,) = ok(one_row(合同类型=contract_type, 最低工资标准="")).rows
    assert row.lowest_wage is None


def test_lowest_wage_that_is_not_a_number():
    error = only_error(run(one_row(最低工资标准="面议")))
    assert error.column == "最低工资标准"
    assert error.value == "面议"


def test_bad_dates_are_reported_against_their_column():
    result = run(one_row(签订日期="2026-02-30", 平台录入日期="明天"))
    assert {e.column for e in result.errors} == {"签订日期", "平台录入日期"}
    assert result.rows == []


def test_filed_on_set_by_an_enterprise_user_is_refused():
    error = only_error(run(one_row(备案日期=date(2026, 3, 10)), ctx(CLERK_A)))
    assert error.column == "备案日期"


def test_filed_on_set_by_an_inspector_is_accepted():
    (row,) = ok(one_row(备案日期="2026-03-10"), ctx(INSPECTOR_WY)).rows
    assert row.filed_on == date(2026, 3, 10)


def test_filed_on_set_by_the_city_is_accepted():
    (row,) = ok(one_row(备案日期=date(2026, 3, 10)), ctx(CITY)).rows
    assert row.filed_on == date(2026, 3, 10)


def test_filed_on_in_the_future_or_before_signing_is_refused():
    assert only_error(run(one_row(备案日期=date(2026, 11, 26)))).column == "备案日期"
    assert only_error(run(one_row(备案日期=date(2026, 3, 1)))).column == "备案日期"


def test_signed_date_in_the_future_is_refused():
    error = only_error(run(one_row(签订日期=date(2026, 11, 26), 报送日期="")))
    assert error.column == "签订日期"


def test_signed_today_is_fine():
    (row,) = ok(
        one_row(
            签订日期=TODAY,
            报送日期="",
            平台录入日期="",
            生效日期=TODAY,
            期满日期=date(2029, 11, 24),
        )
    ).rows
    assert row.signed_on == TODAY


# ---------------------------------------------------------------------------- 协商事项 sheet


def test_items_unknown_code():
    result = run(book([contract()], items=[{"合同编号": "WY-2026-001", "事项代码": "Z99"}]))
    error = only_error(result)
    assert error.sheet == "协商事项"
    assert error.row == 2
    assert error.column == "事项代码"
    assert "Z99" in error.message


def test_items_duplicate_code_for_one_contract():
    result = run(
        book(
            [contract()],
            items=[
                {"合同编号": "WY-2026-001", "事项代码": "W04"},
                {"合同编号": "WY-2026-001", "事项代码": "S01"},
                {"合同编号": "WY-2026-001", "事项代码": "w04"},
            ],
        )
    )
    error = only_error(result)
    assert error.sheet == "协商事项"
    assert error.row == 4
    assert "W04" in error.message


def test_items_same_code_on_two_contracts_is_fine():
    result = ok(
        book(
            [contract(), contract(合同编号="WY-2026-002", 统一社会信用代码=USCC_B)],
            items=[
                {"合同编号": "WY-2026-001", "事项代码": "W04"},
                {"合同编号": "WY-2026-002", "事项代码": "W04"},
            ],
        )
    )
    assert [r.items for r in result.rows] == [[("W04", "")], [("W04", "")]]


def test_items_unknown_contract_number():
    result = run(book([contract()], items=[{"合同编号": "WY-9999", "事项代码": "W04"}]))
    error = only_error(result)
    assert error.sheet == "协商事项"
    assert error.column == "合同编号"
    assert "WY-9999" in error.message


def test_items_missing_code_value():
    error = only_error(run(book([contract()], items=[{"合同编号": "WY-2026-001"}])))
    assert error.sheet == "协商事项"
    assert error.column == "事项代码"


# ---------------------------------------------------------------------------- 覆盖企业 sheet


def test_coverage_on_an_enterprise_contract_is_refused():
    result = run(
        book([contract()], coverage=[{"合同编号": "WY-2026-001", "统一社会信用代码": USCC_B}])
    )
    error = only_error(result)
    assert error.sheet == "覆盖企业"
    assert error.row == 2


def test_industry_contract_without_coverage_is_refused():
    for coverage in (None, []):
        result = run(book([industry_contract()], coverage=coverage))
        error = only_error(result)
        assert error.sheet == "合同"
        assert error.row == 2
        assert error.column == "协商层级"
        assert "覆盖企业" in error.message


def test_regional_contract_with_coverage_is_parsed():
    result = ok(
        book(
            [industry_contract(合同编号="WY-QY-1", 协商层级="区域性", 企业名称="武义县桐琴镇")],
            coverage=[
                {"合同编号": "WY-QY-1", "统一社会信用代码": USCC_A, "企业名称": ENT_A.name},
                {"合同编号": "WY-QY-1", "统一社会信用代码": USCC_B.lower()},
            ],
        )
    )
    assert result.rows[0].coverage == [ENT_A.id, ENT_B.id]


@pytest.mark.parametrize("uscc", [USCC_UNKNOWN, USCC_YW])
def test_coverage_uscc_outside_the_registry_of_the_scope(uscc):
    result = run(
        book(
            [industry_contract()],
            coverage=[
                {"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A},
                {"合同编号": "WY-HY-001", "统一社会信用代码": uscc},
            ],
        )
    )
    error = only_error(result)
    assert error.sheet == "覆盖企业"
    assert error.row == 3
    assert error.column == "统一社会信用代码"
    assert "企业名录" in error.message


def test_coverage_invalid_uscc_and_unknown_contract_number():
    result = run(
        book(
            [industry_contract()],
            coverage=[
                {"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A},
                {"合同编号": "WY-HY-001", "统一社会信用代码": USCC_B[:17]},
                {"合同编号": "WY-HY-404", "统一社会信用代码": USCC_C},
            ],
        )
    )
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("覆盖企业", 3, "统一社会信用代码"),
        ("覆盖企业", 4, "合同编号"),
    ]
    assert result.rows == []


def test_coverage_same_enterprise_twice_for_one_contract():
    result = run(
        book(
            [industry_contract()],
            coverage=[
                {"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A},
                {"合同编号": "WY-HY-001", "统一社会信用代码": USCC_A.lower()},
            ],
        )
    )
    error = only_error(result)
    assert (error.sheet, error.row, error.column) == ("覆盖企业", 3, "统一社会信用代码")
    assert "重复" in error.message


@pytest.mark.parametrize("blank_sheet", [[], [[""]], [["", "", ""], ["", "", ""]]])
def test_an_entirely_blank_optional_sheet_is_ignored(blank_sheet):
    # SPEC §4: only 合同 is required and blank rows are accepted; an unused 协商事项 or
    # 覆盖企业 sheet that was cleared completely (header included) holds nothing to import
    workbook = book([contract()])
    workbook.sheets["协商事项"] = [list(r) for r in blank_sheet]
    workbook.sheets["覆盖企业"] = [list(r) for r in blank_sheet]
    (row,) = ok(workbook).rows
    assert row.items == [] and row.coverage == []


# ---------------------------------------------------------------------------- all or nothing


def test_every_error_is_reported_at_once_and_nothing_is_kept():
    result = run(
        book(
            [
                contract(合同编号="WY-1"),  # row 2: fine
                contract(合同编号="WY-2", 统一社会信用代码=USCC_B, 签订日期="garbage"),  # row 3
                contract(合同编号="WY-3", 统一社会信用代码=USCC_C, 覆盖职工人数=0),  # row 4
                contract(合同编号="WY-4", 统一社会信用代码=USCC_UNKNOWN),  # row 5
                contract(合同编号="WY-5", **{"县(市、区)": "杭州市"}),  # row 6
            ],
            items=[{"合同编号": "WY-1", "事项代码": "Z99"}],
        )
    )
    located = [(e.sheet, e.row, e.column) for e in result.errors]
    assert ("合同", 3, "签订日期") in located
    assert ("合同", 4, "覆盖职工人数") in located
    assert ("合同", 5, "统一社会信用代码") in located
    assert ("合同", 6, "县(市、区)") in located
    assert ("协商事项", 2, "事项代码") in located
    assert len(result.errors) == 5
    assert result.rows == []


def test_one_bad_row_among_good_ones_stores_nothing():
    rows = [
        contract(合同编号=f"WY-{n}", 统一社会信用代码=u)
        for n, u in enumerate([USCC_A, USCC_B, USCC_C])
    ]
    rows[1]["赞成票数"] = 29  # more than present (28)
    result = run(book(rows))
    assert result.rows == []
    assert [(e.row, e.column) for e in result.errors] == [(3, "赞成票数")]


def test_several_problems_on_one_row_are_all_reported():
    result = run(
        one_row(
            合同类型="劳动合同",
            协商层级="集团",
            签订日期="2026-13-01",
            覆盖职工人数="很多",
            期满日期="",
        )
    )
    assert {e.column for e in result.errors} >= {
        "合同类型",
        "协商层级",
        "签订日期",
        "覆盖职工人数",
        "期满日期",
    }
    assert all(e.row == 2 for e in result.errors)


def test_error_rows_are_excel_rows_and_shift_with_a_title_row():
    rows = [contract(), contract(合同编号="WY-2", 统一社会信用代码=USCC_B, 覆盖职工人数=0)]
    plain = only_error(run(book(rows)))
    titled = only_error(run(book(rows, title_rows=1)))
    assert plain.row == 3
    assert titled.row == 4
    assert plain.cli_line() == f"合同!3 覆盖职工人数: {plain.message}"
    assert titled.cli_line() == f"合同!4 覆盖职工人数: {titled.message}"


def test_error_carries_the_value_as_typed_and_its_column_index():
    headers = ["序号", *CONTRACT_HEADERS]
    error = only_error(run(book([contract(赞成票数=29.0)], headers=headers)))
    assert error.value == "29"
    assert error.col_index == headers.index("赞成票数")


# ---------------------------------------------------------------------------- RowError.cli_line


def test_cli_line_format():
    assert (
        RowError("合同", 3, "合同编号", "WY-1", "合同编号重复").cli_line()
        == "合同!3 合同编号: 合同编号重复"
    )
    assert (
        RowError(FILE, None, "", "", "缺少「合同」工作表").cli_line() == "file: 缺少「合同」工作表"
    )
    assert RowError("合同", None, "", "", "没有数据行").cli_line() == "合同: 没有数据行"
    assert RowError("合同", 1, "", "", "找不到表头").cli_line() == "合同!1: 找不到表头"


# ---------------------------------------------------------------------------- registry


def reg_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "统一社会信用代码": USCC_A,
        "企业名称": ENT_A.name,
        "县(市、区)": "WY",
        "行业": "五金制造",
        "是否建会": "是",
        "是否规模以上": "是",
        "职工人数": 320,
    }
    row.update(overrides)
    return row


def reg_book(rows: Iterable[Mapping[str, Any]], title_rows: int = 0) -> Workbook:
    return Workbook("xlsx", {"企业名录": grid(REGISTRY_HEADERS, rows, title_rows)})


def reg_ctx(scope: Scope = INSPECTOR_WY, existing: Mapping[str, EnterpriseRef] | None = None):
    return RegistryContext(
        counties=COUNTIES, scope=scope, existing=REGISTRY_REFS if existing is None else existing
    )


def reg_run(workbook: Workbook, context: RegistryContext | None = None) -> ImportResult:
    result = validate_registry(workbook, context or reg_ctx())
    if result.errors:
        assert result.rows == []
    return result


def test_registry_valid_rows_are_parsed():
    new = make_uscc("91330723000000050")
    result = reg_run(
        reg_book(
            [
                reg_row(),
                reg_row(
                    统一社会信用代码=new.lower(),
                    企业名称="武义新企业有限公司",
                    **{"县(市、区)": "武义县"},
                    行业="",
                    是否建会="否",
                    是否规模以上="N",
                    职工人数="",
                ),
            ]
        ),
        reg_ctx(existing={}),
    )
    assert result.errors == []
    first, second = result.rows
    assert (first.row, first.uscc, first.county_id) == (2, USCC_A, WY)
    assert (first.has_union, first.above_scale, first.employees) == (True, True, 320)
    assert (second.row, second.uscc, second.name, second.county_id) == (
        3,
        new,
        "武义新企业有限公司",
        WY,
    )
    assert (second.has_union, second.above_scale, second.employees) == (False, False, None)
    assert second.industry == ""


def test_registry_update_of_an_existing_enterprise_in_scope_is_fine():
    result = reg_run(reg_book([reg_row(企业名称="武义甲五金股份有限公司", 职工人数="1,050")]))
    assert result.errors == []
    assert result.rows[0].employees == 1050


def test_registry_duplicate_uscc_in_the_workbook():
    result = reg_run(
        reg_book(
            [reg_row(), reg_row(统一社会信用代码=USCC_B), reg_row(统一社会信用代码=USCC_A.lower())]
        )
    )
    error = only_error(result)
    assert error.sheet == "企业名录"
    assert error.row == 4
    assert error.column == "统一社会信用代码"
    assert "重复" in error.message and "2" in error.message


@pytest.mark.parametrize(("header", "value"), [("是否建会", "不清楚"), ("是否规模以上", "大概")])
def test_registry_bad_yes_no(header, value):
    error = only_error(reg_run(reg_book([reg_row(**{header: value})])))
    assert error.column == header
    assert error.value == value
    assert "是" in error.message and "否" in error.message


@pytest.mark.parametrize(
    "header", ["统一社会信用代码", "企业名称", "县(市、区)", "是否建会", "是否规模以上"]
)
def test_registry_required_values(header):
    error = only_error(reg_run(reg_book([reg_row(**{header: ""})])))
    assert error.column == header


def test_registry_existing_enterprise_in_another_county_outside_scope_is_refused():
    # ENT_YW is registered in 义乌; a 武义 inspector may not take it over by re-registering it
    error = only_error(reg_run(reg_book([reg_row(统一社会信用代码=USCC_YW, 企业名称=ENT_YW.name)])))
    assert error.column == "统一社会信用代码"
    assert "义乌市" in error.message


def test_registry_city_may_move_an_enterprise_between_counties():
    result = reg_run(
        reg_book([reg_row(统一社会信用代码=USCC_YW, 企业名称=ENT_YW.name)]), reg_ctx(CITY)
    )
    assert result.errors == []
    assert result.rows[0].county_id == WY


def test_registry_county_outside_scope_and_unknown_county():
    new = make_uscc("91330782000000051")
    result = reg_run(
        reg_book(
            [
                reg_row(统一社会信用代码=new, **{"县(市、区)": "YW"}),
                reg_row(统一社会信用代码=USCC_B, **{"县(市、区)": "杭州"}),
            ]
        )
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "县(市、区)"), (3, "县(市、区)")]
    assert "管辖范围" in result.errors[0].message


def test_registry_invalid_uscc():
    error = only_error(reg_run(reg_book([reg_row(统一社会信用代码=USCC_A[:17] + "Z")])))
    assert error.column == "统一社会信用代码"


def test_registry_missing_sheet_and_missing_column():
    error = only_error(reg_run(Workbook("xlsx", {"合同": [["x"]]})))
    assert error.sheet == FILE
    headers = [h for h in REGISTRY_HEADERS if h != "是否建会"]
    workbook = Workbook(
        "xlsx",
        {"企业名录": grid(headers, [{k: v for k, v in reg_row().items() if k != "是否建会"}])},
    )
    error = only_error(reg_run(workbook))
    assert (error.sheet, error.row, error.column) == ("企业名录", 1, "是否建会")


def test_registry_all_errors_at_once_and_title_row_offsets():
    result = reg_run(
        reg_book(
            [
                reg_row(),
                reg_row(统一社会信用代码=USCC_B, 是否建会="?"),
                reg_row(统一社会信用代码=USCC_C, 职工人数=-1),
            ],
            title_rows=1,
        )
    )
    assert [(e.row, e.column) for e in result.errors] == [(4, "是否建会"), (5, "职工人数")]
    assert result.rows == []
    assert result.errors[0].cli_line() == f"企业名录!4 是否建会: {result.errors[0].message}"
