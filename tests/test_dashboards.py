"""Targets, dashboards, snapshots, supervision and the half-year review over the database
(SPEC §8, §9): contracts are filed through the upload path, numbers are known by hand."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from audits.models import Finding, Rectification, Supervision
from audits.supervisions import plan_supervision, record_supervision
from bargaining.models import Contract, ContractVersion
from bargaining.services import KIND_FILINGS, KIND_REGISTRY
from bargaining.uploads import run_upload
from core.clock import local_today
from core.db import db
from core.models import Role, User
from reports import queries
from reports.models import CountySnapshot, RegisterFigure
from reports.services import backfill_snapshots
from tests import target_oracle
from tests.factories import (
    contract_row,
    county,
    csrf_token,
    filing_workbook,
    login,
    make_enterprise,
    make_user,
    registry_row,
    registry_workbook,
)

DAY = date(2026, 11, 25)
PLAN_DAYS = 1063  # 2025-02-01 .. 2027-12-31
DAYS_IN = 662  # 2025-02-01 .. 2026-11-25
SPEC_KEYS = {
    "county",
    "name",
    "pilot",
    "eligible",
    "counted",
    "rate",
    "required_items",
    "target_share",
    "trajectory",
    "behind",
    "projected_miss",
}
# WY: rate 2/8 today; at plan start only the (since expired) contract of e5 counted: 1/8.
WY_TRAJECTORY = 0.125 + (0.75 - 0.125) * DAYS_IN / PLAN_DAYS
# YW: rate 3/4 today; at plan start only y5 (in force 2023-11-26 .. 2026-11-25): 1/4.
YW_TRAJECTORY = 0.25 + (0.75 - 0.25) * DAYS_IN / PLAN_DAYS


def _items(number: str, codes: str) -> list[dict[str, str]]:
    return [{"合同编号": number, "事项代码": c, "条款摘要": ""} for c in codes.split()]


def _file(user: User, name: str, contracts: list[tuple[dict[str, Any], str]], coverage=None):
    rows = [row for row, _ in contracts]
    items = [i for row, codes in contracts for i in _items(row["合同编号"], codes)]
    data = filing_workbook(rows, items=items, coverage=coverage)
    outcome = run_upload(user, KIND_FILINGS, name, data, DAY)
    assert outcome.status == "imported", outcome.errors
    return outcome


OLD = {"签订日期": date(2023, 6, 17), "报送日期": date(2023, 6, 24)}


@pytest.fixture()
def city(app):
    """WY (pilot, K=3): 8 eligible, 2 counted. YW (K=2): 4 eligible, 3 counted."""
    e = {k: make_enterprise("WY", name=f"武义{k}有限公司") for k in "12345789"}
    e["6"] = make_enterprise("WY", name="武义6有限公司", has_union=False)
    y = {k: make_enterprise("YW", name=f"义乌{k}有限公司") for k in "1245"}
    y["3"] = make_enterprise("YW", name="义乌3有限公司", above_scale=False)
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    insp_yw = make_user("insp-YW", Role.INSPECTOR, "YW")
    make_user("city", Role.CITY)
    make_user("clerk-1", Role.ENTERPRISE, enterprise=e["1"])
    db.session.commit()

    # e1: version 1 holds 3 expansion items (would count in a pilot) ...
    _file(insp, "v1.xlsx", [(contract_row(e["1"], 合同编号="WY-E1"), "W01 S01 A01 T01")])
    wy = [
        (contract_row(e["2"], 合同编号="WY-E2"), "W01 S01"),  # + industry A01 T01 = 3
        (contract_row(e["4"], 合同编号="WY-E4"), "W01 W02 W03 N01 S01 A01"),  # 2 expansion
        (
            contract_row(
                e["5"],
                合同编号="WY-E5",
                生效日期=date(2023, 7, 1),
                期满日期=date(2026, 6, 30),
                **OLD,
            ),
            "S01 S02 A01 T01",
        ),  # expired
        (contract_row(e["6"], 合同编号="WY-E6"), "S01 S02 A01 T01"),  # no union
        (
            contract_row(
                e["8"], 合同编号="WY-E8", 生效日期=date(2026, 12, 1), 期满日期=date(2029, 11, 30)
            ),
            "S01 S02 A01 T01",
        ),  # not yet in force
        (contract_row(e["9"], 合同编号="WY-E9"), "S01 S02 A01 T01"),
        (
            contract_row(None, 合同编号="WY-HY", 协商层级="行业性", 企业名称="武义县五金行业"),
            "W02 A01 T01",
        ),
    ]
    coverage = [
        {"合同编号": "WY-HY", "统一社会信用代码": e[k].uscc, "企业名称": e[k].name} for k in "23"
    ]
    _file(insp, "wy.xlsx", wy, coverage)
    # ... version 2 of the same contract holds only 2: the latest version alone counts
    _file(insp, "v2.xlsx", [(contract_row(e["1"], 合同编号="WY-E1"), "W01 S01 A01")])

    yw = [
        (contract_row(y["1"], 合同编号="YW-1"), "S01 A01"),
        (contract_row(y["2"], 合同编号="YW-2"), "W01 S01"),
        (contract_row(y["3"], 合同编号="YW-3"), "S01 A01"),  # below scale
        (
            contract_row(y["4"], 合同编号="YW-4", 生效日期=DAY, 期满日期=date(2029, 11, 24)),
            "S01 A01",
        ),  # effective today
        (
            contract_row(
                y["5"],
                合同编号="YW-5",
                生效日期=date(2023, 11, 26),
                期满日期=DAY,
                签订日期=date(2023, 11, 1),
                报送日期=date(2023, 11, 8),
            ),
            "S01 A01",
        ),  # expires today
    ]
    _file(insp_yw, "yw.xlsx", [(dict(r, **{"县(市、区)": "YW"}), c) for r, c in yw])
    db.session.commit()
    return {"wy": e, "yw": y, "insp": insp, "insp_yw": insp_yw}


def _as(client, username: str):
    """Log ``client`` in as ``username`` (logging out whoever was logged in first)."""
    if client.get("/").status_code == 200:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        assert client.get("/").status_code == 302
    response = login(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _targets(runner, day: str = "2026-11-25") -> dict[str, dict[str, Any]]:
    result = runner.invoke(args=["targets", "--date", day, "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    return {r["county"]: r for r in records}


class _Tables(HTMLParser):
    """Every table row of a page as the texts of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def _xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    wb = load_workbook(BytesIO(data))
    return list(wb.active.iter_rows(values_only=True))


