"""commit-then-reveal sample rounds

Revision ID: 0007_i13
Revises: 0006
Create Date: 2026-11-30 02:00:00

Existing rounds keep their record: frozen_at = drawn_at (their population was fixed when they
were drawn), no commitment (shown as drawn before commitments existed).
"""

from alembic import op
import sqlalchemy as sa


revision = "0007_i13"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("population_rule", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("frozen_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("frozen_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("commitment", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("public_value", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("witnessed", sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sample_round_frozen_by_id_user"), "user", ["frozen_by_id"], ["id"]
        )
    op.execute(
        "UPDATE sample_round SET population_rule = 'filed_in_month', frozen_at = drawn_at, "
        "frozen_by_id = drawn_by_id"
    )
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.alter_column("population_rule", existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column("frozen_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column("seed", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("drawn_at", existing_type=sa.DateTime(), nullable=True)
        batch_op.alter_column("due_on", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM sample_round WHERE drawn_at IS NULL")
    with op.batch_alter_table("sample_round", schema=None) as batch_op:
        batch_op.alter_column("due_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("drawn_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column("seed", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_sample_round_frozen_by_id_user"), type_="foreignkey"
        )
        batch_op.drop_column("witnessed")
        batch_op.drop_column("public_value")
        batch_op.drop_column("secret")
        batch_op.drop_column("commitment")
        batch_op.drop_column("frozen_by_id")
        batch_op.drop_column("frozen_at")
        batch_op.drop_column("population_rule")
