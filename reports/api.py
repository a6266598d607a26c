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

from audits import rounds as sample_rounds
from audits.models import Audit, Rectification, SampleRound, Visit
from bargaining.cells import parse_date
from bargaining.models import Contract, ContractVersion, County, Enterprise
from bargaining.queries import first_filed_on, scope_contracts, scope_enterprises
from core.auth import api_requires, public
from core.clock import local_today
from core.db import db
from core.errors import UserError
from core.i18n import _, tr
from core.policy import scope_of
from core.rows import named
from reports import api_fields as fields
from reports import queries
from reports.api_fields import Resource

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


def _page(stmt: Select[Any], resource: Resource) -> Any:
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", 100, 1, MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = [resource.dump(r) for r in rows]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


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
    except UserError as exc:
        _bad(tr(exc.message))
    raise AssertionError  # unreachable


@bp.route("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


def _with_county(entity: Any, name: str) -> Select[Any]:
    """Rows ``.<name>`` (the entity) and ``.county_code``."""
    return select(named(entity, name), County.code.label("county_code")).join(
        County, County.id == entity.county_id
    )


@bp.route("/counties")
@api_requires("api.read")
def counties() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(
        select(named(County, "county")).order_by(County.sort_order, County.id), County.id
    )
    return _page(stmt, fields.COUNTY)


@bp.route("/enterprises")
@api_requires("enterprise.view")
def enterprises() -> ResponseReturnValue:
    stmt = scope_enterprises(_with_county(Enterprise, "enterprise"), g.api_user)
    return _page(stmt.order_by(Enterprise.id), fields.ENTERPRISE)


def _contracts_stmt() -> Select[*tuple[Any, ...]]:
    stmt = (
        select(
            named(Contract, "contract"),
            named(ContractVersion, "version"),
            County.code.label("county_code"),
            first_filed_on().label("first_filed"),
        )
        .join(ContractVersion, ContractVersion.id == Contract.current_version_id)
        .join(County, County.id == Contract.county_id)
    )
    return scope_contracts(stmt, g.api_user)


@bp.route("/contracts")
@api_requires("contract.view")
def contracts() -> ResponseReturnValue:
    return _page(_contracts_stmt().order_by(Contract.id), fields.CONTRACT)


@bp.route("/contracts/<int:contract_id>")
@api_requires("contract.view")
def contract(contract_id: int) -> ResponseReturnValue:
    row = db.session.execute(_contracts_stmt().where(Contract.id == contract_id)).first()
    if row is None:
        abort(404)
    return jsonify(fields.CONTRACT.dump(row))


@bp.route("/sample-rounds")
@api_requires("sampling.view")
def rounds() -> ResponseReturnValue:
    stmt = select(named(SampleRound, "round")).order_by(SampleRound.month.desc())
    return _page(stmt, fields.SAMPLE_ROUND)


@bp.route("/sample-rounds/<month>")
@api_requires("sampling.population")
def round_detail(month: str) -> ResponseReturnValue:
    round_ = sample_rounds.get_round(month)
    if round_ is None:
        abort(404)
    return jsonify(fields.ROUND_RECORD.dump(sample_rounds.round_json(round_)))


@bp.route("/audits")
@api_requires("audit.view")
def audits() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(_with_county(Audit, "audit"), Audit.county_id)
    return _page(stmt.order_by(Audit.id), fields.AUDIT)


@bp.route("/rectifications")
@api_requires("rectification.view")
def rectifications() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(
        _with_county(Rectification, "rect"), Rectification.county_id, Rectification.enterprise_id
    )
    return _page(stmt.order_by(Rectification.id), fields.RECTIFICATION)


@bp.route("/visits")
@api_requires("visit.view")
def visits() -> ResponseReturnValue:
    stmt = scope_of(g.api_user).where(_with_county(Visit, "visit"), Visit.county_id)
    quarter = request.args.get("quarter")
    if quarter:
        stmt = stmt.where(Visit.quarter == quarter.upper())
    return _page(stmt.order_by(Visit.planned_on, Visit.id), fields.VISIT)


@bp.route("/targets")
@api_requires("dashboard.county")
def targets() -> ResponseReturnValue:
    rows = [fields.TARGET.dump(t) for t in queries.county_targets(_date_arg())]
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
                    "properties": {
                        "error": fields.TYPES["string"],
                        "status": fields.TYPES["integer"],
                        "detail": fields.TYPES["string"],
                    },
                },
                **{name: r.schema() for name, r in fields.RESOURCES.items()},
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
                {"$ref": "#/components/schemas/RoundRecord"},
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
