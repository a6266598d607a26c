"""The target numbers and the dashboard's other KPIs, aggregated by the database.

Each county's eligible/counted/covered enterprises on a day are one GROUP BY query, cached per
change of the register (a cheap stamp: row counts and newest ids), so a dashboard served a
thousand times a morning counts once and no worker holds the register in memory.
The tests check the aggregates against a pure count over plain rows (tests/target_oracle.py).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import case, func, select

from audits import rectification_rules as rules
from audits.audit_rules import Verdict
from audits.models import Audit, Finding, Interview, Rectification, SamplePick, SampleRound
from audits.rounds import county_sizes
from bargaining.models import (
    BargainingItem,
    Contract,
    ContractCoverage,
    ContractItem,
    ContractVersion,
    County,
    Enterprise,
)
from core.db import db, utcnow
from core.models import AuditLog
from core.rows import named
from reports import targets
from reports.models import CountySnapshot, RegisterFigure


class ItemCount(NamedTuple):
    """An expansion item and the eligible enterprises covered by an in-force contract
    holding it."""

    code: str
    name: str
    enterprises: int


_cache: dict[str | tuple[Any, ...], Any] = {}
_lock = threading.Lock()


# built once: a warm dashboard request runs the change stamp and little else
_REGISTER_STAMP = (
    select(func.max(Enterprise.id)).scalar_subquery(),
    select(func.max(Enterprise.updated_at)).scalar_subquery(),
    select(func.max(ContractVersion.id)).scalar_subquery(),
    select(func.count(BargainingItem.code))
    .where(BargainingItem.kind == "expansion")
    .scalar_subquery(),
    select(func.max(County.id) + func.sum(County.required_items)).scalar_subquery(),
)
_REGISTER_STAMP_QUERY = select(*_REGISTER_STAMP)
_CHANGE_STAMP_QUERY = select(
    *_REGISTER_STAMP,
    select(func.max(AuditLog.id)).scalar_subquery(),
    select(func.max(CountySnapshot.id)).scalar_subquery(),
)


def _database() -> str:
    return str(db.engine.url) if db.engine is not None else ""


def _stamp() -> tuple[Any, ...]:
    """The register's stamp: row counts and newest ids of what the target computation reads."""
    return (_database(), *db.session.execute(_REGISTER_STAMP_QUERY).one())


def change_stamp() -> tuple[Any, ...]:
    """Changes anywhere: the register stamp, plus the audit log (every write lands there) and
    the snapshots (written by the scheduler). One cheap query; cached pages key on it."""
    return (_database(), *db.session.execute(_CHANGE_STAMP_QUERY).one())


# ------------------------------------------------------------------ targets, aggregated in SQL
#
# The same numbers as tests/target_oracle.count_counties over the register's rows (a test holds
# them equal), computed by the database: a worker keeps a few dozen numbers per day instead of
# the whole register.


def _coverage_in_force(day: date) -> Any:
    """(version_id, enterprise_id): the latest version of every contract in force on ``day``
    and each enterprise it covers (its own enterprise, else its coverage list)."""
    in_force = (ContractVersion.effective_on <= day) & (ContractVersion.expires_on >= day)
    own = (
        select(
            ContractVersion.id.label("version_id"), Contract.enterprise_id.label("enterprise_id")
        )
        .join(Contract, Contract.current_version_id == ContractVersion.id)
        .where(Contract.enterprise_id.is_not(None), in_force)
    )
    listed = (
        select(ContractVersion.id, ContractCoverage.enterprise_id)
        .join(Contract, Contract.current_version_id == ContractVersion.id)
        .join(ContractCoverage, ContractCoverage.version_id == ContractVersion.id)
        .where(Contract.enterprise_id.is_(None), in_force)
    )
    return own.union_all(listed).subquery("covered")


def _expansion_items_of(covered: Any) -> Any:
    """``covered`` joined with its versions' items; BargainingItem.code is the item when it
    is an expansion item, else NULL. (Joined by version, not probed per code: an index walk.)"""
    return covered.outerjoin(
        ContractItem, ContractItem.version_id == covered.c.version_id
    ).outerjoin(
        BargainingItem,
        (BargainingItem.code == ContractItem.item_code) & (BargainingItem.kind == "expansion"),
    )


def _eligible() -> Any:
    return Enterprise.has_union.is_(True) & Enterprise.above_scale.is_(True)


def load_counties() -> tuple[targets.CountyRow, ...]:
    return tuple(
        targets.CountyRow(c.id, c.code, c.name, c.pilot, c.required_items, float(c.target_share))
        for c in db.session.scalars(select(County).order_by(County.sort_order))
    )


