"""audit refers to its pick with one composite foreign key instead of four separate ones;
sample_pick loses its index on round_id (the unique (round_id, version_id) serves)

The draw writes one audit per pick; each foreign key is a check per row (a trigger per row
on PostgreSQL). The pick already refers to the round, the version and the county, so
``audit (pick_id, round_id, version_id, county_id)`` -> ``sample_pick`` keeps all four
consistent with one check.

Revision ID: 0008_d18
Revises: 0007_i12
Create Date: 2026-11-30 03:30:00
"""

from alembic import op

revision = '0008_d18'
down_revision = '0007_i12'
branch_labels = None
depends_on = None

COLUMNS = ['pick_id', 'round_id', 'version_id', 'county_id']
KEY = ['id', 'round_id', 'version_id', 'county_id']
SINGLE = [
    ('fk_audit_pick_id_sample_pick', 'pick_id', 'sample_pick'),
    ('fk_audit_round_id_sample_round', 'round_id', 'sample_round'),
    ('fk_audit_version_id_contract_version', 'version_id', 'contract_version'),
    ('fk_audit_county_id_county', 'county_id', 'county'),
]


def upgrade() -> None:
    with op.batch_alter_table('sample_pick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_pick_round_id'))
        batch_op.create_unique_constraint(
            batch_op.f('uq_sample_pick_id_round_id_version_id_county_id'), KEY
        )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        for name, _column, _table in SINGLE:
            batch_op.drop_constraint(batch_op.f(name), type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_pick_id_sample_pick'), 'sample_pick', COLUMNS, KEY
        )


def downgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_pick_id_sample_pick'), type_='foreignkey')
        for name, column, table in SINGLE:
            batch_op.create_foreign_key(batch_op.f(name), table, [column], ['id'])
    with op.batch_alter_table('sample_pick', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_sample_pick_id_round_id_version_id_county_id'), type_='unique'
        )
        batch_op.create_index(batch_op.f('ix_sample_pick_round_id'), ['round_id'], unique=False)
