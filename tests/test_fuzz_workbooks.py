"""Hypothesis fuzz of workbook contents: whatever the cells hold, reading and validating ends
in rows or in Chinese errors (all or nothing), never in an exception, in bounded time."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bargaining.excel_import import Counties, EnterpriseRef, FilingContext, Scope, validate_filings
from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS
from bargaining.uscc import make_uscc
from core.spreadsheet import FileRejected, Limits, read_workbook
from tests.cpu_bounds import cpu_bound

USCC = make_uscc("91330723MA2HX0001")
CTX = FilingContext(
    counties=Counties({"WY": 8, "武义县": 8}, {8: "武义县"}),
    scope=Scope(frozenset({8})),
    items={"W01": "baseline", "S01": "expansion", "A01": "expansion", "N01": "other"},
    enterprises={USCC: EnterpriseRef(1, USCC, "武义示例", 8)},
    may_set_filed_on=True,
    today=date(2026, 11, 25),
)
cell = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "WY",
            "武义县",
            "企业",
            "行业性",
            "工资专项集体合同",
            USCC,
            "2026年2月30日",
            "２０２６-０６-１７",
            "=1+1",
            "+cmd",
            "@SUM(A1)",
            "-5",
            "1,200",
            "NaN",
            "inf",
            "是",
            "否",
            "\x00\x07",
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.booleans(),
)
row = st.lists(cell, min_size=0, max_size=len(CONTRACTS.columns) + 3)


def _book(contract_rows, item_rows, header_shift: int) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec, rows in ((CONTRACTS, contract_rows), (ITEMS, item_rows), (COVERAGE, [])):
        ws = wb.create_sheet(spec.name)
        for _ in range(header_shift):
            ws.append(["标题"])
        ws.append([c.header for c in spec.columns])
        for values in rows:
            cleaned = []
            for v in values:
                if isinstance(v, str):
                    v = "".join(ch for ch in v if ch >= " ")  # openpyxl refuses control characters
                    if v.startswith("="):
                        v = "'" + v  # a text cell, as a user typing it would get
                if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
                    v = str(v)
                cleaned.append(v)
            ws.append(cleaned)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(row, max_size=6), st.lists(st.lists(cell, max_size=4), max_size=4), st.integers(0, 5)
)
def test_any_cells_end_in_rows_or_errors(contract_rows, item_rows, header_shift):
    data = _book(contract_rows, item_rows, header_shift)
    with cpu_bound(5, "reading and checking a small workbook"):
        try:
            book = read_workbook(data, Limits())
        except FileRejected as exc:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.message)
            return
        result = validate_filings(book, CTX)
    if result.errors:
        assert result.rows == []  # all or nothing
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.message) for e in result.errors)
        assert all(e.cli_line() for e in result.errors)
    else:
        assert all(r.number and r.county_id == 8 for r in result.rows)
