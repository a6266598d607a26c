"""Dashboard benchmark: the city dashboard over a 100,000-enterprise city, in process and over HTTP.

    .venv/bin/python bench/dashboard_bench.py [--enterprises 100000] [--contracts 300000]
        [--items 1000000] [--rounds 12] [--skip-pg] [--skip-http] [--profile]

Builds a city straight into a fresh database (SQLite on a temporary file, then PostgreSQL
on ``bench_dash_<random>``, dropped afterwards):

* ``--enterprises`` registry entries with valid USCCs, round-robin over the ten counties,
  ~90 % unionized and above scale (eligible for the 2027 target);
* ``--contracts`` contracts, one version each (``contract.current_version_id`` set), ~95 %
  enterprise-level (about three per enterprise), the rest industry-level (行业性) covering
  3-12 enterprises of their county (``contract_coverage``); signed over the last 3.5 years,
  so ~15 % have expired;
* ``--items`` ``contract_item`` rows, 1-24 per version: baseline W01-W03 first, then
  expansion codes (bargaining.reference.EXPANSION_ITEMS) drawn with a skew;
* the monthly 30 % sample drawn for the last ``--rounds`` months (audits.rounds.draw_round,
  3 inspectors per county) and the monthly target snapshots back-filled since 2025-02-01
  (reports.services.backfill_snapshots), so every dashboard panel has data.

Then, for the day the dashboard shows by default (today, Asia/Shanghai), times in process:
``reports.queries.county_targets`` cold (the register cache emptied, so it loads the
register) and warm; ``reports.dashboard.city_dashboard`` warm and its parts; ``flask targets
--json`` in process (cold) and as a fresh ``flask`` process; GET /dashboard and GET /login
through Flask's test client. Finally it serves the app with gunicorn (2 sync workers on
127.0.0.1, a free port) and loads GET /dashboard, logged in as a city user through /login
with the CSRF token, and the bare GET /login page (same session cookie) with the same
closed-loop load: ``--connections`` concurrent connections for ``--duration`` seconds, at
most ``--max-requests`` requests (wrk when installed, else a Python http.client load
generator; ``--load`` chooses). wrk always runs the full ``--duration``, so a page "ended by
count" there has its req/s understated. The Python generator shares the CPU with the server
(on 2 cores it caps the bare page at a few hundred req/s); prefer wrk for the ratio.

Goals (issue): dashboard p95 < 300 ms; dashboard throughput >= 50 % of the bare page.

Issue 18: the first dashboard request after a change of the register <= 0.5 s. A change is
one enterprise's registry entry edited (its ``updated_at`` moves, so the register stamp
changes, as after any import). Timed twice, side by side, in process (test client) and over
HTTP (the gunicorn workers warm before the change): once after the job process's
``register_figures`` job ran (reports.jobs.figures_job, as the scheduler does within
``FIGURES_EVERY_S`` of a change), and once before it ran (the figures aggregated live, which
is what every first request paid before). The ratio printed is the refreshed time against
the goal.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from fresh_db import postgres_database, sqlite_database  # noqa: E402

from app import create_app  # noqa: E402
from audits import rounds  # noqa: E402
from bargaining.filing import public_id  # noqa: E402
from bargaining.models import (  # noqa: E402
    CONTRACT_TYPES,
    LEVEL_ENTERPRISE,
    LEVEL_INDUSTRY,
    Contract,
    ContractCoverage,
    ContractItem,
    ContractVersion,
    County,
    Enterprise,
)
from bargaining.reference import (  # noqa: E402
    BASELINE_ITEMS,
    COUNTIES,
    EXPANSION_ITEMS,
    seed_reference_data,
)
from bargaining.uscc import ALPHABET, make_uscc  # noqa: E402
from core.auth import hash_password  # noqa: E402
from core.bulk import bulk_insert, chunks  # noqa: E402
from core.clock import LOCAL_TZ, local_today  # noqa: E402
from core.db import db  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.models import Role, User  # noqa: E402
from core.settings import seed_settings  # noqa: E402
from reports import api_fields, queries  # noqa: E402
from reports.dashboard import city_dashboard  # noqa: E402
from reports.jobs import figures_job  # noqa: E402
from reports.models import CountySnapshot  # noqa: E402
from reports.services import backfill_snapshots  # noqa: E402

GOAL_P95_MS = 300.0
GOAL_RATIO = 0.5
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHUNK = 50_000
INDUSTRY_SHARE = 0.05  # of the contracts
ELIGIBLE_SHARE = 0.90
INDUSTRIES = ("五金制造", "纺织服装", "电子信息", "食品加工", "物流运输", "建筑建材")
CITY_USER = "bench-city"
PASSWORD = "Bench-password-2026!"
INSPECTORS_PER_COUNTY = 3
WORKERS = 2


# ----------------------------------------------------------------------------- the city


@dataclass
class Built:
    enterprises: int = 0
    contracts: int = 0
    industry_contracts: int = 0
    versions: int = 0
    items: int = 0
    coverage: int = 0
    rounds: int = 0
    snapshots: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def uscc_for(index: int, division: str) -> str:
    body = ""
    n = index
    for _ in range(9):
        body = ALPHABET[n % 31] + body
        n //= 31
    return make_uscc(f"91{division}{body}")


def item_sizes(versions: int, items: int, rng: random.Random) -> list[int]:
    """Items per version: exactly ``items`` in all, varied around the mean, 0/1..24 each."""
    most = len(BASELINE_ITEMS) + len(EXPANSION_ITEMS)
    if items > versions * most:
        raise SystemExit(f"--items must be at most {most} per contract ({versions * most:,})")
    base, extra = divmod(items, versions)
    sizes = [base + (1 if i < extra else 0) for i in range(versions)]
    rng.shuffle(sizes)
    low = 1 if base >= 1 else 0
    for i in range(0, versions - 1, 2):
        d = rng.randint(-2, 2)
        a, b = sizes[i] + d, sizes[i + 1] - d
        if low <= a <= most and low <= b <= most:
            sizes[i], sizes[i + 1] = a, b
    assert sum(sizes) == items
    return sizes


class ItemCodes:
    """The codes of one version: baseline first, then distinct expansion codes drawn with a
    skew (W04, S01, A01… common; F01 rare), from pre-drawn samples per size."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.baseline = [c for c, _ in BASELINE_ITEMS]
        self.expansion = [c for c, _ in EXPANSION_ITEMS]
        self.weights = [1 / (k + 1) for k in range(len(self.expansion))]
        self.samples: dict[int, list[list[str]]] = {}

    def _sample(self, n: int) -> list[str]:
        if n not in self.samples:
            pool = []
            for _ in range(512):
                keys = [self.rng.random() ** (1 / w) for w in self.weights]  # Efraimidis-Spirakis
                order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
                pool.append([self.expansion[k] for k in order[:n]])
            self.samples[n] = pool
        return self.samples[n][self.rng.randrange(512)]

    def __call__(self, n: int) -> list[str]:
        n_base = min(n, self.rng.choice((1, 2, 3, 3, 3)))
        n_exp = min(n - n_base, len(self.expansion))
        n_base = n - n_exp
        return self.baseline[:n_base] + (self._sample(n_exp) if n_exp else [])


