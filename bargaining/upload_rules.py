"""The upload lifecycle (pure): 处理中 → 已导入 / 已拒绝 / 重复 / 失败."""

from __future__ import annotations

from enum import StrEnum

from core.lifecycle import Lifecycle


class UploadStatus(StrEnum):
    PROCESSING = "processing"
    IMPORTED = "imported"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    FAILED = "failed"  # the process died while importing (recovered at start-up)


IMPORT, REJECT, FIND_DUPLICATE, FAIL = "import", "reject", "duplicate", "fail"
LIFECYCLE = Lifecycle(
    UploadStatus,
    {
        (UploadStatus.PROCESSING, IMPORT): UploadStatus.IMPORTED,
        (UploadStatus.PROCESSING, REJECT): UploadStatus.REJECTED,
        (UploadStatus.PROCESSING, FIND_DUPLICATE): UploadStatus.DUPLICATE,
        (UploadStatus.PROCESSING, FAIL): UploadStatus.FAILED,
    },
    final=frozenset(
        {
            UploadStatus.IMPORTED,
            UploadStatus.REJECTED,
            UploadStatus.DUPLICATE,
            UploadStatus.FAILED,
        }
    ),
)
