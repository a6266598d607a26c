"""audit verdicts stored as codes (qualified / unqualified), no longer as Chinese words

Revision ID: 0007_i12
Revises: 0007_i18
Create Date: 2026-11-30 02:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_i12'
down_revision = '0007_i18'
branch_labels = None
depends_on = None

CODES = {"合格": "qualified", "不合格": "unqualified"}


def upgrade() -> None:
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.alter_column(
            'verdict', existing_type=sa.String(length=8), type_=sa.String(length=12)
        )
    audit = sa.table('audit', sa.column('verdict', sa.String))
    for word, code in CODES.items():
        op.execute(audit.update().where(audit.c.verdict == word).values(verdict=code))


def downgrade() -> None:
    audit = sa.table('audit', sa.column('verdict', sa.String))
    for word, code in CODES.items():
        op.execute(audit.update().where(audit.c.verdict == code).values(verdict=word))
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.alter_column(
            'verdict', existing_type=sa.String(length=12), type_=sa.String(length=8)
        )
