"""Sample rounds applied to the database: freeze, draw, picks, audits, verification.

Commit, then reveal (SPEC §5): :func:`freeze_round` fixes the population and publishes the
commitment to a secret; :func:`draw_frozen` draws with a public value and
:func:`open_drawn` then writes the picks and their audits. Services: the acting
user and the time are arguments; they flush, the edge commits. A month is frozen once (the
``sample_round.month`` unique constraint) and drawn once (a conditional UPDATE claims the
draw), whatever the number of processes (see :mod:`audits.jobs`).
"""

from __future__ import annotations

import calendar
import gzip
import sys
import zlib
from array import array
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import aliased

from audits import sampling
from audits.models import Audit, CalendarDay, SamplePick, SampleRound
from audits.visits import working_days
from bargaining.models import Contract, ContractVersion, County
from core import audit_log
from core.bulk import driver_value, insert_tuples, next_ids, select_in
from core.clock import to_local
from core.db import db, rowcount
from core.errors import UserError
from core.gc_pause import no_cyclic_gc
from core.i18n import _
from core.models import Role, User
from core.policy import may
from core.settings import get_setting


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
            raise UserError(
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

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

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


POPULATION_RULES = ("filed_in_month", "in_force_never_sampled")


def population_rule() -> str:
    rule = get_setting("sample_population") or "filed_in_month"
    if rule not in POPULATION_RULES:
        raise UserError(
            _(
                "设置 sample_population 应为 filed_in_month 或 in_force_never_sampled，"
                "不是「%(value)s」",
                value=rule,
            )
        )
    return str(rule)


def population(month: Month, now: datetime, rule: str = "filed_in_month") -> Population:
    """The versions round ``month`` samples when frozen at ``now`` (SPEC §5).

    ``filed_in_month``: the versions filed (备案日期) during the month, plus late ones: a
    version back-filled into a month already frozen joins the next round not yet frozen when
    it was recorded, so that it belongs to at most one round, whatever the order rounds are
    frozen in (:func:`_late_rows`). ``in_force_never_sampled``: every contract in force on the
    month's last day that has never been picked, by its latest version recorded by then.
    """
    columns = (
        ContractVersion.id,
        ContractVersion.public_id,
        ContractVersion.county_id,
        ContractVersion.contract_id,
        Contract.enterprise_id,
    )
    connection = db.session.connection()
    if rule == "in_force_never_sampled":
        rows = _plain_rows(connection.execute(_in_force_never_sampled(month, now, columns)))
        late_rows: list[tuple[Any, ...]] = []
    else:
        on_time = (
            select(*columns)
            .join(Contract, Contract.id == ContractVersion.contract_id)
            .where(
                ContractVersion.filed_on.between(month.first, month.last),
                ContractVersion.created_at <= now,
            )
        )
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


def _in_force_never_sampled(month: Month, now: datetime, columns: Sequence[Any]) -> Any:
    """Each contract's latest version recorded by ``now`` and filed by the month's end, when
    it is in force on the month's last day and no version of the contract was ever picked."""
    latest = (
        select(ContractVersion.contract_id, func.max(ContractVersion.version_no).label("no"))
        .where(ContractVersion.created_at <= now, ContractVersion.filed_on <= month.last)
        .group_by(ContractVersion.contract_id)
        .subquery()
    )
    other = aliased(ContractVersion)
    picked = (
        select(SamplePick.id)
        .join(other, other.id == SamplePick.version_id)
        .where(other.contract_id == ContractVersion.contract_id)
    )
    return (
        select(*columns)
        .join(Contract, Contract.id == ContractVersion.contract_id)
        .join(
            latest,
            and_(
                latest.c.contract_id == ContractVersion.contract_id,
                latest.c.no == ContractVersion.version_no,
            ),
        )
        .where(
            ContractVersion.effective_on <= month.last,
            ContractVersion.expires_on >= month.last,
            ~picked.exists(),
        )
    )


def _late_rows(month: Month, now: datetime, columns: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Versions back-filled into an already frozen month that join round ``month``.

    A version filed in month E and recorded at time c joins the first month M >= E whose round
    was not frozen at c. So it is late for ``month`` exactly when every month from E up to the
    month before ``month`` was frozen before c: walking back from the month before, the cutoff
    for E is the latest freeze of E … month-1. A gap (a month not frozen yet) ends the walk:
    versions of months before it belong to that month, not to this one.
    """
    frozen = {
        r.month: r.frozen_at
        for r in db.session.scalars(select(SampleRound).where(SampleRound.month < str(month)))
    }
    conditions = []
    cutoff: datetime | None = None
    earlier = month.previous()
    while str(earlier) in frozen:
        at = frozen[str(earlier)]
        cutoff = at if cutoff is None or at > cutoff else cutoff
        conditions.append(
            and_(
                ContractVersion.filed_on.between(earlier.first, earlier.last),
                ContractVersion.created_at > cutoff,
            )
        )
        earlier = earlier.previous()
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
        # the drivers' fetchall is a list (the DB-API types it as any sequence)
        return cast("list[tuple[Any, ...]]", result.cursor.fetchall())
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


def earliest_month(today: date) -> Month:
    """The first month that may be frozen, drawn or caught up: ``sampling_start_month``
    (setting); unset, the first month ever frozen, or last month when there is none."""
    start = get_setting("sampling_start_month")
    if start:
        return Month.parse(str(start))
    first = db.session.scalar(select(func.min(SampleRound.month)))
    return Month.parse(first) if first else Month.of(today.replace(day=1) - timedelta(days=1))


def _check_month(month: Month, now: datetime) -> None:
    today = to_local(now).date()
    if month.last >= today:
        raise UserError(
            _("%(month)s 尚未结束，不能冻结或抽取（每月1日冻结上月备案的合同）", month=str(month))
        )
    first = earliest_month(today)
    if (month.year, month.month) < (first.year, first.month):
        raise UserError(
            _(
                "%(month)s 早于抽查起始月份 %(start)s，不能冻结或抽取（设置 sampling_start_month）",
                month=str(month),
                start=str(first),
            )
        )


def _check_user(user: User | None) -> None:
    if user is not None and not may(user, "sampling.freeze"):
        raise UserError(_("只有市总工会可以冻结或抽取样本"))


@no_cyclic_gc()
def freeze_round(month: Month, user: User | None, now: datetime) -> SampleRound:
    """Freeze ``month``: fix its population, store ``population_sha256`` and the commitment to
    a fresh CSPRNG secret. The ``sample_round.month`` unique constraint makes it once only."""
    _check_user(user)
    _check_month(month, now)
    rule = population_rule()
    rate = sampling.rate_fraction(get_setting("sample_rate"))
    pop = population(month, now, rule)
    text, order = sampling.population_text_order(zip(pop.county_codes, pop.public_ids, strict=True))
    secret = sampling.new_secret()
    round_ = SampleRound(
        month=str(month),
        population_rule=rule,
        frozen_at=now,
        frozen_by_id=user.id if user else None,
        commitment=sampling.commitment(secret),
        secret=secret,
        seed_source="commit",
        rate=f"{rate.numerator}/{rate.denominator}",
        algorithm=sampling.ALGORITHM,
        population_sha256=sampling.population_sha256(text),
        population_size=len(pop),
        population_gz=gzip.compress(text.encode("utf-8"), compresslevel=5),
        population_keys_gz=pack_keys(pop, order),
        pick_count=0,
        late_count=sum(pop.late),
    )
    del text, order
    db.session.add(round_)
    db.session.flush()
    audit_log.record(
        user,
        "freeze_sample",
        "sample_round",
        round_.id,
        after={
            "month": round_.month,
            "rate": round_.rate,
            "population_rule": rule,
            "population_sha256": round_.population_sha256,
            "population": len(pop),
            "late": round_.late_count,
            "commitment": round_.commitment,
        },
    )
    return round_


class AlreadyDrawn(UserError):
    """Another process drew this round first (the caller reads the stored round)."""


@no_cyclic_gc()
def draw_frozen(
    round_: SampleRound, public_value: str | None, user: User | None, now: datetime
) -> SampleRound:
    """Draw a frozen round with ``public_value`` (None or empty: unwitnessed): reveal the
    secret, seed = SHA-256 of "{secret},{public_value}", and record which members the seed
    picks (their positions in the snapshot, :func:`pack_positions`) with the round.

    That is the whole decision: once it is committed the round is drawn and verifiable. The
    rows the inspectors work on, one pick and one open audit per picked member, are written
    by :func:`open_drawn` in the next transaction (:func:`audits.jobs.draw_month_once` calls
    it right after the commit; the scheduler catches up a round left between the two)."""
    _check_user(user)
    if round_.legacy or round_.secret is None:
        raise AlreadyDrawn(_("%(month)s 已抽取", month=round_.month))
    witnessed = public_value is not None and public_value.strip() != ""
    try:
        value = sampling.check_public_value(public_value or "") if witnessed else ""
    except sampling.SeedProblem as exc:
        raise UserError(str(exc)) from exc
    _check_month(Month.parse(round_.month), now)
    seed = sampling.seed_of(round_.secret, value)
    counties, public_ids = sampling.parse_columns(population_of(round_))
    _county_ids(counties, public_ids)
    drawn = sampling.draw_indices(seed, counties, public_ids, Fraction(round_.rate))
    size = len(public_ids)
    del counties, public_ids
    # claim the draw: one UPDATE wins; a concurrent one waits for its row lock and finds it drawn
    claimed = db.session.execute(
        update(SampleRound)
        .where(SampleRound.id == round_.id, SampleRound.drawn_at.is_(None))
        .values(
            public_value=value,
            witnessed=witnessed,
            seed=seed,
            drawn_at=now,
            drawn_by_id=user.id if user else None,
            due_on=round_due_on(now),
            pick_count=len(drawn),
            picked_positions_gz=pack_positions([i for i, _ticket, _rank in drawn]),
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        raise AlreadyDrawn(_("%(month)s 此前已抽取", month=round_.month))
    db.session.refresh(round_)
    audit_log.record(
        user,
        "draw_sample",
        "sample_round",
        round_.id,
        after={
            "month": round_.month,
            "public_value": value,
            "witnessed": witnessed,
            "secret": round_.secret,
            "seed": seed,
            "population_sha256": round_.population_sha256,
            "population": size,
            "picks": len(drawn),
        },
    )
    db.session.flush()
    return round_


@no_cyclic_gc()
def open_drawn(round_: SampleRound, now: datetime) -> int:
    """Write a drawn round's picks, each with its open audit assigned to an inspector of its
    county, from what the draw recorded; returns how many (0: not drawn, or opened already,
    perhaps by another process: a conditional UPDATE claims the opening, as for the draw).

    The picks are the members at the recorded positions of the snapshot, in draw order (county
    by county, lowest ticket first); tickets and ranks are computed again from the seed, and
    :func:`verify_round` checks them against a draw from scratch."""
    row = db.session.execute(
        select(SampleRound.picked_positions_gz, SampleRound.population_keys_gz).where(
            SampleRound.id == round_.id
        )
    ).one()
    if row.picked_positions_gz is None or round_.seed is None:
        return 0
    claimed = db.session.execute(
        update(SampleRound)
        .where(SampleRound.id == round_.id, SampleRound.picked_positions_gz.is_not(None))
        .values(picked_positions_gz=None, population_keys_gz=None, opened_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        return 0
    db.session.refresh(round_)
    picked = unpack_positions(row.picked_positions_gz)
    members = picked_lines(round_, picked)
    if row.population_keys_gz is not None:
        pop = _carried_members(row.population_keys_gz, round_.population_size, picked, members)
    else:  # frozen before the keys were kept with the snapshot
        pop = _picked_members(round_, members)
    picks = [
        (j, ticket, rank)
        for j, (_county, _id, ticket, rank) in enumerate(_ticketed(round_.seed, members))
    ]
    # rows written in the order of their versions: each foreign-key check and index insert
    # lands next to the previous one instead of anywhere in a million-row table
    order = sorted(range(len(picks)), key=pop.version_ids.__getitem__)
    pick_ids = [0] * len(picks)
    # the claimed round holds the lock on the ids
    for pick_id, j in zip(
        next_ids(db.session, SamplePick.__table__, len(picks)), order, strict=True
    ):
        pick_ids[j] = pick_id
    _insert_picks(round_, pop, [picks[j] for j in order], [pick_ids[j] for j in order])
    _open_audits(round_, pop, list(range(len(picks))), pick_ids, order)
    db.session.flush()
    return len(picks)


def _county_ids(counties: Sequence[str], public_ids: Sequence[str]) -> dict[str, int]:
    """County id by code, refusing the first member (``counties[i], public_ids[i]``) whose
    county no longer exists. The draw asks it before it is committed, so that opening it
    cannot fail on a member's county (the draw is refused as a whole)."""
    id_of: dict[str, int] = {
        code: county_id for county_id, code in db.session.execute(select(County.id, County.code))
    }
    if not id_of.keys() >= set(counties):
        i = next(i for i, county in enumerate(counties) if county not in id_of)
        raise UserError(
            _("冻结的总体中的 %(county)s,%(id)s 已不存在", county=counties[i], id=public_ids[i])
        )
    return id_of


def _ticketed(seed: str, members: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, int]]:
    """(county, public id, ticket, rank) of picked ``members`` given in draw order (a
    county's picks together, lowest ticket first), the tickets computed again from ``seed``."""
    return [
        (county, public_id, sampling.ticket(seed, public_id), rank)
        for (county, public_id), rank in zip(
            members, _ranks([county for county, _id in members]), strict=True
        )
    ]


def _ranks(counties: Sequence[str]) -> list[int]:
    """Rank within its county of each pick given in draw order (a county's picks together,
    lowest ticket first): 1, 2, … restarting at each county."""
    ranks = []
    previous, rank = None, 0
    for county in counties:
        rank = rank + 1 if county == previous else 1
        previous = county
        ranks.append(rank)
    return ranks


def draw_round(
    month: Month, public_value: str | None, user: User | None, now: datetime
) -> SampleRound:
    """Freeze, draw and open ``month`` in one go (the demo and the benchmarks; the product
    freezes on the 1st and draws once the public value is typed)."""
    round_ = draw_frozen(freeze_round(month, user, now), public_value, user, now)
    open_drawn(round_, now)
    return round_


def _packed(values: array[int]) -> bytes:
    """``values`` as little-endian integers of their array's type, zlib-compressed (level 1)."""
    if sys.byteorder != "little":
        values.byteswap()
    return zlib.compress(values.tobytes(), 1)


def _unpacked(typecode: str, blob: bytes) -> array[int]:
    """:func:`_packed` read back into an array of ``typecode``."""
    values = array(typecode)
    values.frombytes(zlib.decompress(blob))
    if sys.byteorder != "little":
        values.byteswap()
    return values


def pack_positions(positions: Sequence[int]) -> bytes:
    """The picked members' positions in the snapshot, in draw order: unsigned 32-bit
    little-endian integers, zlib-compressed."""
    return _packed(array("I", positions))


def unpack_positions(blob: bytes) -> array[int]:
    """:func:`pack_positions` read back."""
    return _unpacked("I", blob)


def pack_keys(pop: Population, order: Sequence[int]) -> bytes:
    """The members' version, contract and enterprise ids in snapshot order (``order[k]`` is
    the member of line ``k``), as kept from the freeze to the draw: three runs of signed
    64-bit little-endian integers, zlib-compressed; a late member's version id is negated,
    a member without an enterprise has 0."""
    versions = pop.version_ids
    if any(pop.late):
        versions = [-v if late else v for v, late in zip(versions, pop.late, strict=True)]
    contracts, enterprises = pop.contract_ids, pop.enterprise_ids
    keys = array("q", [versions[i] for i in order])
    keys.extend([contracts[i] for i in order])
    keys.extend([enterprises[i] or 0 for i in order])
    return _packed(keys)


def unpack_keys(blob: bytes) -> tuple[array[int], array[int], array[int]]:
    """:func:`pack_keys` read back: (signed version ids, contract ids, enterprise ids)."""
    keys = _unpacked("q", blob)
    n = len(keys) // 3
    return keys[:n], keys[n : 2 * n], keys[2 * n :]


def picked_lines(round_: SampleRound, picked: Sequence[int]) -> list[tuple[str, str]]:
    """(county code, public id) of the snapshot's lines at positions ``picked``, in order
    (only those lines are split: the opening needs 300,000 of a million)."""
    lines = population_of(round_).split("\n")
    members = []
    for i in picked:
        county, _sep, public_id = lines[i].partition(",")
        members.append((county, public_id))
    return members


def _carried_members(
    blob: bytes, size: int, picked: Sequence[int], members: Sequence[tuple[str, str]]
) -> Population:
    """The picked members (positions ``picked`` of the snapshot of ``size`` members, whose
    lines are ``members``) with the keys the freeze kept for them (:func:`pack_keys`), in
    order: no lookup."""
    versions, contracts, enterprises = unpack_keys(blob)
    if len(versions) != size:
        raise UserError(_("冻结的总体与其记录不一致"))
    id_of = _county_ids(
        [county for county, _id in members], [public_id for _county, public_id in members]
    )
    pop = Population([], [], [], [], [], [], [])
    for i, (county, public_id) in zip(picked, members, strict=True):
        version = versions[i]
        pop.version_ids.append(abs(version))
        pop.public_ids.append(public_id)
        pop.county_ids.append(id_of[county])
        pop.county_codes.append(county)
        pop.contract_ids.append(contracts[i])
        pop.enterprise_ids.append(enterprises[i] or None)
        pop.late.append(version < 0)
    return pop


def _picked_members(round_: SampleRound, members: Sequence[tuple[str, str]]) -> Population:
    """The picked ``(county, public id)`` of the frozen snapshot as database rows, in order."""
    month = Month.parse(round_.month)
    found: dict[str, Any] = {}  # public id -> its row
    ids = [public_id for _county, public_id in members]
    connection = db.session.connection()
    columns = (
        ContractVersion.public_id,
        ContractVersion.id,
        ContractVersion.county_id,
        ContractVersion.contract_id,
        Contract.enterprise_id,
        ContractVersion.filed_on,
    )
    query = select(*columns).join(Contract, Contract.id == ContractVersion.contract_id)
    for stmt in select_in(query, ContractVersion.public_id, ids, size=10_000):
        found.update((row.public_id, row) for row in connection.execute(stmt))
    code_of: dict[int, str] = dict(connection.execute(select(County.id, County.code)).all())
    filed_in_month = round_.population_rule == "filed_in_month"
    pop = Population([], [], [], [], [], [], [])
    for county, public_id in members:
        row = found.get(public_id)
        if row is None or code_of.get(row.county_id) != county:
            raise UserError(
                _("冻结的总体中的 %(county)s,%(id)s 已不存在", county=county, id=public_id)
            )
        pop.version_ids.append(row.id)
        pop.public_ids.append(public_id)
        pop.county_ids.append(row.county_id)
        pop.county_codes.append(county)
        pop.contract_ids.append(row.contract_id)
        pop.enterprise_ids.append(row.enterprise_id)
        pop.late.append(filed_in_month and not (month.first <= row.filed_on <= month.last))
    return pop


PICK_COLUMNS = ("id", "round_id", "county_id", "version_id", "public_id", "ticket", "rank", "late")


def _insert_picks(
    round_: SampleRound,
    pop: Population,
    picks: Sequence[tuple[int, str, int]],
    pick_ids: Sequence[int],
) -> None:
    # built as the driver stores them (a flag is one of two values): no pass over the rows
    late = {
        flag: driver_value(db.session, SamplePick.__table__, "late", flag) for flag in (False, True)
    }
    round_id = round_.id
    rows = [
        (
            pick_id,
            round_id,
            pop.county_ids[i],
            pop.version_ids[i],
            pop.public_ids[i],
            ticket,
            rank,
            late[pop.late[i]],
        )
        for pick_id, (i, ticket, rank) in zip(pick_ids, picks, strict=True)
    ]
    insert_tuples(db.session, SamplePick.__table__, PICK_COLUMNS, rows, encoded=True)


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
    round_: SampleRound,
    pop: Population,
    picked: Sequence[int],
    pick_ids: Sequence[int],
    order: Sequence[int] | None = None,
) -> None:
    """One open audit per pick (member ``picked[j]``, sample_pick ``pick_ids[j]``), each
    assigned to an inspector of its county (see :func:`audits.sampling.assign`), in the order
    of the picks; rows written in ``order`` (positions j; default as given)."""
    inspectors: dict[int | None, list[int]] = defaultdict(list)
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
        if eid is not None
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
    # built as the driver stores them (the due date is the round's): no pass over the rows
    due_on = driver_value(db.session, Audit.__table__, "due_on", round_.due_on)
    chosen: dict[int, int | None] = {}
    for county_id, js in by_county.items():
        chosen.update(
            sampling.assign(
                [(j, pop.enterprise_ids[picked[j]]) for j in js],
                inspectors.get(county_id, []),
                last_auditor,
                load,
            )
        )
    round_id = round_.id
    rows = []
    for j in order if order is not None else range(len(picked)):
        i = picked[j]
        rows.append(
            (
                pick_ids[j],
                round_id,
                pop.version_ids[i],
                pop.contract_ids[i],
                pop.county_ids[i],
                pop.enterprise_ids[i],
                chosen[j],
                due_on,
                "open",
                "",
            )
        )
    insert_tuples(db.session, Audit.__table__, AUDIT_COLUMNS, rows, encoded=True)


