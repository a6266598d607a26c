"""Monthly-draw benchmark: one month of 1,000,000 filings drawn on SQLite and PostgreSQL.

    .venv/bin/python bench/sampling_bench.py [--size 1000000] [--skip-pg] [--profile]
    .venv/bin/python bench/sampling_bench.py --sizes 10000,100000,1000000   # the cost curve

Inserts ``--size`` industry-level (行业性) contracts, one version each, filed during
2026-10 and spread round-robin over the ten counties (plus three inspectors per county so
the assignment runs), straight into a fresh database. Then times:

* the monthly draw as the scheduler and ``draw_month_once`` run it, each step with its commit
  (no user): :func:`audits.rounds.freeze_round` for 2026-10 (population query, snapshot text,
  hash, gzip, the members' keys), then :func:`audits.rounds.draw_frozen` with a fixed public
  value (tickets and picks, recorded with the round: the draw), then
  :func:`audits.rounds.open_drawn` (``sample_pick`` and ``audit`` rows) — split into stages by
  wrapping the functions they call (in this process only);
* the pure :func:`audits.sampling.draw` over the same members (the median of three runs);
* :func:`audits.rounds.verify_round` of the stored round, in a fresh session.

Goals (issue 18), as ratios measured side by side in one run: draw + commit over
1,000,000 versions within 2x the pure draw of the same members, on both databases (the
freeze before it and the opening after it are printed too, with freeze + draw + open); the
process's peak resident memory under 1 GB. ``--sizes`` runs several sizes one after the
other (each on fresh databases) and prints the cost curve.

Also the consistent-sampling check (pure, once): tickets depend only on the seed and the
id, so drawing over P plus 10% new members must keep the relative ticket order of P's
members; it reports how many of the first draw's picks are still picked.

SQLite runs on a temporary file; PostgreSQL (``--pg-url``, default the local server) on a
fresh database ``bench_sampling_<random>`` that is dropped afterwards. Nothing else is
touched.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import pstats
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from fresh_db import postgres_database, sqlite_database  # noqa: E402

from app import create_app  # noqa: E402
from audits import rounds, sampling  # noqa: E402
from audits.models import Audit, SamplePick, SampleRound  # noqa: E402
from bargaining.filing import public_id  # noqa: E402
from bargaining.models import LEVEL_INDUSTRY, Contract, ContractVersion, County  # noqa: E402
from bargaining.reference import seed_reference_data  # noqa: E402
from core.auth import hash_password  # noqa: E402
from core.clock import LOCAL_TZ  # noqa: E402
from core.db import db  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import Role, User  # noqa: E402
from core.settings import seed_settings  # noqa: E402

GOAL_RATIO = 2.0  # draw + commit / pure draw
PURE_REPEATS = 3
GOAL_RSS_MB = 1024.0
MONTH = rounds.Month(2026, 10)
NOW = datetime(2026, 11, 1, 2, 0, tzinfo=LOCAL_TZ).astimezone(UTC)  # the scheduled draw
SEED = "20261101020000314159"
INSPECTORS_PER_COUNTY = 3
CHUNK = 100_000
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INDUSTRIES = ("五金制造", "纺织服装", "电子信息", "食品加工", "物流运输", "建筑建材")


# ----------------------------------------------------------------------------- the data


class Encoder:
    """Python values to what the driver stores, computed once per distinct value.

    SQLite: the column type's own bind processor (as :mod:`core.bulk` does); PostgreSQL
    (COPY): timestamps as naive UTC, everything else as it is.
    """

    def __init__(self, dialect: Any, table: Table) -> None:
        self.dialect = dialect
        self.table = table
        self.cache: dict[tuple[str, Any], Any] = {}

    def __call__(self, column: str, value: Any) -> Any:
        key = (column, value)
        if key not in self.cache:
            if value is None:
                out = None
            elif self.dialect.name == "postgresql":
                out = value
                if isinstance(value, datetime) and value.tzinfo is not None:
                    out = value.astimezone(UTC).replace(tzinfo=None)
            else:
                proc = self.table.c[column].type._cached_bind_processor(self.dialect)
                out = proc(value) if proc else value
            self.cache[key] = out
        return self.cache[key]


def write_rows(table: Table, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Already-encoded tuples: COPY on PostgreSQL, a raw executemany on SQLite."""
    connection = db.session.connection()
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


