"""The audit log is tamper-evident (SPEC §3): a hash chain that `flask verify-log` walks.

"each entry carries the SHA-256 of its own canonical content and of the entry before it (a
hash chain); flask verify-log walks the chain and exits 1 naming the first entry that was
edited, removed or reordered, even if someone bypassed the application and its triggers"
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select, text

from core import audit_log
from core.db import db
from core.i18n import Msg
from core.models import AuditLog, Role
from tests.factories import make_user


@pytest.fixture()
def entries(app):
    user = make_user("admin-log", Role.ADMIN)
    for i in range(6):
        audit_log.record(
            user,
            "edit",
            "thing",
            i,
            before={"notes": f"旧 {i}", "amount": 1.5},
            after={"notes": f"新 {i}", "amount": 2},
            summary=Msg(
                "%(public_id)s 第%(version)s版（上传 #%(upload)s 第%(row)s行）",
                public_id=f"HT{i}",
                version=1,
                upload="-",
                row=i,
            ),
        )
    db.session.commit()
    return sorted(db.session.scalars(select(AuditLog.id)))


@pytest.fixture(autouse=True)
def _triggers_come_back(app):
    """PostgreSQL keeps one test database for the whole session: a test that dropped the
    append-only trigger puts it back, so later tests see the schema the migrations made."""
    yield
    db.session.rollback()
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
        db.session.execute(
            text(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
            )
        )
        db.session.commit()


def without_triggers() -> None:
    """What someone who goes around the application does first."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
    db.session.commit()


def test_each_entry_hashes_its_content_and_the_previous_hash(entries):
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == "0" * 64
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    first = rows[0]
    raw_summary = db.session.execute(
        text("SELECT summary FROM audit_log WHERE id = :id"), {"id": first.id}
    ).scalar_one()
    content = audit_log.canonical(
        first.seq,
        first.at,
        first.user_id,
        first.action,
        first.object_type,
        first.object_id,
        raw_summary,
        first.before,
        first.after,
    )
    assert first.entry_hash == hashlib.sha256(b"0" * 64 + b"\n" + content).hexdigest()


def test_verify_log_passes_and_prints_count_and_head(entries, runner):
    count, head = audit_log.head()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0, result.output
    assert str(count) in result.stdout and head in result.stdout
    assert runner.invoke(args=["verify-log", "--head", head]).exit_code == 0


def test_verify_log_names_an_entry_edited_in_the_database(entries, runner):
    without_triggers()
    target = db.session.get(AuditLog, entries[3])
    seq = target.seq
    db.session.execute(
        text("UPDATE audit_log SET after = :after WHERE id = :id"),
        {"after": '{"notes": "改写过的纪要", "amount": 2}', "id": entries[3]},
    )
    db.session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"第 {seq} 条" in result.stderr and "改动" in result.stderr


def test_verify_log_names_an_entry_edited_with_its_hash_recomputed(entries, runner):
    # the editor recomputes the edited entry's own hash: the next entry's link breaks
    without_triggers()
    row = db.session.get(AuditLog, entries[2])
    forged = audit_log.link_hash(
        row.prev_hash,
        audit_log.canonical(
            row.seq,
            row.at,
            row.user_id,
            "edit",
            row.object_type,
            row.object_id,
            audit_log.stored_summary(""),
            row.before,
            {"notes": "伪造"},
        ),
    )
    db.session.execute(
        text("UPDATE audit_log SET summary = '', after = :a, entry_hash = :h WHERE id = :id"),
        {"a": '{"notes": "伪造"}', "h": forged, "id": row.id},
    )
    db.session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"第 {row.seq + 1} 条" in result.stderr


def test_verify_log_names_a_removed_entry(entries, runner):
    without_triggers()
    seq = db.session.get(AuditLog, entries[2]).seq
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entries[2]})
    db.session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"第 {seq} 至 {seq} 条已被删除" in result.stderr


def test_verify_log_names_reordered_entries(entries, runner):
    without_triggers()
    a, b = entries[1], entries[4]
    seq_a = db.session.get(AuditLog, a).seq
    swap = [(a, -1), (b, a), (-1, b)]
    for old, new in swap:
        db.session.execute(
            text("UPDATE audit_log SET id = :new WHERE id = :old"), {"new": new, "old": old}
        )
    db.session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"第 {seq_a} 条" in result.stderr and "顺序被调换" in result.stderr


def test_verify_log_catches_a_cut_tail_against_a_published_head(entries, runner):
    _count, head = audit_log.head()
    without_triggers()
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entries[-1]})
    db.session.commit()
    assert runner.invoke(args=["verify-log"]).exit_code == 0  # what is left is consistent
    cut = runner.invoke(args=["verify-log", "--head", head])
    assert cut.exit_code == 1 and head in cut.stderr


def test_bulk_appends_continue_the_chain(entries, runner):
    user = make_user("bulk", Role.ADMIN)
    audit_log.record_many(
        user,
        [
            {"action": "import", "object_type": "thing", "object_id": i, "after": {"n": i}}
            for i in range(3)
        ],
    )
    audit_log.record(user, "edit", "thing", 1, before={"a": 1}, after={"a": 2})
    db.session.commit()
    assert runner.invoke(args=["verify-log"]).exit_code == 0


def test_failed_logins_and_refused_uploads_are_logged(app, client):
    # SPEC §3: "The audit log records every write ... plus failed logins and refused uploads"
    from bargaining.uploads import run_upload
    from tests.factories import contract_row, filing_workbook, login, make_enterprise

    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    ent = make_enterprise("WY")
    db.session.commit()
    assert login(client, "insp-WY", "wrong password").status_code == 401
    assert login(client, "nobody", "wrong password").status_code == 401
    bad = contract_row(ent, 合同编号="BAD", 出席代表数=999)
    outcome = run_upload(insp, "filings", "bad.xlsx", filing_workbook([bad]), date(2026, 11, 25))
    assert outcome.status == "rejected"
    db.session.commit()
    actions = [
        (e.action, e.object_id, (e.after or {}).get("username"))
        for e in db.session.scalars(select(AuditLog).order_by(AuditLog.seq))
    ]
    assert ("login_failed", insp.id, "insp-WY") in actions
    assert ("login_failed", None, "nobody") in actions
    assert any(a == "upload_rejected" and oid == outcome.upload.id for a, oid, _ in actions)
    assert audit_log.verify_chain().ok


def test_an_upload_refused_for_its_size_is_logged(app):
    from bargaining.uploads import run_upload
    from core.models import Setting

    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.merge(Setting(key="upload_max_mb", value=0, description=""))
    db.session.commit()
    outcome = run_upload(insp, "filings", "big.xlsx", b"x" * 2048, date(2026, 11, 25))
    assert outcome.status == "rejected"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "upload_refused")).one()
    assert entry.user_id == insp.id and entry.after["filename"] == "big.xlsx"
