"""Loaded only by `make test-clocks` (PYTHONPATH): the suite under libfaketime.

libfaketime 0.9.10 (Debian 12) with FAKETIME_DONT_FAKE_MONOTONIC=1 — needed, or every timed
wait on a condition variable hangs — answers EINVAL to clock_nanosleep(CLOCK_MONOTONIC,
TIMER_ABSTIME), which is how CPython 3.11's time.sleep waits, and so subprocess's timed waits
fail. select() with a timeout is handled correctly, so sleep through it. Nothing else changes;
outside libfaketime this file is never on the path."""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):
    _sleep = time.sleep

    def _select_sleep(seconds: float) -> None:
        if seconds < 0:
            _sleep(seconds)  # the same ValueError as the real one
        select.select([], [], [], seconds)

    time.sleep = _select_sleep
