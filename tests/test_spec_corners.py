"""SPEC rules at their corners (issue 17): each test names the sentence it holds to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import openpyxl
import pytest
from icalendar import Calendar
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from audits import rounds
from audits.ics import CalendarVisit, visits_calendar
from audits.models import Audit, Visit
from audits.sampling import audit_due_on
from audits.visits import Task, plan_quarter
from bargaining.cells import parse_date
from bargaining.sheets import CONTRACTS
from bargaining.uploads import run_upload
from core.db import db
from core.errors import UserError
from core.models import Role, Setting
from tests.conftest import TODAY
from tests.factories import (
    contract_row,
    csrf_token,
    filing_workbook,
    login,
    make_enterprise,
    make_finding,
    make_user,
)

# ---------------------------------------------------------------------------- CLI (§9)


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["create-user", "x", "--role", "inspector"],  # --password missing
        ["create-user", "x", "--role", "boss", "--password", "p"],  # unknown role
        ["create-user", "x", "--role", "inspector", "--password", "p", "--colour", "red"],
        ["template"],  # -o missing
        ["review-report", "-o", "r.xlsx"],  # --half missing
    ],
)
def test_usage_errors_exit_1_with_the_reason_on_stderr(runner, args):
    """SPEC §9: "1 on a user error with the reason on stderr, never a traceback — usage
    errors (a missing or unknown option) included"."""
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Error" in result.stderr or "错误" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize(
    "args",
    [
        ["template", "-o", "/nonexistent/x.xlsx"],
        ["template", "--registry", "-o", "/nonexistent/x.xlsx"],
        ["review-report", "--half", "2026H1", "-o", "/nonexistent/r.xlsx"],
    ],
)
def test_output_to_a_missing_folder_exits_1_without_traceback(runner, args):
    """SPEC §9: "Exit status … 1 on a user error with the reason on stderr, never a traceback"."""
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "/nonexistent/" in result.stderr
    assert result.stderr.startswith("file: ")


def test_a_directory_given_as_the_workbook_says_so(runner, tmp_path):
    """SPEC §9: a user error exits 1 "with the reason on stderr" — the reason for a directory
    is that it is a directory, not that the file is missing."""
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    for command in ("import-filings", "import-enterprises"):
        result = runner.invoke(args=[command, str(tmp_path), "--as", "insp-WY"])
        assert result.exit_code == 1
        assert "目录" in result.stderr
        assert "找不到文件" not in result.stderr
        _no_traceback(result)


# ---------------------------------------------------------------------------- due date (§5)


def test_a_round_drawn_on_the_last_day_of_a_month_gets_ten_working_days():
    """SPEC §5: "Due at the end of the month in which the round is drawn, and never fewer
    than 10 working days after the draw"."""
    # Monday 2026-11-30: Dec 1–4, 7–11, 14 are the ten working days after it
    assert audit_due_on(date(2026, 11, 30), {}) == date(2026, 12, 14)
    # drawn on the 1st: the month's end is later than ten working days
    assert audit_due_on(date(2026, 12, 1), {}) == date(2026, 12, 31)
    # drawn on the 20th: ten working days run into the next month
    assert audit_due_on(date(2026, 12, 20), {}) == date(2027, 1, 1)


def test_due_date_skips_holidays_and_counts_adjusted_working_days():
    """SPEC §5: "never fewer than 10 working days after the draw" (working days as in §7)."""
    golden_week = {date(2026, 10, d): False for d in range(1, 9)}
    golden_week[date(2026, 10, 10)] = True  # an adjusted working Saturday
    # after Wed 2026-09-30: Oct 9 (1), Sat 10 (2), 12–16 (7), 19–21 (10)
    assert audit_due_on(date(2026, 9, 30), golden_week) == date(2026, 10, 21)


def test_round_due_on_reads_the_draw_day_in_shanghai(app):
    """SPEC §5: due "never fewer than 10 working days after the draw"."""
    # 2026-11-30 08:00 UTC is 16:00 in Shanghai, the last day of November
    assert rounds.round_due_on(datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) >= date(2026, 12, 14)


# ---------------------------------------------------------------------------- dates (§4)


