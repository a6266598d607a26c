"""Notifications (SPEC §6): in-app, e-mail over SMTP, and the county's or city's work group
through a group-robot webhook (企业微信 group robot, 钉钉 custom robot with its signature).

Each event reaches each recipient once per channel: a row per (event key, channel,
recipient) under a unique key, inserted with ON CONFLICT DO NOTHING, so running the job
twice sends nothing new. Rows are delivered immediately or in the user's daily digest;
failures are retried with back-off and shown to the admin (the delivery log); nothing goes
to a disabled user. Which events exist and who receives them is decided by the domains
(``audits.notices``); this module only stores and delivers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from core import audit_log
from core.bulk import chunks
from core.db import db, rowcount
from core.errors import UserError
from core.i18n import Msg, _, tr
from core.models import Notification, NotificationChannel, NotificationPreference, User
from core.policy import may
from core.rows import named

INAPP, EMAIL, WECOM, DINGTALK = "inapp", "email", "wecom", "dingtalk"
USER_CHANNELS = (INAPP, EMAIL)
GROUP_KINDS = (WECOM, DINGTALK)
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=5)
HTTP_TIMEOUT = 10


@dataclass
class Event:
    """Something that happened or is due: a stable ``key`` (the idempotency key), a ``kind``,
    a stored ``subject`` (Msg, shown in each reader's language), a link on this site, the
    users to tell and the work groups (county ids; None = the city's group) to tell."""

    key: str
    kind: str
    subject: Msg
    link: str = ""
    users: Sequence[User] = ()
    groups: Sequence[int | None] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: 5, 10, 20, 40, 80 minutes…"""
    return FIRST_RETRY * (2 ** max(0, attempts - 1))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's custom-robot signature: base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(url: str, secret: str, now: datetime) -> str:
    if not secret:
        return url
    ts = int(now.timestamp() * 1000)
    query = urllib.parse.urlencode({"timestamp": ts, "sign": dingtalk_sign(secret, ts)})
    return f"{url}{'&' if '?' in url else '?'}{query}"


# ---------------------------------------------------------------------------- enqueue


def _preferences(user_ids: Iterable[int]) -> dict[tuple[int, str], bool]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(ids))
    )
    return {(p.user_id, p.channel): p.digest for p in rows}


def _channels() -> dict[int | None, list[NotificationChannel]]:
    by_county: dict[int | None, list[NotificationChannel]] = defaultdict(list)
    for ch in db.session.scalars(select(NotificationChannel).where(NotificationChannel.active)):
        by_county[ch.county_id].append(ch)
    return by_county


def _insert_ignoring_duplicates(rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = db.session.connection().dialect.name
    from sqlalchemy.dialects import postgresql, sqlite

    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(Notification).on_conflict_do_nothing(
        index_elements=["event_key", "channel", "recipient"]
    )
    result = db.session.connection().execute(stmt, rows)
    return max(rowcount(result) or 0, 0)


def enqueue(events: Iterable[Event], now: datetime) -> int:
    """Store each event once per recipient and channel; returns the rows added."""
    events = list(events)
    prefs = _preferences(u.id for e in events for u in e.users)
    groups = _channels()
    rows: list[dict[str, Any]] = []
    for event in events:
        base = {
            "event_key": event.key[:120],
            "kind": event.kind,
            "subject": event.subject,
            "link": event.link,
            "attempts": 0,
            "last_error": "",
            "created_at": now,
            "read_at": None,
            "sent_at": None,
            "next_attempt_at": None,
            "channel_id": None,
            "user_id": None,
        }
        for user in {u.id: u for u in event.users if u.active}.values():
            digest = prefs.get((user.id, INAPP), False)
            rows.append(
                base
                | {
                    "channel": INAPP,
                    "recipient": f"user:{user.id}",
                    "user_id": user.id,
                    "digest": digest,
                    # an in-app notice is delivered by being stored (a digest waits for 08:00)
                    "status": "pending" if digest else "sent",
                    "sent_at": None if digest else now,
                }
            )
            if user.email:
                rows.append(
                    base
                    | {
                        "channel": EMAIL,
                        "recipient": f"user:{user.id}",
                        "user_id": user.id,
                        "digest": prefs.get((user.id, EMAIL), False),
                        "status": "pending",
                    }
                )
        for county_id in dict.fromkeys(event.groups):
            for ch in groups.get(county_id, []):
                rows.append(
                    base
                    | {
                        "channel": ch.kind,
                        "recipient": f"group:{ch.id}",
                        "channel_id": ch.id,
                        "digest": False,
                        "status": "pending",
                    }
                )
    # bound parameters stay a reasonable size
    added = 0
    for part in chunks(rows, 500):
        added += _insert_ignoring_duplicates(list(part))
    return added


# ---------------------------------------------------------------------------- delivery


class DeliveryFailed(Exception):
    pass


def _site_url() -> str:
    return str(current_app.config.get("SITE_URL", "")).rstrip("/")


def _text(subject: Any, link: str) -> str:
    line = tr(subject)
    return f"{line}\n{_site_url()}{link}" if link else line


def send_email(to: str, subject: str, body: str) -> None:
    """One message over SMTP with the FLASK_MAIL_* settings."""
    cfg = current_app.config
    server = cfg.get("MAIL_SERVER")
    if not server:
        raise DeliveryFailed("MAIL_SERVER is not configured")
    msg = EmailMessage()
    sender = cfg.get("MAIL_FROM") or "noreply@localhost"
    msg["From"] = formataddr((_("工资集体协商闭环管理"), sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    port = int(cfg.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(server, port, timeout=HTTP_TIMEOUT) as smtp:
            if str(cfg.get("MAIL_USE_TLS", "")).lower() in ("1", "true", "yes"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP: {exc}") from exc


def post_robot(channel: NotificationChannel, text: str, now: datetime) -> None:
    """A text message to a WeCom group robot or a DingTalk custom robot."""
    url = (
        dingtalk_url(channel.url, channel.secret, now) if channel.kind == DINGTALK else channel.url
    )
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"{channel.kind}: {exc}") from exc
    if answer.get("errcode", 0) != 0:
        raise DeliveryFailed(f"{channel.kind}: {answer.get('errcode')} {answer.get('errmsg', '')}")


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped}


def _mark(rows: Sequence[Notification], now: datetime, error: str | None) -> None:
    for row in rows:
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, ""
        else:
            row.attempts += 1
            row.last_error = error[:1000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.next_attempt_at = "dead", None
            else:
                row.status, row.next_attempt_at = "failed", now + backoff(row.attempts)


def deliver(now: datetime, *, digests: bool) -> DeliveryResult:
    """Send what is due: immediate rows, failed rows whose back-off has passed and, with
    ``digests``, each user's digest (one e-mail with every waiting item)."""
    result = DeliveryResult()
    due = (Notification.next_attempt_at.is_(None)) | (Notification.next_attempt_at <= now)
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.status.in_(("pending", "failed")), due)
            .order_by(Notification.id)
        )
    )
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({r.user_id for r in rows if r.user_id}))
        )
    }
    channels = {
        c.id: c
        for c in db.session.scalars(
            select(NotificationChannel).where(
                NotificationChannel.id.in_({r.channel_id for r in rows if r.channel_id})
            )
        )
    }
    digest_mail: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        user = users.get(row.user_id) if row.user_id else None
        if row.user_id and (user is None or not user.active):
            row.status, row.last_error = "skipped", "user disabled"
            result.skipped += 1
            continue
        if row.digest and not digests:
            continue
        if row.channel == INAPP:
            _mark([row], now, None)
            result.sent += 1
        elif row.channel == EMAIL:
            assert user is not None  # an e-mail row names its user (USER_CHANNELS)
            if row.digest:
                digest_mail[user.id].append(row)
                continue
            try:
                send_email(user.email, tr(row.subject), _text(row.subject, row.link))
                _mark([row], now, None)
                result.sent += 1
            except DeliveryFailed as exc:
                _mark([row], now, str(exc))
                result.failed += 1
        else:
            channel = channels.get(row.channel_id) if row.channel_id is not None else None
            if channel is None or not channel.active:
                row.status, row.last_error = "skipped", "channel removed"
                result.skipped += 1
                continue
            try:
                post_robot(channel, _text(row.subject, row.link), now)
                _mark([row], now, None)
                result.sent += 1
            except DeliveryFailed as exc:
                _mark([row], now, str(exc))
                result.failed += 1
    for user_id, items in digest_mail.items():
        user = users[user_id]
        subject = _("每日提醒：%(n)s 条待办", n=len(items))
        body = "\n\n".join(_text(r.subject, r.link) for r in items)
        if may(user, "digest.log_head"):
            body += "\n\n" + log_head_line()
        try:
            send_email(user.email, subject, body)
            _mark(items, now, None)
            result.sent += len(items)
        except DeliveryFailed as exc:
            _mark(items, now, str(exc))
            result.failed += len(items)
    db.session.flush()
    return result