def _count_counties(day: date) -> dict[int, targets.CountyCount]:
    counties = load_counties()
    eligible = dict(
        db.session.execute(
            select(Enterprise.county_id, func.count(Enterprise.id))
            .where(_eligible())
            .group_by(Enterprise.county_id)
        ).all()
    )
    covered = _coverage_in_force(day)
    per_enterprise = (
        select(
            covered.c.enterprise_id,
            func.count(func.distinct(BargainingItem.code)).label("n_items"),
        )
        .select_from(_expansion_items_of(covered))
        .group_by(covered.c.enterprise_id)
        .subquery("per_enterprise")
    )
    stmt = (
        select(
            Enterprise.county_id,
            func.count(Enterprise.id).label("with_contract"),
            func.sum(case((per_enterprise.c.n_items >= County.required_items, 1), else_=0)).label(
                "counted"
            ),
        )
        .join(per_enterprise, per_enterprise.c.enterprise_id == Enterprise.id)
        .join(County, County.id == Enterprise.county_id)
        .where(_eligible())
        .group_by(Enterprise.county_id)
    )
    covered = {r.county_id: r for r in db.session.execute(stmt)}
    return {
        c.id: targets.CountyCount(
            c.id,
            eligible.get(c.id, 0),
            int(covered[c.id].counted or 0) if c.id in covered else 0,
            covered[c.id].with_contract if c.id in covered else 0,
        )
        for c in counties
    }


def counts_on(day: date) -> dict[int, targets.CountyCount]:
    """Each county's eligible, counted and covered enterprises on ``day``, once per change of
    the register."""
    return _figure(day, "counts")


# ------------------------------------------------------------------ register figures
#
# The register-wide aggregates of a day (target counts, item popularity, filing KPIs) cost
# seconds at a province's size. Each is kept in this process per register stamp and day, and
# in the register_figure table, which the job process refreshes after every change of the
# register (refresh_figures): the first dashboard request after an import then reads a few
# rows. A stored figure whose stamp is not the register's current one is never used.


# Stored densely, as lists in CountyCount's field order, and read back here only.
def _encode_counts(counts: dict[int, targets.CountyCount]) -> list[list[int]]:
    return [[c.county_id, c.eligible, c.counted, c.with_contract] for c in counts.values()]


def _decode_counts(value: list[list[int]]) -> dict[int, targets.CountyCount]:
    counts = (targets.CountyCount(*row) for row in value)
    return {c.county_id: c for c in counts}


def _encode_popularity(rows: list[ItemCount]) -> list[list[Any]]:
    return [[r.code, r.enterprises] for r in rows]


def _decode_popularity(value: list[list[Any]]) -> list[ItemCount]:
    names = dict(db.session.execute(select(BargainingItem.code, BargainingItem.name)).all())
    return [ItemCount(code, names[code], n) for code, n in value]


def _encode_filing(kpis: dict[int, dict[str, int]]) -> list[list[int]]:
    return [[cid, k["in_force"], k["entered"]] for cid, k in kpis.items()]


def _decode_filing(value: list[list[int]]) -> dict[int, dict[str, int]]:
    return {cid: {"in_force": n, "entered": entered} for cid, n, entered in value}


FIGURES: dict[str, tuple[Any, Any, Any]] = {
    "counts": (lambda day: _count_counties(day), _encode_counts, _decode_counts),
    "popularity": (lambda day: _item_popularity(day), _encode_popularity, _decode_popularity),
    "filing": (lambda day: _filing_kpis(day), _encode_filing, _decode_filing),
}


def _stamp_text(stamp: tuple[Any, ...]) -> str:
    return "|".join(str(v) for v in stamp[1:])  # without the database, which holds the row


def _figure(day: date, part: str) -> Any:
    stamp = _stamp()
    key = (stamp, day, part)
    with _lock:
        memo: dict[Any, Any] = _cache.setdefault("figures", {})
        if key in memo:
            return memo[key]
    compute, _encode, decode = FIGURES[part]
    stored = db.session.execute(
        select(RegisterFigure.stamp, RegisterFigure.value).where(
            RegisterFigure.day == day, RegisterFigure.part == part
        )
    ).first()
    if stored is not None and stored.stamp == _stamp_text(stamp):
        result = decode(stored.value)
    else:
        result = compute(day)
    with _lock:
        memo = _cache.setdefault("figures", {})
        if len(memo) > 96:
            memo.clear()
        memo[key] = result
    return result


