"""The audit lifecycle (pure): 待抽查 → 已完成, and its verdict 合格 / 不合格.

States and verdicts are stored as English codes and shown through their labels.
"""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_
from core.lifecycle import Labels, Lifecycle


class AuditStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Verdict(StrEnum):
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


STATUS_LABELS = Labels({AuditStatus.OPEN: N_("待抽查"), AuditStatus.DONE: N_("已完成")})
VERDICT_LABELS = Labels({Verdict.QUALIFIED: N_("合格"), Verdict.UNQUALIFIED: N_("不合格")})

SAVE, COMPLETE = "save", "complete"
LIFECYCLE = Lifecycle(
    AuditStatus,
    {
        (AuditStatus.OPEN, SAVE): AuditStatus.OPEN,
        (AuditStatus.OPEN, COMPLETE): AuditStatus.DONE,
    },
    final=frozenset({AuditStatus.DONE}),
)


def verdict_label(verdict: str | None) -> str:
    """合格 / 不合格 in the reader's language ("" before the audit is done)."""
    return VERDICT_LABELS[verdict] if verdict else ""
