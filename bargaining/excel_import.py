"""Validating filing and registry workbooks (pure: cell grids in, rows and errors out).

Nothing here touches the database: the service hands in what the rules need to know
(counties, the catalogue, the registry entries the workbook names, the user's scope, today)
as a :class:`FilingContext` or :class:`RegistryContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from bargaining.cells import (
    display,
    is_blank,
    normalize_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from bargaining.models import CONTRACT_TYPES, LEVEL_ENTERPRISE, LEVELS, WAGE_CONTRACT_TYPES
from bargaining.sheets import (
    CONTRACTS,
    COVERAGE,
    ITEMS,
    REGISTRY,
    HeaderMatch,
    SheetSpec,
    find_sheet,
    match_header,
)
from bargaining.uscc import uscc_problem
from core.errors import UserError
from core.i18n import N_, Msg
from core.spreadsheet import Workbook

MAX_ERRORS = 5_000
FILE = N_("文件")  # the "sheet" of an error about the whole file


@dataclass(frozen=True)
class RowError:
    """One problem, located as Excel shows it: sheet, row (header row = 1 when in row 1), column."""

    sheet: str
    row: int | None
    column: str
    value: str
    message: str  # a Msg when built here (stored, shown later in the reader's language)
    col_index: int | None = None

    def cli_line(self) -> str:
        if self.sheet == FILE:
            return f"file: {self.message}"
        where = f"{self.sheet}!{self.row}" if self.row else self.sheet
        col = f" {self.column}" if self.column else ""
        return f"{where}{col}: {self.message}"


@dataclass(frozen=True)
class EnterpriseRef:
    id: int
    uscc: str
    name: str
    county_id: int


@dataclass(frozen=True)
class Scope:
    """Which counties (None = all) and which single enterprise (None = any) a user may act for."""

    county_ids: frozenset[int] | None
    enterprise_id: int | None = None

    def allows_county(self, county_id: int) -> bool:
        return self.county_ids is None or county_id in self.county_ids


@dataclass(frozen=True)
class Counties:
    by_key: Mapping[str, int]  # code (upper) and name -> id
    names: Mapping[int, str]

    def resolve(self, text: str) -> int | None:
        return self.by_key.get(text.upper()) or self.by_key.get(text)


@dataclass(frozen=True)
class FilingContext:
    counties: Counties
    scope: Scope
    items: Mapping[str, str]  # active catalogue code -> kind
    enterprises: Mapping[str, EnterpriseRef]  # registry entries by USCC
    may_set_filed_on: bool
    today: date
    #: data rows a sheet may hold, its header not counted (setting upload_max_rows, SPEC §4)
    max_rows: int = 50_000


@dataclass
class FilingRow:
    row: int
    number: str
    contract_type: str
    level: str
    uscc: str
    name: str
    county_id: int
    industry: str
    signed_on: date
    delegates_total: int
    delegates_present: int
    votes_for: int
    effective_on: date
    expires_on: date
    submitted_on: date | None
    workers_covered: int
    lowest_wage: Decimal | None
    raise_pct: Decimal | None
    platform_entered_on: date | None
    remarks: str
    filed_on: date | None
    enterprise_id: int | None
    items: list[tuple[str, str]] = field(default_factory=list)
    coverage: list[int] = field(default_factory=list)


@dataclass
class ImportResult:
    rows: list[Any]
    errors: list[RowError]
    truncated: bool = False


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.truncated = False

    def add(self, error: RowError) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(error)
        else:
            self.truncated = True


@dataclass
class _SheetRows:
    name: str
    header: HeaderMatch
    rows: list[tuple[int, Sequence[Any]]]  # (excel row number, cells)


def _load_sheet(
    book: Workbook, spec: SheetSpec, errors: _Errors, required: bool, max_rows: int
) -> _SheetRows | None:
    name = find_sheet(list(book.sheets), spec)
    if name is None:
        if required:
            errors.add(
                RowError(
                    FILE,
                    None,
                    "",
                    "",
                    Msg("缺少「%(sheet)s」工作表（请使用下载的模板）", sheet=spec.name),
                )
            )
        return None
    grid = book.sheets[name]
    if not required and all(is_blank(v) for row in grid for v in row):
        return None  # an optional sheet left entirely empty is as good as absent
    header = match_header(grid, spec)
    if header is None:
        errors.add(
            RowError(
                name,  # the workbook's own name of the sheet (it may be an alias)
                1,
                "",
                "",
                Msg(
                    "在前5行中找不到表头（应包含「%(column)s」等列名）",
                    column=spec.columns[0].header,
                ),
            )
        )
        return None
    for column in header.missing:
        errors.add(
            RowError(
                name,
                header.row_index + 1,
                column.header,
                "",
                Msg("缺少必需的列「%(column)s」", column=column.header),
            )
        )
    if header.missing:
        return None
    data_rows = _used_height(grid) - header.row_index - 1
    if data_rows > max_rows:  # exactly: the header and the rows above it are not counted
        errors.add(
            RowError(
                FILE,
                None,
                "",
                "",
                Msg(
                    "工作表「%(sheet)s」有 %(n)s 行数据，超过 %(rows)s 行上限（表头不计），请分批上传",
                    sheet=name,
                    n=f"{data_rows:,}",
                    rows=f"{max_rows:,}",
                ),
            )
        )
        return None
    rows: list[tuple[int, Sequence[Any]]] = [
        (index + 1, cells)
        for index, cells in enumerate(grid[header.row_index + 1 :], start=header.row_index + 1)
        if not all(is_blank(v) for v in cells)
    ]
    return _SheetRows(name, header, rows)


def _used_height(grid: Sequence[Sequence[Any]]) -> int:
    """Rows down to the last one holding a value (formatted-but-empty trailing rows do not
    count; blank rows between data rows do)."""
    n = len(grid)
    while n and all(is_blank(v) for v in grid[n - 1]):
        n -= 1
    return n


class _RowReader:
    """Reads typed values out of one row, recording each problem against its cell."""

    def __init__(
        self, spec: SheetSpec, sheet: _SheetRows, row: int, cells: Sequence[Any], errors: _Errors
    ):
        self.spec, self.sheet, self.row, self.cells, self.errors = spec, sheet, row, cells, errors
        self.ok = True
        width = len(cells)
        self.values = {k: cells[i] if i < width else "" for k, i in sheet.header.columns.items()}

    def raw(self, key: str) -> Any:
        return self.values.get(key, "")

    def fail(self, key: str, message: str, value: Any = None) -> None:
        self.ok = False
        raw = self.raw(key) if value is None else value
        self.errors.add(
            RowError(
                self.sheet.name,
                self.row,
                self.spec.column(key).header,
                display(raw),
                message,
                self.sheet.header.columns.get(key),
            )
        )

    def get(self, key: str, parse: Callable[[Any], Any], required: bool = True) -> Any:
        value = self.values.get(key, "")
        # is_blank, inline: called for every cell of the workbook
        if value == "" or value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(key, Msg("「%(column)s」不能为空", column=self.spec.column(key).header))
            return None
        try:
            return parse(value)
        except UserError as problem:
            self.fail(key, problem.message)
            return None

    def text(self, key: str, required: bool = True, max_len: int = 200) -> str:
        value = self.get(key, normalize_text, required)
        if value and len(value) > max_len:
            self.fail(key, Msg("内容过长（最多 %(max)s 个字）", max=max_len))
        return value or ""


def _formula_errors(book: Workbook, errors: _Errors, specs: Sequence[SheetSpec]) -> None:
    """A formula instead of a value, reported as `sheet!row column` with the column's header
    name (SPEC §9), under the sheet's name in the workbook (an alias included)."""
    names = list(book.sheets)
    for spec in specs:
        name = find_sheet(names, spec)
        if name is None:
            continue
        grid = book.sheets[name]
        header = match_header(grid, spec)
        for cell in book.formulas:
            if cell.sheet != name:
                continue
            row, col = _ref_row(cell.ref), _ref_col(cell.ref)
            errors.add(
                RowError(
                    name,
                    row,
                    _header_name(grid, spec, header, row, col) or cell.ref,
                    "",
                    Msg("单元格是公式，请改为数值（复制后“选择性粘贴 → 数值”）再上传"),
                    col,
                )
            )


