"""Filing pages: upload, uploads, filings list, contract page, registry. Views stay thin."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from bargaining import queries, services
from bargaining.cells import parse_date
from bargaining.cli import template_bytes
from bargaining.excel_import import FILE
from bargaining.forms import UploadForm
from bargaining.legal_checks import FLAG_TITLES
from bargaining.models import (
    CONTRACT_TYPES,
    LEVELS,
    Contract,
    ContractVersion,
    County,
    Enterprise,
    Upload,
)
from bargaining.services import (
    KIND_FILINGS,
    KIND_REGISTRY,
    error_from_dict,
    marked_copy,
    upload_limits,
    upload_rate_exceeded,
)
from bargaining.text_views import text_context
from bargaining.texts import version_text
from bargaining.uploads import run_upload
from core import audit_log
from core.auth import public
from core.clock import local_today
from core.db import db, utcnow
from core.errors import UserError
from core.i18n import _, _l, current_language, tr
from core.models import StoredFile
from core.policy import may, requires, scope_of
from core.web import PAGE_SIZE, download, listing, page_number, paginate, xlsx_response

bp = Blueprint("bargaining", __name__)


def _arg_date(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_date(value)
    except UserError:
        flash(_("日期「%(value)s」无法识别，已忽略该筛选条件", value=value), "warning")
        return None


# ---------------------------------------------------------------------------- templates


@bp.route("/filings/template.xlsx")
@public
def filing_template() -> ResponseReturnValue:
    """The filing template; an enterprise clerk's comes pre-filled with their enterprise."""
    prefill = None
    if current_user.is_authenticated and scope_of(current_user).clerk:
        ent = db.session.get(Enterprise, current_user.enterprise_id)
        if ent is not None:
            prefill = (ent.uscc, ent.name, ent.county.name)
    return xlsx_response(
        template_bytes(registry=False, prefill=prefill), _("集体合同备案模板.xlsx")
    )


@bp.route("/registry/template.xlsx")
@public
def registry_template() -> ResponseReturnValue:
    return xlsx_response(template_bytes(registry=True), _("企业名录模板.xlsx"))


# ---------------------------------------------------------------------------- uploads


def _handle_upload(kind: str, template: str) -> ResponseReturnValue:
    form = UploadForm()
    limits = upload_limits()
    wants_json = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    if request.method == "POST":
        if not form.validate_on_submit():
            message = "；".join(str(e) for errs in form.errors.values() for e in errs) or _(
                "请选择文件"
            )
            if wants_json:
                return jsonify({"status": "rejected", "message": message}), 400
            flash(message, "danger")
            return render_template(template, form=form, limits=limits), 400
        limit = upload_rate_exceeded(current_user, utcnow())
        if limit is not None:
            message = _("上传过于频繁：每小时最多上传 %(n)s 个文件，请稍后再试", n=limit)
            if wants_json:
                return jsonify({"status": "rejected", "message": message}), 429
            flash(message, "danger")
            return render_template(template, form=form, limits=limits), 429
        file = form.file.data
        outcome = run_upload(current_user, kind, file.filename or "", file.read(), local_today())
        target = None
        if outcome.upload is not None:
            target = url_for("bargaining.upload_detail", upload_id=outcome.upload.id)
        elif outcome.duplicate_of is not None and may(
            current_user, "upload.view", outcome.duplicate_of
        ):
            target = url_for("bargaining.upload_detail", upload_id=outcome.duplicate_of.id)
        if wants_json:
            if outcome.upload is None and target:
                # the browser goes on to the earlier upload's page: say there why
                flash(tr(outcome.message), "info")
            return jsonify(
                {"status": outcome.status, "message": tr(outcome.message), "url": target}
            ), outcome.http_status
        flash(
            tr(outcome.message),
            {"imported": "success", "duplicate": "info"}.get(outcome.status, "danger"),
        )
        if outcome.upload is not None:
            return _render_upload(outcome.upload), outcome.http_status
        if target:
            return redirect(target)
        return render_template(template, form=form, limits=limits), outcome.http_status
    return render_template(template, form=form, limits=limits)


@bp.route("/filings/upload", methods=["GET", "POST"])
@requires("filing.upload")
def upload_filings() -> ResponseReturnValue:
    return _handle_upload(KIND_FILINGS, "bargaining/upload_filings.html")


@bp.route("/registry/upload", methods=["GET", "POST"])
@requires("registry.upload")
def upload_registry() -> ResponseReturnValue:
    return _handle_upload(KIND_REGISTRY, "bargaining/upload_registry.html")


