"""The API's field tables: real responses of every endpoint have exactly the keys and the types
of the OpenAPI schema generated from the same table, for every resource."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from audits.rounds import get_round, round_json
from reports import api_fields as fields
from reports import queries
from reports.api import openapi_document
from tests.test_authorization_matrix import world  # noqa: F401

JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}
FORMATS = {"date": date.fromisoformat, "date-time": datetime.fromisoformat}


def _type_ok(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False  # a bool is an int to Python, not to JSON
    return isinstance(value, JSON_TYPES[name])


def _check(
    value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str, seen: dict
) -> list[str]:
    """The ways ``value`` departs from ``schema`` (its $refs resolved in ``doc``); counts the
    instances of each component schema met in ``seen``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        seen[name] = seen.get(name, 0) + 1
        return _check(value, doc["components"]["schemas"][name], doc, f"{where}<{name}>", seen)
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if not any(_type_ok(value, t) for t in types):
        return [f"{where}: {value!r} is not {types}"]
    if value is None:
        return []
    problems = []
    if isinstance(value, str):
        if "format" in schema:
            try:
                FORMATS[schema["format"]](value)
            except ValueError:
                problems.append(f"{where}: {value!r} is not a {schema['format']}")
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} not in {schema['enum']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += _check(item, schema["items"], doc, f"{where}[{i}]", seen)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False and set(value) - set(props):
            problems.append(f"{where}: keys not in the schema {sorted(set(value) - set(props))}")
        if set(schema.get("required", ())) - set(value):
            problems.append(f"{where}: missing {sorted(set(schema['required']) - set(value))}")
        for key, item in value.items():
            if key in props:
                problems += _check(item, props[key], doc, f"{where}.{key}", seen)
    return problems


def _urls(client, headers: dict[str, str]) -> list[tuple[str, str]]:
    """(documented path, a URL of it with real parameters) for every documented path."""
    contract_id = client.get("/api/v1/contracts", headers=headers).get_json()["items"][0]["id"]
    values = {"contract_id": contract_id, "month": "2026-10"}
    return [
        (path, "/api/v1" + re.sub(r"{(\w+)}", lambda m: str(values[m[1]]), path))
        for path in openapi_document()["paths"]
    ]


def test_every_response_has_the_keys_and_types_of_its_table(app, client, world):  # noqa: F811
    doc = openapi_document()
    headers = {"Authorization": f"Bearer {world['tokens']['city']}"}
    seen: dict[str, int] = {}
    problems = []
    for path, url in _urls(client, headers):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        problems += _check(response.get_json(), schema["schema"], doc, url, seen)
    assert problems == []
    # every resource of the tables was met in a real response, not only an empty list
    assert {name for name in fields.RESOURCES if not seen.get(name)} == set()


def test_the_schema_check_catches_a_wrong_key_or_type(app, client, world):  # noqa: F811
    doc = openapi_document()
    ref = {"$ref": "#/components/schemas/Audit"}
    headers = {"Authorization": f"Bearer {world['tokens']['city']}"}
    audit = client.get("/api/v1/audits", headers=headers).get_json()["items"][0]
    assert _check(audit, ref, doc, "audit", {}) == []
    assert _check({**audit, "extra": 1}, ref, doc, "audit", {}) != []
    assert _check({**audit, "due_on": "25/11/2026"}, ref, doc, "audit", {}) != []
    assert _check({**audit, "id": "1"}, ref, doc, "audit", {}) != []
    assert _check({k: v for k, v in audit.items() if k != "status"}, ref, doc, "audit", {}) != []


def test_a_round_record_is_the_public_record_field_for_field(app, world):  # noqa: F811
    record = round_json(get_round("2026-10"))
    assert record["picks"]  # drawn: its nested lists are filled
    assert fields.ROUND_RECORD.dump(record) == record


def test_targets_are_what_the_cli_prints(app, runner, world):  # noqa: F811
    rows = queries.county_targets(date(2026, 11, 25))
    result = runner.invoke(args=["targets", "--date", "2026-11-25", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == [fields.TARGET.dump(t) for t in rows]
    assert printed and set(printed[0]) == set(fields.TARGET.schema()["properties"])


def test_schema_and_json_come_from_one_declaration() -> None:
    field = fields.Field("on", "date", nullable=True)
    resource = fields.Resource("Thing", (field,), keyed=True)
    assert resource.schema()["properties"]["on"] == {"type": ["string", "null"], "format": "date"}
    assert resource.dump({"on": date(2026, 11, 25)}) == {"on": "2026-11-25"}
    assert resource.dump({"on": None}) == {"on": None}