def _header_name(
    grid: Sequence[Sequence[Any]],
    spec: SheetSpec,
    header: HeaderMatch | None,
    row: int | None,
    col: int | None,
) -> str:
    """The header name of column ``col`` for a cell below the header row: the template's name
    for a known column, the workbook's own text for another; "" when there is none."""
    if header is None or row is None or col is None or row <= header.row_index + 1:
        return ""
    for key, index in header.columns.items():
        if index == col:
            return spec.column(key).header
    titles = grid[header.row_index] if header.row_index < len(grid) else ()
    return normalize_text(titles[col]) if col < len(titles) and not is_blank(titles[col]) else ""


def _ref_row(ref: str) -> int | None:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return int(digits) if digits else None


def _ref_col(ref: str) -> int | None:
    letters = "".join(ch for ch in ref if ch.isalpha())
    if not letters:
        return None
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _uscc(reader: _RowReader, key: str, required: bool) -> str:
    code = reader.get(key, lambda v: normalize_text(v).upper().replace(" ", ""), required) or ""
    if code:
        problem = uscc_problem(code)
        if problem:
            reader.fail(key, problem)
            return ""
    return code


def filing_usccs(book: Workbook) -> set[str]:
    """Every USCC the workbook names (so the service can look them up in one query)."""
    found: set[str] = set()
    for spec in (CONTRACTS, COVERAGE):
        name = find_sheet(list(book.sheets), spec)
        if name is None:
            continue
        header = match_header(book.sheets[name], spec)
        if header is None or "uscc" not in header.columns:
            continue
        index = header.columns["uscc"]
        for cells in book.sheets[name][header.row_index + 1 :]:
            if index < len(cells) and not is_blank(cells[index]):
                found.add(normalize_text(cells[index]).upper().replace(" ", ""))
    return found


