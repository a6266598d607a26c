"""commit-then-reveal sample rounds; the audit log's hash chain

Revision ID: 0007_i13
Revises: 0006
Create Date: 2026-11-30 02:00:00

Existing rounds keep their record: frozen_at = drawn_at (their population was fixed when they
were drawn), no commitment (shown as drawn before commitments existed). Stored system
messages get their mark (U+001E, core.i18n.MessageText). Existing audit-log
entries are chained in the order of their ids (the append-only triggers are lifted for that
one UPDATE and put back).
"""

from alembic import op
import sqlalchemy as sa


revision = "0007_i13"
down_revision = "0007_i14"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_append_only() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")


def _restore_append_only() -> None:
    if _sqlite():  # (a batch operation recreates the table without its triggers)
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb.lower()}")
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def _chain_existing_entries() -> None:
    from core.audit_log import GENESIS, canonical, link_hash
    from core.db import UTCDateTime

    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("at", UTCDateTime),
        sa.column("user_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.Integer),
        sa.column("summary", sa.Text),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("seq", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("entry_hash", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            log.c.id,
            log.c.at,
            log.c.user_id,
            log.c.action,
            log.c.object_type,
            log.c.object_id,
            log.c.summary,
            log.c.before,
            log.c.after,
        ).order_by(log.c.id)
    ).all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        content = canonical(
            seq,
            row.at,
            row.user_id,
            row.action,
            row.object_type,
            row.object_id,
            row.summary,
            row.before,
            row.after,
        )
        entry_hash = link_hash(prev, content)
        bind.execute(
            log.update()
            .where(log.c.id == row.id)
            .values(seq=seq, prev_hash=prev, entry_hash=entry_hash)
        )
        prev = entry_hash


#: the columns of type core.i18n.MessageText (stored system messages)
MESSAGE_COLUMNS = (
    ("upload", "message"),
    ("contract_flag", "message"),
    ("finding", "description"),
    ("interview", "reason"),
    ("supervision", "reason"),
    ("visit", "reason"),
    ("audit_log", "summary"),
)


def _mark_stored_messages() -> None:
    """A stored message now begins with the record separator (U+001E) instead of being any
    text that begins with {"msgid": users' text is never read as a system message again."""
    for table, column in MESSAGE_COLUMNS:
        op.execute(
            sa.text(
                f'UPDATE "{table}" SET "{column}" = :mark || "{column}" '
                f'WHERE "{column}" LIKE :prefix'
            ).bindparams(mark="\x1e", prefix='{"msgid"%')
        )


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _drop_append_only()
    _mark_stored_messages()
    _chain_existing_entries()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    _restore_append_only()
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
    _drop_append_only()
    for table, column in MESSAGE_COLUMNS:
        op.execute(
            sa.text(
                f'UPDATE "{table}" SET "{column}" = substr("{column}", 2) '
                f'WHERE "{column}" LIKE :prefix'
            ).bindparams(prefix="\x1e%")
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    _restore_append_only()
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
