"""Stored messages (:class:`Msg`), reference names (:class:`Term`) and ``N_``: plain data
that needs no Flask-Babel or SQLAlchemy until it is shown (:mod:`core.i18n` re-exports them
and translates them). Light on purpose: the sandboxed parse child of an upload builds its
messages with it, and ``flask import-filings`` starts that child before the app is loaded
(:mod:`bargaining.early_read`)."""

from __future__ import annotations

from typing import Any

from markupsafe import escape


def N_(msgid: str) -> str:  # the gettext convention
    """Mark ``msgid`` for extraction; translate it later with ``_(value)`` or :func:`tr`."""
    return msgid


class Msg(str):
    """A stored message: the Chinese text, plus its msgid and parameters for :func:`tr`."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        # plain text and numbers (nearly every parameter) are stored and shown as they are
        clean = {k: v if v.__class__ in _PLAIN else _param(v) for k, v in params.items()}
        if not clean:
            text = msgid
        elif any(isinstance(v, dict) for v in clean.values()):  # a nested message
            text = msgid % {k: _chinese(v) for k, v in clean.items()}
        else:
            text = msgid % clean
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = clean
        return self

    def __reduce__(self) -> Any:
        return (_rebuild_msg, (self.msgid, self.params))

    def translated(self) -> str:
        from core.i18n import _translate

        return _translate(self.msgid, self.params)

    def __html__(self) -> str:
        return str(escape(self.translated()))

    def as_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": self.params}


class Term(str):
    """A reference name kept in Chinese in the data (a county, a bargaining item), shown in
    the reader's language: ``{{ county.name }}`` renders translated, comparisons, keys and
    JSON keep the Chinese. Read from :class:`TermText` columns; the names are marked with
    ``N_`` in ``bargaining/reference.py`` so the catalogue has them."""

    def translated(self) -> str:
        from flask_babel import gettext

        return gettext(str(self))

    def __html__(self) -> str:
        return str(escape(self.translated()))


#: parameter types :func:`_param` keeps as they are (exactly these: not bool, Msg or Term)
_PLAIN = frozenset({str, int, float})


def _param(value: Any) -> Any:
    """A parameter as stored: numbers and text as they are, a nested Msg as its msgid/params."""
    if isinstance(value, Msg):
        return value.as_json()
    if isinstance(value, Term):
        return {"msgid": str(value), "params": {}}
    if isinstance(value, dict) and "msgid" in value:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return value


def _chinese(value: Any) -> Any:
    return str(_rebuild_msg(value["msgid"], value["params"])) if isinstance(value, dict) else value


def _rebuild_msg(msgid: str, params: dict[str, Any]) -> Msg:
    return Msg(msgid, **params)
