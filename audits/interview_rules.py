"""The 约谈 lifecycle (pure): 待约谈 → 已约谈."""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_
from core.lifecycle import Labels, Lifecycle


class InterviewStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"


STATUS_LABELS = Labels({InterviewStatus.PLANNED: N_("待约谈"), InterviewStatus.HELD: N_("已约谈")})

HOLD = "hold"
#: recording a held 约谈 again replaces the record, as before this module (SPEC §3 asks for
#: amendments instead; that change belongs with the audit-log work, not here)
LIFECYCLE = Lifecycle(
    InterviewStatus,
    {
        (InterviewStatus.PLANNED, HOLD): InterviewStatus.HELD,
        (InterviewStatus.HELD, HOLD): InterviewStatus.HELD,
    },
)
