"""``flask import-filings FILE`` / ``import-enterprises FILE``: the workbook is read in its
sandboxed child process while the app loads.

Flask finds a command by loading the app, and loading it (SQLAlchemy, the models, every
command) is a good part of the command's start-up; the child that reads the workbook needs
none of it (:mod:`core.spreadsheet_sandbox` and the sheet names load without Flask-Babel,
SQLAlchemy or the web stack). So :func:`app.create_app` calls :func:`start` once the
configuration is loaded: when this process runs one of the import commands, FILE is read and
its child started with the limits of the settings' defaults (:data:`PROVISIONAL_LIMITS`) and
the configured sandbox budget. The command then passes the read on (:func:`take`) to
:func:`bargaining.uploads.run_upload`, which runs the same role and size checks as ever and
adopts it only when it is exactly the read it would start itself — same bytes, limits, sheets
and budget (:meth:`core.spreadsheet_sandbox.WorkbookRead.serves`); otherwise (the checks
refuse, the site's limits differ from the defaults, the file changed) the child is closed and
its result dropped. A wrong guess costs some CPU on the other core, never another outcome.

Which command runs: click has not told the group yet when the app loads, so the command line
click parses (``sys.argv[1:]``, what ``click.Command.main`` reads) is parsed here with click's
own parsers and no callback — the group's options by the group's parser, the command's by its
declared parameters (:func:`import_params`, shared with the commands). Called in-process with
other arguments (a test's CliRunner) the guess finds nothing or another file, and the read
simply goes unused.
"""

from __future__ import annotations

import atexit
import importlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from flask.cli import FlaskGroup

from bargaining.upload_kinds import KIND_FILINGS, KIND_REGISTRY, SHEETS
from core.spreadsheet import Limits
from core.spreadsheet_sandbox import SandboxLimits, WorkbookRead, start_workbook_read

#: the commands whose file is read early, and the kind of upload each makes
COMMANDS = {"import-filings": KIND_FILINGS, "import-enterprises": KIND_REGISTRY}

#: the limits of a site that kept the settings' defaults (upload_max_mb 20, upload_max_rows
#: 50,000; tests/test_early_read.py checks that they agree); another site's read starts later
PROVISIONAL_LIMITS = Limits()

_pending: dict[str, tuple[str, str, WorkbookRead]] = {}


def import_params(as_help: str) -> list[click.Parameter]:
    """FILE and ``--as USER``: the parameters of both import commands."""
    return [
        click.Argument(["file"]),
        click.Option(["--as", "username"], required=True, help=as_help),
    ]


def command_file(group: click.Command, argv: Sequence[str]) -> tuple[str, str] | None:
    """(kind, FILE) when ``argv`` (the group's arguments) runs an import command, else None."""
    try:
        group_ctx = click.Context(group, info_name="flask", resilient_parsing=True)
        _opts, rest, _order = group.make_parser(group_ctx).parse_args(list(argv))
        if not rest or rest[0] not in COMMANDS:
            return None
        probe = click.Command(rest[0], params=import_params(""))
        params = probe.make_context(rest[0], rest[1:], resilient_parsing=True).params
    except click.ClickException:  # not a command line of ours: the command will say so
        return None
    file = params.get("file")
    return (COMMANDS[rest[0]], file) if isinstance(file, str) and file else None


def start(config: Mapping[str, Any]) -> None:
    """Start reading the file of the import command this process runs, if it runs one."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or not isinstance(ctx.command, FlaskGroup):
        return  # the web app, a test's app, `flask run`…
    found = command_file(ctx.command, sys.argv[1:])
    if found is None:
        return
    kind, file = found
    path = Path(file)
    try:
        # a regular file within the limit only (the command refuses the rest itself)
        if not path.is_file() or path.stat().st_size > PROVISIONAL_LIMITS.max_bytes:
            return
        data = path.read_bytes()
    except OSError:
        return
    if not data or len(data) > PROVISIONAL_LIMITS.max_bytes:
        return
    _drop()
    # read_workbook imports its container checks when first called: here, before the fork, as
    # in a loaded app, rather than in the child after its limits are set
    importlib.import_module("core.spreadsheet_guards")
    sandbox = SandboxLimits.from_config(config)
    _pending["read"] = (
        kind,
        file,
        start_workbook_read(data, PROVISIONAL_LIMITS, SHEETS[kind], sandbox),
    )
    # a command that never runs (a usage error) leaves no child behind
    atexit.unregister(_drop)
    atexit.register(_drop)


def take(kind: str, file: str) -> WorkbookRead | None:
    """The read :func:`start` began for this command's FILE, now the caller's to close."""
    pending = _pending.pop("read", None)
    if pending is None:
        return None
    if pending[:2] != (kind, file):
        pending[2].close()
        return None
    return pending[2]


def _drop() -> None:
    pending = _pending.pop("read", None)
    if pending is not None:
        pending[2].close()
