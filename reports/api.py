"""JSON API /api/v1 (SPEC §9): token auth, the UI's scoping, an OpenAPI document.

Read-only lists of counties, enterprises, contracts, sample rounds, audits, rectifications,
visits, and the 2027 targets. Every list is paginated: ``?page=1&per_page=100`` (≤ 500).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, select

from audits import rectification_rules as rules
from audits import rounds as sample_rounds
from audits.models import Audit, Rectification, SampleRound, Visit
from bargaining.cells import CellProblem, parse_date
from bargaining.models import Contract, ContractVersion, County, Enterprise
from bargaining.queries import first_filed_on, flags_as_of, scope_contracts, scope_enterprises
from core.auth import api_requires, public
from core.clock import local_today
from core.db import db
from core.i18n import _, tr
from core.policy import scope_of
from reports import queries

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 500


def _bad(message: str) -> Any:
    response = jsonify({"error": message, "status": 400})
    response.status_code = 400
    abort(response)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        _bad(_("参数 %(name)s 应为整数", name=name))
    if not low <= value <= high:
        _bad(_("参数 %(name)s 应在 %(low)s 至 %(high)s 之间", name=name, low=low, high=high))
    return value


def _page(stmt: Select[*tuple[Any, ...]], row: Any) -> Any:
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", 100, 1, MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = [row(r) for r in db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date_arg() -> date:
    text = request.args.get("date")
    if not text:
        return local_today()
    try:
        return date.fromisoformat(text)  # any ISO date, as the OpenAPI document promises
    except ValueError:
        pass
    try:
        return parse_date(text)
    except CellProblem as exc:
        _bad(tr(exc.message))
    raise AssertionError  # unreachable


@bp.route("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.route("/counties")
@api_requires("api.read")
def counties() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(
        select(County).order_by(County.sort_order, County.id), County.id
    )
    return _page(
        stmt,
        lambda r: {
            "code": r[0].code,
            "name": r[0].name,
            "pilot": r[0].pilot,
            "required_items": r[0].required_items,
            "target_share": float(r[0].target_share),
            "min_wage_tier": r[0].min_wage_tier,
        },
    )


@bp.route("/enterprises")
@api_requires("enterprise.view")
def enterprises() -> ResponseReturnValue:
    stmt = scope_enterprises(
        select(Enterprise, County.code).join(County, County.id == Enterprise.county_id), g.api_user
    )
    return _page(
        stmt.order_by(Enterprise.id),
        lambda r: {
            "id": r[0].id,
            "uscc": r[0].uscc,
            "name": r[0].name,
            "county": r[1],
            "industry": r[0].industry,
            "has_union": r[0].has_union,
            "above_scale": r[0].above_scale,
            "employees": r[0].employees,
        },
    )


def _contract(r: Any) -> dict[str, Any]:
    c, v, code, first_filed = r
    return {
        "id": c.id,
        "number": c.number,
        "level": c.level,
        "county": code,
        "enterprise_id": c.enterprise_id,
        "version": v.version_no,
        "public_id": v.public_id,
        "contract_type": v.contract_type,
        "name": v.name,
        "signed_on": _iso(v.signed_on),
        "effective_on": _iso(v.effective_on),
        "expires_on": _iso(v.expires_on),
        "filed_on": _iso(v.filed_on),
        "platform_entered_on": _iso(v.platform_entered_on),
        "workers_covered": v.workers_covered,
        "items": [i.item_code for i in v.items],
        "flags": [f.code for f in flags_as_of(v, first_filed, local_today())],
    }


def _contracts_stmt() -> Select[*tuple[Any, ...]]:
    stmt = (
        select(Contract, ContractVersion, County.code, first_filed_on())
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .join(County, County.id == Contract.county_id)
    )
    return scope_contracts(stmt, g.api_user)


@bp.route("/contracts")
@api_requires("contract.view")
def contracts() -> ResponseReturnValue:
    return _page(_contracts_stmt().order_by(Contract.id), _contract)


@bp.route("/contracts/<int:contract_id>")
@api_requires("contract.view")
def contract(contract_id: int) -> ResponseReturnValue:
    row = db.session.execute(_contracts_stmt().where(Contract.id == contract_id)).first()
    if row is None:
        abort(404)
    return jsonify(_contract(row))


def _round(r: SampleRound) -> dict[str, Any]:
    """A round as listed: before its draw, only what the freeze published."""
    if not r.drawn:
        state = "frozen"
    else:
        state = "legacy" if r.legacy else "witnessed" if r.witnessed else "unwitnessed"
    return {
        "month": r.month,
        "state": state,
        "frozen_at": r.frozen_at.isoformat(),
        "commitment": r.commitment,
        "public_value": r.public_value if r.drawn else None,
        "seed": r.seed if r.drawn else None,
        "seed_source": r.seed_source,
        "rate": r.rate,
        "population_sha256": r.population_sha256,
        "population_size": r.population_size,
        "picks": r.pick_count,
        "late": r.late_count,
        "drawn_at": r.drawn_at.isoformat() if r.drawn_at else None,
        "due_on": _iso(r.due_on),
    }


@bp.route("/sample-rounds")
@api_requires("sampling.view")
def rounds() -> ResponseReturnValue:
    return _page(select(SampleRound).order_by(SampleRound.month.desc()), lambda r: _round(r[0]))


@bp.route("/sample-rounds/<month>")
@api_requires("sampling.population")
def round_detail(month: str) -> ResponseReturnValue:
    round_ = sample_rounds.get_round(month)
    if round_ is None:
        abort(404)
    return jsonify(sample_rounds.round_json(round_))


@bp.route("/audits")
@api_requires("audit.view")
def audits() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(
        select(Audit, County.code).join(County, County.id == Audit.county_id), Audit.county_id
    )
    return _page(
        stmt.order_by(Audit.id),
        lambda r: {
            "id": r[0].id,
            "county": r[1],
            "round_id": r[0].round_id,
            "contract_id": r[0].contract_id,
            "version_id": r[0].version_id,
            "enterprise_id": r[0].enterprise_id,
            "inspector_id": r[0].inspector_id,
            "due_on": _iso(r[0].due_on),
            "status": r[0].status,
            "verdict": r[0].verdict,
            "completed_on": _iso(r[0].completed_on),
        },
    )


@bp.route("/rectifications")
@api_requires("rectification.view")
def rectifications() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(
        select(Rectification, County.code).join(County, County.id == Rectification.county_id),
        Rectification.county_id,
        Rectification.enterprise_id,
    )
    today = local_today()
    return _page(
        stmt.order_by(Rectification.id),
        lambda r: {
            "id": r[0].id,
            "county": r[1],
            "enterprise_id": r[0].enterprise_id,
            "finding_id": r[0].finding_id,
            "deadline": _iso(r[0].deadline),
            "status": r[0].status,
            "overdue": rules.is_overdue(r[0].status, r[0].deadline, today),
            "resolved_on": _iso(r[0].resolved_on),
        },
    )


@bp.route("/visits")
@api_requires("visit.view")
def visits() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(
        select(Visit, County.code).join(County, County.id == Visit.county_id), Visit.county_id
    )
    quarter = request.args.get("quarter")
    if quarter:
        stmt = stmt.where(Visit.quarter == quarter.upper())
    return _page(
        stmt.order_by(Visit.planned_on, Visit.id),
        lambda r: {
            "id": r[0].id,
            "quarter": r[0].quarter,
            "kind": r[0].kind,
            "county": r[1],
            "enterprise_id": r[0].enterprise_id,
            "visitor_id": r[0].visitor_id,
            "planned_on": _iso(r[0].planned_on),
            "status": r[0].status,
            "done_on": _iso(r[0].done_on),
        },
    )


@bp.route("/targets")
@api_requires("dashboard.county")
def targets() -> ResponseReturnValue:
    rows = [t.as_json() for t in queries.county_targets(_date_arg())]
    scope = scope_of(g.api_user)
    if not scope.all_counties:
        codes = set(db.session.scalars(scope.where(select(County.code), County.id)))
        rows = [r for r in rows if r["county"] in codes]
    return jsonify(rows)


# ---------------------------------------------------------------------------- OpenAPI


def _list_of(schema: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    }


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(props), "properties": props}


STR = {"type": "string"}
STR_OR_NULL = {"type": ["string", "null"]}
INT = {"type": "integer"}
INT_OR_NULL = {"type": ["integer", "null"]}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def openapi_document() -> dict[str, Any]:
    paging = [
        {
            "name": "page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        },
        {
            "name": "per_page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        },
    ]
    errors = {
        "400": {
            "description": _("参数错误"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "401": {
            "description": _("缺少或无效的令牌"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "403": {
            "description": _("角色无权"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }

    def listing(
        schema: str, summary: str, extra: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": paging + (extra or []),
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": _list_of(schema)}},
                    },
                    **errors,
                },
            }
        }

    def one(schema: dict[str, Any], summary: str, params: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": schema}},
                    },
                    "404": {
                        "description": _("不存在或不在管辖范围"),
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                    **errors,
                },
            }
        }

    target = _obj(
        {
            "county": STR,
            "name": STR,
            "pilot": BOOL,
            "eligible": INT,
            "counted": INT,
            "rate": {"type": ["number", "null"]},
            "required_items": INT,
            "target_share": {"type": "number"},
            "trajectory": {"type": ["number", "null"]},
            "behind": BOOL,
            "projected_miss": BOOL,
        }
    )
    round_record = _obj(
        {
            "month": STR,
            "seed": STR,
            "rate": STR,
            "population_sha256": STR,
            "population": {"type": "array", "items": _obj({"county": STR, "contract_id": STR})},
            "picks": {
                "type": "array",
                "items": _obj({"county": STR, "contract_id": STR, "ticket": STR}),
            },
        }
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("工资集体协商闭环管理 API"),
            "version": "1.0.0",
            "description": "Read-only JSON API. Authorization: Bearer <token> (flask create-token). Same scoping as the web UI.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": STR, "status": INT, "detail": STR},
                },
                "County": _obj(
                    {
                        "code": STR,
                        "name": STR,
                        "pilot": BOOL,
                        "required_items": INT,
                        "target_share": {"type": "number"},
                        "min_wage_tier": INT,
                    }
                ),
                "Enterprise": _obj(
                    {
                        "id": INT,
                        "uscc": STR,
                        "name": STR,
                        "county": STR,
                        "industry": STR,
                        "has_union": BOOL,
                        "above_scale": BOOL,
                        "employees": INT_OR_NULL,
                    }
                ),
                "Contract": _obj(
                    {
                        "id": INT,
                        "number": STR,
                        "level": STR,
                        "county": STR,
                        "enterprise_id": INT_OR_NULL,
                        "version": INT,
                        "public_id": STR,
                        "contract_type": STR,
                        "name": STR,
                        "signed_on": DATE,
                        "effective_on": DATE,
                        "expires_on": DATE,
                        "filed_on": DATE,
                        "platform_entered_on": DATE_OR_NULL,
                        "workers_covered": INT,
                        "items": {"type": "array", "items": STR},
                        "flags": {"type": "array", "items": STR},
                    }
                ),
                "SampleRound": _obj(
                    {
                        "month": STR,
                        "state": {
                            "type": "string",
                            "enum": ["frozen", "witnessed", "unwitnessed", "legacy"],
                        },
                        "frozen_at": STR,
                        "commitment": STR_OR_NULL,
                        "public_value": STR_OR_NULL,
                        "seed": STR_OR_NULL,
                        "seed_source": STR,
                        "rate": STR,
                        "population_sha256": STR,
                        "population_size": INT,
                        "picks": INT,
                        "late": INT,
                        "drawn_at": STR_OR_NULL,
                        "due_on": DATE_OR_NULL,
                    }
                ),
                "Audit": _obj(
                    {
                        "id": INT,
                        "county": STR,
                        "round_id": INT_OR_NULL,
                        "contract_id": INT,
                        "version_id": INT,
                        "enterprise_id": INT_OR_NULL,
                        "inspector_id": INT_OR_NULL,
                        "due_on": DATE,
                        "status": STR,
                        "verdict": STR_OR_NULL,
                        "completed_on": DATE_OR_NULL,
                    }
                ),
                "Rectification": _obj(
                    {
                        "id": INT,
                        "county": STR,
                        "enterprise_id": INT_OR_NULL,
                        "finding_id": INT,
                        "deadline": DATE,
                        "status": STR,
                        "overdue": BOOL,
                        "resolved_on": DATE_OR_NULL,
                    }
                ),
                "Visit": _obj(
                    {
                        "id": INT,
                        "quarter": STR,
                        "kind": STR,
                        "county": STR,
                        "enterprise_id": INT_OR_NULL,
                        "visitor_id": INT,
                        "planned_on": DATE,
                        "status": STR,
                        "done_on": DATE_OR_NULL,
                    }
                ),
                "Target": target,
            },
        },
        "paths": {
            "/counties": listing("County", _("县(市、区)")),
            "/enterprises": listing("Enterprise", _("企业名录")),
            "/contracts": listing("Contract", _("备案合同（当前版本）")),
            "/contracts/{contract_id}": one(
                {"$ref": "#/components/schemas/Contract"},
                _("一份合同"),
                [
                    {
                        "name": "contract_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
            ),
            "/sample-rounds": listing("SampleRound", _("每月抽查轮次")),
            "/sample-rounds/{month}": one(
                round_record,
                _("一轮抽查的公开记录（与 flask draw-sample --json 相同）"),
                [
                    {
                        "name": "month",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    }
                ],
            ),
            "/audits": listing("Audit", _("抽查任务")),
            "/rectifications": listing("Rectification", _("整改任务")),
            "/visits": listing(
                "Visit",
                _("季度走访"),
                [
                    {
                        "name": "quarter",
                        "in": "query",
                        "schema": {"type": "string", "pattern": "^[0-9]{4}[Qq][1-4]$"},
                    }
                ],
            ),
            "/targets": {
                "get": {
                    "summary": _("2027年目标进度"),
                    "parameters": [
                        {
                            "name": "date",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Target"},
                                    }
                                }
                            },
                        },
                        **errors,
                    },
                }
            },
        },
    }
