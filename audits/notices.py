"""Which events notify whom (SPEC §6 Notifications); core.notify stores and delivers them.

Events and their idempotency keys (each reaches each recipient once per channel):
- a rectification opened (``rect:<id>:opened``), submitted, sent back, verified
  (``rectevent:<event id>``); its deadline in 7 days, tomorrow, today
  (``rect:<id>:due<n>:<deadline>``); overdue (``rect:<id>:overdue``);
- the month's audits assigned to an inspector (``round:<month>:assigned:<user>``), a round
  frozen and waiting for the city's public value (``round:<month>:frozen``) and drawn
  (``round:<month>:drawn``);
- a 约谈 to hold (``interview:<id>:open``); a visit tomorrow (``visit:<id>:<day>:tomorrow``);
- a county without an inspector (``county:<id>:noinspector:<month>``).

Recipients are whoever the access policy says may act on the object (``policy.holders``), so
a user moved to another county stops hearing of this one: a rectification goes to the
enterprise's clerks who may answer it (else the inspectors who may verify it) and to the
county's work group; a submitted one to the inspectors who may verify it; a 约谈 to those who
may record it (the county's inspectors, or the city leaders for a city-level one); a round to
those who may draw it; each audit's notice to its inspector while they may record it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import click
from flask import Flask
from sqlalchemy import func, select

from audits import rectification_rules as rules
from audits.models import (
    Audit,
    Finding,
    Interview,
    Rectification,
    RectificationEvent,
    SampleRound,
    Visit,
)
from bargaining.models import County, Enterprise
from core.clock import local_today
from core.db import db, utcnow
from core.i18n import Msg, _
from core.models import User
from core.notify import DeliveryResult, Event, deliver, enqueue
from core.policy import ACTIONS, holders, scope_of

RECENT = timedelta(days=2)  # how far back "just happened" events are looked for


class People:
    """The active users, read once per run; who may act on what is the policy's answer."""

    def __init__(self) -> None:
        self.by_id: dict[int, User] = {}
        self.by_role: dict[str, list[User]] = defaultdict(list)
        for user in db.session.scalars(select(User).where(User.active).order_by(User.id)):
            self.by_id[user.id] = user
            self.by_role[user.role].append(user)

    def who_may(self, action: str, obj: object = None) -> list[User]:
        """The active users who may do ``action`` on ``obj`` (:func:`core.policy.holders`)."""
        return holders(action, obj, self._candidates(ACTIONS[action]))

    def _candidates(self, roles: Iterable[str]) -> list[User]:
        return [u for role in roles for u in self.by_role.get(role, [])]

    def may(self, user_id: int | None, action: str, obj: object) -> list[User]:
        """``[user]`` while that user (still active) may do ``action`` on ``obj``, else []."""
        user = self.by_id.get(user_id or -1)
        return holders(action, obj, [user]) if user is not None else []

    def owners(self, rect: Rectification) -> list[User]:
        """Who answers a rectification: its enterprise's own clerks who may submit it, else the
        inspectors who may verify it."""
        clerks = [u for u in self.who_may("rectification.submit", rect) if scope_of(u).clerk]
        return clerks or self.who_may("rectification.verify", rect)


def _rect_rows(where: list[Any]) -> list[tuple[Rectification, County, Enterprise | None]]:
    stmt = (
        select(Rectification, County, Enterprise)
        .join(County, County.id == Rectification.county_id)
        .outerjoin(Enterprise, Enterprise.id == Rectification.enterprise_id)
        .where(*where)
        .order_by(Rectification.id)
    )
    return [(r, c, e) for r, c, e in db.session.execute(stmt)]


def _params(rect: Rectification, county: County, ent: Enterprise | None) -> dict[str, object]:
    finding: Finding = rect.finding
    return {
        "county": county.name,
        "enterprise": ent.name if ent else "",
        "finding": finding.description,
        "deadline": rect.deadline.isoformat(),
    }


def deadline_events(today: date, people: People) -> Iterator[Event]:
    """Deadlines in 7 days, tomorrow, today, and overdue rectifications."""
    horizon = today + timedelta(days=7)
    rows = _rect_rows([Rectification.status != rules.RESOLVED, Rectification.deadline <= horizon])
    for rect, county, ent in rows:
        params = _params(rect, county, ent)
        link = f"/rectifications/{rect.id}"
        if rect.deadline < today:
            yield Event(
                f"rect:{rect.id}:overdue",
                "overdue",
                Msg(
                    "整改逾期：%(county)s %(enterprise)s — %(finding)s（期限 %(deadline)s）",
                    **params,
                ),
                link,
                people.owners(rect),
                [rect.county_id],
            )
            continue
        days = (rect.deadline - today).days
        if days == 0:
            subject = Msg(
                "整改今日到期：%(county)s %(enterprise)s — %(finding)s（期限 %(deadline)s）",
                **params,
            )
        elif days == 1:
            subject = Msg(
                "整改明日到期：%(county)s %(enterprise)s — %(finding)s（期限 %(deadline)s）",
                **params,
            )
        elif days == 7:
            subject = Msg(
                "整改7日后到期：%(county)s %(enterprise)s — %(finding)s（期限 %(deadline)s）",
                **params,
            )
        else:
            continue
        yield Event(
            f"rect:{rect.id}:due{days}:{rect.deadline.isoformat()}",
            f"due{days}",
            subject,
            link,
            people.owners(rect),
            [rect.county_id],
        )


