"""sample_round.population_keys_gz: the frozen members' database keys, for the draw

The freeze stores, next to the population snapshot (county code, public id), each member's
version, contract and enterprise ids in the snapshot's order, so the draw writes its picks
and audits without looking the picked public ids up again. Cleared by the draw; a round
frozen before this column existed is drawn by looking its members up, as before.

Revision ID: 0009_h_draw
Revises: 0008_d18
Create Date: 2026-11-30 05:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_h_draw"
down_revision = "0008_d18"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("population_keys_gz", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.drop_column("population_keys_gz")
