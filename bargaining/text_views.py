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
from bargaining.texts import ACCEPT, VersionText, attach_text
from core import audit_log
from core.db import db, utcnow
from core.errors import UserError
from core.i18n import _
from core.models import StoredFile
from core.policy import may, requires
from core.web import download

bp = Blueprint("texts", __name__)


def text_context(version: ContractVersion | None, vt: VersionText | None) -> dict[str, Any]:
    """What templates/bargaining/_contract_text.html needs (the contract and audit pages)."""
    if version is None or vt is None:
        return {"vt": None}
    return {
        "vt": vt,
        "segments": highlight_segments(vt.text, vt.found) if vt.text else [],
        "may_attach": may(current_user, "contract.attach_text", version.contract),
        "text_accept": ACCEPT,
        "text_version": version,
        "item_names": dict(
            db.session.execute(select(BargainingItem.code, BargainingItem.name)).all()
        ),
    }


@bp.route("/contracts/<int:contract_id>/texts", methods=["POST"])
@requires("contract.attach_text", Contract)
def attach(contract: Contract) -> ResponseReturnValue:
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
        raise UserError(_("请选择合同文本文件"))
    added = 0
    for file in files:
        _text, fresh = attach_text(current_user, version, file.filename or "", file.read())
        added += fresh
    db.session.commit()
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
@requires("contract.view", ContractText)
def original(text: ContractText) -> ResponseReturnValue:
    stored = db.session.get(StoredFile, text.sha256)
    if stored is None:
        abort(404)
    return download(stored.data, text.filename)


# ---------------------------------------------------------------------------- admin


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


@bp.route("/admin/recognition", methods=["GET", "POST"])
@requires("admin.recognition")
def recognition_rules() -> ResponseReturnValue:
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
            raise UserError(
                _(
                    "%(code)s 的正则表达式有误，未保存：%(pattern)s（%(why)s）",
                    code=code,
                    pattern=bad[0][0],
                    why=bad[0][1],
                )
            )
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
    return render_template("bargaining/recognition_rules.html", items=items, rules=rules)
