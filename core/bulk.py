"""Bulk writes for imports: COPY on PostgreSQL, a raw executemany on SQLite.

SQLAlchemy's per-row parameter handling costs more than the database itself at 100,000
rows, so both paths hand the driver plain tuples. Values are converted with the columns'
own bind processors (SQLite) or the same conventions (PostgreSQL: the columns' type
decorators, timestamps as naive UTC, JSON as text), so what is stored is exactly what a
Core insert stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    JSON,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Select,
    String,
    Table,
    TypeDecorator,
    any_,
    bindparam,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute

from core.db import AnySession, db

T = TypeVar("T")
Converters = list[tuple[int, Callable[[Any], Any]]]
#: a select of any columns (a generic's argument keeps which)
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])
#: json.dumps(value, ensure_ascii=False), the encoder built once (not per call)
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False)


def bulk_insert(session: AnySession, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    insert_tuples(session, table, columns, [tuple(row[c] for c in columns) for row in rows])


class Behind:
    """Statements of this transaction that the server finishes while Python goes on.

    PostgreSQL checks foreign keys and fills indexes at the end of a COPY or an INSERT, while
    the client waits: 1.5 s of a 48,000-row import. :meth:`run` hands such a tail to one
    worker thread (which waits without the GIL) and returns at once; the caller builds the
    next rows meanwhile and :meth:`wait` s before it uses the connection again. Jobs run in
    the order given, on the same connection, never two at once; nothing else may touch the
    session in between: a function given a ``behind`` waits for it before it uses the
    connection (and ``overlapped`` waits at its end in any case). SQLite runs each job
    at once: its driver would give the GIL back and forth for every row.
    """

    def __init__(self, pool: ThreadPoolExecutor | None) -> None:
        self._pool = pool
        self._pending: list[Future[None]] = []

    def run(self, job: Callable[[], None]) -> None:
        if self._pool is None:
            job()
        else:
            self._pending.append(self._pool.submit(job))

    def wait(self) -> None:
        """Until every job handed over so far is done; the first job's error is raised here."""
        pending, self._pending = self._pending, []
        errors = [e for e in (f.exception() for f in pending) if e is not None]
        if errors:
            raise errors[0]


@contextmanager
def overlapped(session: AnySession) -> Iterator[Behind]:
    """A :class:`Behind` for the rest of a bulk write; every job is done when this ends."""
    if session.connection().dialect.name != "postgresql":
        yield Behind(None)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-write") as pool:
        behind = Behind(pool)
        try:
            yield behind
        except BaseException:
            pool.shutdown(wait=True)  # the connection is the caller's again before it unwinds
            raise
        behind.wait()


def insert_tuples(
    session: AnySession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoded: bool = False,
    behind: Behind | None = None,
) -> None:
    """Insert ``rows`` (Python values in the order of ``columns``) in one go.

    ``encoded``: the rows already hold what the driver stores (see :func:`driver_value`),
    so no column is converted here. ``behind``: on PostgreSQL the rows are sent here and the
    server's end of the COPY (foreign keys, indexes) is waited for by ``behind``."""
    if not rows:
        return
    # the rows are converted while ``behind`` still uses the connection (the dialect is the
    # engine's: asking the session for it does no I/O)
    dialect = session.get_bind().dialect
    names = _names(columns)
    postgres = dialect.name == "postgresql"
    if not encoded:
        rows = _converted(rows, _converters(dialect, table, columns))
    if behind is not None:
        behind.wait()
    connection = session.connection()
    if postgres:
        driver = connection.connection.driver_connection
        assert driver is not None  # a checked-out connection has its driver's connection
        cursor = driver.cursor()  # psycopg 3
        copying = cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN')
        copy = copying.__enter__()
        try:
            for row in rows:
                copy.write_row(row)
        except BaseException as exc:
            copying.__exit__(type(exc), exc, exc.__traceback__)
            raise

        def finish() -> None:  # the server's end of the COPY: constraints, indexes
            copying.__exit__(None, None, None)

        if behind is None:
            finish()
        else:
            behind.run(finish)
        return
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})', rows
    )


def driver_value(session: AnySession, table: Table, column: str, value: Any) -> Any:
    """``value`` of ``table.column`` as :func:`insert_tuples` would hand it to the driver
    (for rows built already encoded: convert a repeated value once, not per row)."""
    if value is None:
        return None
    converters = _converters(session.get_bind().dialect, table, [column])
    return converters[0][1](value) if converters else value