CONTRACT_COLUMNS = [
    "id",
    "number",
    "scope_key",
    "level",
    "county_id",
    "enterprise_id",
    "version_count",
    "created_at",
]
VERSION_COLUMNS = [
    "id",
    "public_id",
    "contract_id",
    "version_no",
    "county_id",
    "contract_type",
    "name",
    "industry",
    "signed_on",
    "delegates_total",
    "delegates_present",
    "votes_for",
    "effective_on",
    "expires_on",
    "submitted_on",
    "workers_covered",
    "lowest_wage",
    "raise_pct",
    "platform_entered_on",
    "remarks",
    "filed_on",
    "created_at",
]


def build_population(size: int) -> dict[str, int]:
    """``size`` 行业性 contracts with one version each, filed in MONTH; returns county sizes."""
    counties = list(db.session.execute(select(County.id, County.code).order_by(County.id)))
    dialect = db.session.connection().dialect
    cenc = Encoder(dialect, Contract.__table__)
    venc = Encoder(dialect, ContractVersion.__table__)
    days = (MONTH.last - MONTH.first).days + 1
    filed = [MONTH.first + timedelta(days=d) for d in range(days)]
    # recorded on the day it was filed, weeks before the draw
    created = [datetime(f.year, f.month, f.day, 10, 0, tzinfo=UTC) for f in filed]
    per_county: dict[str, int] = {}
    for start in range(0, size, CHUNK):
        contracts: list[tuple[Any, ...]] = []
        versions: list[tuple[Any, ...]] = []
        for i in range(start, min(start + CHUNK, size)):
            cid = i + 1
            county_id, code = counties[i % len(counties)]
            per_county[code] = per_county.get(code, 0) + 1
            day = (i // len(counties)) % days
            industry = INDUSTRIES[i % len(INDUSTRIES)]
            signed = filed[day] - timedelta(days=20)
            contracts.append(
                (
                    cid,
                    f"HY-{cid:07d}",
                    f"C{county_id}",
                    LEVEL_INDUSTRY,
                    county_id,
                    None,
                    1,
                    cenc("created_at", created[day]),
                )
            )
            versions.append(
                (
                    cid,
                    public_id(cid, 1),
                    cid,
                    1,
                    county_id,
                    "工资专项集体合同",
                    venc("name", f"{code}{industry}行业工资专项集体合同"),
                    industry,
                    venc("signed_on", signed),
                    45,
                    40,
                    38,
                    venc("effective_on", signed + timedelta(days=10)),
                    venc("expires_on", signed + timedelta(days=10 + 3 * 365)),
                    venc("submitted_on", signed + timedelta(days=5)),
                    320,
                    venc("lowest_wage", Decimal("2300.00")),
                    venc("raise_pct", Decimal("5.00")),
                    venc("platform_entered_on", signed + timedelta(days=12)),
                    "",
                    venc("filed_on", filed[day]),
                    venc("created_at", created[day]),
                )
            )
        write_rows(Contract.__table__, CONTRACT_COLUMNS, contracts)
        write_rows(ContractVersion.__table__, VERSION_COLUMNS, versions)
        del contracts, versions
    if dialect.name == "postgresql":
        for table in ("contract", "contract_version"):
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": size}
            )
    password = hash_password("bench-password-1")
    for county_id, code in counties:
        for n in range(INSPECTORS_PER_COUNTY):
            db.session.add(
                User(
                    username=f"bench-insp-{code}-{n}",
                    display_name=f"bench inspector {code} {n}",
                    password_hash=password,
                    role=Role.INSPECTOR.value,
                    county_id=county_id,
                )
            )
    db.session.commit()
    return per_county


# ----------------------------------------------------------------------------- timing


