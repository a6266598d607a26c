"""The sample round lifecycle (pure): a month is open, then drawable (from the 1st of the next
month), then drawn — once, ever. The state is computed, not stored: a round row exists once
the month is drawn."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class RoundState(StrEnum):
    OPEN = "open"  # the month has not ended: its filings may still come
    DRAWABLE = "drawable"
    DRAWN = "drawn"


def round_state(month_last_day: date, today: date, drawn: bool) -> RoundState:
    if drawn:
        return RoundState.DRAWN
    return RoundState.OPEN if month_last_day >= today else RoundState.DRAWABLE
