"""Flask-Babel: zh-CN by default, English on request (?lang=en or the language switch)."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

SUPPORTED = ("zh_CN", "en")
babel = Babel()


def select_locale() -> str:
    lang = request.args.get("lang") or session.get("lang")
    return lang if lang in SUPPORTED else "zh_CN"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Shanghai")
