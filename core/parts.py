"""Registrations that only some commands need, imported when first asked for.

The higher layers add steps to ``flask init-db`` and ``flask demo``, jobs to the one job
process and a lagging-county function to the visit plan. Importing them means importing the
sampling, audit and report services; a command that needs none of it (``flask import-filings``,
``flask --help``) should not pay for that. ``create_app`` names them as ``"module:function"``
(each function takes the app and registers itself); the web app loads them at once, a command
line only when a command reads one of the keys through :func:`extension`.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from flask import Flask

_KEY = "deferred_registrations"
_lock = threading.Lock()


def defer(app: Flask, *registrations: str) -> None:
    """Name registrations (``"package.module:register"``) to run on first use."""
    app.extensions.setdefault(_KEY, []).extend(registrations)


def load(app: Flask) -> None:
    """Run the deferred registrations now (once, in the order they were named)."""
    with _lock:
        pending = app.extensions.get(_KEY, [])
        app.extensions[_KEY] = []
        for name in pending:
            module, _, function = name.partition(":")
            getattr(importlib.import_module(module), function)(app)


def load_pending(app: Flask) -> None:
    """Run the deferred registrations if some are still pending (a no-op while they run)."""
    if app.extensions.get(_KEY):
        load(app)


def extension(app: Flask, key: str, default: Any = None) -> Any:
    """``app.extensions[key]`` once every deferred registration has run."""
    if app.extensions.get(_KEY):
        load(app)
    return app.extensions.get(key, default)
