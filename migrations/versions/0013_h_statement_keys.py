"""PostgreSQL checks seven foreign keys once per statement; the rows they point at are kept

``core.statement_keys``: the keys of contract (county, enterprise), contract_version (county,
upload, filed_by), contract_item (item_code) and audit_log (user) point at rows the product
never deletes and whose key never changes. On PostgreSQL each such foreign key was a trigger
per inserted row (about 4 µs each: 0.5 s of a 48,000-row import); it becomes one check per
INSERT or UPDATE statement over the statement's new rows, raising the same
foreign_key_violation under the same name. county, enterprise, bargaining_item, user and
upload refuse DELETE and a change of their key, which is what the foreign keys' row locks
guaranteed. SQLite keeps the foreign keys as they are.

Revision ID: 0013_h_statement_keys
Revises: 0012_h_deferrable
Create Date: 2026-11-30 12:30:00
"""

from alembic import op

from core.statement_keys import StatementKey, create_sql, drop_sql, keep_sql, unkeep_sql

revision = "0013_h_statement_keys"
down_revision = "0012_h_deferrable"
branch_labels = None
depends_on = None

#: as core.statement_keys.STATEMENT_KEYS was when this migration was written
KEYS = (
    StatementKey("contract", "county_id", "county", "id"),
    StatementKey("contract", "enterprise_id", "enterprise", "id"),
    StatementKey("contract_version", "county_id", "county", "id"),
    StatementKey("contract_version", "upload_id", "upload", "id"),
    StatementKey("contract_version", "filed_by_id", "user", "id"),
    StatementKey("contract_item", "item_code", "bargaining_item", "code"),
    StatementKey("audit_log", "user_id", "user", "id"),
)


def upgrade() -> None:
    _run([*keep_sql(KEYS), *(sql for key in KEYS for sql in create_sql(key))])


def downgrade() -> None:
    _run([*(sql for key in KEYS for sql in drop_sql(key)), *unkeep_sql(KEYS)])


def _run(statements: list[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for sql in statements:
        bind.exec_driver_sql(sql)
