"""Flask-Babel: zh-CN by default, English on request (?lang=en or the language switch).

The source language is Chinese: every msgid is the Chinese text, and
``core/translations/en`` holds the English catalogue (``make translations`` extracts,
updates and compiles it; ``tests/test_i18n.py`` fails when a text is missing).

How code marks text:

- ``_("…")`` / ``_("第 %(row)s 行", row=n)``: translated now (views, services, flashes).
- ``_l("…")``: lazy, for module-level constants (labels, form fields); ``str()`` it before
  it goes into JSON, Excel or the database.
- ``Msg("…", **params)``: text that is *stored* and shown later (upload errors, legal flags,
  generated reasons). It is a ``str`` holding the Chinese text, and remembers its msgid and
  parameters so that :func:`tr` can show it in the reader's language.
- ``N_("…")``: marks a msgid for extraction without translating it (kept as data).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext, lazy_gettext, ngettext, refresh
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator

from core.msg import N_, Msg, Term, _rebuild_msg

SUPPORTED = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}  # i18n: data (each in its own language)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
babel = Babel()

_l = lazy_gettext
__all__ = [
    "N_",
    "MessageText",
    "Msg",
    "Term",
    "TermText",
    "_",
    "_l",
    "current_language",
    "gettext",
    "ngettext",
    "tr",
]


def _(msgid: str, **params: Any) -> str:
    """gettext; a reference name (:class:`Term`) among the values is shown translated too."""
    return _translate(msgid, params)


def _translate(msgid: str, params: dict[str, Any]) -> str:
    """``msgid`` in the current language; values that are themselves translatable (a
    :class:`Term`, a stored message's nested ``{"msgid", "params"}``) are translated too."""
    return gettext(
        msgid, **{k: tr(v) if isinstance(v, dict | Term) else v for k, v in params.items()}
    )


def tr(value: Any, params: dict[str, Any] | None = None) -> str:
    """Show a stored message in the current language.

    ``value`` is a :class:`Msg`, a ``{"msgid", "params"}`` dict, a msgid with ``params``, or
    plain text (translated when it is itself a msgid, otherwise shown as it is).
    """
    if value is None:
        return ""
    if isinstance(value, Msg | Term):
        return value.translated()
    if isinstance(value, dict):
        if "msgid" in value:
            value, params = value["msgid"], value.get("params")
        elif isinstance(value.get("i18n"), dict):
            return tr(value["i18n"])
        else:
            return str(value.get("message", ""))
    text = str(value)
    if params:
        try:
            return _translate(text, params)
        except (KeyError, ValueError, TypeError):
            return text
    return gettext(text) if text else ""


#: the first character of a stored system message (a :class:`Msg` as JSON)
#: json.dumps(value, ensure_ascii=False), the encoder built once (not per stored message)
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False)
MSG_MARK = "\x1e"
#: the first character of users' text that would otherwise begin like a stored message
TEXT_ESCAPE = "\x1f"
#: deepest nesting of messages within messages that is read back as a message
MAX_MSG_DEPTH = 4


class MessageText(TypeDecorator[str]):
    """A Text column that keeps a :class:`Msg` translatable and users' text literal.

    System messages and users' text are told apart by their *type* when stored, never by
    what the text looks like: a :class:`Msg` is stored as ``MSG_MARK`` + JSON; any plain
    string is stored as it is — unless it begins with ``MSG_MARK`` or ``TEXT_ESCAPE``, then
    ``TEXT_ESCAPE`` is put in front of it. So no text a user types (``{"msgid": …}``
    included) is ever read back as a system message, and a malformed or absurdly nested
    message is shown as its stored text rather than failing the page.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if isinstance(value, Msg):
            data = {**value.as_json(), "text": str(value)}
            return MSG_MARK + _JSON_TEXT.encode(data)
        if value is None:
            return None
        text = str(value)
        return TEXT_ESCAPE + text if text[:1] in (MSG_MARK, TEXT_ESCAPE) else text

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if not value:
            return value
        if value[0] == TEXT_ESCAPE:
            return value[1:]
        if value[0] == MSG_MARK:
            return read_stored_message(value[1:])
        return value


def read_stored_message(payload: str) -> Any:
    """A stored :class:`Msg` (its JSON), or its stored text when it cannot be rebuilt."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return payload
    if not isinstance(data, dict):
        return payload
    fallback = data.get("text") if isinstance(data.get("text"), str) else payload
    if not _well_formed(data, MAX_MSG_DEPTH):
        return fallback
    try:
        return _rebuild_msg(data["msgid"], data.get("params") or {})
    except (KeyError, ValueError, TypeError, RecursionError):
        return fallback


def _well_formed(data: Any, depth: int) -> bool:
    """``{"msgid": str, "params": {name: str | number | nested message}}``, nested at most
    ``depth`` deep."""
    if depth <= 0 or not isinstance(data, dict) or not isinstance(data.get("msgid"), str):
        return False
    params = data.get("params") or {}
    if not isinstance(params, dict):
        return False
    for value in params.values():
        if isinstance(value, dict):
            if not _well_formed(value, depth - 1):
                return False
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            return False
    return True


class TermText(TypeDecorator[str]):
    """A String column of reference names: read back as :class:`Term`."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else Term(value)


def current_language() -> str:
    locale = get_locale() if has_request_context() else None
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def select_locale() -> str:
    """A request: ``?lang=`` or the session's choice. Outside a request (the CLI, the
    scheduler): ``JINHUA_LANG`` from the environment. Chinese otherwise."""
    if has_request_context():
        lang = request.args.get("lang") or session.get("lang")
    else:
        lang = os.environ.get("JINHUA_LANG")
    return lang if lang in SUPPORTED else "zh_CN"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Shanghai")
    # Flask-Babel caches the locale on ``g``: an app context that outlives one request (the
    # test client, a CLI command serving several requests) must not keep the last one's
    app.before_request(refresh)
    app.jinja_env.filters["tr"] = tr
    app.jinja_env.globals.update(
        current_language=current_language, LANGUAGE_NAMES=LANGUAGE_NAMES, N_=N_
    )