def validate_filings(book: Workbook, ctx: FilingContext) -> ImportResult:
    """Check every rule of SPEC §4 on a filing workbook; all errors are collected at once."""
    errors = _Errors()
    _formula_errors(book, errors, [CONTRACTS, ITEMS, COVERAGE])
    contracts_sheet = _load_sheet(book, CONTRACTS, errors, True, ctx.max_rows)
    items_sheet = _load_sheet(book, ITEMS, errors, False, ctx.max_rows)
    coverage_sheet = _load_sheet(book, COVERAGE, errors, False, ctx.max_rows)
    if contracts_sheet is None:
        return ImportResult([], errors.items, errors.truncated)
    if not contracts_sheet.rows:
        errors.add(_no_data_rows(contracts_sheet))

    by_number: dict[str, FilingRow] = {}
    numbers_seen: dict[str, int] = {}
    rows: list[FilingRow] = []
    for row_no, cells in contracts_sheet.rows:
        parsed = _contract_row(contracts_sheet, row_no, cells, ctx, errors, numbers_seen)
        if parsed is not None:
            rows.append(parsed)
            by_number[parsed.number] = parsed

    if items_sheet is not None:
        _attach_items(items_sheet, ctx, errors, by_number, numbers_seen)
    if coverage_sheet is not None:
        _attach_coverage(coverage_sheet, ctx, errors, by_number, numbers_seen)
    for parsed in rows:
        if parsed.level != LEVEL_ENTERPRISE and not parsed.coverage:
            errors.add(
                RowError(
                    contracts_sheet.name,
                    parsed.row,
                    CONTRACTS.column("level").header,
                    parsed.level,
                    Msg(
                        "%(level)s合同须在「%(sheet)s」表中列出其覆盖的企业",
                        level=parsed.level,
                        sheet=COVERAGE.name,
                    ),
                    contracts_sheet.header.columns.get("level"),
                )
            )
    _sort(errors, book, (CONTRACTS, ITEMS, COVERAGE))
    return ImportResult(rows if not errors.items else [], errors.items, errors.truncated)


def _no_data_rows(sheet: _SheetRows) -> RowError:
    """A sheet with its header and nothing under it: reported on the row after the header
    (`合同!2: …`), as every other error is reported on a row."""
    return RowError(
        sheet.name,
        sheet.header.row_index + 2,
        "",
        "",
        Msg("「%(sheet)s」表没有数据行", sheet=sheet.name),
    )


def _sort(errors: _Errors, book: Workbook, specs: Sequence[SheetSpec]) -> None:
    """File-level errors first, then sheet by sheet in template order, row by row, left to right."""
    names = list(book.sheets)
    order = [find_sheet(names, spec) or spec.name for spec in specs]
    rank = {FILE: -1, **{name: i for i, name in enumerate(order)}}
    errors.items.sort(
        key=lambda e: (rank.get(e.sheet, len(rank)), e.sheet, e.row or 0, e.col_index or 0)
    )


