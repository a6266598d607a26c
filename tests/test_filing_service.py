"""Filing through the shared upload path: all or nothing, versions, duplicates, flags, audit log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bargaining.models import (
    Contract,
    ContractCoverage,
    ContractFlag,
    ContractItem,
    ContractVersion,
    Enterprise,
    Upload,
)
from bargaining.queries import version_flags
from bargaining.services import KIND_FILINGS, KIND_REGISTRY
from bargaining.uploads import run_upload
from core.audit_log import AuditLogIsAppendOnly, history
from core.db import db
from core.errors import UserError
from core.models import AuditLog, Role, StoredFile
from tests.conftest import TODAY
from tests.factories import (
    contract_row,
    filing_workbook,
    make_enterprise,
    make_user,
    registry_row,
    registry_workbook,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture()
def inspector(app):
    return make_user("insp-WY", Role.INSPECTOR, "WY")


def test_valid_workbook_files_contracts_items_and_flags(inspector):
    ent = make_enterprise("WY")
    data = filing_workbook([contract_row(ent, 合同编号="A-1", 赞成票数=20)])
    outcome = run_upload(inspector, KIND_FILINGS, "a.xlsx", data, TODAY)
    assert outcome.status == "imported", outcome.errors
    version = db.session.scalars(select(ContractVersion)).one()
    assert version.public_id == f"HT{version.contract_id:06d}-1"
    assert version.filed_on == TODAY
    assert sorted(i.item_code for i in version.items) == ["A01", "S01", "W01"]
    # 20 of 45 delegates in favour is not more than half: Art. 36 flag stored on the contract
    assert [f.code for f in version.flags] == ["ART36_VOTES"]
    assert outcome.upload.counts["flags"] == 1


def test_any_error_stores_no_contract_at_all(inspector):
    ent = make_enterprise("WY")
    good = [contract_row(ent, 合同编号=f"G-{i}") for i in range(5)]
    bad = contract_row(ent, 合同编号="BAD", 出席代表数=99)
    data = filing_workbook([*good, bad])
    outcome = run_upload(inspector, KIND_FILINGS, "mixed.xlsx", data, TODAY)
    assert outcome.status == "rejected"
    assert outcome.http_status == 422
    assert [(e.sheet, e.row, e.column) for e in outcome.errors] == [("合同", 7, "出席代表数")]
    for model in (Contract, ContractVersion, ContractItem, ContractFlag, ContractCoverage):
        assert count(model) == 0
    # the file itself is kept (nothing lost) and the upload says why it was refused
    upload = db.session.get(Upload, outcome.upload.id)
    assert upload.status == "rejected"
    assert db.session.get(StoredFile, upload.sha256).data == data
    assert upload.errors[0]["message"].startswith("出席代表数")


def test_same_number_makes_a_new_version_and_keeps_history(inspector):
    ent = make_enterprise("WY")
    first = filing_workbook([contract_row(ent, 合同编号="V-1", 工资增长幅度=4)])
    second = filing_workbook([contract_row(ent, 合同编号="V-1", 工资增长幅度=6)])
    assert run_upload(inspector, KIND_FILINGS, "1.xlsx", first, TODAY).status == "imported"
    outcome = run_upload(inspector, KIND_FILINGS, "2.xlsx", second, TODAY)
    assert outcome.status == "imported"
    assert outcome.upload.counts == {
        "contracts": 1,
        "new_contracts": 0,
        "new_versions": 1,
        "items": 3,
        "coverage": 0,
        "flags": 0,
        "platform_dates": 0,
    }
    contract = db.session.scalars(select(Contract)).one()
    versions = db.session.scalars(
        select(ContractVersion).order_by(ContractVersion.version_no)
    ).all()
    assert [v.version_no for v in versions] == [1, 2]
    assert [float(v.raise_pct) for v in versions] == [4.0, 6.0]
    assert contract.current_version_id == versions[1].id
    assert contract.version_count == 2
    actions = [h.action for h in history("contract", contract.id)]
    assert actions == ["file_contract_version", "file_contract"]


def test_same_number_in_another_enterprise_is_another_contract(inspector):
    a, b = make_enterprise("WY"), make_enterprise("WY")
    data = filing_workbook(
        [contract_row(a, 合同编号="2026-01"), contract_row(b, 合同编号="2026-02")]
    )
    run_upload(inspector, KIND_FILINGS, "a.xlsx", data, TODAY)
    data = filing_workbook([contract_row(b, 合同编号="2026-01")])
    run_upload(inspector, KIND_FILINGS, "b.xlsx", data, TODAY)
    assert count(Contract) == 3
    assert count(ContractVersion) == 3


def test_the_same_file_twice_is_not_imported_twice(inspector):
    ent = make_enterprise("WY")
    data = filing_workbook([contract_row(ent, 合同编号="D-1")])
    first = run_upload(inspector, KIND_FILINGS, "d.xlsx", data, TODAY)
    uploads_before = count(Upload)
    logs_before = count(AuditLog)
    again = run_upload(inspector, KIND_FILINGS, "d-copy.xlsx", data, TODAY)
    assert again.status == "duplicate"
    assert again.duplicate_of.id == first.upload.id
    assert "未重复导入" in again.message
    assert count(ContractVersion) == 1
    assert count(Upload) == uploads_before
    assert count(AuditLog) == logs_before


def test_a_rejected_file_can_be_uploaded_again_after_the_registry_is_fixed(inspector):
    uscc_row = registry_row()
    row = contract_row(None, 统一社会信用代码=uscc_row["统一社会信用代码"], 企业名称="后登记企业")
    data = filing_workbook([row])
    assert run_upload(inspector, KIND_FILINGS, "x.xlsx", data, TODAY).status == "rejected"
    assert (
        run_upload(inspector, KIND_REGISTRY, "r.xlsx", registry_workbook([uscc_row]), TODAY).status
        == "imported"
    )
    assert run_upload(inspector, KIND_FILINGS, "x.xlsx", data, TODAY).status == "imported"


def test_backfilled_filing_date_counts_for_flags(inspector):
    ent = make_enterprise("WY")
    row = contract_row(ent, 备案日期=date(2026, 7, 1), 平台录入日期=None)
    run_upload(inspector, KIND_FILINGS, "old.xlsx", filing_workbook([row]), TODAY)
    version = db.session.scalars(select(ContractVersion)).one()
    assert version.filed_on == date(2026, 7, 1)
    # PLATFORM_MISSING holds as of today: computed when read, not stored (SPEC §4)
    assert [f.code for f in version.flags] == []
    assert [f.code for f in version_flags(version, TODAY)] == ["PLATFORM_MISSING"]


def test_industry_contract_with_coverage(inspector):
    covered = [make_enterprise("WY") for _ in range(3)]
    row = contract_row(None, 合同编号="HY-1", 协商层级="行业性", 企业名称="武义县五金行业")
    coverage = [
        {"合同编号": "HY-1", "统一社会信用代码": e.uscc, "企业名称": e.name} for e in covered
    ]
    outcome = run_upload(
        inspector, KIND_FILINGS, "hy.xlsx", filing_workbook([row], coverage=coverage), TODAY
    )
    assert outcome.status == "imported", outcome.errors
    contract = db.session.scalars(select(Contract)).one()
    assert contract.enterprise_id is None
    assert contract.scope_key == f"C{contract.county_id}"
    assert sorted(c.enterprise_id for c in contract.current_version.coverage) == sorted(
        e.id for e in covered
    )


def test_enterprise_clerk_files_only_for_itself(app):
    own, other = make_enterprise("WY"), make_enterprise("WY")
    clerk = make_user("clerk", Role.ENTERPRISE, enterprise=own)
    ok = run_upload(clerk, KIND_FILINGS, "own.xlsx", filing_workbook([contract_row(own)]), TODAY)
    assert ok.status == "imported"
    refused = run_upload(
        clerk, KIND_FILINGS, "other.xlsx", filing_workbook([contract_row(other)]), TODAY
    )
    assert refused.status == "rejected"
    assert refused.errors[0].message == "企业经办人只能为本企业备案"


def test_inspector_of_wy_cannot_file_for_yw(inspector):
    yw = make_enterprise("YW")
    outcome = run_upload(
        inspector,
        KIND_FILINGS,
        "yw.xlsx",
        filing_workbook([contract_row(yw, **{"县(市、区)": "YW"})]),
        TODAY,
    )
    assert outcome.status == "rejected"
    messages = [e.message for e in outcome.errors]
    assert any("不在您的管辖范围" in m for m in messages)
    assert count(Contract) == 0


def test_city_leader_may_not_keep_the_registry(app):
    city = make_user("city", Role.CITY)
    with pytest.raises(UserError):
        run_upload(city, KIND_REGISTRY, "r.xlsx", registry_workbook([registry_row()]), TODAY)


def test_registry_reupload_updates_and_keeps_history(inspector):
    row = registry_row(职工人数=100)
    first = run_upload(inspector, KIND_REGISTRY, "r1.xlsx", registry_workbook([row]), TODAY)
    assert first.upload.counts == {"created": 1, "updated": 0, "unchanged": 0}
    changed = {**row, "职工人数": 180, "是否规模以上": "否"}
    second = run_upload(
        inspector, KIND_REGISTRY, "r2.xlsx", registry_workbook([changed, registry_row()]), TODAY
    )
    assert second.upload.counts == {"created": 1, "updated": 1, "unchanged": 0}
    ent = db.session.scalars(
        select(Enterprise).where(Enterprise.uscc == row["统一社会信用代码"])
    ).one()
    db.session.refresh(ent)
    assert (ent.employees, ent.above_scale) == (180, False)
    log = history("enterprise", ent.id)
    assert [h.action for h in log] == ["update", "create"]
    assert log[0].before["employees"] == 100 and log[0].after["employees"] == 180


def test_audit_log_is_append_only_in_orm_and_database(inspector):
    ent = make_enterprise("WY")
    run_upload(inspector, KIND_FILINGS, "a.xlsx", filing_workbook([contract_row(ent)]), TODAY)
    entry = db.session.scalars(select(AuditLog)).first()
    entry.summary = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE audit_log SET summary = 'x'"))
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM audit_log"))
    db.session.rollback()
    assert count(AuditLog) > 0


def test_the_cycle_collector_pauses_while_an_upload_is_processed(inspector, monkeypatch):
    import gc

    from bargaining import uploads

    ent = make_enterprise("WY")
    seen: list[bool] = []
    real = uploads.process_filing_upload

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads, "process_filing_upload", spy)
    data = filing_workbook([contract_row(ent)])
    assert run_upload(inspector, KIND_FILINGS, "a.xlsx", data, TODAY).status == "imported"
    assert seen == [False]
    assert gc.isenabled()

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(uploads, "process_filing_upload", broken)
    other = filing_workbook([contract_row(ent, 合同编号="B")])
    with pytest.raises(RuntimeError):
        run_upload(inspector, KIND_FILINGS, "b.xlsx", other, TODAY)
    assert gc.isenabled()  # restored on an error too
