"""The API's resources as field tables: each field says once where its value comes from and
what it is, and both the JSON an endpoint returns and the OpenAPI component schema are made
from that one declaration, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from audits import rectification_rules as rules
from bargaining.queries import flags_as_of
from core.clock import local_today
from core.i18n import _l

#: a field's type -> its JSON schema (``date``/``datetime`` values are sent as ISO text)
TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "array": {"type": "array"},
}


@dataclass(frozen=True)
class Field:
    """One property of a resource.

    Its value is read from the row by ``get`` if given, else at ``of.attr`` (``of`` defaults
    to the resource's main object, ``attr`` to ``name``)."""

    name: str
    type: str  # a key of TYPES
    description: Any = ""  # lazy text (_l), said in the reader's language
    nullable: bool = False
    of: str | None = None
    attr: str | None = None
    get: Callable[[Any], Any] | None = None
    items: str | Resource | None = None  # an array's items: a type, or a resource (in RESOURCES)
    enum: tuple[str, ...] = ()
    pattern: str | None = None

    def schema(self) -> dict[str, Any]:
        schema = dict(TYPES[self.type])
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
        if isinstance(self.items, Resource):
            schema["items"] = {"$ref": f"#/components/schemas/{self.items.name}"}
        elif self.items is not None:
            schema["items"] = TYPES[self.items]
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.pattern:
            schema["pattern"] = self.pattern
        if self.description:
            schema["description"] = str(self.description)
        return schema

    def dump(self, value: Any) -> Any:
        """The value as JSON of this field's type."""
        if value is None:
            return None
        if self.type in ("date", "datetime"):
            assert isinstance(value, date | datetime), (self.name, value)
            return value.isoformat()
        if self.type == "number":
            return float(value)
        if isinstance(self.items, Resource):
            return [self.items.dump(v) for v in value]
        return value


@dataclass(frozen=True)
class Resource:
    """A resource of the API: its OpenAPI component ``name`` and its fields.

    ``row`` names the main object in each result row (``row.county``); empty, the row is the
    object itself; ``keyed``, the row is a mapping read by field name."""

    name: str
    fields: tuple[Field, ...]
    row: str = ""
    keyed: bool = False

    def _getter(self, f: Field) -> Callable[[Any], Any]:
        if f.get is not None:
            return f.get
        if self.keyed:
            return lambda row: row[f.attr or f.name]
        path = ".".join(p for p in (f.of or self.row, f.attr or f.name) if p)
        return attrgetter(path)

    def dump(self, row: Any) -> dict[str, Any]:
        """The row as the JSON object the API sends."""
        return {f.name: f.dump(self._getter(f)(row)) for f in self.fields}

    def schema(self) -> dict[str, Any]:
        """The OpenAPI schema of what :meth:`dump` returns: every field, nothing else."""
        return {
            "type": "object",
            "required": [f.name for f in self.fields],
            "additionalProperties": False,
            "properties": {f.name: f.schema() for f in self.fields},
        }


def _round_state(row: Any) -> str:
    r = row.round
    if not r.drawn:
        return "frozen"
    return "legacy" if r.legacy else "witnessed" if r.witnessed else "unwitnessed"


def _drawn_only(attr: str) -> Callable[[Any], Any]:
    """A round's ``attr``, published only once it is drawn."""
    return lambda row: getattr(row.round, attr) if row.round.drawn else None


# ---------------------------------------------------------------------------- the resources

#: the county of a row that selects ``County.code.label("county_code")``
COUNTY_CODE = Field("county", "string", _l("县(市、区)代码"), get=attrgetter("county_code"))

COUNTY = Resource(
    "County",
    (
        Field("code", "string", _l("县(市、区)代码")),
        Field("name", "string"),
        Field("pilot", "boolean", _l("试点县")),
        Field("required_items", "integer", _l("拓展协商事项的达标项数")),
        Field("target_share", "number", _l("2027年目标比例")),
        Field("min_wage_tier", "integer", _l("最低工资档次")),
    ),
    row="county",
)

ENTERPRISE = Resource(
    "Enterprise",
    (
        Field("id", "integer"),
        Field("uscc", "string", _l("统一社会信用代码")),
        Field("name", "string"),
        COUNTY_CODE,
        Field("industry", "string"),
        Field("has_union", "boolean"),
        Field("above_scale", "boolean"),
        Field("employees", "integer", nullable=True),
    ),
    row="enterprise",
)

CONTRACT = Resource(
    "Contract",
    (
        Field("id", "integer"),
        Field("number", "string", _l("合同编号")),
        Field("level", "string"),
        COUNTY_CODE,
        Field("enterprise_id", "integer", _l("行业性、区域性合同为 null"), nullable=True),
        Field("version", "integer", _l("当前版本号"), of="version", attr="version_no"),
        Field("public_id", "string", _l("公开编号"), of="version"),
        Field("contract_type", "string", of="version"),
        Field("name", "string", of="version"),
        Field("signed_on", "date", of="version"),
        Field("effective_on", "date", of="version"),
        Field("expires_on", "date", of="version"),
        Field("filed_on", "date", of="version"),
        Field("platform_entered_on", "date", nullable=True, of="version"),
        Field("workers_covered", "integer", of="version"),
        Field(
            "items",
            "array",
            _l("协商事项代码"),
            items="string",
            get=lambda r: [i.item_code for i in r.version.items],
        ),
        Field(
            "flags",
            "array",
            _l("预审提示代码（截至今天）"),
            items="string",
            get=lambda r: [f.code for f in flags_as_of(r.version, r.first_filed, local_today())],
        ),
    ),
    row="contract",
)

SAMPLE_ROUND = Resource(
    "SampleRound",
    (
        Field("month", "string"),
        Field(
            "state",
            "string",
            _l("抽取前只公开冻结时发布的内容"),
            enum=("frozen", "witnessed", "unwitnessed", "legacy"),
            get=_round_state,
        ),
        Field("frozen_at", "datetime"),
        Field("commitment", "string", nullable=True),
        Field("public_value", "string", nullable=True, get=_drawn_only("public_value")),
        Field("seed", "string", nullable=True, get=_drawn_only("seed")),
        Field("seed_source", "string"),
        Field("rate", "string", _l("抽查比例（精确分数）")),
        Field("population_sha256", "string"),
        Field("population_size", "integer"),
        Field("picks", "integer", attr="pick_count"),
        Field("late", "integer", _l("补录份数"), attr="late_count"),
        Field("drawn_at", "datetime", nullable=True),
        Field("due_on", "date", nullable=True),
    ),
    row="round",
)

MEMBER = Resource("Member", (Field("county", "string"), Field("contract_id", "string")), keyed=True)
PICK = Resource(
    "Pick",
    (Field("county", "string"), Field("contract_id", "string"), Field("ticket", "string")),
    keyed=True,
)
ROUND_RECORD = Resource(
    "RoundRecord",
    (
        Field("month", "string"),
        Field("rate", "string"),
        Field("frozen_at", "string"),
        Field("population_sha256", "string"),
        Field("commitment", "string", nullable=True),
        Field("secret", "string", nullable=True),
        Field("public_value", "string", nullable=True),
        Field("witnessed", "boolean", nullable=True),
        Field("seed", "string", nullable=True),
        Field(
            "population",
            "array",
            _l("抽取前为 null"),
            nullable=True,
            items=MEMBER,
        ),
        Field(
            "picks",
            "array",
            _l("抽取前为 null"),
            nullable=True,
            items=PICK,
        ),
    ),
    keyed=True,
)

AUDIT = Resource(
    "Audit",
    (
        Field("id", "integer"),
        COUNTY_CODE,
        Field("round_id", "integer", nullable=True),
        Field("contract_id", "integer"),
        Field("version_id", "integer"),
        Field("enterprise_id", "integer", nullable=True),
        Field("inspector_id", "integer", nullable=True),
        Field("due_on", "date"),
        Field("status", "string"),
        Field("verdict", "string", nullable=True),
        Field("completed_on", "date", nullable=True),
    ),
    row="audit",
)

RECTIFICATION = Resource(
    "Rectification",
    (
        Field("id", "integer"),
        COUNTY_CODE,
        Field("enterprise_id", "integer", nullable=True),
        Field("finding_id", "integer"),
        Field("deadline", "date"),
        Field("status", "string"),
        Field(
            "overdue",
            "boolean",
            _l("今天已过期限且未整改完成"),
            get=lambda r: rules.is_overdue(r.rect.status, r.rect.deadline, local_today()),
        ),
        Field("resolved_on", "date", nullable=True),
    ),
    row="rect",
)

VISIT = Resource(
    "Visit",
    (
        Field("id", "integer"),
        Field("quarter", "string"),
        Field("kind", "string"),
        COUNTY_CODE,
        Field("enterprise_id", "integer", nullable=True),
        Field("visitor_id", "integer"),
        Field("planned_on", "date"),
        Field("status", "string"),
        Field("done_on", "date", nullable=True),
    ),
    row="visit",
)


def _rounded(attr: str) -> Callable[[Any], Any]:
    return lambda t: None if getattr(t, attr) is None else round(getattr(t, attr), 6)


TARGET = Resource(
    "Target",
    (
        Field("county", "string"),
        Field("name", "string"),
        Field("pilot", "boolean"),
        Field("eligible", "integer", _l("已建会规上企业")),
        Field("counted", "integer", _l("拓展达标企业")),
        Field("rate", "number", nullable=True, get=_rounded("rate")),
        Field("required_items", "integer"),
        Field("target_share", "number"),
        Field("trajectory", "number", _l("进度线"), nullable=True, get=_rounded("trajectory")),
        Field("behind", "boolean"),
        Field("projected_miss", "boolean"),
    ),
)

#: every resource, by its OpenAPI component name
RESOURCES: Mapping[str, Resource] = {
    r.name: r
    for r in (
        COUNTY,
        ENTERPRISE,
        CONTRACT,
        SAMPLE_ROUND,
        ROUND_RECORD,
        MEMBER,
        PICK,
        AUDIT,
        RECTIFICATION,
        VISIT,
        TARGET,
    )
}