def _contract_row(
    sheet: _SheetRows,
    row_no: int,
    cells: Sequence[Any],
    ctx: FilingContext,
    errors: _Errors,
    numbers_seen: dict[str, int],
) -> FilingRow | None:
    r = _RowReader(CONTRACTS, sheet, row_no, cells, errors)
    number = r.text("number", max_len=64)
    if number:
        if number in numbers_seen:
            r.fail(
                "number",
                Msg(
                    "合同编号「%(number)s」在本工作簿中重复（第 %(row)s 行已出现）",
                    number=number,
                    row=numbers_seen[number],
                ),
            )
        else:
            numbers_seen[number] = row_no
    contract_type = r.text("contract_type")
    if contract_type and contract_type not in CONTRACT_TYPES:
        contract_type = _match_type(contract_type) or contract_type
        if contract_type not in CONTRACT_TYPES:
            r.fail("contract_type", Msg("合同类型应为：%(types)s", types="、".join(CONTRACT_TYPES)))
    level = r.text("level")
    level = {"企业级": "企业", "行业": "行业性", "区域": "区域性"}.get(level, level)  # i18n: data
    if level and level not in LEVELS:
        r.fail(
            "level",
            Msg("协商层级应为：%(a)s、%(b)s 或 %(c)s", a=LEVELS[0], b=LEVELS[1], c=LEVELS[2]),
        )
    uscc = _uscc(r, "uscc", required=level == LEVEL_ENTERPRISE)
    name = r.text("name")
    county_text = r.text("county", max_len=40)
    county_id = ctx.counties.resolve(county_text) if county_text else None
    if county_text and county_id is None:
        r.fail("county", _unknown_county(county_text))
    elif county_id is not None and not ctx.scope.allows_county(county_id):
        r.fail(
            "county",
            Msg(
                "「%(county)s」不在您的管辖范围内，不能为其备案",
                county=ctx.counties.names[county_id],
            ),
        )
        county_id = None
    industry = r.text("industry", required=False, max_len=60)

    enterprise_id: int | None = None
    if level == LEVEL_ENTERPRISE and uscc:
        ref = ctx.enterprises.get(uscc)
        if ref is None or not ctx.scope.allows_county(ref.county_id):
            r.fail(
                "uscc",
                Msg("该统一社会信用代码不在您管辖范围的企业名录中，请先由县级指导员登记企业名录"),
            )
        elif ctx.scope.enterprise_id is not None and ref.id != ctx.scope.enterprise_id:
            r.fail("uscc", Msg("企业经办人只能为本企业备案"))
        elif county_id is not None and ref.county_id != county_id:
            r.fail(
                "county",
                Msg(
                    "与企业名录登记的县(市、区)「%(county)s」不一致",
                    county=ctx.counties.names[ref.county_id],
                ),
            )
        else:
            enterprise_id = ref.id
    elif level and level != LEVEL_ENTERPRISE and ctx.scope.enterprise_id is not None:
        r.fail(
            "level",
            Msg("企业经办人只能备案本企业的企业级合同；行业性、区域性合同由县级指导员备案"),
        )

    signed_on = r.get("signed_on", parse_date)
    if signed_on and signed_on > ctx.today:
        r.fail("signed_on", Msg("签订日期晚于今天"))
    positive = lambda v: parse_int(v, minimum=1)  # noqa: E731
    total = r.get("delegates_total", positive)
    present = r.get("delegates_present", parse_int)
    votes = r.get("votes_for", parse_int)
    if total is not None and present is not None and present > total:
        r.fail(
            "delegates_present",
            Msg("出席代表数 %(present)s 大于职工代表总数 %(total)s", present=present, total=total),
        )
    if present is not None and votes is not None and votes > present:
        r.fail(
            "votes_for",
            Msg("赞成票数 %(votes)s 大于出席代表数 %(present)s", votes=votes, present=present),
        )
    effective_on = r.get("effective_on", parse_date)
    expires_on = r.get("expires_on", parse_date)
    if effective_on and expires_on and expires_on <= effective_on:
        r.fail("expires_on", Msg("期满日期应晚于生效日期"))
    submitted_on = r.get("submitted_on", parse_date, required=False)
    if submitted_on and signed_on and submitted_on < signed_on:
        r.fail("submitted_on", Msg("报送日期早于签订日期"))
    elif submitted_on and submitted_on > ctx.today:
        r.fail("submitted_on", Msg("报送日期晚于今天"))
    workers = r.get("workers_covered", positive)
    wage_required = contract_type in WAGE_CONTRACT_TYPES
    lowest_wage = r.get(
        "lowest_wage", lambda v: parse_decimal(v, Decimal("1"), Decimal("1000000")), required=False
    )
    if lowest_wage is None and wage_required and is_blank(r.raw("lowest_wage")):
        r.fail("lowest_wage", Msg("%(type)s必须填写最低工资标准（元/月）", type=contract_type))
    raise_pct = r.get(
        "raise_pct", lambda v: parse_decimal(v, Decimal("-100"), Decimal("1000")), required=False
    )
    platform_on = r.get("platform_entered_on", parse_date, required=False)
    if platform_on and platform_on > ctx.today:
        r.fail("platform_entered_on", Msg("平台录入日期晚于今天"))
    remarks = r.text("remarks", required=False, max_len=2000)
    filed_on = r.get("filed_on", parse_date, required=False)
    if filed_on is not None:
        if not ctx.may_set_filed_on:
            r.fail("filed_on", Msg("只有县级指导员、市总工会可以填写备案日期，请留空"))
        elif filed_on > ctx.today:
            r.fail("filed_on", Msg("备案日期晚于今天"))
        elif signed_on and filed_on < signed_on:
            r.fail("filed_on", Msg("备案日期早于签订日期"))
    if not r.ok:
        return None
    assert county_id is not None  # the county is required: a row without one failed
    return FilingRow(
        row=row_no,
        number=number,
        contract_type=contract_type,
        level=level,
        uscc=uscc,
        name=name,
        county_id=county_id,
        industry=industry,
        signed_on=signed_on,
        delegates_total=total,
        delegates_present=present,
        votes_for=votes,
        effective_on=effective_on,
        expires_on=expires_on,
        submitted_on=submitted_on,
        workers_covered=workers,
        lowest_wage=lowest_wage,
        raise_pct=raise_pct,
        platform_entered_on=platform_on,
        remarks=remarks,
        filed_on=filed_on,
        enterprise_id=enterprise_id,
    )


