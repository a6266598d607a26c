"""sample_round.picked_positions_gz and opened_at: the draw decides, then the picks open

The draw now commits what it decided (seed, pick count, the picked members' positions in
the snapshot, packed) without writing a row per pick; the picks and their audits are written
right after, in a second transaction (``audits.rounds.open_drawn``), which also clears the
positions and the frozen members' keys and stamps ``opened_at``. A round drawn before this
migration already has its picks and audits: it is marked opened when it was drawn.

Revision ID: 0010_h_open
Revises: 0009_h_draw
Create Date: 2026-11-30 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_h_open"
down_revision = "0009_h_draw"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picked_positions_gz", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE sample_round SET opened_at = drawn_at WHERE drawn_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
        batch_op.drop_column("picked_positions_gz")
