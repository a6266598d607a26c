"""Rendered page fragments, cached per change of the data.

The body of the city dashboard (the KPI table, the four Plotly figures, the supervision list)
is the same for every reader of one language on the same data, yet rendering it costs several
times a bare page. It is rendered once per (template, change stamp, as-of date, language,
script root) and pasted into the page. The one per-session text in it, the CSRF token of its
forms, is rendered as a slot and filled in on every request.

Only pages whose content depends on nothing user-specific belong here: a key never names the
user, so callers put whatever narrows a page (a county, a role) into ``key`` themselves.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable
from typing import Any

from flask import render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from core.i18n import current_language

MAX_ENTRIES = 32
_CSRF_SLOT = f"csrf-slot-{secrets.token_hex(12)}"  # cannot occur in escaped page text

_cache: dict[tuple[Hashable, ...], str] = {}
_lock = threading.Lock()


def _csrf_slot() -> str:
    return _CSRF_SLOT


def _render(template: str, context: Callable[[], dict[str, Any]]) -> str:
    return render_template(template, csrf_token=_csrf_slot, **context())


def render_cached(
    template: str, key: tuple[Hashable, ...], context: Callable[[], dict[str, Any]]
) -> Markup:
    """``template`` rendered with ``context()``, reused while ``key`` (which must hold the
    change stamp and everything else the fragment depends on) and the language stay the same."""
    full_key = (template, *key, current_language(), request.script_root)
    with _lock:
        html = _cache.get(full_key)
    if html is None:
        html = _render(template, context)
        with _lock:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[full_key] = html
    if _CSRF_SLOT in html:
        html = html.replace(_CSRF_SLOT, generate_csrf())
    return Markup(html)  # rendered by Jinja, autoescaped
