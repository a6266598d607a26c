"""audit.contract_id, audit.enterprise_id and sample_pick.county_id lose their foreign keys

These three columns are copies, kept for the queries that list audits by contract, enterprise
or county: a pick's county is its version's county, an audit's contract and enterprise are
its version's contract and that contract's enterprise. The pick refers to its version, and
the audit to its pick (round, version, county) with one composite key, so each copy was
already tied to an existing row through the version; only the opening of a drawn round writes
them (``audits.rounds.open_drawn``), from the keys the freeze read. Each foreign key costs a
check per row (a trigger per row on PostgreSQL: about 1 s per 300,000 rows here), three per
pick/audit pair of a 300,000-pick round.

Revision ID: 0011_h_copies
Revises: 0010_h_open
Create Date: 2026-11-30 09:30:00
"""

from alembic import op

revision = "0011_h_copies"
down_revision = "0010_h_open"
branch_labels = None
depends_on = None

COPIES = [
    ("audit", "fk_audit_contract_id_contract", "contract_id", "contract"),
    ("audit", "fk_audit_enterprise_id_enterprise", "enterprise_id", "enterprise"),
    ("sample_pick", "fk_sample_pick_county_id_county", "county_id", "county"),
]


def upgrade() -> None:
    for table, name, _column, _referred in COPIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(name), type_="foreignkey")


def downgrade() -> None:
    for table, name, column, referred in COPIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(batch_op.f(name), referred, [column], ["id"])