# ---------------------------------------------------------------------------- targets


def test_latest_version_replaces_the_first(city):
    contract = db.session.scalars(select(Contract).where(Contract.number == "WY-E1")).one()
    versions = db.session.scalars(
        select(ContractVersion).where(ContractVersion.contract_id == contract.id)
    ).all()
    assert len(versions) == 2
    assert contract.current_version_id == max(v.id for v in versions)
    register = target_oracle.load_register()
    items = target_oracle.expansion_items_by_enterprise(
        register.contracts, register.expansion_codes, DAY
    )
    assert items[city["wy"]["1"].id] == {"S01", "A01"}  # not T01 of the first version


def _pure_item_popularity(register: target_oracle.Register, day: date) -> dict[str, int]:
    eligible = {e.id for e in register.enterprises if e.eligible}
    per_item: dict[str, set[int]] = {}
    for contract in register.contracts:
        if contract.in_force(day):
            for code in contract.items & register.expansion_codes:
                per_item.setdefault(code, set()).update(eligible.intersection(contract.covers))
    return {code: len(eids) for code, eids in per_item.items() if eids}


@pytest.mark.parametrize("day", [DAY, date(2025, 2, 1), date(2024, 6, 30), date(2027, 12, 31)])
def test_sql_aggregates_equal_the_pure_computation(city, day):
    register = target_oracle.load_register()
    pure = target_oracle.count_counties(
        register.counties, register.enterprises, register.contracts, register.expansion_codes, day
    )
    assert queries.counts_on(day) == pure
    popularity = {code: n for code, _name, n in queries.item_popularity(day)}
    assert popularity == _pure_item_popularity(register, day)
    items = target_oracle.expansion_items_by_enterprise(
        register.contracts, register.expansion_codes, day
    )
    for c in register.counties:
        ids = {e.id for e in register.enterprises if e.county_id == c.id}
        assert queries.expansion_items(day, c.id) == {e: v for e, v in items.items() if e in ids}


