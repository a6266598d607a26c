"""How the parts talk: typed hooks declared here, filled by the higher layers (issue 12).

A lower layer never imports a higher one; where it needs something of it (the city's home
section, the counties lagging behind, a step of ``init-db``), it declares a hook here and the
higher layer registers into it when the app is made. Asking a hook nobody filled fails loudly
(:class:`MissingHook`) instead of quietly doing less — e.g. planning visits without supervision.

Old way, still read for code written against it: the lists in ``app.extensions`` under
``home_sections``, ``init_steps``, ``demo_steps``, ``scheduled_jobs`` and ``startup_jobs`` are
the very lists held here (one list, two names), so appending to them still registers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, current_app

from core import parts

HomeSection = Callable[[Any], "tuple[str, dict[str, Any]] | None"]
Job = Callable[[], Any]
#: (id, APScheduler trigger kwargs, function)
ScheduledJob = tuple[str, dict[str, Any], Job]
#: (role, county code, USCC) -> (county_id, enterprise_id); refuses with UserError
AssignUser = Callable[[str, str, str], "tuple[int | None, int | None]"]


class MissingHook(RuntimeError):
    """A hook was asked for and no part of the app registered it."""


@dataclass
class Hooks:
    home_sections: list[HomeSection] = field(default_factory=list)
    #: ``flask init-db`` runs them in order; a step may return counts it reports (a dict)
    init_steps: list[Callable[[], Any]] = field(default_factory=list)
    demo_steps: list[Callable[[int, date], Any]] = field(default_factory=list)
    scheduled_jobs: list[ScheduledJob] = field(default_factory=list)
    startup_jobs: list[tuple[str, Job]] = field(default_factory=list)
    lagging_counties: Callable[[date], set[int]] | None = None
    #: registered when the app is made (not deferred): ``flask create-user`` needs only it
    user_assignment: AssignUser | None = None

    def lagging_county_ids(self, day: date) -> set[int]:
        """Counties behind their trajectory (reports); visits plan a supervision for each."""
        if self.lagging_counties is None:
            raise MissingHook("no lagging_counties hook: reports.jobs.register_jobs registers it")
        return self.lagging_counties(day)

    def assign_user(self, role: str, county_code: str, uscc: str) -> tuple[int | None, int | None]:
        """A user's (county_id, enterprise_id) from a county code or a USCC (bargaining)."""
        if self.user_assignment is None:
            raise MissingHook("no user_assignment hook: bargaining.cli.register_cli registers it")
        return self.user_assignment(role, county_code, uscc)


_LISTS = ("home_sections", "init_steps", "demo_steps", "scheduled_jobs", "startup_jobs")


def hooks(app: Flask | None = None, *, load_deferred: bool = True) -> Hooks:
    """The app's hooks (the current app's by default), made on first use. Registrations a
    command line deferred (core.parts) run on the first read, so the hooks are complete;
    ``load_deferred=False`` reads only what ``create_app`` registered itself (a light command)."""
    app = app or current_app
    if load_deferred:
        parts.load_pending(app)
    found = app.extensions.get("hooks")
    if found is None:
        found = Hooks(**{name: app.extensions.setdefault(name, []) for name in _LISTS})
        app.extensions["hooks"] = found
    return found
