"""Notifications (SPEC §6) against a real SMTP server (aiosmtpd) and a local webhook receiver,
both on 127.0.0.1: one event reaches each recipient once per channel, retries back off,
nothing goes to a disabled user, digests bundle the day."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from audits.notices import send_immediate, send_notifications
from audits.services import open_finding
from bargaining.models import County
from core import audit_log, notify
from core.db import db
from core.models import Notification, NotificationChannel, Role, Setting, User
from core.scheduler import build_scheduler
from tests.factories import csrf_token, login, make_enterprise, make_finding, make_user

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # 08:00 in Beijing


# ---------------------------------------------------------------------------- local servers


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [
            str(make_header(decode_header(message_from_bytes(raw)["Subject"])))
            for _, raw in self.messages
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def mailbox(app) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="tracker@example.org")
    try:
        yield box
    finally:
        controller.stop()


class Receiver:
    """Records each POST (path, query, JSON body); answers with ``replies`` in turn."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.replies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                parts = urlsplit(self.path)
                receiver.posts.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                reply = receiver.replies.pop(0) if receiver.replies else {"errcode": 0}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.server.shutdown()


# ---------------------------------------------------------------------------- the world


def _overdue_world(email: str = "clerk@example.org"):
    ent = make_enterprise("WY", name="武义县通知测试五金有限公司")
    clerk = make_user("ent-WY-1", Role.ENTERPRISE, enterprise=ent)
    clerk.email = email
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    insp.email = "insp@example.org"
    make_finding(insp, ent, date(2026, 9, 1))
    db.session.commit()
    return ent, clerk, insp


def _group(receiver: Receiver, kind: str = "wecom", secret: str = "", code: str = "WY"):
    county = db.session.scalars(select(County).where(County.code == code)).one()
    channel = NotificationChannel(
        county_id=county.id, kind=kind, url=f"{receiver.url}/robot/{kind}", secret=secret
    )
    db.session.add(channel)
    db.session.commit()
    return channel


def _rows(channel: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.channel == channel)))


# ---------------------------------------------------------------------------- tests


def test_an_overdue_rectification_is_told_once_on_each_channel(mailbox, receiver):
    _, clerk, _ = _overdue_world()
    _group(receiver)
    send_notifications(TODAY, NOW)
    db.session.commit()
    assert [to for to, _ in mailbox.messages] == [["clerk@example.org"]]
    assert "整改逾期" in mailbox.subjects()[0] and "武义县" in mailbox.subjects()[0]
    assert len(receiver.posts) == 1
    body = receiver.posts[0]["body"]
    assert body["msgtype"] == "text"
    assert "武义县通知测试五金有限公司" in body["text"]["content"]
    inapp = _rows("inapp")
    assert [(n.user_id, n.kind) for n in inapp] == [(clerk.id, "overdue")]

    send_notifications(TODAY, NOW + timedelta(hours=1))
    send_notifications(TODAY + timedelta(days=1), NOW + timedelta(days=1))
    db.session.commit()
    assert len(mailbox.messages) == 1 and len(receiver.posts) == 1 and len(_rows("inapp")) == 1