# ---------------------------------------------------------------------------- verification


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    recomputed: list[sampling.Pick]


def stored_picks(round_: SampleRound) -> list[tuple[str, str, str, int]]:
    """The round's recorded picks as (county, public id, ticket, rank), county by county in
    rank order: its pick rows, or, while it is opening, the positions the draw recorded."""
    if round_.opening and round_.seed is not None:
        blob = db.session.scalar(
            select(SampleRound.picked_positions_gz).where(SampleRound.id == round_.id)
        )
        if blob is not None:
            return _ticketed(round_.seed, picked_lines(round_, unpack_positions(blob)))
    stmt = (
        select(County.code, SamplePick.public_id, SamplePick.ticket, SamplePick.rank)
        .join(County, County.id == SamplePick.county_id)
        .where(SamplePick.round_id == round_.id)
        .order_by(County.code, SamplePick.rank)
    )
    return [(code, pid, ticket, rank) for code, pid, ticket, rank in db.session.execute(stmt)]


def population_of(round_: SampleRound) -> str:
    return gzip.decompress(round_.population_gz).decode("utf-8")


def verify_round(round_: SampleRound) -> Verification:
    """Recompute the draw from the stored record: the commitment, the seed, the population
    snapshot and its hash, and the picks (SPEC §5)."""
    problems: list[str] = []
    if not round_.drawn or round_.seed is None:
        return Verification(False, [_("%(month)s 尚未抽取", month=round_.month)], [])
    if not round_.legacy:
        secret = round_.secret or ""
        if not sampling.is_secret(secret) or sampling.commitment(secret) != round_.commitment:
            problems.append(_("公布的密钥与冻结时公布的承诺值不符"))
        if sampling.seed_of(secret, round_.public_value or "") != round_.seed:
            problems.append(_("种子不等于 SHA-256(密钥,公开值)"))
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


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def round_json(round_: SampleRound) -> dict[str, Any]:
    """The public record of a round, as `flask draw-sample --json` prints it (SPEC §9) and
    `/public/sampling/<month>.json` serves it. Before the draw only what the freeze published
    (the secret stays unknown); a legacy round has no commitment, no secret, no public value."""
    drawn = round_.drawn
    record: dict[str, Any] = {
        "month": round_.month,
        "rate": str(float(Fraction(round_.rate))),
        "frozen_at": _iso(round_.frozen_at),
        "population_sha256": round_.population_sha256,
        "commitment": round_.commitment,
        "secret": round_.secret if drawn and not round_.legacy else None,
        "public_value": round_.public_value if drawn else None,
        "witnessed": (bool(round_.witnessed) if not round_.legacy else None) if drawn else None,
        "seed": round_.seed if drawn else None,
        "population": None,
        "picks": None,
    }
    if drawn:
        members = sampling.parse_population(population_of(round_))
        record["population"] = [{"county": m.county, "contract_id": m.public_id} for m in members]
        record["picks"] = [
            {"county": c, "contract_id": pid, "ticket": t} for c, pid, t, _r in stored_picks(round_)
        ]
    return record