def refresh_figures(day: date) -> list[str]:
    """Compute and store the register figures of ``day`` whose stored stamp is not the
    register's current one (flushes; the job commits). Returns the parts refreshed."""
    stamp = _stamp_text(_stamp())
    stored = dict(
        db.session.execute(
            select(RegisterFigure.part, RegisterFigure.stamp).where(RegisterFigure.day == day)
        ).all()
    )
    refreshed = []
    for part, (compute, encode, _decode) in FIGURES.items():
        if stored.get(part) == stamp:
            continue
        value = encode(compute(day))
        figure = db.session.get(RegisterFigure, (day, part))
        if figure is None:
            db.session.add(RegisterFigure(day=day, part=part, stamp=stamp, value=value))
        else:
            figure.stamp, figure.value, figure.computed_at = stamp, value, utcnow()
        refreshed.append(part)
    db.session.flush()
    return refreshed


def expansion_items(day: date, county_id: int) -> dict[int, set[str]]:
    """Enterprise id -> the distinct expansion items of the contracts in force on ``day`` that
    cover it, for the enterprises of one county covered by any (the test oracle's
    expansion_items_by_enterprise, narrowed to the county)."""
    covered = _coverage_in_force(day)
    stmt = (
        select(covered.c.enterprise_id, BargainingItem.code)
        .select_from(_expansion_items_of(covered))
        .join(Enterprise, Enterprise.id == covered.c.enterprise_id)
        .where(Enterprise.county_id == county_id)
    )
    items: dict[int, set[str]] = defaultdict(set)
    for eid, code in db.session.execute(stmt):
        codes = items[eid]
        if code is not None:
            codes.add(code)
    return items


def snapshot_history(before: date) -> dict[int, list[tuple[date, float]]]:
    history: dict[int, list[tuple[date, float]]] = defaultdict(list)
    stmt = (
        select(CountySnapshot.county_id, CountySnapshot.taken_on, CountySnapshot.rate)
        .where(CountySnapshot.taken_on < before, CountySnapshot.rate.is_not(None))
        .order_by(CountySnapshot.taken_on)
    )
    for county_id, taken_on, rate in db.session.execute(stmt):
        if rate is not None:  # as the query asks; narrows the type
            history[county_id].append((taken_on, rate))
    return history


def start_rates(counties: Sequence[targets.CountyRow]) -> dict[int, float | None]:
    """The rate on 2025-02-01, from its stored snapshot if there is one, else computed."""
    stored = {
        cid: rate
        for cid, rate in db.session.execute(
            select(CountySnapshot.county_id, CountySnapshot.rate).where(
                CountySnapshot.taken_on == targets.PLAN_START
            )
        )
    }
    if all(c.id in stored for c in counties):
        return {c.id: stored[c.id] for c in counties}
    computed = counts_on(targets.PLAN_START)
    return {c.id: stored[c.id] if c.id in stored else computed[c.id].rate for c in counties}


def county_targets(day: date) -> list[targets.CountyTarget]:
    """What `flask targets` prints and the dashboards show: one entry per county."""
    counties = load_counties()
    return targets.county_targets(
        counties,
        counts_on(day),
        start_rates(counties),
        snapshot_history(day),
        day,
    )


# ---------------------------------------------------------------------------- other KPIs


def filing_kpis(day: date) -> dict[int, dict[str, int]]:
    """Per county: contracts in force, of which entered on the national platform (录入率)."""
    return _figure(day, "filing")


def _filing_kpis(day: date) -> dict[int, dict[str, int]]:
    in_force = (ContractVersion.effective_on <= day) & (ContractVersion.expires_on >= day)
    stmt = (
        select(
            Contract.county_id,
            func.count(Contract.id),
            func.sum(case((ContractVersion.platform_entered_on.is_not(None), 1), else_=0)),
        )
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .where(in_force, ContractVersion.filed_on <= day)
        .group_by(Contract.county_id)
    )
    return {
        cid: {"in_force": n, "entered": int(entered or 0)}
        for cid, n, entered in db.session.execute(stmt)
    }


def _county_sizes(round_: SampleRound) -> dict[str, tuple[int, int]]:
    """audits.rounds.county_sizes, kept per drawn round: a drawn round's population snapshot
    never changes (its SHA-256 is public), and parsing it again on every change of the data
    cost the first dashboard request after a change most of its time."""
    key = ("sizes", round_.id, round_.population_sha256, round_.rate)
    with _lock:
        sizes = _cache.get(key)
    if sizes is None:
        sizes = county_sizes(round_)
        with _lock:
            _cache[key] = sizes
    return sizes