def log_head_line() -> str:
    """The audit log's head as the city's digest shows it (SPEC §3): a reader who keeps the
    digests can tell a log cut short or rewritten since from the public page or verify-log."""
    count, head_hash = audit_log.head()
    return _("操作日志：共 %(n)s 条，当前头哈希 %(hash)s", n=count, hash=head_hash)


# ---------------------------------------------------------------------------- reading


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                Notification.user_id == user.id,
                Notification.channel == INAPP,
                Notification.status == "sent",
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def inbox_query(user: User) -> Any:
    """The user's in-app notifications, newest first; each row's ``notification``."""
    return (
        select(named(Notification, "notification"))
        .where(
            Notification.user_id == user.id,
            Notification.channel == INAPP,
            Notification.status == "sent",
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def mark_read(user: User, now: datetime, ids: Sequence[int] | None = None) -> int:
    stmt = update(Notification).where(
        Notification.user_id == user.id,
        Notification.channel == INAPP,
        Notification.read_at.is_(None),
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    return rowcount(db.session.execute(stmt.values(read_at=now))) or 0


def preferences(user: User) -> dict[str, bool]:
    stored = _preferences([user.id])
    return {ch: stored.get((user.id, ch), False) for ch in USER_CHANNELS}


def set_preferences(user: User, digest: Mapping[str, bool]) -> None:
    from core import audit_log

    before = preferences(user)
    for channel in USER_CHANNELS:
        row = db.session.get(NotificationPreference, (user.id, channel))
        if row is None:
            db.session.add(
                NotificationPreference(user_id=user.id, channel=channel, digest=digest[channel])
            )
        else:
            row.digest = digest[channel]
    db.session.flush()
    if before != dict(digest):
        audit_log.record(
            user, "update", "notification_preference", user.id, before=before, after=dict(digest)
        )


# ---------------------------------------------------------------------------- work groups


def add_channel(
    actor: User, county_id: int | None, kind: str, url: str, secret: str = ""
) -> NotificationChannel:
    """A county's (or, with ``county_id`` None, the city's) work-group robot."""
    from core import audit_log

    url, secret = (url or "").strip(), (secret or "").strip()
    if kind not in GROUP_KINDS:
        raise UserError(_("未知的工作群类型"))
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise UserError(_("请填写机器人的 Webhook 地址（https://…）"))
    if kind == WECOM and secret:
        raise UserError(_("企业微信群机器人没有签名密钥，请留空"))
    channel = NotificationChannel(county_id=county_id, kind=kind, url=url, secret=secret)
    db.session.add(channel)
    db.session.flush()
    audit_log.record(
        actor,
        "create",
        "notification_channel",
        channel.id,
        # the secret is a credential: the log says that one was set, not what it is
        after={"county_id": county_id, "kind": kind, "url": url, "signed": bool(secret)},
    )
    return channel


def remove_channel(actor: User, channel: NotificationChannel) -> None:
    from core import audit_log

    if not channel.active:
        return
    channel.active = False
    db.session.flush()
    audit_log.record(
        actor,
        "disable",
        "notification_channel",
        channel.id,
        before={"active": True},
        after={"active": False},
    )
