"""The demo city's contract texts: the audits still open in the latest round get the signed
text of their contract (composed from the filing by bargaining.text_demo), so an inspector
opening a drawn audit reads the text with its passages highlighted. A few texts leave out a
filed item or hold one that was not filed, as real ones do."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from flask import Flask
from sqlalchemy import select

from audits.models import Audit
from bargaining.models import ContractText, ContractVersion
from bargaining.text_demo import compose_text, text_docx
from bargaining.texts import DONE
from core.db import db, utcnow
from core.i18n import N_
from core.models import keep_file

DEMO_TEXTS = 120
EXTRA = ("A01", "B02", "T01", "H01", "S05")


def register_demo(app: Flask) -> None:
    app.extensions.setdefault("demo_steps", []).append(build_demo_texts)


def build_demo_texts(seed: int, today: Any) -> dict[str, Any]:
    rng = random.Random(seed + 16)
    audits = db.session.scalars(
        select(Audit).where(Audit.status == "open").order_by(Audit.id).limit(DEMO_TEXTS)
    ).all()
    now = utcnow()
    count = 0
    for audit in audits:
        version = db.session.get(ContractVersion, audit.version_id)
        if version is None:
            continue
        items = [i.item_code for i in version.items]
        draw = rng.random()
        if draw < 0.15 and len(items) > 2:
            items.remove(rng.choice([c for c in items if c not in ("W01", "W02", "W03")] or items))
        elif draw < 0.3:
            items.append(rng.choice([c for c in EXTRA if c not in items] or ["D01"]))
        text = compose_text(version, items, rng)
        data = text_docx(text)
        sha = hashlib.sha256(data).hexdigest()
        keep_file(db.session, sha, data)
        db.session.add(
            ContractText(
                version_id=version.id,
                filename=f"{version.public_id}.docx",
                sha256=sha,
                size=len(data),
                status=DONE,
                kind="docx",
                pages=1,
                text=text,
                created_at=now,
                processed_at=now,
            )
        )
        count += 1
    db.session.flush()
    return {N_("合同文本"): count}
