"""The public record of each sample round (SPEC §5): no login, public ids only.

``/public/sampling/<YYYY-MM>`` (page) and ``.json``, plus the audit log's current head hash,
and ``/public/verify_draw.py``, the standalone checker kept at the repository's root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template
from flask.typing import ResponseReturnValue

from audits import rounds
from audits.models import SampleRound
from core import audit_log
from core.auth import public

bp = Blueprint("public", __name__, url_prefix="/public")
VERIFY_SCRIPT = Path(__file__).resolve().parent.parent / "verify_draw.py"


def _round_or_404(month: str) -> SampleRound:
    try:
        parsed = rounds.Month.parse(month)
    except rounds.UserError:
        abort(404)
    round_ = rounds.get_round(str(parsed)) if str(parsed) == month else None
    if round_ is None:
        abort(404)
    return round_


def public_record(round_: SampleRound) -> dict[str, Any]:
    return {**rounds.round_json(round_), "audit_log_head": audit_log.head()._asdict()}


@bp.route("/sampling/<month>.json")
@public
def sampling_record_json(month: str) -> ResponseReturnValue:
    response = jsonify(public_record(_round_or_404(month)))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/sampling/<month>")
@public
def sampling_record(month: str) -> ResponseReturnValue:
    round_ = _round_or_404(month)
    record = public_record(round_)
    return render_template(
        "audits/public_round.html",
        round=round_,
        record=record,
        sizes=rounds.county_sizes(round_) if round_.drawn else {},
    )


@bp.route("/verify_draw.py")
@public
def verify_draw_script() -> ResponseReturnValue:
    return Response(
        VERIFY_SCRIPT.read_bytes(),
        mimetype="text/x-python",
        headers={"Content-Disposition": "inline; filename=verify_draw.py"},
    )