def test_dingtalk_messages_carry_the_timestamp_and_signature(mailbox, receiver):
    _overdue_world()
    secret = "SECtest0123456789"
    _group(receiver, "dingtalk", secret)
    send_notifications(TODAY, NOW)
    post = receiver.posts[0]
    timestamp = post["query"]["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert post["query"]["sign"] == [expected]
    assert int(timestamp) == int(NOW.timestamp() * 1000)
    assert post["body"]["msgtype"] == "text" and "整改逾期" in post["body"]["text"]["content"]


def test_nothing_for_a_disabled_user(mailbox, receiver):
    _, clerk, _ = _overdue_world()
    clerk.active = False
    db.session.commit()
    send_notifications(TODAY, NOW)
    # the county's inspectors answer for an enterprise without an active clerk
    assert [to for to, _ in mailbox.messages] == [["insp@example.org"]]
    assert all(n.user_id != clerk.id for n in db.session.scalars(select(Notification)))


def test_a_user_disabled_after_queuing_is_skipped(mailbox):
    _, clerk, _ = _overdue_world()
    notify.set_preferences(clerk, {"inapp": False, "email": True})  # waits for the digest
    send_immediate(TODAY, NOW)
    from audits.notices import People, daily_events

    notify.enqueue(daily_events(TODAY, NOW, People()), NOW)
    clerk.active = False
    notify.deliver(NOW, digests=True)
    assert mailbox.messages == []
    assert [n.status for n in _rows("email")] == ["skipped"]


def test_failed_deliveries_are_retried_with_back_off(mailbox, receiver):
    _overdue_world()
    _group(receiver)
    receiver.replies = [{"errcode": 45009, "errmsg": "api freq out of limit"}]
    send_notifications(TODAY, NOW)
    (row,) = _rows("wecom")
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.next_attempt_at == NOW + timedelta(minutes=5)
    assert "45009" in row.last_error
    notify.deliver(NOW + timedelta(minutes=2), digests=False)
    assert len(receiver.posts) == 1  # not yet
    notify.deliver(NOW + timedelta(minutes=6), digests=False)
    assert len(receiver.posts) == 2 and row.status == "sent"


def test_back_off_doubles_and_gives_up():
    assert [notify.backoff(n).seconds // 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert notify.MAX_ATTEMPTS == 6


def test_smtp_down_is_a_failed_delivery_not_a_crash(app):
    _overdue_world()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    result = send_notifications(TODAY, NOW)
    assert result["failed"] == 1
    assert _rows("email")[0].status == "failed"


def test_a_daily_digest_bundles_the_users_mail(mailbox):
    ent, clerk, insp = _overdue_world()
    make_finding(insp, ent, date(2026, 9, 2), check_code="C6", description="未录入平台")
    notify.set_preferences(clerk, {"inapp": False, "email": True})
    db.session.commit()
    send_immediate(TODAY, NOW)
    assert mailbox.messages == []
    send_notifications(TODAY, NOW)
    assert len(mailbox.messages) == 1
    assert "2" in mailbox.subjects()[0]
    body = message_from_bytes(mailbox.messages[0][1]).get_payload(decode=True).decode()
    assert "报送逾期" in body and "未录入平台" in body


def test_deadline_today_tomorrow_and_in_seven_days(mailbox):
    ent = make_enterprise("WY")
    clerk = make_user("ent-WY-1", Role.ENTERPRISE, enterprise=ent)
    for days_left, code in ((0, "C1"), (1, "C2"), (7, "C3"), (3, "C4")):
        open_finding(
            None,
            TODAY + timedelta(days=days_left) - timedelta(days=7),
            county_id=ent.county_id,
            enterprise_id=ent.id,
            contract_id=None,
            check_code=code,
            severity="critical",
            description=f"问题{code}",
            source="audit",
            source_id=None,
        )
    db.session.commit()
    send_notifications(TODAY, NOW)
    kinds = sorted(n.kind for n in _rows("inapp") if n.kind.startswith("due"))
    assert {n.user_id for n in _rows("inapp")} == {clerk.id}
    assert kinds == ["due0", "due1", "due7"]
    texts = {n.kind: str(n.subject) for n in _rows("inapp")}
    assert texts["due0"].startswith("整改今日到期") and texts["due1"].startswith("整改明日到期")


def test_the_bell_counts_unread_and_the_list_marks_them_read(client, mailbox):
    _overdue_world()
    send_notifications(TODAY, NOW)
    db.session.commit()
    login(client, "ent-WY-1")
    assert 'id="unread-count">1<' in client.get("/").get_data(as_text=True)
    html = client.get("/notifications").get_data(as_text=True)
    assert "整改逾期" in html
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")})
    assert 'id="unread-count"' not in client.get("/").get_data(as_text=True)


def test_each_user_chooses_digest_per_channel(client):
    _, clerk, _ = _overdue_world()
    login(client, "ent-WY-1")
    token = csrf_token(client, "/notifications")
    client.post(
        "/notifications/preferences",
        data={"csrf_token": token, "inapp": "immediate", "email": "digest"},
    )
    assert notify.preferences(clerk) == {"inapp": False, "email": True}


def test_the_admin_sees_the_delivery_log(client, app):
    _overdue_world()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    send_notifications(TODAY, NOW)
    make_user("admin", Role.ADMIN)
    db.session.commit()
    login(client, "admin")
    html = client.get("/admin/deliveries?status=failed").get_data(as_text=True)
    assert "ent-WY-1" in html and "SMTP" in html


def test_admin_adds_work_groups_per_county(client):
    make_user("admin", Role.ADMIN)
    db.session.commit()
    login(client, "admin")
    token = csrf_token(client, "/admin/channels")
    ok = client.post(
        "/admin/channels",
        data={
            "csrf_token": token,
            "county": "WY",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "secret": "SECabc",
        },
    )
    assert ok.status_code == 302
    refused = client.post(
        "/admin/channels",
        data={"csrf_token": token, "county": "WY", "kind": "wecom", "url": "ftp://x"},
    )
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(NotificationChannel)) == 1


def test_send_notifications_command(runner, mailbox):
    _overdue_world()
    result = runner.invoke(args=["send-notifications", "--date", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == 1
    again = runner.invoke(args=["send-notifications", "--date", "2026-11-25"])
    assert again.exit_code == 0 and len(mailbox.messages) == 1
    bad = runner.invoke(args=["send-notifications", "--date", "25.11.2026"])
    assert bad.exit_code == 1


def test_the_scheduler_sends_at_eight(app):
    job = build_scheduler(app).get_job("daily_notifications")
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("8", "0")


def test_a_county_without_inspector_is_reported(mailbox):
    admin = make_user("admin", Role.ADMIN)
    admin.email = "admin@example.org"
    for code in ("WC", "JD", "LX", "DY", "YW", "YK", "PJ", "WY", "KF"):
        make_user(f"insp-{code}", Role.INSPECTOR, code)
    db.session.commit()
    send_notifications(TODAY, NOW)
    assert len(mailbox.messages) == 1 and "磐安县" in mailbox.subjects()[0]
    assert db.session.scalar(select(func.count()).select_from(User)) == 10


def test_the_citys_digest_carries_the_audit_log_head(mailbox):
    """SPEC §3: the current head hash is shown ... in the city's daily digest."""
    city = make_user("city", Role.CITY)
    city.email = "city@example.org"
    db.session.flush()
    notify.set_preferences(city, {"inapp": False, "email": True})
    db.session.commit()
    send_notifications(TODAY, NOW)  # the county without an inspector reaches the city
    count, head_hash = audit_log.head()
    assert count > 0
    bodies = [
        message_from_bytes(raw).get_payload(decode=True).decode()
        for to, raw in mailbox.messages
        if "city@example.org" in to
    ]
    assert bodies and head_hash in bodies[0] and f"共 {count} 条" in bodies[0]


def test_a_frozen_round_asks_the_city_for_the_public_value(mailbox):
    """SPEC §6 events: a round frozen (city: enter the public value) and drawn."""
    from audits.jobs import draw_month_once, freeze_month_once
    from audits.rounds import Month

    city = make_user("city", Role.CITY)
    db.session.merge(Setting(key="sampling_start_month", value="2026-01", description=""))
    db.session.commit()
    freeze_month_once(Month(2026, 10), None, NOW)
    db.session.commit()
    send_immediate(TODAY, NOW)
    subjects = [str(n.subject) for n in _rows("inapp") if n.user_id == city.id]
    assert any("2026-10" in s and "公开值" in s for s in subjects), subjects
    draw_month_once(Month(2026, 10), "123456", city, NOW)
    db.session.commit()
    send_immediate(TODAY, NOW)
    kinds = sorted(n.kind for n in _rows("inapp") if n.user_id == city.id)
    assert kinds.count("round_frozen") == 1 and kinds.count("round_drawn") == 1, kinds


def test_an_inspector_moved_to_another_county_stops_hearing_of_the_old_one(mailbox):
    """Recipients are whoever the policy says may act on the object: after a move, the
    county's notices go to its inspectors of the day, not to the one who left."""
    ent = make_enterprise("WY")  # no clerk: its rectification is the county inspectors' to answer
    moved = make_user("insp-moved", Role.INSPECTOR, "WY")
    make_finding(None, ent, TODAY, severity="critical", description="立行立改")  # due in 7 days
    db.session.commit()
    send_notifications(TODAY, NOW)
    assert {(n.user_id, n.kind) for n in _rows("inapp")} == {
        (moved.id, "opened"),
        (moved.id, "due7"),
    }

    moved.county_id = db.session.scalars(select(County.id).where(County.code == "YW")).one()
    successor = make_user("insp-new", Role.INSPECTOR, "WY")
    db.session.commit()
    send_notifications(TODAY + timedelta(days=6), NOW + timedelta(days=6))
    due1 = {n.user_id for n in _rows("inapp") if n.kind == "due1"}
    assert due1 == {successor.id}
    assert not [n for n in _rows("inapp") if n.user_id == moved.id and n.kind == "due1"]


def test_a_visit_in_the_old_county_is_not_announced_to_an_inspector_who_moved(mailbox):
    """The visit names its visitor, but only one who may still record it hears of it."""
    from audits.models import Visit

    ent = make_enterprise("WY")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    stayed = make_user("insp-stays", Role.INSPECTOR, "WY")
    tomorrow = TODAY + timedelta(days=1)
    for key, visitor in (("moved", insp), ("stayed", stayed)):
        db.session.add(
            Visit(
                quarter="2026Q4",
                kind="enterprise",
                task_key=key,
                county_id=ent.county_id,
                enterprise_id=ent.id,
                visitor_id=visitor.id,
                planned_on=tomorrow,
            )
        )
    insp.county_id = db.session.scalars(select(County.id).where(County.code == "YW")).one()
    db.session.commit()
    send_notifications(TODAY, NOW)
    told = {n.user_id for n in _rows("inapp") if n.kind == "visit_tomorrow"}
    assert told == {stayed.id}


def test_each_inspector_hears_how_many_audits_the_draw_gave_them(mailbox):
    """The draw's assignment notice: each inspector the number of audits they may record; one
    moved to another county after the draw hears nothing of the old county's audits."""
    from audits.models import Audit
    from bargaining.services import KIND_FILINGS
    from bargaining.uploads import run_upload
    from tests.factories import contract_row, filing_workbook, freeze_and_draw

    ents = [make_enterprise("WY") for _ in range(10)] + [make_enterprise("YW") for _ in range(4)]
    wy = [make_user("insp-WY", Role.INSPECTOR, "WY"), make_user("insp-WY-2", Role.INSPECTOR, "WY")]
    yw = make_user("insp-YW", Role.INSPECTOR, "YW")
    rows = [
        contract_row(
            e, 合同编号=f"N-{i}", 备案日期=date(2026, 10, 5 + i), **{"县(市、区)": e.county.code}
        )
        for i, e in enumerate(ents)
    ]
    admin = make_user("admin", Role.ADMIN)
    upload = run_upload(admin, KIND_FILINGS, "oct.xlsx", filing_workbook(rows), TODAY)
    assert upload.status == "imported"
    db.session.commit()
    now = datetime.now(UTC)  # after the upload: the freeze takes what was filed before it
    freeze_and_draw("2026-10", now=now)
    db.session.commit()
    given = dict(
        db.session.execute(
            select(Audit.inspector_id, func.count()).group_by(Audit.inspector_id)
        ).all()
    )
    assert set(given) == {wy[0].id, wy[1].id, yw.id} and sum(given.values()) == 3 + 2, given
    wy[1].county_id = yw.county_id  # moved after the draw: the WY audits are no longer theirs
    db.session.commit()

    send_immediate(TODAY, now)
    told = {n.user_id: str(n.subject) for n in _rows("inapp") if n.kind == "audit_assigned"}
    assert set(told) == {wy[0].id, yw.id}, told
    for user in (wy[0], yw):
        assert f"分配给您 {given[user.id]} 项" in told[user.id], told[user.id]