class Split:
    """Wall time of the stages of one freeze and draw, by wrapping the functions it looks up
    (module attributes, in this process only; restored afterwards)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def _wrap(self, name: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            label = name(*args, **kwargs) if callable(name) else name
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - start

        return timed

    @contextmanager
    def installed(self) -> Iterator[Split]:
        def insert_label(session: Any, table: Table, *rows: Any, **options: Any) -> str:
            return f"insert {table.name}"

        patches: list[tuple[Any, str, str | Callable[..., str]]] = [
            (rounds, "population", "population query"),
            (sampling, "population_text_order", "snapshot text (sort)"),
            (sampling, "population_sha256", "snapshot sha256"),
            (gzip, "compress", "snapshot gzip"),
            (sampling, "draw_indices", "tickets + picks"),
            (rounds, "insert_tuples", insert_label),
            (rounds, "_open_audits", "open audits (assign + insert)"),
        ]
        # (a name the code under test does not have is left out: older code can be timed too)
        patches = [p for p in patches if hasattr(p[0], p[1])]
        originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patches]
        for (obj, attr, label), (_, _, fn) in zip(patches, originals, strict=True):
            setattr(obj, attr, self._wrap(label, fn))
        try:
            yield self
        finally:
            for obj, attr, fn in originals:
                setattr(obj, attr, fn)


@dataclass
class RunResult:
    backend: str
    size: int
    freeze_s: float  # freeze_round + commit (the scheduler, on the 1st)
    draw_s: float  # draw_frozen + commit: the round decided and durable (the goal's "draw")
    open_s: float  # open_drawn + commit: the picks and audits written (0: older code)
    pure_draw_s: float
    verify_s: float
    verify_ok: bool
    picks: int
    audits: int
    stages: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0

    @property
    def ratio(self) -> float:
        """draw + commit / pure draw: the issue's goal."""
        return self.draw_s / self.pure_draw_s if self.pure_draw_s else float("inf")

    @property
    def total_s(self) -> float:
        """freeze, draw and opening, each with its commit."""
        return self.freeze_s + self.draw_s + self.open_s

    @property
    def total_ratio(self) -> float:
        return self.total_s / self.pure_draw_s if self.pure_draw_s else float("inf")

    @property
    def to_audits_s(self) -> float:
        """From the public value to the inspectors' audits: draw + opening."""
        return self.draw_s + self.open_s


def peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_draw(profile: bool) -> tuple[SampleRound, list[float], dict[str, float], Any]:
    """Freeze (committed, as the scheduler does on the 1st), then draw and commit, then open
    the drawn round (its picks and audits) and commit, as ``draw_month_once`` does. Returns
    the round, [freeze, draw, open] seconds (each with its commit), the stages, the profile."""
    db.session.remove()  # a fresh session, as the scheduler or the CLI starts with
    split = Split()
    profiler = cProfile.Profile() if profile else None
    marks: list[float] = []
    with split.installed():
        if profiler:
            profiler.enable()
        marks.append(time.perf_counter())
        round_ = rounds.freeze_round(MONTH, None, NOW)
        db.session.commit()
        marks.append(time.perf_counter())
        round_ = rounds.draw_frozen(round_, SEED, None, NOW)
        db.session.commit()
        marks.append(time.perf_counter())
        if hasattr(rounds, "open_drawn"):  # (older code wrote the rows in the draw)
            rounds.open_drawn(round_, NOW)
            db.session.commit()
        marks.append(time.perf_counter())
        if profiler:
            profiler.disable()
    stages = dict(split.spent)
    # "insert audit" runs inside _open_audits: counted once, there
    stages["other (rows, dicts, flushes, commits)"] = (marks[-1] - marks[0]) - sum(
        v for k, v in stages.items() if k != "insert audit"
    )
    seconds = [after - before for before, after in zip(marks, marks[1:], strict=False)]
    return round_, seconds, stages, profiler


