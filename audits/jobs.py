"""Timed jobs and their by-hand twins (edges: these commit).

Every job is idempotent: a month is frozen once and drawn once whatever the number of
processes (the ``sample_round.month`` unique constraint decides the freeze, a conditional
UPDATE the draw; the loser reads the winner's round), and escalation covers each
rectification once per level.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from audits import rounds
from audits.models import SampleRound
from audits.services import EscalationResult, escalate
from bargaining.services import fail_stale_uploads
from core.clock import local_today
from core.db import db, utcnow
from core.hooks import hooks
from core.i18n import _
from core.models import User


def freeze_month_once(
    month: rounds.Month, user: User | None, now: datetime
) -> tuple[SampleRound, bool]:
    """(the round, whether this call froze it). A month already frozen is returned as it is."""
    existing = rounds.get_round(str(month))
    if existing is not None:
        return existing, False
    try:
        round_ = rounds.freeze_round(month, user, now)
        db.session.commit()
        return round_, True
    except IntegrityError:
        db.session.rollback()  # another process froze this month first
        winner = rounds.get_round(str(month))
        if winner is None:
            raise
        return winner, False
    except Exception:
        db.session.rollback()
        raise


class NotFrozen(rounds.UserError):
    pass


#: the largest round a web request opens itself after drawing it (a few hundredths of a second
#: per thousand picks); a larger one is opened by the job process (``open_drawn_rounds``, every
#: minute) while the city leader's page already shows the decided round
OPEN_IN_REQUEST_MAX_PICKS = 20_000


def draw_month_once(
    month: rounds.Month,
    public_value: str | None,
    user: User | None,
    now: datetime,
    open_up_to: int | None = None,
) -> tuple[SampleRound, bool]:
    """(the round, whether this call drew it). A month must be frozen first; a month already
    drawn is returned as it is. The draw is committed first, then its picks and audits are
    written and committed (:func:`open_drawn_once`), unless the round has more than
    ``open_up_to`` picks (None: whatever its size): the job process opens it then."""
    existing = rounds.get_round(str(month))
    if existing is None:
        raise NotFrozen(
            _(
                "%(month)s 尚未冻结，请先冻结（flask freeze-sample --month %(month)s）",
                month=str(month),
            )
        )
    if existing.drawn:
        return existing, False
    try:
        round_ = rounds.draw_frozen(existing, public_value, user, now)
        db.session.commit()
    except rounds.AlreadyDrawn:
        db.session.rollback()  # another process drew this month first
    except IntegrityError:
        db.session.rollback()
    except Exception:
        db.session.rollback()
        raise
    else:
        if open_up_to is None or round_.pick_count <= open_up_to:
            open_drawn_once(round_, now)
        return round_, True
    db.session.expire_all()
    winner = rounds.get_round(str(month))
    if winner is None or not winner.drawn:
        raise rounds.UserError(_("%(month)s 未能抽取，请重试", month=str(month)))
    return winner, False


def open_drawn_once(round_: SampleRound, now: datetime) -> int:
    """Write the picks and audits of a committed draw (:func:`audits.rounds.open_drawn`) and
    commit; 0 when another process opened it first."""
    try:
        opened = rounds.open_drawn(round_, now)
        db.session.commit()
        return opened
    except Exception:
        db.session.rollback()
        raise


def open_drawn_due(now: datetime) -> list[str]:
    """Open the drawn rounds whose picks were not written (the process that drew them stopped
    between the draw's commit and the opening's): the scheduler's catch-up."""
    opened = []
    for round_ in db.session.scalars(
        select(SampleRound).where(
            SampleRound.drawn_at.is_not(None), SampleRound.opened_at.is_(None)
        )
    ).all():
        if open_drawn_once(round_, now):
            opened.append(round_.month)
    return opened


def freeze_due(today: date, now: datetime | None = None) -> list[str]:
    """Freeze every month that should be frozen by now (00:05 on the 1st, and on start)."""
    frozen = []
    for month in rounds.months_to_freeze(today):
        _round, fresh = freeze_month_once(month, None, now or utcnow())
        if fresh:
            frozen.append(str(month))
    return frozen


def draw_unwitnessed_due(now: datetime) -> list[str]:
    """Draw, with an empty public value, the frozen rounds no city leader drew by their
    deadline (the 3rd working day, setting)."""
    drawn = []
    for round_ in rounds.rounds_due_unwitnessed(now):
        try:
            _round, fresh = draw_month_once(rounds.Month.parse(round_.month), None, None, now)
        except rounds.UserError:
            continue  # e.g. a month before sampling_start_month: never drawn
        if fresh:
            drawn.append(round_.month)
    return drawn


def catch_up(today: date, now: datetime | None = None) -> list[str]:
    """What the scheduler does on start: open the rounds drawn but not opened, freeze the
    months missed, then draw unwitnessed the rounds past their deadline. Returns the months
    drawn."""
    now = now or utcnow()
    open_drawn_due(now)
    freeze_due(today, now)
    return draw_unwitnessed_due(now)


def daily_escalation(today: date) -> EscalationResult:
    try:
        result = escalate(today)
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()  # another process escalated the same items at the same moment
        return EscalationResult(0, 0, 0)


def stale_uploads_job() -> int:
    count = fail_stale_uploads(utcnow())
    db.session.commit()
    return count


def register_jobs(app: Flask) -> None:
    """What `flask scheduler` runs (core.scheduler), Asia/Shanghai time."""
    jobs = hooks(app).scheduled_jobs
    jobs.append(
        (
            "monthly_sample_freeze",
            {"trigger": "cron", "day": 1, "hour": 0, "minute": 5},
            lambda: freeze_due(local_today()),
        )
    )
    jobs.append(
        (
            "sample_unwitnessed_draw",
            {
                "trigger": "cron",
                "hour": rounds.UNWITNESSED_DRAW_TIME.hour,
                "minute": rounds.UNWITNESSED_DRAW_TIME.minute,
            },
            lambda: draw_unwitnessed_due(utcnow()),
        )
    )
    jobs.append(
        (
            "open_drawn_rounds",
            {"trigger": "interval", "minutes": 1},
            lambda: open_drawn_due(utcnow()),
        )
    )
    jobs.append(
        (
            "daily_escalation",
            {"trigger": "cron", "hour": 1, "minute": 0},
            lambda: daily_escalation(local_today()),
        )
    )
    hooks(app).startup_jobs.append(("sample_catch_up", lambda: catch_up(local_today())))
    jobs.append(("stale_uploads", {"trigger": "interval", "minutes": 10}, stale_uploads_job))
    hooks(app).startup_jobs.append(("stale_uploads", stale_uploads_job))