def insert_rows(table: Any, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows, CHUNK):
        bulk_insert(db.session, table, list(part))


def build_city(n_ent: int, n_con: int, n_items: int, n_rounds: int, day: date) -> Built:
    built = Built()
    rng = random.Random(20261125)
    dialect = db.session.connection().dialect.name
    counties = {code: cid for cid, code in db.session.execute(select(County.id, County.code))}
    order = [(code, division) for code, _n, _p, _t, division, _c in COUNTIES]
    now = datetime.now(UTC)

    # enterprises
    start = time.perf_counter()
    ent_county: list[int] = [0]  # index = enterprise id
    pools: dict[int, list[int]] = {cid: [] for cid in counties.values()}
    rows: list[dict[str, Any]] = []
    for i in range(n_ent):
        eid = i + 1
        code, division = order[i % len(order)]
        cid = counties[code]
        ent_county.append(cid)
        pools[cid].append(eid)
        if rng.random() < ELIGIBLE_SHARE:
            has_union, above = True, True
        else:
            has_union, above = rng.choice(((True, False), (False, True), (False, False)))
        rows.append(
            {
                "id": eid,
                "uscc": uscc_for(eid, division),
                "name": f"看板基准{code}企业{eid:06d}有限公司",
                "county_id": cid,
                "industry": INDUSTRIES[i % len(INDUSTRIES)],
                "has_union": has_union,
                "above_scale": above,
                "employees": rng.randint(50, 3000),
                "updated_at": now,
                "upload_id": None,
            }
        )
        if len(rows) == CHUNK:
            insert_rows(Enterprise.__table__, rows)
            rows = []
    insert_rows(Enterprise.__table__, rows)
    built.enterprises = n_ent
    built.seconds["enterprises"] = time.perf_counter() - start

    # contracts, versions, coverage, items (one version per contract: version id = contract id)
    start = time.perf_counter()
    n_industry = min(max(1, round(n_con * INDUSTRY_SHARE)), n_con - 1) if n_con > 1 else 0
    n_enterprise_level = n_con - n_industry
    sizes = item_sizes(n_con, n_items, rng)
    codes_of = ItemCodes(rng)
    county_ids = sorted(pools)
    contracts: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    coverage: list[dict[str, Any]] = []
    item_id = coverage_id = 0

    def flush() -> None:
        nonlocal contracts, versions, items, coverage
        insert_rows(Contract.__table__, contracts)
        insert_rows(ContractVersion.__table__, versions)
        insert_rows(ContractItem.__table__, items)
        insert_rows(ContractCoverage.__table__, coverage)
        contracts, versions, items, coverage = [], [], [], []

    for j in range(n_con):
        vid = cid_ = j + 1
        if j < n_enterprise_level:
            eid: int | None = j % n_ent + 1
            round_no = j // n_ent
            county_id = ent_county[eid]
            level, scope, number = LEVEL_ENTERPRISE, f"E{eid}", f"QY-{round_no + 1:03d}"
            ctype = CONTRACT_TYPES[round_no % len(CONTRACT_TYPES)]
            name = f"看板基准企业{eid:06d}{ctype}"
            industry = INDUSTRIES[(eid - 1) % len(INDUSTRIES)]
        else:
            k = j - n_enterprise_level
            eid = None
            county_id = county_ids[k % len(county_ids)]
            pool = pools[county_id]
            industry = INDUSTRIES[k % len(INDUSTRIES)]
            level, scope, number = LEVEL_INDUSTRY, f"C{county_id}", f"HY-{k + 1:06d}"
            ctype = "工资专项集体合同"
            name = f"{industry}行业工资专项集体合同{k + 1}"
            for covered in rng.sample(pool, min(len(pool), rng.randint(3, 12))):
                coverage_id += 1
                coverage.append({"id": coverage_id, "version_id": vid, "enterprise_id": covered})
        signed = day - timedelta(days=rng.randint(20, 1300))
        effective = signed + timedelta(days=10)
        filed = signed + timedelta(days=12)
        created = datetime.combine(filed, dtime(10, 0), LOCAL_TZ).astimezone(UTC)
        contracts.append(
            {
                "id": cid_,
                "number": number,
                "scope_key": scope,
                "level": level,
                "county_id": county_id,
                "enterprise_id": eid,
                "current_version_id": None,  # set below, once the versions exist
                "version_count": 1,
                "created_at": created,
            }
        )
        versions.append(
            {
                "id": vid,
                "public_id": public_id(cid_, 1),
                "contract_id": cid_,
                "version_no": 1,
                "county_id": county_id,
                "upload_id": None,
                "filed_by_id": None,
                "sheet_row": None,
                "contract_type": ctype,
                "name": name,
                "industry": industry,
                "signed_on": signed,
                "delegates_total": 45,
                "delegates_present": 40,
                "votes_for": 38,
                "effective_on": effective,
                "expires_on": effective + timedelta(days=3 * 365 - 1),
                "submitted_on": signed + timedelta(days=5),
                "workers_covered": rng.randint(30, 2000),
                "lowest_wage": Decimal(2300 + 50 * rng.randint(0, 10)),
                "raise_pct": Decimal(rng.randint(20, 80)) / 10,
                "platform_entered_on": signed + timedelta(days=20) if rng.random() < 0.7 else None,
                "remarks": "",
                "filed_on": filed,
                "created_at": created,
            }
        )
        for code in codes_of(sizes[j]):
            item_id += 1
            items.append({"id": item_id, "version_id": vid, "item_code": code, "summary": ""})
        if len(contracts) == CHUNK:
            flush()
    flush()
    db.session.execute(text("UPDATE contract SET current_version_id = id"))  # vid == cid
    if dialect == "postgresql":
        for table, n in (
            ("enterprise", n_ent),
            ("contract", n_con),
            ("contract_version", n_con),
            ("contract_item", item_id),
            ("contract_coverage", coverage_id),
        ):
            if n:
                db.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": n}
                )
    built.contracts = built.versions = n_con
    built.industry_contracts = n_industry
    built.items, built.coverage = item_id, coverage_id
    built.seconds["contracts"] = time.perf_counter() - start

    # users: the city leader who reads the dashboard, inspectors for the sample's audits
    fast = hash_password(PASSWORD)
    db.session.add(
        User(username=CITY_USER, display_name="市总看板基准", password_hash=fast, role="city")
    )
    for code, cid in counties.items():
        for n in range(INSPECTORS_PER_COUNTY):
            db.session.add(
                User(
                    username=f"bench-insp-{code}-{n}",
                    display_name=f"指导员{code}{n}",
                    password_hash=fast,
                    role=Role.INSPECTOR.value,
                    county_id=cid,
                )
            )
    db.session.commit()

    # the monthly sample of the last months, drawn as the scheduler does
    start = time.perf_counter()
    month = rounds.Month.of(day)
    months = []
    for _ in range(n_rounds):
        month = rounds.Month.of(month.first - timedelta(days=1))
        months.append(month)
    for m in reversed(months):
        drawn_at = datetime.combine(m.next().first, dtime(2, 0), LOCAL_TZ).astimezone(UTC)
        rounds.draw_round(m, None, None, drawn_at)
        db.session.commit()
        built.rounds += 1
    built.seconds["sample rounds"] = time.perf_counter() - start

    # monthly target snapshots since the plan start (the trend charts and projections)
    start = time.perf_counter()
    backfill_snapshots(day)
    db.session.commit()
    built.snapshots = db.session.scalar(select(func.count()).select_from(CountySnapshot)) or 0
    built.seconds["snapshots"] = time.perf_counter() - start

    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    return built


