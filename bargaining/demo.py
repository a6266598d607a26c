"""The Jinhua demo city (SPEC §2): ~4,450 unionized above-scale enterprises, contracts, users.

Deterministic for a given seed. Contracts go through the same bulk path as uploads
(:func:`bargaining.services.file_contracts`), so pre-audit flags are real.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from bargaining.excel_import import FilingRow
from bargaining.legal_checks import add_years
from bargaining.models import LEVEL_ENTERPRISE, LEVEL_INDUSTRY, LEVEL_REGIONAL, County, Enterprise
from bargaining.reference import BASELINE_ITEMS, COUNTIES, EXPANSION_ITEMS
from bargaining.services import file_contracts
from bargaining.uscc import ALPHABET, make_uscc
from core.auth import hash_password
from core.db import db, utcnow
from core.models import Role, User

DEMO_PASSWORD = "Jinhua2026!"

#: industries per county, after the seed article
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "WC": ("网约车", "汽车服务", "食品加工", "物流"),
    "JD": ("新能源汽车零部件", "机械制造", "物流"),
    "LX": ("养老服务", "光学膜", "纺织", "建材"),
    "DY": ("物业服务", "美容美发", "渔具", "木雕红木家具", "磁性材料"),
    "YW": ("电子商务", "小商品制造", "饰品", "物流"),
    "YK": ("五金制造", "电动工具", "门业", "保温杯"),
    "PJ": ("水晶", "挂锁", "绗缝"),
    "WY": ("五金制造", "文具", "电动工具", "旅游服务"),
    "PA": ("中药材", "生态旅游", "茶叶"),
    "KF": ("汽车制造", "生物医药", "电子信息"),
}
#: share of enterprises whose contracts already hold enough expansion items (counties differ)
PROGRESS: dict[str, float] = {
    "WC": 0.62,
    "JD": 0.48,
    "LX": 0.66,
    "DY": 0.44,
    "YW": 0.70,
    "YK": 0.38,
    "PJ": 0.35,
    "WY": 0.72,
    "PA": 0.64,
    "KF": 0.52,
}
NAME_HEADS = "金华浙中婺州八婺双龙金义兴华永盛宏达振宇鑫源恒通华丰东方新锐天成瑞丰中天"
NAME_TAILS = ("有限公司", "股份有限公司", "实业有限公司", "科技有限公司")
INDUSTRY_CONTRACTS: dict[str, tuple[str, str, str]] = {
    # county: (name, industry, level)
    "YW": ("义乌市内贸电子商务行业工资专项集体合同", "电子商务", LEVEL_INDUSTRY),
    "WC": ("婺城区网约车行业工资专项集体合同", "网约车", LEVEL_INDUSTRY),
    "DY": ("东阳市物业服务行业工资专项集体合同", "物业服务", LEVEL_INDUSTRY),
    "LX": ("兰溪市光学膜产业园区域性工资专项集体合同", "光学膜", LEVEL_REGIONAL),
    "YK": ("永康市五金行业工资专项集体合同", "五金制造", LEVEL_INDUSTRY),
    "WY": ("武义县制造业能级工资集体合同", "五金制造", LEVEL_INDUSTRY),
}
EXPANSION_CODES = [code for code, _ in EXPANSION_ITEMS]


def _uscc(rng: random.Random, division: str, used: set[str]) -> str:
    while True:
        org = "".join(rng.choice(ALPHABET) for _ in range(9))
        code = make_uscc(f"91{division}{org}")
        if code not in used:
            used.add(code)
            return code


def _company_name(rng: random.Random, county: str, industry: str, used: set[str]) -> str:
    while True:
        head = "".join(rng.sample(NAME_HEADS, 2))
        name = f"{county}{head}{industry}{rng.choice(NAME_TAILS)}"
        if name not in used:
            used.add(name)
            return name


def build_demo_city(seed: int, today: date) -> dict[str, int]:
    rng = random.Random(seed)
    counties = {c.code: c for c in db.session.scalars(select(County))}
    used_codes: set[str] = set()
    used_names: set[str] = set()
    now = utcnow()
    enterprise_rows = []
    for code, _name, _pilot, _tier, division, eligible in COUNTIES:
        county = counties[code]
        short = county.name[:2]
        total = eligible + eligible // 8  # plus some without a union or below scale
        for i in range(total):
            industry = rng.choice(INDUSTRIES[code])
            ineligible = i >= eligible
            enterprise_rows.append(
                {
                    "uscc": _uscc(rng, division, used_codes),
                    "name": _company_name(rng, short, industry, used_names),
                    "county_id": county.id,
                    "industry": industry,
                    "has_union": not (ineligible and i % 2 == 0),
                    "above_scale": not (ineligible and i % 2 == 1),
                    "employees": rng.randint(60, 1800) if not ineligible else rng.randint(8, 60),
                    "updated_at": now,
                }
            )
    db.session.execute(insert(Enterprise), enterprise_rows)
    enterprises = list(db.session.scalars(select(Enterprise).order_by(Enterprise.id)))
    by_county: dict[int, list[Enterprise]] = {}
    for ent in enterprises:
        by_county.setdefault(ent.county_id, []).append(ent)

    users = _demo_users(counties, by_county)
    city_user = users[0]
    rows: list[FilingRow] = []
    for code, county in counties.items():
        required = county.required_items
        for ent in by_county[county.id]:
            if rng.random() > 0.93:  # some enterprises have not filed at all yet
                continue
            enough = rng.random() < PROGRESS[code]
            n_items = (
                rng.randint(required, required + 3) if enough else rng.randint(0, required - 1)
            )
            rows.append(_contract_row(rng, ent, county.id, f"{code}-{ent.id:05d}", n_items, today))
        if code in INDUSTRY_CONTRACTS:
            title, industry, level = INDUSTRY_CONTRACTS[code]
            covered = [e.id for e in by_county[county.id] if e.industry == industry][:120]
            row = _contract_row(rng, None, county.id, f"{code}-HY-2026-01", 2, today)
            row.level = level
            row.name = title
            row.industry = industry
            row.uscc = ""
            row.coverage = covered
            rows.append(row)
    stats = file_contracts(rows, city_user, None, today)
    # a second version for a handful of contracts: re-filed after renegotiation
    refiled = [r for r in rows if r.level == LEVEL_ENTERPRISE][::97]
    for r in refiled:
        r.filed_on = min(today, (r.filed_on or today) + timedelta(days=40))
        r.raise_pct = (r.raise_pct or Decimal("3")) + Decimal("1")
        r.platform_entered_on = r.filed_on
    file_contracts(refiled, city_user, None, today)
    return {
        "企业": len(enterprise_rows),
        "合同": stats["contracts"],
        "新版本": len(refiled),
        "协商事项": stats["items"],
        "账号": len(users),
    }


def _contract_row(
    rng: random.Random,
    ent: Enterprise | None,
    county_id: int,
    number: str,
    n_items: int,
    today: date,
) -> FilingRow:
    # filed over the last ten months; signed a little before filing
    filed_on = today - timedelta(days=rng.randint(1, 300))
    # half the contracts were signed long before they reached this register (paper filings
    # entered later), so the history of the rate grows over two years, not ten months
    signed_on = filed_on - timedelta(
        days=rng.randint(0, 20) if rng.random() < 0.5 else rng.randint(120, 640)
    )
    effective_on = signed_on + timedelta(days=rng.randint(0, 15))
    years = (
        (rng.choice((1, 2, 3, 3, 3)) if signed_on > filed_on - timedelta(days=100) else 3)
        if rng.random() > 0.03
        else 5
    )
    expires_on = add_years(effective_on, years) - timedelta(days=1)
    total = rng.randint(20, 120)
    present = total if rng.random() > 0.05 else total // 2
    votes = present - rng.randint(0, max(0, present // 6)) if rng.random() > 0.03 else total // 3
    submitted = signed_on + timedelta(
        days=rng.randint(1, 9) if rng.random() > 0.08 else rng.randint(11, 40)
    )
    wage_tier_floor = 2010
    items = [(code, "") for code, _ in BASELINE_ITEMS]
    items += [(code, "") for code in rng.sample(EXPANSION_CODES, n_items)]
    return FilingRow(
        row=0,
        number=number,
        contract_type="工资专项集体合同" if rng.random() < 0.7 else "综合性集体合同",
        level=LEVEL_ENTERPRISE,
        uscc=ent.uscc if ent else "",
        name=ent.name if ent else "",
        county_id=county_id,
        industry=ent.industry if ent else "",
        signed_on=signed_on,
        delegates_total=total,
        delegates_present=present,
        votes_for=max(0, votes),
        effective_on=effective_on,
        expires_on=expires_on,
        submitted_on=submitted if rng.random() > 0.04 else None,
        workers_covered=ent.employees if ent and ent.employees else rng.randint(100, 3000),
        lowest_wage=Decimal(rng.randint(wage_tier_floor - 50, 3200)),
        raise_pct=Decimal(rng.randint(2, 8)),
        platform_entered_on=_entered_on(rng, filed_on, today),
        remarks="",
        filed_on=filed_on,
        enterprise_id=ent.id if ent else None,
        items=items,
    )


def _entered_on(rng: random.Random, filed_on: date, today: date) -> date | None:
    """Most filings reach the national platform within days; some not yet (备案一家、录入一家)."""
    if rng.random() < 0.12:
        return None
    entered = filed_on + timedelta(
        days=rng.randint(1, 25) if rng.random() > 0.05 else rng.randint(31, 60)
    )
    return entered if entered <= today else None


def _demo_users(counties: dict[str, County], by_county: dict[int, list[Enterprise]]) -> list[User]:
    # one slow argon2 hash shared by every demo account (same password, hashing is deliberately slow)
    hashed = hash_password(DEMO_PASSWORD)
    users = [
        User(
            username="city",
            display_name="市总工会 权益保障部",
            role=Role.CITY,
            password_hash=hashed,
        ),
        User(
            username="city-2", display_name="市总工会 督导组", role=Role.CITY, password_hash=hashed
        ),
        User(
            username="city-3",
            display_name="市总工会 法律工作部",
            role=Role.CITY,
            password_hash=hashed,
        ),
        User(username="admin", display_name="系统管理员", role=Role.ADMIN, password_hash=hashed),
    ]
    for code, county in counties.items():
        for n in ("", "-2", "-3"):
            users.append(
                User(
                    username=f"insp-{code}{n}",
                    display_name=f"{county.name}指导员{n.strip('-') or '1'}",
                    role=Role.INSPECTOR,
                    county_id=county.id,
                    password_hash=hashed,
                )
            )
        for i, ent in enumerate(by_county[county.id][:2], start=1):
            users.append(
                User(
                    username=f"ent-{code}-{i}",
                    display_name=ent.name,
                    role=Role.ENTERPRISE,
                    county_id=county.id,
                    enterprise_id=ent.id,
                    password_hash=hashed,
                )
            )
    for user in users:  # watch the demo's notifications in a local mail catcher
        user.email = f"{user.username}@example.org"
    db.session.add_all(users)
    db.session.flush()
    return users


def demo_logins() -> list[tuple[str, str]]:
    rows = []
    for user in db.session.scalars(select(User).order_by(User.id)):
        if user.username.endswith(("-2", "-3")) and user.role != Role.ENTERPRISE:
            continue
        rows.append((user.username, f"{Role(user.role).label} · {user.display_name}"))
    return rows
