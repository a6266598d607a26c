"""contract.current_version_id's foreign key becomes DEFERRABLE INITIALLY IMMEDIATE

A contract points at its current version and each version at its contract. An import on
PostgreSQL now inserts its new contracts already pointing at their versions, by a plain COPY
per table, with this one key deferred until both are in (``SET CONSTRAINTS ... DEFERRED`` in
``bargaining.filing``); everywhere else it is checked at once, as before. SQLite's key is
deferrable too (its imports insert the contracts first and point them at their versions
after, so they never defer it).

Revision ID: 0012_h_deferrable
Revises: 0011_h_copies
Create Date: 2026-11-30 12:00:00
"""

from alembic import op

revision = "0012_h_deferrable"
down_revision = "0011_h_copies"
branch_labels = None
depends_on = None

KEY = "fk_contract_current_version_id_contract_version"


def upgrade() -> None:
    _recreate(deferrable=True)


def downgrade() -> None:
    _recreate(deferrable=False)


def _recreate(deferrable: bool) -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_constraint(KEY, type_="foreignkey")
        batch_op.create_foreign_key(
            KEY,
            "contract_version",
            ["current_version_id"],
            ["id"],
            use_alter=True,
            deferrable=True if deferrable else None,
            initially="IMMEDIATE" if deferrable else None,
        )
