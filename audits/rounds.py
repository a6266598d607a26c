"""Sample rounds applied to the database: population, draw, picks, audits, verification.

Services: the acting user and the time are arguments; they flush, the edge commits. The
month is drawn once: the ``sample_round.month`` unique constraint settles races between
processes (see :func:`audits.jobs.draw_month_once`).
"""

from __future__ import annotations

import calendar
import gzip
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import CursorResult, Table, and_, func, or_, select

from audits import sampling
from audits.models import Audit, SamplePick, SampleRound
from bargaining.models import Contract, ContractVersion, County
from core import audit_log
from core.bulk import insert_tuples
from core.clock import to_local
from core.db import db
from core.errors import UserError
from core.i18n import _
from core.models import Role, User
from core.policy import may
from core.settings import get_setting


class RoundProblem(UserError):
    """A user error (core.errors.UserError), 400."""


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            year, month = (int(p) for p in text.strip().split("-"))
            if not (2000 <= year <= 2100 and 1 <= month <= 12):
                raise ValueError
        except ValueError as exc:
            raise RoundProblem(
                _("月份应写作 YYYY-MM（如 2026-06），不是「%(text)s」", text=text)
            ) from exc
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass
class Population:
    """The members of a round, column by column: member ``i`` is the ``i``-th of each list."""

    version_ids: list[int]
    public_ids: list[str]
    county_ids: list[int]
    county_codes: list[str]
    contract_ids: list[int]
    enterprise_ids: list[int | None]
    late: list[bool]

    def __len__(self) -> int:
        return len(self.version_ids)


def get_round(month: str) -> SampleRound | None:
    return db.session.scalars(select(SampleRound).where(SampleRound.month == month)).first()


def population(month: Month, now: datetime) -> Population:
    """The versions round ``month`` samples: filed during it, plus late back-filled ones.

    A version filed (备案日期) in an already drawn month but recorded after that draw joins
    the next round drawn after it was recorded: it is late for every round drawn since.
    """
    columns = (
        ContractVersion.id,
        ContractVersion.public_id,
        ContractVersion.county_id,
        ContractVersion.contract_id,
        Contract.enterprise_id,
    )
    on_time = (
        select(*columns)
        .join(Contract, Contract.id == ContractVersion.contract_id)
        .where(
            ContractVersion.filed_on.between(month.first, month.last),
            ContractVersion.created_at <= now,
        )
    )
    connection = db.session.connection()
    rows = _plain_rows(connection.execute(on_time))
    late_rows = _late_rows(month, now, columns)
    versions, public_ids, county_ids, contract_ids, enterprise_ids = (
        (list(column) for column in zip(*rows, *late_rows, strict=True))
        if rows or late_rows
        else ([], [], [], [], [])
    )
    code_of: dict[int, str] = dict(connection.execute(select(County.id, County.code)).all())
    return Population(
        versions,
        public_ids,
        county_ids,
        [code_of[c] for c in county_ids],
        contract_ids,
        enterprise_ids,
        [False] * len(rows) + [True] * len(late_rows),
    )


