"""A month is frozen once and drawn once, whatever the number of processes (SPEC §5), on
PostgreSQL.

Two real OS processes race: two ``flask freeze-sample --month M`` at once, two
``flask draw-sample --month M`` at once, and two ``audits.jobs.catch_up`` at once. The
``sample_round.month`` unique constraint settles the freeze, a conditional UPDATE of the
round the draw: one round per month, one set of picks and audits, both processes exit 0,
and the loser says the month was frozen or drawn before (``此前已冻结`` / ``此前已抽取``).

To make the race real rather than lucky (Python start-up jitter is longer than a small
draw), the test holds ``LOCK TABLE sample_round`` while it starts the processes and lets go
once both are queued behind it: both then read "not drawn yet" at the same moment.

Needs a real server (SQLite serialises writers on one file, so there is no race worth the
name): set TEST_DATABASE_URL, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from audits.models import Audit, SamplePick, SampleRound
from audits.rounds import Month
from audits.sampling import sample_size
from bargaining.models import Enterprise
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.db import db
from core.models import AuditLog, Role, Setting, User
from tests.conftest import TODAY
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL: set TEST_DATABASE_URL (concurrent draws are not meaningful on SQLite)",
)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60
COUNTIES = ("WY", "YK")
PER_MONTH = 300  # versions filed per month, spread over COUNTIES
RATE = Fraction(3, 10)  # the default sample_rate
DRAW_MONTHS = [Month(2026, 10), Month(2026, 9), Month(2026, 8), Month(2026, 7), Month(2026, 6)]

CATCH_UP = """
import json
from datetime import date
from app import create_app
from audits.jobs import catch_up
app = create_app()
with app.app_context():
    print(json.dumps(catch_up(date({y}, {m}, {d}))))
