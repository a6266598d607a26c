"""No 500 on odd input (issue 14; SPEC §4 "never a 500"): huge page numbers, periods out of
range, header injection through ?next=, NUL and quotes in file names, and a property test
that sends generated parameters to every GET route of the URL map."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import db
from core.models import Role
from tests.factories import (
    PASSWORD,
    contract_row,
    csrf_token,
    filing_workbook,
    login,
    make_enterprise,
    make_user,
    upload,
)

LISTS = ("/uploads", "/filings", "/registry", "/audits", "/rectifications", "/interviews")
HUGE = "99999999999999999999"


@pytest.fixture()
def city(client):
    make_user("city", Role.CITY)
    db.session.commit()
    login(client, "city")
    return client


@pytest.mark.parametrize("path", LISTS)
def test_a_huge_page_number_is_400(city, path: str) -> None:
    response = city.get(f"{path}?page={HUGE}")
    assert response.status_code == 400
    assert "页码超出范围" in response.get_data(as_text=True)


def test_a_half_year_out_of_range_is_400(city) -> None:
    response = city.get("/review/0000H1")
    assert response.status_code == 400
    assert "0000H1" in response.get_data(as_text=True)


@pytest.mark.parametrize("quarter", ["9999Q4", "0000Q1"])
def test_a_quarter_out_of_range_is_404(city, quarter: str) -> None:
    assert city.get(f"/visits?quarter={quarter}").status_code == 404
    token = csrf_token(city, "/visits")
    response = city.post("/visits/plan", data={"quarter": quarter, "csrf_token": token})
    assert response.status_code == 404


def test_next_with_a_line_break_goes_home(client) -> None:
    make_user("city", Role.CITY)
    db.session.commit()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/%0D%0AX:%20y",
        data={"username": "city", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X" not in response.headers


@pytest.mark.parametrize(
    "name", ['a"b.xlsx', "a\x00b.xlsx", "合同\r\n X: y.xlsx", '合同"报表".xlsx']
)
def test_odd_file_names_are_stored_and_served_safely(client, name: str) -> None:
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    login(client, "insp-WY")
    response = upload(client, filing_workbook([contract_row(ent)]), filename=name, xhr=True)
    assert response.status_code == 200, response.get_json()
    original = client.get(response.get_json()["url"] + "/original")
    assert original.status_code == 200
    header = original.headers["Content-Disposition"]
    assert header.startswith("attachment; ")
    assert not re.search(r"[\x00-\x1f]", header)
    assert header.count('"') == 2  # filename="…" and nothing breaks out of it


# ---------------------------------------------------------------------------- every GET route

PARAMS = (
    "page", "per_page", "quarter", "month", "date", "export", "q", "status", "county", "kind",
    "lang", "next", "from", "to", "in_force", "level", "type", "flag", "platform", "has_union",
    "above_scale", "industry", "contract", "all", "missing", "version", "f", "s", "frm",
)  # fmt: skip
ODD_VALUES = (
    HUGE, "-1", "0", "9999Q4", "0000Q1", "0000H1", "2026-13-40", "0000-00", "9999-12",
     "xlsx", "\x00", "%", "/\r\nX: y", "'", '"', "../..", "1e309", "NaN", " ", "２０２６",
)  # fmt: skip
ODD = st.sampled_from(ODD_VALUES)
VALUES = st.one_of(ODD, st.text(max_size=12), st.integers().map(str))
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _routes(app) -> list[tuple[str, dict[str, str]]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
            routes.append((rule.rule, converters))
    return sorted(routes)


def _path_value(converter: str):
    if "Int" in converter:
        return st.one_of(st.integers(min_value=-3, max_value=2**40), st.just(1))
    return VALUES


@st.composite
def requests(draw, routes):
    rule, converters = draw(st.sampled_from(routes))

    def fill(match: re.Match[str]) -> str:
        value = draw(_path_value(converters.get(match.group(2), "")))
        return quote(str(value), safe="") or "x"

    path = _ARG.sub(fill, rule)
    query = draw(st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=3))
    return f"{path}?{urlencode(query)}" if query else path


def _signed_in(client, role: str) -> None:
    ent = make_enterprise("WY")
    user = {
        "admin": lambda: make_user("u", Role.ADMIN),
        "inspector": lambda: make_user("u", Role.INSPECTOR, "WY"),
        "enterprise": lambda: make_user("u", Role.ENTERPRISE, enterprise=ent),
    }[role]()
    db.session.commit()
    login(client, user.username)
    upload(client, filing_workbook([contract_row(ent)]))


def test_every_odd_value_in_every_parameter_of_every_get_route(app, client) -> None:
    """Each odd value at once in every known query parameter and path argument of every GET
    route (an exhaustive sweep; the property test below adds random text)."""
    _signed_in(client, "admin")
    failures = []
    for rule, converters in _routes(app):
        for value in ODD_VALUES:
            path = _ARG.sub(
                lambda m, v=value, c=converters: (
                    "1" if "Int" in c.get(m.group(2), "") else (quote(v, safe="") or "x")
                ),
                rule,
            )
            url = f"{path}?{urlencode({name: value for name in PARAMS})}"
            status = client.get(url).status_code
            if status >= 500:
                failures.append((url, status))
    assert not failures


@pytest.mark.parametrize("role", ["admin", "inspector", "enterprise"])
def test_no_get_route_answers_500_to_generated_parameters(app, client, role: str) -> None:
    _signed_in(client, role)
    routes = _routes(app)
    failures: list[tuple[str, int]] = []

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(requests(routes))
    def check(url: str) -> None:
        response = client.get(url)
        if response.status_code >= 500:
            failures.append((url, response.status_code))
        assert response.status_code < 500, url

    check()
    assert not failures


@pytest.mark.parametrize("url", ["/filings?q=%00", "/uploads?kind=a%00b", "/visits?quarter=%00"])
def test_a_nul_byte_in_a_parameter_is_400(city, url: str) -> None:
    assert city.get(url).status_code == 400


def test_a_nul_byte_in_a_form_field_is_400(client) -> None:
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "a\x00b", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