def _unknown_county(text: str) -> Msg:
    return Msg(
        "未知的县(市、区)「%(county)s」，请填写代码（如 WY）或名称（如 %(example)s）",
        county=text,
        example="武义县",  # i18n: data
    )


def _match_type(text: str) -> str | None:
    """Accept the short forms people type: 综合性, 工资专项, 女职工专项…"""
    shorthand = {"综合": 0, "工资": 1, "女职工": 2, "其他": 3}  # i18n: data
    for prefix, index in shorthand.items():
        if text.startswith(prefix):
            return CONTRACT_TYPES[index]
    return None


def _unknown_number(reader: _RowReader, number: str, numbers_seen: Mapping[str, int]) -> bool:
    if number and number not in numbers_seen:
        reader.fail(
            "number",
            Msg(
                "合同编号「%(number)s」在「%(sheet)s」表中不存在",
                number=number,
                sheet=CONTRACTS.name,
            ),
        )
        return True
    return False


def _attach_items(
    sheet: _SheetRows,
    ctx: FilingContext,
    errors: _Errors,
    by_number: Mapping[str, FilingRow],
    numbers_seen: Mapping[str, int],
) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row_no, cells in sheet.rows:
        r = _RowReader(ITEMS, sheet, row_no, cells, errors)
        number = r.text("number", max_len=64)
        code = r.text("item_code", max_len=8).upper()
        summary = r.text("summary", required=False, max_len=2000)
        if _unknown_number(r, number, numbers_seen):
            continue
        if code and code not in ctx.items:
            r.fail(
                "item_code",
                Msg(
                    "事项代码「%(code)s」不在协商事项目录中（见模板「%(sheet)s」表）",
                    code=code,
                    sheet="说明",  # i18n: data
                ),
            )
        elif code and (number, code) in seen:
            r.fail(
                "item_code",
                Msg(
                    "同一合同重复填写事项 %(code)s（第 %(row)s 行已填写）",
                    code=code,
                    row=seen[(number, code)],
                ),
            )
        if r.ok and number in by_number:
            seen[(number, code)] = row_no
            by_number[number].items.append((code, summary))