def _render_upload(upload: Upload) -> str:
    stored = upload.errors or []
    errors = [_shown_error(e) for e in stored]
    markable = upload.status == "rejected" and any(e.get("row") for e in stored)
    filed = (
        queries.versions_of_upload(upload.id)
        if upload.status == "imported" and upload.kind == KIND_FILINGS
        else []
    )
    return render_template(
        "bargaining/upload_detail.html",
        upload=upload,
        filed_versions=filed,
        errors=errors,
        markable=markable,
        may_reupload=may(
            current_user, "filing.upload" if upload.kind == KIND_FILINGS else "registry.upload"
        ),
        history=audit_log.history("upload", upload.id),
    )


def _shown_error(data: dict[str, Any]) -> dict[str, Any]:
    """A stored error for the page: ``e.message`` (a Msg) and ``e | tr`` both show it in the
    reader's language; the whole-file marker is translated too."""
    error = error_from_dict(data)
    return {
        **data,
        "sheet": _(FILE) if error.sheet == FILE else error.sheet,
        "message": error.message,
    }


@bp.route("/uploads")
@requires("upload.view")
def uploads() -> ResponseReturnValue:
    kind = request.args.get("kind") or None
    rows, total = paginate(queries.uploads_query(current_user, kind), page_number())
    return render_template(
        "bargaining/uploads.html",
        rows=rows,
        total=total,
        page=page_number(),
        page_size=PAGE_SIZE,
    )


@bp.route("/uploads/<int:upload_id>")
@requires("upload.view", Upload)
def upload_detail(upload: Upload) -> ResponseReturnValue:
    return _render_upload(upload)


@bp.route("/uploads/<int:upload_id>/original")
@requires("upload.view", Upload)
def upload_original(upload: Upload) -> ResponseReturnValue:
    stored = db.session.get(StoredFile, upload.sha256)
    if stored is None or upload.purged_at is not None or not stored.data:
        abort(404)
    return download(stored.data, upload.filename)


@bp.route("/uploads/<int:upload_id>/marked.xlsx")
@requires("upload.view", Upload)
def upload_marked(upload: Upload) -> ResponseReturnValue:
    if upload.status != "rejected" or upload.purged_at is not None:
        abort(404)
    data = marked_copy(upload, current_language())
    if data is None:
        abort(404)
    db.session.commit()
    stem = upload.filename.rsplit(".", 1)[0]
    return xlsx_response(data, _("%(stem)s-错误标注.xlsx", stem=stem))


# ---------------------------------------------------------------------------- filings


def _filing_filters() -> queries.FilingFilters:
    a = request.args
    return queries.FilingFilters(
        q=a.get("q", "").strip(),
        county=a.get("county", "").strip(),
        level=a.get("level", "") if a.get("level") in LEVELS else "",
        contract_type=a.get("type", "") if a.get("type") in CONTRACT_TYPES else "",
        flag=a.get("flag", "") if a.get("flag") in ("any", "none", *FLAG_TITLES) else "",
        platform=a.get("platform", "") if a.get("platform") in ("entered", "missing") else "",
        filed_from=_arg_date("from"),
        filed_to=_arg_date("to"),
        in_force_on=_arg_date("in_force"),
    )


FILING_EXPORT_HEADERS = (
    _l("合同编号"),
    _l("版本"),
    _l("公开编号"),
    _l("协商层级"),
    _l("合同类型"),
    _l("名称"),
    _l("统一社会信用代码"),
    _l("县(市、区)"),
    _l("行业"),
    _l("签订日期"),
    _l("生效日期"),
    _l("期满日期"),
    _l("报送日期"),
    _l("备案日期"),
    _l("平台录入日期"),
    _l("覆盖职工人数"),
    _l("最低工资标准"),
    _l("工资增长幅度"),
    _l("拓展事项数"),
    _l("预审提示数"),
)


@bp.route("/filings")
@requires("filing.view")
def filings() -> ResponseReturnValue:
    filters = _filing_filters()
    return listing(
        queries.filings_query(current_user, filters, local_today()),
        "bargaining/filings.html",
        export_title=_("备案合同"),
        headers=[str(h) for h in FILING_EXPORT_HEADERS],
        export_row=_filing_export_row,
        filters=filters,
        counties=queries.counties_for(current_user),
        levels=LEVELS,
        types=CONTRACT_TYPES,
        flag_titles=FLAG_TITLES,
    )


def _filing_export_row(row: Any) -> tuple[Any, ...]:
    c, v = row.contract, row.version
    return (
        c.number,
        v.version_no,
        v.public_id,
        tr(c.level),
        tr(v.contract_type),
        v.name,
        row.uscc or "",
        row.county_name,
        v.industry,
        v.signed_on,
        v.effective_on,
        v.expires_on,
        v.submitted_on,
        v.filed_on,
        v.platform_entered_on,
        v.workers_covered,
        v.lowest_wage,
        v.raise_pct,
        row.expansion_items,
        row.flag_count,
    )


