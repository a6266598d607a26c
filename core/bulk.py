"""Bulk inserts for imports: COPY on PostgreSQL, a raw executemany on SQLite.

SQLAlchemy's per-row parameter handling costs more than the database itself at 100,000
rows, so both paths hand the driver plain tuples. Values are converted with the columns'
own bind processors (SQLite) or the same conventions (PostgreSQL: timestamps as naive UTC,
JSON as text), so what is stored is exactly what a Core insert stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    if dialect.name == "postgresql":
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        converters = [_json if name in json_columns else _naive_utc for name in columns]
        cursor = connection.connection.driver_connection.cursor()  # psycopg 3
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([f(row[name]) for f, name in zip(converters, columns, strict=True)])
        return
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type._cached_bind_processor(dialect) for name in columns
    ]
    pairs = list(zip(columns, processors, strict=True))
    params = [
        tuple(p(row[n]) if p and row[n] is not None else row[n] for n, p in pairs) for row in rows
    ]
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})', params
    )


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False)
