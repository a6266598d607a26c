"""The upload templates' sheets and columns, and finding a header row by name (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bargaining.cells import normalize_header

HEADER_SEARCH_ROWS = 5


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = True  # the column must be present (values may still be optional)
    aliases: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


CONTRACTS = SheetSpec(
    "合同",
    (
        Column("number", "合同编号", hint="本单位的合同编号，其他表按此编号引用"),
        Column(
            "contract_type", "合同类型", hint="综合性/工资专项/女职工权益保护专项/其他专项集体合同"
        ),
        Column("level", "协商层级", hint="企业 / 行业性 / 区域性"),
        Column(
            "uscc",
            "统一社会信用代码",
            required=False,
            aliases=("信用代码", "社会信用代码"),
            hint="企业级合同必填，18位",
        ),
        Column(
            "name",
            "企业名称",
            aliases=("单位名称", "名称", "企业(行业、区域)名称"),
            hint="企业名称，或行业/区域名称",
        ),
        Column(
            "county",
            "县(市、区)",
            aliases=("县市区", "所属县(市、区)", "县(市,区)", "所在县(市、区)"),
            hint="代码（如 WY）或名称（如 武义县）",
        ),
        Column("industry", "行业", required=False, aliases=("所属行业",)),
        Column("signed_on", "签订日期"),
        Column("delegates_total", "职工代表总数", aliases=("职工代表人数",)),
        Column("delegates_present", "出席代表数", aliases=("出席代表人数",)),
        Column("votes_for", "赞成票数"),
        Column("effective_on", "生效日期"),
        Column("expires_on", "期满日期", aliases=("到期日期", "终止日期")),
        Column(
            "submitted_on",
            "报送日期",
            required=False,
            aliases=("报送劳动保障部门日期",),
            hint="报送人力社保部门审查的日期",
        ),
        Column("workers_covered", "覆盖职工人数", aliases=("覆盖职工数",)),
        Column(
            "lowest_wage",
            "最低工资标准",
            required=False,
            aliases=("最低工资标准(元/月)", "最低工资(元/月)"),
            hint="元/月；综合性和工资专项合同必填",
        ),
        Column(
            "raise_pct",
            "工资增长幅度",
            required=False,
            aliases=("工资增长幅度(%)",),
            hint="百分比，如 5 表示 5%",
        ),
        Column(
            "platform_entered_on",
            "平台录入日期",
            required=False,
            hint="全国工会集体协商信息化平台录入日期，未录入留空",
        ),
        Column("remarks", "备注", required=False),
        Column(
            "filed_on",
            "备案日期",
            required=False,
            hint="仅县级指导员、市总工会补录纸质备案时填写；留空为上传日期",
        ),
    ),
    aliases=("集体合同", "合同信息"),
)

ITEMS = SheetSpec(
    "协商事项",
    (
        Column("number", "合同编号"),
        Column("item_code", "事项代码", aliases=("协商事项代码", "代码")),
        Column("summary", "条款摘要", required=False, aliases=("摘要", "条款内容")),
    ),
)

COVERAGE = SheetSpec(
    "覆盖企业",
    (
        Column("number", "合同编号"),
        Column("uscc", "统一社会信用代码", aliases=("信用代码", "社会信用代码")),
        Column("name", "企业名称", required=False, aliases=("单位名称", "名称")),
    ),
)

REGISTRY = SheetSpec(
    "企业名录",
    (
        Column("uscc", "统一社会信用代码", aliases=("信用代码", "社会信用代码")),
        Column("name", "企业名称", aliases=("单位名称", "名称")),
        Column(
            "county",
            "县(市、区)",
            aliases=("县市区", "所属县(市、区)", "县(市,区)", "所在县(市、区)"),
        ),
        Column("industry", "行业", required=False, aliases=("所属行业",)),
        Column("has_union", "是否建会", hint="是 / 否"),
        Column("above_scale", "是否规模以上", aliases=("是否规上", "规模以上"), hint="是 / 否"),
        Column("employees", "职工人数", required=False, aliases=("职工数", "从业人数")),
    ),
)


@dataclass(frozen=True)
class HeaderMatch:
    row_index: int  # 0-based index into the sheet's rows
    columns: dict[str, int]  # column key -> 0-based column index
    missing: tuple[Column, ...]  # required columns not found


def _names(column: Column) -> set[str]:
    names = {normalize_header(column.header), *(normalize_header(a) for a in column.aliases)}
    return names


def match_header(rows: Sequence[Sequence[Any]], spec: SheetSpec) -> HeaderMatch | None:
    """Find the header among the first rows (a title row above it is common) by names.

    The row matching the most known headers wins; None when no row matches any.
    """
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for name in _names(column):
            lookup[name] = column.key
    best: HeaderMatch | None = None
    best_count = 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for col_index, value in enumerate(row):
            text = normalize_header(value)
            key = lookup.get(text)
            if key is None and text.endswith(")") and "(" in text:
                key = lookup.get(text[: text.rindex("(")])
            if key is not None and key not in found:
                found[key] = col_index
        if len(found) > best_count:
            best_count = len(found)
            missing = tuple(c for c in spec.columns if c.required and c.key not in found)
            best = HeaderMatch(index, found, missing)
    return best


def find_sheet(sheet_names: Sequence[str], spec: SheetSpec) -> str | None:
    wanted = {normalize_header(spec.name), *(normalize_header(a) for a in spec.aliases)}
    for name in sheet_names:
        if normalize_header(name) in wanted:
            return name
    return None