def test_targets_json_one_object_per_county_with_the_spec_keys(city, runner):
    records = _targets(runner)
    assert len(records) == 10
    assert set(records) == {"WC", "JD", "LX", "DY", "YW", "YK", "PJ", "WY", "PA", "KF"}
    for record in records.values():
        assert set(record) == SPEC_KEYS
        assert record["target_share"] == 0.75
        assert record["required_items"] == (3 if record["county"] in ("KF", "DY", "WY") else 2)
        assert record["pilot"] is (record["county"] in ("KF", "DY", "WY"))
    wy, yw = records["WY"], records["YW"]
    assert (wy["name"], wy["eligible"], wy["counted"]) == ("武义县", 8, 2)
    assert wy["rate"] == pytest.approx(0.25)
    assert wy["trajectory"] == pytest.approx(WY_TRAJECTORY, abs=1e-6)
    assert wy["behind"] is True and wy["projected_miss"] is True
    assert (yw["name"], yw["eligible"], yw["counted"]) == ("义乌市", 4, 3)
    assert yw["rate"] == pytest.approx(0.75)
    assert yw["trajectory"] == pytest.approx(YW_TRAJECTORY, abs=1e-6)
    assert yw["behind"] is False and yw["projected_miss"] is False
    for code in ("WC", "JD", "LX", "DY", "YK", "PJ", "PA", "KF"):
        empty = records[code]
        assert (empty["eligible"], empty["counted"], empty["rate"]) == (0, 0, None)
        assert empty["behind"] is False and empty["projected_miss"] is False


def test_targets_on_other_days(city, runner):
    # the day before: YW-4 is not yet in force; WY unchanged
    before = _targets(runner, "2026-11-24")
    assert (before["YW"]["eligible"], before["YW"]["counted"]) == (4, 2)
    assert before["WY"]["counted"] == 2
    # the day after: YW-5 has expired
    after = _targets(runner, "2026-11-26")
    assert after["YW"]["counted"] == 2
    # 2026-06-30: only the WY-E5 and YW-5 contracts are in force (the others from 07-01)
    june = _targets(runner, "2026-06-30")
    assert (june["WY"]["counted"], june["YW"]["counted"]) == (1, 1)
    # 2026-12-01: e8's contract is in force; YW-5 has expired
    december = _targets(runner, "2026-12-01")
    assert (december["WY"]["counted"], december["YW"]["counted"]) == (3, 2)


def test_targets_bad_date_exits_1(city, runner):
    result = runner.invoke(args=["targets", "--date", "2026-13-45", "--json"])
    assert result.exit_code == 1
    assert result.stderr.strip() and not result.stdout.strip()


# ---------------------------------------------------------------------------- city dashboard


def test_city_dashboard_and_export_match_targets_json(city, client, runner):
    records = _targets(runner)
    client = _as(client, "city")
    page = client.get("/dashboard?date=2026-11-25")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = {r[0].split()[0]: r for r in _rows(html) if r and r[0]}
    # columns: name, eligible, with contract, filing rate, entry rate, counted, rate, trajectory
    for code, name in (("WY", "武义县"), ("YW", "义乌市")):
        row = rows[name]
        assert row[1] == str(records[code]["eligible"])
        assert row[5] == str(records[code]["counted"])
        assert row[6] == f"{records[code]['rate'] * 100:.1f}%"
        assert row[7] == f"{records[code]['trajectory'] * 100:.1f}%"
    assert rows["武义县"][2] == "5"  # with contract: e1 e2 e3 e4 e9
    assert rows["全市合计"][1] == "12" and rows["全市合计"][5] == "5"
    assert rows["全市合计"][6] == "41.7%"
    assert rows["磐安县"][6] == "—"

    export = client.get("/dashboard?date=2026-11-25&export=xlsx")
    assert export.status_code == 200
    sheet = _xlsx_rows(export.data)
    headers = list(sheet[0])
    col = {h: i for i, h in enumerate(headers)}
    by_name = {r[0]: r for r in sheet[1:]}
    assert len(by_name) == 11  # ten counties and the city total
    for code, name in (("WY", "武义县"), ("YW", "义乌市")):
        row = by_name[name]
        assert row[col["已建会规上企业"]] == records[code]["eligible"]
        assert row[col["拓展达标企业"]] == records[code]["counted"]
        assert row[col["拓展达标率(%)"]] == pytest.approx(round(records[code]["rate"] * 100, 1))
    assert by_name["全市合计"][col["已建会规上企业"]] == 12
    assert by_name["全市合计"][col["拓展达标企业"]] == 5
    assert by_name["全市合计"][col["拓展达标率(%)"]] == pytest.approx(41.7)
    assert by_name["磐安县"][col["拓展达标率(%)"]] is None