def _late_rows(month: Month, now: datetime, columns: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Versions filed in an already drawn month but recorded after its draw (see
    :func:`population`); none without earlier rounds."""
    drawn = {
        r.month: r.drawn_at for r in db.session.scalars(select(SampleRound)) if r.month < str(month)
    }
    conditions = []
    for earlier in sorted(drawn):
        # the last draw of this month or any later month already taken: recorded after it = late
        cutoff = max(at for m, at in drawn.items() if m >= earlier)
        m = Month.parse(earlier)
        conditions.append(
            and_(
                ContractVersion.filed_on.between(m.first, m.last),
                ContractVersion.created_at > cutoff,
            )
        )
    if not conditions:
        return []
    stmt = (
        select(*columns)
        .join(Contract, Contract.id == ContractVersion.contract_id)
        .where(or_(*conditions), ContractVersion.created_at <= now)
    )
    return _plain_rows(db.session.connection().execute(stmt))


def _plain_rows(result: CursorResult[Any]) -> list[tuple[Any, ...]]:
    """The driver's own tuples: the population's columns (integers and strings) need no
    result processing, and a million rows cost less without it."""
    try:
        return result.cursor.fetchall()  # type: ignore[union-attr]
    finally:
        result.close()


def round_due_on(now: datetime) -> date:
    """Due at the end of the month in which the round is drawn, and never fewer than 10
    working days after the draw (SPEC §5; holidays from the calendar table)."""
    from audits.models import CalendarDay

    drawn_on = to_local(now).date()
    exceptions = dict(
        db.session.execute(
            select(CalendarDay.day, CalendarDay.workday).where(
                CalendarDay.day.between(drawn_on, drawn_on + timedelta(days=62))
            )
        ).all()
    )
    return sampling.audit_due_on(drawn_on, exceptions)


def draw_round(month: Month, seed: str | None, user: User | None, now: datetime) -> SampleRound:
    """Draw ``month``: store the round with its seed first, then its picks and their audits."""
    if not may(user, "sampling.draw"):
        raise RoundProblem(_("只有市总工会可以抽取样本"))
    if month.last >= to_local(now).date():
        raise RoundProblem(
            _("%(month)s 尚未结束，不能抽取（每月1日抽取上月备案的合同）", month=str(month))
        )
    typed = seed is not None and seed.strip() != ""
    try:
        seed = sampling.check_seed(seed) if typed else sampling.new_seed()
    except sampling.SeedProblem as exc:
        raise RoundProblem(str(exc)) from exc
    rate = sampling.rate_fraction(get_setting("sample_rate"))
    pop = population(month, now)
    text = sampling.population_text(zip(pop.county_codes, pop.public_ids, strict=True))
    round_ = SampleRound(
        month=str(month),
        seed=seed,
        seed_source="typed" if typed else "csprng",
        rate=f"{rate.numerator}/{rate.denominator}",
        algorithm=sampling.ALGORITHM,
        population_sha256=sampling.population_sha256(text),
        population_size=len(pop),
        population_gz=gzip.compress(text.encode("utf-8"), compresslevel=5),
        pick_count=0,
        late_count=sum(pop.late),
        drawn_at=now,
        drawn_by_id=user.id if user else None,
        due_on=round_due_on(now),
    )
    del text
    db.session.add(round_)
    db.session.flush()  # the seed is stored (and the month claimed) before the draw
    picks = sampling.draw_indices(seed, pop.county_codes, pop.public_ids, rate)
    pick_ids = _new_ids(SamplePick.__table__, len(picks))
    _insert_picks(round_, pop, picks, pick_ids)
    round_.pick_count = len(picks)
    _open_audits(round_, pop, [i for i, _ticket, _rank in picks], pick_ids)
    audit_log.record(
        user,
        "draw_sample",
        "sample_round",
        round_.id,
        after={
            "month": round_.month,
            "seed": seed,
            "rate": round_.rate,
            "population_sha256": round_.population_sha256,
            "population": len(pop),
            "picks": len(picks),
        },
    )
    db.session.flush()
    return round_


def _new_ids(table: Table, count: int) -> list[int]:
    """``count`` ids for new rows of ``table``, ascending, taken before inserting them.

    PostgreSQL: from the table's sequence. SQLite: after the largest id, which is safe since
    the transaction already holds the database's write lock (the round was flushed)."""
    if count == 0:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = db.session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id"))).select_from(
                func.generate_series(1, count)
            )
        ).all()
        return sorted(ids)
    start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


PICK_COLUMNS = ("id", "round_id", "county_id", "version_id", "public_id", "ticket", "rank", "late")


def _insert_picks(
    round_: SampleRound,
    pop: Population,
    picks: Sequence[tuple[int, str, int]],
    pick_ids: Sequence[int],
) -> None:
    rows = [
        (
            pick_id,
            round_.id,
            pop.county_ids[i],
            pop.version_ids[i],
            pop.public_ids[i],
            ticket,
            rank,
            pop.late[i],
        )
        for pick_id, (i, ticket, rank) in zip(pick_ids, picks, strict=True)
    ]
    insert_tuples(db.session, SamplePick.__table__, PICK_COLUMNS, rows)


AUDIT_COLUMNS = (
    "pick_id",
    "round_id",
    "version_id",
    "contract_id",
    "county_id",
    "enterprise_id",
    "inspector_id",
    "due_on",
    "status",
    "notes",
)