def rectification_events(today: date, now: datetime, people: People) -> Iterator[Event]:
    """Opened, submitted, sent back, verified — as they happen."""
    for rect, county, ent in _rect_rows([Rectification.created_on >= today - RECENT]):
        yield Event(
            f"rect:{rect.id}:opened",
            "opened",
            Msg(
                "新的整改：%(county)s %(enterprise)s — %(finding)s（期限 %(deadline)s）",
                **_params(rect, county, ent),
            ),
            f"/rectifications/{rect.id}",
            people.owners(rect),
        )
    stmt = (
        select(RectificationEvent, Rectification, County, Enterprise)
        .join(Rectification, Rectification.id == RectificationEvent.rectification_id)
        .join(County, County.id == Rectification.county_id)
        .outerjoin(Enterprise, Enterprise.id == Rectification.enterprise_id)
        .where(RectificationEvent.at >= now - RECENT)
        .order_by(RectificationEvent.id)
    )
    for event, rect, county, ent in db.session.execute(stmt):
        params = _params(rect, county, ent)
        if event.action == rules.SUBMIT:
            subject = Msg("整改待核验：%(county)s %(enterprise)s — %(finding)s", **params)
            users = people.who_may("rectification.verify", rect)
        elif event.action == rules.SEND_BACK:
            subject = Msg("整改被退回重改：%(county)s %(enterprise)s — %(finding)s", **params)
            users = people.owners(rect)
        elif event.action == rules.VERIFY:
            subject = Msg("整改已核验通过：%(county)s %(enterprise)s — %(finding)s", **params)
            users = people.owners(rect)
        else:
            continue
        yield Event(
            f"rectevent:{event.id}", event.action, subject, f"/rectifications/{rect.id}", users
        )


def round_events(now: datetime, people: People) -> Iterator[Event]:
    """A round frozen (city: enter the public value), drawn (city) and the audits it
    assigned (each inspector)."""
    frozen = select(SampleRound).where(
        SampleRound.frozen_at >= now - RECENT,
        SampleRound.drawn_at.is_(None),
        SampleRound.commitment.is_not(None),
    )
    for rnd in db.session.scalars(frozen):
        yield Event(
            f"round:{rnd.month}:frozen",
            "round_frozen",
            Msg(
                "%(month)s 抽查总体已冻结（%(n)s 份）：请在月度会议上输入公开值抽取",
                month=rnd.month,
                n=rnd.population_size,
            ),
            "/sampling",
            people.who_may("sampling.draw"),
        )
    for rnd in db.session.scalars(select(SampleRound).where(SampleRound.drawn_at >= now - RECENT)):
        yield Event(
            f"round:{rnd.month}:drawn",
            "round_drawn",
            Msg("%(month)s 抽查已抽取：%(n)s 份合同", month=rnd.month, n=rnd.pick_count),
            f"/sampling/{rnd.month}",
            people.who_may("sampling.draw"),
        )
        assigned: dict[int, int] = defaultdict(int)  # inspector -> audits they may record
        by_pair = (
            select(Audit.inspector_id, Audit.county_id, func.count())
            .where(Audit.round_id == rnd.id, Audit.inspector_id.is_not(None))
            .group_by(Audit.inspector_id, Audit.county_id)
        )
        for inspector_id, county_id, n in db.session.execute(by_pair):
            # the policy reads an audit's county and inspector only: one question per pair,
            # not 300,000 audits loaded at province scale (the stand-in is never added)
            audit = Audit(inspector_id=inspector_id, county_id=county_id)
            for user in people.may(inspector_id, "audit.record", audit):
                assigned[user.id] += n
        assert rnd.due_on is not None  # a drawn round has its due date
        for inspector_id, n in assigned.items():
            user = people.by_id[inspector_id]
            yield Event(
                f"round:{rnd.month}:assigned:{inspector_id}",
                "audit_assigned",
                Msg(
                    "%(month)s 抽查分配给您 %(n)s 项，%(due)s 前完成",
                    month=rnd.month,
                    n=n,
                    due=rnd.due_on.isoformat(),
                ),
                "/audits",
                [user],
            )


