"""Demo contract texts (pure): a plausible signed text for a filed contract version, composed
from the hand-written clause bank in ``contract_clauses.json`` — the filed items' clauses, the
general boilerplate, the term, the vote and the signatures, all from the version's own facts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

CLAUSE_FILE = Path(__file__).with_name("contract_clauses.json")
VALUES = {
    "day": 15,
    "year": 2026,
    "pct": 5,
    "s1": 150,
    "s2": 350,
    "s3": 600,
    "edu": 1.5,
    "hours": 40,
    "bonus": 5000,
    "night": 25,
    "mid": 150,
    "meal": 300,
}


@cache
def clause_bank() -> dict[str, Any]:
    bank: dict[str, Any] = json.loads(CLAUSE_FILE.read_text(encoding="utf-8"))
    return bank


def _date(d: date) -> str:
    return clause_bank()["lines"]["date"].format(y=d.year, m=d.month, d=d.day)


def compose_text(version: Any, items: Sequence[str], rng: random.Random) -> str:
    """The text of ``version`` (a ContractVersion or anything with its fields) holding the
    clauses of ``items``."""
    bank = clause_bank()
    lines = bank["lines"]
    values = {**VALUES, "wage": int(version.lowest_wage or 2300)}
    body = list(bank["general"])
    body += [
        rng.choice(bank["items"][code]).format(**values) for code in items if code in bank["items"]
    ]
    body.append(rng.choice(bank["dispute"]))
    body.append(
        lines["term"].format(start=_date(version.effective_on), end=_date(version.expires_on))
    )
    meeting = version.signed_on - timedelta(days=rng.randint(0, 5))
    body.append(
        lines["vote"].format(
            meeting=_date(meeting),
            total=version.delegates_total,
            present=version.delegates_present,
            votes=version.votes_for,
        )
    )
    body += bank["publish"]
    name = version.name
    text = [
        str(version.contract_type),
        "",
        lines["party_a"].format(name=name),
        lines["party_b"].format(name=name),
    ]
    text += [lines["article"].format(n=i + 1, text=t) for i, t in enumerate(body)]
    text += ["", lines["signatures"], lines["signed"].format(signed=_date(version.signed_on))]
    return "\n".join(text)


def text_docx(text: str) -> bytes:
    """``text`` as a .docx, one paragraph per line."""
    import docx

    doc = docx.Document()
    for line in text.splitlines():
        doc.add_paragraph(line)
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()
