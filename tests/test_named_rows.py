"""Rows are read by name (STYLE "Access, wiring, rows"): no ``r[0]``, ``row[2]`` or
``vrow[-2]`` in the application's code or templates."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSITIONAL = re.compile(r"\b(?:r|row|vrow|rec|record)\[-?\d+\]")
#: positional by design: core.bulk's rows are (key, *values) tuples of its own making
BY_DESIGN = {"core/bulk.py", "core/rows.py"}


def _sources() -> list[Path]:
    found = [ROOT / "app.py"]
    for folder in ("audits", "bargaining", "core", "reports"):
        found += sorted((ROOT / folder).rglob("*.py"))
    return found + sorted((ROOT / "templates").rglob("*.html"))


def test_no_row_is_read_by_position() -> None:
    hits = []
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        if name in BY_DESIGN:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if POSITIONAL.search(line):
                hits.append(f"{name}:{number}: {line.strip()}")
    assert hits == []


def test_the_check_sees_a_positional_read() -> None:
    assert POSITIONAL.search("filed_on = vrow[-2]")
    assert POSITIONAL.search("{% set n = row[0] %}")
    assert not POSITIONAL.search("row.filed_on, rows[0].county_id")
