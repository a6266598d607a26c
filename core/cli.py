"""CLI plumbing shared by the domain commands: exit codes and acting users.

Exit status 0 on success, 1 on a user error with the reason on stderr (SPEC §9).
"""

from __future__ import annotations

from typing import NoReturn

import click
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import User


class UserError(click.ClickException):
    """A user error: the message goes to stderr and the command exits 1."""

    exit_code = 1

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(self.format_message(), err=True)


def fail(message: str) -> NoReturn:
    raise UserError(message)


def acting_user(username: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        fail(f"用户「{username}」不存在或已停用")
    return user


def register_cli(app: Flask) -> None:
    app.cli.add_command(scheduler_command)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the job process (monthly draw, daily escalation). Run exactly one, beside gunicorn."""
    from flask import current_app

    from core.scheduler import run_scheduler

    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
