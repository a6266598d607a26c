"""The one access policy (core/policy.py, SPEC §3): scope, actions per role, object rules."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from core.models import Role
from core.policy import ACTIONS, Scope, ScopeOf, holders, may

ROOT = Path(__file__).resolve().parent.parent
WY, YW = 7, 8


def user(role: Role, county: int | None = WY, enterprise: int | None = None, uid: int = 1):
    return SimpleNamespace(id=uid, role=role, county_id=county, enterprise_id=enterprise)


class Staff:  # a staff object: county only
    def __init__(self, county: int, **attrs: object) -> None:
        self.county_id = county
        self.__dict__.update(attrs)


class Owned:  # an object clerks see when it is their enterprise's
    __scope__ = ScopeOf(enterprise="enterprise_id")

    def __init__(self, county: int, enterprise: int | None) -> None:
        self.county_id, self.enterprise_id = county, enterprise


T = Table("t", MetaData(), Column("county_id", Integer), Column("enterprise_id", Integer))


def _where(u) -> str:
    stmt = Scope.of(u).where(select(T), T.c.county_id, T.c.enterprise_id)
    return str(stmt.compile(compile_kwargs={"literal_binds": True})).split("WHERE")[-1].strip()


def test_where_narrows_an_inspector_to_their_county() -> None:
    assert _where(user(Role.INSPECTOR)) == f"t.county_id = {WY}"


def test_where_narrows_a_clerk_to_their_enterprise() -> None:
    assert _where(user(Role.ENTERPRISE, enterprise=42)) == "t.enterprise_id = 42"


def test_where_leaves_the_city_every_county() -> None:
    assert "WHERE" not in str(Scope.of(user(Role.CITY)).where(select(T), T.c.county_id))


def test_an_inspector_without_a_county_sees_nothing() -> None:
    assert not Scope.of(user(Role.INSPECTOR, county=None)).contains(Staff(WY))


def test_check_is_404_outside_the_scope() -> None:
    from werkzeug.exceptions import NotFound

    with pytest.raises(NotFound):
        Scope.of(user(Role.INSPECTOR)).check(Staff(YW))


def test_clerks_never_see_staff_objects_even_of_their_county() -> None:
    assert not Scope.of(user(Role.ENTERPRISE, enterprise=42)).contains(Staff(WY))


def test_clerks_see_their_enterprise_objects_only() -> None:
    scope = Scope.of(user(Role.ENTERPRISE, enterprise=42))
    assert scope.contains(Owned(WY, 42))
    assert not scope.contains(Owned(WY, 43))
    assert not scope.contains(Owned(WY, None))


def test_the_city_files_nothing() -> None:
    """SPEC §3: "The city leader files nothing"."""
    assert not may(user(Role.CITY), "filing.upload")
    assert not may(user(Role.CITY), "registry.upload")
    assert may(user(Role.INSPECTOR), "filing.upload")


def test_an_audit_assigned_to_someone_else_is_not_mine_to_record() -> None:
    insp = user(Role.INSPECTOR, uid=5)
    assert may(insp, "audit.record", Staff(WY, inspector_id=None))
    assert may(insp, "audit.record", Staff(WY, inspector_id=5))
    assert not may(insp, "audit.record", Staff(WY, inspector_id=6))
    assert not may(insp, "audit.record", Staff(YW, inspector_id=5))


def test_a_city_level_interview_is_the_citys() -> None:
    city_level, county_level = Staff(WY, level="city"), Staff(WY, level="county")
    assert may(user(Role.CITY), "interview.record", city_level)
    assert not may(user(Role.CITY), "interview.record", county_level)
    assert may(user(Role.INSPECTOR), "interview.record", county_level)
    assert not may(user(Role.INSPECTOR), "interview.record", city_level)


def test_the_system_may_do_everything_and_an_unknown_action_is_a_bug() -> None:
    assert may(None, "sampling.draw")
    with pytest.raises(KeyError):
        may(user(Role.ADMIN), "no.such.action")


def test_every_role_is_known_to_the_table() -> None:
    assert set().union(*ACTIONS.values()) == set(Role)


def test_templates_ask_the_policy_instead_of_naming_roles() -> None:
    """SPEC §3: no template restates a role list; they ask ``can('…')``."""
    pattern = re.compile(r"current_user\.role\s*(==|!=|in\b|not in\b)")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


def test_holders_are_the_active_users_who_may_act_on_the_object() -> None:
    """Whom a notice about an object goes to: role table, scope and object rule."""
    people = [
        SimpleNamespace(**vars(user(Role.INSPECTOR, WY, uid=3)), active=True),
        SimpleNamespace(**vars(user(Role.INSPECTOR, YW, uid=2)), active=True),
        SimpleNamespace(**vars(user(Role.INSPECTOR, WY, uid=4)), active=False),
        SimpleNamespace(**vars(user(Role.CITY, None, uid=1)), active=True),
    ]

    def ids(action: str, obj: object) -> list[int]:
        return [u.id for u in holders(action, obj, people)]

    assert ids("rectification.verify", Staff(WY)) == [3]
    assert ids("audit.record", Staff(WY, inspector_id=None)) == [3]
    assert ids("interview.record", Staff(WY, level="city")) == [1]
    assert ids("interview.record", Staff(YW, level="county")) == [2]