def _open_audits(
    round_: SampleRound, pop: Population, picked: Sequence[int], pick_ids: Sequence[int]
) -> None:
    """One open audit per pick (member ``picked[j]``, sample_pick ``pick_ids[j]``), each
    assigned to an inspector of its county (see :func:`audits.sampling.assign`)."""
    inspectors: dict[int, list[int]] = defaultdict(list)
    stmt = (
        select(User.id, User.county_id)
        .where(User.role == Role.INSPECTOR, User.active)
        .order_by(User.id)
    )
    for uid, county_id in db.session.execute(stmt):
        inspectors[county_id].append(uid)
    last_auditor = {
        eid: uid
        for eid, uid in db.session.execute(
            select(Audit.enterprise_id, Audit.inspector_id)
            .where(Audit.status == "done", Audit.enterprise_id.is_not(None))
            .order_by(Audit.completed_at)
        )
    }
    load = dict(
        db.session.execute(
            select(Audit.inspector_id, func.count(Audit.id))
            .where(Audit.status == "open")
            .group_by(Audit.inspector_id)
        ).all()
    )
    by_county: dict[int, list[int]] = defaultdict(list)  # county -> positions j in picked
    for j, i in enumerate(picked):
        by_county[pop.county_ids[i]].append(j)
    rows: list[tuple[Any, ...]] = []
    for county_id, js in by_county.items():
        chosen = sampling.assign(
            [(j, pop.enterprise_ids[picked[j]]) for j in js],
            inspectors.get(county_id, []),
            last_auditor,
            load,
        )
        for j in js:
            i = picked[j]
            rows.append(
                (
                    pick_ids[j],
                    round_.id,
                    pop.version_ids[i],
                    pop.contract_ids[i],
                    county_id,
                    pop.enterprise_ids[i],
                    chosen[j],
                    round_.due_on,
                    "open",
                    "",
                )
            )
    insert_tuples(db.session, Audit.__table__, AUDIT_COLUMNS, rows)


# ---------------------------------------------------------------------------- verification


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    recomputed: list[sampling.Pick]


def stored_picks(round_: SampleRound) -> list[tuple[str, str, str, int]]:
    stmt = (
        select(County.code, SamplePick.public_id, SamplePick.ticket, SamplePick.rank)
        .join(County, County.id == SamplePick.county_id)
        .where(SamplePick.round_id == round_.id)
        .order_by(County.code, SamplePick.rank)
    )
    return [tuple(row) for row in db.session.execute(stmt)]  # type: ignore[misc]


def population_of(round_: SampleRound) -> str:
    return gzip.decompress(round_.population_gz).decode("utf-8")


def verify_round(round_: SampleRound) -> Verification:
    """Recompute the draw from the stored snapshot and seed; compare with the stored picks."""
    problems: list[str] = []
    text = population_of(round_)
    if sampling.population_sha256(text) != round_.population_sha256:
        problems.append(_("总体快照与其 SHA-256 不符"))
    members = sampling.parse_population(text)
    if len(members) != round_.population_size:
        problems.append(
            _(
                "总体人数 %(n)s 与记录的 %(recorded)s 不符",
                n=len(members),
                recorded=round_.population_size,
            )
        )
    recomputed = sampling.draw(round_.seed, members, Fraction(round_.rate))
    expected = [(p.county, p.public_id, p.ticket, p.rank) for p in recomputed]
    actual = stored_picks(round_)
    if expected != actual:
        missing = set(expected) - set(actual)
        extra = set(actual) - set(expected)
        for county, pid, _t, _r in sorted(missing)[:20]:
            problems.append(_("应抽中但未记录：%(county)s,%(id)s", county=county, id=pid))
        for county, pid, _t, _r in sorted(extra)[:20]:
            problems.append(
                _("记录为抽中但重新计算未抽中：%(county)s,%(id)s", county=county, id=pid)
            )
        if not missing and not extra:
            problems.append(_("抽中顺序与重新计算的不一致"))
    return Verification(not problems, problems, recomputed)


def round_json(round_: SampleRound) -> dict[str, Any]:
    """The public record of a round, as `flask draw-sample --json` prints it (SPEC §9)."""
    members = sampling.parse_population(population_of(round_))
    return {
        "month": round_.month,
        "seed": round_.seed,
        "rate": str(float(Fraction(round_.rate))),
        "population_sha256": round_.population_sha256,
        "population": [{"county": m.county, "contract_id": m.public_id} for m in members],
        "picks": [
            {"county": c, "contract_id": pid, "ticket": t} for c, pid, t, _r in stored_picks(round_)
        ],
    }


def county_sizes(round_: SampleRound) -> dict[str, tuple[int, int]]:
    members = sampling.parse_population(population_of(round_))
    return sampling.sizes(members, Fraction(round_.rate))


def months_to_catch_up(today: date, start: str | None) -> list[Month]:
    """Months not drawn yet, up to last month: from ``start`` (setting) if given, else from the
    first month ever drawn (so old back-filled paper filings never trigger a flood of rounds);
    with no round at all yet, just last month."""
    drawn = set(db.session.scalars(select(SampleRound.month)))
    last = Month.of(today.replace(day=1) - timedelta(days=1))
    if start:
        first = Month.parse(start)
    elif drawn:
        first = Month.parse(min(drawn))
    else:
        first = last
    months = []
    current = first
    while (current.year, current.month) <= (last.year, last.month):
        if str(current) not in drawn:
            months.append(current)
        current = current.next()
    return months