def test_dashboard_serves_plotly_locally_without_cdn(city, client):
    client = _as(client, "city")
    for url in ("/dashboard?date=2026-11-25", "/dashboard/WY?date=2026-11-25"):
        html = client.get(url).get_data(as_text=True)
        assert "/static/js/plotly-basic.min.js" in html
        assert "cdn" not in html.lower()
        assert not re.search(r"<script[^>]+src=\"https?://", html)
    script = client.get("/static/js/plotly-basic.min.js")
    assert script.status_code == 200 and len(script.data) > 100_000
    script.close()


def test_lagging_county_flagged(city, client):
    client = _as(client, "city")
    html = client.get("/dashboard?date=2026-11-25").get_data(as_text=True)

    def row(code: str) -> tuple[str, str]:
        match = re.search(
            rf'<tr class="([^"]*)">\s*<td class="nowrap"><a href="/dashboard/{code}".*?</tr>',
            html,
            re.S,
        )
        assert match, code
        return match.group(1), match.group(0)

    wy_class, wy_html = row("WY")
    assert "lagging" in wy_class  # behind its trajectory: red
    assert "落后" in wy_html and "预计未达标" in wy_html
    # a county with no eligible enterprise is never flagged
    pa_class, pa_html = row("PA")
    assert "lagging" not in pa_class
    assert "落后" not in pa_html and "预计未达标" not in pa_html
    alert = re.search(r'<section class="card alert">.*?</section>', html, re.S)
    assert alert and "推进滞后" in alert.group(0) and "武义县" in alert.group(0)
    assert "磐安县" not in alert.group(0)


# ---------------------------------------------------------------------------- county dashboard


def _overdue(ent, deadline: date, code: str = "WY"):
    finding = Finding(
        source="visit",
        check_code="C5",
        severity="major",
        description=f"{ent.name}逾期报送",
        county_id=county(code).id,
        enterprise_id=ent.id,
        created_on=date(2026, 10, 1),
    )
    db.session.add(finding)
    db.session.flush()
    db.session.add(
        Rectification(
            finding_id=finding.id,
            county_id=finding.county_id,
            enterprise_id=ent.id,
            deadline=deadline,
            status="pending",
            created_on=date(2026, 10, 1),
        )
    )
    db.session.flush()


def test_county_dashboard_lists_enterprises_missing_items(city, client):
    e = city["wy"]
    client = _as(client, "insp-WY")
    page = client.get("/dashboard/WY?date=2026-11-25")
    assert page.status_code == 200
    rows = {r[0]: r for r in _rows(page.get_data(as_text=True)) if r}
    # enterprise table: name, industry, contract, items, missing, codes
    assert rows[e["1"].name][2:] == ["有", "2", "1", "A01 S01"]
    assert rows[e["2"].name][2:] == ["有", "3", "达标", "A01 S01 T01"]
    assert rows[e["3"].name][2:] == ["有", "2", "1", "A01 T01"]
    assert rows[e["7"].name][2:] == ["无", "0", "3", ""]
    assert e["6"].name not in rows  # no union: not eligible
    missing = client.get("/dashboard/WY?date=2026-11-25&missing=1").get_data(as_text=True)
    for k in "134578":
        assert e[k].name in missing
    for k in "29":
        assert e[k].name not in missing


