"""The one access policy (SPEC §3 "Access is one policy").

Who may see and do what is answered here and nowhere else:

- :class:`Scope` — built once per request from the user (:func:`scope_of`): the counties they
  see (``None`` = every county) and, for an enterprise clerk, their enterprise.
  ``scope.where(stmt, county=..., enterprise=...)`` narrows a query; ``scope.check(obj)``
  answers 404 for an object outside it.
- :data:`ACTIONS` — the table of actions per role; :data:`RULES` — the few actions whose answer
  also depends on the object (an audit assigned to someone else, a city-level 约谈 …).
  :func:`may` answers ``role × scope × action`` for services, views and templates.
- :func:`requires` — the route decorator (Arlo's way): it declares the action (and, for POST,
  the write action) and the object type, loads the object by id, checks scope (404) and action
  (403), and hands the object to the view.
- ``can('registry.upload')`` in templates (registered by :func:`init_app`).

Models say how they are scoped with a ``__scope__ = ScopeOf(...)`` class attribute; without one
an object is a staff object of ``county_id`` (enterprise clerks never see it).
Core imports no domain package: object rules read attributes only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, g, has_request_context, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import false, select

from core.db import db
from core.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

CLERK, INSP, CITY, ADMIN = Role.ENTERPRISE, Role.INSPECTOR, Role.CITY, Role.ADMIN
ALL = frozenset(Role)
STAFF = frozenset({INSP, CITY, ADMIN})
LEADERS = frozenset({CITY, ADMIN})

#: action -> roles that may perform it (before scope and object rules)
ACTIONS: dict[str, frozenset[Role]] = {
    # session and home
    "home.view": ALL,
    "home.tasks": frozenset({CLERK, INSP, CITY}),  # deadlines and reminders on the home page
    "session.logout": ALL,
    # register: filings, uploads, enterprises (SPEC §3: the city leader files nothing)
    "filing.view": ALL,
    "filing.upload": frozenset({CLERK, INSP, ADMIN}),
    "registry.view": STAFF,
    "registry.upload": frozenset({INSP, ADMIN}),
    "upload.view": ALL,
    "contract.view": ALL,
    "contract.platform_date": frozenset({CLERK, INSP, ADMIN}),
    "contract.set_filed_on": STAFF,  # an explicit 备案日期 column in a filing workbook
    "contract.attach_text": frozenset({CLERK, INSP, ADMIN}),  # the contract's text (in scope)
    "enterprise.view": ALL,
    "enterprise.history": STAFF,  # the change history and links to contract pages
    # sampling and audits
    "sampling.view": STAFF,
    "sampling.freeze": LEADERS,  # fix a month's population (the scheduler does it too)
    "sampling.draw": frozenset({CITY}),
    "sampling.verify": LEADERS,
    "sampling.population": LEADERS,
    "sampling.manage": LEADERS,  # reassign / manage a round
    "audit.view": STAFF,
    "audit.mine": frozenset({INSP}),  # the "mine / my county" filter of the audit list
    "audit.record": frozenset({INSP}),
    # rectifications: the enterprise (or an inspector on its behalf) answers, inspectors verify
    "rectification.view": ALL,
    "rectification.act": frozenset({CLERK, INSP}),
    "rectification.start": frozenset({CLERK, INSP}),
    "rectification.submit": frozenset({CLERK, INSP}),
    "rectification.verify": frozenset({INSP}),
    "rectification.send_back": frozenset({INSP}),
    "rectification.staff_view": STAFF,
    "evidence.view": ALL,  # and the evidence's owner in scope
    # 约谈
    "interview.view": STAFF,
    "interview.record": frozenset({INSP, CITY}),
    # visits
    "visit.view": STAFF,
    "visit.plan": frozenset({CITY}),
    "visit.record": STAFF,
    "visit.calendar_mine": frozenset({INSP, CITY}),
    "visit.calendar_city": LEADERS,
    "visit.reminders": frozenset({INSP, CITY}),
    # reports
    "dashboard.city": LEADERS,
    "dashboard.county": STAFF,
    "supervision.plan": frozenset({CITY}),
    "supervision.view": STAFF,
    "supervision.record": frozenset({CITY}),
    "review.view": LEADERS,
    "review.comment": LEADERS,  # the city's commentary on a half-year review
    "digest.log_head": frozenset({CITY}),  # the audit log's head in the daily digest mail
    # notifications and one's own account
    "notify.inbox": ALL,
    "notify.read": ALL,
    "notify.settings": ALL,  # immediate or digest, per channel
    "account.password": ALL,
    # administration
    "calendar.edit": frozenset({ADMIN}),  # holidays per year
    "admin.view": frozenset({ADMIN}),  # /admin: the index of the screens below
    "admin.settings": frozenset({ADMIN}),
    "admin.tokens": frozenset({ADMIN}),  # API tokens: expire, revoke
    "admin.users": frozenset({ADMIN}),
    "admin.counties": frozenset({ADMIN}),  # pilot, K, minimum-wage tier
    "admin.items": frozenset({ADMIN}),  # the item catalogue
    "admin.recognition": frozenset({ADMIN}),  # the catalogue's recognition rules
    "admin.channels": frozenset({ADMIN}),  # the work groups' webhooks
    "admin.deliveries": frozenset({ADMIN}),  # the delivery log of mail and work groups
    # API (bearer tokens act with their user's scope)
    "api.read": ALL,
    "api.staff": STAFF,
    "api.leaders": LEADERS,
}


def _audit_record(user: User, audit: Any) -> bool:
    """The assigned inspector; an unassigned audit (or a county's audits, asked of the county)
    may be taken by any inspector of its county."""
    return getattr(audit, "inspector_id", None) in (None, user.id)


def _interview_record(user: User, interview: Any) -> bool:
    """A city-level 约谈 is the city's; a county-level one its county's inspectors'."""
    return user.role == (CITY if interview.level == "city" else INSP)


def _visit_record(user: User, visit: Any) -> bool:
    """The visitor; the city for county and supervision visits; the county's inspectors for
    enterprise visits."""
    return (
        user.id == visit.visitor_id
        or (user.role == CITY and visit.kind != "enterprise")
        or (user.role == INSP and visit.kind == "enterprise")
    )


#: action -> a rule on the object, asked after the role and the scope
RULES: dict[str, Callable[[User, Any], bool]] = {
    "audit.record": _audit_record,
    "interview.record": _interview_record,
    "visit.record": _visit_record,
}


# ---------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class ScopeOf:
    """How a model is scoped: its county attribute and, when enterprise clerks may see it, its
    enterprise attribute (and the uploader, when a clerk sees only what they uploaded); or,
    with ``via``, the attribute holding the object whose scope it shares (a contract's text)."""

    county: str = "county_id"
    enterprise: str | None = None
    owner: str | None = None
    via: str | None = None


STAFF_OBJECT = ScopeOf()


@dataclass(frozen=True)
class Scope:
    """What one user sees: ``counties`` (None = all) and, for a clerk, ``enterprise_id``."""

    user_id: int | None
    counties: frozenset[int] | None
    clerk: bool = False
    enterprise_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Scope:
        if user.role == CLERK:
            counties = frozenset({user.county_id}) if user.county_id else frozenset()
            return cls(user.id, counties, True, user.enterprise_id)
        if user.role in (CITY, ADMIN):
            return cls(user.id, None)
        return cls(user.id, frozenset({user.county_id}) if user.county_id else frozenset())

    @property
    def all_counties(self) -> bool:
        return self.counties is None

    def sees_county(self, county_id: int | None) -> bool:
        """A staff view of a county (clerks have no county pages)."""
        if self.clerk:
            return False
        return self.counties is None or county_id in self.counties

    def where(
        self, stmt: Any, county: Any = None, enterprise: Any = None, owner: Any = None
    ) -> Any:
        """Narrow a select to this scope. ``county``/``enterprise``/``owner`` are the query's
        columns; a clerk sees rows of their enterprise (and, with ``owner``, only their own),
        or — for a query without an enterprise column — their county's shared rows."""
        if self.clerk:
            if enterprise is not None:
                stmt = stmt.where(enterprise == (self.enterprise_id or -1))
                if owner is not None:
                    stmt = stmt.where(owner == (self.user_id or -1))
                return stmt
            if county is None:
                return stmt.where(false())
        if self.counties is None or county is None:
            return stmt
        if len(self.counties) == 1:
            return stmt.where(county == next(iter(self.counties)))
        if not self.counties:
            return stmt.where(false())
        return stmt.where(county.in_(sorted(self.counties)))

    def contains(self, obj: Any) -> bool:
        how: ScopeOf = getattr(type(obj), "__scope__", STAFF_OBJECT)
        if how.via is not None:
            return self.contains(getattr(obj, how.via))
        if self.clerk:
            if how.enterprise is None or self.enterprise_id is None:
                return False
            if getattr(obj, how.enterprise) != self.enterprise_id:
                return False
            return how.owner is None or getattr(obj, how.owner) == self.user_id
        return self.counties is None or getattr(obj, how.county) in self.counties

    def check(self, obj: T | None) -> T:
        """The object, or 404 when it is missing or outside this scope (never its data)."""
        if obj is None or not self.contains(obj):
            abort(404)
        return obj


def scope_of(user: User) -> Scope:
    """The user's scope, built once per request."""
    if not has_request_context():
        return Scope.of(user)
    cache: dict[tuple[Any, ...], Scope] = g.setdefault("_scopes", {})
    key = (user.id, user.role, user.county_id, user.enterprise_id)
    scope = cache.get(key)
    if scope is None:
        scope = cache[key] = Scope.of(user)
    return scope


# ---------------------------------------------------------------------------- may


def may(user: User | None, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (on ``obj``)? Role, then scope, then the object's rule.

    ``user`` None is the system (a CLI command or a scheduled job): it may do everything.
    """
    roles = ACTIONS[action]  # an unknown action is a bug: KeyError, loudly
    if user is None:
        return True
    if not getattr(user, "is_authenticated", True) or user.role not in roles:
        return False
    if obj is None:
        return True
    if not scope_of(user).contains(obj):
        return False
    rule = RULES.get(action)
    return rule is None or rule(user, obj)


def holders(action: str, obj: Any = None, among: Iterable[User] | None = None) -> list[User]:
    """The active users who may do ``action`` (on ``obj``) — role table, scope and object rule —
    in id order: whom a notice about ``obj`` goes to. ``among``: users already read (a job
    reads them once); default: the database's active users of the action's roles."""
    if among is None:
        among = db.session.scalars(
            select(User).where(User.active, User.role.in_(sorted(ACTIONS[action])))
        )
    return sorted((u for u in among if u.active and may(u, action, obj)), key=lambda u: u.id)


def roles_for(*actions: str) -> frozenset[Role]:
    return frozenset().union(*(ACTIONS[a] for a in actions))


# ---------------------------------------------------------------------------- routes


def requires(
    action: str,
    model: type[Any] | None = None,
    id_arg: str | None = None,
    *,
    write: str | None = None,
    check_write: bool = True,
) -> Callable[[F], F]:
    """Declare a view's action (``write``: the action of its POST) and object type.

    Anonymous users get the login page; a role without the action 403. With ``model``, the
    object is loaded by the ``id_arg`` URL argument (default: the view's only ``*_id``
    argument), 404 when missing or out of scope, 403 when the action's object rule refuses;
    the view receives it in place of the id (``audit_id`` -> ``audit``). With
    ``check_write=False`` the POST's object rule is left to the service (it depends on the
    form, e.g. which rectification action)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("core.login", next=request.full_path))
            wanted = write if (write and request.method == "POST") else action
            if not may(current_user, wanted):
                abort(403)
            if model is not None:
                name = id_arg or next(k for k in kwargs if k.endswith("_id"))
                obj = scope_of(current_user).check(db.session.get(model, kwargs.pop(name)))
                if (wanted == action or check_write) and not may(current_user, wanted, obj):
                    abort(403)
                kwargs[name.removesuffix("_id")] = obj
            return view(*args, **kwargs)

        wrapper.__dict__["_access"] = ACTIONS[action]
        wrapper.__dict__["_write_access"] = ACTIONS[write] if write else ACTIONS[action]
        wrapper.__dict__["_action"] = action
        return cast(F, wrapper)

    return decorate


def init_app(app: Flask) -> None:
    """``can('registry.upload')`` (and ``can('audit.record', audit)``) in every template."""

    def can(action: str, obj: Any = None) -> bool:
        return current_user.is_authenticated and may(current_user, action, obj)

    app.jinja_env.globals["can"] = can


def allowed(actions: Iterable[str], user: User, obj: Any = None) -> list[str]:
    """The subset of ``actions`` the user may do (on ``obj``), in order."""
    return [a for a in actions if may(user, a, obj)]
