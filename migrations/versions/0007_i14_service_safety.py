"""uploads: the stored marked copies

Revision ID: 0007_i14
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i14"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marked_files", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_column("marked_files")