@bp.route("/contracts/<int:contract_id>")
@requires("contract.view", Contract)
def contract_detail(contract: Contract) -> ResponseReturnValue:
    versions = queries.versions_of(contract.id)
    selected: ContractVersion | None = versions[0] if versions else None
    wanted = request.args.get("version", type=int)
    if wanted is not None:
        selected = next((v for v in versions if v.version_no == wanted), None)
        if selected is None:
            abort(404)
    upload = db.session.get(Upload, selected.upload_id) if selected and selected.upload_id else None
    vt = version_text(selected) if selected else None
    return render_template(
        "bargaining/contract.html",
        **text_context(selected, vt),
        contract=contract,
        versions=versions,
        version=selected,
        upload=upload if upload and may(current_user, "upload.view", upload) else None,
        history=audit_log.history("contract", contract.id),
        flags=queries.version_flags(selected, local_today()) if selected else [],
        may_record_platform=may(current_user, "contract.platform_date", contract)
        and selected is not None
        and selected.id == contract.current_version_id,
        flag_titles=FLAG_TITLES,
    )


@bp.route("/contracts/<int:contract_id>/platform-date", methods=["POST"])
@requires("contract.platform_date", Contract)
def record_platform_date(contract: Contract) -> ResponseReturnValue:
    """备案一家、录入一家: the small form on the contract page (SPEC §4)."""
    try:
        day = parse_date(request.form.get("platform_entered_on", ""))
    except UserError as exc:  # say which field
        raise UserError(_("平台录入日期：%(problem)s", problem=tr(exc.message))) from None
    changed = services.record_platform_date(contract, day, current_user, local_today())
    db.session.commit()
    if changed:
        flash(
            _("已登记平台录入日期 %(day)s（更新原版本，未新建版本）", day=day.isoformat()),
            "success",
        )
    return redirect(url_for("bargaining.contract_detail", contract_id=contract.id))


# ---------------------------------------------------------------------------- registry


def _registry_filters() -> queries.RegistryFilters:
    a = request.args
    return queries.RegistryFilters(
        q=a.get("q", "").strip(),
        county=a.get("county", "").strip(),
        has_union=a.get("has_union", ""),
        above_scale=a.get("above_scale", ""),
        industry=a.get("industry", "").strip(),
        contract=a.get("contract", ""),
    )


REGISTRY_EXPORT_HEADERS = (
    _l("统一社会信用代码"),
    _l("企业名称"),
    _l("县(市、区)"),
    _l("行业"),
    _l("是否建会"),
    _l("是否规模以上"),
    _l("职工人数"),
    _l("备案合同数"),
)


@bp.route("/registry")
@requires("registry.view")
def registry() -> ResponseReturnValue:
    filters = _registry_filters()
    return listing(
        queries.registry_query(current_user, filters),
        "bargaining/registry.html",
        export_title=_("企业名录"),
        headers=[str(h) for h in REGISTRY_EXPORT_HEADERS],
        export_row=lambda r: (
            r.enterprise.uscc,
            r.enterprise.name,
            r.county_name,
            r.enterprise.industry,
            r.enterprise.has_union,
            r.enterprise.above_scale,
            r.enterprise.employees,
            r.contracts,
        ),
        filters=filters,
        counties=queries.counties_for(current_user),
    )


@bp.route("/enterprises/<int:enterprise_id>")
@requires("enterprise.view", Enterprise, "enterprise_id")
def enterprise_detail(enterprise: Enterprise) -> ResponseReturnValue:
    ent = enterprise
    return render_template(
        "bargaining/enterprise.html",
        ent=ent,
        own=queries.own_contracts(ent.id),
        covering=queries.covering_contracts(ent.id, current_user),
        history=audit_log.history("enterprise", ent.id),
    )


def home_section(user: Any) -> tuple[str, dict[str, Any]]:
    today = local_today()
    context: dict[str, Any] = {"today": today}
    if scope_of(user).clerk:
        ent = db.session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
        context.update(ent=ent, own=queries.own_contracts(ent.id) if ent else [])
    else:
        context["summary"] = queries.county_summary(user, today)
    recent, _total = paginate(queries.uploads_query(user), 1, size=8)
    context["recent_uploads"] = recent
    return "bargaining/home_section.html", context


@bp.app_context_processor
def _county_code() -> dict[str, Any]:
    def current_user_county_code() -> str:
        if not current_user.is_authenticated or not current_user.county_id:
            return ""
        county = db.session.get(County, current_user.county_id)
        return county.code if county else ""

    may_file = current_user.is_authenticated and may(current_user, "filing.upload")
    return {"current_user_county_code": current_user_county_code, "may_file": may_file}