"""


@pytest.fixture()
def pg_url(app, database):
    if database["kind"] != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    return database["url"]


def _flask() -> str:
    beside = Path(sys.executable).with_name("flask")  # .venv/bin/flask next to .venv/bin/python
    if beside.exists():
        return str(beside)
    found = shutil.which("flask")
    assert found, "no flask executable beside the interpreter or on PATH"
    return found


@contextmanager
def sample_round_gate(url: str) -> Iterator[Callable[[list[subprocess.Popen[str]]], None]]:
    """Hold an exclusive lock on sample_round; ``wait_for(procs)`` returns once every process
    is queued behind it (or one has exited, or TIMEOUT_S passed); leaving releases it."""
    # end this process's own read transaction first: its share lock would block the gate
    db.session.commit()
    engine = create_engine(url)
    conn = engine.connect()
    conn.execute(text(f"SET LOCAL lock_timeout = '{TIMEOUT_S}s'"))
    conn.execute(text("LOCK TABLE sample_round IN ACCESS EXCLUSIVE MODE"))

    def wait_for(procs: list[subprocess.Popen[str]]) -> None:
        waiting = text(
            "SELECT count(*) FROM pg_locks WHERE relation = 'sample_round'::regclass AND NOT granted"
        )
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and all(p.poll() is None for p in procs):
            if conn.execute(waiting).scalar_one() >= len(procs):
                return
            time.sleep(0.02)

    try:
        yield wait_for
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()


def run_together(commands: Sequence[Sequence[str]], url: str) -> list[tuple[int, str, str]]:
    """Start every command at once against ``url``; (exit status, stdout, stderr) of each."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = str(ROOT)
    with sample_round_gate(url) as wait_for:
        procs = [
            subprocess.Popen(
                list(cmd),
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for cmd in commands
        ]
        wait_for(procs)
    results: dict[int, tuple[int, str, str]] = {}
    try:
        for i, proc in enumerate(procs):
            try:
                out, err = proc.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                details = []
                for j, p in enumerate(procs):
                    if j not in results:
                        p.kill()
                        out, err = p.communicate()
                        results[j] = (p.returncode, out, err)
                    rc, out, err = results[j]
                    details.append(
                        f"$ {' '.join(p.args)}\nexit {rc}\nstdout:\n{out}\nstderr:\n{err}"
                    )
                pytest.fail(f"a process ran over {TIMEOUT_S} s:\n" + "\n".join(details))
            results[i] = (proc.returncode, out, err)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return [results[i] for i in range(len(procs))]


def describe(commands: Sequence[Sequence[str]], results: list[tuple[int, str, str]]) -> str:
    return "\n".join(
        f"$ {' '.join(cmd)}\nexit {rc}\nstdout:\n{out}\nstderr:\n{err}"
        for cmd, (rc, out, err) in zip(commands, results, strict=True)
    )


def file_month(user: User, ents: dict[str, list[Enterprise]], month: Month) -> None:
    """PER_MONTH enterprise contracts filed (备案) on the 15th of ``month``, committed."""
    day = date(month.year, month.month, 15)
    signed = day - timedelta(days=30)
    rows = []
    for i in range(PER_MONTH):
        code = COUNTIES[i % len(COUNTIES)]
        pool = ents[code]
        rows.append(
            contract_row(
                pool[i % len(pool)],
                合同编号=f"RACE-{month}-{i:04d}",
                **{"县(市、区)": code},
                签订日期=signed,
                生效日期=signed + timedelta(days=10),
                期满日期=signed + timedelta(days=10 + 3 * 365),
                报送日期=signed + timedelta(days=5),
                平台录入日期=day,
            )
        )
    outcome = run_upload(user, KIND_FILINGS, f"race-{month}.xlsx", filing_workbook(rows), day)
    assert outcome.status == "imported", [e.cli_line() for e in outcome.errors[:10]]
    db.session.commit()


@pytest.fixture()
def filed(pg_url):
    """Filings in every month of DRAW_MONTHS and one inspector per county, committed."""
    admin = make_user("race-admin", Role.ADMIN)
    ents = {code: [make_enterprise(code) for _ in range(10)] for code in COUNTIES}
    for code in COUNTIES:
        make_user(f"insp-{code}", Role.INSPECTOR, code)
    db.session.commit()
    for month in DRAW_MONTHS:
        file_month(admin, ents, month)
    return pg_url


def expected_picks() -> int:
    per_county = PER_MONTH // len(COUNTIES)
    return len(COUNTIES) * sample_size(per_county, RATE)


def check_drawn_once(month: Month) -> SampleRound:
    """One round for ``month``, one set of picks and audits, one draw in the audit log."""
    db.session.expire_all()
    rounds_ = db.session.scalars(select(SampleRound).where(SampleRound.month == str(month))).all()
    assert len(rounds_) == 1, f"{month}: {len(rounds_)} rounds"
    round_ = rounds_[0]
    assert round_.population_size == PER_MONTH
    assert round_.pick_count == expected_picks()
    picks = db.session.execute(
        select(SamplePick.version_id).where(SamplePick.round_id == round_.id)
    ).scalars()
    version_ids = list(picks)
    assert len(version_ids) == round_.pick_count
    assert len(set(version_ids)) == len(version_ids), f"{month}: duplicated sample_pick rows"
    audits = db.session.scalar(
        select(func.count()).select_from(Audit).where(Audit.round_id == round_.id)
    )
    assert audits == round_.pick_count
    draws = db.session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "draw_sample", AuditLog.object_id == round_.id)
    )
    assert draws == 1
    return round_


def check_no_stray_rows() -> None:
    """Nothing of a losing draw survives: every pick and audit belongs to a stored round."""
    db.session.expire_all()
    stored = db.session.scalar(select(func.coalesce(func.sum(SampleRound.pick_count), 0)))
    assert db.session.scalar(select(func.count()).select_from(SamplePick)) == stored
    assert db.session.scalar(select(func.count()).select_from(Audit)) == stored


def start_at(month: Month) -> None:
    setting = db.session.get(Setting, "sampling_start_month")
    assert setting is not None
    setting.value = str(month)
    db.session.commit()


def test_two_freeze_sample_processes_freeze_a_month_once(filed):
    start_at(min(DRAW_MONTHS, key=str))
    flask = _flask()
    for month in DRAW_MONTHS[:2]:
        commands = [[flask, "--app", "app", "freeze-sample", "--month", str(month)]] * 2
        results = run_together(commands, filed)
        info = describe(commands, results)
        assert [rc for rc, _, _ in results] == [0, 0], info
        losers = [i for i, (_, _, err) in enumerate(results) if "此前已冻结" in err]
        assert len(losers) == 1, info
        db.session.expire_all()
        round_ = db.session.scalars(
            select(SampleRound).where(SampleRound.month == str(month))
        ).one()
        for _, out, _ in results:  # both printed the one stored commitment
            assert round_.commitment in out and round_.population_sha256 in out, info
        freezes = db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "freeze_sample", AuditLog.object_id == round_.id)
        )
        assert freezes == 1