def _attach_coverage(
    sheet: _SheetRows,
    ctx: FilingContext,
    errors: _Errors,
    by_number: Mapping[str, FilingRow],
    numbers_seen: Mapping[str, int],
) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row_no, cells in sheet.rows:
        r = _RowReader(COVERAGE, sheet, row_no, cells, errors)
        number = r.text("number", max_len=64)
        uscc = _uscc(r, "uscc", required=True)
        r.text("name", required=False)
        if _unknown_number(r, number, numbers_seen):
            continue
        contract = by_number.get(number)
        if contract is not None and contract.level == LEVEL_ENTERPRISE:
            r.fail(
                "number",
                Msg(
                    "企业级合同不填「%(sheet)s」表；只有行业性、区域性合同需要", sheet=COVERAGE.name
                ),
            )
            continue
        if not uscc:
            continue
        ref = ctx.enterprises.get(uscc)
        if ref is None or not ctx.scope.allows_county(ref.county_id):
            r.fail("uscc", Msg("该统一社会信用代码不在您管辖范围的企业名录中"))
        elif (number, uscc) in seen:
            r.fail(
                "uscc",
                Msg("同一合同重复列出该企业（第 %(row)s 行已列出）", row=seen[(number, uscc)]),
            )
        elif contract is not None and r.ok:
            seen[(number, uscc)] = row_no
            contract.coverage.append(ref.id)


# ---------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class RegistryContext:
    counties: Counties
    scope: Scope
    existing: Mapping[str, EnterpriseRef]  # registry entries already stored, by USCC
    max_rows: int = 50_000  # data rows per sheet, header not counted


@dataclass
class RegistryRow:
    row: int
    uscc: str
    name: str
    county_id: int
    industry: str
    has_union: bool
    above_scale: bool
    employees: int | None


def registry_usccs(book: Workbook) -> set[str]:
    name = find_sheet(list(book.sheets), REGISTRY)
    if name is None:
        return set()
    header = match_header(book.sheets[name], REGISTRY)
    if header is None or "uscc" not in header.columns:
        return set()
    index = header.columns["uscc"]
    return {
        normalize_text(cells[index]).upper().replace(" ", "")
        for cells in book.sheets[name][header.row_index + 1 :]
        if index < len(cells) and not is_blank(cells[index])
    }


def validate_registry(book: Workbook, ctx: RegistryContext) -> ImportResult:
    """Check the 企业名录 sheet; all errors are collected at once."""
    errors = _Errors()
    _formula_errors(book, errors, [REGISTRY])
    sheet = _load_sheet(book, REGISTRY, errors, True, ctx.max_rows)
    if sheet is None:
        return ImportResult([], errors.items, errors.truncated)
    if not sheet.rows:
        errors.add(_no_data_rows(sheet))
    rows: list[RegistryRow] = []
    seen: dict[str, int] = {}
    for row_no, cells in sheet.rows:
        r = _RowReader(REGISTRY, sheet, row_no, cells, errors)
        uscc = _uscc(r, "uscc", required=True)
        if uscc in seen:
            r.fail(
                "uscc",
                Msg("统一社会信用代码在本工作簿中重复（第 %(row)s 行已出现）", row=seen[uscc]),
            )
        elif uscc:
            seen[uscc] = row_no
        name = r.text("name")
        county_text = r.text("county", max_len=40)
        county_id = ctx.counties.resolve(county_text) if county_text else None
        if county_text and county_id is None:
            r.fail("county", _unknown_county(county_text))
        elif county_id is not None and not ctx.scope.allows_county(county_id):
            r.fail(
                "county",
                Msg("「%(county)s」不在您的管辖范围内", county=ctx.counties.names[county_id]),
            )
        existing = ctx.existing.get(uscc) if uscc else None
        if existing is not None and not ctx.scope.allows_county(existing.county_id):
            r.fail(
                "uscc",
                Msg(
                    "该企业已登记在「%(county)s」，不在您的管辖范围内；如需迁移请联系市总工会",
                    county=ctx.counties.names[existing.county_id],
                ),
            )
        industry = r.text("industry", required=False, max_len=60)
        has_union = r.get("has_union", parse_bool)
        above_scale = r.get("above_scale", parse_bool)
        employees = r.get("employees", parse_int, required=False)
        if r.ok:
            assert county_id is not None  # the county is required: a row without one failed
            rows.append(
                RegistryRow(
                    row_no, uscc, name, county_id, industry, has_union, above_scale, employees
                )
            )
    _sort(errors, book, (REGISTRY,))
    return ImportResult(rows if not errors.items else [], errors.items, errors.truncated)
