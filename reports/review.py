"""每半年集中复盘讲评 — the half-year review: KPIs, ranking, change since the last half,
findings and their status, 约谈 and supervision held; as a page and an Excel workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from openpyxl import Workbook
from sqlalchemy import func, select

from audits import rectification_rules as rules
from audits.models import Interview, Rectification, Supervision
from bargaining.models import County
from core.db import db
from core.errors import UserError
from core.i18n import _
from core.xlsx import save, write_sheet
from reports.dashboard import KPI_HEADERS, PERCENT_KEYS, Dashboard, DashboardRow, city_dashboard


@dataclass(frozen=True)
class Half:
    year: int
    half: int  # 1 or 2

    @classmethod
    def parse(cls, text: str) -> Half:
        text = text.strip().upper()
        if (
            len(text) != 6
            or text[4] != "H"
            or text[5] not in "12"
            or not text[:4].isdigit()
            or not 2000 <= int(text[:4]) <= 2099  # a working period, not year 0 or 9999
        ):
            raise UserError(
                _("半年应写作 YYYYH1 或 YYYYH2（如 2026H1），不是「%(text)s」", text=text)
            )
        return cls(int(text[:4]), int(text[5]))

    @classmethod
    def last_complete(cls, today: date) -> Half:
        return cls(today.year, 1) if today.month >= 7 else cls(today.year - 1, 2)

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def previous(self) -> Half:
        return Half(self.year, 1) if self.half == 2 else Half(self.year - 1, 2)

    def __str__(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def label(self) -> str:
        if self.half == 1:
            return _("%(year)s年上半年", year=self.year)
        return _("%(year)s年下半年", year=self.year)


class Ranked(NamedTuple):
    """A county's place in the review's ranking."""

    rank: int  # 0: no rate to rank by
    row: DashboardRow
    old_rank: int | None  # in the half before
    change: float | None  # of the rate since the half before


class InterviewCount(NamedTuple):
    """A county's 约谈 of the half: triggered at county and city level, and held."""

    county: str  # its name
    county_level: int
    city_level: int
    held: int


@dataclass
class Review:
    half: Half
    now: Dashboard
    before: Dashboard
    ranking: list[Ranked]
    findings: list[tuple[str, dict[str, int]]]
    interviews: list[InterviewCount]
    supervisions: list[tuple[str, Supervision]]


def _rank(d: Dashboard) -> dict[str, int]:
    ordered = sorted(
        (r for r in d.rows if r.values["rate"] is not None), key=lambda r: -r.values["rate"]
    )
    return {r.code: i for i, r in enumerate(ordered, start=1)}


def build_review(half: Half) -> Review:
    now = city_dashboard(half.end, with_charts=False)
    before = city_dashboard(half.previous().end, with_charts=False)
    rank_now, rank_before = _rank(now), _rank(before)
    previous = {r.code: r for r in before.rows}
    ranking = []
    for row in sorted(now.rows, key=lambda r: rank_now.get(r.code, 99)):
        old = previous.get(row.code)
        change = None
        if old and row.values["rate"] is not None and old.values["rate"] is not None:
            change = row.values["rate"] - old.values["rate"]
        ranking.append(Ranked(rank_now.get(row.code, 0), row, rank_before.get(row.code), change))
    names = {c.id: c.name for c in db.session.scalars(select(County).order_by(County.sort_order))}
    findings: dict[str, dict[str, int]] = {
        name: dict.fromkeys([*rules.STATUS_LABELS, "overdue"], 0) for name in names.values()
    }
    stmt = select(Rectification.county_id, Rectification.status, Rectification.deadline).where(
        Rectification.created_on.between(half.start, half.end)
    )
    for cid, status, deadline in db.session.execute(stmt):
        findings[names[cid]][status] += 1
        findings[names[cid]]["overdue"] += rules.is_overdue(status, deadline, half.end)
    by_level = (
        select(Interview.county_id, Interview.level, Interview.status, func.count(Interview.id))
        .where(Interview.triggered_on.between(half.start, half.end))
        .group_by(Interview.county_id, Interview.level, Interview.status)
    )
    counts = {cid: InterviewCount(name, 0, 0, 0) for cid, name in names.items()}
    for cid, level, status, n in db.session.execute(by_level):
        c = counts[cid]
        counts[cid] = c._replace(
            county_level=c.county_level + (n if level == "county" else 0),
            city_level=c.city_level + (n if level != "county" else 0),
            held=c.held + (n if status == "held" else 0),
        )
    interviews = list(counts.values())
    supervisions = [
        (names[s.county_id], s)
        for s in db.session.scalars(
            select(Supervision)
            .where(Supervision.planned_on.between(half.start, half.end))
            .order_by(Supervision.planned_on)
        )
    ]
    return Review(half, now, before, ranking, list(findings.items()), interviews, supervisions)


