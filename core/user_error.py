"""The one user-error type, in a module of its own (no Flask, no database): the pure parts
that raise it (cell parsing, the workbook sheets) load without the web stack."""

from __future__ import annotations

from collections.abc import Mapping


class UserError(ValueError):
    """The one user-error type: a message for the user (a msgid or ``Msg``, translated when
    shown) and its 4xx status, raised by every service (a subclass only where a caller
    tells one refusal from the others: audits.rounds.AlreadyDrawn, audits.jobs.NotFrozen).
    Views do not catch it: the handler rolls back and, for a form's POST, shows the form
    again with the message and the submitted values (:func:`core.errors.refused_form`);
    otherwise an error page (or JSON) carrying the message — never a 500."""

    def __init__(
        self, message: str, status: int = 400, fields: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fields = dict(fields or {})  # a message per form field, shown beside it

    @property
    def http_status(self) -> int:
        return self.status if 400 <= self.status < 500 else 400
