"""Small enterprises file one contract through a web form (SPEC §4): the form becomes a
one-row filing workbook and goes through the very same path as an uploaded one
(:func:`bargaining.uploads.run_upload`: original kept, validation, all-or-nothing filing,
flags), so the rules and the error messages are the workbook's own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy import select

from bargaining import queries
from bargaining.excel_import import FILE
from bargaining.models import CONTRACT_TYPES, BargainingItem, Enterprise
from bargaining.services import KIND_FILINGS, error_from_dict
from bargaining.sheets import CONTRACTS, COVERAGE, ITEMS
from bargaining.uploads import run_upload
from core.clock import local_today
from core.db import db
from core.i18n import _, _l, tr
from core.policy import requires, scope_of
from core.xlsx import save

bp = Blueprint("filing_form", __name__)

#: (column key, label, input type) in the order of the template's 合同 sheet
FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("number", _l("合同编号"), "text"),
    ("contract_type", _l("合同类型"), "select"),
    ("uscc", _l("统一社会信用代码"), "text"),
    ("name", _l("企业名称"), "text"),
    ("county", _l("县(市、区)"), "county"),
    ("industry", _l("行业"), "text"),
    ("signed_on", _l("签订日期"), "date"),
    ("delegates_total", _l("职工代表总数"), "number"),
    ("delegates_present", _l("出席代表数"), "number"),
    ("votes_for", _l("赞成票数"), "number"),
    ("effective_on", _l("生效日期"), "date"),
    ("expires_on", _l("期满日期"), "date"),
    ("submitted_on", _l("报送日期"), "date"),
    ("workers_covered", _l("覆盖职工人数"), "number"),
    ("lowest_wage", _l("最低工资标准"), "number"),
    ("raise_pct", _l("工资增长幅度"), "number"),
    ("platform_entered_on", _l("平台录入日期"), "date"),
    ("remarks", _l("备注"), "text"),
)
FIXED_FOR_CLERK = ("uscc", "name", "county")


def form_workbook(
    values: Mapping[str, str], items: Sequence[str], summaries: Mapping[str, str]
) -> bytes:
    """The form as a filing workbook: the template's headers, one contract row, its items."""
    wb = Workbook()
    wb.remove(wb.active)
    contracts = wb.create_sheet(CONTRACTS.name)
    contracts.append([c.header for c in CONTRACTS.columns])
    row = {**values, "level": "企业"}  # i18n: data (the stored value, matched by the importer)
    contracts.append([(row.get(c.key) or "").strip() or None for c in CONTRACTS.columns])
    item_ws = wb.create_sheet(ITEMS.name)
    item_ws.append([c.header for c in ITEMS.columns])
    number = (values.get("number") or "").strip()
    for code in items:
        item_ws.append([number, code, (summaries.get(code) or "").strip() or None])
    wb.create_sheet(COVERAGE.name).append([c.header for c in COVERAGE.columns])
    return save(wb)


def field_errors(errors: Sequence[Any]) -> dict[str, list[str]]:
    """Errors by form field (the column's key; ``items`` for the 协商事项 sheet)."""
    by_header = {c.header: c.key for c in CONTRACTS.columns}
    out: dict[str, list[str]] = {}
    for e in errors:
        if e.sheet == ITEMS.name:
            key = "items"
        elif e.sheet == FILE:
            key = "file"
        else:
            key = by_header.get(e.column, "file")
        out.setdefault(key, []).append(tr(e.message))
    return out


def _clerk_values() -> dict[str, str]:
    ent = db.session.get(Enterprise, current_user.enterprise_id)
    if ent is None:
        abort(403)
    return {"uscc": ent.uscc, "name": ent.name, "county": ent.county.name}


@bp.route("/filings/form", methods=["GET", "POST"])
@requires("filing.upload")
def filing_form() -> ResponseReturnValue:
    fixed = _clerk_values() if scope_of(current_user).clerk else {}
    catalogue = db.session.scalars(
        select(BargainingItem).where(BargainingItem.active).order_by(BargainingItem.code)
    ).all()
    counties = queries.counties_for(current_user)
    values: dict[str, str] = {**fixed}
    chosen: list[str] = []
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key, _label, _kind in FIELDS} | fixed
        chosen = [c for c in request.form.getlist("items") if c]
        summaries = {c: request.form.get(f"summary_{c}", "") for c in chosen}
        data = form_workbook(values, chosen, summaries)
        outcome = run_upload(
            current_user, KIND_FILINGS, _("网页表单备案.xlsx"), data, local_today()
        )
        if outcome.status == "imported" and outcome.upload is not None:
            flash(tr(outcome.message), "success")
            filed = queries.versions_of_upload(outcome.upload.id)
            if filed:
                return redirect(
                    url_for("bargaining.contract_detail", contract_id=filed[0].contract_id)
                    + "#text"
                ), 303
            return redirect(url_for("bargaining.upload_detail", upload_id=outcome.upload.id)), 303
        stored = outcome.upload.errors if outcome.upload is not None else []
        errors = field_errors([error_from_dict(e) for e in stored])
        if not errors:
            errors = {"file": [tr(outcome.message)]}
        flash(tr(outcome.message), "danger")
        status = outcome.http_status if outcome.http_status >= 400 else 422
    return render_template(
        "bargaining/filing_form.html",
        fields=FIELDS,
        values=values,
        fixed=fixed,
        contract_types=CONTRACT_TYPES,
        counties=counties,
        catalogue=catalogue,
        chosen=chosen,
        errors=errors,
    ), status


__all__ = ["bp", "field_errors", "form_workbook"]
