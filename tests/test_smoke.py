from sqlalchemy import func, select

from bargaining.models import Contract, ContractVersion
from core.db import db
from core.models import Role
from tests.conftest import TODAY
from tests.factories import contract_row, filing_workbook, login, make_enterprise, make_user, upload


def test_inspector_uploads_a_filing_and_sees_the_contract(client):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    assert login(client, "insp-WY").status_code == 302
    data = filing_workbook([contract_row(ent, 合同编号="WY-1")])
    response = upload(client, data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "已导入 1 份合同" in response.get_data(as_text=True)
    contract = db.session.scalars(select(Contract)).one()
    page = client.get(f"/contracts/{contract.id}")
    assert page.status_code == 200
    assert "WY-1" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 1
    assert db.session.scalars(select(ContractVersion)).one().filed_on == TODAY  # the injected clock