def test_county_exports_open_in_openpyxl(city, client):
    e = city["wy"]
    _overdue(e["7"], date(2026, 11, 1))
    _overdue(e["4"], date(2026, 12, 31))  # not yet due
    _overdue(city["yw"]["2"], date(2026, 10, 1), "YW")  # another county
    db.session.commit()
    client = _as(client, "insp-WY")

    enterprises = client.get("/dashboard/WY?date=2026-11-25&export=enterprises")
    assert enterprises.status_code == 200
    sheet = _xlsx_rows(enterprises.data)
    assert sheet[0][:2] == ("统一社会信用代码", "企业名称")
    by_name = {r[1]: r for r in sheet[1:]}
    assert len(by_name) == 8
    assert by_name[e["1"].name][3:] == ("是", 2, 1, "A01 S01")
    assert by_name[e["9"].name][3:] == ("是", 4, 0, "A01 S01 S02 T01")
    assert by_name[e["7"].name][3] == "否" and by_name[e["7"].name][5] == 3
    assert by_name[e["1"].name][0] == e["1"].uscc

    overdue = client.get("/dashboard/WY?date=2026-11-25&export=overdue")
    assert overdue.status_code == 200
    sheet = _xlsx_rows(overdue.data)
    assert sheet[0][0] == "整改编号"
    assert len(sheet) == 2
    assert sheet[1][1] == e["7"].name and sheet[1][4] == 24 and sheet[1][5] == "待整改"

    kpis = client.get("/dashboard/WY?date=2026-11-25&export=xlsx")
    assert kpis.status_code == 200
    sheet = _xlsx_rows(kpis.data)
    col = {h: i for i, h in enumerate(sheet[0])}
    assert sheet[1][col["已建会规上企业"]] == 8 and sheet[1][col["逾期未整改"]] == 1


# ---------------------------------------------------------------------------- scoping


def test_dashboard_scoping(city, client):
    anonymous = client.get("/dashboard")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    inspector = _as(client, "insp-WY")
    assert inspector.get("/dashboard/WY").status_code == 200
    assert inspector.get("/dashboard/wy").status_code == 200
    assert inspector.get("/dashboard/YW").status_code == 404
    assert inspector.get("/dashboard/YW?export=enterprises").status_code == 404
    assert inspector.get("/dashboard").status_code == 403
    assert inspector.get("/dashboard?export=xlsx").status_code == 403

    clerk = _as(client, "clerk-1")
    assert clerk.get("/dashboard").status_code == 403
    assert clerk.get("/dashboard/WY").status_code in (403, 404)
    assert clerk.get("/dashboard/WY?export=enterprises").status_code in (403, 404)

    leader = _as(client, "city")
    assert leader.get("/dashboard").status_code == 200
    assert leader.get("/dashboard/WY").status_code == 200
    assert leader.get("/dashboard/YW").status_code == 200
    assert leader.get("/dashboard/XX").status_code == 404


# ---------------------------------------------------------------------------- snapshots


def test_backfill_snapshots_once_per_county_per_month(city, runner):
    added = backfill_snapshots(DAY)
    db.session.commit()
    months = 11 + 11  # 2025-02..2025-12 and 2026-01..2026-11
    assert added == 10 * months
    assert db.session.scalar(select(func.count(CountySnapshot.id))) == 10 * months
    days = sorted(set(db.session.scalars(select(CountySnapshot.taken_on))))
    assert days[0] == date(2025, 2, 1) and days[-1] == date(2026, 11, 1)
    assert len(days) == months and all(d.day == 1 for d in days)
    per_county = db.session.execute(
        select(CountySnapshot.county_id, func.count()).group_by(CountySnapshot.county_id)
    ).all()
    assert len(per_county) == 10 and {n for _, n in per_county} == {months}

    assert backfill_snapshots(DAY) == 0
    db.session.commit()
    assert db.session.scalar(select(func.count(CountySnapshot.id))) == 10 * months

    def snap(code: str, day: date) -> CountySnapshot:
        return db.session.scalars(
            select(CountySnapshot).where(
                CountySnapshot.county_id == county(code).id, CountySnapshot.taken_on == day
            )
        ).one()

    assert (snap("WY", date(2025, 2, 1)).counted, snap("WY", date(2025, 2, 1)).eligible) == (1, 8)
    assert snap("WY", date(2026, 11, 1)).rate == pytest.approx(0.25)
    assert snap("YW", date(2026, 11, 1)).rate == pytest.approx(0.5)  # YW-1, YW-5
    assert snap("PA", date(2026, 11, 1)).rate is None

    # the registry changes: a snapshot keeps what was true, today's figure follows the registry
    e7 = city["wy"]["7"]
    row = registry_row(
        统一社会信用代码=e7.uscc, 企业名称=e7.name, **{"县(市、区)": "武义县", "是否建会": "否"}
    )
    outcome = run_upload(city["insp"], KIND_REGISTRY, "reg.xlsx", registry_workbook([row]), DAY)
    assert outcome.status == "imported", outcome.errors
    db.session.commit()
    assert snap("WY", date(2026, 11, 1)).eligible == 8
    now = _targets(runner)
    assert (now["WY"]["eligible"], now["WY"]["counted"]) == (7, 2)


