"""flask verify-log (SPEC §9): walk the audit log's hash chain."""

from __future__ import annotations

import click

from core import audit_log
from core.cli import fail
from core.i18n import _


@click.command("verify-log")
@click.option(
    "--head",
    "published_head",
    default=None,
    help="A head hash published earlier (public page, digest): it must still be in the chain.",
)
def verify_log_command(published_head: str | None) -> None:
    """Walk the audit log's hash chain: exit 0 with the entry count and head hash, or 1
    naming the first entry edited, removed or reordered."""
    result = audit_log.verify_chain()
    if not result.ok:
        fail(_("操作日志哈希链断裂：%(problem)s", problem=result.problem))
    if published_head and not audit_log.contains_hash(published_head.strip().lower()):
        fail(
            _(
                "公布过的链头哈希 %(hash)s 不在操作日志中：日志末尾被截断或改写",
                hash=published_head.strip(),
            )
        )
    click.echo(
        _(
            "操作日志哈希链完整：%(count)s 条，链头哈希 %(head)s",
            count=result.count,
            head=result.head_hash,
        )
    )
