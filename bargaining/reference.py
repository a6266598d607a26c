"""Reference data shipped with the product (SPEC §2): the ten Jinhua counties and the catalogue."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from bargaining.models import BargainingItem, County
from core.db import db
from core.hooks import hooks
from core.i18n import N_

#: code, name, pilot, min-wage tier, administrative division code, demo enterprise count
COUNTIES: tuple[tuple[str, str, bool, int, str, int], ...] = (
    ("WC", N_("婺城区"), False, 2, "330702", 300),
    ("JD", N_("金东区"), False, 2, "330703", 330),
    ("LX", N_("兰溪市"), False, 2, "330781", 330),
    ("DY", N_("东阳市"), True, 2, "330783", 520),
    ("YW", N_("义乌市"), False, 1, "330782", 850),
    ("YK", N_("永康市"), False, 2, "330784", 900),
    ("PJ", N_("浦江县"), False, 3, "330726", 330),
    ("WY", N_("武义县"), True, 3, "330723", 420),
    ("PA", N_("磐安县"), False, 3, "330727", 90),
    ("KF", N_("金华开发区"), True, 2, "330701", 380),
)
PILOT_REQUIRED_ITEMS = 3
OTHER_REQUIRED_ITEMS = 2
TARGET_SHARE = Decimal("0.75")

BASELINE_ITEMS = (("W01", N_("工资分配制度")), ("W02", N_("工资标准")), ("W03", N_("工资支付办法")))
EXPANSION_ITEMS = (
    ("W04", N_("年度工资调整机制/增长幅度")),
    ("W05", N_("奖金、津贴、补贴分配办法")),
    ("W06", N_("绩效工资/计件单价")),
    ("S01", N_("技能等级(能级)工资标准")),
    ("S02", N_("岗位等级与晋升通道")),
    ("S03", N_("技能等级认定与工资挂钩")),
    ("S04", N_("高技能人才津贴")),
    ("S05", N_("职业技能培训及经费")),
    ("S06", N_("学徒及新入职职工工资")),
    ("S07", N_("技术创新成果奖励")),
    ("D01", N_("劳动争议协商调解机制")),
    ("A01", N_("夜班津贴")),
    ("A02", N_("高温及特殊岗位津贴")),
    ("A03", N_("加班工资计算基数")),
    ("T01", N_("工作时间与休息休假")),
    ("T02", N_("轮班与弹性工作安排")),
    ("H01", N_("劳动安全卫生")),
    ("H02", N_("女职工特殊保护")),
    ("B01", N_("补充保险和福利")),
    ("B02", N_("生活补贴(餐、住、行)")),
    ("F01", N_("新就业形态劳动者权益")),
)
OTHER_ITEMS = (("N01", N_("其他")),)


def seed_reference_data() -> dict[str, int]:
    """Insert what is missing; never overwrite what an admin has edited."""
    added = {"counties": 0, "items": 0}
    existing = set(db.session.scalars(select(County.code)))
    for order, (code, name, pilot, tier, division, _) in enumerate(COUNTIES):
        if code in existing:
            continue
        db.session.add(
            County(
                code=code,
                name=name,
                pilot=pilot,
                required_items=PILOT_REQUIRED_ITEMS if pilot else OTHER_REQUIRED_ITEMS,
                target_share=TARGET_SHARE,
                min_wage_tier=tier,
                division_code=division,
                sort_order=order,
            )
        )
        added["counties"] += 1
    codes = set(db.session.scalars(select(BargainingItem.code)))
    for kind, items in (
        ("baseline", BASELINE_ITEMS),
        ("expansion", EXPANSION_ITEMS),
        ("other", OTHER_ITEMS),
    ):
        for code, name in items:
            if code not in codes:
                db.session.add(BargainingItem(code=code, name=name, kind=kind))
                added["items"] += 1
    db.session.flush()
    return added


def init_app_hooks(app: Flask) -> None:
    """``flask init-db`` seeds the counties and the catalogue first (the other steps need them)."""
    hooks(app).init_steps.append(seed_reference_data)
