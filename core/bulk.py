"""Bulk inserts for imports: COPY on PostgreSQL, a raw executemany on SQLite.

SQLAlchemy's per-row parameter handling costs more than the database itself at 100,000
rows, so both paths hand the driver plain tuples. Values are converted with the columns'
own bind processors (SQLite) or the same conventions (PostgreSQL: timestamps as naive UTC,
JSON as text), so what is stored is exactly what a Core insert stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Table
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    insert_tuples(session, table, columns, [tuple(row[c] for c in columns) for row in rows])


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (Python values in the order of ``columns``) in one go."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = ", ".join(f'"{name}"' for name in columns)
    if dialect.name == "postgresql":
        affinities = [table.c[name].type._type_affinity for name in columns]
        pg_converters = [
            (i, _json if issubclass(a, JSON) else _naive_utc)
            for i, a in enumerate(affinities)
            if a is not None and issubclass(a, JSON | DateTime)
        ]
        cursor = connection.connection.driver_connection.cursor()  # psycopg 3
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in _converted(rows, pg_converters):
                copy.write_row(row)
        return
    processors = [
        (i, p)
        for i, name in enumerate(columns)
        if (p := table.c[name].type._cached_bind_processor(dialect)) is not None
    ]
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})',
        _converted(rows, processors),
    )


def _converted(
    rows: Sequence[Sequence[Any]], converters: list[tuple[int, Callable[[Any], Any]]]
) -> Sequence[Sequence[Any]]:
    """``rows`` with the values of some columns converted (None stays None)."""
    if not converters:
        return rows
    columns = list(zip(*rows, strict=True))
    for i, convert in converters:
        columns[i] = tuple(None if v is None else convert(v) for v in columns[i])
    return list(zip(*columns, strict=True))


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False)
