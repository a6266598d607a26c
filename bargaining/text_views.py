"""Contract texts on the web: attach (contract page, right after a filing), download the
original, and the admin's recognition rules (/admin/recognition). Views stay thin."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from bargaining.models import (
    BargainingItem,
    Contract,
    ContractText,
    ContractVersion,
    ItemRecognition,
)
from bargaining.recognition import highlight_segments, pattern_problem
from bargaining.texts import (
    ACCEPT,
    TEXT_ROLES,
    TextRefused,
    VersionText,
    attach_text,
    may_attach_text,
)
from core import audit_log
from core.auth import ALL_ROLES, allow, get_in_scope
from core.db import db, utcnow
from core.i18n import _
from core.models import Role, StoredFile
from core.web import download

bp = Blueprint("texts", __name__)


def text_context(version: ContractVersion | None, vt: VersionText | None) -> dict[str, Any]:
    """What templates/bargaining/_contract_text.html needs (the contract and audit pages)."""
    if version is None or vt is None:
        return {"vt": None}
    return {
        "vt": vt,
        "segments": highlight_segments(vt.text, vt.found) if vt.text else [],
        "may_attach": may_attach_text(current_user, version.contract),
        "text_accept": ACCEPT,
        "text_version": version,
        "item_names": dict(
            db.session.execute(select(BargainingItem.code, BargainingItem.name)).all()
        ),
    }


@bp.route("/contracts/<int:contract_id>/texts", methods=["POST"])
@allow(*TEXT_ROLES)
def attach(contract_id: int) -> ResponseReturnValue:
    contract = get_in_scope(current_user, Contract, contract_id)
    version_no = request.form.get("version", type=int)
    version = db.session.scalars(
        select(ContractVersion).where(
            ContractVersion.contract_id == contract.id,
            ContractVersion.version_no == version_no
            if version_no
            else ContractVersion.id == contract.current_version_id,
        )
    ).first()
    if version is None:
        abort(404)
    files = [f for f in request.files.getlist("text") if f and f.filename]
    if not files:
        flash(_("请选择合同文本文件"), "danger")
        return redirect(_back(contract, version)), 303
    added = 0
    try:
        for file in files:
            _text, fresh = attach_text(current_user, version, file.filename or "", file.read())
            added += fresh
        db.session.commit()
    except TextRefused as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        flash(exc.message, "danger")
        return redirect(_back(contract, version)), 303
    if added:
        flash(
            _("已保存 %(n)s 个文件，正在后台读取文字，完成后本页显示识别结果", n=added), "success"
        )
    else:
        flash(_("此文件已附在该合同版本上，未重复保存"), "info")
    return redirect(_back(contract, version)), 303


def _back(contract: Contract, version: ContractVersion) -> str:
    return (
        url_for("bargaining.contract_detail", contract_id=contract.id, version=version.version_no)
        + "#text"
    )


@bp.route("/contract-texts/<int:text_id>/original")
@allow(*ALL_ROLES)
def original(text_id: int) -> ResponseReturnValue:
    text = db.session.get(ContractText, text_id)
    if text is None:
        abort(404)
    version = db.session.get(ContractVersion, text.version_id)
    assert version is not None
    get_in_scope(current_user, Contract, version.contract_id)
    stored = db.session.get(StoredFile, text.sha256)
    if stored is None:
        abort(404)
    return download(stored.data, text.filename)


# ---------------------------------------------------------------------------- admin


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


@bp.route("/admin/recognition", methods=["GET", "POST"])
@allow(Role.ADMIN)
def recognition_rules() -> ResponseReturnValue:
    status = 200
    if request.method == "POST":
        code = request.form.get("code", "")
        item = db.session.get(BargainingItem, code)
        if item is None:
            abort(404)
        keywords = _lines(request.form.get("keywords", ""))
        patterns = _lines(request.form.get("patterns", ""))
        problems = [(p, pattern_problem(p)) for p in patterns]
        bad = [(p, why) for p, why in problems if why]
        if bad:
            flash(
                _(
                    "%(code)s 的正则表达式有误，未保存：%(pattern)s（%(why)s）",
                    code=code,
                    pattern=bad[0][0],
                    why=bad[0][1],
                ),
                "danger",
            )
            status = 400
        else:
            rule = db.session.get(ItemRecognition, code)
            before = {"keywords": rule.keywords, "patterns": rule.patterns} if rule else None
            if rule is None:
                rule = ItemRecognition(item_code=code)
                db.session.add(rule)
            rule.keywords, rule.patterns, rule.updated_at = keywords, patterns, utcnow()
            db.session.flush()
            audit_log.record(
                current_user,
                "update",
                "item_recognition",
                None,
                before=before,
                after={"item": code, "keywords": keywords, "patterns": patterns},
            )
            db.session.commit()
            flash(_("%(code)s 的识别规则已保存", code=code), "success")
            return redirect(url_for("texts.recognition_rules") + f"#{code}"), 303
    items = db.session.scalars(select(BargainingItem).order_by(BargainingItem.code)).all()
    rules = {r.item_code: r for r in db.session.scalars(select(ItemRecognition))}
    return render_template("bargaining/recognition_rules.html", items=items, rules=rules), status