def run_one(backend: str, url: str, size: int, profile: bool) -> RunResult:
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PASSWORD_HASH_FAST": True})
    try:
        with app.app_context():
            upgrade(db.engine)
            seed_reference_data()
            seed_settings()
            db.session.commit()
            start = time.perf_counter()
            per_county = build_population(size)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.exec_driver_sql("VACUUM ANALYZE contract, contract_version")
            print(
                f"[{backend}] inserted {size:,} contracts + versions in"
                f" {time.perf_counter() - start:.1f} s ({len(per_county)} counties)",
                flush=True,
            )

            round_, (freeze_s, draw_s, open_s), stages, profiler = timed_draw(profile)
            print(
                f"[{backend}] freeze {freeze_s:.2f} s, draw {draw_s:.2f} s, open {open_s:.2f} s"
                " (each with its commit)",
                flush=True,
            )
            if profiler:
                print_profile(f"freeze + draw + commit on {backend}", profiler)
            picks = db.session.scalar(
                select(func.count()).select_from(SamplePick).where(SamplePick.round_id == round_.id)
            )
            duplicates = db.session.scalar(
                select(func.count()).select_from(
                    select(SamplePick.version_id)
                    .group_by(SamplePick.version_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            )
            audits = db.session.scalar(select(func.count()).select_from(Audit))
            assert round_.population_size == size, (round_.population_size, size)
            assert picks == round_.pick_count and not duplicates, (picks, duplicates)

            # the pure draw over the same members (taken from the stored snapshot)
            db.session.remove()
            stored = rounds.get_round(str(MONTH))
            assert stored is not None
            members = sampling.parse_population(rounds.population_of(stored))
            times = []
            for _ in range(PURE_REPEATS):  # the median: one run swings with the collector
                start = time.perf_counter()
                pure = sampling.draw(SEED, members, Fraction(stored.rate))
                times.append(time.perf_counter() - start)
                assert len(pure) == picks
                del pure
            pure_s = statistics.median(times)
            del members

            db.session.remove()
            start = time.perf_counter()
            stored = rounds.get_round(str(MONTH))
            assert stored is not None
            result = rounds.verify_round(stored)
            verify_s = time.perf_counter() - start
            if not result.ok:
                print(f"[{backend}] verify_round problems: {result.problems[:5]}", file=sys.stderr)
            return RunResult(
                backend,
                size,
                freeze_s,
                draw_s,
                open_s,
                pure_s,
                verify_s,
                result.ok,
                picks or 0,
                audits or 0,
                stages,
                peak_rss_mb(),
            )
    finally:
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def run_sqlite(size: int, profile: bool) -> RunResult:
    with sqlite_database("bench_sampling") as url:
        return run_one("SQLite", url, size, profile)


def run_postgres(pg_url: str, size: int, profile: bool) -> RunResult:
    with postgres_database(pg_url, "bench_sampling") as url:
        return run_one("PostgreSQL", url, size, profile)


# ----------------------------------------------------------------------------- consistency


@dataclass
class Consistency:
    size: int
    added: int
    order_kept: bool
    picks_before: int
    picks_after: int
    still_picked: int
    seconds: float


def consistency_check(size: int, counties: int = 10) -> Consistency:
    """Draw over P, then over P + 10% new members, with the same seed (pure functions)."""
    start = time.perf_counter()
    codes = [f"K{c:02d}" for c in range(counties)]
    before = [sampling.Member(codes[i % counties], public_id(i + 1, 1)) for i in range(size)]
    added = max(1, size // 10)
    new = [sampling.Member(codes[i % counties], public_id(size + i + 1, 1)) for i in range(added)]
    after = before + new
    old_ids = {m.public_id for m in before}
    # rate 1: every member ranked, so the whole relative order can be compared
    rank_before = [(p.county, p.public_id) for p in sampling.draw(SEED, before, Fraction(1))]
    rank_after = [
        (p.county, p.public_id)
        for p in sampling.draw(SEED, after, Fraction(1))
        if p.public_id in old_ids
    ]
    rate = Fraction(3, 10)
    picks_before = {p.public_id for p in sampling.draw(SEED, before, rate)}
    picks_after = {p.public_id for p in sampling.draw(SEED, after, rate)}
    return Consistency(
        size,
        added,
        rank_before == rank_after,
        len(picks_before),
        len(picks_after),
        len(picks_before & picks_after),
        time.perf_counter() - start,
    )


# ----------------------------------------------------------------------------- output


def print_profile(title: str, profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(25)
        print(f"\n--- cProfile of {title}, by {order} ---")
        print(out.getvalue())


def report(runs: list[RunResult], check: Consistency, profiled: bool) -> None:
    print()
    if profiled:
        print("NOTE: run under cProfile — the draw figures include the profiler's overhead")
    header = (
        f"{'backend':<11}{'members':>11}{'picks':>9}{'freeze s':>10}{'draw s':>8}{'open s':>8}"
        f"{'pure draw s':>13}{'draw ratio':>12}{'to audits':>11}{'total s':>9}{'total ratio':>13}"
        f"{'verify s':>10}{'verified':>10}{'peak RSS MB':>13}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        print(
            f"{r.backend:<11}{r.size:>11,}{r.picks:>9,}{r.freeze_s:10.2f}{r.draw_s:8.2f}"
            f"{r.open_s:8.2f}{r.pure_draw_s:13.2f}{r.ratio:12.2f}{r.to_audits_s:11.2f}"
            f"{r.total_s:9.2f}{r.total_ratio:13.2f}{r.verify_s:10.2f}"
            f"{'yes' if r.verify_ok else 'NO':>10}{r.peak_rss_mb:13.0f}"
        )
    print(
        "freeze = audits.rounds.freeze_round + commit (the 1st of the month); draw ="
        " draw_frozen + commit (the round decided: seed, picks recorded);\nopen ="
        " open_drawn + commit (one sample_pick and one audit row per pick; older code wrote"
        " them in the draw, open = 0);\npure draw = audits.sampling.draw over the same members (median of 3);"
        " draw ratio = draw / pure draw (the goal); to audits = draw + open;\ntotal = freeze +"
        " draw + open, total ratio = total / pure draw; verify = audits.rounds.verify_round in"
        " a fresh session;\npeak RSS = the bench process's peak so far (includes building the"
        " population)"
    )
    print()
    labels: list[str] = []
    for r in runs:
        labels += [k for k in r.stages if k not in labels]
    width = max(len(k) for k in labels) + 2
    print(f"{'stage of the draw (s)':<{width}}" + "".join(f"{r.backend:>12}" for r in runs))
    for label in labels:
        cells = "".join(
            f"{r.stages[label]:12.2f}" if label in r.stages else f"{'-':>12}" for r in runs
        )
        print(f"{label:<{width}}{cells}")
    print(
        "(insert audit is part of open audits; other = row objects, member lists, dicts, flushes)"
    )
    print()
    for r in runs:
        verdict = "MET" if r.ratio <= GOAL_RATIO else "MISSED"
        memory = "MET" if r.peak_rss_mb < GOAL_RSS_MB else "MISSED"
        print(
            f"{r.backend} over {r.size:,}: goal draw + commit <= {GOAL_RATIO:.0f}x the pure draw:"
            f" {verdict} ({r.draw_s:.2f} s / {r.pure_draw_s:.2f} s = {r.ratio:.2f}x);"
            f" goal peak RSS < {GOAL_RSS_MB:.0f} MB: {memory} ({r.peak_rss_mb:.0f} MB);"
            f" {r.picks:,} picks, {r.audits:,} audits; freeze + draw + open:"
            f" {r.total_s:.2f} s = {r.total_ratio:.2f}x"
        )
    print()
    print(
        f"consistent sampling: P = {check.size:,}, then P + {check.added:,} new (same seed):"
        f" relative ticket order of P's members kept: {'yes' if check.order_kept else 'NO'};"
        f" {check.still_picked:,} of the first draw's {check.picks_before:,} picks still picked"
        f" ({check.still_picked / check.picks_before:.2%}) among {check.picks_after:,}"
        f" [{check.seconds:.1f} s]"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--size", type=int, default=1_000_000, help="contract versions in the month"
    )
    parser.add_argument(
        "--sizes", help="comma-separated sizes run one after the other (the cost curve)"
    )
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server for the fresh database")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the draw")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [args.size]
    if min(sizes) < 10:
        raise SystemExit("--size must be at least 10")

    runs: list[RunResult] = []
    for size in sizes:
        runs.append(run_sqlite(size, args.profile))
        if not args.skip_pg:
            runs.append(run_postgres(args.pg_url, size, args.profile))
    check = consistency_check(max(sizes))
    report(runs, check, args.profile)
    if len(sizes) > 1:
        print_curve(runs)
    ok = all(r.verify_ok for r in runs) and check.order_kept
    return 0 if ok else 1


def print_curve(runs: list[RunResult]) -> None:
    """Seconds per size and backend, and the growth from one size to the next."""
    print()
    print(
        f"{'cost curve':<12}{'members':>11}{'draw s':>8}{'pure s':>8}{'ratio':>7}{'total s':>9}"
        f"{'growth':>8}"
    )
    last: dict[str, RunResult] = {}
    for r in runs:
        before = last.get(r.backend)
        growth = f"{r.total_s / before.total_s:7.1f}x" if before else f"{'-':>8}"
        print(
            f"{r.backend:<12}{r.size:>11,}{r.draw_s:8.2f}{r.pure_draw_s:8.2f}{r.ratio:7.2f}"
            f"{r.total_s:9.2f}{growth}"
        )
        last[r.backend] = r
    print("(growth = total against the previous size on the same backend; ratio = draw / pure)")


if __name__ == "__main__":
    sys.exit(main())
