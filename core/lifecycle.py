"""A lifecycle: typed states (a ``StrEnum``) and the events that move between them (pure).

Each domain keeps one small module per lifecycle (``audits/rectification_rules.py``,
``audits/audit_rules.py``, ``audits/visit_rules.py`` …) declaring its states and a
:class:`Lifecycle`; services ask it before they change a status, and nothing else decides
which step is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from core.errors import UserError
from core.i18n import _

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Lifecycle(Generic[S]):
    """``transitions``: (state, event) -> next state; ``final`` states accept no event."""

    states: type[S]
    transitions: Mapping[tuple[S, str], S]
    final: frozenset[S] = field(default_factory=frozenset)

    def can(self, state: str, event: str) -> bool:
        return (self.states(state), event) in self.transitions

    def next(self, state: str, event: str) -> S:
        """The state ``event`` leads to from ``state``; :class:`UserError` otherwise."""
        current = self.states(state)
        target = self.transitions.get((current, event))
        if target is None:
            raise UserError(_("当前状态为「%(state)s」，不能执行该操作", state=str(current)))
        return target

    def events(self, state: str) -> list[str]:
        current = self.states(state)
        return [event for (s, event) in self.transitions if s == current]

    def is_final(self, state: str) -> bool:
        return self.states(state) in self.final


class Labels(Mapping[str, str]):
    """Code -> label, translated when read (like ``_l``), each value a plain ``str``.

    Unlike a dict of lazy strings, a value read is real text: it can go into JSON, Excel, an
    f-string or a regex as it is. Outside a request (or in Chinese) it is the Chinese msgid.
    """

    def __init__(self, msgids: Mapping[str, str]) -> None:
        self.msgids = dict(msgids)

    def __getitem__(self, key: str) -> str:
        return _(self.msgids[key])

    def __contains__(self, key: object) -> bool:
        return key in self.msgids

    def __iter__(self) -> Iterator[str]:
        return iter(self.msgids)

    def __len__(self) -> int:
        return len(self.msgids)

    def __repr__(self) -> str:
        return f"Labels({self.msgids!r})"