def insert_returning_ids(
    session: AnySession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """:func:`insert_tuples`, returning the new rows' ids (an integer primary key) in order.

    PostgreSQL: the ids are drawn from the column's sequence first, in one query, and
    inserted with the rows. SQLite: the insert holds the database's write lock until the
    commit and numbers each row one past the largest id, so the new rows are the last
    ``len(rows)`` ids.
    """
    if not rows:
        return []
    connection = session.connection()
    key = _integer_key(table)
    if connection.dialect.name == "postgresql":
        ids = _next_ids(connection, table, key, len(rows))
        keyed = [(i, *row) for i, row in zip(ids, rows, strict=True)]
        insert_tuples(session, table, (key.name, *columns), keyed)
        return ids
    insert_tuples(session, table, columns, rows)
    last = connection.execute(text(f'SELECT max("{key.name}") FROM "{table.name}"')).scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


def next_ids(session: AnySession, table: Table, n: int) -> list[int]:
    """``n`` ids for new rows of ``table``, ascending, taken before inserting them.

    PostgreSQL: drawn from the table's sequence. SQLite: after the largest id, which is safe
    only once the transaction holds the database's write lock (it has written something)."""
    if n == 0:
        return []
    connection = session.connection()
    key = _integer_key(table)
    if connection.dialect.name == "postgresql":
        return _next_ids(connection, table, key, n)
    last = connection.execute(text(f'SELECT max("{key.name}") FROM "{table.name}"')).scalar()
    start = (last or 0) + 1
    return list(range(start, start + n))


def update_tuples(
    session: AnySession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set ``columns[1:]`` of the row whose ``columns[0]`` equals each row's first value.

    PostgreSQL: one ``UPDATE ... FROM unnest(arrays)``; SQLite: an executemany.
    """
    if not rows:
        return
    connection = session.connection()
    names = [f'"{name}"' for name in columns]
    if connection.dialect.name == "postgresql":
        unnest, arrays = _unnest(connection, table, columns, rows)
        sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
        connection.exec_driver_sql(
            f'UPDATE "{table.name}" AS t SET {sets} FROM {unnest} AS v({", ".join(names)})'
            f" WHERE t.{names[0]} = v.{names[0]}",
            tuple(arrays),
        )
        return
    sets = ", ".join(f"{name} = ?" for name in names[1:])
    converted = _converted(rows, _sqlite_converters(connection.dialect, table, columns))
    connection.exec_driver_sql(
        f'UPDATE "{table.name}" SET {sets} WHERE {names[0]} = ?',
        [(*row[1:], row[0]) for row in converted],
    )


def _unnest(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[list[Any]]]:
    """``unnest(%s::type[], ...)`` over the columns of ``rows``, and its arrays."""
    converted = _converted(rows, _pg_converters(connection.dialect, table, columns))
    arrays = [list(values) for values in zip(*converted, strict=True)]
    types = [table.c[name].type.compile(dialect=connection.dialect) for name in columns]
    return "unnest(" + ", ".join(f"%s::{sql_type}[]" for sql_type in types) + ")", arrays


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


def _integer_key(table: Table) -> Column[Any]:
    (key,) = table.primary_key.columns
    if key.type.python_type is not int:
        raise TypeError(f"{table.name} has no integer primary key")
    return key


def _next_ids(connection: Connection, table: Table, key: Column[Any], n: int) -> list[int]:
    sequence = connection.execute(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": key.name},
    ).scalar_one()
    query = text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)")
    return sorted(connection.execute(query, {"sequence": sequence, "n": n}).scalars())


def _converters(dialect: Dialect, table: Table, columns: Sequence[str]) -> Converters:
    """What turns the values of ``columns`` into what the dialect's driver stores."""
    if dialect.name == "postgresql":
        return _pg_converters(dialect, table, columns)
    return _sqlite_converters(dialect, table, columns)


def _pg_converters(dialect: Dialect, table: Table, columns: Sequence[str]) -> Converters:
    """Per column: its type decorator's bind step, then JSON as text, timestamps as naive UTC."""
    converters: Converters = []
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        steps: list[Callable[[Any], Any]] = []
        if isinstance(column_type, TypeDecorator):
            steps.append(_bound(column_type, dialect))
        affinity = column_type._type_affinity
        if affinity is not None and issubclass(affinity, JSON):
            steps.append(_json)
        elif affinity is not None and issubclass(affinity, DateTime):
            steps.append(_naive_utc)
        if steps:
            converters.append((i, steps[0] if len(steps) == 1 else _chain(steps)))
    return converters


def _sqlite_converters(dialect: Dialect, table: Table, columns: Sequence[str]) -> Converters:
    return [
        (i, p)
        for i, name in enumerate(columns)
        if (p := table.c[name].type._cached_bind_processor(dialect)) is not None
    ]


def _bound(column_type: TypeDecorator[Any], dialect: Dialect) -> Callable[[Any], Any]:
    return lambda value: column_type.process_bind_param(value, dialect)


def _chain(steps: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        for step in steps:
            if value is None:
                return None
            value = step(value)
        return value

    return convert


def _converted(rows: Sequence[Sequence[Any]], converters: Converters) -> Sequence[Sequence[Any]]:
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
    return None if value is None else _JSON_TEXT.encode(value)


# ---------------------------------------------------------------------------- chunked reads

CHUNK = 900  # stays under SQLite's bound-parameter limit


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size`` (bound parameters, batches)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    query: AnySelect,
    column: ColumnElement[str] | QueryableAttribute[str],
    values: Sequence[str],
    size: int = CHUNK,
) -> list[AnySelect]:
    """``query`` for the rows whose ``column`` is one of ``values``: on PostgreSQL one query
    with an array (no long IN list for the driver to parse), elsewhere IN lists in chunks of
    ``size``."""
    if db.session.connection().dialect.name == "postgresql":
        wanted = bindparam("wanted", list(values), type_=ARRAY(String))
        return [query.where(column == any_(wanted))]
    return [query.where(column.in_(part)) for part in chunks(values, size)]
