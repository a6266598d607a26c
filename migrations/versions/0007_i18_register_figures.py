"""register figures computed by the job process for the first dashboard request

Revision ID: 0007_i18
Revises: 0006
Create Date: 2026-11-30 02:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_i18'
down_revision = '0007_i13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'register_figure',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('part', sa.String(length=16), nullable=False),
        sa.Column('stamp', sa.String(length=255), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'part', name=op.f('pk_register_figure')),
    )


def downgrade() -> None:
    op.drop_table('register_figure')