def county_sizes(round_: SampleRound) -> dict[str, tuple[int, int]]:
    members = sampling.parse_population(population_of(round_))
    return sampling.sizes(members, Fraction(round_.rate))


def months_to_freeze(today: date) -> list[Month]:
    """Months not frozen yet, from the earliest allowed (:func:`earliest_month`) up to last
    month: what catch-up freezes."""
    frozen = set(db.session.scalars(select(SampleRound.month)))
    last = Month.of(today.replace(day=1) - timedelta(days=1))
    months = []
    current = earliest_month(today)
    while (current.year, current.month) <= (last.year, last.month):
        if str(current) not in frozen:
            months.append(current)
        current = current.next()
    return months


#: local time of day the scheduler draws an unwitnessed round on its last day
UNWITNESSED_DRAW_TIME = time(18, 0)


def draw_deadline(month: Month, exceptions: Mapping[date, bool]) -> date:
    """The n-th working day (setting ``sample_draw_working_day``, 3) of the month after
    ``month``: the day the scheduler draws a round no city leader has drawn."""
    n = max(1, int(get_setting("sample_draw_working_day")))
    first = month.next().first
    days = working_days(first, first + timedelta(days=n * 3 + 31), exceptions)
    return days[n - 1]


def rounds_due_unwitnessed(now: datetime) -> list[SampleRound]:
    """Frozen rounds not drawn whose deadline day has come (at 18:00 local) or passed."""
    local = to_local(now)
    waiting = list(
        db.session.scalars(
            select(SampleRound).where(SampleRound.drawn_at.is_(None)).order_by(SampleRound.month)
        )
    )
    if not waiting:
        return []
    exceptions = dict(db.session.execute(select(CalendarDay.day, CalendarDay.workday)).all())
    due = []
    for round_ in waiting:
        deadline = draw_deadline(Month.parse(round_.month), exceptions)
        if deadline < local.date() or (
            deadline == local.date() and local.time() >= UNWITNESSED_DRAW_TIME
        ):
            due.append(round_)
    return due
