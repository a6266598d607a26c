"""Command-line start-up: how long `flask` takes before a command does any work.

    .venv/bin/python bench/cli_start_bench.py [--runs 10]

Runs each command ``--runs`` times in a fresh process (like hyperfine) and prints the
minimum and the median wall time, next to a bare ``python -c pass`` and a process that only
imports what ``flask import-filings`` needs to do its work (Flask, SQLAlchemy, the models and
the filing services): that import is the floor a CLI import cannot go under. Also lists
which heavy packages each command loads (none of Alembic, openpyxl or the web views should be
imported by ``flask import-filings``).

Goal (issue 18): no command imports what it does not use; `flask --help` and the start of
`flask import-filings` within 1.5x of that floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GOAL_VS_FLOOR = 1.5
WATCHED = ("alembic", "openpyxl", "audits.views", "reports.views", "flask_wtf", "icalendar")

FLOOR = (
    "import flask, sqlalchemy.orm; import core.db, core.i18n, core.models, core.audit_log; "
    "import bargaining.services, bargaining.uploads"
)
PROBE = """
import atexit, sys
def _report():
    loaded = [m for m in {watched!r} if m in sys.modules]
    sys.stderr.write("LOADED " + " ".join(loaded) + "\\n")
atexit.register(_report)
sys.argv = ["flask"] + {args!r}
from flask.cli import main
main()
"""


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=False)
        spent.append(time.perf_counter() - start)
    return spent


def loaded(args: list[str], env: dict[str, str]) -> str:
    code = PROBE.format(watched=WATCHED, args=args)
    out = subprocess.run(
        [PYTHON, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = [x for x in out.stderr.splitlines() if x.startswith("LOADED")]
    return lines[-1][len("LOADED ") :] if lines else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench_cli_")
    env = dict(os.environ, FLASK_APP="app", DATABASE_URL=f"sqlite:///{folder}/cli.sqlite")
    subprocess.run(
        [PYTHON, "-m", "flask", "init-db"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    missing = str(Path(folder) / "missing.xlsx")
    commands = {
        "python -c pass": ([PYTHON, "-c", "pass"], None),
        "import floor": ([PYTHON, "-c", FLOOR], None),
        "flask --help": ([PYTHON, "-m", "flask", "--help"], ["--help"]),
        "flask import-filings (no file)": (
            [PYTHON, "-m", "flask", "import-filings", missing, "--as", "nobody"],
            ["import-filings", missing, "--as", "nobody"],
        ),
    }
    print(f"{'command':<34}{'min s':>8}{'median s':>10}  heavy modules loaded")
    results = {}
    for name, (cmd, probe) in commands.items():
        spent = timed(cmd, env, args.runs)
        results[name] = min(spent)
        heavy = (loaded(probe, env) or "none") if probe is not None else ""
        print(f"{name:<34}{min(spent):8.3f}{statistics.median(spent):10.3f}  {heavy}")
    floor = results["import floor"]
    for name in ("flask --help", "flask import-filings (no file)"):
        ratio = results[name] / floor
        verdict = "MET" if ratio <= GOAL_VS_FLOOR else "MISSED"
        print(f"{name}: {ratio:.2f}x the import floor (goal <= {GOAL_VS_FLOOR}x) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
