"""All UI text goes through Flask-Babel: zh-CN by default, English complete.

- no Chinese text in a template or a UI module outside a gettext call, so a new text cannot
  escape translation;
- the English catalogue holds every extracted msgid, each translated, with the same
  placeholders, and the committed .mo is the compiled .po;
- every page, as every role, in English shows none of the Chinese msgids;
- stored messages (upload errors) are shown in the reader's language.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from flask_babel import refresh
from jinja2 import nodes

from core import catalogue
from core.i18n import Msg, tr
from tests.factories import login
from tests.test_authorization_matrix import ROLES, SHARED, _get_rules, _url, world  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
HAN = re.compile(r"[\u3400-\u9fff]")
GETTEXT = set(catalogue.KEYWORDS)  # a call the extractor reads is a call that translates
# Chinese that is data, not interface text: the filing template's official headers and sheet
# names (SPEC §4 — the importer matches them), reference data (county and industry names),
# and the demo city.
DATA_MODULES = {
    "bargaining/sheets.py",
    "bargaining/template.py",
    "bargaining/reference.py",
    "bargaining/demo.py",
    "audits/demo.py",
    "reports/demo.py",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _templates() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html"))


def _ui_modules() -> list[Path]:
    found = []
    for package in ("core", "bargaining", "audits", "reports"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in DATA_MODULES:
                found.append(path)
    return found


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_template_text_is_translatable(path: Path) -> None:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    tree = env.parse(path.read_text(encoding="utf-8"))
    loose = [n.data.strip() for n in tree.find_all(nodes.TemplateData) if HAN.search(n.data)]
    marked = {
        id(call.args[0])
        for call in tree.find_all(nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT and call.args
    }
    strings = [
        c.value
        for c in tree.find_all(nodes.Const)
        if isinstance(c.value, str) and HAN.search(c.value) and id(c) not in marked
    ]
    assert not loose and not strings, f"wrap in _(): {loose + strings}"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


@pytest.mark.parametrize("path", _ui_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_text_is_translatable(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    allowed = _docstrings(tree)
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and call.args:
            name = getattr(call.func, "id", getattr(call.func, "attr", None))
            if name in GETTEXT and isinstance(call.args[0], ast.Constant):
                allowed.add(id(call.args[0]))
    loose = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.Constant):
                    allowed.add(id(part))  # judged below as a whole
            text = "".join(p.value for p in node.values if isinstance(p, ast.Constant))
            if HAN.search(text) and "i18n: data" not in lines[node.lineno - 1]:
                loose.append(f"{node.lineno}: f-string {text!r}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and HAN.search(node.value)
            and id(node) not in allowed
            and "i18n: data" not in lines[node.lineno - 1]
        ):
            loose.append(f"{node.lineno}: {node.value!r}")
    assert not loose, "wrap in _() / _l() / Msg(), or mark the line '# i18n: data':\n" + "\n".join(
        loose
    )


def test_english_catalogue_is_complete() -> None:
    extracted = catalogue.extract()
    english = catalogue.read_english()
    wanted = {m.id for m in extracted if m.id}
    have = {m.id for m in english if m.id}
    assert not wanted - have, f"run `make translations`: {sorted(wanted - have)[:20]}"
    assert not have - wanted, f"stale msgids, run `make translations`: {sorted(have - wanted)[:20]}"
    untranslated = [m.id for m in english if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"no English for: {untranslated[:20]}"
    chinese = [m.string for m in english if m.id and HAN.search(str(m.string))]
    assert not chinese, f"English with Chinese in it: {chinese[:20]}"
    for m in english:
        if m.id and isinstance(m.id, str):
            assert set(PLACEHOLDER.findall(m.id)) == set(PLACEHOLDER.findall(m.string)), m.id


def test_compiled_catalogue_matches_the_po() -> None:
    """The .mo holds the .po's messages: compared by message, not by bytes, so a Babel release
    that writes another header or layout does not fail a catalogue that says the same."""
    assert catalogue.messages(catalogue.read_compiled()) == catalogue.messages(
        catalogue.read_english()
    ), "run `make translations`"


def test_stored_message_follows_the_reader(app) -> None:
    message = Msg("「%(column)s」不能为空", column="合同编号")
    assert message == "「合同编号」不能为空"
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context outlives each request context
        assert "合同编号" in tr(message) and "不能为空" not in tr(message)
        assert tr(message.as_json()) == tr(message)
        assert tr("随便一句话") == "随便一句话"
    with app.test_request_context("/"):
        refresh()
        assert tr(message.as_json()) == "「合同编号」不能为空"


class _Text(HTMLParser):
    """The page as a user reads it: text between tags, and the texts of title/placeholder.

    Text inside an element marked ``lang="zh-CN"`` is Chinese on purpose (the workbook's own
    sheet and column names in an error list) and is left out."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0
        self._chinese: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        if self._chinese or ("lang", "zh-CN") in attrs:
            self._chinese.append(tag)
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "data-confirm", "alt") and value:
                self.nodes.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0
        if self._chinese and self._chinese[-1] == tag:
            self._chinese.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._chinese and data.strip():
            self.nodes.append(data.strip())


def _untranslated(html: str, labels: set[str], phrases: list[str]) -> list[str]:
    """Chinese msgids on the page: a whole text equal to a label, or a long phrase inside one.

    User data (an inspector's note) may contain a short label as a part, so short
    labels count only as a whole text; literal runs of four or more characters of a sentence
    count wherever they appear."""
    parser = _Text()
    parser.feed(html)
    found = [t for t in parser.nodes if t in labels]
    page = "\n".join(parser.nodes)
    found += [p for p in phrases if p in page]
    return found


def _catalogue_texts() -> tuple[set[str], list[str]]:
    labels, phrases = set(), set()
    for m in catalogue.read_english():
        if not isinstance(m.id, str) or not HAN.search(m.id):
            continue
        pieces = [p.strip() for p in re.split(r"%\(\w+\)[sdif]|%%", m.id)]
        if len(pieces) == 1:
            labels.add(pieces[0])
        phrases.update(p for p in pieces if len(HAN.findall(p)) >= 4)
    return labels, sorted(phrases)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_english(app, client, world, role) -> None:  # noqa: F811
    login(client, world["users"][role])
    client.get("/lang/en")
    values = {**SHARED, **world["in_enterprise" if role == "enterprise" else "in"]}
    labels, phrases = _catalogue_texts()
    checked = 0
    for rule in _get_rules(app):
        if rule.rule.startswith(("/api/", "/lang/", "/logout")):
            continue
        response = client.get(_url(app, rule, values))
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        checked += 1
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, rule.rule
        found = _untranslated(html, labels, phrases)
        assert not found, f"{rule.rule} as {role} shows Chinese interface text: {found[:10]}"
    print(f"{role}: {checked} pages read in English")
    assert checked >= 8
