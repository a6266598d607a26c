"""The downloadable filing and registry templates (pure: reference data in, xlsx bytes out).

Data sheets hold only the header row (an example row there would be imported); examples
and the rules live on the 「说明」 sheet. Lists come from a hidden 「代码表」 sheet so that
data validation works in Excel, WPS and LibreOffice alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bargaining.models import CONTRACT_TYPES, LEVELS
from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS, REGISTRY, SheetSpec
from bargaining.uscc import make_uscc
from core.xlsx import HEADER_FONT, save

REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
OPTIONAL_FILL = PatternFill("solid", fgColor="1F4E79")
DATA_ROWS = 5000
EXAMPLE_USCC = make_uscc("91330723MA2HX0001")
EXAMPLE_COVERED_USCC = make_uscc("91330782MA2EC6WD3")
DATE_KEYS = {
    "signed_on",
    "effective_on",
    "expires_on",
    "submitted_on",
    "platform_entered_on",
    "filed_on",
}
#: codes and numbers that must keep their digits (a leading 0, an all-digit USCC): Text ("@")
TEXT_KEYS = {"number", "uscc"}
TEXT_ROWS = 1000
INT_KEYS = {"delegates_total", "delegates_present", "votes_for", "workers_covered", "employees"}
REQUIRED_VALUES = {
    "number",
    "contract_type",
    "level",
    "name",
    "county",
    "signed_on",
    "delegates_total",
    "delegates_present",
    "votes_for",
    "effective_on",
    "expires_on",
    "workers_covered",
    "item_code",
    "uscc",
    "has_union",
    "above_scale",
}


def _header(ws: Worksheet, spec: SheetSpec) -> dict[str, str]:
    letters: dict[str, str] = {}
    for i, column in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=i, value=column.header)
        required = column.key in REQUIRED_VALUES and not (
            spec is CONTRACTS and column.key == "uscc"
        )
        cell.fill = REQUIRED_FILL if required else OPTIONAL_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(i)
        letters[column.key] = letter
        ws.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        if column.key in DATE_KEYS:
            for row in range(2, 202):
                ws.cell(row=row, column=i).number_format = "yyyy-mm-dd"
        if column.key in TEXT_KEYS:
            # the column's own style (new cells typed anywhere) and the first rows' cells
            ws.column_dimensions[letter].number_format = "@"
            for row in range(2, TEXT_ROWS + 2):
                ws.cell(row=row, column=i).number_format = "@"
    ws.freeze_panes = "A2"
    return letters


def _list_validation(ws: Worksheet, letter: str, source: str, prompt: str) -> None:
    dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True)
    dv.error = "请从下拉列表中选择"
    dv.errorTitle = "输入有误"
    dv.prompt = prompt
    dv.showInputMessage = True
    dv.add(f"{letter}2:{letter}{DATA_ROWS}")
    ws.add_data_validation(dv)


def _typed_validation(ws: Worksheet, letter: str, kind: str) -> None:
    if kind == "date":
        dv = DataValidation(
            type="date",
            operator="between",
            formula1="DATE(1990,1,1)",
            formula2="DATE(2100,12,31)",
            allow_blank=True,
        )
        dv.error = "请填写日期，如 2026-06-17"
    else:
        dv = DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
        dv.error = "请填写整数"
    dv.showErrorMessage = True
    dv.add(f"{letter}2:{letter}{DATA_ROWS}")
    ws.add_data_validation(dv)


def _codes_sheet(wb: Workbook, columns: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
    ws = wb.create_sheet("代码表")
    ranges: dict[str, str] = {}
    for i, (title, values) in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.cell(row=1, column=i, value=title).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            ws.cell(row=r, column=i, value=value)
        ranges[title] = f"'代码表'!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return ranges


def _instructions(
    wb: Workbook,
    title: str,
    lines: Sequence[str],
    examples: Sequence[tuple[str, SheetSpec, Sequence[Sequence[object]]]],
) -> None:
    ws = wb.create_sheet("说明", 0)
    ws.column_dimensions["A"].width = 110
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    row = 3
    for line in lines:
        ws.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
        row += 1
    for caption, spec, rows in examples:
        row += 1
        ws.cell(row=row, column=1, value=caption).font = Font(bold=True)
        row += 1
        for i, column in enumerate(spec.columns, start=1):
            ws.cell(row=row, column=i, value=column.header).font = Font(bold=True)
        for values in rows:
            row += 1
            for i, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=i, value=value)
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
    row += 2
    ws.cell(row=row, column=1, value="列说明").font = Font(bold=True)
    for spec in (
        (CONTRACTS, ITEMS, COVERAGE) if examples and examples[0][1] is CONTRACTS else (REGISTRY,)
    ):
        for column in spec.columns:
            row += 1
            note = f"「{spec.name}」{column.header}：{column.hint or ('必填' if column.key in REQUIRED_VALUES else '选填')}"
            ws.cell(row=row, column=1, value=note)


def filing_template(
    counties: Sequence[tuple[str, str]],
    items: Sequence[tuple[str, str, str]],
    prefill: tuple[str, str, str] | None = None,
) -> bytes:
    """``counties``: (code, name); ``items``: (code, name, kind) of the active catalogue;
    ``prefill``: (USCC, enterprise name, county name) written on the first data row of 合同
    for an enterprise clerk (with 协商层级 企业)."""
    wb = Workbook()
    wb.remove(wb.active)
    contracts = wb.create_sheet(CONTRACTS.name)
    item_ws = wb.create_sheet(ITEMS.name)
    coverage = wb.create_sheet(COVERAGE.name)
    ranges = _codes_sheet(
        wb,
        [
            ("合同类型", CONTRACT_TYPES),
            ("协商层级", LEVELS),
            ("县(市、区)", [name for _, name in counties] + [code for code, _ in counties]),
            ("事项代码", [code for code, _, _ in items]),
            (
                "事项名称",
                [
                    f"{code} {name}（{ {'baseline': '基础项', 'expansion': '拓展项', 'other': '不计入'}[kind] }）"
                    for code, name, kind in items
                ],
            ),
        ],
    )
    letters = _header(contracts, CONTRACTS)
    _list_validation(contracts, letters["contract_type"], ranges["合同类型"], "选择合同类型")
    _list_validation(contracts, letters["level"], ranges["协商层级"], "企业 / 行业性 / 区域性")
    _list_validation(contracts, letters["county"], ranges["县(市、区)"], "县(市、区)名称或代码")
    for key in DATE_KEYS:
        _typed_validation(contracts, letters[key], "date")
    for key in INT_KEYS & set(letters):
        _typed_validation(contracts, letters[key], "int")
    item_letters = _header(item_ws, ITEMS)
    _list_validation(
        item_ws, item_letters["item_code"], ranges["事项代码"], "协商事项代码，见「说明」表"
    )
    _header(coverage, COVERAGE)
    if prefill is not None:
        uscc, name, county_name = prefill
        for key, value in (
            ("level", "企业"),
            ("uscc", uscc),
            ("name", name),
            ("county", county_name),
        ):
            contracts[f"{letters[key]}2"] = value
    example_date = date(2026, 6, 17)
    _instructions(
        wb,
        "工资集体协商合同备案模板 — 填写说明",
        [
            "1. 在「合同」表每行填写一份合同；「协商事项」表每行填写一份合同的一个协商事项；行业性、区域性合同在「覆盖企业」表列出覆盖的企业。",
            "2. 红色表头为必填列。列的顺序可以调整，可以增加其他列；表头须在前5行内。不要在数据表中保留示例行。",
            "3. 日期可写作 2026-06-17、2026/6/17、2026.6.17 或 2026年6月17日；县(市、区)可填代码（如 WY）或名称（如 武义县）。",
            "4. 整个文件全部通过校验才会导入；有任何错误时不导入任何合同，并列出全部错误，可下载标出错误单元格的文件修改。",
            "5. 同一合同编号再次上传视为新版本，历史版本保留。同一文件重复上传不会重复导入。",
            "6. 基础项 W01—W03 每份工资合同都应包含，不计入拓展协商内容；N01「其他」可以填写但不计入。",
            "7. 法定要件（代表表决、合同期限、报送时限、最低工资、平台录入）不符合时仍会备案，但会标注预审提示，供抽查时核查。",
            "8. 请勿使用公式，文件不要加密；大小不超过 20 MB，每个工作表不超过 50,000 行。",
        ],
        [
            (
                "示例：「合同」表",
                CONTRACTS,
                [
                    [
                        "WY-2026-001",
                        "工资专项集体合同",
                        "企业",
                        EXAMPLE_USCC,
                        "武义示例五金有限公司",
                        "武义县",
                        "五金制造",
                        example_date,
                        45,
                        40,
                        38,
                        date(2026, 7, 1),
                        date(2029, 6, 30),
                        date(2026, 6, 24),
                        320,
                        2300,
                        5,
                        date(2026, 6, 30),
                        "",
                        "",
                    ],
                    [
                        "YW-HY-2026-01",
                        "工资专项集体合同",
                        "行业性",
                        "",
                        "义乌市内贸电子商务行业",
                        "YW",
                        "电子商务",
                        example_date,
                        60,
                        52,
                        50,
                        date(2026, 7, 1),
                        date(2028, 6, 30),
                        date(2026, 6, 20),
                        2600,
                        2600,
                        6,
                        "",
                        "",
                        "",
                    ],
                ],
            ),
            (
                "示例：「协商事项」表",
                ITEMS,
                [
                    ["WY-2026-001", "S01", "技能等级工资标准分五级"],
                    ["WY-2026-001", "A01", "夜班津贴每班30元"],
                ],
            ),
            (
                "示例：「覆盖企业」表",
                COVERAGE,
                [["YW-HY-2026-01", EXAMPLE_COVERED_USCC, "义乌某电子商务有限公司"]],
            ),
        ],
    )
    ws_info = wb["说明"]
    row = ws_info.max_row + 2
    ws_info.cell(row=row, column=1, value="协商事项目录").font = Font(bold=True)
    for code, name, kind in items:
        row += 1
        label = {"baseline": "基础项（不计入拓展）", "expansion": "拓展项", "other": "不计入"}[kind]
        ws_info.cell(row=row, column=1, value=f"{code}  {name}  — {label}")
    wb.active = 0
    return save(wb)


def registry_template(counties: Sequence[tuple[str, str]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet(REGISTRY.name)
    ranges = _codes_sheet(
        wb,
        [
            ("县(市、区)", [name for _, name in counties] + [code for code, _ in counties]),
            ("是否", ("是", "否")),
        ],
    )
    letters = _header(ws, REGISTRY)
    _list_validation(ws, letters["county"], ranges["县(市、区)"], "县(市、区)名称或代码")
    _list_validation(ws, letters["has_union"], ranges["是否"], "是 / 否")
    _list_validation(ws, letters["above_scale"], ranges["是否"], "是 / 否")
    _typed_validation(ws, letters["employees"], "int")
    _instructions(
        wb,
        "企业名录模板 — 填写说明",
        [
            "1. 每行一家企业；统一社会信用代码为18位（GB 32100-2015，含校验位）。",
            "2. 再次上传同一企业会更新其信息，历史记录保留在操作日志中。",
            "3. 整个文件全部通过校验才会导入；有任何错误时不作任何更改，并列出全部错误。",
        ],
        [
            (
                "示例：「企业名录」表",
                REGISTRY,
                [[EXAMPLE_USCC, "武义示例五金有限公司", "武义县", "五金制造", "是", "是", 320]],
            )
        ],
    )
    wb.active = 0
    return save(wb)