def test_two_draw_sample_processes_draw_a_month_once(filed):
    from audits.jobs import freeze_month_once
    from core.db import utcnow

    start_at(min(DRAW_MONTHS, key=str))
    for month in DRAW_MONTHS:
        freeze_month_once(month, None, utcnow())
    flask = _flask()
    for month in DRAW_MONTHS:
        commands = [[flask, "--app", "app", "draw-sample", "--month", str(month)]] * 2
        results = run_together(commands, filed)
        info = describe(commands, results)
        assert [rc for rc, _, _ in results] == [0, 0], info
        losers = [i for i, (_, _, err) in enumerate(results) if "此前已抽取" in err]
        assert len(losers) == 1, info
        winner = 1 - losers[0]
        assert f"{month} 已抽取：" in results[winner][1], info
        assert f"{month} 此前已抽取：" in results[losers[0]][1], info
        round_ = check_drawn_once(month)
        # both printed the one stored round: same seed and population hash
        for _, out, _ in results:
            assert round_.seed in out and round_.population_sha256 in out, info
    check_no_stray_rows()
    # a loser that reached the insert burnt a sequence value before the constraint stopped it
    ids = sorted(db.session.scalars(select(SampleRound.id)))
    raced = ids[-1] - len(ids)
    print(f"\n{raced} of {len(DRAW_MONTHS)} draws raced to the sample_round insert")


def test_two_catch_up_processes_draw_each_month_once(filed):
    months = sorted(DRAW_MONTHS, key=str)
    start_at(months[0])
    code = CATCH_UP.format(y=TODAY.year, m=TODAY.month, d=TODAY.day)
    commands = [[sys.executable, "-c", code]] * 2
    results = run_together(commands, filed)
    info = describe(commands, results)
    assert [rc for rc, _, _ in results] == [0, 0], info
    drawn = [json.loads(out.strip().splitlines()[-1]) for _, out, _ in results]
    # each month drawn by exactly one of the two processes
    assert sorted(drawn[0] + drawn[1]) == [str(m) for m in months], info
    assert not set(drawn[0]) & set(drawn[1]), info
    for month in months:
        check_drawn_once(month)
    check_no_stray_rows()
    ids = sorted(db.session.scalars(select(SampleRound.id)))
    print(f"\ncatch_up split: {drawn[0]} / {drawn[1]}; {ids[-1] - len(ids)} raced to the insert")


OPEN_DRAWN = """
import json
from app import create_app
from audits.jobs import open_drawn_due
from core.db import utcnow
app = create_app()
with app.app_context():
    print(json.dumps(open_drawn_due(utcnow())))
"""


def test_two_processes_open_a_drawn_round_once(filed):
    """Drawn rounds left unopened (the drawing process stopped after the draw's commit): two
    job processes opening them at once write each round's picks and audits once."""
    from audits.jobs import freeze_month_once
    from audits.rounds import draw_frozen
    from core.db import utcnow

    months = sorted(DRAW_MONTHS, key=str)
    start_at(months[0])
    for month in months:
        round_, _fresh = freeze_month_once(month, None, utcnow())
        draw_frozen(round_, None, None, utcnow())
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SamplePick)) == 0
    results = run_together([[sys.executable, "-c", OPEN_DRAWN]] * 2, filed)
    info = describe([["open_drawn_due"]] * 2, results)
    assert [rc for rc, _, _ in results] == [0, 0], info
    opened = [json.loads(out.strip().splitlines()[-1]) for _, out, _ in results]
    assert sorted(opened[0] + opened[1]) == [str(m) for m in months], info
    db.session.expire_all()
    assert all(r.opened_at is not None for r in db.session.scalars(select(SampleRound)))
    check_no_stray_rows()
    assert db.session.scalar(select(func.count()).select_from(SamplePick)) > 0