def review_workbook(half: Half) -> bytes:
    """The review as Excel: formatted, frozen headers, formula-injection safe (core.xlsx)."""
    r = build_review(half)
    wb = Workbook()
    ws = wb.active
    ws.title = _("县(市、区)排名")
    headers = [
        _("排名"),
        _("上期排名"),
        _("达标率变化(百分点)"),
        *[str(label) for _key, label in KPI_HEADERS],
    ]
    rows = []
    for ranked in r.ranking:
        row = ranked.row
        rows.append(
            [
                ranked.rank,
                ranked.old_rank,
                None if ranked.change is None else round(ranked.change * 100, 1),
                *[
                    row.name if key == "name" else row.values.get(key)
                    for key, _label in KPI_HEADERS
                ],
            ]
        )
    rows.append(
        [
            None,
            None,
            None,
            *[
                r.now.total.name if key == "name" else r.now.total.values.get(key)
                for key, _label in KPI_HEADERS
            ],
        ]
    )
    formats = {3 + i: "0.0%" for i, (key, _label) in enumerate(KPI_HEADERS) if key in PERCENT_KEYS}
    write_sheet(ws, headers, rows, formats)
    ws2 = wb.create_sheet(_("整改情况"))
    write_sheet(
        ws2,
        [_("县(市、区)"), *[str(v) for v in rules.STATUS_LABELS.values()], _("逾期未整改")],
        [
            [name, *[counts[s] for s in rules.STATUS_LABELS], counts["overdue"]]
            for name, counts in r.findings
        ],
    )
    ws3 = wb.create_sheet(_("约谈与督导"))
    write_sheet(
        ws3,
        [_("县(市、区)"), _("县级约谈"), _("市级约谈"), _("已约谈")],
        [list(i) for i in r.interviews],
    )
    ws4 = wb.create_sheet(_("现场督导"))
    write_sheet(
        ws4,
        [
            _("县(市、区)"),
            _("计划日期"),
            _("状态"),
            _("督导日期"),
            _("参加人员"),
            _("发现的问题"),
            _("整改措施"),
            _("跟进日期"),
        ],
        [
            [
                name,
                s.planned_on,
                _("已督导") if s.status == "held" else _("待督导"),
                s.held_on,
                s.participants,
                s.problems,
                s.measures,
                s.follow_up_on,
            ]
            for name, s in r.supervisions
        ],
    )
    info = wb.create_sheet(_("说明"), 0)
    info["A1"] = _(
        "%(half)s工资集体协商工作复盘讲评（%(start)s 至 %(end)s）",
        half=half.label,
        start=half.start.isoformat(),
        end=half.end.isoformat(),
    )
    info["A3"] = _("排名按拓展协商达标率（截至半年末）从高到低；变化为与上半年末相比的百分点。")
    info["A4"] = _(
        "达标：已建会规上企业在有效合同中拓展协商内容不少于3项（试点）或2项（其他），目标2027年底达到75%。"
    )
    info.column_dimensions["A"].width = 100
    return save(wb)
