"""Named result rows: queries hand back rows read by name (``row.audit``, ``row.county_name``),
never by position (``row[0]``), so a column added to a select cannot shift another's meaning.

Columns are named with ``.label("county_name")``; a mapped class with :func:`named`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import aliased

T = TypeVar("T")


def named(entity: type[T], name: str) -> Any:
    """``entity`` selected under ``name`` in each result row (``row.audit`` rather than
    ``row.Audit``). It is the entity on its own table under another key, not a second copy
    of the table: the SQL, the identity map and the joins and filters written against
    ``entity`` itself are unchanged."""
    return aliased(entity, inspect(entity).local_table, name=name)
