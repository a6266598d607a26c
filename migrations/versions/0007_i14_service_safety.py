"""uploads: the stored marked copies, external links, purge time; users: the session epoch; API tokens: expiry,
revocation; login attempts (the login limit shared by every worker)

Revision ID: 0007_i14
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i14"
down_revision = "0007_i16"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marked_files", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("external_links", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        # expires_at comes with 0007_i15
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_address", ["address", "at"], unique=False)
        batch_op.create_index("ix_login_attempt_username", ["username", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempt_at"), ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("login_attempt")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
        batch_op.drop_column("external_links")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_column("marked_files")