def interview_events(people: People) -> Iterator[Event]:
    stmt = (
        select(Interview, County, Enterprise)
        .join(County, County.id == Interview.county_id)
        .outerjoin(Enterprise, Enterprise.id == Interview.enterprise_id)
        .where(Interview.status == "planned")
    )
    for interview, county, ent in db.session.execute(stmt):
        users = people.who_may("interview.record", interview)
        if interview.level == "city":
            groups: list[int | None] = [None]
            subject = Msg("待开展市级约谈：%(county)s", county=county.name)
        else:
            groups = [county.id]
            subject = Msg(
                "待开展约谈：%(county)s %(enterprise)s",
                county=county.name,
                enterprise=ent.name if ent else "",
            )
        yield Event(
            f"interview:{interview.id}:open",
            "interview",
            subject,
            f"/interviews/{interview.id}",
            users,
            groups,
        )


def visit_events(today: date, people: People) -> Iterator[Event]:
    tomorrow = today + timedelta(days=1)
    stmt = (
        select(Visit, County, Enterprise)
        .join(County, County.id == Visit.county_id)
        .outerjoin(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(Visit.planned_on == tomorrow, Visit.status.in_(("planned", "confirmed")))
    )
    for visit, county, ent in db.session.execute(stmt):
        visitor = people.may(visit.visitor_id, "visit.record", visit)
        if not visitor:
            continue
        yield Event(
            f"visit:{visit.id}:{tomorrow.isoformat()}:tomorrow",
            "visit_tomorrow",
            Msg(
                "明日走访：%(county)s %(enterprise)s（%(day)s）",
                county=county.name,
                enterprise=ent.name if ent else "",
                day=tomorrow.isoformat(),
            ),
            f"/visits/{visit.id}",
            visitor,
        )


def county_events(today: date, people: People) -> Iterator[Event]:
    """A county where nobody may record an audit: those who manage the rounds hear of it."""
    for county in db.session.scalars(select(County).order_by(County.sort_order)):
        if people.who_may("audit.record", county):
            continue
        yield Event(
            f"county:{county.id}:noinspector:{today:%Y-%m}",
            "no_inspector",
            Msg("%(county)s 没有在岗的县级指导员", county=county.name),
            "/admin/users",
            people.who_may("sampling.manage"),
        )


def immediate_events(today: date, now: datetime, people: People) -> list[Event]:
    return [*rectification_events(today, now, people), *round_events(now, people)]


def daily_events(today: date, now: datetime, people: People) -> list[Event]:
    return [
        *immediate_events(today, now, people),
        *deadline_events(today, people),
        *interview_events(people),
        *visit_events(today, people),
        *county_events(today, people),
    ]


def send_notifications(today: date, now: datetime | None = None) -> dict[str, int]:
    """The 08:00 job: every event of ``today``, then deliver (digests included)."""
    now = now or utcnow()
    added = enqueue(daily_events(today, now, People()), now)
    result: DeliveryResult = deliver(now, digests=True)
    return {"queued": added, **result.as_dict()}


def send_immediate(today: date, now: datetime | None = None) -> dict[str, int]:
    """Every few minutes: what just happened, plus retries whose back-off has passed."""
    now = now or utcnow()
    added = enqueue(immediate_events(today, now, People()), now)
    return {"queued": added, **deliver(now, digests=False).as_dict()}


def _job(func: Callable[[date], dict[str, int]]) -> Callable[[], dict[str, int]]:
    def run() -> dict[str, int]:
        result = func(local_today())
        db.session.commit()
        return result

    return run


def send_notifications_once(date_text: str | None) -> None:
    """`flask send-notifications` (declared in audits.cli, which imports this module only
    when the command runs): the day's notifications, once."""
    from core.cli import fail

    try:
        today = date.fromisoformat(date_text) if date_text else local_today()
    except ValueError:
        fail(_("日期格式应为 YYYY-MM-DD：%(text)s", text=date_text))
    result = send_notifications(today)
    db.session.commit()
    click.echo(
        _(
            "新通知 %(queued)s 条；已发送 %(sent)s，失败待重试 %(failed)s，跳过 %(skipped)s",
            **result,
        )
    )


def register_jobs(app: Flask) -> None:
    jobs = app.extensions.setdefault("scheduled_jobs", [])
    jobs.append(
        (
            "daily_notifications",
            {"trigger": "cron", "hour": 8, "minute": 0},
            _job(send_notifications),
        )
    )
    jobs.append(
        ("immediate_notifications", {"trigger": "interval", "minutes": 5}, _job(send_immediate))
    )
