"""The half-year review as a .docx 讲评 (SPEC §6, §8), with the commentary the city writes
per county on the review page (stored in ``review_comment``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from audits import rectification_rules as rules
from bargaining.models import County
from core import audit_log
from core.db import db, utcnow
from core.errors import UserError
from core.i18n import _
from core.models import User
from core.paper import Notice, Section, chinese_date, notice_docx
from core.policy import may
from reports.models import ReviewComment
from reports.review import Half, build_review

MAX_COMMENT = 4000


def review_comments(half: Half) -> dict[int, str]:
    return {
        c.county_id: c.text
        for c in db.session.scalars(select(ReviewComment).where(ReviewComment.half == str(half)))
    }


def save_review_comments(user: User, half: Half, texts: Mapping[int, str]) -> int:
    """Store the city's commentary per county (audit-logged); returns how many changed."""
    if not may(user, "review.comment"):
        raise UserError(_("只有市总工会可以撰写讲评"), 403)
    existing = {
        c.county_id: c
        for c in db.session.scalars(select(ReviewComment).where(ReviewComment.half == str(half)))
    }
    known = set(db.session.scalars(select(County.id)))
    changed = 0
    for county_id, raw in texts.items():
        text = (raw or "").strip()
        if county_id not in known:
            continue
        if len(text) > MAX_COMMENT:
            raise UserError(_("每条讲评不超过 %(n)s 字", n=MAX_COMMENT))
        row = existing.get(county_id)
        before = row.text if row else ""
        if before == text:
            continue
        if row is None:
            row = ReviewComment(half=str(half), county_id=county_id)
            db.session.add(row)
        row.text, row.updated_by_id, row.updated_at = text, user.id, utcnow()
        db.session.flush()
        audit_log.record(
            user,
            "update",
            "review_comment",
            row.id,
            before={"half": str(half), "county_id": county_id, "text": before},
            after={"half": str(half), "county_id": county_id, "text": text},
        )
        changed += 1
    return changed


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def review_docx(half: Half, today: date) -> bytes:
    """讲评 in Chinese: ranking, findings, interviews and supervision, then each county's
    commentary."""
    r = build_review(half)
    comments = review_comments(half)
    counties = list(db.session.scalars(select(County).order_by(County.sort_order)))
    with force_locale("zh_CN"):
        ranking = [
            (
                ranked.rank or "",
                ranked.row.name,
                _pct(ranked.row.values.get("rate")),
                "—" if ranked.change is None else f"{ranked.change * 100:+.1f}",
                ranked.old_rank or "—",
                _("滞后") if ranked.row.behind else "",
            )
            for ranked in r.ranking
        ]
        findings = [
            (name, *[c[s] for s in rules.STATUS_LABELS], c["overdue"]) for name, c in r.findings
        ]
        commentary = [
            Section(
                heading=f"（{n}）{c.name}",  # i18n: data (the numbering of a notice)
                paragraphs=[comments.get(c.id) or _("（未撰写讲评）")],
            )
            for n, c in enumerate(counties, start=1)
        ]
        notice = Notice(
            title=_("%(half)s工资集体协商工作复盘讲评", half=half.label),
            number=_(
                "%(start)s至%(end)s", start=chinese_date(half.start), end=chinese_date(half.end)
            ),
            addressee=_("各县(市、区)总工会、金华开发区工会"),
            sections=[
                Section(
                    heading=_("一、县(市、区)排名（按拓展协商达标率）"),
                    headers=[
                        _("排名"),
                        _("县(市、区)"),
                        _("达标率"),
                        _("变化(百分点)"),
                        _("上期排名"),
                        _("进度"),
                    ],
                    rows=ranking,
                    paragraphs=[
                        _(
                            "全市拓展协商达标率%(rate)s。达标：已建会规上企业在有效合同中拓展协商内容不少于3项（试点）或2项（其他），目标2027年底达到75%%。",
                            rate=_pct(r.now.total.values.get("rate")),
                        )
                    ],
                ),
                Section(
                    heading=_("二、本期发现问题及整改情况"),
                    headers=[
                        _("县(市、区)"),
                        *[str(v) for v in rules.STATUS_LABELS.values()],
                        _("逾期未整改"),
                    ],
                    rows=findings,
                ),
                Section(
                    heading=_("三、约谈与现场督导"),
                    headers=[_("县(市、区)"), _("县级约谈"), _("市级约谈"), _("已约谈")],
                    rows=[tuple(i) for i in r.interviews],
                    paragraphs=[
                        _(
                            "%(county)s：%(day)s %(status)s",
                            county=name,
                            day=chinese_date(s.held_on or s.planned_on),
                            status=_("已督导") if s.status == "held" else _("待督导"),
                        )
                        for name, s in r.supervisions
                    ]
                    or [_("本期无现场督导。")],
                ),
                Section(heading=_("四、各县(市、区)讲评")),
                *commentary,
            ],
            issuer=_("金华市总工会"),
            date_text=chinese_date(today),
            seal_note=_("（盖章）"),
            landscape=False,
        )
    return notice_docx(notice)