@pytest.mark.parametrize(
    "value",
    [20260601, 20260601.0, "20260601", "2026-06-01 00:00:00", "2026/6/1 08:30", "2026-06-01T00:00"],
)
def test_a_date_as_number_or_text_or_date_time_text_is_the_same_date(value):
    """SPEC §4: "numbers typed as text … are accepted" and dates are accepted as Excel dates
    (a date-time keeps its day): the number 20260601 and the text "20260601" mean the same,
    and so does the text of a date-time, "2026-06-01 00:00:00"."""
    assert parse_date(value) == date(2026, 6, 1)


@pytest.mark.parametrize("number, text", [(20261301, "20261301"), (20260230, "20260230")])
def test_an_impossible_compact_date_is_refused_alike_as_number_or_text(number, text):
    """SPEC §4: bad input gets a clear message — the same one whether typed as number or text."""
    with pytest.raises(UserError) as as_number:
        parse_date(number)
    with pytest.raises(UserError) as as_text:
        parse_date(text)
    assert str(as_number.value.message) == str(as_text.value.message)


# ---------------------------------------------------------------------------- error lines (§9)


def _edited(data: bytes, edit) -> bytes:
    wb = openpyxl.load_workbook(BytesIO(data))
    edit(wb)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _import_lines(runner, tmp_path, data: bytes) -> list[str]:
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = tmp_path / "book.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["import-filings", str(path), "--as", "insp-WY"])
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()


def test_a_formula_cell_is_reported_under_its_header_name(runner, tmp_path):
    """SPEC §9: upload errors "one per line, as `sheet!row column: message`" and SPEC §4:
    "a table of sheet, row, column (header name)" — not the cell reference."""
    ent = make_enterprise("WY")
    headers = [c.header for c in CONTRACTS.columns]
    col = get_column_letter(headers.index("覆盖职工人数") + 1)

    def formula(wb):
        wb["合同"][f"{col}2"] = "=300+20"

    data = _edited(filing_workbook([contract_row(ent)]), formula)
    lines = _import_lines(runner, tmp_path, data)
    assert (
        "合同!2 覆盖职工人数: 单元格是公式，请改为数值（复制后“选择性粘贴 → 数值”）再上传" in lines
    )
    assert not any(f"{col}2" in line for line in lines)


def test_a_header_only_sheet_is_reported_on_its_first_data_row(runner, tmp_path):
    """SPEC §9: every upload error "as `sheet!row column: message`" (or `file: message`)."""
    lines = _import_lines(runner, tmp_path, filing_workbook([]))
    assert lines == ["合同!2: 「合同」表没有数据行"]


def test_a_sheet_found_by_an_alias_is_reported_under_the_workbooks_name(runner, tmp_path):
    """SPEC §4/§9: errors name the sheet and "Excel's own row numbers" — the sheet as the
    workbook calls it (集体合同), so the user finds it."""
    ent = make_enterprise("WY")

    def rename(wb):
        wb["合同"].title = "集体合同"

    data = _edited(filing_workbook([contract_row(ent, 出席代表数=99)]), rename)
    lines = _import_lines(runner, tmp_path, data)
    assert lines and all(line.startswith("集体合同!2 ") for line in lines), lines
    assert lines[0].startswith("集体合同!2 出席代表数: ")


# ---------------------------------------------------------------------------- visits (§7)


def _cal_visit(key: str, day: date, visitor: int, status: str = "planned") -> CalendarVisit:
    return CalendarVisit("2026Q4", key, day, key, "", "", status, 0, visitor)


def test_same_day_visits_get_consecutive_slots_that_never_overlap():
    """SPEC §7: "visits on the same day get consecutive time slots, never overlapping events"."""
    day = date(2026, 10, 12)
    visits = [_cal_visit(f"enterprise-{i}", day, 7) for i in (3, 1, 2)]
    visits.append(_cal_visit("county-WY", day, 8))  # another person: their own morning
    cal = Calendar.from_ical(visits_calendar("plan", visits, datetime(2026, 10, 1, tzinfo=UTC)))
    times: dict[str, tuple[datetime, datetime]] = {
        str(e["summary"]): (e.decoded("dtstart"), e.decoded("dtend")) for e in cal.walk("VEVENT")
    }
    mine = sorted(times[f"enterprise-{i}"] for i in (1, 2, 3))
    for (_, end), (start, _) in zip(mine, mine[1:], strict=False):
        assert end <= start
    assert [t[0].strftime("%H:%M") for t in mine] == ["09:00", "10:45", "14:00"]
    assert times["county-WY"][0].strftime("%H:%M") == "09:00"