# ---------------------------------------------------------------------------- supervision


def test_city_plans_and_records_supervision_inspector_cannot(city, client):
    leader = _as(client, "city")
    html = leader.get("/dashboard?date=2026-11-25").get_data(as_text=True)
    assert 'name="county" value="WY"' in html  # the form on the lagging county's row
    token = csrf_token(leader, "/dashboard?date=2026-11-25")

    refused = leader.post("/supervision", data={"county": "WY", "reason": "无令牌"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(Supervision.id))) == 0

    planned = leader.post(
        "/supervision",
        data={
            "csrf_token": token,
            "county": "WY",
            "reason": "达标率 25.0%，落后进度线",
            "planned_on": "2026-11-30",
        },
    )
    assert planned.status_code == 302
    match = re.search(r"/supervision/(\d+)$", planned.headers["Location"])
    assert match
    sid = int(match.group(1))
    supervision = db.session.get(Supervision, sid)
    assert supervision.county_id == county("WY").id
    assert supervision.planned_on == date(2026, 11, 30) and supervision.status == "planned"

    inspector = _as(client, "insp-WY")
    assert inspector.get(f"/supervision/{sid}").status_code == 200
    insp_token = csrf_token(inspector, f"/supervision/{sid}")
    fields = {
        "held_on": local_today().isoformat(),
        "participants": "市总工会 张三；县总工会 李四",
        "problems": "拓展协商内容不足",
        "measures": "一月内补签专项合同",
    }
    forbidden = inspector.post(f"/supervision/{sid}", data={"csrf_token": insp_token, **fields})
    assert forbidden.status_code == 403
    plan_refused = inspector.post(
        "/supervision", data={"csrf_token": insp_token, "county": "WY", "reason": "x"}
    )
    assert plan_refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Supervision, sid).status == "planned"
    assert db.session.scalar(select(func.count(Supervision.id))) == 1

    other = _as(client, "insp-YW")
    assert other.get(f"/supervision/{sid}").status_code == 404

    leader = _as(client, "city")
    token = csrf_token(leader, f"/supervision/{sid}")
    recorded = leader.post(f"/supervision/{sid}", data={"csrf_token": token, **fields})
    assert recorded.status_code == 302
    db.session.expire_all()
    done = db.session.get(Supervision, sid)
    assert done.status == "held" and done.held_on == local_today()
    assert done.participants == fields["participants"]
    county_page = leader.get("/dashboard/WY").get_data(as_text=True)
    assert "已督导" in county_page


# ---------------------------------------------------------------------------- review


def _hostile_supervision(city) -> None:
    leader = db.session.scalars(select(User).where(User.username == "city")).one()
    s = plan_supervision(county("WY").id, date(2026, 3, 10), '=HYPERLINK("http://x")', leader)
    record_supervision(
        s,
        leader,
        {
            "held_on": date(2026, 3, 12),
            "participants": "=1+2",
            "problems": "+cmd|' /C calc'!A0",
            "measures": "@SUM(A1:A2)",
            "follow_up_on": None,
        },
        DAY,
    )
    db.session.commit()