def sampling_kpis(day: date) -> dict[int, dict[str, int]]:
    """Per county: filings in drawn months and picks (抽查率), audits done and qualified (合格率)."""
    result: dict[int, dict[str, int]] = defaultdict(
        lambda: {"population": 0, "picked": 0, "done": 0, "qualified": 0}
    )
    rounds = list(db.session.scalars(select(SampleRound).where(SampleRound.drawn_at.is_not(None))))
    codes = dict(db.session.execute(select(County.code, County.id)).all())
    for round_ in rounds:
        if round_.month > f"{day.year:04d}-{day.month:02d}":
            continue
        for code, (n, _) in _county_sizes(round_).items():
            result[codes[code]]["population"] += n
    for cid, n in db.session.execute(
        select(SamplePick.county_id, func.count(SamplePick.id)).group_by(SamplePick.county_id)
    ):
        result[cid]["picked"] = n
    stmt = (
        select(
            Audit.county_id,
            func.count(Audit.id),
            func.sum(case((Audit.verdict == Verdict.QUALIFIED, 1), else_=0)),
        )
        .where(Audit.status == "done", Audit.completed_on <= day)
        .group_by(Audit.county_id)
    )
    for cid, done, qualified in db.session.execute(stmt):
        result[cid]["done"] = done
        result[cid]["qualified"] = int(qualified or 0)
    return result


def rectification_kpis(day: date) -> dict[int, dict[str, int]]:
    """Per county: rectifications opened by ``day``, by status; resolved, resolved by the
    deadline (按期), and unresolved past the deadline (逾期未整改)."""
    keys = ("total", "on_time", "overdue", *rules.STATUS_LABELS)
    result: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    stmt = select(
        Rectification.county_id,
        Rectification.status,
        Rectification.deadline,
        Rectification.resolved_on,
    ).where(Rectification.created_on <= day)
    for cid, status, deadline, resolved_on in db.session.execute(stmt):
        row = result[cid]
        row["total"] += 1
        row[status] += 1
        if status == rules.RESOLVED:
            row["on_time"] += resolved_on is not None and resolved_on <= deadline
        else:
            row["overdue"] += rules.is_overdue(status, deadline, day)
    return result


def interview_counts(day: date) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = defaultdict(lambda: {"county": 0, "city": 0, "held": 0})
    stmt = select(Interview.county_id, Interview.level, Interview.status).where(
        Interview.triggered_on <= day
    )
    for cid, level, status in db.session.execute(stmt):
        result[cid][level] += 1
        result[cid]["held"] += status == "held"
    return result


def item_popularity(day: date, county_id: int | None = None) -> list[ItemCount]:
    """Each expansion item held by an in-force contract, most common first."""
    if county_id is None:
        return _figure(day, "popularity")
    return _item_popularity(day, county_id)


def _item_popularity(day: date, county_id: int | None = None) -> list[ItemCount]:
    covered = _coverage_in_force(day)
    stmt = (
        select(
            BargainingItem.code,
            BargainingItem.name,
            func.count(func.distinct(Enterprise.id)).label("enterprises"),
        )
        .select_from(_expansion_items_of(covered))
        .join(Enterprise, Enterprise.id == covered.c.enterprise_id)
        .where(_eligible(), BargainingItem.code.is_not(None))
        .group_by(BargainingItem.code, BargainingItem.name)
    )
    if county_id is not None:
        stmt = stmt.where(Enterprise.county_id == county_id)
    rows = [ItemCount(r.code, r.name, r.enterprises) for r in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (-r.enterprises, r.code))


def city_series(before: date) -> list[tuple[date, float]]:
    """The city's rate at each snapshot before ``before``, weighted by eligible enterprises."""
    stmt = (
        select(
            CountySnapshot.taken_on,
            func.sum(CountySnapshot.counted),
            func.sum(CountySnapshot.eligible),
        )
        .where(CountySnapshot.taken_on < before)
        .group_by(CountySnapshot.taken_on)
        .order_by(CountySnapshot.taken_on)
    )
    return [
        (d, counted / eligible) for d, counted, eligible in db.session.execute(stmt) if eligible
    ]


def overdue_rectifications(county_id: int, day: date) -> list[Any]:
    """Unresolved rectifications of a county past their deadline on ``day``, most overdue
    first: rows ``.rect``, ``.finding``, ``.enterprise_name`` (None for an industry or
    regional contract's)."""
    stmt = (
        select(
            named(Rectification, "rect"),
            named(Finding, "finding"),
            Enterprise.name.label("enterprise_name"),
        )
        .join(Finding, Finding.id == Rectification.finding_id)
        .outerjoin(Enterprise, Enterprise.id == Rectification.enterprise_id)
        .where(
            Rectification.county_id == county_id,
            rules.overdue_clause(Rectification.status, Rectification.deadline, day),
        )
        .order_by(Rectification.deadline)
    )
    return list(db.session.execute(stmt))
