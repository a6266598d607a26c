"""Typed hooks (core/hooks.py): the parts are wired one way, and a missing hook fails loudly."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from core import parts
from core.hooks import Hooks, MissingHook, hooks


def test_planning_without_the_lagging_counties_hook_fails_loudly() -> None:
    with pytest.raises(MissingHook):
        Hooks().lagging_county_ids(date(2026, 11, 25))


def test_placing_a_user_without_the_assignment_hook_fails_loudly() -> None:
    with pytest.raises(MissingHook):
        Hooks().assign_user("inspector", "WY", "")


def test_the_app_registers_every_hook(app) -> None:
    wired = hooks(app)
    assert wired.lagging_counties is not None and wired.user_assignment is not None
    assert len(wired.home_sections) == 4  # the admin's, the leaders', reminders, the register's
    assert {name for name, _trigger, _f in wired.scheduled_jobs} >= {
        "monthly_sample_freeze",
        "sample_unwitnessed_draw",
        "daily_escalation",
        "monthly_target_snapshot",
    }
    assert wired.init_steps and wired.demo_steps and wired.startup_jobs


def test_the_old_extension_lists_are_the_same_lists() -> None:
    """Code written against ``app.extensions["scheduled_jobs"]`` still registers."""
    app = Flask("t")
    app.extensions.setdefault("scheduled_jobs", []).append(("old", {}, lambda: None))
    assert hooks(app).scheduled_jobs[0][0] == "old"
    hooks(app).startup_jobs.append(("new", lambda: None))
    assert app.extensions["startup_jobs"][0][0] == "new"


def register_a_step(app: Flask) -> None:
    hooks(app).init_steps.append(print)


def test_a_command_line_reads_its_deferred_registrations_through_the_hooks() -> None:
    """A command names its registrations (core.parts); the first read of a hook runs them."""
    app = Flask("t")
    parts.defer(app, "tests.test_hooks:register_a_step")
    assert "init_steps" not in app.extensions
    assert hooks(app).init_steps == [print]
    assert hooks(app).init_steps == [print]  # once only