def test_review_report_workbook(city, runner, tmp_path):
    _hostile_supervision(city)
    out = tmp_path / "r.xlsx"
    result = runner.invoke(args=["review-report", "--half", "2026H1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert "县(市、区)排名" in wb.sheetnames
    ranking = wb["县(市、区)排名"]
    assert ranking.freeze_panes == "A2"
    rows = list(ranking.iter_rows(values_only=True))
    headers = rows[0]
    assert headers[0] == "排名" and "县(市、区)" in headers
    name_col = headers.index("县(市、区)")
    rate_col = headers.index("拓展达标率")
    # at 2026-06-30 only WY-E5 (1 of 8) and YW-5 (1 of 4) are in force
    assert (rows[1][0], rows[1][name_col]) == (1, "义乌市")
    assert rows[1][rate_col] == pytest.approx(0.25)
    assert (rows[2][0], rows[2][name_col]) == (2, "武义县")
    assert rows[2][rate_col] == pytest.approx(0.125)
    assert len(rows) == 1 + 10 + 1  # header, ten counties, city total

    strings = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    strings.append(cell.value)
    assert "=1+2" in strings and "@SUM(A1:A2)" in strings


def test_review_report_bad_half_exits_1(city, runner, tmp_path):
    out = tmp_path / "bad.xlsx"
    for half in ("2026H3", "2026-1", "H12026"):
        result = runner.invoke(args=["review-report", "--half", half, "-o", str(out)])
        assert result.exit_code == 1, half
        assert re.search(r"[\u4e00-\u9fff]", result.stderr), result.stderr
        assert not out.exists()


def test_review_page_for_city_only(city, client):
    _hostile_supervision(city)
    leader = _as(client, "city")
    page = leader.get("/review/2026H1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "武义县" in html and "义乌市" in html
    assert "2026-03-10" in html and "已督导" in html  # the supervision held in the half
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<form" not in title and "2026" in title  # the title is the title, nothing else
    assert html.count('id="commentary"') == 1
    export = leader.get("/review/2026H1?export=xlsx")
    assert export.status_code == 200
    assert "县(市、区)排名" in load_workbook(BytesIO(export.data)).sheetnames

    inspector = _as(client, "insp-WY")
    assert inspector.get("/review/2026H1").status_code == 403
    assert inspector.get("/review/2026H1?export=xlsx").status_code == 403
    clerk = _as(client, "clerk-1")
    assert clerk.get("/review/2026H1").status_code == 403


# ---------------------------------------------------------------------------- stored figures


def _forget_figures() -> None:
    """What a freshly started worker knows: nothing in memory."""
    with queries._lock:
        queries._cache.clear()


def test_stored_figures_are_read_while_the_register_is_unchanged(city):
    live = (queries.counts_on(DAY), queries.item_popularity(DAY), queries.filing_kpis(DAY))
    assert queries.refresh_figures(DAY) == ["counts", "popularity", "filing"]
    db.session.commit()
    assert queries.refresh_figures(DAY) == []  # nothing changed since
    _forget_figures()
    assert (queries.counts_on(DAY), queries.item_popularity(DAY), queries.filing_kpis(DAY)) == live
    # proof that they come from the table: a tampered stored count is what a new worker reads
    stored = db.session.get(RegisterFigure, (DAY, "counts"))
    stored.value = [[cid, eligible + 1000, *rest] for cid, eligible, *rest in stored.value]
    db.session.commit()
    _forget_figures()
    wy = city["wy"]["1"].county_id
    assert queries.counts_on(DAY)[wy].eligible == live[0][wy].eligible + 1000


def test_a_change_of_the_register_makes_the_stored_figures_stale(city):
    queries.refresh_figures(DAY)
    db.session.commit()
    before = queries.counts_on(DAY)
    _file(
        city["insp"], "e7.xlsx", [(contract_row(city["wy"]["7"], 合同编号="WY-E7"), "S01 A01 T01")]
    )
    db.session.commit()
    _forget_figures()
    register = target_oracle.load_register()
    pure = target_oracle.count_counties(
        register.counties, register.enterprises, register.contracts, register.expansion_codes, DAY
    )
    assert queries.counts_on(DAY) == pure
    wy = city["wy"]["7"].county_id
    assert pure[wy].counted == before[wy].counted + 1
    assert queries.item_popularity(DAY) != []
    assert set(queries.refresh_figures(DAY)) == {"counts", "popularity", "filing"}
