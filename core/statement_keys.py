"""Foreign keys that PostgreSQL checks once per statement instead of once per row.

A foreign key is a trigger per inserted row on PostgreSQL (about 4 µs each here): 120,000
of them in a 48,000-row import with its audit log. The keys below point at rows the product
never deletes and whose key never changes (counties, enterprises, the item catalogue, users,
uploads), so whether a value exists can be checked once for a whole statement: one anti-join
over the statement's new rows (a transition table). Those tables refuse DELETE and a change
of key, so a row once found stays: what the foreign key's row lock guaranteed.

The models keep these ``ForeignKey`` s, and SQLite checks them as before (a lookup per row
costs it little). Migration 0013_h_statement_keys replaces them on PostgreSQL with
:func:`create_sql`; a missing value raises the same SQLSTATE 23503 (foreign_key_violation)
under the foreign key's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class StatementKey(NamedTuple):
    table: str
    column: str
    referred: str
    referred_column: str

    @property
    def name(self) -> str:
        """The foreign key's name (the naming convention's), kept for the check."""
        return f"fk_{self.table}_{self.column}_{self.referred}"


STATEMENT_KEYS = (
    StatementKey("contract", "county_id", "county", "id"),
    StatementKey("contract", "enterprise_id", "enterprise", "id"),
    StatementKey("contract_version", "county_id", "county", "id"),
    StatementKey("contract_version", "upload_id", "upload", "id"),
    StatementKey("contract_version", "filed_by_id", "user", "id"),
    StatementKey("contract_item", "item_code", "bargaining_item", "code"),
    StatementKey("audit_log", "user_id", "user", "id"),
)


def kept_tables(keys: Sequence[StatementKey] = STATEMENT_KEYS) -> list[tuple[str, str]]:
    """(table, key column) of the rows ``keys`` point at: never deleted, the key never changed."""
    return sorted({(k.referred, k.referred_column) for k in keys})


#: the statements after which a key is checked, each by a trigger named ``<key name>_<event>``
EVENTS = ("insert", "update")


def create_sql(key: StatementKey) -> list[str]:
    """Drop the foreign key; check it per INSERT and per UPDATE statement instead."""
    function = f"check_{key.name}"
    check = f"""
CREATE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT n."{key.column}"::text INTO missing
      FROM new_rows AS n
     WHERE n."{key.column}" IS NOT NULL
       AND NOT EXISTS (
           SELECT 1 FROM "{key.referred}" AS r WHERE r."{key.referred_column}" = n."{key.column}")
     LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "{key.table}"'
                || ' violates foreign key constraint "{key.name}"',
            DETAIL = 'Key ({key.column})=(' || missing || ') is not present in table'
                || ' "{key.referred}".',
            CONSTRAINT = '{key.name}',
            TABLE = '{key.table}';
    END IF;
    RETURN NULL;
END
$$"""
    return [
        f'ALTER TABLE "{key.table}" DROP CONSTRAINT "{key.name}"',
        check,
        *(
            f'CREATE TRIGGER "{key.name}_{event}" AFTER {event.upper()} ON "{key.table}"'
            f" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
            f' EXECUTE FUNCTION "{function}"()'
            for event in EVENTS
        ),
    ]


def drop_sql(key: StatementKey) -> list[str]:
    """The foreign key again, as it was (for downgrading)."""
    return [
        *(f'DROP TRIGGER "{key.name}_{event}" ON "{key.table}"' for event in EVENTS),
        f'DROP FUNCTION "check_{key.name}"()',
        f'ALTER TABLE "{key.table}" ADD CONSTRAINT "{key.name}" FOREIGN KEY ("{key.column}")'
        f' REFERENCES "{key.referred}" ("{key.referred_column}")',
    ]


KEEP_FUNCTION = "keep_referred_rows"


def keep_sql(keys: Sequence[StatementKey] = STATEMENT_KEYS) -> list[str]:
    """Every table that ``keys`` point at refuses to delete a row or change its key."""
    function = f"""
CREATE FUNCTION "{KEEP_FUNCTION}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE restrict_violation USING
        MESSAGE = 'rows of table "' || TG_TABLE_NAME || '" are never deleted and keep their key',
        TABLE = TG_TABLE_NAME;
END
$$"""
    triggers = []
    for table, column in kept_tables(keys):
        triggers += [
            f'CREATE TRIGGER "keep_{table}_rows" BEFORE DELETE ON "{table}"'
            f' FOR EACH ROW EXECUTE FUNCTION "{KEEP_FUNCTION}"()',
            f'CREATE TRIGGER "keep_{table}_key" BEFORE UPDATE OF "{column}" ON "{table}"'
            f' FOR EACH ROW WHEN (OLD."{column}" IS DISTINCT FROM NEW."{column}")'
            f' EXECUTE FUNCTION "{KEEP_FUNCTION}"()',
        ]
    return [function, *triggers]


def unkeep_sql(keys: Sequence[StatementKey] = STATEMENT_KEYS) -> list[str]:
    return [
        *(
            f'DROP TRIGGER "keep_{table}_{what}" ON "{table}"'
            for table, _ in kept_tables(keys)
            for what in ("rows", "key")
        ),
        f'DROP FUNCTION "{KEEP_FUNCTION}"()',
    ]
