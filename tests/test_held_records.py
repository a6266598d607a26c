"""Held means held (SPEC §3): "A record already held or decided (a 约谈, a supervision, a
visit record, an audit verdict) is never overwritten: a correction is an amendment with its
reason, and the earlier text stays visible on the object's history."
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from audits.models import Interview, Supervision, Visit
from audits.services import record_interview
from audits.supervisions import plan_supervision, record_supervision
from audits.visit_service import record_visit
from core.db import db
from core.errors import UserError
from core.models import AuditLog, Role
from tests.factories import county, csrf_token, login, make_enterprise, make_user

TODAY = date(2026, 11, 16)


@pytest.fixture()
def people(app):
    return {
        "insp": make_user("insp-WY", Role.INSPECTOR, "WY"),
        "other": make_user("insp-YW", Role.INSPECTOR, "YW"),
        "city": make_user("city", Role.CITY),
        "ent": make_enterprise("WY"),
    }


def held_interview(people) -> Interview:
    interview = Interview(
        level="county",
        county_id=county("WY").id,
        enterprise_id=people["ent"].id,
        reason="逾期未整改",
        triggered_on=date(2026, 11, 2),
    )
    db.session.add(interview)
    db.session.flush()
    fields = {
        "held_on": date(2026, 11, 10),
        "participants": "县总工会张某；企业负责人李某",
        "minutes": "企业承认逾期，原因是负责人出差",
        "commitments": "10日内补录",
        "follow_up_on": date(2026, 11, 20),
    }
    record_interview(interview, people["insp"], fields, TODAY)
    db.session.commit()
    return interview


def log_of(kind: str, object_id: int) -> list[AuditLog]:
    return list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.object_type == kind, AuditLog.object_id == object_id)
            .order_by(AuditLog.seq)
        )
    )


def test_a_held_interview_is_not_overwritten_without_a_reason(people):
    interview = held_interview(people)
    with pytest.raises(UserError, match="更正原因"):
        record_interview(
            interview,
            people["insp"],
            {"held_on": date(2026, 11, 10), "participants": "张某", "minutes": "改写的纪要"},
            TODAY,
        )
    db.session.rollback()
    assert db.session.get(Interview, interview.id).minutes == "企业承认逾期，原因是负责人出差"


def test_an_amendment_keeps_the_earlier_text_in_the_log(people):
    interview = held_interview(people)
    record_interview(
        interview,
        people["insp"],
        {
            "held_on": date(2026, 11, 10),
            "participants": "县总工会张某；企业负责人李某",
            "minutes": "企业承认逾期，原因是系统故障",
            "commitments": "10日内补录",
            "follow_up_on": date(2026, 11, 20),
            "amendment_reason": "纪要笔误",
        },
        TODAY,
    )
    db.session.commit()
    entries = log_of("interview", interview.id)
    assert [e.action for e in entries] == ["record_interview", "amend_interview"]
    first, amendment = entries
    assert first.after["minutes"] == "企业承认逾期，原因是负责人出差"  # every field recorded
    assert amendment.before == {"minutes": "企业承认逾期，原因是负责人出差"}
    assert amendment.after == {
        "minutes": "企业承认逾期，原因是系统故障",
        "amendment_reason": "纪要笔误",
    }


def test_the_interview_history_page_shows_the_earlier_minutes(people, client):
    interview = held_interview(people)
    login(client, "insp-WY")
    url = f"/interviews/{interview.id}"
    overwrite = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "held_on": "2026-11-10",
            "participants": "张某",
            "minutes": "被改写的纪要",
        },
    )
    assert overwrite.status_code == 400
    amended = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "held_on": "2026-11-10",
            "participants": "县总工会张某；企业负责人李某",
            "minutes": "更正后的纪要",
            "commitments": "10日内补录",
            "amendment_reason": "纪要笔误",
        },
    )
    assert amended.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "更正后的纪要" in page and "企业承认逾期，原因是负责人出差" in page
    assert "纪要笔误" in page and "被改写的纪要" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "insp-YW")  # who may not see the interview does not see its history either
    assert client.get(url).status_code == 404


def test_a_held_supervision_is_amended_with_a_reason(people):
    supervision = plan_supervision(county("WY").id, date(2026, 11, 5), "推进滞后", people["city"])
    fields = {
        "held_on": date(2026, 11, 5),
        "participants": "市总工会王某",
        "problems": "覆盖率低",
        "measures": "每周通报",
    }
    record_supervision(supervision, people["city"], fields, TODAY)
    db.session.commit()
    with pytest.raises(UserError):
        record_supervision(supervision, people["city"], {**fields, "problems": "改写"}, TODAY)
    db.session.rollback()
    record_supervision(
        supervision,
        people["city"],
        {**fields, "problems": "覆盖率低，台账缺失", "amendment_reason": "补充问题"},
        TODAY,
    )
    db.session.commit()
    assert db.session.get(Supervision, supervision.id).problems == "覆盖率低，台账缺失"
    amendment = log_of("supervision", supervision.id)[-1]
    assert amendment.action == "amend_supervision"
    assert amendment.before == {"problems": "覆盖率低"}


def test_a_done_visit_record_is_amended_with_a_reason_and_not_unrecorded(people):
    visit = Visit(
        quarter="2026Q4",
        kind="enterprise",
        task_key=f"enterprise-{people['ent'].id}",
        county_id=county("WY").id,
        enterprise_id=people["ent"].id,
        visitor_id=people["insp"].id,
        planned_on=date(2026, 11, 10),
    )
    db.session.add(visit)
    db.session.flush()
    done = {
        "status": "done",
        "done_on": date(2026, 11, 10),
        "people_met": "李某",
        "notes": "已公示",
    }
    record_visit(visit, people["insp"], done, TODAY)
    db.session.commit()
    with pytest.raises(UserError):
        record_visit(visit, people["insp"], {**done, "notes": "改写"}, TODAY)
    with pytest.raises(UserError):
        record_visit(
            visit,
            people["insp"],
            {"status": "missed", "reason": "x", "amendment_reason": "y"},
            TODAY,
        )
    db.session.rollback()
    record_visit(
        visit, people["insp"], {**done, "notes": "未公示", "amendment_reason": "看错了"}, TODAY
    )
    db.session.commit()
    amendment = log_of("visit", visit.id)[-1]
    assert amendment.action == "amend_visit" and amendment.before == {"notes": "已公示"}
    assert db.session.get(Visit, visit.id).status == "done"


def test_an_audit_verdict_once_decided_is_never_overwritten(people):
    from audits.models import Audit
    from audits.services import save_audit
    from bargaining.uploads import run_upload
    from tests.factories import contract_row, filing_workbook, freeze_and_draw

    row = contract_row(people["ent"], 合同编号="A-1", 备案日期=date(2026, 10, 9))
    outcome = run_upload(
        people["insp"], "filings", "a.xlsx", filing_workbook([row]), date(2026, 11, 25)
    )
    assert outcome.status == "imported", [e.cli_line() for e in outcome.errors]
    db.session.commit()
    freeze_and_draw("2026-10", "123456")
    audit = db.session.scalars(select(Audit)).one()
    checks = {f"C{i}": ("pass", "") for i in range(1, 10)}
    save_audit(audit, people["insp"], checks, "全部符合", TODAY, complete=True)
    db.session.commit()
    with pytest.raises(UserError, match="已完成"):
        save_audit(
            audit, people["insp"], {**checks, "C1": ("fail", "票数不足")}, "", TODAY, complete=True
        )
    db.session.rollback()
    assert db.session.get(Audit, audit.id).verdict == "qualified"


def test_a_completed_audits_opinion_is_amended_with_a_reason_and_the_verdict_stays(people, client):
    from audits.models import Audit
    from audits.services import save_audit
    from bargaining.uploads import run_upload
    from tests.factories import contract_row, filing_workbook, freeze_and_draw

    row = contract_row(people["ent"], 合同编号="A-1", 备案日期=date(2026, 10, 9))
    outcome = run_upload(
        people["insp"], "filings", "a.xlsx", filing_workbook([row]), date(2026, 11, 25)
    )
    assert outcome.status == "imported"
    db.session.commit()
    freeze_and_draw("2026-10", "123456")
    audit = db.session.scalars(select(Audit)).one()
    checks = {f"C{i}": ("pass", "") for i in range(1, 10)}
    save_audit(audit, people["insp"], checks, "全部符合", TODAY, complete=True)
    db.session.commit()
    login(client, "insp-WY")
    url = f"/audits/{audit.id}"
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "notes": "改写"})
    assert refused.status_code == 400
    amended = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "notes": "全部符合，C9 已在厂务公开栏公示",
            "amendment_reason": "补充说明",
        },
    )
    assert amended.status_code == 302
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    assert audit.verdict == "qualified" and audit.notes == "全部符合，C9 已在厂务公开栏公示"
    page = client.get(url).get_data(as_text=True)
    assert "全部符合" in page and "补充说明" in page
    assert log_of("audit", audit.id)[-1].before == {"notes": "全部符合"}