def test_plan_places_what_fits_and_lists_the_rest_per_person():
    """SPEC §7: "When an inspector has more visits than the quarter's working days allow, the
    plan places what fits and lists, per person, what did not fit — it never fails the whole
    quarter for every county"."""
    days = [date(2026, 12, 30), date(2026, 12, 31)]  # room for 3 × 2 = 6 visits a person
    busy = [Task(f"enterprise-{i}", "enterprise", 1, (7,), 100 + i) for i in range(8)]
    other = [Task(f"enterprise-{i}", "enterprise", 2, (8,), 200 + i) for i in range(20, 23)]
    nobody = [Task("enterprise-99", "enterprise", 3, (), 399)]
    plan = plan_quarter([*busy, *other, *nobody], days)
    placed = {p.key for p in plan.planned}
    assert {t.key for t in other} <= placed  # another county is planned as usual
    assert sum(1 for p in plan.planned if p.visitor_id == 7) == 6
    assert sorted((u.visitor_id or 0, u.key) for u in plan.unplaced) == [
        (0, "enterprise-99"),
        (7, "enterprise-6"),
        (7, "enterprise-7"),
    ]


def _open_finding(user, ent) -> None:
    make_finding(user, ent, date(2026, 9, 15))


def test_schedule_visits_lists_the_overflow_and_the_county_without_inspector(runner, monkeypatch):
    """SPEC §7: the plan "places what fits and lists, per person, what did not fit — it never
    fails the whole quarter for every county"."""
    city = make_user("city", Role.CITY)
    insp = make_user("insp-YW", Role.INSPECTOR, "YW")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    for _ in range(8):
        _open_finding(insp, make_enterprise("YW"))
    wy = make_enterprise("WY")
    _open_finding(insp, wy)
    pa = make_enterprise("PA", name="磐安无人走访企业")  # PA has no inspector
    _open_finding(city, pa)
    db.session.commit()
    monkeypatch.setattr("audits.cli.local_today", lambda: date(2026, 12, 30))
    result = runner.invoke(args=["schedule-visits", "--quarter", "2026Q4"])
    assert result.exit_code == 0, result.output
    assert "insp-YW：2 次走访本季度排不下" in result.stdout
    assert "磐安无人走访企业" in result.stdout
    planned = {v.task_key for v in db.session.scalars(select(Visit))}
    assert f"enterprise-{wy.id}" in planned
    assert sum(1 for k in planned if k.startswith("enterprise-")) == 1 + 6


# ---------------------------------------------------------------------------- round page (§5)


def test_a_county_without_inspector_is_named_on_the_round_page_and_warned(client):
    """SPEC §5: "A county without an inspector is named on the round page …; its picks wait,
    unassigned, until one exists"."""
    city = make_user("city", Role.CITY)
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    admin = make_user("admin", Role.ADMIN)
    for code, user in (("WY", insp), ("PA", admin)):  # PA has no inspector
        row = contract_row(
            make_enterprise(code), 备案日期=date(2026, 10, 8), **{"县(市、区)": code}
        )
        outcome = run_upload(user, "filings", f"{code}.xlsx", filing_workbook([row]), TODAY)
        assert outcome.status == "imported", outcome.errors
    db.session.commit()
    login(client, city.username)
    token = csrf_token(client, "/sampling")
    db.session.merge(Setting(key="sampling_start_month", value="2026-01", description=""))
    db.session.commit()
    client.post("/sampling/freeze", data={"csrf_token": token, "month": "2026-10"})
    response = client.post(
        "/sampling/draw",
        data={"csrf_token": token, "month": "2026-10", "public_value": "123456789"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "磐安县没有指导员" in page  # the warning after the draw
    again = client.get("/sampling/2026-10").get_data(as_text=True)
    assert "没有指导员的县(市、区)" in again and "磐安县" in again
    waiting = db.session.scalars(select(Audit).where(Audit.inspector_id.is_(None))).all()
    assert len(waiting) == 1  # PA's pick waits, unassigned
