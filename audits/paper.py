"""整改通知书 and 约谈通知书 (SPEC §6 Documents on paper), always in Chinese: they go to
enterprises and county unions as official notices."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from audits import checklist
from audits import rectification_rules as rules
from audits.models import Finding, Interview, InterviewLink, Rectification
from bargaining.models import County, Enterprise
from bargaining.queries import enterprise_names
from core.db import db
from core.i18n import _, tr
from core.paper import Notice, Section, chinese_date, notice_docx

CITY_UNION = "金华市总工会"  # i18n: data (the issuer's name on paper)


def county_union(county: County) -> str:
    return f"{county.name}总工会"  # i18n: data


def _check_title(code: str) -> str:
    check = checklist.BY_CODE.get(code)
    return check.title if check else code


def rectification_notice(rect: Rectification, today: date) -> bytes:
    """整改通知书: from the county union to the enterprise, one finding, its deadline."""
    county = db.session.get_one(County, rect.county_id)
    ent = db.session.get(Enterprise, rect.enterprise_id) if rect.enterprise_id else None
    finding: Finding = rect.finding
    with force_locale("zh_CN"):
        kind = _("立行立改") if finding.severity == checklist.CRITICAL else _("限期整改")
        notice = Notice(
            title=_("集体合同整改通知书"),
            number=_(
                "%(county)s工整改〔%(year)s〕%(id)s号",
                county=county.code,
                year=rect.created_on.year,
                id=rect.id,
            ),
            addressee=ent.name if ent else county_union(county),
            sections=[
                Section(
                    paragraphs=[
                        _(
                            "根据工资集体协商闭环管理工作安排，我会于%(day)s对你单位报送备案的集体合同进行了抽查审核，发现以下问题，现通知你单位%(kind)s。",
                            day=chinese_date(finding.created_on),
                            kind=kind,
                        )
                    ],
                    headers=[_("序号"), _("检查项"), _("问题"), _("严重程度"), _("整改期限")],
                    rows=[
                        (
                            1,
                            f"{finding.check_code} {_check_title(finding.check_code)}",
                            tr(finding.description),
                            tr(checklist.SEVERITY_LABELS.get(finding.severity, finding.severity)),
                            chinese_date(rect.deadline),
                        )
                    ],
                ),
                Section(
                    paragraphs=[
                        _(
                            "请你单位于%(deadline)s前完成整改，并通过系统提交整改情况说明及佐证材料（或书面报送我会）。逾期未整改的，将按照层级约谈企业负责人。",
                            deadline=chinese_date(rect.deadline),
                        ),
                        _(
                            "当前状态：%(status)s。",
                            status=tr(rules.status_label(rect.status, rect.deadline, today)),
                        ),
                    ]
                ),
            ],
            issuer=county_union(county),
            date_text=chinese_date(today),
            seal_note=_("（盖章）"),
        )
    return notice_docx(notice)


def interview_notice(interview: Interview, today: date) -> bytes:
    """约谈通知书: the county union to the enterprise's leader, or the city to the county union."""
    county = db.session.get_one(County, interview.county_id)
    ent = db.session.get(Enterprise, interview.enterprise_id) if interview.enterprise_id else None
    rects = list(
        db.session.scalars(
            select(Rectification)
            .join(InterviewLink, InterviewLink.rectification_id == Rectification.id)
            .where(InterviewLink.interview_id == interview.id)
            .order_by(Rectification.deadline)
        )
    )
    names = enterprise_names(r.enterprise_id for r in rects)
    city = interview.level == "city"
    with force_locale("zh_CN"):
        addressee = (
            county_union(county)
            if city
            else _("%(enterprise)s负责人", enterprise=ent.name if ent else county.name)
        )
        when = (
            chinese_date(interview.held_on) if interview.held_on else _("接到本通知后5个工作日内")
        )
        notice = Notice(
            title=_("约谈通知书"),
            number=_(
                "%(issuer)s约谈〔%(year)s〕%(id)s号",
                issuer=_("金工") if city else county.code,
                year=interview.triggered_on.year,
                id=interview.id,
            ),
            addressee=addressee,
            sections=[
                Section(
                    paragraphs=[
                        _("事由：%(reason)s。", reason=tr(interview.reason)),
                        _(
                            "根据按照层级约谈的工作要求，定于%(when)s就上述问题进行约谈，请%(who)s准时参加，并书面说明整改情况和下一步措施。",
                            when=when,
                            who=_("你会主要负责人") if city else _("你单位主要负责人"),
                        ),
                    ],
                    headers=[_("序号"), _("企业"), _("问题"), _("整改期限"), _("逾期天数")],
                    rows=[
                        (
                            n,
                            names.get(r.enterprise_id, "") if r.enterprise_id else "",
                            tr(r.finding.description),
                            chinese_date(r.deadline),
                            max(0, (today - r.deadline).days),
                        )
                        for n, r in enumerate(rects, start=1)
                    ],
                ),
            ],
            issuer=CITY_UNION if city else county_union(county),
            date_text=chinese_date(today),
            seal_note=_("（盖章）"),
        )
    return notice_docx(notice)
