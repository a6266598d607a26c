"""Bounds for tests that must answer "in bounded time": CPU seconds, never the wall clock.

A loaded 2-core machine (or a clock moved by libfaketime) stretches wall-clock time, not the
CPU time the code itself spends; getrusage counts that, straight from the kernel."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager

#: a last resort against a child that hangs without using CPU (never a measure of speed)
HANG_GUARD = 900


def cpu_seconds() -> float:
    """CPU time this process has used so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_bound(seconds: float, what: str = "the work") -> Iterator[None]:
    """Fails when the block uses more than ``seconds`` of this process's CPU."""
    start = cpu_seconds()
    try:
        yield
    finally:
        used = cpu_seconds() - start
        assert used < seconds, f"{what} used {used:.1f} CPU seconds (bound {seconds})"


#: a child's first lines: a CPU-time limit (SIGXCPU past it) and a way to read its CPU time
CHILD_CPU_LIMIT = r"""
import resource as _resource
_resource.setrlimit(_resource.RLIMIT_CPU, ({seconds}, {seconds} + 1))
def cpu_seconds():
    usage = _resource.getrusage(_resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
"""
