"""The on-site supervision (现场督导) lifecycle (pure): 待督导 → 已督导."""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_
from core.lifecycle import Labels, Lifecycle


class SupervisionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"


STATUS_LABELS = Labels(
    {SupervisionStatus.PLANNED: N_("待督导"), SupervisionStatus.HELD: N_("已督导")}
)

HOLD = "hold"
#: as for 约谈, recording again replaces the record (unchanged behaviour)
LIFECYCLE = Lifecycle(
    SupervisionStatus,
    {
        (SupervisionStatus.PLANNED, HOLD): SupervisionStatus.HELD,
        (SupervisionStatus.HELD, HOLD): SupervisionStatus.HELD,
    },
)
