"""Filing-import benchmark: end-to-end upload throughput on SQLite and PostgreSQL.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--skip-pg] [--profile]

Builds one valid filing workbook (合同 / 协商事项 / 覆盖企业; ``--rows`` data rows in all)
for enterprises inserted directly into a fresh database, then times
:func:`bargaining.uploads.run_upload` as an admin — parse + validate + insert + commit — and
splits it into read (``read_isolated``: core.spreadsheet.read_workbook in a child
process), prepare (registry and catalogue look-ups), validate (validate_filings) and insert (file_contracts). The baseline is the
lower bound of an "openpyxl-only importer": openpyxl.load_workbook(read_only=True,
data_only=True) iterating every row of every sheet into tuples.

Goal (issue): >= 20,000 rows/s end to end and >= 1.5x the openpyxl-only read.

Issue 18 adds, each printed with its ratio and goal: the insert stage (file_contracts)
within 2x a bare insert of the same rows into a fresh database of the same schema (a Core
executemany per table on SQLite, COPY per table on PostgreSQL); and ``flask import-filings``
run as a fresh process (start-up included) on workbooks of 合同 + three 协商事项 each
(``--cli-rows``, default the issue's 48,000 = 12k + 36k; several sizes give the cost curve)
at >= 2x an in-process openpyxl read of the same file, PostgreSQL no slower than SQLite, and
the command's peak resident memory under 1 GB. On a shared machine the CLI runs alternate
between the backends with an openpyxl read before, between and after them; each run is
compared with the reads on either side, and the median ratio is reported (``--cli-repeats``),
next to the same ratio in CPU seconds (the command and its parse child; PostgreSQL's own
work is not counted), which a loaded machine disturbs less.

SQLite runs on a temporary file; PostgreSQL (``--pg-url``, default the local server) on a
fresh database ``bench_import_<random>`` that is dropped afterwards. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from fresh_db import postgres_database, sqlite_database  # noqa: E402

from app import create_app  # noqa: E402
from bargaining import services  # noqa: E402
from bargaining.models import County, Enterprise  # noqa: E402
from bargaining.reference import COUNTIES, seed_reference_data  # noqa: E402
from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS  # noqa: E402
from bargaining.uploads import run_upload  # noqa: E402
from bargaining.uscc import ALPHABET, make_uscc  # noqa: E402
from core.auth import hash_password  # noqa: E402
from core.db import Base, db, utcnow  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import Role, Setting, User  # noqa: E402
from core.settings import seed_settings  # noqa: E402

TODAY = date(2026, 11, 25)
GOAL_ROWS_PER_S = 20_000
GOAL_VS_OPENPYXL = 1.5
GOAL_CLI_VS_OPENPYXL = 2.0  # issue 18: the CLI, process start included
GOAL_INSERT_VS_FLOOR = 2.0  # issue 18: file_contracts against a bare insert / COPY
GOAL_RSS_MB = 1024
COVERAGE_PER_CONTRACT = 5
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INDUSTRIES = ("五金制造", "纺织服装", "电子信息", "食品加工", "物流运输", "建筑建材")
CONTRACT_TYPES = ("综合性集体合同", "工资专项集体合同")
ITEM_PAIRS = (("W01", "S01"), ("W02", "A01"), ("W03", "S02"), ("W04", "D01"))
ITEM_TRIPLES = (("W01", "S01", "A01"), ("W02", "A01", "D01"), ("W03", "S02", "T01"))


# ----------------------------------------------------------------------------- the workbook


@dataclass
class Plan:
    """How ``rows`` data rows are split over the three sheets."""

    rows: int
    contracts: int  # 合同 rows
    items: int  # 协商事项 rows (two per contract)
    coverage: int  # 覆盖企业 rows
    industry_contracts: int  # 行业性 contracts carrying the coverage rows
    enterprises: int  # registry entries to insert
    items_per_contract: int = 2

    @classmethod
    def contracts_and_items(cls, rows: int) -> Plan:
        """The issue's CLI workbook: a quarter of the rows contracts, three items each."""
        contracts = rows // 4
        return cls(4 * contracts, contracts, 3 * contracts, 0, 0, contracts, 3)

    @classmethod
    def for_rows(cls, rows: int) -> Plan:
        if rows < 40:
            raise SystemExit("--rows must be at least 40")
        contracts = rows // 4
        coverage = rows - 3 * contracts
        industry = -(-coverage // COVERAGE_PER_CONTRACT)
        enterprise_contracts = contracts - industry
        # every county needs enough enterprises to cover an industry contract
        enterprises = max(enterprise_contracts, 10 * COVERAGE_PER_CONTRACT)
        return cls(rows, contracts, 2 * contracts, coverage, industry, enterprises)


@dataclass(frozen=True)
class Ent:
    uscc: str
    name: str
    county_code: str
    industry: str


def uscc_for(index: int, division: str) -> str:
    body = ""
    n = index
    for _ in range(9):
        body = ALPHABET[n % 31] + body
        n //= 31
    return make_uscc(f"91{division}{body}")


def plan_enterprises(plan: Plan, counties: list[tuple[str, str]]) -> list[Ent]:
    """``counties``: (code, division) of the ten counties, spread round-robin."""
    ents = []
    for i in range(plan.enterprises):
        code, division = counties[i % len(counties)]
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        ents.append(
            Ent(uscc_for(i + 1, division), f"基准测试{code}企业{i + 1:06d}有限公司", code, industry)
        )
    return ents


def build_workbook(plan: Plan, ents: list[Ent]) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    contracts = wb.create_sheet(CONTRACTS.name)
    items = wb.create_sheet(ITEMS.name)
    coverage = wb.create_sheet(COVERAGE.name)
    contracts.append([c.header for c in CONTRACTS.columns])
    items.append([c.header for c in ITEMS.columns])
    coverage.append([c.header for c in COVERAGE.columns])

    by_county: dict[str, list[Ent]] = {}
    for ent in ents:
        by_county.setdefault(ent.county_code, []).append(ent)
    county_codes = sorted(by_county)
    enterprise_contracts = plan.contracts - plan.industry_contracts
    coverage_left = plan.coverage
    base = date(2026, 1, 5)
    for i in range(plan.contracts):
        signed = base + timedelta(days=i % 300)
        effective = signed + timedelta(days=10)
        expires = effective.replace(year=effective.year + 3) - timedelta(days=1)
        wage_type = CONTRACT_TYPES[i % 2]
        if i < enterprise_contracts:
            ent = ents[i]
            number = f"BJ-{i + 1:07d}"
            level, uscc, name, county, industry = (
                "企业",
                ent.uscc,
                ent.name,
                ent.county_code,
                ent.industry,
            )
            covered: list[Ent] = []
        else:
            j = i - enterprise_contracts
            county = county_codes[j % len(county_codes)]
            pool = by_county[county]
            n_cov = min(COVERAGE_PER_CONTRACT, coverage_left)
            coverage_left -= n_cov
            start = (j // len(county_codes)) * COVERAGE_PER_CONTRACT
            covered = [pool[(start + k) % len(pool)] for k in range(n_cov)]
            industry = covered[0].industry if covered else INDUSTRIES[0]
            number = f"HY-{j + 1:07d}"
            level, uscc, name = "行业性", "", f"{county}{industry}行业工资专项集体合同{j + 1}"
        contracts.append(
            [
                number,
                wage_type,
                level,
                uscc,
                name,
                county,
                industry,
                signed,
                40 + i % 20,
                38 + i % 20,
                36 + i % 20,
                effective,
                expires,
                signed + timedelta(days=5),
                200 + i % 900,
                2600 + (i % 7) * 50,
                round(3 + (i % 40) / 10, 1),
                signed + timedelta(days=20) if i % 3 else None,
                "" if i % 5 else "基准测试备注",
                signed + timedelta(days=12),
            ]
        )
        codes = ITEM_PAIRS if plan.items_per_contract == 2 else ITEM_TRIPLES
        for code in codes[i % len(codes)]:
            items.append([number, code, f"{code} 条款摘要 {i + 1}"])
        for ent in covered:
            coverage.append([number, ent.uscc, ent.name])
    assert coverage_left == 0, "coverage rows not all placed"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- timing


class Split:
    """Times the stages of one process_filing_upload by wrapping the functions it looks up
    in ``bargaining.services`` (only in this process; nothing is changed on disk)."""

    STAGES = ("store_upload", "read_isolated", "validate_filings", "file_contracts")

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.marks: dict[str, float] = {}

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self.marks.setdefault(f"{name}:start", start)
            try:
                return fn(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self.marks[f"{name}:end"] = end
                self.spent[name] = self.spent.get(name, 0.0) + end - start

        return timed

    @contextmanager
    def installed(self) -> Iterator[Split]:
        originals = {n: getattr(services, n) for n in self.STAGES if hasattr(services, n)}
        for name, fn in originals.items():
            setattr(services, name, self._wrap(name, fn))
        # run_upload imported store_upload by name
        import bargaining.uploads as uploads

        had_store = hasattr(uploads, "store_upload")
        if had_store:
            uploads.store_upload = services.store_upload
        try:
            yield self
        finally:
            for name, fn in originals.items():
                setattr(services, name, fn)
            if had_store and "store_upload" in originals:
                uploads.store_upload = originals["store_upload"]

    def between(self, a: str, b: str) -> float | None:
        if a in self.marks and b in self.marks:
            return self.marks[b] - self.marks[a]
        return None


@dataclass
class RunResult:
    backend: str
    rows: int
    total: float
    stages: dict[str, float | None] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    filed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    upload: dict[str, Any] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)
    floor: float | None = None  # bare insert of the same rows

    @property
    def rate(self) -> float:
        return self.rows / self.total


# ----------------------------------------------------------------------------- databases


def prepare_database(plan: Plan, data_size: int) -> User:
    """Schema, reference data, raised upload limits, an admin, the registry (in the app ctx)."""
    upgrade(db.engine)
    seed_reference_data()
    seed_settings()
    db.session.flush()
    biggest_sheet = max(plan.contracts, plan.items, plan.coverage)
    limits = {
        "upload_max_rows": max(50_000, biggest_sheet + 100),
        "upload_max_mb": max(20, data_size // (1024 * 1024) + 2),
    }
    for key, value in limits.items():
        setting = db.session.get(Setting, key)
        assert setting is not None
        setting.value = value
    admin = User(
        username=f"bench-admin-{uuid.uuid4().hex[:6]}",
        display_name="bench admin",
        password_hash=hash_password("bench-password-1"),
        role=Role.ADMIN.value,
    )
    db.session.add(admin)
    db.session.commit()
    return admin


def insert_enterprises(ents: list[Ent]) -> None:
    ids = dict(db.session.execute(select(County.code, County.id)).all())
    now = utcnow()
    rows = [
        {
            "uscc": e.uscc,
            "name": e.name,
            "county_id": ids[e.county_code],
            "industry": e.industry,
            "has_union": True,
            "above_scale": True,
            "employees": 300,
            "updated_at": now,
        }
        for e in ents
    ]
    table = Enterprise.__table__
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(table), rows[start : start + 5_000])
    db.session.commit()


FILED_TABLES = (
    "contract",
    "contract_version",
    "contract_item",
    "contract_coverage",
    "contract_flag",
    "audit_log",
)


def filed_rows(before: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """What the import wrote: the rows of each filed table past the ids seen before it."""
    tables = Base.metadata.tables
    rows = {}
    for name in FILED_TABLES:
        table = tables[name]
        stmt = select(table).where(table.c.id > before[name]).order_by(table.c.id)
        rows[name] = [dict(r._mapping) for r in db.session.execute(stmt)]
    return rows


def max_ids() -> dict[str, int]:
    tables = Base.metadata.tables
    return {
        name: db.session.scalar(select(func.coalesce(func.max(tables[name].c.id), 0))) or 0
        for name in FILED_TABLES
    }


def bare_insert(
    rows: dict[str, list[dict[str, Any]]], upload: dict[str, Any], stored: dict[str, Any]
) -> float:
    """Seconds to write the same rows with nothing but the database's own bulk path: a Core
    executemany per table on SQLite, COPY per table on PostgreSQL (the contracts' pointer to
    their current version left empty, which spares the floor the one cycle between tables)."""
    tables = Base.metadata.tables
    db.session.execute(insert(tables["stored_file"]), [stored])
    db.session.execute(insert(tables["upload"]), [upload])
    db.session.commit()
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    start = time.perf_counter()
    for name in FILED_TABLES:
        table = tables[name]
        batch = rows[name]
        if name == "contract":
            batch = [{**r, "current_version_id": None} for r in batch]
        if not batch:
            continue
        if postgres:
            columns = list(batch[0])
            cursor = connection.connection.driver_connection.cursor()
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
                for r in batch:
                    copy.write_row(
                        [
                            json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                            for v in r.values()
                        ]
                    )
        else:
            connection.execute(insert(table), batch)
    db.session.commit()
    return time.perf_counter() - start


def floor_of(
    url_factory: Any,
    plan: Plan,
    ents: list[Ent],
    data: bytes,
    rows: dict[str, list[dict[str, Any]]],
    upload: dict[str, Any],
    stored: dict[str, Any],
) -> float:
    with url_factory() as url:
        app = create_app({"DATABASE_URL": url, "TESTING": True, "PASSWORD_HASH_FAST": True})
        try:
            with app.app_context():
                prepare_database(plan, len(data))
                insert_enterprises(ents)
                return bare_insert(rows, upload, stored)
        finally:
            db.session.remove()
            if db.engine is not None:
                db.engine.dispose()


def run_one(
    backend: str, url: str, plan: Plan, ents: list[Ent], data: bytes, profile: bool
) -> RunResult:
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PASSWORD_HASH_FAST": True})
    try:
        with app.app_context():
            admin = prepare_database(plan, len(data))
            insert_enterprises(ents)
            db.session.expire_all()
            before = max_ids()
            split = Split()
            profiler = cProfile.Profile() if profile else None
            with split.installed():
                start = time.perf_counter()
                if profiler:
                    profiler.enable()
                outcome = run_upload(admin, services.KIND_FILINGS, "bench.xlsx", data, TODAY)
                if profiler:
                    profiler.disable()
                total = time.perf_counter() - start
            if outcome.status != "imported":
                print(f"[{backend}] upload {outcome.status}: {outcome.message}", file=sys.stderr)
                for error in outcome.errors[:20]:
                    print("   ", error.cli_line(), file=sys.stderr)
                raise SystemExit(1)
            if profiler:
                print_profile(backend, profiler)
            end = start + total
            stages: dict[str, float | None] = {
                "store": split.spent.get("store_upload"),
                "read": split.spent.get("read_isolated"),
                "prepare": split.between("read_isolated:end", "validate_filings:start"),
                "validate": split.spent.get("validate_filings"),
                "insert": split.spent.get("file_contracts"),
            }
            if "file_contracts:end" in split.marks:
                stages["commit"] = end - split.marks["file_contracts:end"]
            # store_upload, then the first commit (the original file kept) up to the read
            stages["store"] = split.between("store_upload:start", "read_isolated:start")
            result = RunResult(backend, plan.rows, total, stages, dict(outcome.upload.counts))
            result.filed = filed_rows(before)
            tables = Base.metadata.tables
            uploads = tables["upload"]
            upload = db.session.execute(select(uploads).where(uploads.c.id == outcome.upload.id))
            result.upload = dict(upload.one()._mapping)
            stored = tables["stored_file"]
            kept = db.session.execute(
                select(stored).where(stored.c.sha256 == result.upload["sha256"])
            )
            result.stored = dict(kept.one()._mapping)
            return result
    finally:
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def run_sqlite(plan: Plan, ents: list[Ent], data: bytes, profile: bool) -> RunResult:
    with sqlite_database("bench_import") as url:
        run = run_one("SQLite", url, plan, ents, data, profile)
    factory = lambda: sqlite_database("bench_floor")  # noqa: E731
    run.floor = floor_of(factory, plan, ents, data, run.filed, run.upload, run.stored)
    run.filed = {}
    return run


def run_postgres(pg_url: str, plan: Plan, ents: list[Ent], data: bytes, profile: bool) -> RunResult:
    with postgres_database(pg_url, "bench_import") as url:
        run = run_one("PostgreSQL", url, plan, ents, data, profile)
    factory = lambda: postgres_database(pg_url, "bench_floor")  # noqa: E731
    run.floor = floor_of(factory, plan, ents, data, run.filed, run.upload, run.stored)
    run.filed = {}
    return run


# ----------------------------------------------------------------------------- the CLI


@dataclass
class CliRun:
    backend: str
    seconds: float
    rss_mb: float
    start_seconds: float  # the same command on a missing file: process start and app load
    cpu_seconds: float = float("nan")  # user + system of the command and its parse child


def run_cli(backend: str, url: str, plan: Plan, ents: list[Ent], data: bytes) -> CliRun:
    """`flask import-filings FILE --as ADMIN` in a fresh process, timed from the outside."""
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PASSWORD_HASH_FAST": True})
    with app.app_context():
        admin = prepare_database(plan, len(data)).username
        insert_enterprises(ents)
    db.session.remove()
    db.engine.dispose()
    folder = Path(tempfile.mkdtemp(prefix="bench_cli_"))
    path = folder / "filings.xlsx"
    path.write_bytes(data)
    env = dict(os.environ, FLASK_APP="app", DATABASE_URL=url)
    python = str(ROOT / ".venv" / "bin" / "python")
    if not Path(python).exists():
        python = sys.executable

    # GNU time reports the command's own peak RSS (a child forked from this big process
    # would report this process's size as its peak)
    gnu_time = shutil.which("time") or "/usr/bin/time"
    wrap = [gnu_time, "-f", "PEAK_RSS_KB %M CPU_S %U %S"] if Path(gnu_time).exists() else []

    def flask(file: Path) -> tuple[float, int, float, float]:
        start = time.perf_counter()
        done = subprocess.run(
            [*wrap, python, "-m", "flask", "import-filings", str(file), "--as", admin],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        spent = time.perf_counter() - start
        peak = [x for x in done.stderr.splitlines() if x.startswith("PEAK_RSS_KB")]
        rss = int(peak[-1].split()[1]) / 1024 if peak else float("nan")
        cpu = float(peak[-1].split()[3]) + float(peak[-1].split()[4]) if peak else float("nan")
        return spent, done.returncode, rss, cpu

    start_s = min(flask(folder / "missing.xlsx")[0] for _ in range(3))
    seconds, code, rss, cpu = flask(path)
    shutil.rmtree(folder, ignore_errors=True)
    if code != 0:
        raise SystemExit(f"[{backend}] flask import-filings exited {code}")
    return CliRun(backend, seconds, rss, start_s, cpu)


def cli_runs(args: argparse.Namespace) -> int:
    for rows in args.cli_rows:
        cli_run_size(args, rows)
    return 0


def cli_run_size(args: argparse.Namespace, rows: int) -> None:
    plan = Plan.contracts_and_items(rows)
    counties = [(code, division) for code, _n, _p, _t, division, _c in COUNTIES]
    ents = plan_enterprises(plan, counties)
    data = build_workbook(plan, ents)
    # side by side on a shared machine: an openpyxl read before every CLI run and after the
    # last, the backends alternating; each run is compared with the mean of the reads on
    # either side of it, and the medians of those ratios are reported
    factories = [("SQLite", lambda: sqlite_database("bench_cli"))]
    if not args.skip_pg:
        factories.append(("PostgreSQL", lambda: postgres_database(args.pg_url, "bench_cli")))
    reads: list[tuple[float, float]] = []  # (wall, CPU) of each openpyxl read
    order: list[tuple[str, CliRun]] = []
    for _ in range(args.cli_repeats):
        for name, factory in factories:
            reads.append(openpyxl_read_cpu(data, plan.rows))
            with factory() as url:
                order.append((name, run_cli(name, url, plan, ents, data)))
    reads.append(openpyxl_read_cpu(data, plan.rows))
    ratios: dict[str, list[float]] = {name: [] for name, _ in factories}
    cpu_ratios: dict[str, list[float]] = {name: [] for name, _ in factories}
    tried: dict[str, list[CliRun]] = {name: [] for name, _ in factories}
    for i, (name, run) in enumerate(order):
        base_wall = (reads[i][0] + reads[i + 1][0]) / 2
        base_cpu = (reads[i][1] + reads[i + 1][1]) / 2
        ratios[name].append(base_wall / run.seconds)
        cpu_ratios[name].append(base_cpu / run.cpu_seconds)
        tried[name].append(run)
    walls = [w for w, _ in reads]
    print(
        f"\nflask import-filings, {plan.rows:,} rows (合同 {plan.contracts:,} · 协商事项"
        f" {plan.items:,}), {len(data) / 1048576:.1f} MB; {args.cli_repeats} runs per backend,"
        f" alternating; openpyxl-only read in process before, between and after them:"
        f" {min(walls):.2f}–{max(walls):.2f} s (median {statistics.median(walls):.2f} s,"
        f" CPU {statistics.median(c for _, c in reads):.2f} s)"
    )
    print(
        f"{'backend':<11}{'median s':>9}{'rows/s':>9}{'start s':>9}{'vs openpyxl':>13}"
        f"{'CPU s':>8}{'CPU vs openpyxl':>17}{'RSS MB':>9}"
    )
    medians: dict[str, float] = {}
    for name, runs in tried.items():
        seconds = statistics.median(r.seconds for r in runs)
        medians[name] = seconds
        print(
            f"{name:<11}{seconds:9.2f}{plan.rows / seconds:9,.0f}"
            f"{statistics.median(r.start_seconds for r in runs):9.2f}"
            f"{statistics.median(ratios[name]):12.2f}x"
            f"{statistics.median(r.cpu_seconds for r in runs):8.2f}"
            f"{statistics.median(cpu_ratios[name]):16.2f}x"
            f"{max(r.rss_mb for r in runs):9.0f}"
        )
    print(
        "(each ratio: the openpyxl read on either side of the run / the run, median over the"
        " runs; CPU = user + system of the command and its parse child, not PostgreSQL's)"
    )
    for name in tried:
        ratio = statistics.median(ratios[name])
        verdict = "MET" if ratio >= GOAL_CLI_VS_OPENPYXL else "MISSED"
        each = ", ".join(f"{r:.2f}" for r in ratios[name])
        print(
            f"{name}: CLI end to end {ratio:.2f}x an openpyxl read (goal >="
            f" {GOAL_CLI_VS_OPENPYXL}x, process start included; runs: {each}) {verdict}"
        )
    if len(tried) == 2:
        sqlite_runs, pg_runs = tried["SQLite"], tried["PostgreSQL"]
        pairs = [p.seconds / s.seconds for s, p in zip(sqlite_runs, pg_runs, strict=True)]
        ratio = statistics.median(pairs)
        verdict = "MET" if ratio <= 1 else "MISSED"
        each = ", ".join(f"{r:.2f}" for r in pairs)
        print(
            f"PostgreSQL / SQLite end to end: {ratio:.2f} (goal <= 1.00; runs side by side:"
            f" {each}) {verdict}"
        )
    for name, runs in tried.items():
        rss = max(r.rss_mb for r in runs)
        verdict = "MET" if rss < GOAL_RSS_MB else "MISSED"
        print(f"{name}: CLI peak RSS {rss:.0f} MB (goal < {GOAL_RSS_MB} MB) {verdict}")


# ----------------------------------------------------------------------------- baseline


def openpyxl_read_cpu(data: bytes, rows: int) -> tuple[float, float]:
    """(wall, CPU) seconds of :func:`openpyxl_read`."""
    cpu = time.process_time()
    wall, seen = openpyxl_read(data)
    assert seen == rows, (seen, rows)
    return wall, time.process_time() - cpu


def openpyxl_read(data: bytes) -> tuple[float, int]:
    """Seconds to read every row of every sheet into tuples, and the data rows seen."""
    start = time.perf_counter()
    wb = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
    rows = 0
    sheets: dict[str, list[tuple[Any, ...]]] = {}
    for ws in wb.worksheets:
        grid = [tuple(row) for row in ws.iter_rows(values_only=True)]
        sheets[ws.title] = grid
        rows += max(len(grid) - 1, 0)  # minus the header row
    wb.close()
    return time.perf_counter() - start, rows


# ----------------------------------------------------------------------------- output


def print_profile(backend: str, profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(25)
        print(f"\n--- cProfile of run_upload on {backend}, by {order} ---")
        print(out.getvalue())


def fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:8.2f}"


def report(
    plan: Plan,
    size: int,
    build_s: float,
    base_s: float,
    base_rows: int,
    runs: list[RunResult],
    profiled: bool,
) -> None:
    base_rate = base_rows / base_s
    print()
    if profiled:
        print("NOTE: run under cProfile — the end-to-end figures include the profiler's overhead")
    print(
        f"workbook: {plan.rows:,} data rows (合同 {plan.contracts:,} · 协商事项 {plan.items:,}"
        f" · 覆盖企业 {plan.coverage:,}), {size / 1048576:.1f} MB, built in {build_s:.1f} s;"
        f" {plan.enterprises:,} registry enterprises"
    )
    print(f"openpyxl-only read (read_only, data_only): {base_s:.2f} s = {base_rate:,.0f} rows/s")
    print()
    stages = ("store", "read", "prepare", "validate", "insert", "commit")
    header = f"{'backend':<11}{'total s':>9}{'rows/s':>10}{'vs openpyxl':>13}" + "".join(
        f"{s + ' s':>11}" for s in stages
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        ratio = run.rate / base_rate
        print(
            f"{run.backend:<11}{run.total:9.2f}{run.rate:10,.0f}{ratio:12.2f}x"
            + "".join(f"{fmt_s(run.stages.get(s)):>11}" for s in stages)
        )
    print(
        "stages: store = store_upload + first commit; read = read_isolated (child process);"
        " prepare = catalogue, counties and registry look-ups;\n        validate = validate_filings; insert ="
        " file_contracts; commit = final flush + commit"
    )
    print()
    for run in runs:
        insert_s = run.stages.get("insert")
        if run.floor and insert_s:
            ratio = insert_s / run.floor
            bare = "COPY" if run.backend == "PostgreSQL" else "Core executemany"
            verdict = "MET" if ratio <= GOAL_INSERT_VS_FLOOR else "MISSED"
            print(
                f"{run.backend}: insert {insert_s:.2f} s = {ratio:.2f}x a bare {bare} of the same"
                f" rows ({run.floor:.2f} s; goal <= {GOAL_INSERT_VS_FLOOR}x) {verdict}"
            )
    for run in runs:
        ok_rate = run.rate >= GOAL_ROWS_PER_S
        ok_ratio = run.rate / base_rate >= GOAL_VS_OPENPYXL
        print(
            f"{run.backend}: goal >= {GOAL_ROWS_PER_S:,} rows/s {'MET' if ok_rate else 'MISSED'};"
            f" goal >= {GOAL_VS_OPENPYXL}x openpyxl {'MET' if ok_ratio else 'MISSED'};"
            f" imported {run.counts}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows in all sheets")
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server for the fresh database")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of run_upload")
    parser.add_argument(
        "--cli-rows",
        type=int,
        nargs="*",
        default=[48_000],
        help="rows of the workbooks imported through `flask import-filings` (a cost curve"
        " with several, e.g. 10000 48000 100000; none to skip)",
    )
    parser.add_argument("--cli-only", action="store_true", help="only the CLI runs")
    parser.add_argument(
        "--cli-repeats", type=int, default=3, help="CLI runs per backend (the median is kept)"
    )
    args = parser.parse_args(argv)
    if args.cli_only:
        return cli_runs(args)

    plan = Plan.for_rows(args.rows)
    counties = [(code, division) for code, _n, _p, _t, division, _c in COUNTIES]
    ents = plan_enterprises(plan, counties)
    start = time.perf_counter()
    data = build_workbook(plan, ents)
    build_s = time.perf_counter() - start
    print(f"built a {len(data) / 1048576:.1f} MB workbook of {plan.rows:,} rows", flush=True)

    # best of two: the first read also pays openpyxl's one-off warm-up
    base_s, base_rows = min(openpyxl_read(data) for _ in range(2))
    assert base_rows == plan.rows, (base_rows, plan.rows)
    print(f"openpyxl-only read: {base_s:.2f} s", flush=True)

    runs = [run_sqlite(plan, ents, data, args.profile)]
    print(f"SQLite end to end: {runs[-1].total:.2f} s", flush=True)
    if not args.skip_pg:
        runs.append(run_postgres(args.pg_url, plan, ents, data, args.profile))
        print(f"PostgreSQL end to end: {runs[-1].total:.2f} s", flush=True)
    report(plan, len(data), build_s, base_s, base_rows, runs, args.profile)
    return cli_runs(args)


if __name__ == "__main__":
    sys.exit(main())
