"""Factories: enterprises, users and filing workbooks with sensible valid defaults."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from bargaining.models import County, Enterprise
from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS, REGISTRY
from bargaining.uscc import ALPHABET, make_uscc
from core.auth import hash_password
from core.db import Base, db
from core.models import Role, User

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)


def county(code: str) -> County:
    return db.session.scalars(select(County).where(County.code == code)).one()


def new_uscc(division: str = "330723") -> str:
    n = next(_counter)
    body = ""
    for _ in range(9):
        body = ALPHABET[n % 31] + body
        n //= 31
    return make_uscc(f"91{division}{body}")


def make_enterprise(code: str = "WY", **fields: Any) -> Enterprise:
    c = county(code)
    ent = Enterprise(
        uscc=fields.pop("uscc", None) or new_uscc(c.division_code or "330723"),
        name=fields.pop("name", None) or f"{c.name}测试企业{next(_counter)}有限公司",
        county_id=c.id,
        industry=fields.pop("industry", "五金制造"),
        has_union=fields.pop("has_union", True),
        above_scale=fields.pop("above_scale", True),
        employees=fields.pop("employees", 300),
        **fields,
    )
    db.session.add(ent)
    db.session.flush()
    return ent


def make_user(
    username: str, role: Role, code: str | None = None, enterprise: Enterprise | None = None
) -> User:
    user = User(
        username=username,
        display_name=username,
        password_hash=hash_password(PASSWORD),
        role=role,
        county_id=county(code).id if code else (enterprise.county_id if enterprise else None),
        enterprise_id=enterprise.id if enterprise else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def contract_row(ent: Enterprise | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid 合同 row (keys are the template's headers) for an enterprise contract."""
    row: dict[str, Any] = {
        "合同编号": f"HT-{next(_counter)}",
        "合同类型": "工资专项集体合同",
        "协商层级": "企业",
        "统一社会信用代码": ent.uscc if ent else "",
        "企业名称": ent.name if ent else "测试行业",
        "县(市、区)": "WY",
        "行业": "五金制造",
        "签订日期": date(2026, 6, 17),
        "职工代表总数": 45,
        "出席代表数": 40,
        "赞成票数": 38,
        "生效日期": date(2026, 7, 1),
        "期满日期": date(2029, 6, 30),
        "报送日期": date(2026, 6, 24),
        "覆盖职工人数": 320,
        "最低工资标准": 2300,
        "工资增长幅度": 5,
        "平台录入日期": date(2026, 11, 20),
        "备注": "",
        "备案日期": None,
    }
    row.update(overrides)
    return row


def _sheet(
    wb: Workbook,
    name: str,
    headers: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    title_row: str | None,
) -> None:
    ws = wb.create_sheet(name)
    if title_row:
        ws.append([title_row])
    ws.append(list(headers))
    for row in rows:
        ws.append([row.get(h) for h in headers])


def filing_workbook(
    contracts: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]] | None = None,
    coverage: Sequence[Mapping[str, Any]] | None = None,
    title_row: str | None = None,
    headers: Sequence[str] | None = None,
) -> bytes:
    """A filing workbook; when ``items`` is None every contract gets W01 + S01 + A01."""
    wb = Workbook()
    wb.remove(wb.active)
    contract_headers = list(headers or [c.header for c in CONTRACTS.columns])
    _sheet(wb, "合同", contract_headers, contracts, title_row)
    if items is None:
        items = [
            {"合同编号": c["合同编号"], "事项代码": code, "条款摘要": ""}
            for c in contracts
            for code in ("W01", "S01", "A01")
        ]
    _sheet(wb, "协商事项", [c.header for c in ITEMS.columns], items, None)
    _sheet(wb, "覆盖企业", [c.header for c in COVERAGE.columns], coverage or [], None)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def registry_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "统一社会信用代码": new_uscc(),
        "企业名称": f"武义登记企业{next(_counter)}有限公司",
        "县(市、区)": "武义县",
        "行业": "文具",
        "是否建会": "是",
        "是否规模以上": "是",
        "职工人数": 150,
    }
    row.update(overrides)
    return row


def registry_workbook(rows: Sequence[Mapping[str, Any]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "企业名录", [c.header for c in REGISTRY.columns], rows, None)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def upload(
    client,
    data: bytes,
    filename: str = "filing.xlsx",
    url: str = "/filings/upload",
    xhr: bool = False,
):
    token = csrf_token(client, url)
    headers = {"X-Requested-With": "XMLHttpRequest"} if xhr else {}
    return client.post(
        url,
        data={"csrf_token": token, "file": (BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=headers,
    )


def freeze_and_draw(month: str, public_value: str | None = "123456", now=None):
    """Freeze round ``month`` (YYYY-MM) and draw it with ``public_value`` (None: unwitnessed),
    committed, as SPEC §5 does it on the 1st and at the monthly meeting. Months from 2026-01
    may be sampled (setting sampling_start_month, unless a test set its own)."""
    from datetime import UTC, datetime

    from audits.jobs import draw_month_once, freeze_month_once
    from audits.rounds import Month
    from core.models import Setting

    setting = db.session.get(Setting, "sampling_start_month")
    if setting is None or not setting.value:
        db.session.merge(Setting(key="sampling_start_month", value="2026-01", description=""))
        db.session.commit()
    now = now or datetime.now(UTC)
    freeze_month_once(Month.parse(month), None, now)
    round_, _fresh = draw_month_once(Month.parse(month), public_value, None, now)
    return round_


def make_finding(
    by,
    ent: Enterprise,
    opened_on: date,
    *,
    check_code: str = "C5",
    severity: str = "major",
    description: str = "报送逾期",
):
    """A finding of an audit of ``ent`` opened on ``opened_on``, with its rectification
    (deadline by severity, SPEC §6)."""
    from audits.services import open_finding

    return open_finding(
        by,
        opened_on,
        county_id=ent.county_id,
        enterprise_id=ent.id,
        contract_id=None,
        check_code=check_code,
        severity=severity,
        description=description,
        source="audit",
        source_id=None,
    )


def database_state() -> dict[str, str]:
    """A checksum of every table's rows (read through a connection of its own): compare it
    before and after a request that must change nothing."""
    state = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            state[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return state
