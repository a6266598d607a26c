"""What the admin keeps in the register's reference data (SPEC §2, §3 Administration):
counties (pilot, K, minimum-wage tier, target share), the item catalogue, and the county and
enterprise a user belongs to. Each write is audit-logged; the request commits."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bargaining.models import BargainingItem, County, Enterprise
from core import audit_log
from core.db import db
from core.errors import UserError
from core.i18n import Msg, _
from core.models import Role, User

ITEM_CODE = re.compile(r"^[A-Z][0-9]{2}$")
ITEM_KINDS = ("baseline", "expansion", "other")


def resolve_assignment(role: str, county_code: str, uscc: str) -> tuple[int | None, int | None]:
    """(county_id, enterprise_id) for a user of ``role`` from a county code or a USCC; a clerk's
    county is its enterprise's."""
    county_code, uscc = (county_code or "").strip().upper(), (uscc or "").strip().upper()
    if role == Role.ENTERPRISE:
        if not uscc:
            raise UserError(_("企业经办人须指定企业（统一社会信用代码）"))
        ent = db.session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).first()
        if ent is None:
            raise UserError(_("企业名录中没有统一社会信用代码「%(uscc)s」", uscc=uscc))
        return ent.county_id, ent.id
    if role == Role.INSPECTOR:
        if not county_code:
            raise UserError(_("县级指导员须指定县(市、区)"))
        county = db.session.scalars(select(County).where(County.code == county_code)).first()
        if county is None:
            raise UserError(_("未知的县(市、区)代码「%(code)s」", code=county_code))
        return county.id, None
    return None, None


def update_county(
    actor: User,
    county: County,
    *,
    pilot: bool,
    required_items: int,
    min_wage_tier: int,
    target_share: str,
) -> bool:
    if not 1 <= required_items <= 24:
        raise UserError(_("%(county)s：K 须在 1 到 24 之间", county=county.name))
    if min_wage_tier not in (1, 2, 3):
        raise UserError(_("%(county)s：最低工资档次须为 1、2 或 3", county=county.name))
    try:
        share = Decimal(str(target_share).strip())
    except InvalidOperation:
        share = Decimal(-1)
    if not Decimal("0") < share <= Decimal("1"):
        raise UserError(
            _("%(county)s：目标比例须为 0 到 1 之间的小数，如 0.75", county=county.name)
        )
    before: dict[str, Any] = {
        "pilot": county.pilot,
        "required_items": county.required_items,
        "min_wage_tier": county.min_wage_tier,
        "target_share": str(county.target_share),
    }
    after = {
        "pilot": pilot,
        "required_items": required_items,
        "min_wage_tier": min_wage_tier,
        "target_share": str(share),
    }
    if {**before, "target_share": Decimal(before["target_share"])} == {
        **after,
        "target_share": share,
    }:
        return False
    county.pilot, county.required_items = pilot, required_items
    county.min_wage_tier, county.target_share = min_wage_tier, share
    db.session.flush()
    audit_log.record(
        actor, "update", "county", county.id, before=before, after=after, summary=county.code
    )
    return True


def add_item(actor: User, code: str, name: str, kind: str) -> BargainingItem:
    """A new catalogue item; a code ever used (even retired) is refused: codes are never reused."""
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not ITEM_CODE.match(code):
        raise UserError(_("事项代码须为一个大写字母加两位数字，如 S08"))
    if not name or len(name) > 60:
        raise UserError(_("请填写事项名称（60 字以内）"))
    if kind not in ITEM_KINDS:
        raise UserError(_("未知的事项类别"))
    if db.session.get(BargainingItem, code) is not None:
        raise UserError(_("代码 %(code)s 已经使用过（代码不复用）", code=code))
    item = BargainingItem(code=code, name=name, kind=kind, active=True)
    db.session.add(item)
    db.session.flush()
    audit_log.record(
        actor,
        "create",
        "bargaining_item",
        None,
        after={"code": code, "name": name, "kind": kind},
        summary=Msg("新增协商事项 %(code)s", code=code),
    )
    return item


def set_item_active(actor: User, code: str, active: bool) -> None:
    item = db.session.get(BargainingItem, code)
    if item is None:
        raise UserError(_("没有代码为 %(code)s 的事项", code=code))
    if item.active == active:
        return
    item.active = active
    db.session.flush()
    audit_log.record(
        actor,
        "restore" if active else "retire",
        "bargaining_item",
        None,
        before={"code": code, "active": not active},
        after={"code": code, "active": active},
        summary=code,
    )