# ----------------------------------------------------------------------------- in process


@dataclass
class Timing:
    median_ms: float
    min_ms: float
    runs: int


def timed(fn: Callable[[], Any], repeats: int, budget_s: float = 20.0) -> Timing:
    spent = []
    deadline = time.perf_counter() + budget_s
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        spent.append((time.perf_counter() - start) * 1000)
        if time.perf_counter() > deadline:
            break
    return Timing(statistics.median(spent), min(spent), len(spent))


def clear_register_cache() -> None:
    with queries._lock:
        queries._cache.clear()


@dataclass
class InProcess:
    cold_targets_s: float = 0.0
    warm: dict[str, Timing] = field(default_factory=dict)
    cli_cold_s: float = 0.0
    cli_process_s: float = 0.0
    cli_matches: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    after_change_s: dict[str, float] = field(default_factory=dict)


def logged_in_client(app: Any) -> Any:
    client = app.test_client()
    user = db.session.scalars(select(User).where(User.username == CITY_USER)).one()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def in_process(app: Any, url: str, day: date, repeats: int) -> InProcess:
    result = InProcess()
    db.session.remove()
    clear_register_cache()
    start = time.perf_counter()
    expected = [api_fields.TARGET.dump(r) for r in queries.county_targets(day)]
    result.cold_targets_s = time.perf_counter() - start
    contracts = db.session.scalar(
        select(func.count(Contract.id)).where(Contract.current_version_id.is_not(None))
    )
    result.stats = {
        "eligible": sum(r["eligible"] for r in expected),
        "counted": sum(r["counted"] for r in expected),
        "register contracts": contracts,
    }

    def dashboard_parts() -> dict[str, Callable[[], Any]]:
        return {
            "county_targets (warm)": lambda: queries.county_targets(day),
            "city_dashboard (warm, with charts)": lambda: city_dashboard(day),
            "  register stamp query": queries._stamp,
            "  filing_kpis": lambda: queries.filing_kpis(day),
            "  sampling_kpis": lambda: queries.sampling_kpis(day),
            "  rectification_kpis": lambda: queries.rectification_kpis(day),
            "  interview_counts": lambda: queries.interview_counts(day),
            "  item_popularity": lambda: queries.item_popularity(day),
            "  snapshot_history + city_series": lambda: (
                queries.snapshot_history(day),
                queries.city_series(day),
            ),
        }

    for label, fn in dashboard_parts().items():
        result.warm[label] = timed(fn, repeats)
        db.session.remove()

    client = logged_in_client(app)
    path = f"/dashboard?date={day.isoformat()}"
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    result.stats["dashboard bytes"] = len(response.data)
    result.warm["test client GET /dashboard"] = timed(lambda: client.get(path), repeats)
    result.warm["test client GET /login"] = timed(lambda: client.get("/login"), repeats)
    for refreshed in (False, True):
        label = "refreshed" if refreshed else "live"
        result.after_change_s[label] = first_after_change(lambda: client.get(path), refreshed)

    # flask targets --json: in this process with an empty cache, and as a fresh process
    runner = app.test_cli_runner()
    clear_register_cache()
    db.session.remove()
    start = time.perf_counter()
    out = runner.invoke(args=["targets", "--json", "--date", day.isoformat()])
    result.cli_cold_s = time.perf_counter() - start
    assert out.exit_code == 0, out.output
    result.cli_matches = json.loads(out.output) == expected
    flask = Path(sys.executable).with_name("flask")
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app"}
    start = time.perf_counter()
    proc = subprocess.run(
        [str(flask), "--app", "app", "targets", "--json", "--date", day.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    result.cli_process_s = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    result.cli_matches = result.cli_matches and json.loads(proc.stdout) == expected
    db.session.remove()
    return result


def profile_dashboard(app: Any, day: date, requests: int = 5) -> None:
    client = logged_in_client(app)
    path = f"/dashboard?date={day.isoformat()}"
    client.get(path)  # warm: the register is cached
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(30)
        print(f"\n--- cProfile of {requests} warm GET /dashboard, by {order} ---")
        print(out.getvalue())


# ----------------------------------------------------------------------------- HTTP


@dataclass
class Load:
    page: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    errors: int
    bytes_per_response: int
    tool: str
    bounded_by: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[max(0, math.ceil(q * len(data)) - 1)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, cookie: str | None, timeout: float = 600) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def python_load(
    port: int, path: str, cookie: str, conns: int, duration: float, max_requests: int
) -> Load:
    """Closed loop: ``conns`` threads, each one request at a time (a new connection per
    request: gunicorn's sync workers close it), until ``duration`` or ``max_requests``."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    sizes: list[int] = []
    start = time.perf_counter()
    deadline = start + duration

    def worker() -> None:
        nonlocal issued, errors
        mine: list[float] = []
        while True:
            with lock:
                if issued >= max_requests or time.perf_counter() >= deadline:
                    break
                issued += 1
            t0 = time.perf_counter()
            try:
                status, body = http_get(port, path, cookie, timeout=120)
            except OSError:
                with lock:
                    errors += 1
                continue
            mine.append((time.perf_counter() - t0) * 1000)
            with lock:
                statuses[status] += 1
                if len(sizes) < 5:
                    sizes.append(len(body))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    bounded = "count" if issued >= max_requests else "time"
    return Load(
        path,
        len(latencies),
        seconds,
        latencies,
        statuses,
        errors,
        sizes[0] if sizes else 0,
        "python",
        bounded,
    )


WRK_SCRIPT = r"""
local limit = tonumber(os.getenv("BENCH_WRK_LIMIT") or "0")
local count = 0
function response(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %.1f %.1f %.1f %d %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency.max,
    summary.bytes, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_load(
    port: int, path: str, cookie: str, conns: int, duration: float, max_requests: int, tmp: Path
) -> Load:
    script = tmp / "bench.lua"
    script.write_text(WRK_SCRIPT)
    threads = min(2, conns)
    env = {**os.environ, "BENCH_WRK_LIMIT": str(math.ceil(max_requests / threads))}
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{int(duration)}s",
        "--timeout",
        "120s",
        "-s",
        str(script),
        "-H",
        f"Cookie: {cookie}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=duration + 300)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    n, dur_us, p50, p95, mx, nbytes, bad_status, errs = line.split()[1:]
    requests = int(n)
    # wrk keeps only a histogram: two synthetic points reproduce p50/p95 in Load.pct
    lat = [float(p50) / 1000] * 50 + [float(p95) / 1000] * 45 + [float(mx) / 1000] * 5
    return Load(
        path,
        requests,
        int(dur_us) / 1e6,
        lat,
        Counter(
            {200: requests - int(bad_status)} | ({0: int(bad_status)} if int(bad_status) else {})
        ),
        int(errs),
        int(nbytes) // max(requests, 1),
        "wrk",
        "count" if requests >= max_requests else "time",
    )


def login(port: int) -> str:
    """The session cookie of the city user, logged in through the form with its CSRF token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/login")
    response = conn.getresponse()
    body = response.read().decode("utf-8")
    conn.close()
    jar = SimpleCookie(response.headers.get("Set-Cookie", ""))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', body
    )
    assert token and "session" in jar, "no CSRF token or session cookie on /login"
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "username": CITY_USER, "password": PASSWORD}
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(
        "POST",
        "/login",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"session={jar['session'].value}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 302, f"login answered {response.status}"
    jar = SimpleCookie(response.headers.get("Set-Cookie", ""))
    return f"session={jar['session'].value}"


@dataclass
class Served:
    loads: list[Load]
    cold_first_ms: float
    worker_rss_mb: list[float]
    after_change_ms: dict[str, float] = field(default_factory=dict)


GOAL_AFTER_CHANGE_S = 0.5


def change_register() -> None:
    """Edit one enterprise of the registry (as an import would): the register stamp moves."""
    eid = db.session.scalar(select(func.min(Enterprise.id)))
    entry = db.session.get(Enterprise, eid)
    assert entry is not None
    entry.employees += 1
    entry.updated_at = datetime.now(UTC)
    db.session.commit()


def first_after_change(get: Callable[[], Any], refreshed: bool) -> float:
    """Seconds of the first dashboard request after a change, with or without the job's
    refresh of the register figures in between."""
    change_register()
    if refreshed:
        figures_job()
    db.session.remove()
    start = time.perf_counter()
    get()
    return time.perf_counter() - start


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn we started (its master, which stops its workers), then make sure."""
    workers = children(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the session we created for it
            proc.wait(timeout=10)
    if any(Path(f"/proc/{pid}").exists() for pid in workers):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group we started


def serve_and_load(url: str, args: argparse.Namespace, tmp: Path) -> Served:
    port = free_port()
    log = tmp / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": url, "FLASK_SECRET_KEY": secrets.token_urlsafe(48)}
    cmd = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-w",
        str(WORKERS),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "600",
        "--chdir",
        str(ROOT),
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
        "app:create_app()",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
            try:
                if http_get(port, "/login", None, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not ready: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        cookie = login(port)
        start = time.perf_counter()
        status, body = http_get(port, "/dashboard", cookie)
        cold_ms = (time.perf_counter() - start) * 1000
        assert status == 200 and "全市看板".encode() in body, status
        # warm every worker (each loads the register once) and the login page
        warm = python_load(port, "/dashboard", cookie, args.connections, 900, 4 * args.connections)
        assert warm.statuses.get(200) == warm.requests, warm.statuses
        python_load(port, "/login", cookie, args.connections, 30, 4 * args.connections)
        loads = []
        for path in ("/login", "/dashboard"):
            if args.load == "wrk":
                load = wrk_load(
                    port, path, cookie, args.connections, args.duration, args.max_requests, tmp
                )
            else:
                load = python_load(
                    port, path, cookie, args.connections, args.duration, args.max_requests
                )
            print(
                f"    {path}: {load.requests:,} requests in {load.seconds:.1f} s,"
                f" {load.rps:.1f}/s, p50 {load.pct(0.5):.0f} ms, p95 {load.pct(0.95):.0f} ms",
                flush=True,
            )
            loads.append(load)
        rss = [rss_mb(pid) for pid in children(proc.pid)]
        after = {}
        for refreshed in (False, True):
            label = "refreshed" if refreshed else "live"
            spent = first_after_change(lambda: http_get(port, "/dashboard", cookie), refreshed)
            after[label] = spent * 1000
        return Served(loads, cold_ms, rss, after)
    finally:
        stop(proc)


# ----------------------------------------------------------------------------- backends


@dataclass
class BackendResult:
    backend: str
    built: Built
    inproc: InProcess
    served: Served | None


def run_backend(backend: str, url: str, args: argparse.Namespace, day: date) -> BackendResult:
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PASSWORD_HASH_FAST": True})
    try:
        with app.app_context():
            upgrade(db.engine)
            seed_reference_data()
            seed_settings()
            db.session.commit()
            start = time.perf_counter()
            built = build_city(args.enterprises, args.contracts, args.items, args.rounds, day)
            print(
                f"[{backend}] built the city in {time.perf_counter() - start:.1f} s:"
                f" {built.enterprises:,} enterprises, {built.contracts:,} contracts"
                f" ({built.industry_contracts:,} industry-level, {built.coverage:,} coverage rows),"
                f" {built.items:,} items, {built.rounds} sample rounds, {built.snapshots} snapshots"
                f" ({', '.join(f'{k} {v:.1f} s' for k, v in built.seconds.items())})",
                flush=True,
            )
            inproc = in_process(app, url, day, args.repeats)
            print(
                f"[{backend}] county_targets cold {inproc.cold_targets_s:.2f} s;"
                f" city_dashboard warm"
                f" {inproc.warm['city_dashboard (warm, with charts)'].median_ms:.0f} ms",
                flush=True,
            )
            if args.profile:
                profile_dashboard(app, day)
            db.session.remove()
            served = None
            if not args.skip_http:
                print(f"[{backend}] serving with gunicorn ({WORKERS} workers)…", flush=True)
                with tempfile.TemporaryDirectory(prefix="bench_dash_http_") as tmp:
                    served = serve_and_load(url, args, Path(tmp))
            return BackendResult(backend, built, inproc, served)
    finally:
        db.session.remove()
        clear_register_cache()
        if db.engine is not None:
            db.engine.dispose()


def run_sqlite(args: argparse.Namespace, day: date) -> BackendResult:
    with sqlite_database("bench_dash") as url:
        return run_backend("SQLite", url, args, day)


def run_postgres(args: argparse.Namespace, day: date) -> BackendResult:
    with postgres_database(args.pg_url, "bench_dash") as url:
        return run_backend("PostgreSQL", url, args, day)


# ----------------------------------------------------------------------------- output


def table(title: str, rows: list[tuple[str, list[str]]], backends: list[str]) -> Iterator[str]:
    width = max(len(title), *(len(label) for label, _ in rows)) + 2
    yield f"{title:<{width}}" + "".join(f"{b:>14}" for b in backends)
    yield "-" * (width + 14 * len(backends))
    for label, cells in rows:
        yield f"{label:<{width}}" + "".join(f"{c:>14}" for c in cells)


def report(results: list[BackendResult], args: argparse.Namespace, day: date) -> bool:
    names = [r.backend for r in results]
    b = results[0].built
    print()
    print(
        f"city: {b.enterprises:,} enterprises · {b.contracts:,} contracts"
        f" ({b.industry_contracts:,} industry-level, {b.coverage:,} coverage rows)"
        f" · {b.items:,} contract items · {b.rounds} sample rounds · {b.snapshots} snapshots;"
        f" day {day.isoformat()}"
    )
    first = results[0].inproc.stats
    print(
        f"eligible {first['eligible']:,}, counted {first['counted']:,}"
        f" ({first['counted'] / max(first['eligible'], 1):.1%}); dashboard page"
        f" {first['dashboard bytes'] / 1024:.0f} KiB"
    )
    print()
    rows: list[tuple[str, list[str]]] = [
        (
            "county_targets cold (loads register) s",
            [f"{r.inproc.cold_targets_s:.2f}" for r in results],
        )
    ]
    for label in results[0].inproc.warm:
        rows.append((f"{label} ms", [f"{r.inproc.warm[label].median_ms:.1f}" for r in results]))
    rows.append(
        ("flask targets --json, in process cold s", [f"{r.inproc.cli_cold_s:.2f}" for r in results])
    )
    rows.append(
        ("flask targets --json, new process s", [f"{r.inproc.cli_process_s:.2f}" for r in results])
    )
    rows.append(
        (
            "targets JSON = county_targets",
            ["yes" if r.inproc.cli_matches else "NO" for r in results],
        )
    )
    for label in ("live", "refreshed"):
        rows.append(
            (
                f"first GET /dashboard after a change, figures {label} s",
                [f"{r.inproc.after_change_s[label]:.2f}" for r in results],
            )
        )
    for line in table("in process (warm = median of runs)", rows, names):
        print(line)
    print()
    for r in results:
        live, fresh = r.inproc.after_change_s["live"], r.inproc.after_change_s["refreshed"]
        verdict = "MET" if fresh <= GOAL_AFTER_CHANGE_S else "MISSED"
        print(
            f"{r.backend}: first dashboard request after a change {fresh:.2f} s in process"
            f" = {fresh / GOAL_AFTER_CHANGE_S:.2f}x the goal (<= {GOAL_AFTER_CHANGE_S} s,"
            f" figures refreshed by the job) {verdict}; aggregated live {live:.2f} s"
            f" ({live / fresh:.1f}x slower)"
        )

    ok = all(r.inproc.cli_matches for r in results)
    served = [r for r in results if r.served]
    if served:
        print()
        tool = served[0].served.loads[0].tool if served[0].served else ""
        print(
            f"HTTP: gunicorn {WORKERS} sync workers on 127.0.0.1, {tool} load generator,"
            f" {args.connections} connections, {args.duration:.0f} s or {args.max_requests:,}"
            " requests per page, logged in as the city user"
        )
        header = (
            f"{'backend':<11}{'page':<12}{'requests':>10}{'req/s':>9}{'p50 ms':>9}"
            f"{'p95 ms':>9}{'max ms':>9}{'non-200':>9}{'errors':>8}{'KiB':>7}{'ended by':>10}"
        )
        print(header)
        print("-" * len(header))
        for r in served:
            assert r.served is not None
            for load in r.served.loads:
                bad = sum(n for s, n in load.statuses.items() if s != 200)
                print(
                    f"{r.backend:<11}{load.page:<12}{load.requests:>10,}{load.rps:9.1f}"
                    f"{load.pct(0.5):9.1f}{load.pct(0.95):9.1f}{max(load.latencies_ms):9.1f}"
                    f"{bad:>9}{load.errors:>8}{load.bytes_per_response / 1024:7.0f}"
                    f"{load.bounded_by:>10}"
                )
        print()
        for r in served:
            assert r.served is not None
            bare, dash = r.served.loads
            ratio = dash.rps / bare.rps if bare.rps else 0.0
            p95 = dash.pct(0.95)
            met_p95, met_ratio = p95 < GOAL_P95_MS, ratio >= GOAL_RATIO
            ok = ok and all(
                lo.statuses.get(200, 0) == lo.requests and not lo.errors for lo in r.served.loads
            )
            print(
                f"{r.backend}: dashboard/bare throughput {ratio:.1%} (goal >= {GOAL_RATIO:.0%}):"
                f" {'MET' if met_ratio else 'MISSED'}; dashboard p95 {p95:.0f} ms"
                f" (goal < {GOAL_P95_MS:.0f} ms): {'MET' if met_p95 else 'MISSED'};"
                f" first (cold) dashboard request {r.served.cold_first_ms / 1000:.2f} s;"
                f" worker RSS {', '.join(f'{m:.0f}' for m in r.served.worker_rss_mb)} MB"
            )
            fresh = r.served.after_change_ms["refreshed"] / 1000
            live = r.served.after_change_ms["live"] / 1000
            verdict = "MET" if fresh <= GOAL_AFTER_CHANGE_S else "MISSED"
            print(
                f"{r.backend}: HTTP first dashboard request after a change {fresh:.2f} s"
                f" = {fresh / GOAL_AFTER_CHANGE_S:.2f}x the goal (<= {GOAL_AFTER_CHANGE_S} s,"
                f" figures refreshed by the job) {verdict}; aggregated live {live:.2f} s"
            )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=300_000)
    parser.add_argument("--items", type=int, default=1_000_000, help="contract_item rows")
    parser.add_argument("--rounds", type=int, default=12, help="monthly sample rounds drawn")
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server for the fresh database")
    parser.add_argument("--skip-http", action="store_true", help="no gunicorn / load test")
    parser.add_argument(
        "--load",
        choices=("auto", "python", "wrk"),
        default="auto",
        help="load generator; auto = wrk when installed (lighter on a 2-core box), else Python",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per page")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per page")
    parser.add_argument("--repeats", type=int, default=15, help="runs of each warm timing")
    parser.add_argument("--profile", action="store_true", help="cProfile warm GET /dashboard")
    args = parser.parse_args(argv)
    if args.enterprises < 100 or args.contracts < 20:
        raise SystemExit("--enterprises >= 100 and --contracts >= 20, please")
    if args.load == "auto":
        args.load = "wrk" if shutil.which("wrk") else "python"
    if args.load == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk); use --load python")

    day = local_today()
    results = [run_sqlite(args, day)]
    if not args.skip_pg:
        results.append(run_postgres(args, day))
    return 0 if report(results, args, day) else 1


if __name__ == "__main__":
    sys.exit(main())
